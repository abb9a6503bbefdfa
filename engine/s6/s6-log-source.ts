import type { LogLine, ServiceLog } from '../engine.js';
import { fileLog } from '../file-log.js';
import { tai64nToIso } from './s6-status.js';

// s6-log's lines as `rcform logs` shows them: s6-log's `t` directive writes each line as
// "@<24 hex digits> <line>" (engine/s6/service-dir.ts s6LogDirectives). The stamp is the time
// s6-log read the line; it is taken off the text and becomes the line's time. A line without one
// (written before the directive was there) has no known time.

const STAMP = /^(@[0-9a-f]{24}) /;

/** Splits a stamped line into its text and its time, with skalibs' TAI - Unix offset in seconds. */
export function unstamp(raw: string, taiOffset: number): LogLine {
  const m = STAMP.exec(raw);
  if (!m) return { text: raw };
  return { text: raw.slice(m[0].length), at: tai64nToIso(m[1] as string, taiOffset) };
}

/** A ServiceLog over s6-log's `current`, once the TAI offset is known. */
export function s6Log(current: string, taiOffset: () => Promise<number>): ServiceLog {
  const log = async (): Promise<ServiceLog> => {
    const offset = await taiOffset();
    return fileLog(current, (raw) => unstamp(raw, offset));
  };
  return {
    exists: async () => (await log()).exists(),
    tail: async (n) => (await log()).tail(n),
    follow: async (n, onTail, opts) => (await log()).follow(n, onTail, opts),
  };
}
