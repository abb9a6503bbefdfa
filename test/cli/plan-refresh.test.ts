import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import { CLI, runInProcess } from '../support/cli-harness.js';
import { killGroups, tempLive, waitFor } from '../support/engine-harness.js';
import { buildDb } from '../support/compiled-fixture.js';
import { stateFromCompiled } from '../../planner/state-from-compiled.js';
import { createStateFile } from '../../state/state-file.js';

// Refresh against a real supervisor: the plan shows what the engine reports, not what the state
// claims — a process that died, a service the engine never heard of — and corrects it.

let live: string;
let sup: ChildProcess | undefined;
const pids = new Set<number>();

beforeEach(() => {
  live = tempLive();
});
afterEach(async () => {
  if (sup && sup.exitCode === null && sup.signalCode === null) {
    const done = new Promise((r) => sup!.once('exit', r));
    sup.kill('SIGTERM');
    await done;
  }
  sup = undefined;
  killGroups(pids);
  pids.clear();
  fs.rmSync(live, { recursive: true, force: true });
});

const compiled = () =>
  buildDb({
    sleeper: { type: 'longrun', run: { argv: ['sleep', '600'] }, timeouts: { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 5000 } },
    ghost: { type: 'longrun', run: { argv: ['sleep', '601'] }, timeouts: { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 5000 } },
  });

test('plan refreshes from the engine: a stopped process and an unknown service are drift, corrected by the plan', async () => {
  const db = compiled();
  const dbFile = path.join(live, '..', `${path.basename(live)}-compiled.json`);
  fs.writeFileSync(dbFile, JSON.stringify(db));
  try {
    createStateFile(live, { ...stateFromCompiled(db, { kind: 'embedded' }), lineage: '1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b', journal_seq: 0 });
    // With no supervisor running, what runs cannot be known (started, it would bring back what
    // was up): plan refuses, and says how to start it or to plan from the state alone.
    let r = await runInProcess(['plan', '--compiled', dbFile, '--live', live]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`the embedded supervisor of ${live} is not running, so what runs cannot be known`);
    expect(r.stderr).toContain(`"rcform init --live ${live}"`);
    expect(r.stderr).toContain('--refresh=false');
    expect(r.stdout).toBe('');

    sup = spawn(process.execPath, [CLI, 'supervise', '--live', live], { stdio: ['ignore', 'ignore', 'pipe'] });
    const engine = await waitFor('supervisor socket', () => EmbeddedEngine.connect(live).catch(() => undefined));
    try {
      await engine.install(db.services['sleeper'] as never);
      await engine.start('sleeper', { timeoutMs: 10_000 });
      const st = await engine.status();
      if (st['sleeper']?.pid) pids.add(st['sleeper'].pid);
    } finally {
      await engine.close();
    }

    r = await runInProcess(['plan', '--compiled', dbFile, '--live', live, '-detailed-exitcode']);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toContain('longrun.sleeper:');
    expect(r.stdout).toContain('# longrun.ghost: recorded up, but the engine does not know it');
    expect(r.stdout).toContain('# longrun.ghost will be installed and started because the engine does not know it');
    expect(r.stdout).toContain('Plan: 1 to install');

    const out = path.join(live, '..', `${path.basename(live)}.plan`);
    r = await runInProcess(['plan', '--compiled', dbFile, '--live', live, '--out', out]);
    const saved = JSON.parse(fs.readFileSync(out, 'utf8'));
    fs.rmSync(out);
    expect(saved.observed.source).toBe('engine');
    expect(saved.observed.services).toEqual({ ghost: { state: 'absent' } });
    expect(saved.engine).toEqual({ kind: 'embedded' });

    // --refresh=false believes the state: no drift, no changes.
    r = await runInProcess(['plan', '--compiled', dbFile, '--live', live, '--refresh=false', '-detailed-exitcode']);
    expect(r.code).toBe(0);
  } finally {
    fs.rmSync(dbFile, { force: true });
  }
});
