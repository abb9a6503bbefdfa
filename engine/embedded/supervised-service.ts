import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command, CompiledLongrun } from '../../lang/compile/compiled-db.js';
import { AccountError, resolveAccount, type Account } from '../accounts.js';
import { DEFAULT_PATH, EngineError, type ServiceStatus } from '../engine.js';
import type { RunState } from '../../state/run-state.js';
import { signalName, signalNumber } from '../signals.js';
import { currentLog, logDir, pipePath, servicePaths, type EngineLayout } from './layout.js';
import { openLogFd } from './log-file.js';
import { readLaunchRecord, recordedProcess, writeLaunchRecord } from './launch-record.js';
import { groupGone, isSameLiveProcess, procInfo, signalGroup, type ProcInfo } from './proc.js';
import type { LaunchHandlers, Launcher, StdioSlot } from './spawner.js';
import { overwriteInPlace } from './write-file.js';

// One longrun under supervision, with s6-supervise's semantics: the process runs in its own
// process group; when it dies, `finish` runs and the service is restarted, at most once a second;
// down sends down_signal to the whole group, then SIGKILL after timeout_kill. Everything a
// restarted supervisor needs to adopt the process is written to status.json on each change.

/** How long after a launch its start time is read (see onSpawned): past the exec, as a rule. */
const START_TIME_DELAY_MS = 100;

/** What status.json holds. */
export interface PersistedStatus {
  wanted: 'up' | 'down';
  pid?: number;
  /** /proc start time of pid: guards adoption against a recycled pid. */
  starttime?: number;
  /**
   * The pid of the last launch of run this supervisor saw, alive or not: a launch record
   * (engine/launches/NAME.run) naming another pid is a launch it did not live to see.
   */
  launched?: number;
  ready: boolean;
  failed: boolean;
  since: string;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null };
  /** The last max_death_tally deaths, oldest first. */
  deaths: { at: string; code: number | null; signal: string | null }[];
}

export interface ServiceHost {
  layout: EngineLayout;
  /** Time spent inside spawn(2) (fork and exec, the kernel's share), so the bench can tell it apart from ours. */
  spawnStats: { count: number; ms: number };
  /** The held-open FIFO a consumer reads from (opened on first use). */
  pipeFd(consumer: string): number;
  /** What starts services with vfork: a helper (docs/engine.md#spawning); none for Node's spawn(). */
  readonly spawner: Launcher | undefined;
}

/** s6-supervise's throttle: a service is never spawned twice within this many milliseconds. */
export const RESTART_INTERVAL_MS = 1000;

/** finish's exit code that tells s6-supervise not to restart the service (s6's servicedir docs). */
const PERMANENT_FAILURE = 125;

interface Waiter {
  kind: 'up' | 'down';
  resolve(): void;
  reject(err: Error): void;
  timer?: NodeJS.Timeout;
}

export class SupervisedService {
  state: RunState = 'down';
  wanted: 'up' | 'down' = 'down';
  pid?: number;
  starttime?: number;
  adopted = false;
  /** Found dead, or waiting for a readiness it can no longer see, by a restarted supervisor, which restarted it. */
  restartedOnRecovery = false;
  ready = false;
  failed = false;
  since = new Date().toISOString();
  restarts = 0;
  lastExit?: { code: number | null; signal: string | null };
  deaths: PersistedStatus['deaths'] = [];

  /** Our child (or the spawner's): its exit is reported, not polled for as an adopted one's is. */
  private launched = false;
  /** PersistedStatus.launched. */
  private launchedPid?: number;
  private logDirMade = false;
  /** Between the request to spawn and the pid: neither running nor free to spawn again. */
  private spawning = false;
  private lastSpawnAt = 0;
  private restartTimer?: NodeJS.Timeout;
  private killTimer?: NodeJS.Timeout;
  /** Between the death of the process and the end of finish: no new spawn. */
  private settling = false;
  /** Uninstalled or its supervisor gone: whatever is still in flight must never spawn it again. */
  private abandoned = false;
  private waiters: Waiter[] = [];

  constructor(
    public def: CompiledLongrun,
    private readonly host: ServiceHost,
  ) {}

  get name(): string {
    return this.def.name;
  }

  get running(): boolean {
    return this.pid !== undefined;
  }

  // ---- requests ----------------------------------------------------------------------------

  start(timeoutMs: number): Promise<void> {
    // What the operator asks for from here on is no longer the recovery's doing.
    this.restartedOnRecovery = false;
    this.wanted = 'up';
    this.failed = false;
    if (this.isUp()) {
      this.persist();
      return Promise.resolve();
    }
    const p = this.wait('up', timeoutMs, () => {
      // s6-rc's timeout-up: the transition failed and the service is brought back down.
      this.failed = true;
      this.requestDown();
      return new EngineError(this.name, `not ${this.def.notification_fd !== undefined ? 'ready' : 'up'} after ${timeoutMs} ms (timeout_up); brought down`);
    });
    // Wanted up is on disk before the launch: a supervisor killed from here on finds the process
    // by its launch record, and adopts it rather than stop it as unwanted.
    this.persist();
    if (!this.running && !this.spawning && !this.settling && !this.restartTimer) this.spawnRun();
    return p;
  }

  stop(timeoutMs: number): Promise<void> {
    this.restartedOnRecovery = false;
    this.requestDown();
    if (!this.running && !this.spawning && !this.settling) {
      this.setState(this.failed ? 'failed' : 'down');
      return Promise.resolve();
    }
    return this.wait('down', timeoutMs, () => new EngineError(this.name, `still running after ${timeoutMs} ms (timeout_down)`));
  }

  reload(): void {
    if (!this.running || this.pid === undefined) throw new EngineError(this.name, 'cannot reload: not running');
    const sig = signalName(this.def.reload_signal ?? 'SIGHUP');
    if (!sig) throw new EngineError(this.name, `unknown reload_signal "${this.def.reload_signal}"`);
    process.kill(this.pid, sig);
  }

  /** SIGKILL to the whole group, for a clean stop that must not wait forever. */
  killGroup(): void {
    if (this.pid !== undefined) signalGroup(this.pid, 'SIGKILL');
  }

  /**
   * What the previous supervisor left: its status.json, and the launch records its processes
   * wrote themselves. A record naming a pid status.json does not know is a launch the previous
   * supervisor did not live to record (killed between the clone and the write of the pid, or with
   * requests still in a helper's pipe): that process is the service's, and is adopted or stopped
   * like any other. An interrupted finish is killed with its group; the restart goes on.
   */
  private recovered(st: PersistedStatus): { proc?: ProcInfo; unseen: boolean; died: boolean } {
    const paths = servicePaths(this.host.layout, this.name);
    const finishing = recordedProcess(readLaunchRecord(paths.finishRecord));
    if (finishing) signalGroup(finishing.pid, 'SIGKILL');
    const rec = readLaunchRecord(paths.runRecord);
    this.launchedPid = st.launched ?? st.pid;
    if (rec && rec.pid !== this.launchedPid) {
      // status.json's pid, if any, is an earlier launch, which died before this one was made.
      if (st.pid !== undefined && st.starttime !== undefined && isSameLiveProcess(st.pid, st.starttime)) signalGroup(st.pid, 'SIGKILL');
      this.launchedPid = rec.pid;
      const proc = recordedProcess(rec);
      return { proc, unseen: true, died: !proc };
    }
    if (st.pid === undefined) return { unseen: false, died: false };
    const proc = rec?.pid === st.pid ? recordedProcess(rec) : isSameLiveProcess(st.pid, st.starttime) ? procInfo(st.pid) : undefined;
    return { proc, unseen: false, died: !proc };
  }

  /** Called by a supervisor that starts on a service directory: adopts what still runs, restarts what should. */
  adopt(st: PersistedStatus): void {
    Object.assign(this, { wanted: st.wanted, restarts: st.restarts, lastExit: st.lastExit, deaths: st.deaths ?? [], since: st.since, failed: st.failed });
    const { proc, unseen, died } = this.recovered(st);
    if (proc) {
      this.pid = proc.pid;
      this.starttime = proc.starttime;
      this.adopted = true;
      // Never seen ready when never seen at all.
      this.ready = unseen ? false : st.ready;
      const waitingForReadiness = this.def.notification_fd !== undefined && !this.ready;
      if (st.wanted === 'down') {
        // It was being stopped when the old supervisor died: finish the job.
        this.state = 'stopping';
        this.sendDownSignal();
      } else if (waitingForReadiness) {
        // Its notification pipe died with the old supervisor, so readiness can never be seen:
        // restart it cleanly rather than report it forever "starting".
        this.state = 'stopping';
        this.restartedOnRecovery = true;
        signalGroup(this.pid, 'SIGKILL');
      } else {
        this.state = this.def.notification_fd !== undefined ? 'ready' : 'up';
      }
    } else {
      this.state = 'down';
      // It died while nobody watched: that is a death like any other.
      if (died) this.recordDeath(null, null, st.wanted === 'up');
      // s6's `down` file: a service marked down is not started by a (re)starting supervisor.
      if (this.wanted === 'up' && this.def.down) this.wanted = 'down';
      if (this.wanted === 'up') {
        this.restartedOnRecovery = died;
        this.spawnRun();
      }
    }
    this.persist();
  }

  /** Adopted processes are not our children: no exit event, so look. */
  pollAdopted(): void {
    if (!this.adopted || this.pid === undefined || this.launched) return;
    if (!isSameLiveProcess(this.pid, this.starttime)) this.onExit(null, null);
  }

  // ---- process life ------------------------------------------------------------------------

  private isUp(): boolean {
    return this.running && !this.settling && (this.state === 'ready' || (this.state === 'up' && this.def.notification_fd === undefined));
  }

  private requestDown(): void {
    this.wanted = 'down';
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    this.rejectWaiters('up', new EngineError(this.name, 'brought down before it was up'));
    this.persist();
    if (this.running && this.state !== 'stopping') {
      this.setState('stopping');
      this.sendDownSignal();
    }
  }

  private sendDownSignal(): void {
    if (this.pid === undefined) return;
    const sig = signalName(this.def.down_signal) ?? 'SIGTERM';
    signalGroup(this.pid, sig);
    // As s6-supervise does: a stopped process would never act on the signal.
    if (sig !== 'SIGKILL') signalGroup(this.pid, 'SIGCONT');
    const killMs = this.def.timeouts.kill_ms;
    if (killMs > 0 && !this.killTimer) {
      const pgid = this.pid;
      this.killTimer = setTimeout(() => {
        this.killTimer = undefined;
        signalGroup(pgid, 'SIGKILL');
      }, killMs);
    }
  }

  spawnRun(): void {
    this.restartTimer = undefined;
    if (this.running || this.spawning || this.settling || this.wanted !== 'up' || this.abandoned) return;
    let account;
    try {
      account = resolveAccount(this.def.user, this.def.group);
    } catch (err) {
      this.spawnFailed(err instanceof AccountError ? err.message : String(err));
      return;
    }
    this.spawning = true;
    this.lastSpawnAt = Date.now();
    let pid: number | undefined;
    const handlers: LaunchHandlers = {
      spawned: (p) => {
        pid = p;
        this.onSpawned(p);
      },
      failed: (message) => {
        this.spawning = false;
        this.spawnFailed(message);
      },
      ready: () => {
        if (pid === this.pid) this.onReady();
      },
      exited: (code, signal) => {
        if (pid === this.pid) this.onExit(code, signal);
      },
      orphaned: () => {
        if (pid === this.pid) this.orphaned();
      },
    };
    const spawner = this.host.spawner;
    if (spawner?.alive) this.launchWithSpawner(spawner, account, handlers);
    else this.launchWithNode(account, handlers);
  }

  private launchWithSpawner(spawner: Launcher, account: Account, handlers: LaunchHandlers): void {
    const paths = servicePaths(this.host.layout, this.name);
    const stdio: (StdioSlot | undefined)[] = [{ kind: 'r', path: '/dev/null' }, ...this.logSlots()];
    // The supervisor holds each FIFO open (pipeFd); the helper opens it again by name.
    if (this.def.consumer_for.length > 0) {
      this.host.pipeFd(this.name);
      stdio[0] = { kind: 'w', path: pipePath(this.host.layout, this.name) };
    }
    if (this.def.producer_for !== undefined) {
      this.host.pipeFd(this.def.producer_for);
      stdio[1] = { kind: 'w', path: pipePath(this.host.layout, this.def.producer_for) };
    }
    const n = this.def.notification_fd;
    if (n !== undefined) stdio[n] = { kind: 'n' };
    if (this.def.lock_fd !== undefined) stdio[this.def.lock_fd] = { kind: 'l', path: paths.lock };
    const { file, args } = launchCommandLine(this.def.run, paths.runScript, account, stdio, []);
    spawner.launch({ file, args, ...this.surroundings(), stdio, ...accountIds(account), record: paths.runRecord }, handlers);
  }

  private launchWithNode(account: Account, handlers: LaunchHandlers): void {
    const paths = servicePaths(this.host.layout, this.name);
    if (this.def.lock_fd !== undefined) {
      // Node has no flock(2): refused, rather than a descriptor that locks nothing.
      handlers.failed(`lock_fd needs the supervisor's launchers, built from C by npm run build (docs/engine.md#spawning); Node's spawn() cannot take the lock`);
      return;
    }
    const n = this.def.notification_fd;
    const logFd = this.openLog();
    const stdio: StdioOptions = ['ignore', logFd, logFd];
    if (this.def.consumer_for.length > 0) stdio[0] = this.host.pipeFd(this.name);
    if (this.def.producer_for !== undefined) stdio[1] = this.host.pipeFd(this.def.producer_for);
    if (n !== undefined) {
      for (let i = 3; i < n; i++) stdio[i] = 'ignore';
      stdio[n] = 'pipe';
    }
    const { file, args, scriptFd } = nodeCommandLine(this.def.run, paths.runScript, account, stdio, []);
    let child: ChildProcess;
    const t0 = performance.now();
    try {
      child = this.spawnAs(account, file, args, stdio);
    } catch (err) {
      fs.closeSync(logFd);
      if (scriptFd !== undefined) fs.closeSync(scriptFd);
      handlers.failed((err as Error).message);
      return;
    }
    this.host.spawnStats.count++;
    this.host.spawnStats.ms += performance.now() - t0;
    fs.closeSync(logFd);
    if (scriptFd !== undefined) fs.closeSync(scriptFd);
    if (child.pid === undefined) {
      // spawn reports exec failures (ENOENT, EACCES) as an 'error' event.
      child.on('error', (err) => handlers.failed(`cannot run ${file}: ${err.message}`));
      return;
    }
    child.on('error', () => {});
    // After the exec, not before it as the launchers do: a supervisor killed in between leaves
    // this one process unknown (docs/engine.md).
    writeLaunchRecord(paths.runRecord, child.pid);
    handlers.spawned(child.pid);
    if (n !== undefined) watchReadiness(child.stdio[n] as Readable | null, () => handlers.ready());
    child.on('exit', (code, signal) => handlers.exited(code, signal));
  }

  /**
   * Makes the service's log directory and its log file, once per supervisor: after that the
   * launcher's open is the only system call on the log's path, and if the live directory was
   * removed it fails rather than recreate anything. The supervisor calls it at install, so that a
   * first start (every start of a fresh dependency chain) waits neither for a mkdir nor for the
   * filesystem to allocate the file. False when the logs are gone.
   */
  prepareLogDir(): boolean {
    if (this.logDirMade) return true;
    if (!fs.existsSync(this.host.layout.logs)) return false;
    fs.mkdirSync(logDir(this.host.layout, this.name), { recursive: true, mode: 0o700 });
    fs.closeSync(fs.openSync(currentLog(this.host.layout, this.name), 'a', 0o600));
    this.logDirMade = true;
    return true;
  }

  /** stdout and stderr for the spawner: the service's log, opened by the helper. */
  private logSlots(): [StdioSlot, StdioSlot] {
    const log = this.prepareLogDir() ? currentLog(this.host.layout, this.name) : '/dev/null';
    return [
      { kind: 'a', path: log },
      { kind: 'a', path: log },
    ];
  }

  private onSpawned(pid: number): void {
    this.spawning = false;
    this.launched = true;
    this.pid = pid;
    this.launchedPid = pid;
    this.starttime = undefined;
    this.adopted = false;
    this.ready = false;
    // The start time that tells this process from a later one with the same pid comes from
    // /proc/PID/stat, and reading that file blocks until the new process's exec has completed
    // (docs/benchmarks.md, "The start time of a new process"). It is
    // read a little later instead, off the path of the reply; until then the status file has the
    // pid alone, which is all an adopting supervisor needs unless the pid is reused that soon.
    // Bookkeeping only: it does not keep a supervisor that is stopping alive.
    setTimeout(() => {
      if (this.pid !== pid || this.abandoned) return;
      this.starttime = procInfo(pid)?.starttime;
      this.persist();
    }, START_TIME_DELAY_MS).unref();
    if (this.wanted !== 'up' || this.abandoned) {
      // Stopped (or uninstalled) while its spawn was on its way: it goes down at once.
      this.setState('stopping');
      this.sendDownSignal();
      return;
    }
    const n = this.def.notification_fd;
    // Not written to status.json now: the launch record already names the process, and wanted
    // up was written before the launch; the pid follows with its start time. So the reply to a
    // start (on a dependency chain the next start waits for it) waits for no write of ours.
    this.setState(n !== undefined ? 'starting' : 'up', false);
    if (n === undefined) this.resolveWaiters('up');
  }

  private onReady(): void {
    if (this.ready) return;
    this.ready = true;
    if (this.state === 'starting') this.setState('ready');
    this.resolveWaiters('up');
  }

  /**
   * The spawner died under it: the process runs on, but is nobody's child to wait for now. It
   * is watched as an adopted one is; one still waiting for readiness can never be seen ready,
   * so it is restarted, as a restarted supervisor does.
   */
  private orphaned(): void {
    if (!this.launched || this.pid === undefined) return;
    this.launched = false;
    this.adopted = true;
    if (this.def.notification_fd !== undefined && !this.ready && this.wanted === 'up') signalGroup(this.pid, 'SIGKILL');
  }

  private spawnFailed(message: string): void {
    this.lastSpawnAt = Date.now();
    this.failed = true;
    this.setState('failed');
    const hadWaiters = this.waiters.some((w) => w.kind === 'up');
    this.rejectWaiters('up', new EngineError(this.name, message));
    // An explicit start that cannot even spawn fails at once; a restart after a death retries
    // every second as s6-supervise does, in case the cause (a missing binary) is fixed.
    if (hadWaiters) this.wanted = 'down';
    else if (this.wanted === 'up') this.scheduleRestart();
    this.persist();
  }

  private recordDeath(code: number | null, signal: string | null, counts: boolean): void {
    this.lastExit = { code, signal };
    this.deaths.push({ at: new Date().toISOString(), code, signal });
    const tally = Math.max(1, this.def.max_death_tally);
    if (this.deaths.length > tally) this.deaths.splice(0, this.deaths.length - tally);
    if (counts) this.restarts++;
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const pgid = this.pid as number;
    this.launched = false;
    this.pid = undefined;
    this.starttime = undefined;
    this.adopted = false;
    this.ready = false;
    this.settling = true;
    this.recordDeath(code, signal, this.wanted === 'up');
    this.setState(this.wanted === 'up' ? 'down' : 'stopping');
    void this.settle(pgid, code, signal);
  }

  /** After the leader's death: the rest of its group gone, finish run, then restart or rest. */
  private async settle(pgid: number, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    // A service is its whole process group: when the leader died on its own, what it left behind
    // goes too, so a restart cannot run beside the previous instance's children. When it is
    // being brought down, the down signal and the kill timer are already at work.
    if (this.wanted === 'up') signalGroup(pgid, 'SIGKILL');
    await groupGone(pgid);
    if (this.killTimer) {
      clearTimeout(this.killTimer);
      this.killTimer = undefined;
    }
    const finished = await this.runFinish(code, signal);
    this.settling = false;
    if (finished === PERMANENT_FAILURE && this.wanted === 'up' && !this.abandoned) {
      // s6-supervise's rule: finish exiting 125 means the service failed for good (its address is
      // taken, its configuration is wrong): it is not restarted, and a start waiting on it fails now.
      this.wanted = 'down';
      this.failed = true;
      this.setState('failed');
      const how = code !== null ? `exited with code ${code}` : `was killed by ${signal}`;
      this.rejectWaiters('up', new EngineError(this.name, `${how} and its finish script exited 125: failed for good, not restarted`));
      this.resolveWaiters('down');
      return;
    }
    if (this.wanted === 'up' && !this.abandoned) {
      this.setState('down');
      this.scheduleRestart();
    } else {
      this.setState(this.failed ? 'failed' : 'down');
      this.resolveWaiters('down');
    }
  }

  private scheduleRestart(): void {
    if (this.restartTimer || this.abandoned) return;
    const wait = Math.max(0, this.lastSpawnAt + RESTART_INTERVAL_MS - Date.now());
    this.restartTimer = setTimeout(() => this.spawnRun(), wait);
  }

  /** Runs finish, if any; its exit code, or null when there is none, it was killed or it could not run. */
  private runFinish(code: number | null, signal: NodeJS.Signals | null): Promise<number | null> {
    const finish = this.def.finish;
    if (!finish) return Promise.resolve(null);
    const paths = servicePaths(this.host.layout, this.name);
    // s6's finish arguments: the exit code (256 when killed by a signal) and the signal number.
    const extra = [String(code ?? 256), String(signal ? signalNumber(signal) : 0)];
    return new Promise((resolve) => {
      let account;
      try {
        account = resolveAccount(this.def.user, this.def.group);
      } catch {
        resolve(null);
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      const done = (exitCode: number | null = null): void => {
        if (timer) clearTimeout(timer);
        resolve(exitCode);
      };
      const limit = this.def.timeouts.finish_ms;
      const spawner = this.host.spawner;
      if (spawner?.alive) {
        // Through the spawner as `run` is: a death's restart does not wait behind a fork of the supervisor.
        const stdio: (StdioSlot | undefined)[] = [{ kind: 'r', path: '/dev/null' }, ...this.logSlots()];
        const { file, args } = launchCommandLine(finish, paths.finishScript, account, stdio, extra);
        let pgid: number | undefined;
        const end = (exitCode: number | null = null): void => {
          // finish's whole group goes with it, as after Node's spawn below.
          if (pgid !== undefined) signalGroup(pgid, 'SIGKILL');
          done(exitCode);
        };
        spawner.launch(
          { file, args, ...this.surroundings(), stdio, ...accountIds(account), record: paths.finishRecord },
          {
            spawned: (pid) => {
              pgid = pid;
              if (limit > 0) timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), limit);
            },
            failed: () => done(),
            ready: () => {},
            exited: (exitCode) => end(exitCode),
            // The spawner died: finish runs on unwatched, bounded by its timeout no more; do not wait for it.
            orphaned: () => end(),
          },
        );
        return;
      }
      const logFd = this.openLog();
      const stdio: StdioOptions = ['ignore', logFd, logFd];
      const { file, args, scriptFd } = nodeCommandLine(finish, paths.finishScript, account, stdio, extra);
      const child = this.spawnAs(account, file, args, stdio);
      fs.closeSync(logFd);
      if (scriptFd !== undefined) fs.closeSync(scriptFd);
      if (child.pid !== undefined) writeLaunchRecord(paths.finishRecord, child.pid);
      child.on('error', () => done());
      child.on('exit', (exitCode) => {
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        done(exitCode);
      });
      if (limit > 0 && child.pid !== undefined) {
        const pgid = child.pid;
        timer = setTimeout(() => signalGroup(pgid, 'SIGKILL'), limit);
      }
    });
  }

  /**
   * One of the service's programs (run or finish) through Node's spawn(): in its directory, with
   * its environment, as its account, in a new session, hence a new process group whose id is the
   * pid (down signals the group).
   */
  private spawnAs(account: Account, file: string, args: string[], stdio: StdioOptions): ChildProcess {
    return spawn(file, args, { ...this.surroundings(), stdio, detached: true, ...accountIds(account) });
  }

  /** Where the service's programs run, whoever starts them: its working directory and environment. */
  private surroundings(): { cwd: string; env: Record<string, string> } {
    return { cwd: this.def.working_dir ?? servicePaths(this.host.layout, this.name).dir, env: { PATH: DEFAULT_PATH, ...this.def.env } };
  }

  /** The service's log; /dev/null once the live directory is gone, so nothing recreates it. */
  private openLog(): number {
    if (!fs.existsSync(this.host.layout.logs)) return fs.openSync('/dev/null', 'w');
    return openLogFd(currentLog(this.host.layout, this.name));
  }

  // ---- waiters and status ------------------------------------------------------------------

  private wait(kind: 'up' | 'down', timeoutMs: number, onTimeout: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      const w: Waiter = { kind, resolve, reject };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(onTimeout());
        }, timeoutMs);
      }
      this.waiters.push(w);
    });
  }

  private resolveWaiters(kind: 'up' | 'down'): void {
    this.settleWaiters(kind, (w) => w.resolve());
  }

  private rejectWaiters(kind: 'up' | 'down', err: Error): void {
    this.settleWaiters(kind, (w) => w.reject(err));
  }

  private settleWaiters(kind: 'up' | 'down', fn: (w: Waiter) => void): void {
    const mine = this.waiters.filter((w) => w.kind === kind);
    if (mine.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.kind !== kind);
    for (const w of mine) {
      if (w.timer) clearTimeout(w.timer);
      fn(w);
    }
  }

  private setState(state: RunState, persist = true): void {
    if (state !== this.state) {
      this.state = state;
      this.since = new Date().toISOString();
    }
    if (persist) this.persist();
  }

  /** Fails pending requests: the supervisor is going away or the service is uninstalled. */
  abandon(reason: string): void {
    this.abandoned = true;
    this.rejectWaiters('up', new EngineError(this.name, reason));
    this.rejectWaiters('down', new EngineError(this.name, reason));
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = undefined;
  }

  persisted(): PersistedStatus {
    return {
      wanted: this.wanted,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      ...(this.starttime !== undefined ? { starttime: this.starttime } : {}),
      ...(this.launchedPid !== undefined ? { launched: this.launchedPid } : {}),
      ready: this.ready,
      failed: this.failed,
      since: this.since,
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      deaths: this.deaths,
    };
  }

  persist(): void {
    const paths = servicePaths(this.host.layout, this.name);
    // After an uninstall the directory is gone and nothing is to be remembered.
    try {
      overwriteInPlace(paths.status, JSON.stringify(this.persisted()) + '\n');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  status(): ServiceStatus {
    return {
      name: this.name,
      type: 'longrun',
      wanted: this.wanted,
      state: this.state,
      ...(this.pid !== undefined ? { pid: this.pid } : {}),
      since: this.since,
      restarts: this.restarts,
      ...(this.lastExit ? { lastExit: this.lastExit } : {}),
      ...(this.adopted ? { adopted: true } : {}),
      ...(this.restartedOnRecovery ? { restartedOnRecovery: true } : {}),
    };
  }
}

/**
 * The program and arguments for a command, whoever starts it. A script runs from its file; when
 * the service runs as another user, who cannot traverse the 0700 engine directory, the file is
 * handed over as a descriptor the supervisor's side opens, at `slot` (the first after the `taken`
 * ones, from 3), and executed through /proc/self/fd.
 */
function commandLine(cmd: Command, scriptPath: string, account: Account, taken: number, extra: string[]): { file: string; args: string[]; slot?: number } {
  if ('argv' in cmd) return { file: cmd.argv[0] as string, args: [...cmd.argv.slice(1), ...extra] };
  if (account.uid === undefined) return { file: scriptPath, args: extra };
  const slot = Math.max(3, taken);
  return { file: `/proc/self/fd/${slot}`, args: extra, slot };
}

/** commandLine for Node's spawn(): the script's descriptor opened here, to close once spawned. */
function nodeCommandLine(cmd: Command, scriptPath: string, account: Account, stdio: StdioOptions & unknown[], extra: string[]): { file: string; args: string[]; scriptFd?: number } {
  const { file, args, slot } = commandLine(cmd, scriptPath, account, stdio.length, extra);
  if (slot === undefined) return { file, args };
  for (let i = stdio.length; i < slot; i++) stdio[i] = 'ignore';
  const scriptFd = fs.openSync(scriptPath, 'r');
  stdio[slot] = scriptFd;
  return { file, args, scriptFd };
}

/** commandLine for the launchers: the script is a slot the launcher opens before the child changes ids. */
function launchCommandLine(cmd: Command, scriptPath: string, account: Account, stdio: (StdioSlot | undefined)[], extra: string[]): { file: string; args: string[] } {
  const { file, args, slot } = commandLine(cmd, scriptPath, account, stdio.length, extra);
  if (slot !== undefined) stdio[slot] = { kind: 'r', path: scriptPath };
  return { file, args };
}

/** The ids of an account, as spawn options and launch specs take them: only those it sets. */
function accountIds(account: Account): { uid?: number; gid?: number } {
  return { ...(account.uid !== undefined ? { uid: account.uid } : {}), ...(account.gid !== undefined ? { gid: account.gid } : {}) };
}

/** Node's side of a notification pipe: the first newline is readiness, then the pipe is done with. */
function watchReadiness(pipe: Readable | null, ready: () => void): void {
  if (!pipe) return;
  pipe.on('data', (chunk: Buffer) => {
    if (!chunk.includes(10)) return;
    pipe.destroy();
    ready();
  });
  pipe.on('error', () => {});
}
