import fs from 'node:fs';
import path from 'node:path';
import type { Command, CompiledLongrun } from '../../lang/compile/compiled-db.js';
import { DEFAULT_PATH } from '../engine.js';
import { envdirFiles, writeTree } from '../service-files.js';
import { atomicWriteFileSync } from '../../state/atomic-write.js';
import { pipeIds, SOCKET_FROM_SERVICE } from './fdholder.js';

// One real s6 service directory per longrun. The files follow s6's servicedir format, so that
// s6-supervise does the supervising and nothing of rcform runs at service time:
//   run, finish           generated sh scripts that set up cwd, environment and privileges, then exec
//   command, finish-command  the user's script, when run/finish was given as a script
//   env/                  the environment as an envdir (engine/service-files.ts), which the launcher
//                         and the service's own scripts read with `s6-envdir env`
//   data/                 the definition's data tree (the working directory defaults to the
//                         service directory, as with the embedded engine: data/PATH from there)
//   lock-fd               when lock_fd is set: s6-supervise holds supervise/service-lock for it
//   log/                  the service's logger: s6-svscan pipes the service's stdout into an
//                         s6-log writing <engine>/logs/<id>/current, rotated by size
//   notification-fd, timeout-kill, timeout-finish, down-signal, max-death-tally
//   down                  present while the service is wanted down (see S6Engine.start/stop)

/** s6-supervise refuses a larger death tally. */
export const S6_MAX_DEATH_TALLY = 4096;

export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The privilege-dropping prefix for the exec chain, or [] when the service keeps the supervisor's identity. */
export function privilegePrefix(user: string | undefined, group: string | undefined): string[] {
  if (user && group) return ['s6-envuidgid', '-u', user, 's6-envuidgid', '-g', group, 'env', 'GIDLIST=', 's6-applyuidgid', '-zU'];
  if (user) return ['s6-setuidgid', user];
  // A group alone keeps the supervisor's user (root: only root can change groups).
  if (group) return ['s6-envuidgid', '-g', group, 'env', 'UID=0', 'GIDLIST=', 's6-applyuidgid', '-zU'];
  return [];
}

function commandWords(cmd: Command, script: string, passArgs: boolean): string {
  if ('argv' in cmd) return cmd.argv.map(shQuote).join(' ');
  return script + (passArgs ? ' "$@"' : '');
}

/**
 * The descriptor a script is handed over on when the service runs as another account: that
 * account cannot traverse the 0700 live directory to reach the file, by absolute or relative path,
 * once privileges are dropped. Opened by the launcher while still root and executed through
 * /proc/self/fd (a magic link: no path walk), as the embedded engine does. sh redirects only
 * single-digit descriptors; 9 unless the service's notification fd already holds it.
 */
function scriptFdOf(svc: CompiledLongrun): number {
  return [9, 8, 7].find((fd) => fd !== svc.notification_fd && fd !== svc.lock_fd) as number;
}

/** The word the launcher execs for a script-form run or finish: the file, or its descriptor. */
export function scriptWord(svc: CompiledLongrun, dir: string, which: 'run' | 'finish'): string {
  if (privilegePrefix(svc.user, svc.group).length > 0) return `/proc/self/fd/${scriptFdOf(svc)}`;
  return path.join(dir, which === 'run' ? 'command' : 'finish-command');
}

/**
 * The lines that put a run script on its pipeline(s), through the fd holder (fdholder.ts):
 * s6-fdholder-retrieve hands a descriptor over as the stdin of the program it execs, so the script
 * execs itself through it once per end, the argument saying which stage it is at. s6-supervise
 * gives run the service's name as its argument, and no name holds "@".
 * A producer's stdout becomes the write end (its stdin goes back to /dev/null, as s6-supervise
 * gave it), a consumer's stdin the read end; a service that is both takes the write end first.
 */
function pipelineStages(svc: CompiledLongrun): string[] {
  const lines: string[] = [];
  const retrieve = (id: string, stage: string): string => `exec s6-fdholder-retrieve -t 10000 ${SOCKET_FROM_SERVICE} ${shQuote(id)} ./run ${stage}`;
  if (svc.producer_for !== undefined) {
    lines.push(`if [ "$1" != @stdout ] && [ "$1" != @stdin ]; then ${retrieve(pipeIds(svc.producer_for).w, '@stdout')}; fi`);
    lines.push('if [ "$1" = @stdout ]; then exec 1>&0 0</dev/null; fi');
  }
  if (svc.consumer_for.length > 0) lines.push(`if [ "$1" != @stdin ]; then ${retrieve(pipeIds(svc.name).r, '@stdin')}; fi`);
  return lines;
}

/** The consumers whose pipe this service's run script retrieves an end of. */
export function pipelinesOf(svc: CompiledLongrun): string[] {
  return [...(svc.consumer_for.length > 0 ? [svc.name] : []), ...(svc.producer_for !== undefined ? [svc.producer_for] : [])];
}

export function renderLauncher(svc: CompiledLongrun, dir: string, which: 'run' | 'finish'): string {
  const cmd = which === 'run' ? svc.run : (svc.finish as Command);
  const cwd = svc.working_dir ?? dir;
  const scriptPath = path.join(dir, which === 'run' ? 'command' : 'finish-command');
  const privileges = privilegePrefix(svc.user, svc.group);
  const viaFd = 'script' in cmd && privileges.length > 0;
  // The environment is rebuilt from the fixed PATH plus `env` (as the embedded engine does), so
  // that a service sees the same variables whichever process started s6-svscan; the values an
  // envdir cannot hold go on env's command line instead.
  const { files, notInDir } = envdirFiles(svc.env);
  const chain = [
    'env',
    '-i',
    shQuote(`PATH=${DEFAULT_PATH}`),
    ...notInDir.map(shQuote),
    // -L: without it s6-envdir cuts a value at 4095 bytes. An empty envdir is no s6-envdir: one
    // exec fewer before the program, on every start.
    ...(Object.keys(files).length > 0 ? ['s6-envdir', '-L', shQuote(path.join(dir, 'env'))] : []),
    ...privileges.map(shQuote),
    // finish gets s6's arguments (exit code, signal number, service name) when it is a script.
    commandWords(cmd, shQuote(scriptWord(svc, dir, which)), which === 'finish'),
  ];
  const lines = [
    '#!/bin/sh',
    `# ${which} script of longrun ${svc.name}, generated by rcform: edits are overwritten.`,
    // stderr joins stdout in the logger, as both go to the embedded engine's per-service log.
    ...(which === 'run' ? ['exec 2>&1'] : []),
    // After stderr has joined the logger: a producer's stdout goes down the pipe, its stderr to its log.
    // Before the cd: the holder's socket is reached from the service directory.
    ...(which === 'run' ? pipelineStages(svc) : []),
    ...(viaFd ? [`exec ${scriptFdOf(svc)}<${shQuote(scriptPath)} || exit 111`] : []),
    `cd ${shQuote(cwd)} || exit 111`,
    `exec ${chain.join(' ')}`,
    '',
  ];
  return lines.join('\n');
}

/** s6-log refuses a smaller rotation size. */
const S6_LOG_MIN_BYTES = 4096;

/**
 * Size-rotated log: by default 10 archived files of up to 1 MB beside `current`. RCFORM_LOG_MAX_BYTES
 * and RCFORM_LOG_KEEP, which size the embedded engine's logs, size these too (read at install).
 */
export function renderLoggerRun(logDir: string, env: NodeJS.ProcessEnv = process.env): string {
  return ['#!/bin/sh', '# logger generated by rcform: edits are overwritten.', `exec s6-log -- ${s6LogDirectives(env).join(' ')} ${shQuote(logDir)}`, ''].join('\n');
}

/**
 * s6-log's directives before the log directory: how many archives and how large, and `t`, a
 * TAI64N stamp before each line, which is how `rcform logs -t` knows when a line was written
 * (engine/s6/s6-log-source.ts reads it back and strips it).
 */
export function s6LogDirectives(env: NodeJS.ProcessEnv): string[] {
  const num = (v: string | undefined): number | undefined => (v !== undefined && /^[1-9]\d*$/.test(v) ? Number(v) : undefined);
  const size = Math.max(S6_LOG_MIN_BYTES, num(env['RCFORM_LOG_MAX_BYTES']) ?? 1000000);
  const keep = num(env['RCFORM_LOG_KEEP']) ?? 10;
  return [`n${keep}`, `s${size}`, 't'];
}

/** The servicedir's control files: name → content, or null when the file must be absent. */
export function controlFiles(svc: CompiledLongrun): Record<string, string | null> {
  return {
    'notification-fd': svc.notification_fd !== undefined ? `${svc.notification_fd}\n` : null,
    'lock-fd': svc.lock_fd !== undefined ? `${svc.lock_fd}\n` : null,
    'timeout-kill': `${svc.timeouts.kill_ms}\n`,
    'timeout-finish': `${svc.timeouts.finish_ms}\n`,
    'down-signal': `${svc.down_signal}\n`,
    'max-death-tally': `${Math.min(svc.max_death_tally, S6_MAX_DEATH_TALLY)}\n`,
  };
}

function writeAtomic(file: string, content: string, mode: number): void {
  // s6-supervise may exec `run` at any moment (a crash restart): never let it see a half-written
  // file. No fsync: the directory describes a process, which a machine crash ends too.
  atomicWriteFileSync(file, content, { policy: 'replace-only', mode });
}

/**
 * Writes (or rewrites, for update) the service directory. Never touches `down` or `supervise/`
 * (but for the lock file lock-fd needs), so rewriting a running service's directory does not affect its process: s6-supervise reads
 * `run` only when it next spawns it.
 */
export function writeServiceDir(dir: string, svc: CompiledLongrun, logDir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(dir, 'log'), { recursive: true, mode: 0o755 });
  writeAtomic(path.join(dir, 'log', 'run'), renderLoggerRun(logDir), 0o755);
  // Values may be secrets: the envdir is readable by its owner only.
  writeTree(path.join(dir, 'env'), envdirFiles(svc.env).files, { file: 0o600, dir: 0o700 });
  // A service that drops privileges still reads its data files and starts in data/.
  writeTree(path.join(dir, 'data'), svc.data, { file: 0o644, dir: 0o755 });
  if ('script' in svc.run) writeAtomic(path.join(dir, 'command'), svc.run.script, 0o755);
  else fs.rmSync(path.join(dir, 'command'), { force: true });
  if (svc.finish && 'script' in svc.finish) writeAtomic(path.join(dir, 'finish-command'), svc.finish.script, 0o755);
  else fs.rmSync(path.join(dir, 'finish-command'), { force: true });
  for (const [name, content] of Object.entries(controlFiles(svc))) {
    if (content === null) fs.rmSync(path.join(dir, name), { force: true });
    else writeAtomic(path.join(dir, name), content, 0o644);
  }
  // s6-supervise (2.11.3) opens supervise/service-lock for lock-fd without creating it, and
  // waits a minute before trying again: the file is made here, the one thing put in supervise/.
  if (svc.lock_fd !== undefined) {
    fs.mkdirSync(path.join(dir, 'supervise'), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(path.join(dir, 'supervise', 'service-lock'), 'a', 0o600));
  }
  if (svc.finish) writeAtomic(path.join(dir, 'finish'), renderLauncher(svc, dir, 'finish'), 0o755);
  else fs.rmSync(path.join(dir, 'finish'), { force: true });
  writeAtomic(path.join(dir, 'run'), renderLauncher(svc, dir, 'run'), 0o755);
}
