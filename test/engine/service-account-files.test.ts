import { afterEach, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../support/cli-harness.js';

// A service with a `user` owns its service directory (it starts there and may write there). The
// supervisor, root, keeps its own files in that directory too: a service that replaces them —
// its definition by one without `user`, its status file by a symlink — must not get root to run
// its command as root, or to write through the symlink (docs/security.md).

const asRoot = process.getuid?.() === 0;
let root: string | undefined;
// Durations no other test's process has: the processes this test started are found by them.
const SERVICE_SLEEP = `1608.${process.pid}`;
const CRAFTED_SLEEP = `1609.${process.pid}`;

function pkill(pattern: string): void {
  for (const pid of spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

afterEach(() => {
  if (root) {
    runProcess(['supervise', '--stop', '--live', path.join(root, 'live')]);
    pkill(`sleep ${SERVICE_SLEEP}`);
    pkill(`sleep ${CRAFTED_SLEEP}`);
    fs.rmSync(root, { recursive: true, force: true });
  }
  root = undefined;
});

async function until(what: string, fn: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

(asRoot ? test : test.skip)("a service that replaces the supervisor's files in its directory gains nothing: no run as root, no write through a symlink (needs root)", async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  fs.chmodSync(root, 0o755);
  const live = path.join(root, 'live');
  const victim = path.join(root, 'victim');
  fs.writeFileSync(victim, 'original\n', { mode: 0o644 });
  const proof = path.join(root, 'proof');
  fs.mkdirSync(proof);
  fs.chmodSync(proof, 0o777);
  const crafted = path.join(root, 'crafted.json');
  const go = path.join(root, 'go');
  const attack = [
    `while [ ! -e ${go} ]; do sleep 0.1; done`,
    `cp ${crafted} definition.json.new && mv -f definition.json.new definition.json`,
    `ln -sf ${victim} status.json.new && mv -f status.json.new status.json`,
    `touch ${proof}/attacked`,
    `exec sleep ${SERVICE_SLEEP}`,
  ].join('; ');
  fs.mkdirSync(path.join(root, 'src'));
  fs.writeFileSync(path.join(root, 'src', 'main.hcl'), `longrun "svc" {\n  user = "nobody"\n  run  = ["sh", "-c", ${JSON.stringify(attack)}]\n}\n`);
  expect(runProcess(['init', '--live', live]).code).toBe(0);
  expect(runProcess(['apply', 'src', '--auto-approve', '--live', live], { cwd: root }).code).toBe(0);

  const def = JSON.parse(fs.readFileSync(path.join(live, 'engine', 'services', 'svc', 'definition.json'), 'utf8')) as Record<string, unknown>;
  delete def['user'];
  def['run'] = { argv: ['sh', '-c', `id -u > ${proof}/crafted-ran; exec sleep ${CRAFTED_SLEEP}`] };
  fs.writeFileSync(crafted, JSON.stringify(def), { mode: 0o644 });
  fs.writeFileSync(go, '');
  await until('the attack', () => fs.existsSync(path.join(proof, 'attacked')));

  // The clean stop records each service's status: not through the symlink.
  expect(runProcess(['supervise', '--stop', '--live', live]).code).toBe(0);
  expect(fs.readFileSync(victim, 'utf8')).toBe('original\n');
  // Started again, the supervisor adopts from its files: not from the service's.
  expect(runProcess(['init', '--live', live]).code).toBe(0);
  const log = path.join(live, 'engine', 'supervisor.log');
  await until('the refusal in the supervisor log', () => fs.readFileSync(log, 'utf8').includes('is not adopted'));
  await new Promise((r) => setTimeout(r, 1500));
  expect(fs.existsSync(path.join(proof, 'crafted-ran'))).toBe(false);
  expect(fs.readFileSync(victim, 'utf8')).toBe('original\n');
  expect(fs.readFileSync(log, 'utf8')).toMatch(/services\/svc\/definition\.json is not a file of the supervisor's own \(it was replaced\); svc is not adopted/);
}, 120_000);
