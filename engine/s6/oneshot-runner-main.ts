import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { onLines } from '../embedded/protocol.js';
import { isServiceSideRequest, RunsInFlight, ServiceSideRequests } from '../service-side-requests.js';

// The s6 oneshot runner's process (oneshot-runner.ts), run by s6-supervise in its service
// directory: argv[2] is the engine's area relative to it, the rest s6-log's directives for each
// oneshot's log (as the engine's install wrote them for its longruns' loggers). Listens on `s`, says it is ready on
// fd 3, and serves until s6-supervise's SIGTERM. Runs in flight go on after it exits: each is a
// process group of its own, its s6-log reading until the group is gone.

const area = path.resolve(process.argv[2] ?? '..');
const directives = process.argv.slice(3);
const socket = 's';
fs.rmSync(socket, { force: true });
const inFlight = new RunsInFlight();
const server = net.createServer((conn) => {
  conn.on('error', () => {});
  const requests = new ServiceSideRequests(
    (m) => {
      if (!conn.destroyed) conn.write(JSON.stringify(m) + '\n');
    },
    (name) => {
      const dir = path.join(area, 'logs', name);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return { logFile: path.join(dir, 'current'), logger: ['s6-log', '-b', '--', ...directives, dir] };
    },
    inFlight,
  );
  onLines(conn, (line) => {
    let req: { id: number; op: string };
    try {
      req = JSON.parse(line) as typeof req;
    } catch {
      conn.write(JSON.stringify({ id: -1, ok: false, error: 'malformed request' }) + '\n');
      return;
    }
    if (isServiceSideRequest(req)) requests.handle(req);
    else if (req.op === 'ping') conn.write(JSON.stringify({ id: req.id, ok: true, result: { pid: process.pid } }) + '\n');
    else conn.write(JSON.stringify({ id: req.id, ok: false, error: `unknown request ${req.op}` }) + '\n');
  });
});
const old = process.umask(0o077);
server.listen(socket, () => {
  process.umask(old);
  try {
    fs.writeSync(3, '\n');
    fs.closeSync(3);
  } catch {
    // run by hand, without notification-fd
  }
});
// Not waiting for the connections of runs in flight: they go on without an asker.
process.on('SIGTERM', () => process.exit(0));
