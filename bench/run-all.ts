import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm run bench`: runs every compiled benchmark (dist/bench/*.bench.js) one after the other, each
// in its own process so that one benchmark's heap does not skew the next one's figures.

const here = path.dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.js') && (!filter || f.includes(filter)))
  .sort();

let failed = 0;
for (const file of benches) {
  process.stdout.write(`\n== ${file.replace(/\.bench\.js$/, '')} ==\n`);
  const r = spawnSync(process.execPath, [path.join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`${file} failed (exit ${r.status ?? r.signal})\n`);
  }
}
if (benches.length === 0) process.stdout.write('no benchmarks found\n');
process.exitCode = failed ? 1 : 0;
