import type { RunState } from '../../state/run-state.js';
import { signalName } from '../signals.js';

// s6-svstat's machine-readable output (-o with the fields below) mapped onto the engine's
// ServiceStatus vocabulary.

export const SVSTAT_FIELDS = ['up', 'wantedup', 'ready', 'pid', 'exitcode', 'signal', 'updownsince'] as const;

export interface SvStat {
  up: boolean;
  wantedUp: boolean;
  ready: boolean;
  pid: number;
  exitCode: number;
  signal: string | null;
  /** ISO time of the last up/down change. */
  since: string;
}

/** Parses `s6-svstat -o up,wantedup,ready,pid,exitcode,signal,updownsince` output; `taiOffset`: see tai64nToIso. */
export function parseSvStat(line: string, taiOffset = DEFAULT_TAI_OFFSET): SvStat {
  const f = line.trim().split(/\s+/);
  if (f.length !== SVSTAT_FIELDS.length) throw new Error(`unexpected s6-svstat output: ${JSON.stringify(line)}`);
  return {
    up: f[0] === 'true',
    wantedUp: f[1] === 'true',
    ready: f[2] === 'true',
    pid: Number(f[3]),
    exitCode: Number(f[4]),
    signal: f[5] === 'NA' ? null : (f[5] as string),
    since: tai64nToIso(f[6] as string, taiOffset),
  };
}

/**
 * TAI - UTC as skalibs sees it: TAI64 labels count from 1970-01-01 00:00:10 TAI, and skalibs turns
 * the system's UTC clock into TAI with its own leap second table (Debian's build does: 37 s since
 * 2017). A skalibs built with --enable-tai-clock would use 10 s; S6Engine measures the offset once
 * with s6-tai64n rather than trust either.
 */
export const DEFAULT_TAI_OFFSET = 37;

/** TAI64N label (`@` + 24 hex digits) to ISO time, `taiOffset` seconds being TAI64 seconds minus Unix seconds. */
export function tai64nToIso(label: string, taiOffset = DEFAULT_TAI_OFFSET): string {
  const m = /^@?([0-9a-f]{16})([0-9a-f]{8})$/i.exec(label);
  if (!m) throw new Error(`not a TAI64N label: ${label}`);
  const secs = BigInt(`0x${m[1]}`) - (1n << 62n) - BigInt(taiOffset);
  const nanos = Number.parseInt(m[2] as string, 16);
  return new Date(Number(secs) * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

/**
 * Which of the two offsets skalibs can use (10 s: a TAI system clock; 37 s: UTC plus leap seconds
 * since 2017) a label stamped at Unix time `nowMs` shows. The nearest wins, so a stamp delayed by a
 * loaded machine still picks the right one.
 */
export function taiOffsetOf(label: string, nowMs: number): number {
  const m = /^@?([0-9a-f]{16})/i.exec(label);
  if (!m) throw new Error(`not a TAI64N label: ${label}`);
  const measured = Number(BigInt(`0x${m[1]}`) - (1n << 62n)) - nowMs / 1000;
  return Math.abs(measured - 10) < Math.abs(measured - DEFAULT_TAI_OFFSET) ? 10 : DEFAULT_TAI_OFFSET;
}

/**
 * The engine's run state. `ready` needs readiness notification; without it an up service is `up`.
 * Down but wanted up means s6-supervise is between two spawns: `failed` if the last run died
 * abnormally (a crash being retried), else `starting`. (`-o ready` is false whenever the service is
 * down, so a ./finish still running cannot be told apart; stop waits for it with -wD anyway.)
 */
export function runStateOf(s: SvStat, hasNotification: boolean): RunState {
  if (s.up) {
    if (!s.wantedUp) return 'stopping';
    if (!hasNotification) return 'up';
    return s.ready ? 'ready' : 'starting';
  }
  if (s.wantedUp) return s.signal !== null || (s.exitCode !== 0 && s.exitCode !== -1) ? 'failed' : 'starting';
  return 'down';
}

/** Size of s6-supervise's `supervise/status` in s6 2.11: the only layout readStatusFile decodes. */
export const SVSTATUS_SIZE = 35;

/**
 * Decodes s6 2.11's `supervise/status` (the file s6-svstat reads) exactly as s6-svstat reports it:
 * stamp (TAI64N, 12 bytes), ready stamp (12), pid (8, big-endian), wait status (2), flags (paused 1,
 * finishing 2, want up 4, ready 8). Reading it costs no process, which matters with thousands of
 * services; null for any other size (another s6 version), and the caller asks s6-svstat instead.
 */
export function decodeSvStatus(buf: Buffer, taiOffset = DEFAULT_TAI_OFFSET): SvStat | null {
  if (buf.length !== SVSTATUS_SIZE) return null;
  const pid = Number(buf.readBigUInt64BE(24));
  const wstat = buf.readUInt16BE(32);
  const flags = buf[34] as number;
  const finishing = (flags & 2) !== 0;
  const up = pid !== 0 && !finishing;
  // The wait status as waitpid(2) gives it: low 7 bits the signal (0 = exited), next byte the exit code.
  const termsig = wstat & 0x7f;
  const exited = termsig === 0;
  const signaled = termsig !== 0 && termsig !== 0x7f;
  const stamp = `@${buf.subarray(0, 12).toString('hex')}`;
  return {
    up,
    wantedUp: (flags & 4) !== 0,
    ready: up && (flags & 8) !== 0,
    pid: up ? pid : -1,
    exitCode: !up && exited ? (wstat >> 8) & 0xff : -1,
    signal: !up && signaled ? (signalName(String(termsig)) ?? `SIG${termsig}`) : null,
    since: tai64nToIso(stamp, taiOffset),
  };
}
