import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { runProcess, type CliResult } from '../support/cli-harness.js';
import { alive, killGroups } from '../support/engine-harness.js';
import type { ServiceStatus } from '../../engine/engine.js';

// The whole cycle an operator goes through, from HCL source, with the embedded engine:
// init → plan → apply → status shows real processes → edit the source (a run argv, a rename with
// `moved`, `down` flipped, a service added and one removed) → plan shows exactly those changes with
// their reasons → apply → status and processes match → a second plan is empty.

let root: string;
let src: string;
let live: string;
const pids = new Set<number>();

const rc = (args: string[]): CliResult => runProcess(args, { cwd: root, env: { RCFORM_LIVE: live }, timeoutMs: 120_000 });

function status(): Record<string, ServiceStatus> {
  const r = rc(['status', '--json']);
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as { services: ServiceStatus[] } | Record<string, ServiceStatus> | ServiceStatus[];
  const list: ServiceStatus[] = Array.isArray(parsed) ? parsed : Array.isArray((parsed as { services?: unknown }).services) ? (parsed as { services: ServiceStatus[] }).services : Object.values(parsed as Record<string, ServiceStatus>);
  const out: Record<string, ServiceStatus> = {};
  for (const s of list) {
    out[s.name] = s;
    if (s.pid) pids.add(s.pid);
  }
  return out;
}

const V1 = `
longrun "db" {
  run             = ["sh", "-c", "printf '\\\\n' >&3; exec sleep 1000"]
  notification_fd = 3
}

longrun "web" {
  depends_on = [longrun.db]
  run        = ["sleep", "1001"]
}

longrun "worker" {
  run = ["sleep", "1002"]
}

longrun "spare" {
  down = true
  run  = ["sleep", "1003"]
}

oneshot "setup" {
  up = ["true"]
}
`;

const V2 = `
longrun "db" {
  run             = ["sh", "-c", "printf '\\\\n' >&3; exec sleep 1000"]
  notification_fd = 3
}

longrun "web" {
  depends_on = [longrun.db]
  run        = ["sleep", "1004"]
}

moved {
  from = longrun.worker
  to   = longrun.jobs
}

longrun "jobs" {
  run = ["sleep", "1002"]
}

longrun "spare" {
  down = false
  run  = ["sleep", "1003"]
}

longrun "extra" {
  run = ["sleep", "1005"]
}
`;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-e2e-'));
  src = path.join(root, 'src');
  live = path.join(root, 'live');
  fs.mkdirSync(src);
});

afterAll(() => {
  try {
    status();
  } catch {
    // the supervisor may be gone already
  }
  rc(['supervise', '--stop']);
  killGroups([...pids].filter(alive));
  fs.rmSync(root, { recursive: true, force: true });
});

test('init → plan → apply → edit → plan shows exactly the edits → apply → nothing left to do', () => {
  fs.writeFileSync(path.join(src, 'main.hcl'), V1);
  let r = rc(['init']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);

  r = rc(['plan', 'src', '--out', 'v1.plan']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('# longrun.spare will be installed and left down because it is new (down = true)');
  r = rc(['apply', 'v1.plan']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);

  let st = status();
  expect(st['db']?.state).toBe('ready');
  expect(st['web']?.state).toBe('up');
  expect(st['worker']?.state).toBe('up');
  expect(st['spare']?.state).toBe('down');
  expect(st['setup']?.state).toBe('up');
  for (const n of ['db', 'web', 'worker']) expect(alive(st[n]?.pid)).toBe(true);
  const webPid = st['web']?.pid;
  const workerPid = st['worker']?.pid;
  const dbPid = st['db']?.pid;

  fs.writeFileSync(path.join(src, 'main.hcl'), V2);
  r = rc(['plan', 'src', '-detailed-exitcode']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(2);
  const reasons = r.stdout
    .split('\n')
    .filter((l) => /^\s+# (longrun|oneshot)\./.test(l))
    .map((l) => l.trim())
    .sort();
  expect(reasons).toEqual(
    [
      '# longrun.extra will be installed and started because it is new',
      '# longrun.spare will be updated in place and started because down changed to false',
      '# longrun.web will be restarted because run changed',
      '# longrun.worker has moved to longrun.jobs because a moved block renames worker to jobs',
      '# oneshot.setup will be stopped and removed because it is no longer in the source',
    ].sort(),
  );
  expect(r.stdout).toMatch(/^Plan: 1 to install, 1 to start, 1 to restart, 0 to reload, 0 to update, 1 to rename, 0 to stop, 1 to remove\.$/m);

  r = rc(['apply', 'src', '--auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);

  st = status();
  expect(st['worker']).toBeUndefined();
  expect(st['setup']).toBeUndefined();
  expect(st['jobs']?.pid).toBe(workerPid);
  expect(st['db']?.pid).toBe(dbPid);
  expect(st['web']?.pid).not.toBe(webPid);
  expect(alive(webPid)).toBe(false);
  expect(alive(st['web']?.pid)).toBe(true);
  expect(st['spare']?.state).toBe('up');
  expect(st['extra']?.state).toBe('up');
  expect(fs.readFileSync(`/proc/${st['web']?.pid}/cmdline`, 'utf8').split('\0')).toContain('1004');

  r = rc(['plan', 'src', '-detailed-exitcode']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^No changes\./);
}, 300_000);
