# The machine's name. A real machine runs ["hostname", var.hostname] (or hostname -F /etc/hostname).
oneshot "hostname" {
  description = "Sets the host name"
  depends_on  = [oneshot.mount["proc"]]
  up          = ["sh", "-c", "echo 'hostname ${var.hostname}'"]
}

# The network: a DHCP client in the foreground. A real machine runs
# ["dhcpcd", "--nobackground", "eth0"] and counts as ready once an address is bound; the stand-in
# announces readiness on fd 3 and then waits.
longrun "network" {
  description = "DHCP client for eth0"
  depends_on  = [oneshot.hostname, oneshot.mount["run"]]

  run = <<EOT
#!/bin/sh
echo "network: eth0 bound to 192.0.2.10/24"
printf '\n' >&3
exec 3>&-
exec sleep 2147483647
EOT

  notification_fd = 3
  timeout_up      = "30s"
  down_signal     = "SIGTERM"
  max_death_tally = 10
}

# A login prompt on each virtual console, one instance per tty: getty["tty1"] ... getty["tty6"].
# A real machine runs ["agetty", "--noclear", "38400", each.key, "linux"].
longrun "getty" {
  for_each    = var.ttys
  description = "Login prompt on ${each.key}"
  depends_on  = [oneshot.hostname, oneshot.mount["proc"], oneshot.mount["sys"]]
  run         = ["sh", "-c", "echo 'agetty --noclear 38400 ${each.key} linux'; exec sleep 2147483647"]
  # A console that keeps dying should not be restarted forever.
  max_death_tally = 5
}

# What "boot" means: the whole set, started at once and in dependency order. A reference without
# a key (oneshot.mount, longrun.getty) stands for every instance of a for_each block.
bundle "boot" {
  description = "Everything a booted machine runs"
  contents    = [oneshot.mount, oneshot.hostname, oneshot.unlock-data, longrun.network, longrun.getty]
}
