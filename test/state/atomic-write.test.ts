import { afterAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteFile, atomicWriteFileSync } from '../../state/atomic-write.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// compile writes the database in pieces (one per member) so that the text is never held whole.
test('a text written in pieces is the pieces joined, replacing the file whole, with the mode asked for', () => {
  const file = path.join(dir, 'db.json');
  fs.writeFileSync(file, 'old content that is longer than the new one\n');
  const pieces = ['{"a":', '"é\u{1F600}"', ',"b":[1,2]', '}\n'];
  atomicWriteFileSync(file, pieces, { policy: 'durable', mode: 0o644 });
  expect(fs.readFileSync(file, 'utf8')).toBe(pieces.join(''));
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  expect(fs.readdirSync(dir)).toEqual(['db.json']);
});

const POLICIES = ['durable', 'replace-only'] as const;

describe.each(POLICIES)('the %s policy', (policy) => {
  const sub = (name: string): string => {
    const d = path.join(dir, `${policy}-${name}`);
    fs.mkdirSync(d);
    return d;
  };

  test('gives the new file exactly the mode asked for, whatever the umask', async () => {
    const d = sub('mode');
    const old = process.umask(0o077);
    try {
      atomicWriteFileSync(path.join(d, 'run'), '#!/bin/sh\n', { policy, mode: 0o755 });
      await atomicWriteFile(path.join(d, 'conf'), 'x', { policy, mode: 0o644 });
      atomicWriteFileSync(path.join(d, 'secret'), 'x', { policy });
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(path.join(d, 'run')).mode & 0o7777).toBe(0o755);
    expect(fs.statSync(path.join(d, 'conf')).mode & 0o7777).toBe(0o644);
    expect(fs.statSync(path.join(d, 'secret')).mode & 0o7777).toBe(0o600);
  });

  test('a write that fails part-way leaves the old file as it was and no temp file', () => {
    const d = sub('fail');
    const file = path.join(d, 'state.json');
    fs.writeFileSync(file, 'old\n');
    // The second piece is not writable data: the first is already in the temp file when it throws.
    expect(() => atomicWriteFileSync(file, ['new', 42 as unknown as string], { policy })).toThrow();
    expect(fs.readFileSync(file, 'utf8')).toBe('old\n');
    expect(fs.readdirSync(d)).toEqual(['state.json']);
  });

  test('a symlink at the target is replaced by the new file, never written through', async () => {
    const d = sub('link');
    const victim = path.join(d, 'victim');
    fs.writeFileSync(victim, 'untouched\n');
    fs.symlinkSync(victim, path.join(d, 'a'));
    fs.symlinkSync(victim, path.join(d, 'b'));
    atomicWriteFileSync(path.join(d, 'a'), 'new\n', { policy });
    await atomicWriteFile(path.join(d, 'b'), 'new\n', { policy });
    expect(fs.readFileSync(victim, 'utf8')).toBe('untouched\n');
    for (const n of ['a', 'b']) {
      expect(fs.lstatSync(path.join(d, n)).isFile()).toBe(true);
      expect(fs.readFileSync(path.join(d, n), 'utf8')).toBe('new\n');
    }
  });

  test('an owner is given the file before it takes the name', () => {
    if (process.getuid?.() !== 0) return; // chown to another account needs root
    const d = sub('owner');
    atomicWriteFileSync(path.join(d, 'run'), 'x', { policy, mode: 0o700, owner: { uid: 4242, gid: 4343 } });
    const st = fs.statSync(path.join(d, 'run'));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([4242, 4343, 0o700]);
  });
});
