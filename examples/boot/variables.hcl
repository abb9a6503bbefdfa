# A boot-like tree: what an init system brings up before users can log in. Every command here is
# a harmless stand-in that runs without root and prints what the real one would do; the comment
# above each service says what a real machine runs instead.

variable "hostname" {
  type        = string
  default     = "rcform-demo"
  description = "Name the machine takes at boot"
}

variable "ttys" {
  type        = list(string)
  default     = ["tty1", "tty2", "tty3", "tty4", "tty5", "tty6"]
  description = "Virtual consoles that get a login prompt"
}

locals {
  # Filesystems mounted early, keyed by a name that is safe in a service name.
  mounts = {
    proc = { path = "/proc", fstype = "proc" }
    sys  = { path = "/sys", fstype = "sysfs" }
    run  = { path = "/run", fstype = "tmpfs" }
    tmp  = { path = "/tmp", fstype = "tmpfs" }
  }
}
