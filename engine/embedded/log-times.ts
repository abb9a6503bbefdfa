import fs from 'node:fs';

// When each part of an embedded log was written. Services write their logs themselves, so no line
// carries a time; but the supervisor looks at every log's size each second (to rotate it), and
// what it saw is a clock for the file: `SIZE ISOTIME` lines in `GENERATION.times`, meaning "by
// ISOTIME the file held SIZE bytes". A line that ends at byte offset E was written by the time of
// the first sample with SIZE >= E, to within the sampling interval (`rcform logs -t`).
//
// The file stays small: a sample (about 35 bytes) is added only when the log has grown by
// MIN_GROWTH bytes since the last one, or at all after LAZY_MS — at most one per 32 bytes of log,
// or about 300 KB a day for a service that writes a little all the time. A rotation moves the
// times with their generation (rotateIfNeeded), and the new `current` starts a new clock.

/** Growth below this waits for LAZY_MS before it is sampled. */
const MIN_GROWTH = 32;
const LAZY_MS = 10_000;

export function timesFileOf(generation: string): string {
  return `${generation}.times`;
}

export class LogClock {
  private readonly last = new Map<string, { size: number; at: number }>();

  /**
   * Called with a log's size as the supervisor sees it; appends a sample when it is worth one, or
   * whenever it grew with `always` (a oneshot's run has ended: its lines were written by now).
   */
  sample(file: string, size: number, now = new Date(), always = false): void {
    const prev = this.last.get(file);
    if (prev && size === prev.size) return;
    if (!always && prev && size > prev.size && size - prev.size < MIN_GROWTH && now.getTime() - prev.at < LAZY_MS) return;
    try {
      fs.appendFileSync(timesFileOf(file), `${size} ${now.toISOString()}\n`, { mode: 0o600 });
      this.last.set(file, { size, at: now.getTime() });
    } catch {
      // The log's directory went away (uninstalled): nothing to keep a clock for.
      this.last.delete(file);
    }
  }

  /** After a rotation the file starts again from 0 with a clock of its own. */
  restarted(file: string): void {
    this.last.delete(file);
  }
}

/** The samples of a generation, in order; empty when it has none (the s6 engine, an older log). */
export function readLogTimes(generation: string): Array<{ size: number; at: string }> {
  let text: string;
  try {
    text = fs.readFileSync(timesFileOf(generation), 'utf8');
  } catch {
    return [];
  }
  const out: Array<{ size: number; at: string }> = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+) (\S+)$/.exec(line);
    // A size smaller than the one before is a clock from before a truncation: start over.
    if (m) {
      const size = Number(m[1]);
      if (out.length > 0 && size < (out.at(-1) as { size: number }).size) out.length = 0;
      out.push({ size, at: m[2] as string });
    }
  }
  return out;
}

/** The time by which a line ending at byte `end` was written, if a sample covers it. */
export function writtenBy(samples: ReadonlyArray<{ size: number; at: string }>, end: number): string | undefined {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((samples[mid] as { size: number }).size >= end) hi = mid;
    else lo = mid + 1;
  }
  return samples[lo]?.at;
}
