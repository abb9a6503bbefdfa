import { afterAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteFileSync } from '../../state/atomic-write.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// compile writes the database in pieces (one per member) so that the text is never held whole.
test('a text written in pieces is the pieces joined, replacing the file whole, with the mode asked for', () => {
  const file = path.join(dir, 'db.json');
  fs.writeFileSync(file, 'old content that is longer than the new one\n');
  const pieces = ['{"a":', '"é\u{1F600}"', ',"b":[1,2]', '}\n'];
  atomicWriteFileSync(file, pieces, { mode: 0o644 });
  expect(fs.readFileSync(file, 'utf8')).toBe(pieces.join(''));
  expect(fs.statSync(file).mode & 0o777).toBe(0o644);
  expect(fs.readdirSync(dir)).toEqual(['db.json']);
});
