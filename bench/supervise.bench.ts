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
console.log(`load average at the start: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
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

  // Issue 4's "single up transition (spawn to ready)": one start at a time, as a dependency chain
  // would ask, measured from the client (request written → reply read). The kernel's vfork+exec
  // is timed by the launcher (or, with RCFORM_SPAWNER=node, is Node's whole spawn()); everything
  // else is the supervisor's overhead: the socket round trip, the request, with a helper its
  // round trip, the status write and the reply.
  const serial = names.slice(0, SERIAL);
  let pingTotal = 0;
  for (let i = 0; i < SERIAL; i++) {
    const p0 = performance.now();
    await engine.request({ op: 'ping' });
    pingTotal += performance.now() - p0;
  }
  const before = await engine.stats();
  t0 = performance.now();
  for (const n of serial) await engine.start(n, { timeoutMs: 60_000 });
  const perUp = (performance.now() - t0) / SERIAL;
  const after = await engine.stats();
  const spawns = after.spawns - before.spawns;
  const execPer = (after.execMs - before.execMs) / spawns;
  const spawnPer = (after.spawnMs - before.spawnMs) / spawns;
  const handlePer = (after.startMs - before.startMs) / (after.starts - before.starts);
  await Promise.all(serial.map((n) => engine.stop(n, { timeoutMs: 60_000 })));
  const bare = await bareSpawnMs(SERIAL);
  const how = after.launcher === 'helper' ? `rcform-spawner (vfork; ${after.spawners.length} helpers)` : "Node's spawn() (RCFORM_SPAWNER=node or nothing built)";
  console.log(`serial up, ${SERIAL} one at a time, spawned by ${how}:`);
  console.log(`  per transition, from the client:   ${perUp.toFixed(2)} ms`);
  console.log(`  of which fork/vfork + exec:        ${execPer.toFixed(2)} ms (the kernel's; the supervisor waits ${spawnPer.toFixed(2)} ms from asking to pid)`);
  console.log(`  supervisor overhead:               ${Math.max(0, perUp - execPer).toFixed(2)} ms (target < 2 ms)`);
  console.log(`    of which inside the supervisor:  ${Math.max(0, handlePer - execPer).toFixed(2)} ms (request to reply, exec excluded)`);
  console.log(`    a no-op request's round trip:    ${(pingTotal / SERIAL).toFixed(2)} ms`);
  console.log(`  for scale, Node's spawn() of sleep from a small Node process: ${bare.toFixed(2)} ms`);
  console.log(`supervisor CPU time, all of the above: ${after.cpuMs.toFixed(0)} ms`);
  console.log(`load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  await engine.shutdown();
} finally {
  try {
    if (supPid) process.kill(supPid, 'SIGKILL');
  } catch {
    // it exited after its clean stop
  }
  fs.rmSync(live, { recursive: true, force: true });
}
