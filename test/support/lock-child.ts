import fs from 'node:fs';
import path from 'node:path';
import { acquireLock, LockHeldError } from '../../state/lock.js';

// A real process taking the state lock, for test/state/lock.test.ts. Modes:
//   hold DIR           take the lock, print its info as one JSON line, then wait to be killed
//   race DIR ROUNDS    for each round: wait for DIR/round-R.go, try once, write the result to
//                      DIR/round-R.PID; a winner holds the lock until DIR/round-R.end appears
//   mutex DIR ROUNDS   take the lock ROUNDS times, waiting for it; while holding it, create
//                      DIR/inside exclusively (EEXIST means two holders at once: exit 3), yield,
//                      remove it, release
const [mode, dir, roundsText] = process.argv.slice(2) as [string, string, string];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(file: string): Promise<void> {
  while (!fs.existsSync(file)) await sleep(2);
}

if (mode === 'hold') {
  const lock = await acquireLock(dir, { operation: 'test hold', info: 'held by lock-child' });
  process.stdout.write(JSON.stringify(lock.info) + '\n');
  setInterval(() => {}, 1000);
} else if (mode === 'race') {
  const control = path.join(dir, 'control');
  for (let r = 0; r < Number(roundsText); r++) {
    await waitFor(path.join(control, `round-${r}.go`));
    let result: string;
    let release: (() => void) | undefined;
    try {
      const lock = await acquireLock(dir, { operation: 'race', releaseOnSignal: false });
      result = `won ${lock.info.ID}`;
      release = () => lock.release();
    } catch (err) {
      if (!(err instanceof LockHeldError)) throw err;
      result = `lost ${err.info.ID}`;
    }
    // Rename into place: the parent polls for the file and must never read it half-written.
    const out = path.join(control, `round-${r}.${process.pid}`);
    fs.writeFileSync(out + '.tmp', result);
    fs.renameSync(out + '.tmp', out);
    if (release) {
      await waitFor(path.join(control, `round-${r}.end`));
      release();
      fs.writeFileSync(path.join(control, `round-${r}.released`), '');
    }
  }
} else if (mode === 'mutex') {
  const inside = path.join(dir, 'inside');
  for (let r = 0; r < Number(roundsText); r++) {
    const lock = await acquireLock(dir, { operation: 'mutex', timeoutMs: 120_000, releaseOnSignal: false });
    try {
      fs.closeSync(fs.openSync(inside, 'wx'));
    } catch (err) {
      process.stderr.write(`two holders at once: ${(err as Error).message}\n`);
      process.exit(3);
    }
    await sleep(Math.random() < 0.5 ? 0 : 1);
    fs.unlinkSync(inside);
    lock.release();
  }
}
