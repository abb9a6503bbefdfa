#!/bin/sh
# Once per boot, after `rcform supervise` has started (see docs/s6-rc-users.md#boot): waits for the
# supervisor, records the live directory on a fresh /run (a no-op when it is already there), and
# applies the machine's services, as s6-rc-init followed by `s6-rc -u change default` would.
#   RCFORM_LIVE         the live directory (default /run/rcform, a tmpfs: empty at every boot)
#   RCFORM_SOURCE       the service definitions to apply (default /etc/rcform)
#   RCFORM_APPLY_FLAGS  more apply flags, e.g. "--input unlock=@/etc/rcform/passphrase"
set -eu
live=${RCFORM_LIVE:-/run/rcform}
src=${RCFORM_SOURCE:-/etc/rcform}
tries=0
until rcform status --live "$live" > /dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 300 ]; then
    echo "rcform boot: no supervisor answers for $live after 30 s; is the rcform service up?" >&2
    exit 1
  fi
  sleep 0.1
done
rcform init --live "$live"
# A saved plan is pinned to one lineage and serial, and a fresh /run has a new lineage at every
# boot: the source is applied as it stands on the machine.
# shellcheck disable=SC2086
exec rcform apply "$src" --live "$live" -auto-approve ${RCFORM_APPLY_FLAGS:-}
