import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Io } from '../../cli/command.js';
import { runCli } from '../../cli/run.js';

// Runs `validate` and `fmt -check` on each input directory under argv[2] (in-0, in-1, ..., from
// the index argv[3]), in
// this one process, and reports on stdout as it goes: "start N", then "done N CODE,CODE" or
// "internal N message". The parent bounds each input's time (it kills the process when an input
// does not finish in time) and memory (this process's heap is capped by --max-old-space-size).

async function run(argv: string[]): Promise<{ code: number; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  stdin.end();
  let err = '';
  stdout.resume();
  stderr.on('data', (c) => (err += c));
  const io: Io = { stdout, stderr, stdin, env: { NO_COLOR: '1' }, cwd: process.cwd(), color: false };
  const code = await runCli(argv, io);
  return { code, stderr: err };
}

const root = process.argv[2] as string;
const count = fs.readdirSync(root).filter((d) => d.startsWith('in-')).length;
for (let i = Number(process.argv[3] ?? 0); i < count; i++) {
  const dir = path.join(root, `in-${i}`);
  fs.writeSync(1, `start ${i}\n`);
  const v = await run(['validate', dir]);
  const f = await run(['fmt', '-check', dir]);
  const bad = [v, f].find((r) => r.stderr.includes('internal error') || ![0, 1, 2, 3].includes(r.code));
  if (bad) fs.writeSync(1, `internal ${i} ${JSON.stringify(bad.stderr.slice(0, 500))}\n`);
  else fs.writeSync(1, `done ${i} ${v.code},${f.code}\n`);
}
