# The application server, its logger and the reverse proxy in front of it.

# A real deployment would exec the application binary (gunicorn, a JVM, a Go server). This
# stand-in is a small Python HTTP server that reports readiness only once its socket is bound, so
# nothing that depends on it starts before it can take requests.
longrun "app" {
  description = "Application server on 127.0.0.1:${var.app_port}"
  depends_on  = [longrun.db, oneshot.migrations]

  run = <<EOT
#!/usr/bin/env python3
import errno, http.server, os, sys

class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the app\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        # Access log on stdout: the pipeline hands it to app-log.
        print("app: " + fmt % args, flush=True)

try:
    server = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Hello)
except OSError as e:
    if e.errno != errno.EADDRINUSE:
        raise
    print(f"app: cannot listen: 127.0.0.1:{os.environ['PORT']} is already in use (choose another with -var app_port=N)", file=sys.stderr, flush=True)
    sys.exit(98)
print("app: listening on", server.server_address, flush=True)
os.write(3, b"\n")
os.close(3)
server.serve_forever()
EOT

  # Exit 98 from run means the address is taken: restarting cannot help. A finish exiting 125 tells
  # the supervisor so (s6-supervise's rule), and the start fails at once instead of at timeout_up.
  finish = <<EOT
#!/bin/sh
[ "$1" != 98 ] || exit 125
EOT

  notification_fd = 3
  timeout_up      = "15s"

  env = {
    PORT         = "${var.app_port}"
    DATABASE_URL = "postgres://app@127.0.0.1:5432/app"
    DB_PASSWORD  = var.db_password
  }

  # The access log goes down the pipeline to app-log.
  producer_for = longrun.app-log

  lifecycle {
    on_change = "restart"
  }
}

# The logger at the end of the app's pipeline. A real deployment would use
# ["s6-log", "-b", "n20", "s1000000", "T", "/var/log/app"]; this one timestamps lines into a file.
longrun "app-log" {
  description  = "Logger for the application server"
  consumer_for = [longrun.app]
  # The last consumer names the pipeline: a bundle that starts and stops app and app-log together.
  pipeline_name = "app-pipeline"

  run = <<EOT
#!/bin/sh
mkdir -p state
while IFS= read -r line; do
  printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$line"
done >> state/app.log
EOT
}

# The reverse proxy. A real deployment runs nginx in the foreground (daemon off;) with the
# configuration below in data/, and reloads it with SIGHUP when only the configuration changes.
longrun "proxy" {
  description = "Reverse proxy on 127.0.0.1:${var.proxy_port}"
  depends_on  = [longrun.app]

  run = <<EOT
#!/usr/bin/env python3
import errno, http.server, os, signal, sys, urllib.request

upstream = "http://127.0.0.1:" + os.environ["UPSTREAM_PORT"]

class Proxy(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with urllib.request.urlopen(upstream + self.path, timeout=5) as r:
            body = r.read()
        self.send_response(r.status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

# nginx re-reads its configuration on SIGHUP; the stand-in just says so.
signal.signal(signal.SIGHUP, lambda *_: print("proxy: configuration reloaded", flush=True))
try:
    server = http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), Proxy)
except OSError as e:
    if e.errno != errno.EADDRINUSE:
        raise
    print(f"proxy: cannot listen: 127.0.0.1:{os.environ['PORT']} is already in use (choose another with -var proxy_port=N)", file=sys.stderr, flush=True)
    sys.exit(98)
os.write(3, b"\n")
os.close(3)
server.serve_forever()
EOT

  # As for the app: an address already in use is a failure for good.
  finish = <<EOT
#!/bin/sh
[ "$1" != 98 ] || exit 125
EOT

  notification_fd = 3
  reload_signal   = "SIGHUP"

  env = {
    PORT          = "${var.proxy_port}"
    UPSTREAM_PORT = "${var.app_port}"
  }

  data = {
    "nginx.conf" = <<EOT
events {}
http {
  server {
    listen 127.0.0.1:${var.proxy_port};
    location / { proxy_pass http://127.0.0.1:${var.app_port}; }
  }
}
EOT
  }

  lifecycle {
    on_change = "reload"
  }
}

# The data tier, and everything the site needs, each brought up and down as one name. Bundles nest.
bundle "backend" {
  description = "Database and its schema"
  contents    = [longrun.db, oneshot.migrations]
}

bundle "web" {
  description = "The whole web stack"
  contents    = [bundle.backend, longrun.app, longrun.app-log, longrun.proxy]
}
