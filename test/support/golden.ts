import fs from 'node:fs';
import path from 'node:path';

// Golden files: the exact text a reviewer reads, committed next to the tests. `UPDATE_GOLDEN=1
// npm test` rewrites them from the current output; read the diff before committing it.

export const UPDATING = process.env['UPDATE_GOLDEN'] === '1' || process.env['UPDATE_GOLDEN'] === 'true';

export class GoldenMismatch extends Error {}

/**
 * Compares `actual` with the golden file, or writes it when UPDATE_GOLDEN is set. Throws
 * GoldenMismatch naming the file and the first differing line, so a failure says where to look.
 */
export function assertGolden(file: string, actual: string, updating: boolean = UPDATING): void {
  if (updating) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = fs.readFileSync(file, 'utf8');
  } catch {
    throw new GoldenMismatch(`golden file ${file} is missing; create it with UPDATE_GOLDEN=1`);
  }
  if (expected === actual) return;
  const a = actual.split('\n');
  const e = expected.split('\n');
  let i = 0;
  while (i < a.length && i < e.length && a[i] === e[i]) i++;
  throw new GoldenMismatch(
    `output differs from ${file} at line ${i + 1}:\n  golden: ${JSON.stringify(e[i] ?? '<end of file>')}\n  actual: ${JSON.stringify(a[i] ?? '<end of output>')}\n` +
      'If the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff.',
  );
}
