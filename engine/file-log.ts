import type { LogFollowOptions, LogLine, ServiceLog } from './engine.js';
import { logGenerations, tailLinesTimed } from './embedded/log-file.js';
import { LogFollower } from './log-follower.js';

// A service's log kept in files on this machine, as both engines keep them: `current` and its
// rotated generations. An engine whose logger writes something before each line (s6-log's TAI64N
// stamp) gives `decode`, which takes it off and reads the time from it.

/** How often a followed log is looked at. */
const FOLLOW_POLL_MS = 200;

export type LineDecoder = (raw: string) => LogLine;

export function fileLog(current: string, decode?: LineDecoder): ServiceLog {
  const lineOf = (raw: string, at: string | undefined): LogLine => {
    const d = decode ? decode(raw) : { text: raw };
    const when = d.at ?? at;
    return when !== undefined ? { text: d.text, at: when } : { text: d.text };
  };
  return {
    exists: async () => logGenerations(current).length > 0,
    tail: async (n) => tailLinesTimed(current, n).map((l) => lineOf(l.line, l.at)),
    follow: async (n, onTail, opts) => {
      const out = chunkSink(opts, lineOf, decode !== undefined);
      const follower = new LogFollower(current, out);
      const head = follower.start();
      onTail(tailLinesTimed(current, n, head).map((l) => lineOf(l.line, l.at)));
      try {
        while (!opts.signal.aborted) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, FOLLOW_POLL_MS);
            opts.signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
          });
          await follower.poll();
        }
      } finally {
        follower.close();
      }
    },
  };
}

/**
 * What the follower reads, to the caller: raw text as it comes when it asked for that and nothing
 * is to be taken off the lines; else whole lines, each with its time (its stamp's, or the time it
 * was read, within the poll).
 */
function chunkSink(opts: LogFollowOptions, lineOf: (raw: string, at: string | undefined) => LogLine, decodes: boolean): (chunk: Buffer) => void {
  const { onText } = opts;
  if (onText && !decodes) return (chunk) => onText(chunk.toString('utf8'));
  let rest = '';
  return (chunk) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    const at = new Date().toISOString();
    for (const p of parts) {
      const line = lineOf(p, at);
      if (onText) onText(line.text + '\n');
      else opts.onLine(line);
    }
  };
}
