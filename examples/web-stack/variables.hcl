# Settings an operator may override with --var, --var-file or RCFORM_VAR_NAME.

variable "app_port" {
  type        = number
  default     = 18080
  description = "Loopback port the application server listens on"
}

variable "proxy_port" {
  type        = number
  default     = 18081
  description = "Loopback port the reverse proxy listens on"
}

variable "db_password" {
  type        = string
  default     = "dev-only-password"
  description = "Password the application uses to reach the database"
  sensitive   = true
}

locals {
  # Every service writes its state below this directory, relative to its service directory, so
  # the example runs without root. A real deployment would use /var/lib and /run.
  state_dir = "state"
}
