import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledDb, CompiledLongrun } from '../lang/compile/compiled-db.js';
import { closuresByName } from '../lang/compile/closures.js';
import { compiledSchemaDigest } from '../lang/compile/compile.js';
import { sleepLongrun } from './support/sleep-longrun.js';
import { EmbeddedEngine } from '../engine/embedded/client.js';
import { startEngine } from '../engine/open-engine.js';
import { readJournal } from '../state/journal.js';
import { createStateFile, newState } from '../state/state-file.js';

// apply through the real CLI against the embedded supervisor (issue 6): 1,000 longruns brought up
// as a chain (every start waits for the previous one: per-transition overhead is what shows) and
// as a wide DAG (ten layers: the critical path, not rcform, should bound it), and a restart of one
// service with 100 dependents. Services are `sleep`, up as soon as spawned, so the time is rcform's
// and the supervisor's. Target: under 2 ms of rcform overhead per serial transition (s6-rc with s6
// takes about 5.5 ms per transition on a 1,000-long chain here).

const N = Number(process.env['BENCH_SERVICES'] ?? 1000);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');

/** Fills in what the compiler derives (reverse dependencies, ranks, hashes). */
function database(services: CompiledLongrun[]): CompiledDb {
  const byName = new Map(services.map((s) => [s.name, s]));
  const order = [...services];
  for (const s of order) {
    s.rank = s.dependencies.length === 0 ? 0 : Math.max(...s.dependencies.map((d) => (byName.get(d) as CompiledLongrun).rank)) + 1;
    for (const d of s.dependencies) (byName.get(d) as CompiledLongrun).reverse_dependencies.push(s.name);
    s.definition_hash = sha(s.name);
  }
  for (const s of order) s.reverse_dependencies.sort();
  const db: CompiledDb = { format_version: '1', schema: compiledSchemaDigest(), hash: '', services: {}, order: [], closures: {}, bundles: {}, moved: [] };
  for (const s of [...order].sort((a, b) => (a.name < b.name ? -1 : 1))) db.services[s.name] = s;
  Object.assign(db, closuresByName(db.services));
  db.hash = sha(JSON.stringify(db.services));
  return db;
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function chain(n: number): CompiledDb {
  const out: CompiledLongrun[] = [];
  for (let i = 0; i < n; i++) out.push(sleepLongrun(`c${String(i).padStart(4, '0')}`, i === 0 ? [] : [`c${String(i - 1).padStart(4, '0')}`]));
  return database(out);
}

/** Ten layers; each service needs 1–3 services of the layer before (deterministic pseudo-random). */
function wide(n: number, layers = 10): CompiledDb {
  const per = Math.ceil(n / layers);
  const out: CompiledLongrun[] = [];
  let seed = 42;
  const rnd = (k: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % k);
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < per && out.length < n; i++) {
      const deps = new Set<string>();
      if (l > 0) for (let k = 0, m = 1 + rnd(3); k < m; k++) deps.add(`w${l - 1}-${rnd(per)}`);
      out.push(sleepLongrun(`w${l}-${i}`, [...deps]));
    }
  }
  return database(out);
}

function star(dependents: number): CompiledDb {
  const out = [sleepLongrun('root', [])];
  for (let i = 0; i < dependents; i++) out.push(sleepLongrun(`leaf${i}`, ['root']));
  return database(out);
}

interface Run {
  wallMs: number;
  steps: number;
  /** Time from the first start step's start to the last start step's end, from the journal. */
  startSpanMs: number;
  starts: number;
}

async function applyOnce(dir: string, live: string, db: CompiledDb, extra: string[] = []): Promise<Run> {
  const dbFile = path.join(dir, 'db.json');
  fs.writeFileSync(dbFile, JSON.stringify(db));
  const env = { ...process.env, RCFORM_LIVE: live, NO_COLOR: '1' };
  const plan = spawnSync(process.execPath, [CLI, 'plan', '--compiled', dbFile, '--out', path.join(dir, 'p.plan'), ...extra], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
  const before = readJournal(live).records.length;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'apply', path.join(dir, 'p.plan'), '--parallelism', '1000'], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`apply failed: ${r.stderr}\n${r.stdout.slice(-2000)}`);
  const records = readJournal(live).records.slice(before);
  const starts = records.filter((x) => x.type === 'step-start' && x.action === 'start');
  const startEnds = records.filter((x) => x.type === 'step-end' && x.action === 'start');
  const first = Math.min(...starts.map((x) => Date.parse(x.time)));
  const last = Math.max(...startEnds.map((x) => Date.parse(x.time)));
  return { wallMs, steps: records.filter((x) => x.type === 'step-end').length, startSpanMs: last - first, starts: starts.length };
}

async function scenario(name: string, fn: (dir: string, live: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-apply-'));
  const live = path.join(dir, 'live');
  fs.mkdirSync(live, { mode: 0o700 });
  createStateFile(live, newState({ kind: 'embedded' }));
  await startEngine(live, { kind: 'embedded' });
  try {
    await fn(dir, live);
  } catch (err) {
    process.stdout.write(`${name}: failed: ${(err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    const e = await EmbeddedEngine.connect(live);
    await e.shutdown().catch(() => undefined);
    await e.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const f = (ms: number): string => `${ms.toFixed(0)} ms`;

await scenario('chain', async (dir, live) => {
  const r = await applyOnce(dir, live, chain(N));
  process.stdout.write(
    `chain of ${N}: apply ${f(r.wallMs)} wall for ${r.steps} steps; ${r.starts} serial starts in ${f(r.startSpanMs)} = ` +
      `${(r.startSpanMs / r.starts).toFixed(2)} ms per transition (target < 2 ms; s6-rc on s6: ~5.5 ms)\n`,
  );
});

await scenario('wide', async (dir, live) => {
  const db = wide(N);
  const depth = Math.max(...Object.values(db.services).map((s) => s.rank)) + 1;
  const r = await applyOnce(dir, live, db);
  process.stdout.write(
    `wide DAG of ${N} (${depth} layers): apply ${f(r.wallMs)} wall; starts spanned ${f(r.startSpanMs)} = ` +
      `${(r.startSpanMs / depth).toFixed(1)} ms per layer of the critical path, ${(r.startSpanMs / r.starts).toFixed(2)} ms per start\n`,
  );
});

await scenario('restart', async (dir, live) => {
  const db = star(100);
  await applyOnce(dir, live, db);
  const r = await applyOnce(dir, live, db, ['--replace', 'longrun.root']);
  process.stdout.write(`restart of one service with 100 dependents: apply ${f(r.wallMs)} wall for ${r.steps} steps (101 stops, 101 starts)\n`);
});
