import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedEngine } from '../engine/embedded/client.js';
import { startEngine } from '../engine/open-engine.js';
import { sleepLongrun } from './support/sleep-longrun.js';

// The embedded supervisor with 1,000 longruns (`sleep`, ready at once): install, bring all up,
// all down, the supervisor's memory, and the cost of one up transition measured serially,
// next to what a bare spawn of the same program costs in a plain Node process.
// Targets (issue 4): supervisor RSS < 100 MB for 1,000 services; < 2 ms overhead per up.

const N = Number(process.env['BENCH_SERVICES'] ?? 1000);
const SERIAL = 200;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function bareSpawnMs(count: number): Promise<number> {
  let total = 0;
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const child = spawn('sleep', ['3600'], { stdio: 'ignore', detached: true });
    await new Promise((r) => child.once('spawn', r));
    total += performance.now() - t0;
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
  return total / count;
}

const ms = (t0: number): string => `${(performance.now() - t0).toFixed(0)} ms`;

const live = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-'));
let supPid = 0;
try {
  await startEngine(live, { kind: 'embedded' });
  supPid = Number(fs.readFileSync(path.join(live, 'engine/supervisor.pid'), 'utf8').split(' ')[0]);
  const engine = await EmbeddedEngine.connect(live);
  const rss0 = rssMb(supPid);
  const names = Array.from({ length: N }, (_, i) => `svc${String(i).padStart(4, '0')}`);

  let t0 = performance.now();
  await Promise.all(names.map((n) => engine.install(sleepLongrun(n))));
  console.log(`install ${N} longruns:        ${ms(t0)}`);

  t0 = performance.now();
  await Promise.all(names.map((n) => engine.start(n, { timeoutMs: 60_000 })));
  const upTotal = performance.now() - t0;
  console.log(`bring ${N} up (parallel):     ${upTotal.toFixed(0)} ms (${(upTotal / N).toFixed(2)} ms per service)`);
  const status = await engine.status();
  const upCount = Object.values(status).filter((s) => s.state === 'up').length;
  console.log(`services up:                  ${upCount}/${N}`);
  const rssUp = rssMb(supPid);
  console.log(`supervisor RSS:               ${rss0.toFixed(1)} MB idle, ${rssUp.toFixed(1)} MB with ${N} up (target < 100 MB)`);

  t0 = performance.now();
  await Promise.all(names.map((n) => engine.stop(n, { timeoutMs: 60_000 })));
  const downTotal = performance.now() - t0;
  console.log(`bring ${N} down (parallel):   ${downTotal.toFixed(0)} ms (${(downTotal / N).toFixed(2)} ms per service)`);

  // Serial up transitions: request → spawn → reply, one at a time, as a dependency chain would.
  // fork+exec is the kernel's cost and grows with the parent's size (here a VM makes it large):
  // the supervisor times its spawn() calls, and the overhead is everything else, including the
  // socket round trip.
  const serial = names.slice(0, SERIAL);
  const before = await engine.stats();
  t0 = performance.now();
  for (const n of serial) await engine.start(n, { timeoutMs: 60_000 });
  const perUp = (performance.now() - t0) / SERIAL;
  const after = await engine.stats();
  const spawnPer = (after.spawnMs - before.spawnMs) / (after.spawns - before.spawns);
  await Promise.all(serial.map((n) => engine.stop(n, { timeoutMs: 60_000 })));
  const bare = await bareSpawnMs(SERIAL);
  console.log(`serial up, per transition:    ${perUp.toFixed(2)} ms, of which spawn() ${spawnPer.toFixed(2)} ms (bare spawn of sleep from a small Node process: ${bare.toFixed(2)} ms)`);
  const handlePer = (after.startMs - before.startMs) / (after.starts - before.starts);
  console.log(`inside the supervisor per up: ${handlePer.toFixed(2)} ms from request to reply, spawn() included`);
  console.log(`supervisor overhead per up:   ${Math.max(0, perUp - spawnPer).toFixed(2)} ms (target < 2 ms)`);

  await engine.shutdown();
} finally {
  try {
    if (supPid) process.kill(supPid, 'SIGKILL');
  } catch {
    // it exited after its clean stop
  }
  fs.rmSync(live, { recursive: true, force: true });
}
