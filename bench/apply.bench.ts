import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_FORMAT_VERSION, type CompiledDb, type CompiledLongrun } from '../lang/compile/compiled-db.js';
import { closuresByName } from '../lang/compile/closures.js';
import { compiledSchemaDigest } from '../lang/compile/compile.js';
import { sleepLongrun } from './support/sleep-longrun.js';
import { EmbeddedEngine, type SupervisorStats } from '../engine/embedded/client.js';
import { startEngine } from '../engine/open-engine.js';
import { readJournal } from '../state/journal.js';
import { createStateFile, newState } from '../state/state-file.js';

// apply through the real CLI against the embedded supervisor (issue 6): 1,000 longruns brought up
// as a chain (every start waits for the previous one: per-transition overhead is what shows) and
// as a wide DAG (ten layers: the critical path, not rcform, should bound it), and a restart of one
// service with 100 dependents. Services are `sleep`, up as soon as spawned, so the time is rcform's
// and the supervisor's. Target: under 2 ms of rcform overhead per serial transition (s6-rc's own
// figure beside it: docs/benchmarks.md).

const N = Number(process.env['BENCH_SERVICES'] ?? 1000);
const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const FLOOR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'support/transition-floor.js');

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
  const db: CompiledDb = { format_version: COMPILED_FORMAT_VERSION, schema: compiledSchemaDigest(), hash: '', services: {}, order: [], closures: {}, bundles: {}, moved: [] };
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
  /** From the apply's first journal record to the last install's end, and to the first start's end. */
  installsDoneMs: number;
  firstStartDoneMs: number;
  /** From the first start's end to the last start's end: on a chain, starts one after another only. */
  serialSpanMs: number;
  /** CPU time (user + system) of the apply process and of the supervisor during the apply. */
  applyCpuMs: number;
  supervisorCpuMs: number;
  load: number;
  /** The kernel's vfork + exec time, summed over every spawn of the apply (as the spawners timed it), and how many helpers shared it. */
  execMs: number;
  spawners: number;
  launcher: string;
}

/** utime + stime of a process (fields 14 and 15 of /proc/PID/stat), or of its reaped children (16 and 17), in ms. */
function cpuMs(pid: number | 'self', children = false): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  const [a, b] = children ? [13, 14] : [11, 12];
  return ((Number(fields[a]) + Number(fields[b])) * 1000) / 100;
}

function supervisorPid(live: string): number {
  return Number(fs.readFileSync(path.join(live, 'engine/supervisor.pid'), 'utf8').split(' ')[0]);
}

async function applyOnce(dir: string, live: string, db: CompiledDb, extra: string[] = []): Promise<Run> {
  const dbFile = path.join(dir, 'db.json');
  fs.writeFileSync(dbFile, JSON.stringify(db));
  const env = { ...process.env, RCFORM_LIVE: live, NO_COLOR: '1' };
  const plan = spawnSync(process.execPath, [CLI, 'plan', '--compiled', dbFile, '--out', path.join(dir, 'p.plan'), ...extra], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (plan.status !== 0) throw new Error(`plan failed: ${plan.stderr}`);
  const before = readJournal(live).records.length;
  const sup = supervisorPid(live);
  const cpu0 = { apply: cpuMs('self', true), sup: cpuMs(sup) };
  const load = os.loadavg()[0];
  const stats0 = await supervisorStats(live);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'apply', path.join(dir, 'p.plan'), '--parallelism', '1000'], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`apply failed: ${r.stderr}\n${r.stdout.slice(-2000)}`);
  const applyCpuMs = cpuMs('self', true) - cpu0.apply;
  const supervisorCpuMs = cpuMs(sup) - cpu0.sup;
  const stats1 = await supervisorStats(live);
  const records = readJournal(live).records.slice(before);
  const at = (x: { time: string }): number => Date.parse(x.time);
  const starts = records.filter((x) => x.type === 'step-start' && x.action === 'start');
  const startEnds = records.filter((x) => x.type === 'step-end' && x.action === 'start').map(at);
  const installEnds = records.filter((x) => x.type === 'step-end' && x.action === 'install').map(at);
  const begin = at(records[0] as { time: string });
  const first = Math.min(...starts.map(at));
  const firstEnd = Math.min(...startEnds);
  const last = Math.max(...startEnds);
  return {
    wallMs,
    steps: records.filter((x) => x.type === 'step-end').length,
    startSpanMs: last - first,
    starts: starts.length,
    installsDoneMs: installEnds.length > 0 ? Math.max(...installEnds) - begin : 0,
    firstStartDoneMs: firstEnd - begin,
    serialSpanMs: last - firstEnd,
    applyCpuMs,
    supervisorCpuMs,
    load,
    execMs: stats1.execMs - stats0.execMs,
    spawners: stats1.spawners.length,
    launcher: stats1.launcher,
  };
}

async function supervisorStats(live: string): Promise<SupervisorStats> {
  const e = await EmbeddedEngine.connect(live);
  try {
    return await e.stats();
  } finally {
    await e.close();
  }
}

const cpu = (r: Run): string => `CPU: apply ${f(r.applyCpuMs)}, supervisor ${f(r.supervisorCpuMs)}; load average ${r.load.toFixed(1)} at the start; started by ${r.launcher}`;

/** BENCH_APPLY=chain,wide runs only those scenarios (to interleave A/B runs quickly). */
const only = process.env['BENCH_APPLY']?.split(',');

async function scenario(name: string, fn: (dir: string, live: string) => Promise<void>): Promise<void> {
  if (only && !only.includes(name)) return;
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

/** support/transition-floor.ts on the same machine, the same service and the same launcher. */
function transitionFloor(dir: string): { perTransitionMs: number; execMs: number } {
  const argv = (sleepLongrun('x').run as { argv: string[] }).argv;
  const r = spawnSync(process.execPath, [FLOOR, path.join(dir, 'floor'), String(N), ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`transition floor failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { perTransitionMs: number; execMs: number };
}

await scenario('chain', async (dir, live) => {
  // The floor first, while rcform's 1,000 services are not yet up, as they are not for its own.
  const floor = transitionFloor(dir);
  const r = await applyOnce(dir, live, chain(N));
  // The installs have no dependencies, so all of them go first; the chain's first start waits
  // behind them in the supervisor. The pace of the chain is measured from that start's end.
  process.stdout.write(
    `chain of ${N}: apply ${f(r.wallMs)} wall for ${r.steps} steps; the ${N} installs done after ${f(r.installsDoneMs)}, the first start after ${f(r.firstStartDoneMs)}; ` +
      `then ${r.starts - 1} serial starts in ${f(r.serialSpanMs)} = ${(r.serialSpanMs / (r.starts - 1)).toFixed(2)} ms per transition ` +
      `(all starts, installs included: ${(r.startSpanMs / r.starts).toFixed(2)} ms; target < 2 ms beyond the kernel's vfork + exec, ` +
      `which took ${(r.execMs / r.starts).toFixed(2)} ms per start as the launcher timed it; s6-rc on s6: ~5.5 ms)\n  ${cpu(r)}\n` +
      `  floor, just before: ${floor.perTransitionMs.toFixed(2)} ms per transition, ${(floor.perTransitionMs - floor.execMs).toFixed(2)} ms beyond the exec (${floor.execMs.toFixed(2)} ms), ` +
      `for two bare Node processes that do only what issue 6 requires of every design: a supervisor apart from apply, a journal record before the next start (bench/support/transition-floor.ts)\n`,
  );
});

await scenario('wide', async (dir, live) => {
  const db = wide(N);
  const depth = Math.max(...Object.values(db.services).map((s) => s.rank)) + 1;
  const r = await applyOnce(dir, live, db);
  // What bounds it: one start's latency times the depth is the critical path; the kernel's vfork
  // and exec of every service, shared by the spawner helpers, is the floor the machine sets.
  process.stdout.write(
    `wide DAG of ${N} (${depth} layers): apply ${f(r.wallMs)} wall; the installs done after ${f(r.installsDoneMs)}; starts spanned ${f(r.startSpanMs)} = ` +
      `${(r.startSpanMs / depth).toFixed(1)} ms per layer of the critical path, ${(r.startSpanMs / r.starts).toFixed(2)} ms per start; ` +
      `the kernel's vfork + exec of the ${r.starts} starts: ${f(r.execMs)} in all, ` +
      `at least ${f(r.execMs / Math.max(1, r.spawners))} of wall over ${r.spawners} helper(s)` +
      `\n  ${cpu(r)}\n`,
  );
});

await scenario('restart', async (dir, live) => {
  const db = star(100);
  await applyOnce(dir, live, db);
  const r = await applyOnce(dir, live, db, ['--replace', 'longrun.root']);
  process.stdout.write(`restart of one service with 100 dependents: apply ${f(r.wallMs)} wall for ${r.steps} steps (101 stops, 101 starts)\n  ${cpu(r)}\n`);
});
