#!/bin/sh
# The main job on an example, as `npm run example` runs it: validate and format-check the source,
# create a live directory with the embedded supervisor (no root needed), plan, apply exactly that
# plan, and show what runs. Run it again: the second plan is empty. Stop everything with
#   node dist/cli/main.js destroy examples/web-stack --live .rcform-example --auto-approve --allow-essential
#   node dist/cli/main.js supervise --stop --live .rcform-example
set -eu
cd "$(dirname "$0")/.."
EXAMPLE=${1:-examples/web-stack}
LIVE=${RCFORM_EXAMPLE_LIVE:-.rcform-example}
rcform() { node dist/cli/main.js "$@"; }

rcform validate "$EXAMPLE"
rcform fmt -check -recursive "$EXAMPLE"
rcform init --live "$LIVE"
rcform plan "$EXAMPLE" --live "$LIVE" --out "$LIVE.plan"
rcform apply "$LIVE.plan"
rm -f "$LIVE.plan"
rcform status --live "$LIVE"
echo
echo "Services keep running under the supervisor of $LIVE. Try:"
echo "  node dist/cli/main.js logs app --live $LIVE"
echo "  node dist/cli/main.js destroy $EXAMPLE --live $LIVE --auto-approve --allow-essential"
echo "  node dist/cli/main.js supervise --stop --live $LIVE"
