import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

// engine/launches.fifo: a FIFO the supervisor holds open for writing all its life, and with it
// every process that can still launch a service for it: its helpers (they inherit it) and each
// vfork child until its exec (close-on-exec). A supervisor SIGKILLed in the middle of starts
// leaves launches under way: a helper still reading the requests already in its pipe, a child
// between its clone and its exec. Each writes its launch record before it execs; the next
// supervisor reads the records only once no writer of this FIFO is left, so it sees them all.
// Nothing is ever written to it: a read that returns end-of-file means no writer is left.

const POLL_MS = 5;

export class LaunchGuardTimeout extends Error {}

/**
 * Waits until nobody holds `fifo` open for writing (creating it if need be), then holds it so
 * itself: the descriptor to keep open for the supervisor's life and to hand to its helpers.
 */
export async function takeLaunchGuard(fifo: string, timeoutMs: number): Promise<number> {
  if (!fs.existsSync(fifo)) {
    // Node has no mkfifo(3); mkfifo(1) is in coreutils everywhere s6 would run.
    const r = spawnSync('mkfifo', ['-m', '600', fifo], { encoding: 'utf8' });
    if (r.status !== 0 && !fs.existsSync(fifo)) throw new Error(`cannot create ${fifo}: ${r.stderr || r.error?.message}`);
  }
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(64);
    for (const deadline = Date.now() + timeoutMs; ; ) {
      try {
        if (fs.readSync(reader, buf, 0, buf.length, null) === 0) break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      }
      if (Date.now() > deadline) throw new LaunchGuardTimeout(`launches of the previous supervisor are still under way after ${timeoutMs} ms (a process holds ${fifo} open)`);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    // Read-write: opening it never blocks, and it is never at end-of-file for a later check.
    return fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NOFOLLOW);
  } finally {
    fs.closeSync(reader);
  }
}
