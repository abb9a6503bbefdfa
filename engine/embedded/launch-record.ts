import fs from 'node:fs';
import { procInfo, type ProcInfo } from './proc.js';

// A launch record (engine/launches/NAME.run, NAME.finish): "PID BOOTNS", the pid of the last
// process launched for that program and the boot-clock time at which the process itself wrote
// it, before its exec (launch.h). It is on disk before the program runs, whatever becomes of the
// supervisor meanwhile, so a supervisor started after a SIGKILL finds every process that was
// started or being started, even one whose pid never reached status.json.
//
// The time tells the process from a later one that got the same pid: at the moment of writing
// the pid was this process's, so any other process with it started after the record was written.
// /proc/PID/stat gives a start time in clock ticks of the same boot clock; USER_HZ, the unit,
// is 100 on every architecture Linux exposes to user space.

const NS_PER_TICK = 10_000_000;

export interface LaunchRecord {
  pid: number;
  bootNs: bigint;
}

export function readLaunchRecord(file: string): LaunchRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const m = /^(\d+) (\d+)\n/.exec(text);
  if (!m) return undefined;
  return { pid: Number(m[1]), bootNs: BigInt(m[2] as string) };
}

/** The live process the record names, or undefined when it is gone (or its pid is someone else's now). */
export function recordedProcess(rec: LaunchRecord | undefined): ProcInfo | undefined {
  if (!rec) return undefined;
  const info = procInfo(rec.pid);
  if (!info || info.state === 'Z' || info.state === 'X') return undefined;
  return BigInt(info.starttime) <= rec.bootNs / BigInt(NS_PER_TICK) ? info : undefined;
}

/**
 * The record for a process started with Node's spawn(), written by the supervisor as soon as
 * spawn() returns (it has no hook before the exec): the boot clock from /proc/uptime, read after
 * the process exists, is at or past its start.
 */
export function writeLaunchRecord(file: string, pid: number): void {
  const [secs, hundredths] = fs.readFileSync('/proc/uptime', 'latin1').split(' ')[0]?.split('.') ?? [];
  const bootNs = BigInt(secs ?? 0) * 1_000_000_000n + BigInt(hundredths ?? 0) * BigInt(NS_PER_TICK);
  // The same fixed length as launch.h's, written in place: never seen empty.
  const line = `${pid} ${bootNs}\n`.padEnd(47, ' ') + '\n';
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, line, 0, 'latin1');
  } finally {
    fs.closeSync(fd);
  }
}
