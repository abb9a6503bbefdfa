import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { journalFiles, JournalWriter, readJournal } from '../../state/journal.js';
import { foldJournal } from '../../state/journal-fold.js';
import type { JournalEntry } from '../../state/journal-types.js';
import { LiveDir } from '../../state/live-dir.js';
import { createStateFile, newState, readState } from '../../state/state-file.js';
import type { ServiceState } from '../../state/state-types.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function entry(name: string, desired: 'up' | 'down' = 'up'): ServiceState {
  return {
    address: `longrun.${name}`,
    type: 'longrun',
    definition_hash: `h-${name}`,
    desired,
    definition: { type: 'longrun', name, address: `longrun.${name}`, definition_hash: `h-${name}` } as unknown as ServiceState['definition'],
  };
}

function stepEnd(step: string, service: string, change?: (JournalEntry & { type: 'step-end' })['change']): JournalEntry {
  return { type: 'step-end', step_id: step, action: 'install', service, outcome: 'ok', ...(change ? { change } : {}) };
}

describe('journal', () => {
  test('appends are durable records with increasing seq, readable back in order', async () => {
    const j = await JournalWriter.open(dir, { foldedSeq: 0, applyId: 'a1' });
    const first = await j.append({ type: 'apply-start', lineage: 'l', base_serial: 0, compiled_hash: 'c', steps: 2 });
    // Not awaited one by one: concurrent appends share fsyncs but keep call order.
    const many = await Promise.all([
      j.append({ type: 'step-start', step_id: 's1', action: 'install', service: 'web' }),
      j.append({ type: 'step-start', step_id: 's2', action: 'install', service: 'db' }),
      j.appendMany([stepEnd('s1', 'web', { op: 'put', entry: entry('web') }), stepEnd('s2', 'db', { op: 'put', entry: entry('db') })]),
    ]);
    await j.close();
    expect(first.seq).toBe(1);
    const { records, problems } = readJournal(dir);
    expect(problems).toEqual([]);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records.map((r) => r.type)).toEqual(['apply-start', 'step-start', 'step-start', 'step-end', 'step-end']);
    expect(records.every((r) => r.apply_id === 'a1' && !Number.isNaN(Date.parse(r.time)))).toBe(true);
    expect(many[2]).toHaveLength(2);
    expect(fs.statSync(j.file).mode & 0o777).toBe(0o600);
    // The next apply continues the sequence in a new file.
    const j2 = await JournalWriter.open(dir, { foldedSeq: 0 });
    expect((await j2.append({ type: 'step-start', step_id: 'x', action: 'stop', service: 'web' })).seq).toBe(6);
    await j2.close();
    expect(readJournal(dir, 5).records.map((r) => r.seq)).toEqual([6]);
  });

  test('a record that need not be durable is still in the file when its append resolves', async () => {
    const j = await JournalWriter.open(dir, { foldedSeq: 0, applyId: 'a2' });
    await j.append({ type: 'step-start', step_id: 'start:web', action: 'start', service: 'web' }, { durable: false });
    // Read back before close: a crash of rcform from here on cannot lose it (the kernel has it).
    expect(readJournal(dir).records.map((r) => (r.type === 'step-start' ? r.step_id : r.type))).toEqual(['start:web']);
    await j.append({ type: 'step-start', step_id: 'install:db', action: 'install', service: 'db' });
    await j.close();
    expect(readJournal(dir).records.map((r) => r.seq)).toEqual([1, 2]);
  });

  test('appends resolve in seq order: one that needs no fsync waits for the fsync of those before it', async () => {
    const j = await JournalWriter.open(dir, { foldedSeq: 0, applyId: 'a3' });
    const resolved: number[] = [];
    const first = j.append({ type: 'step-end', step_id: 'install:db', action: 'install', service: 'db', outcome: 'ok' }).then((r) => resolved.push(r.seq));
    const second = j.append({ type: 'step-start', step_id: 'start:web', action: 'start', service: 'web' }, { durable: false }).then((r) => resolved.push(r.seq));
    // Both are written at once, before any fsync is done.
    expect(readJournal(dir).records.map((r) => r.seq)).toEqual([1, 2]);
    await Promise.all([first, second]);
    // Whoever folds records as they resolve (apply) must never see 2 before 1.
    expect(resolved).toEqual([1, 2]);
    await j.close();
  });

  test('a writer killed at random moments: every record it was told is durable is there, in order', async () => {
    const child = path.join(path.dirname(fileURLToPath(import.meta.url)), '../support/journal-child.js');
    for (let round = 0; round < 4; round++) {
      const sub = fs.mkdtempSync(path.join(dir, 'kill-'));
      const proc = spawn(process.execPath, [child, sub], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      const exited = new Promise((r) => proc.once('exit', r));
      const want = 20 + Math.floor(Math.random() * 200);
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (c) => {
          out += c;
          if (out.split('\n').length > want) resolve();
        });
        proc.once('exit', () => reject(new Error(`journal child exited early: ${out.slice(-200)}`)));
      });
      proc.kill('SIGKILL');
      await exited;
      const durable = out.split('\n').filter(Boolean).map(Number);
      const { records, problems } = readJournal(sub);
      const seqs = records.map((r) => r.seq);
      // Contiguous from 1: nothing reordered, nothing missing in the middle.
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(seqs.length).toBeGreaterThanOrEqual(Math.max(...durable));
      // Only the very last line may be torn.
      expect(problems.every((p) => p.torn)).toBe(true);
      expect(problems.length).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  test('a torn last line (a crash mid-write) is tolerated and reported', async () => {
    const j = await JournalWriter.open(dir, { foldedSeq: 0, applyId: 'a1' });
    await j.append({ type: 'step-start', step_id: 's1', action: 'start', service: 'web' });
    await j.close();
    fs.appendFileSync(j.file, '{"seq":2,"type":"step-end","apply_id":"a1","ste');
    const { records, problems } = readJournal(dir);
    expect(records.map((r) => r.seq)).toEqual([1]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: j.file, line: 2, torn: true });
    expect(problems[0]?.message).toMatch(/last record is incomplete/);
    // The next apply starts after the last complete record.
    const j2 = await JournalWriter.open(dir, { foldedSeq: 0 });
    expect((await j2.append({ type: 'step-start', step_id: 's1', action: 'start', service: 'web' })).seq).toBe(2);
    await j2.close();
  });

  test('bounded: keeps the last N applies, but never one not yet folded into state', async () => {
    for (let i = 0; i < 5; i++) {
      const j = await JournalWriter.open(dir, { foldedSeq: 0, keep: 3 });
      await j.append({ type: 'step-start', step_id: 's', action: 'start', service: 'web' });
      await j.close();
    }
    // Nothing folded (foldedSeq 0): all five kept.
    expect(journalFiles(dir)).toHaveLength(5);
    const j = await JournalWriter.open(dir, { foldedSeq: 5, keep: 3 });
    await j.close();
    expect(journalFiles(dir)).toHaveLength(3);
    expect(readJournal(dir).records.map((r) => r.seq)).toEqual([4, 5]);
  });

  test('folding: ok step ends change services; failed ones and already-folded records do not', () => {
    const base = { ...newState({ kind: 'embedded' }), services: { old: entry('old'), web: entry('web') } };
    const recs = [
      { seq: 1, apply_id: 'a', time: 't', type: 'apply-start', lineage: base.lineage, base_serial: 0, compiled_hash: 'c2', steps: 4 },
      { seq: 2, apply_id: 'a', time: 't', type: 'step-end', step_id: '1', action: 'install', service: 'db', outcome: 'ok', change: { op: 'put', entry: entry('db') } },
      { seq: 3, apply_id: 'a', time: 't', type: 'step-end', step_id: '2', action: 'start', service: 'web', outcome: 'ok', change: { op: 'observe', observed: { state: 'ready', pid: 42, at: 't' } } },
      { seq: 4, apply_id: 'a', time: 't', type: 'step-end', step_id: '3', action: 'uninstall', service: 'old', outcome: 'failed', error: 'boom', change: { op: 'remove' } },
      { seq: 5, apply_id: 'a', time: 't', type: 'step-end', step_id: '4', action: 'rename', service: 'web', outcome: 'ok', change: { op: 'rename', to: 'www' } },
      { seq: 6, apply_id: 'a', time: 't', type: 'apply-end', outcome: 'ok', compiled_hash: 'c2', done: 3, failed: 1, not_started: 0 },
    ] as const;
    const folded = foldJournal(base, recs as never);
    expect(Object.keys(folded.services).sort()).toEqual(['db', 'old', 'www']);
    expect(folded.services['www']?.observed).toEqual({ state: 'ready', pid: 42, at: 't' });
    expect(folded.compiled_hash).toBe('c2');
    expect(folded.journal_seq).toBe(6);
    expect(base.services['web']).toBeDefined(); // pure: the input is untouched
    // Folding again, or folding a prefix already folded, changes nothing.
    expect(foldJournal(folded, recs as never)).toBe(folded);
    const half = foldJournal(base, recs.slice(0, 3) as never);
    expect(foldJournal(half, recs as never)).toEqual(folded);
  });

  test("folding: a refresh record writes what the engine reported of a drifted service, before the steps' records", () => {
    const base = { ...newState({ kind: 'embedded' }), services: { web: { ...entry('web'), desired: 'down' as const } } };
    const recs = [
      { seq: 1, apply_id: 'a', time: 't', type: 'apply-start', lineage: base.lineage, base_serial: 0, compiled_hash: 'c', steps: 0 },
      { seq: 2, apply_id: 'a', time: 't', type: 'refresh', service: 'web', change: { op: 'observe', observed: { state: 'ready', at: 't' }, desired: 'up' } },
      { seq: 3, apply_id: 'a', time: 't', type: 'refresh', service: 'gone', change: { op: 'observe', observed: { state: 'up', at: 't' }, desired: 'up' } },
    ] as const;
    const folded = foldJournal(base, recs as never);
    expect(folded.services['web']?.desired).toBe('up');
    expect(folded.services['web']?.observed?.state).toBe('ready');
    // A service the state does not hold stays unknown: a refresh never invents an entry.
    expect(folded.services['gone']).toBeUndefined();
  });

  test('recovery after a crash folds what state.json does not show yet', async () => {
    createStateFile(dir, newState({ kind: 'embedded' }));
    const j = await JournalWriter.open(dir, { foldedSeq: 0 });
    await j.append({ type: 'step-start', step_id: 's1', action: 'install', service: 'web' });
    await j.append(stepEnd('s1', 'web', { op: 'put', entry: entry('web') }));
    // The process dies here: no close, no fold.
    const r = new LiveDir(dir).recover();
    expect(r.folded).toBe(2);
    expect(r.state.serial).toBe(1);
    expect(readState(dir).services['web']?.address).toBe('longrun.web');
    expect(readState(dir).journal_seq).toBe(2);
    expect(new LiveDir(dir).recover().folded).toBe(0);
    await j.close();
  });
});
