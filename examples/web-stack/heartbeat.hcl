# A liveness file for the machine's monitoring, which alerts when state/heartbeat is more than a
# minute old. Most daemons' run lines look like this one: a plain argv, no script.
longrun "heartbeat" {
  description = "Writes the time to state/heartbeat every 30 seconds"
  run         = ["sh", "-c", "mkdir -p state && while :; do date -u +%Y-%m-%dT%H:%M:%SZ > state/heartbeat; sleep 30; done"]
}
