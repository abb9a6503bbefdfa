import fs from 'node:fs';

// What /proc says about a process. kill(pid, 0) is not enough here: in a container whose init
// does not reap, a dead process lingers as a zombie and still "exists"; and a recycled pid would
// look like the service we started. The state letter and the start time (clock ticks since boot)
// settle both.

export interface ProcInfo {
  pid: number;
  /** R, S, D, T, Z, ... */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Field 22 of /proc/PID/stat: start time in clock ticks after boot; with the pid, a unique identity. */
  starttime: number;
}

// /proc files report a size of 0, so readFileSync reads them through a fresh 64 KiB buffer each
// time, and touching new memory is slow (docs/benchmarks.md, "The machine"), once per start. A
// stat line is a few hundred bytes: one small buffer, reused.
const statBuf = Buffer.allocUnsafe(4096);

function readProcStat(pid: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(`/proc/${pid}/stat`, 'r');
  } catch {
    return undefined;
  }
  try {
    let n = 0;
    for (let r; n < statBuf.length && (r = fs.readSync(fd, statBuf, n, statBuf.length - n, null)) > 0; ) n += r;
    return statBuf.toString('latin1', 0, n);
  } catch {
    return undefined; // the process ended between open and read (ESRCH)
  } finally {
    fs.closeSync(fd);
  }
}

export function procInfo(pid: number): ProcInfo | undefined {
  const text = readProcStat(pid);
  if (text === undefined || text.length === 0) return undefined;
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state) of stat.
  return {
    pid,
    state: fields[0] ?? '?',
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    starttime: Number(fields[19]),
  };
}

/** The process is alive (not a zombie) and is the one that was started at `starttime`. */
export function isSameLiveProcess(pid: number, starttime: number | undefined): boolean {
  const info = procInfo(pid);
  if (!info || info.state === 'Z' || info.state === 'X') return false;
  return starttime === undefined || info.starttime === starttime;
}

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  // Cheap first check: no member at all, zombie or not.
  try {
    process.kill(-pgid, 0);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const info = procInfo(Number(entry));
    if (info && info.pgrp === pgid && info.state !== 'Z' && info.state !== 'X') out.push(info.pid);
  }
  return out;
}

/**
 * Resolves once group `pgid` has no live member. A SIGKILL sent to a group is only pending in
 * each member until the kernel next runs it, so "killed" and "gone" differ on a busy machine.
 */
export async function groupGone(pgid: number): Promise<void> {
  for (let delay = 5; groupMembers(pgid).length > 0; delay = Math.min(delay * 2, 100)) {
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Sends `signal` to every process of group `pgid`; false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
