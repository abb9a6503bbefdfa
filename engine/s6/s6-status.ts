import type { RunState } from '../engine.js';

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

/** Parses `s6-svstat -o up,wantedup,ready,pid,exitcode,signal,updownsince` output. */
export function parseSvStat(line: string): SvStat {
  const f = line.trim().split(/\s+/);
  if (f.length !== SVSTAT_FIELDS.length) throw new Error(`unexpected s6-svstat output: ${JSON.stringify(line)}`);
  return {
    up: f[0] === 'true',
    wantedUp: f[1] === 'true',
    ready: f[2] === 'true',
    pid: Number(f[3]),
    exitCode: Number(f[4]),
    signal: f[5] === 'NA' ? null : (f[5] as string),
    since: tai64nToIso(f[6] as string),
  };
}

/**
 * TAI64N label (`@` + 24 hex digits) to ISO time. skalibs stores TAI as UTC + 10 s (the TAI-UTC
 * offset of 1970) unless built with a leap second table, which Debian's is not.
 */
export function tai64nToIso(label: string): string {
  const m = /^@?([0-9a-f]{16})([0-9a-f]{8})$/i.exec(label);
  if (!m) throw new Error(`not a TAI64N label: ${label}`);
  const secs = BigInt(`0x${m[1]}`) - (1n << 62n) - 10n;
  const nanos = Number.parseInt(m[2] as string, 16);
  return new Date(Number(secs) * 1000 + Math.floor(nanos / 1e6)).toISOString();
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
