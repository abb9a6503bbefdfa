import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { logGenerations, rotateIfNeeded, tailLinesTimed } from '../../../engine/embedded/log-file.js';
import { LogClock, readLogTimes, timesFileOf } from '../../../engine/embedded/log-times.js';

// The clock of an embedded log: the supervisor's size checks say by when each line was written,
// the times move with their generation when the log rotates, and the clock stays small.

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  file = path.join(dir, 'current');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (s: string) => `${s} ${'x'.repeat(40)}\n`;

test('each line gets the first check that saw it; lines no check has seen get none', () => {
  const clock = new LogClock();
  const policy = { maxBytes: 1 << 20, keep: 3 };
  fs.writeFileSync(file, line('one'));
  clock.sample(file, fs.statSync(file).size, new Date('2026-01-01T00:00:01.000Z'));
  fs.appendFileSync(file, line('two') + line('three'));
  clock.sample(file, fs.statSync(file).size, new Date('2026-01-01T00:00:02.000Z'));
  fs.appendFileSync(file, line('four'));
  expect(rotateIfNeeded(file, policy)).toBe(false);
  expect(tailLinesTimed(file, 10).map((l) => [l.line.split(' ')[0], l.at])).toEqual([
    ['one', '2026-01-01T00:00:01.000Z'],
    ['two', '2026-01-01T00:00:02.000Z'],
    ['three', '2026-01-01T00:00:02.000Z'],
    ['four', undefined],
  ]);
});

test('a rotation moves the times with their generation; the new current starts a clock of its own', () => {
  const clock = new LogClock();
  const policy = { maxBytes: 100, keep: 3 };
  fs.writeFileSync(file, line('a1') + line('a2') + line('a3'));
  expect(rotateIfNeeded(file, policy, clock)).toBe(true);
  expect(fs.existsSync(timesFileOf(`${file}.1`))).toBe(true);
  expect(fs.existsSync(timesFileOf(file))).toBe(false);
  fs.writeFileSync(file, line('b1'));
  rotateIfNeeded(file, policy, clock);
  const timed = tailLinesTimed(file, 10);
  expect(timed.map((l) => l.line.split(' ')[0])).toEqual(['a1', 'a2', 'a3', 'b1']);
  for (const l of timed) expect(l.at).toMatch(/^\d{4}-\d\d-\d\dT/);
  // The clock files are not log generations.
  expect(logGenerations(file)).toEqual([`${file}.1`, file]);
});

test('the clock stays small: tiny writes wait for more growth or ten seconds', () => {
  const clock = new LogClock();
  let size = 0;
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  for (let s = 0; s < 600; s++) {
    size += 2; // one short line a second
    clock.sample(file, size, new Date(t0 + s * 1000));
  }
  const samples = readLogTimes(file);
  expect(samples.length).toBeLessThanOrEqual(61);
  expect(fs.statSync(timesFileOf(file)).size).toBeLessThanOrEqual(size * 2);
});
