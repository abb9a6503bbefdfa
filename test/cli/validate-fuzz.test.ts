import { afterAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, SHARED } from '../support/cli-harness.js';

// validate and fmt on mutated real files (../shared/hcl and examples/) and on generated bombs
// (deep nesting, long lists, huge strings, invalid UTF-8, NUL): every input must end with a
// result or diagnostics, never an internal error, within PER_INPUT_MS and the worker's heap
// (HEAP_MB, --max-old-space-size). Inputs run in one child process, which reports each start and
// end; an input that runs out of time or memory is named in the failure. The mutations come
// from a seeded generator (the seed is printed), so a failure can be replayed with FUZZ_SEED.

const PER_INPUT_MS = 30_000;
const HEAP_MB = 384;
const MUTATED_PER_SOURCE = 2;
const CORPUS_FILES = 40;

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
let state = seed >>> 0 || 1;
/** xorshift32: small, seedable, good enough to pick mutations. */
function rand(n: number): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const PIECES = [
  '{', '}', '[', ']', '(', ')', '"', '${', '%{', '~}', '<<EOT\n', 'EOT\n', '\n', '#', '/*', '*/', ',', '=', '.', '[*]', '...', '?', ':',
  '=>', '\\', '\\u0000', '$${', 'for x in range(1024) : ', 'if', 'endfor', 'local.', 'var.', 'longrun.', 'each.key', '\u0000', '\ud800', 'é',
  'range(1024)', 'toset(', 'flatten(', 'replace(', 'env = { "../x" = "y" }\n', 'run = ["a\\u0000b"]\n', 'for_each = toset(["a"])\n',
];

function mutate(src: Buffer): Buffer {
  let s = src;
  for (let k = 1 + rand(6); k > 0; k--) {
    const at = rand(s.length + 1);
    switch (rand(5)) {
      case 0: s = Buffer.concat([s.subarray(0, at), s.subarray(at + 1 + rand(16))]); break;
      case 1: s = Buffer.concat([s.subarray(0, at), Buffer.from(PIECES[rand(PIECES.length)]!), s.subarray(at)]); break;
      // A random byte: invalid UTF-8 and control characters included.
      case 2: s = Buffer.concat([s.subarray(0, at), Buffer.from([rand(256)]), s.subarray(at + 1)]); break;
      case 3: { const from = rand(s.length + 1); s = Buffer.concat([s.subarray(0, at), s.subarray(from, from + rand(200)), s.subarray(at)]); break; }
      default: s = s.subarray(0, at + rand(s.length - at + 1));
    }
  }
  return s;
}

const r = (k: number, f: (i: number) => string): string => Array.from({ length: k }, (_, i) => f(i)).join('');

/** Inputs built to be expensive: each is a whole file. */
function bombs(): Record<string, string | Buffer> {
  return {
    'deep brackets': `locals {\n  x = ${'['.repeat(100_000)}${']'.repeat(100_000)}\n}\n`,
    'deep objects': `locals {\n  x = ${'{a='.repeat(50_000)}1${'}'.repeat(50_000)}\n}\n`,
    'deep parens': `locals {\n  x = ${'('.repeat(100_000)}1${')'.repeat(100_000)}\n}\n`,
    'deep blocks': `${'a {\n'.repeat(50_000)}${'}\n'.repeat(50_000)}`,
    'deep template directives': `locals {\n  x = "${'%{ if true }'.repeat(20_000)}x${'%{ endif }'.repeat(20_000)}"\n}\n`,
    'long operator chain': `locals {\n  x = 1${' + 1'.repeat(200_000)}\n}\n`,
    'long traversal': `locals {\n  x = a${'.b'.repeat(200_000)}\n}\n`,
    'long unary chain': `locals {\n  x = ${'!'.repeat(200_000)}true\n}\n`,
    'long list': `longrun "x" {\n  run = [${r(200_000, (i) => `"a${i}", `)}"z"]\n}\n`,
    'long object': `longrun "x" {\n  run = ["a"]\n  env = {${r(100_000, (i) => ` K${i} = "v",`)} }\n}\n`,
    'many blocks': r(30_000, (i) => `longrun "s${i}" {\n  run = ["a"]\n  depends_on = [longrun.s${(i * 7919) % 30_000}]\n}\n`),
    'many labels': `longrun ${r(20_000, (i) => `"l${i}" `)}{\n}\n`,
    'huge string': `longrun "x" {\n  run  = ["a"]\n  data = { f = "${'x'.repeat(20_000_000)}" }\n}\n`,
    'huge heredoc': `longrun "x" {\n  run = <<EOT\n#!/bin/sh\n${'echo hello world\n'.repeat(500_000)}EOT\n}\n`,
    'huge identifier': `${'a'.repeat(5_000_000)} = 1\n`,
    'huge comment': `# ${'c'.repeat(10_000_000)}\n`,
    'newlines': '\n'.repeat(5_000_000),
    'carriage returns': '\r'.repeat(2_000_000),
    'NUL bytes': Buffer.alloc(2_000_000),
    'NUL in values': 'longrun "x" {\n  run = ["a\u0000b"]\n  env = { A = "\u0000" }\n  working_dir = "/\u0000"\n}\n',
    'invalid UTF-8': Buffer.concat([Buffer.from('longrun "x" {\n  run = ["'), Buffer.from(r(200_000, () => '\xff\xfe\xc0').split('').map((c) => c.charCodeAt(0))), Buffer.from('"]\n}\n')]),
    'lone surrogates': `locals {\n  x = "${'\\ud800'.repeat(100_000)}"\n}\n`,
    'for bomb': 'locals {\n  x = [for x in range(1024) : [for y in range(1024) : [for z in range(1024) : z]]]\n}\n',
    'object for bomb': 'locals {\n  x = { for x in range(1024) : x => { for y in range(1024) : y => [for z in range(1024) : z] } }\n}\n',
    'template for bomb': 'locals {\n  x = "%{ for x in range(1024) }%{ for y in range(1024) }%{ for z in range(1024) }z%{ endfor }%{ endfor }%{ endfor }"\n}\n',
    'doubling locals': `locals {\n  a0 = "xxxxxxxxxxxxxxxx"\n${r(60, (i) => `  a${i + 1} = "\${local.a${i}}\${local.a${i}}"\n`)}}\n`,
    'shared lists': `locals {\n  a0 = [1]\n${r(100, (i) => `  a${i + 1} = [local.a${i}, local.a${i}]\n`)}}\nlongrun "x" {\n  run = [jsonencode(local.a100)]\n}\n`,
    'shared comparisons': `locals {\n  a0 = [1]\n${r(100, (i) => `  a${i + 1} = [local.a${i}, local.a${i}]\n`)}  eq = local.a100 == local.a100\n  c = contains([local.a100], local.a99)\n  d = distinct([local.a100, local.a99])\n}\n`,
    'long local chain': `locals {\n${r(50_000, (i) => `  l${i} = local.l${i + 1}\n`)}  l50000 = 1\n}\n`,
    'local cycle': `locals {\n${r(20_000, (i) => `  l${i} = local.l${(i + 1) % 20_000}\n`)}}\n`,
    'dependency cycle': r(20_000, (i) => `longrun "s${i}" {\n  run = ["a"]\n  depends_on = [longrun.s${(i + 1) % 20_000}]\n}\n`),
    'many errors': `locals {\n${'a = 1\n'.repeat(100_000)}}\n`,
    'many instances': `longrun "g" {\n  for_each = toset([for x in range(1024) : "k${'$'}{x}"])\n  run = ["a", each.key]\n}\n`,
    'join of many': `locals {\n  x = join(",", flatten([for x in range(1024) : [for y in range(1024) : "${'$'}{x}-${'$'}{y}"]]))\n}\n`,
    'format expansion': `locals {\n  big = join("", [for x in range(1024) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])\n  x = format("${'%s'.repeat(1024)}", [for x in range(1024) : local.big]...)\n}\n`,
  };
}

test('validate and fmt end in a result or diagnostics on every mutated file and bomb, in bounded time and memory', async () => {
  console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} replays this run)`);
  const sources: { name: string; bytes: Buffer }[] = [];
  for (const f of listFiles(path.join(PROJECT_ROOT, 'examples')).filter((f) => f.endsWith('.hcl')).sort()) {
    sources.push({ name: path.relative(PROJECT_ROOT, f), bytes: fs.readFileSync(f) });
  }
  const corpus = path.join(SHARED, 'hcl/real-world');
  if (fs.existsSync(corpus)) {
    const files = listFiles(corpus).sort();
    const step = Math.max(1, Math.floor(files.length / CORPUS_FILES));
    for (let i = 0; i < files.length; i += step) sources.push({ name: path.relative(SHARED, files[i]!), bytes: fs.readFileSync(files[i]!) });
  } else {
    console.warn(`!! ${corpus} is missing: fuzzing only the examples and the generated bombs, not the real-world files`);
  }
  const inputs: { name: string; bytes: Buffer | string }[] = [];
  for (const s of sources) for (let k = 0; k < MUTATED_PER_SOURCE; k++) inputs.push({ name: `${s.name}, mutation ${k}`, bytes: mutate(s.bytes) });
  for (const [name, bytes] of Object.entries(bombs())) inputs.push({ name, bytes });
  inputs.forEach((input, i) => {
    fs.mkdirSync(path.join(tmp, `in-${i}`));
    fs.writeFileSync(path.join(tmp, `in-${i}`, 'main.hcl'), input.bytes);
  });

  const problems: string[] = [];
  const done = new Set<number>();
  // An input that runs out of time or heap ends the worker; the next one starts after it.
  for (let from = 0; from < inputs.length; ) {
    const stopped = await runWorker(from, inputs.map((x) => x.name), done, problems);
    if (stopped === undefined) break;
    from = stopped + 1;
  }
  expect(problems).toEqual([]);
  expect(done.size).toBe(inputs.length);
}, 1_800_000);

/** Runs the worker from input `from`; the index of the input it stopped at, or undefined when it finished. */
async function runWorker(from: number, names: string[], done: Set<number>, problems: string[]): Promise<number | undefined> {
  const worker = path.join(PROJECT_ROOT, 'dist/test/support/validate-fuzz-worker.js');
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, worker, tmp, String(from)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let current = -1;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  let buffered = '';
  child.stdout.on('data', (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const [word, num, ...rest] = buffered.slice(0, nl).split(' ');
      buffered = buffered.slice(nl + 1);
      const i = Number(num);
      if (word === 'start') {
        current = i;
        clearTimeout(timer);
        timer = setTimeout(() => {
          timedOut = true;
          problems.push(`${names[i]}: not done in ${PER_INPUT_MS} ms`);
          child.kill('SIGKILL');
        }, PER_INPUT_MS);
      } else {
        done.add(i);
        if (word === 'internal') problems.push(`${names[i]}: ${rest.join(' ')}`);
      }
    }
  });
  const exit = await new Promise<string>((resolve) => child.on('close', (code, signal) => resolve(signal ?? String(code))));
  clearTimeout(timer);
  if (exit === '0') return undefined;
  if (current < 0 || done.has(current)) {
    problems.push(`the worker failed outside an input (${exit}): ${stderr.slice(-300)}`);
    return undefined;
  }
  if (!timedOut) problems.push(`${names[current]}: the worker died (${exit}${/heap/i.test(stderr) ? ', out of heap' : ''}) ${stderr.slice(-300)}`);
  return current;
}
