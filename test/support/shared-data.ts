import fs from 'node:fs';
import path from 'node:path';
import { SHARED } from './cli-harness.js';

// The data some tests read from ../shared (the HCL corpus, the spec suite): a checkout cloned
// anywhere else has none. Those tests are skipped then, LOUDLY, naming what is missing and where
// it was looked for; everything else runs.

/** The directory `rel` under ../shared, or undefined (and a warning) when it is not there. */
export function sharedDir(rel: string, suite: string): string | undefined {
  const dir = path.join(SHARED, rel);
  if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) return dir;
  // Straight to stderr: jest shows no console output of a suite whose every test is skipped.
  process.stderr.write(`\n*** ${suite}: SKIPPED: it needs ../shared/${rel} beside this checkout (${dir} is missing) ***\n`);
  return undefined;
}
