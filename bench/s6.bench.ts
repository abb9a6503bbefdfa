import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CompiledLongrun } from '../lang/compile/compiled-db.js';
import type { Engine } from '../engine/engine.js';
import { EmbeddedEngine } from '../engine/embedded/client.js';
import { startEngine } from '../engine/open-engine.js';
import { S6Engine } from '../engine/s6/s6-engine.js';

// 2,000 longruns under real s6 through the s6 engine (issue 7; s6-rc 0.5.4 cannot initialise more
// than 1,000), and the same workload, measured the same way, through the embedded engine in the
// same run, printed side by side: bring-up time and what one transition costs. For s6 also what
// the bare s6-svc call costs, so rcform's own share shows. RCFORM_BENCH_S6_SERVICES changes the count.

const N = Number(process.env['RCFORM_BENCH_S6_SERVICES'] ?? 2000);
const SAMPLE = 50;
/** Installs and starts of independent services run this many at a time, as apply runs independent steps. */
const CONCURRENCY = Number(process.env['RCFORM_BENCH_S6_CONCURRENCY'] ?? 16);
const T = { timeoutMs: 60000 };

async function eachLimited(items: string[], fn: (n: string) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++] as string);
  }));
}

if (spawnSync('sh', ['-c', 'command -v s6-svscan && command -v s6-svc'], { stdio: 'ignore' }).status !== 0) {
  console.log('s6 bench SKIPPED: s6 is not installed (apt-get install s6)');
  process.exit(0);
}

function longrun(name: string): CompiledLongrun {
  return {
    type: 'longrun', name, address: `longrun.${name}`, essential: false, dependencies: [], reverse_dependencies: [], rank: 0,
    definition_hash: name, sensitive_paths: [], run: { argv: ['sleep', 'infinity'] }, down: false, env: { PORT: name },
    timeouts: { up_ms: 0, down_ms: 0, kill_ms: 2000, finish_ms: 5000 }, down_signal: 'SIGTERM', max_death_tally: 100,
    data: {}, consumer_for: [], lifecycle: { on_change: 'restart' },
  };
}

const ms = (t: number): string => `${t.toFixed(1)} ms`;
const per = (t: number, n: number): string => `${(t / n).toFixed(2)} ms`;

/** Proportional set size (shared pages split between sharers) of the given processes, from /proc. */
function pssKb(match: (pid: string, comm: string) => boolean): { processes: number; kb: number } {
  let processes = 0;
  let kb = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!match(pid, fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      const m = /Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      processes++;
      kb += Number(m?.[1] ?? 0);
    } catch {
      // exited while we looked
    }
  }
  return { processes, kb };
}

const S6_COMMS = new Set(['s6-svscan', 's6-supervise', 's6-log']);

interface Figures {
  install: number;
  up: number;
  status: number;
  upCount: number;
  serialUp: number;
  serialDown: number;
  down: number;
  uninstall: number;
  memory: string;
}

/**
 * The workload both engines run: install N, bring all up CONCURRENCY at a time, status of all,
 * SAMPLE serial down+up transitions (a dependency chain's pace), all down, uninstall SAMPLE.
 * `memory` is asked for while everything is up.
 */
async function workload(engine: Engine, names: string[], memory: () => string): Promise<Figures> {
  let t = performance.now();
  await eachLimited(names, (n) => engine.install(longrun(n)));
  const install = performance.now() - t;

  t = performance.now();
  await eachLimited(names, (n) => engine.start(n, T));
  const up = performance.now() - t;

  t = performance.now();
  const st = await engine.status();
  const status = performance.now() - t;
  const upCount = Object.values(st).filter((s) => s.state === 'up').length;
  const mem = memory();

  const sample = names.slice(0, SAMPLE);
  let serialDown = 0;
  let serialUp = 0;
  for (const n of sample) {
    let t0 = performance.now();
    await engine.stop(n, T);
    serialDown += performance.now() - t0;
    t0 = performance.now();
    await engine.start(n, T);
    serialUp += performance.now() - t0;
  }

  t = performance.now();
  await eachLimited(names, (n) => engine.stop(n, T));
  const down = performance.now() - t;

  t = performance.now();
  await eachLimited(sample, (n) => engine.uninstall(n));
  const uninstall = performance.now() - t;
  return { install, up, status, upCount, serialUp: serialUp / SAMPLE, serialDown: serialDown / SAMPLE, down, uninstall, memory: mem };
}

/** What one bare s6-svc -wu / -wD costs on the same service directories (no rcform in between). */
function bareSvc(engine: S6Engine, sample: string[]): { up: number; down: number } {
  const dir = (n: string): string => fs.realpathSync(path.join(engine.scandir, n));
  let down = 0;
  let up = 0;
  // The services are down: up first, then down.
  for (const n of sample) {
    let t0 = performance.now();
    spawnSync('s6-svc', ['-wu', '-T', '60000', '-u', dir(n)]);
    up += performance.now() - t0;
    t0 = performance.now();
    spawnSync('s6-svc', ['-wD', '-T', '60000', '-d', dir(n)]);
    down += performance.now() - t0;
  }
  return { up: up / sample.length, down: down / sample.length };
}

const names = Array.from({ length: N }, (_, i) => `svc${String(i).padStart(4, '0')}`);
const load = (): string => os.loadavg().map((l) => l.toFixed(1)).join(' ');

// s6 first, then the embedded engine, each in a live directory of its own, each torn down before
// the next starts so that neither's processes load the other's figures.
const s6Tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-s6-'));
let s6: Figures;
let bare: { up: number; down: number };
const s6Load = load();
{
  const before = pssKb((_, c) => S6_COMMS.has(c));
  const engine = await S6Engine.start(path.join(s6Tmp, 'live'), {});
  try {
    console.log(`${N} longruns (sleep infinity, each with its log), ${CONCURRENCY} at a time; serial transitions: mean of ${SAMPLE}`);
    s6 = await workload(engine, names, () => {
      const m = pssKb((_, c) => S6_COMMS.has(c));
      return `${m.processes - before.processes} processes, PSS ${((m.kb - before.kb) / 1024).toFixed(0)} MB`;
    });
    // The sample is uninstalled; measure the bare calls on services still installed (they are down).
    bare = bareSvc(engine, names.slice(SAMPLE, 2 * SAMPLE));
    console.log(`engine s6: ${JSON.stringify(s6)}`);
  } finally {
    await engine.shutdown();
    fs.rmSync(s6Tmp, { recursive: true, force: true });
  }
}

const embTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-emb-'));
let embedded: Figures;
const embLoad = load();
let supPid = 0;
try {
  await startEngine(embTmp, { kind: 'embedded' });
  supPid = Number(fs.readFileSync(path.join(embTmp, 'engine/supervisor.pid'), 'utf8').split(' ')[0]);
  const engine = await EmbeddedEngine.connect(embTmp);
  const ownPid = String(supPid);
  embedded = await workload(engine, names, () => {
    // The supervisor, and the sleep processes it runs (s6's figure has no sleeps: its supervisors and loggers only).
    const m = pssKb((pid) => pid === ownPid);
    return `1 process, PSS ${(m.kb / 1024).toFixed(0)} MB`;
  });
  console.log(`embedded engine: ${JSON.stringify(embedded)}`);
  await engine.shutdown();
} finally {
  try {
    if (supPid) process.kill(supPid, 'SIGKILL');
  } catch {
    // it exited after its clean stop
  }
  fs.rmSync(embTmp, { recursive: true, force: true });
}

const rows: [string, string, string][] = [
  ['install all', `${ms(s6.install)} (${per(s6.install, N)} each)`, `${ms(embedded.install)} (${per(embedded.install, N)} each)`],
  ['bring all up', `${ms(s6.up)} (${per(s6.up, N)} each)`, `${ms(embedded.up)} (${per(embedded.up, N)} each)`],
  ['bring-up from nothing (install + up)', ms(s6.install + s6.up), ms(embedded.install + embedded.up)],
  ['services up after bring-up', `${s6.upCount}/${N}`, `${embedded.upCount}/${N}`],
  ['status of all', ms(s6.status), ms(embedded.status)],
  ['one up transition, serial', ms(s6.serialUp), ms(embedded.serialUp)],
  ['one down transition, serial', ms(s6.serialDown), ms(embedded.serialDown)],
  ['bring all down', `${ms(s6.down)} (${per(s6.down, N)} each)`, `${ms(embedded.down)} (${per(embedded.down, N)} each)`],
  [`uninstall ${SAMPLE}`, `${ms(s6.uninstall)} (${per(s6.uninstall, SAMPLE)} each)`, `${ms(embedded.uninstall)} (${per(embedded.uninstall, SAMPLE)} each)`],
  ['supervision memory, all up', s6.memory, embedded.memory],
  ['load average at the start', s6Load, embLoad],
];
const w0 = Math.max(...rows.map((r) => r[0].length), 0);
const w1 = Math.max(...rows.map((r) => r[1].length), 'engine s6'.length);
console.log(`${''.padEnd(w0)}  ${'engine s6'.padEnd(w1)}  embedded engine`);
for (const [k, a, b] of rows) console.log(`${k.padEnd(w0)}  ${a.padEnd(w1)}  ${b}`);
console.log(`s6, bare s6-svc on the same directories: -wu ${ms(bare.up)}, -wD ${ms(bare.down)}; rcform's overhead per transition: up ${ms(s6.serialUp - bare.up)}, down ${ms(s6.serialDown - bare.down)}`);
