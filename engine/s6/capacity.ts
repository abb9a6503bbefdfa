import fs from 'node:fs';

// How many services an s6-svscan can supervise. s6 2.11's s6-svscan takes `-c max` (default 500,
// at most 90,000) and silently skips every service past it ("unable to start supervisor for X:
// too many services" in its own log); each logged service also holds 2 descriptors in it, so its
// open-files limit bounds it too. Checked on s6 2.11.3: a service with its logger counts once.
//
// The limit cannot be raised under running services: s6-svscan re-exec'd with a larger -c (via
// `s6-svscanctl -b` and .s6-svscan/finish) keeps the old s6-supervise processes but does not adopt
// them; it spawns a second s6-supervise per service, which exits on the first one's lock, every
// second, forever. So rcform sizes -c when it starts s6-svscan, and an install past the limit is
// refused with the limit named, before anything is written.

/** s6-svscan's own bounds for -c. */
export const S6_MAX_SERVICES_CEILING = 90000;
export const S6_MAX_SERVICES_FLOOR = 2;
/** s6-svscan's default -c. */
export const S6_DEFAULT_MAX_SERVICES = 500;
/**
 * The least -c rcform starts s6-svscan with: at about 100 bytes of s6-svscan's stack per slot,
 * 10,000 costs 1 MB, so an empty live directory can grow to that without a restart.
 */
export const MIN_SIZED_MAX_SERVICES = 10000;
/** Descriptors s6-svscan keeps for itself (control FIFO, self-pipe, its stdio, a scan's directory). */
const SVSCAN_OWN_FDS = 16;

export interface Capacity {
  /** Services s6-svscan will supervise at most. */
  max: number;
  /** Why: "-c N" or the descriptor limit. */
  reason: string;
}

/** The -c rcform starts its own s6-svscan with: room to double what is installed, within s6's bounds and the descriptors it can have. */
export function sizedMaxServices(installed: number, requested?: number, nofile = hardNofile()): number {
  const byFds = Math.floor((nofile - SVSCAN_OWN_FDS) / 2);
  const wanted = requested ?? Math.max(MIN_SIZED_MAX_SERVICES, 2 * installed);
  return Math.max(S6_MAX_SERVICES_FLOOR, Math.min(wanted, S6_MAX_SERVICES_CEILING, byFds));
}

/** The stack (in kB) s6-svscan needs for -c max, with the 8 MB default as the least. */
export function stackKbFor(max: number): number {
  return Math.max(8192, Math.ceil((max * 100) / 1024) + 4096);
}

/** The -c (or -C of later s6 versions) on an s6-svscan command line; s6's default when absent. */
export function maxServicesOfArgv(argv: string[]): number {
  const WITH_VALUE = new Set(['c', 'C', 'd', 'X', 't', 'L']);
  let max = S6_DEFAULT_MAX_SERVICES;
  for (let k = 1; k < argv.length; k++) {
    const a = argv[k] as string;
    if (a === '--' || !a.startsWith('-') || a === '-') break;
    for (let j = 1; j < a.length; j++) {
      const opt = a[j] as string;
      if (!WITH_VALUE.has(opt)) continue;
      const value = j + 1 < a.length ? a.slice(j + 1) : (argv[++k] ?? '');
      if ((opt === 'c' || opt === 'C') && /^\d+$/.test(value)) max = Number(value);
      break;
    }
  }
  return max;
}

/** What the running s6-svscan with this pid can supervise, from its command line and limits; null when it cannot be read. */
export function capacityOf(pid: number): Capacity | null {
  let argv: string[];
  let limits: string;
  try {
    // A pid recorded earlier may have been reused since.
    if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 's6-svscan') return null;
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
    limits = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    return null;
  }
  const c = maxServicesOfArgv(argv);
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  const byFds = m && m[1] !== 'unlimited' ? Math.floor((Number(m[1]) - SVSCAN_OWN_FDS) / 2) : Infinity;
  return byFds < c ? { max: byFds, reason: `its limit of ${m?.[1]} open files, 2 per logged service` } : { max: c, reason: `-c ${c}` };
}

/** The pid of the s6-svscan whose working directory (it changes to its scan directory) is `scandir`, or null. */
export function findScanner(scandir: string): number | null {
  const want = fs.realpathSync(scandir);
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== 's6-svscan') continue;
      if (fs.readlinkSync(`/proc/${e}/cwd`) === want) return Number(e);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return null;
}

/** This process's hard limit of open files, which the launcher raises s6-svscan's soft limit to. */
function hardNofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    if (m && m[1] !== 'unlimited') return Number(m[1]);
  } catch {
    // not Linux: s6-svscan's own bound only
  }
  return 2 * S6_MAX_SERVICES_CEILING + SVSCAN_OWN_FDS;
}
