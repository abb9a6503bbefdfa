# One oneshot per early mount, from the same block: mount["proc"], mount["sys"], ...
# A real machine runs ["mount", "-t", each.value.fstype, each.value.fstype, each.value.path]
# and unmounts on the way down.
oneshot "mount" {
  for_each    = local.mounts
  description = "Mounts ${each.value.path}"
  up          = ["sh", "-c", "echo 'mount -t ${each.value.fstype} ${each.value.fstype} ${each.value.path}'"]
  down        = ["sh", "-c", "echo 'umount ${each.value.path}'"]
  timeout_up  = "5s"
  essential   = true
}

# The data partition is encrypted: the operator types its passphrase when the plan is applied.
# A real machine runs: cryptsetup open --key-file=- /dev/sda3 data && mount /dev/mapper/data /srv
oneshot "unlock-data" {
  description = "Unlocks the encrypted data partition"
  depends_on  = [oneshot.mount["run"]]

  input {
    prompt = "Passphrase for the data partition (/dev/sda3)"
    secret = true
  }

  up = <<EOT
#!/bin/sh
# The passphrase arrives on stdin, never on the command line or in the environment.
IFS= read -r passphrase || { echo "unlock-data: no passphrase given" >&2; exit 1; }
[ -n "$passphrase" ] || { echo "unlock-data: empty passphrase" >&2; exit 1; }
echo "unlock-data: /dev/sda3 unlocked as /dev/mapper/data"
EOT

  down = ["sh", "-c", "echo 'cryptsetup close data'"]

  timeout_up = "2m"
}
