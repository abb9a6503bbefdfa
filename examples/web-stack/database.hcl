# The database. A real deployment runs PostgreSQL in the foreground:
#
#   exec s6-notifyoncheck -d postgres -D /var/lib/postgresql/16/main
#
# or, with a server that supports it, tells s6 it is ready by writing a newline to the
# notification fd. This stand-in behaves the same way: it writes its pid file, loads its
# configuration from data/, announces readiness on fd 3, then stays in the foreground.
longrun "db" {
  description = "Database server (stand-in for PostgreSQL)"

  run = <<EOT
#!/bin/sh
set -e
mkdir -p state
echo $$ > state/db.pid
port=$(sed -n "s/^port *= *//p" data/postgresql.conf 2>/dev/null || true)
echo "db: listening on port $port, data in $PGDATA"
# Readiness: a newline on the notification fd, then close it.
printf '\n' >&3
exec 3>&-
exec sleep 2147483647
EOT

  finish = <<EOT
#!/bin/sh
rm -f state/db.pid
EOT

  notification_fd = 3
  timeout_up      = "10s"
  timeout_down    = "30s"
  # PostgreSQL's "smart" shutdown waits for clients; SIGINT asks for a fast shutdown instead.
  down_signal = "SIGINT"
  essential   = true

  env = {
    PGDATA = "/var/lib/postgresql/16/main"
  }

  data = {
    "postgresql.conf" = <<EOT
port = 5432
max_connections = 100
shared_buffers = 128MB
EOT
  }
}

# Schema migrations run once the database is ready, and before the application starts.
oneshot "migrations" {
  description = "Applies pending schema migrations"
  depends_on  = [longrun.db]

  # A real deployment runs the application's migration tool, e.g. ["/srv/app/bin/migrate", "up"].
  up = <<EOT
#!/bin/sh
echo "migrations: connecting as app (password from the environment: $${DB_PASSWORD:+set})"
echo "migrations: schema is at version 42"
EOT

  env = {
    DB_PASSWORD = var.db_password
  }

  timeout_up = "2m"
}
