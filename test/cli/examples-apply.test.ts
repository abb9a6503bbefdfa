import { afterEach, beforeEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { ServiceStatus } from '../../engine/engine.js';
import { PROJECT_ROOT, runProcess, type CliResult } from '../support/cli-harness.js';
import { alive, killGroups } from '../support/engine-harness.js';

// Every example is applied for real, as a user who copies it would: init, plan, apply exactly
// that plan (the boot example's passphrase from a file, as in CI), every service as the example
// means it, then destroy. examples.test.ts checks they validate; this checks they run.

const examplesDir = path.join(PROJECT_ROOT, 'examples');
const trees = fs
  .readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.readdirSync(path.join(examplesDir, e.name)).some((f) => f.endsWith('.hcl')))
  .map((e) => e.name)
  .sort();

let root: string;
let env: NodeJS.ProcessEnv;
const pids = new Set<number>();

/** A loopback port nobody listens on now: other checkouts run these tests on the same machine. */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

beforeEach(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-examples-'));
  env = { RCFORM_LIVE: path.join(root, 'live'), CI: 'true', RCFORM_VAR_app_port: String(await freePort()), RCFORM_VAR_proxy_port: String(await freePort()) };
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

function copy(name: string): string {
  const dir = path.join(root, name);
  fs.cpSync(path.join(examplesDir, name), dir, { recursive: true });
  return dir;
}

test('the examples the docs describe are all here', () => {
  expect(trees).toEqual(expect.arrayContaining(['boot', 'hello', 'web-stack']));
});

test.each(trees)('examples/%s applies end to end: every service up, then destroyed', (name) => {
  const dir = copy(name);
  ok(rc(['init']));
  const plan = ok(rc(['plan', dir, '--out', 'example.plan']));
  expect(plan.stdout).toMatch(/^Plan: \d+ to install/m);
  const inputs: string[] = [];
  if (name === 'boot') {
    fs.writeFileSync(path.join(root, 'passphrase'), 'correct horse\n', { mode: 0o600 });
    inputs.push('--input', 'unlock-data=@passphrase');
  }
  const applied = rc(['apply', 'example.plan', ...inputs]);
  expect([applied.code, applied.stderr]).toEqual([0, '']);
  expect(applied.stdout).toMatch(/^Apply complete! Services: \d+ installed\. Took /m);

  ok(rc(['compile', dir, '--out', 'db.json']));
  const db = JSON.parse(fs.readFileSync(path.join(root, 'db.json'), 'utf8')) as { services: Record<string, { type: string; down?: boolean }> };
  const st = status();
  expect(Object.keys(st).sort()).toEqual(Object.keys(db.services).sort());
  for (const [svc, def] of Object.entries(db.services)) {
    const want = def.type === 'longrun' && def.down === true ? 'down' : def.type === 'oneshot' ? 'up' : expect.stringMatching(/^(up|ready)$/);
    expect([svc, st[svc]?.state]).toEqual([svc, want]);
    if (def.type === 'longrun' && def.down !== true) expect([svc, alive(st[svc]?.pid)]).toEqual([svc, true]);
  }
  if (name === 'boot') {
    // The passphrase reached the oneshot as a line: its `read` got it.
    const log = ok(rc(['logs', 'unlock-data'])).stdout;
    expect(log).toContain('unlock-data: /dev/sda3 unlocked as /dev/mapper/data');
    expect(log).not.toContain('correct horse');
  }
  const again = ok(rc(['plan', dir, '-detailed-exitcode']));
  expect(again.stdout).toMatch(/^No changes\./);

  const destroyed = rc(['destroy', dir, '--auto-approve', '--allow-essential']);
  expect([destroyed.code, destroyed.stderr]).toEqual([0, '']);
  expect(destroyed.stdout).toMatch(/^Destroy complete! /m);
  expect(Object.keys(status())).toEqual([]);
}, 300_000);

test('examples/web-stack on a port another program holds: the error says the address is in use', async () => {
  const dir = copy('web-stack');
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(Number(env['RCFORM_VAR_app_port']), '127.0.0.1', r));
  try {
    ok(rc(['init']));
    const r = rc(['apply', dir, '--auto-approve']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^Error: longrun\.app: start failed: /m);
    expect(r.stdout).toContain(`127.0.0.1:${env['RCFORM_VAR_app_port']} is already in use`);
    // It failed at once, as s6-supervise gives up on a service whose finish exits 125, not at timeout_up.
    expect(r.stdout).not.toMatch(/timeout_up/);
  } finally {
    await new Promise((r) => holder.close(r));
  }
}, 300_000);
