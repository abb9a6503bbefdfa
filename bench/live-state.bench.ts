import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CompiledLongrun } from '../lang/compile/compiled-db.js';
import { JournalWriter } from '../state/journal.js';
import { foldJournal } from '../state/journal-fold.js';
import type { JournalEntry } from '../state/journal-types.js';
import { acquireLock } from '../state/lock.js';
import { createStateFile, newState, readState, writeState } from '../state/state-file.js';
import type { ServiceState, State } from '../state/state-types.js';

// The live side's costs that apply pays: durable journal appends (per step), state.json writes
// and reads (per fold), and taking the lock. Figures depend on the file system under $TMPDIR
// (`RCFORM_BENCH_DIR` picks another): fsync on tmpfs is nearly free, on a disk it is not.

const base = process.env['RCFORM_BENCH_DIR'] ?? os.tmpdir();
const dir = fs.mkdtempSync(path.join(base, 'rcform-bench-'));
const fsType = (() => {
  try {
    return fs.statfsSync(dir).type.toString(16);
  } catch {
    return '?';
  }
})();
console.log(`directory ${dir} (statfs type 0x${fsType}${fsType === '1021994' ? ', tmpfs' : ''})`);

function entry(i: number): ServiceState {
  const name = `svc${i}`;
  const definition: CompiledLongrun = {
    type: 'longrun', name, address: `longrun.${name}`, essential: false, dependencies: i > 0 ? [`svc${i - 1}`] : [],
    reverse_dependencies: [], rank: i, definition_hash: randomUUID(), sensitive_paths: [],
    run: { argv: ['/bin/sleep', 'infinity'] }, down: false, env: { PORT: String(8000 + i) },
    timeouts: { up_ms: 5000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 }, down_signal: 'SIGTERM',
    max_death_tally: 100, data: {}, consumer_for: [], lifecycle: { on_change: 'restart' },
  };
  return { address: definition.address, type: 'longrun', definition, definition_hash: definition.definition_hash, desired: 'up', observed: { state: 'ready', pid: 1000 + i, at: new Date().toISOString() } };
}

function ms(t: number): string {
  return t.toFixed(2) + ' ms';
}

try {
  // state.json at 1,000 and 10,000 services.
  for (const n of [1_000, 10_000]) {
    const sub = path.join(dir, `state-${n}`);
    fs.mkdirSync(sub);
    let state: State = { ...newState({ kind: 'embedded' }), services: Object.fromEntries(Array.from({ length: n }, (_, i) => [`svc${i}`, entry(i)])) };
    createStateFile(sub, state);
    state = readState(sub);
    const rounds = n === 1_000 ? 20 : 5;
    let t = performance.now();
    for (let i = 0; i < rounds; i++) state = writeState(sub, state);
    const write = (performance.now() - t) / rounds;
    t = performance.now();
    for (let i = 0; i < rounds; i++) readState(sub);
    const read = (performance.now() - t) / rounds;
    const size = fs.statSync(path.join(sub, 'state.json')).size;
    console.log(`state.json, ${n} services (${(size / 1024 / 1024).toFixed(1)} MiB): write ${ms(write)}, read+verify ${ms(read)}`);
  }

  // Journal: one durable record at a time (a chain of steps), concurrent (a wide DAG), batched.
  const N = 2_000;
  const rec = (i: number): JournalEntry => ({ type: 'step-end', step_id: String(i), action: 'start', service: `svc${i}`, outcome: 'ok', change: { op: 'observe', observed: { state: 'ready', pid: 1000 + i, at: new Date().toISOString() } } });
  {
    const j = await JournalWriter.open(dir, { foldedSeq: 0 });
    const t = performance.now();
    for (let i = 0; i < N; i++) await j.append(rec(i));
    const per = (performance.now() - t) / N;
    await j.close();
    console.log(`journal, ${N} sequential durable appends: ${(per * 1000).toFixed(0)} µs per record`);
  }
  for (const width of [16, 128]) {
    const j = await JournalWriter.open(dir, { foldedSeq: 0 });
    const t = performance.now();
    for (let i = 0; i < N; i += width) await Promise.all(Array.from({ length: width }, (_, k) => j.append(rec(i + k))));
    const per = (performance.now() - t) / N;
    await j.close();
    console.log(`journal, ${N} appends ${width} at a time (group commit): ${(per * 1000).toFixed(0)} µs per record`);
  }
  {
    const j = await JournalWriter.open(dir, { foldedSeq: 0 });
    const t = performance.now();
    await j.appendMany(Array.from({ length: N }, (_, i) => rec(i)));
    const total = performance.now() - t;
    await j.close();
    console.log(`journal, ${N} records in one appendMany: ${ms(total)}`);
  }

  // Folding 2,000 step records into a 10,000-service state (pure).
  {
    const state: State = { ...newState({ kind: 'embedded' }), services: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`svc${i}`, entry(i)])) };
    const records = Array.from({ length: N }, (_, i) => ({ ...rec(i), seq: i + 1, apply_id: 'a', time: 't' })) as Parameters<typeof foldJournal>[1];
    const t = performance.now();
    foldJournal(state, records);
    console.log(`fold ${N} records into 10000 services: ${ms(performance.now() - t)}`);
  }

  // Lock: take and release.
  {
    const rounds = 500;
    const t = performance.now();
    for (let i = 0; i < rounds; i++) (await acquireLock(dir, { operation: 'bench', releaseOnSignal: false })).release();
    console.log(`lock acquire + release: ${(((performance.now() - t) / rounds) * 1000).toFixed(0)} µs`);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
