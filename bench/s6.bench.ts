import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CompiledLongrun } from '../lang/compile/compiled-db.js';
import { S6Engine } from '../engine/s6/s6-engine.js';

// 2,000 longruns under real s6 through the s6 engine (issue 7; s6-rc 0.5.4 cannot initialise more
// than 1,000): bring-up time, and what one transition costs through rcform compared with calling
// s6-svc directly. RCFORM_BENCH_S6_SERVICES changes the count.

const N = Number(process.env['RCFORM_BENCH_S6_SERVICES'] ?? 2000);
const SAMPLE = 50;
/** Installs and starts of independent services run this many at a time, as apply runs independent steps. */
const CONCURRENCY = Number(process.env['RCFORM_BENCH_S6_CONCURRENCY'] ?? 16);

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
const per = (t: number, n: number): string => `${((t / n) * 1000).toFixed(0)} µs`;
const T = { timeoutMs: 60000 };

/** Proportional set size (shared pages split between sharers) of every s6 process, from /proc. */
function s6Rss(): { processes: number; kb: number } {
  let processes = 0;
  let kb = 0;
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const comm = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (!['s6-svscan', 's6-supervise', 's6-log'].includes(comm)) continue;
      const m = /Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      processes++;
      kb += Number(m?.[1] ?? 0);
    } catch {
      // exited while we looked
    }
  }
  return { processes, kb };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-s6-'));
const before = s6Rss();
const engine = await S6Engine.start(path.join(tmp, 'live'), { kind: 's6' });
try {
  const names = Array.from({ length: N }, (_, i) => `svc${String(i).padStart(4, '0')}`);
  console.log(`${N} longruns (sleep infinity, each with its s6-log logger), s6-svscan -c 10000`);

  let t = performance.now();
  await eachLimited(names, (n) => engine.install(longrun(n)));
  const install = performance.now() - t;
  console.log(`install (servicedir + link + s6-svscanctl -a + supervisors up): ${ms(install)} total, ${per(install, N)} per service`);

  t = performance.now();
  await eachLimited(names, (n) => engine.start(n, T));
  const up = performance.now() - t;
  console.log(`bring all up, ${CONCURRENCY} at a time (s6-svc -wu): ${ms(up)} total, ${per(up, N)} per transition`);
  console.log(`bring-up from nothing (install + up): ${ms(install + up)}`);

  t = performance.now();
  const st = await engine.status();
  const statusMs = performance.now() - t;
  const upCount = Object.values(st).filter((s) => s.state === 'up').length;
  console.log(`status of all (supervise/status read directly, no process): ${ms(statusMs)} — ${upCount}/${N} up`);

  const mem = s6Rss();
  console.log(`s6 processes: ${mem.processes - before.processes}, PSS ${((mem.kb - before.kb) / 1024).toFixed(0)} MB (${((mem.kb - before.kb) / N).toFixed(0)} kB per service incl. its supervisors and logger)`);
  console.log(`(machine load average at this point: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs)`);

  // One transition through the engine versus the bare s6-svc call it makes: the difference is
  // rcform's overhead (svok check, svdt-clear, down-file, process spawns from Node).
  const sample = names.slice(0, SAMPLE);
  let engineStop = 0;
  let engineStart = 0;
  for (const n of sample) {
    let t0 = performance.now();
    await engine.stop(n, T);
    engineStop += performance.now() - t0;
    t0 = performance.now();
    await engine.start(n, T);
    engineStart += performance.now() - t0;
  }
  const dir = (n: string): string => fs.realpathSync(path.join(engine.scandir, n));
  let rawStop = 0;
  let rawStart = 0;
  for (const n of sample) {
    let t0 = performance.now();
    spawnSync('s6-svc', ['-wD', '-T', '60000', '-d', dir(n)]);
    rawStop += performance.now() - t0;
    t0 = performance.now();
    spawnSync('s6-svc', ['-wu', '-T', '60000', '-u', dir(n)]);
    rawStart += performance.now() - t0;
  }
  console.log(`one up transition (mean of ${SAMPLE}): engine ${ms(engineStart / SAMPLE)}, bare s6-svc -wu ${ms(rawStart / SAMPLE)}, rcform overhead ${ms((engineStart - rawStart) / SAMPLE)}`);
  console.log(`one down transition (mean of ${SAMPLE}): engine ${ms(engineStop / SAMPLE)}, bare s6-svc -wD ${ms(rawStop / SAMPLE)}, rcform overhead ${ms((engineStop - rawStop) / SAMPLE)}`);

  t = performance.now();
  await eachLimited(names, (n) => engine.stop(n, T));
  const down = performance.now() - t;
  console.log(`bring all down, ${CONCURRENCY} at a time (s6-svc -wD): ${ms(down)} total, ${per(down, N)} per transition`);

  // Uninstall is measured on a sample: each one rescans the whole scan directory (-an).
  t = performance.now();
  await eachLimited(sample, (n) => engine.uninstall(n));
  const uninstall = performance.now() - t;
  console.log(`uninstall ${SAMPLE} (unlink + s6-svscanctl -an + supervisors gone), ${CONCURRENCY} at a time: ${ms(uninstall)} total, ${per(uninstall, SAMPLE)} per service`);
} finally {
  await engine.shutdown();
  fs.rmSync(tmp, { recursive: true, force: true });
}
