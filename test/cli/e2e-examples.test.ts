import { afterEach, beforeEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ServiceStatus } from '../../engine/engine.js';
import { planLines, PROJECT_ROOT, runProcess, type CliResult } from '../support/cli-harness.js';
import { alive, killGroups, waitFor } from '../support/engine-harness.js';

// The operator's whole cycle on a shipped example, through the real CLI and a real embedded
// supervisor: what a user who copies examples/web-stack gets. The example's own services run (a
// database stand-in, migrations, a Python app server and reverse proxy on loopback, a logger
// pipeline, a heartbeat), then the source is edited the way operators edit it and the second plan
// must show exactly those edits, each with its reason.

let root: string;
let src: string;
let live: string;
let env: NodeJS.ProcessEnv;
const pids = new Set<number>();

/** A loopback port nobody listens on now: other worktrees run this test on the same machine. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-e2e-'));
  src = path.join(root, 'web-stack');
  live = path.join(root, 'live');
  fs.cpSync(path.join(PROJECT_ROOT, 'examples/web-stack'), src, { recursive: true });
  env = { RCFORM_LIVE: live, CI: 'true', RCFORM_VAR_app_port: String(await freePort()), RCFORM_VAR_proxy_port: String(await freePort()) };
});

afterEach(() => {
  try {
    status();
  } catch {
    // the supervisor may be gone already
  }
  rc(['supervise', '--stop']);
  killGroups([...pids].filter(alive));
  fs.rmSync(root, { recursive: true, force: true });
}, 120_000);

const rc = (args: string[]): CliResult => runProcess(args, { cwd: root, env, timeoutMs: 180_000 });

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  expect(r.stderr).toBe('');
  return r;
}

function status(): Record<string, ServiceStatus> {
  const out: Record<string, ServiceStatus> = {};
  for (const s of (JSON.parse(ok(rc(['status', '--json'])).stdout) as { services: ServiceStatus[] }).services) {
    out[s.name] = s;
    if (s.pid) pids.add(s.pid);
  }
  return out;
}

/** Replaces text that must be in the file exactly once: an edit that silently did nothing would test nothing. */
function edit(file: string, from: string, to: string): void {
  const p = path.join(src, file);
  const text = fs.readFileSync(p, 'utf8');
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`${file}: expected exactly one ${JSON.stringify(from)}`);
  fs.writeFileSync(p, text.slice(0, at) + to + text.slice(at + from.length));
}

/** The contents of the first file called `name` under `dir`: a service's own state directory. */
function findFile(dir: string, name: string): string | undefined {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isFile() && e.name === name) return fs.readFileSync(p, 'utf8');
    if (e.isDirectory()) {
      const found = findFile(p, name);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

const cmdline = (pid: number | undefined): string => fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

async function get(port: string | undefined): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return `${res.status} ${await res.text()}`;
}

test('examples/web-stack: init → plan → apply → real processes → edit → exactly those changes → apply → an empty plan', async () => {
  ok(rc(['init']));
  let r = ok(rc(['plan', 'web-stack', '--out', 'v1.plan']));
  expect(planLines(r.stdout)).toEqual(
    ['longrun.app', 'longrun.app-log', 'longrun.db', 'longrun.heartbeat', 'longrun.proxy', 'oneshot.migrations'].map((a) => `# ${a} will be installed and started because it is new`),
  );
  expect(r.stdout).toMatch(/^Plan: 6 to install, 0 to restart, 0 to reload, 0 to update, 0 to stop, 0 to remove\.$/m);
  // The sensitive variable's value is in no plan output.
  expect(r.stdout).not.toContain('dev-only-password');
  r = ok(rc(['apply', 'v1.plan']));
  expect(r.stdout).toContain('Apply complete! Services: 6 installed.');

  const st1 = status();
  expect(Object.keys(st1).sort()).toEqual(['app', 'app-log', 'db', 'heartbeat', 'migrations', 'proxy']);
  for (const n of ['db', 'app', 'proxy']) expect(st1[n]?.state).toBe('ready');
  for (const n of ['app-log', 'heartbeat']) expect(st1[n]?.state).toBe('up');
  expect(st1['migrations']?.state).toBe('up');
  for (const n of ['db', 'app', 'app-log', 'proxy', 'heartbeat']) expect(alive(st1[n]?.pid)).toBe(true);
  // Ready means ready: the proxy answers through the app, and the app's access log reaches app-log.
  expect(await get(env['RCFORM_VAR_proxy_port'])).toBe('200 hello from the app\n');
  await waitFor('the access log line written by app-log', () => findFile(live, 'app.log')?.includes('"GET / HTTP/1.1" 200'), 30_000);
  const human = ok(rc(['status'])).stdout;
  expect(human).toMatch(new RegExp(`^db +longrun +up +ready +${st1['db']?.pid} `, 'm'));

  // The operator's edits: an argv changed, a rename with `moved`, `down` flipped, one service
  // added and one removed (the migrations oneshot, so the app no longer depends on it).
  edit('heartbeat.hcl', 'sleep 30', 'sleep 15');
  edit('database.hcl', 'longrun "db" {', 'longrun "postgres" {');
  const database = fs.readFileSync(path.join(src, 'database.hcl'), 'utf8');
  edit('database.hcl', database.slice(database.indexOf('\n# Schema migrations')), '\nmoved {\n  from = longrun.db\n  to   = longrun.postgres\n}\n');
  edit('app.hcl', 'depends_on  = [longrun.db, oneshot.migrations]', 'depends_on  = [longrun.postgres]');
  edit('app.hcl', 'contents    = [longrun.db, oneshot.migrations]', 'contents    = [longrun.postgres]');
  edit('app.hcl', 'longrun "proxy" {\n', 'longrun "proxy" {\n  down = true\n');
  fs.writeFileSync(path.join(src, 'worker.hcl'), 'longrun "worker" {\n  run = ["sh", "-c", "while :; do sleep 60; done"]\n}\n');

  r = ok(rc(['plan', 'web-stack', '--out', 'v2.plan']));
  expect(planLines(r.stdout)).toEqual(
    [
      '# longrun.app will be updated in place because dependencies changed, which needs no restart',
      '# longrun.db has moved to longrun.postgres because a moved block renames db to postgres',
      '# longrun.heartbeat will be restarted because run changed',
      '# longrun.proxy will be updated in place and stopped because down changed to true',
      '# longrun.worker will be installed and started because it is new',
      '# oneshot.migrations will be stopped and removed because it is no longer in the source',
    ].sort(),
  );
  expect(r.stdout).toMatch(/^Plan: 1 to install, 1 to restart, 0 to reload, 1 to update, 1 to rename, 1 to stop, 1 to remove\.$/m);
  r = ok(rc(['apply', 'v2.plan']));
  expect(r.stdout).toContain('Apply complete! Services: 1 installed, 1 restarted, 1 updated, 1 renamed, 1 stopped, 1 removed.');

  const st2 = status();
  expect(Object.keys(st2).sort()).toEqual(['app', 'app-log', 'heartbeat', 'postgres', 'proxy', 'worker']);
  // Renamed and updated in place: the same processes. Restarted: a new one, with the new argv.
  expect(st2['postgres']?.pid).toBe(st1['db']?.pid);
  expect(st2['postgres']?.state).toBe('ready');
  expect(st2['app']?.pid).toBe(st1['app']?.pid);
  expect(st2['app-log']?.pid).toBe(st1['app-log']?.pid);
  expect(st2['heartbeat']?.pid).not.toBe(st1['heartbeat']?.pid);
  expect(alive(st1['heartbeat']?.pid)).toBe(false);
  expect(cmdline(st2['heartbeat']?.pid)).toContain('sleep 15');
  expect(st2['proxy']).toMatchObject({ wanted: 'down', state: 'down' });
  await waitFor('the old proxy process gone', () => !alive(st1['proxy']?.pid), 30_000);
  for (const n of ['postgres', 'app', 'app-log', 'heartbeat', 'worker']) expect(alive(st2[n]?.pid)).toBe(true);
  await expect(get(env['RCFORM_VAR_proxy_port'])).rejects.toThrow();
  expect(await get(env['RCFORM_VAR_app_port'])).toBe('200 hello from the app\n');

  r = rc(['plan', 'web-stack', '-detailed-exitcode']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^No changes\./);
  expect(r.code).toBe(0);
}, 300_000);
