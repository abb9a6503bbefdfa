import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import type { Engine } from '../../../engine/engine.js';
import type { EmbeddedEngine } from '../../../engine/embedded/client.js';
import { openEngine } from '../../../engine/open-engine.js';
import { endEmbedded, longrun, supervisorPid, tempLive } from '../../support/engine-harness.js';

// Every service the embedded supervisor starts begins with no signal blocked and none ignored,
// whichever helper started it,
// however busy the machine: thousands of starts at once, a tenth of them dying and restarted
// (their finish scripts launched the same way) while the supervisor is sent signals it handles.
// A service with signals blocked would never act on its down_signal. The masks are read in
// /proc/PID/status of every process of every service's session, several times over.

const SERVICES = 2000;
const ROUNDS = 4;

let live: string;
let engine: Engine | undefined;
const seen = new Set<number>();

beforeAll(async () => {
  live = tempLive();
  engine = await openEngine(live, { kind: 'embedded' }, { autostart: true });
});

afterAll(() => endEmbedded(live, engine as EmbeddedEngine | undefined, seen), 120_000);

/** SigBlk and SigIgn of a process, or undefined once it is gone. */
function masks(pid: number): { name: string; blk: string; ign: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const field = (k: string): string => new RegExp(`^${k}:\\s*(\\S+)`, 'm').exec(text)?.[1] ?? '?';
  return { name: field('Name'), blk: field('SigBlk'), ign: field('SigIgn') };
}

/** Processes whose session is one of `sessions` (a service's whole session: its children too). */
function sessionMembers(sessions: Set<number>): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (sessions.has(Number(f[3]))) out.push(Number(e));
  }
  return out;
}

describe('signal masks of the services the embedded supervisor starts', () => {
  test(`${SERVICES} services started at once, restarts among them: none starts with a signal blocked or ignored`, async () => {
    const e = engine as Engine;
    for (let i = 0; i < SERVICES; i++) {
      // One in ten dies every few tenths of a second and is restarted, after its finish script.
      const dies = i % 10 === 0;
      await e.install(
        longrun(`m${i}`, dies ? { run: { argv: ['sh', '-c', 'sleep 0.$((RANDOM % 5 + 1))'] }, finish: { argv: ['true'] } } : { run: { argv: ['sleep', '3600'] } }),
      );
    }
    const sup = supervisorPid(live);
    // SIGHUP, which the supervisor handles by doing nothing: libuv's signal handler (which runs
    // with every signal blocked) at work on its threads while it starts services.
    const noise = setInterval(() => {
      try {
        process.kill(sup, 'SIGHUP');
      } catch {
        // gone: the test fails below anyway
      }
    }, 2);
    const bad: string[] = [];
    let checked = 0;
    try {
      await Promise.all(Array.from({ length: SERVICES }, (_, i) => e.start(`m${i}`, { timeoutMs: 300_000 })));
      for (let round = 0; round < ROUNDS; round++) {
        const st = await e.status();
        const sessions = new Set<number>();
        for (const s of Object.values(st)) if (s.pid !== undefined) (sessions.add(s.pid), seen.add(s.pid));
        for (const pid of sessionMembers(sessions)) {
          const m = masks(pid);
          if (!m) continue;
          checked++;
          if (!/^0+$/.test(m.blk) || !/^0+$/.test(m.ign)) bad.push(`${pid} (${m.name}): SigBlk ${m.blk} SigIgn ${m.ign}`);
        }
        await new Promise((r) => setTimeout(r, 300));
      }
    } finally {
      clearInterval(noise);
    }
    expect(bad).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(SERVICES * ROUNDS * 0.8);
  }, 600_000);
});
