import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CompiledLongrun, CompiledService } from '../../lang/compile/compiled-db.js';
import { checkAccount, resolveAccount, AccountError } from '../accounts.js';
import { EngineError, type ServiceStatus } from '../engine.js';
import { envdirFiles, writeTree } from '../service-files.js';
import { signalName } from '../signals.js';
import { currentLog, engineLayout, logDir, pipePath, servicePaths, type EngineLayout } from './layout.js';
import { logPolicyFromEnv, rotateIfNeeded, type LogPolicy } from './log-file.js';
import { LaunchGuardTimeout, takeLaunchGuard } from './launch-guard.js';
import { LogClock } from './log-times.js';
import { isSameLiveProcess, procInfo } from './proc.js';
import { onLines, PROTOCOL_VERSION, type Reply, type Request } from './protocol.js';
import { isServiceSideRequest, RunsInFlight, ServiceSideRequests } from '../service-side-requests.js';
import { Spawner, spawnerBinary, spawnerCount, type Launcher } from './spawner.js';
import { SupervisedService, type PersistedStatus } from './supervised-service.js';
import { loadPeerCredAddon, peerCredOf } from './peer-cred.js';
import { servicePathProblems } from '../safe-names.js';
import { checkLiveDir } from '../../state/live-trust.js';
import { readOwnFile } from './write-file.js';
import { atomicWriteFileSync } from '../../state/atomic-write.js';
import { UserError } from '../../lang/user-error.js';

// The embedded supervisor: one per live directory, s6-svscan and every s6-supervise in one Node
// process. It owns <live>/engine/ (docs/engine.md), answers on a Unix socket there, and can be
// SIGKILLed at any moment: on the next start it adopts the processes still running from the
// status files, so nothing is started twice and nothing is left unsupervised.

export class SupervisorError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'SupervisorError';
  }
}

interface OneshotRecord {
  up: boolean;
  since: string;
}

const ADOPTED_POLL_MS = 250;
/** How long a supervisor waits for the launches a killed one left under way (each takes milliseconds). */
const LAUNCH_GUARD_WAIT_MS = 10_000;
const LOG_CHECK_MS = 1000;

export class Supervisor {
  readonly layout: EngineLayout;
  private readonly services = new Map<string, SupervisedService>();
  private oneshots: Record<string, OneshotRecord> = {};
  /** The oneshot runs under way, whichever connection asked for them (service-side-requests.ts). */
  private readonly oneshotRuns = new RunsInFlight();
  private readonly pipeFds = new Map<string, number>();
  /** Spawns through Node's spawn(): the time inside it (fork and exec, blocking the loop). */
  readonly spawnStats = { count: 0, ms: 0 };
  private spawners: Spawner[] = [];
  /** From a start request's arrival to its reply: the supervisor's whole share of an up. */
  private readonly startStats = { count: 0, ms: 0 };
  private server?: net.Server;
  /** The inode of the socket it listens on: a socket put in its place is not its own. */
  private socketIno?: number;
  private relistening?: Promise<void>;
  /** engine/launches.fifo, held for the supervisor's life (launch-guard.ts). */
  private guardFd?: number;
  private readonly conns = new Set<net.Socket>();
  private readonly timers: NodeJS.Timeout[] = [];
  private shuttingDown?: Promise<void>;
  private resolveClosed!: () => void;
  /** Resolves once the supervisor has stopped every service and closed its socket. */
  readonly closed: Promise<void>;
  private readonly logPolicy: LogPolicy;
  private readonly uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  /** When each part of each log was written, as seen by the size checks (rcform logs -t). */
  private readonly logClock = new LogClock();

  private constructor(liveDir: string, env: NodeJS.ProcessEnv) {
    this.layout = engineLayout(liveDir);
    this.logPolicy = logPolicyFromEnv(env);
    this.closed = new Promise((r) => (this.resolveClosed = r));
  }

  /** Takes the live directory's supervisor slot, adopts what is running, and listens. */
  static async start(liveDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Supervisor> {
    // The supervisor runs what its live directory holds, as its own user: only that user's own.
    checkLiveDir(liveDir);
    const sup = new Supervisor(liveDir, env);
    sup.prepareDirs();
    sup.claimPidFile();
    try {
      await sup.takeLaunchGuard();
      sup.startSpawner(env);
      sup.loadAndAdopt();
      await sup.listen();
      const creds = loadPeerCredAddon();
      if (!creds.addon) process.stderr.write(`rcform supervise: cannot load rcform-peercred.node (${creds.error}); who may send requests rests on the socket's mode 0600 and its 0700 directory alone\n`);
    } catch (err) {
      for (const s of sup.spawners) void s.close();
      if (sup.guardFd !== undefined) fs.closeSync(sup.guardFd);
      fs.rmSync(sup.layout.pidFile, { force: true });
      throw err;
    }
    sup.timers.push(setInterval(() => sup.services.forEach((s) => s.pollAdopted()), ADOPTED_POLL_MS));
    sup.timers.push(
      setInterval(() => {
        // A live directory removed under a supervisor (rm -rf of a test's temp dir, an uninstall
        // by hand) leaves it nothing to record state in: stop cleanly rather than run on forever.
        if (!fs.existsSync(sup.layout.services)) void sup.shutdown();
        else {
          sup.rotateLogs();
          sup.keepSocket();
        }
      }, LOG_CHECK_MS),
    );
    return sup;
  }

  private prepareDirs(): void {
    const { root } = this.layout;
    fs.mkdirSync(path.dirname(root), { recursive: true, mode: 0o700 });
    fs.mkdirSync(root, { recursive: true, mode: 0o700 });
    fs.chmodSync(root, 0o700);
    for (const d of [this.layout.services, this.layout.logs, this.layout.pipes, this.layout.oneshots, this.layout.launches]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
  }

  /**
   * Before reading any service's status: every launch a killed predecessor left under way has
   * written its launch record (launch-guard.ts). Past the wait, a warning, and recovery goes on
   * with what is on disk: a supervisor that never starts would leave every service unsupervised.
   */
  private async takeLaunchGuard(): Promise<void> {
    try {
      this.guardFd = await takeLaunchGuard(this.layout.launchGuard, LAUNCH_GUARD_WAIT_MS);
    } catch (err) {
      if (!(err instanceof LaunchGuardTimeout)) throw err;
      process.stderr.write(`rcform supervise: ${err.message}; recovering from what is recorded\n`);
      this.guardFd = fs.openSync(this.layout.launchGuard, fs.constants.O_RDWR);
    }
  }

  /**
   * RCFORM_SPAWNER: unset or `helper`, the helpers (Node's spawn() when none was built); `node`,
   * Node's spawn() alone, to compare and as a way out (docs/engine.md#spawning).
   */
  private startSpawner(env: NodeJS.ProcessEnv): void {
    const choice = env['RCFORM_SPAWNER'] || undefined;
    if (choice !== undefined && !['helper', 'node'].includes(choice)) {
      process.stderr.write(`rcform supervise: RCFORM_SPAWNER=${choice} is not one of helper, node; using the default\n`);
    }
    const binary = spawnerBinary(env);
    if (!binary) return;
    for (let i = spawnerCount(env); i > 0; i--) {
      const sp: Spawner = new Spawner(binary, () => this.spawnerDied(sp), this.guardFd);
      this.spawners.push(sp);
    }
  }

  /** Who starts the next service: the least busy helper, so that a burst's vforks proceed on every core. */
  get spawner(): Launcher | undefined {
    let best: Spawner | undefined;
    for (const s of this.spawners) if (s.alive && (!best || s.inFlight < best.inFlight)) best = s;
    return best;
  }

  /** A helper died under us (it should not): the others carry on, Node's spawn() once none is left. */
  private spawnerDied(sp: Spawner): void {
    this.spawners = this.spawners.filter((s) => s !== sp);
    if (!this.shuttingDown) process.stderr.write(`rcform supervise: spawner ${sp.pid} died; ${this.spawners.length > 0 ? `${this.spawners.length} left` : 'services are spawned by Node from now on'}\n`);
  }

  private claimPidFile(): void {
    const me = `${process.pid} ${procInfo(process.pid)?.starttime ?? 0}\n`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(this.layout.pidFile, me, { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const [pid, start] = fs.readFileSync(this.layout.pidFile, 'utf8').trim().split(' ').map(Number);
      if (pid && isSameLiveProcess(pid, start)) throw new SupervisorError(`a supervisor is already running for this live directory (pid ${pid})`);
      // Its supervisor died without cleaning up (SIGKILL): the slot is free.
      fs.rmSync(this.layout.pidFile, { force: true });
    }
    throw new SupervisorError(`cannot claim ${this.layout.pidFile}: another supervisor is starting`);
  }

  private loadAndAdopt(): void {
    try {
      this.oneshots = JSON.parse(fs.readFileSync(this.layout.oneshotState, 'utf8')) as Record<string, OneshotRecord>;
    } catch {
      this.oneshots = {};
    }
    for (const name of fs.readdirSync(this.layout.services)) {
      const paths = servicePaths(this.layout, name);
      let def: CompiledLongrun;
      try {
        // The service's account owns its directory and could put a definition of its own there.
        const text = readOwnFile(paths.definition);
        if (text === undefined) {
          process.stderr.write(`rcform supervise: ${paths.definition} is not a file of the supervisor's own (it was replaced); ${name} is not adopted: install it again\n`);
          continue;
        }
        def = JSON.parse(text) as CompiledLongrun;
      } catch {
        continue; // an install interrupted before its definition was written
      }
      const svc = new SupervisedService(def, this);
      this.services.set(name, svc);
      let st: PersistedStatus | undefined;
      try {
        const text = readOwnFile(paths.status);
        st = text !== undefined ? (JSON.parse(text) as PersistedStatus) : undefined;
      } catch {
        st = undefined;
      }
      if (st) svc.adopt(st);
      else svc.persist();
    }
  }

  private async listen(): Promise<void> {
    const sock = this.layout.socket;
    if (Buffer.byteLength(sock) > 107) throw new SupervisorError(`the socket path ${sock} is too long for a Unix socket (108 bytes); use a shorter live directory`);
    fs.rmSync(sock, { force: true }); // we hold the pid file, so a socket here is a dead supervisor's
    const server = net.createServer((conn) => this.serve(conn));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Owner-only from the first instant, not only after a chmod.
      const old = process.umask(0o177);
      server.listen(sock, () => {
        process.umask(old);
        resolve();
      });
    });
    fs.chmodSync(sock, 0o600);
    server.on('error', (err) => process.stderr.write(`rcform supervise: error on ${sock}: ${err.message}\n`));
    this.server = server;
    this.socketIno = fs.lstatSync(sock).ino;
  }

  /** Whether the socket at its path is still the one this supervisor listens on. */
  private ownsSocketPath(): boolean {
    try {
      const st = fs.lstatSync(this.layout.socket);
      return st.isSocket() && st.ino === this.socketIno;
    } catch {
      return false;
    }
  }

  /**
   * Its socket removed or replaced (by hand, by a cleanup of the temp dir's sockets): the
   * supervisor goes on supervising and listens again at its path, which lies in its own 0700
   * directory, so whatever took the socket's place was put there by its own user or root.
   */
  private keepSocket(): void {
    if (this.shuttingDown || this.relistening || this.ownsSocketPath()) return;
    this.relistening = (async () => {
      process.stderr.write(`rcform supervise: ${this.layout.socket} was removed or replaced; listening there again\n`);
      // Closing a listening pipe makes libuv unlink its path, whatever is there now: before the new one exists.
      this.server?.close();
      this.server = undefined;
      try {
        fs.rmSync(this.layout.socket, { recursive: true, force: true });
        await this.listen();
      } catch (err) {
        process.stderr.write(`rcform supervise: cannot listen on ${this.layout.socket} again: ${(err as Error).message}; retrying\n`);
      }
    })().finally(() => (this.relistening = undefined));
  }

  private serve(conn: net.Socket): void {
    const peer = peerCredOf(conn);
    if ('cred' in peer && peer.cred.uid !== this.uid && peer.cred.uid !== 0) {
      // Before reading a byte of it: a request from anyone else is never looked at.
      conn.on('error', () => {});
      conn.end(JSON.stringify({ id: 0, ok: false, error: `permission denied: this supervisor accepts requests from uid ${this.uid} and root only, not uid ${peer.cred.uid}` }) + '\n');
      return;
    }
    this.conns.add(conn);
    conn.on('close', () => this.conns.delete(conn));
    conn.on('error', () => {});
    let agreed = false;
    // A oneshot's output goes where a longrun's does: engine/logs/<name>/current.
    // Its log is sampled at the run's end, so that `rcform logs -t` knows when its lines were written.
    const serviceSide = new ServiceSideRequests(
      (m) => reply(conn, m as Reply),
      (name) => ({ logFile: currentLog(this.layout, name) }),
      this.oneshotRuns,
      (name) => {
        const file = currentLog(this.layout, name);
        this.logClock.sample(file, fs.statSync(file).size, new Date(), true);
        rotateIfNeeded(file, this.logPolicy, this.logClock);
      },
    );
    onLines(conn, (line) => {
      let req: Request;
      try {
        req = JSON.parse(line) as Request;
      } catch {
        conn.write(JSON.stringify({ id: -1, ok: false, error: 'malformed request' }) + '\n');
        return;
      }
      if (req.op === 'hello') {
        agreed = req.protocol === PROTOCOL_VERSION;
        if (agreed) reply(conn, { id: req.id, ok: true, result: { protocol: PROTOCOL_VERSION, pid: process.pid } });
        else reply(conn, { id: req.id, ok: false, protocol: PROTOCOL_VERSION, pid: process.pid, error: `this supervisor (pid ${process.pid}) speaks protocol ${PROTOCOL_VERSION}, not protocol ${String(req.protocol)}` });
        return;
      }
      // Read as this version means it, a request of another version could do something else.
      if (!agreed) {
        reply(conn, { id: req.id, ok: false, protocol: PROTOCOL_VERSION, pid: process.pid, error: `this supervisor (pid ${process.pid}) speaks protocol ${PROTOCOL_VERSION} and reads a request only after a hello naming it; nothing was done` });
        return;
      }
      if (isServiceSideRequest(req)) {
        if (this.shuttingDown && req.op === 'run-oneshot') reply(conn, { id: req.id, ok: false, error: 'the supervisor is shutting down' });
        else serviceSide.handle(req);
        return;
      }
      const t0 = performance.now();
      this.handle(req).then(
        (result) => {
          if (req.op === 'start') {
            this.startStats.count++;
            this.startStats.ms += performance.now() - t0;
          }
          reply(conn, { id: req.id, ok: true, ...(result !== undefined ? { result } : {}) });
        },
        (err: Error) => reply(conn, { id: req.id, ok: false, error: err instanceof EngineError ? err.detail : err.message, ...(err instanceof EngineError && err.service !== undefined ? { service: err.service } : {}) }),
      );
    });
  }

  async handle(req: Request): Promise<unknown> {
    if (this.shuttingDown && req.op !== 'status' && req.op !== 'ping' && req.op !== 'shutdown') throw new SupervisorError('the supervisor is shutting down');
    switch (req.op) {
      case 'ping':
        return { pid: process.pid };
      case 'hello':
        // Answered in serve(), before any request is read.
        return { protocol: PROTOCOL_VERSION, pid: process.pid };
      case 'install':
        return this.install(req.svc as CompiledLongrun);
      case 'update':
        return this.update(req.svc as CompiledLongrun);
      case 'rename':
        return this.rename(req.from, req.to, req.svc as CompiledLongrun);
      case 'uninstall':
        return this.uninstall(req.name);
      case 'start':
        return this.get(req.name).start(req.timeoutMs);
      case 'stop':
        return this.get(req.name).stop(req.timeoutMs);
      case 'reload':
        return this.get(req.name).reload();
      case 'oneshot':
        return this.setOneshot(req.svc as CompiledService, req.up);
      case 'status':
        return this.status();
      case 'stats': {
        const cpu = process.cpuUsage();
        return {
          spawns: this.spawnStats.count + sum(this.spawners.map((s) => s.stats.count)),
          spawnMs: this.spawnStats.ms + sum(this.spawners.map((s) => s.stats.ms)),
          // Node's spawn() is fork and exec from end to end; the launchers time their vfork and exec themselves.
          execMs: this.spawnStats.ms + sum(this.spawners.map((s) => s.stats.execMs)),
          launcher: this.spawners.length > 0 ? 'helper' : 'node',
          spawners: this.spawners.map((s) => s.pid as number),
          cpuMs: (cpu.user + cpu.system) / 1000,
          starts: this.startStats.count, startMs: this.startStats.ms, rssBytes: process.memoryUsage().rss, services: this.services.size };
      }
      case 'shutdown':
        // After the reply is on its way: with nothing to stop, shutdown ends every connection at
        // once, and the asker would see its connection close instead of the answer.
        setImmediate(() => void this.shutdown());
        return undefined;
      default:
        throw new SupervisorError(`unknown request ${(req as { op: string }).op}`);
    }
  }

  private get(name: string): SupervisedService {
    const svc = this.services.get(name);
    if (!svc) throw new EngineError(name, 'not installed');
    return svc;
  }

  // ---- installation ------------------------------------------------------------------------

  private validate(def: CompiledLongrun): void {
    if (def.type !== 'longrun') throw new EngineError(def.name, `only longruns are supervised, not ${def.type}s`);
    const unsafe = servicePathProblems(def);
    if (unsafe.length > 0) throw new EngineError(String(def.name), `refused before anything was written: ${unsafe.join('; ')}`);
    if (!signalName(def.down_signal)) throw new EngineError(def.name, `unknown down_signal "${def.down_signal}"`);
    if (def.reload_signal !== undefined && !signalName(def.reload_signal)) throw new EngineError(def.name, `unknown reload_signal "${def.reload_signal}"`);
    if (def.notification_fd !== undefined && (!Number.isInteger(def.notification_fd) || def.notification_fd < 3)) throw new EngineError(def.name, `notification_fd must be 3 or more, not ${def.notification_fd}`);
    if (def.lock_fd !== undefined && (!Number.isInteger(def.lock_fd) || def.lock_fd < 3 || def.lock_fd === def.notification_fd)) throw new EngineError(def.name, `lock_fd must be 3 or more and not the notification_fd, not ${def.lock_fd}`);
    try {
      checkAccount(def.user, def.group);
    } catch (err) {
      if (err instanceof AccountError) throw new EngineError(def.name, err.message);
      throw err;
    }
  }

  /**
   * `fresh`: a new install, whose definition nobody has read yet. It is written in place rather
   * than through a temp file and a rename (a file system transaction fewer per install, and a
   * thousand installs come before the first start of a chain): torn by a SIGKILL, it is an
   * install interrupted before its definition was written, which loadAndAdopt skips.
   */
  private writeDefinition(def: CompiledLongrun, fresh = false): void {
    const paths = servicePaths(this.layout, def.name);
    fs.mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    // The service's own user must reach its working directory, env/, data files and scripts, so
    // they are its own (given away as writeTree says, so no path it could have replaced by a
    // symlink is written through or chowned).
    const owner = def.user !== undefined || def.group !== undefined ? resolveAccount(def.user, def.group) : undefined;
    // As in an s6-rc service directory: env/ for the service's own `s6-envdir env` (the process
    // gets its environment directly as well), data/ a tree. Only a service with either has the
    // directory: a mkdir per install saved.
    for (const [dir, files] of [[paths.env, envdirFiles(def.env).files], [paths.data, def.data]] as const) {
      if (Object.keys(files).length === 0) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      try {
        writeTree(dir, files, { file: 0o600, dir: 0o700, ...(owner ? { owner } : {}) });
      } catch (err) {
        throw new EngineError(def.name, (err as Error).message);
      }
    }
    if ('script' in def.run) atomicWriteFileSync(paths.runScript, def.run.script, { policy: 'replace-only', mode: 0o700, owner });
    else fs.rmSync(paths.runScript, { force: true });
    if (def.finish && 'script' in def.finish) atomicWriteFileSync(paths.finishScript, def.finish.script, { policy: 'replace-only', mode: 0o700, owner });
    else fs.rmSync(paths.finishScript, { force: true });
    if (owner) {
      const own = (p: string): void => fs.chownSync(p, owner.uid ?? -1, owner.gid ?? -1);
      own(paths.dir);
    }
    // Written last: a service directory with a definition is an installed service.
    const text = JSON.stringify(def, null, 2) + '\n';
    if (fresh && !owner) fs.writeFileSync(paths.definition, text, { mode: 0o600 });
    else atomicWriteFileSync(paths.definition, text, { policy: 'replace-only' });
  }

  private install(def: CompiledLongrun): void {
    this.validate(def);
    const existing = this.services.get(def.name);
    if (existing) {
      this.update(def);
      return;
    }
    this.writeDefinition(def, true);
    const svc = new SupervisedService(def, this);
    this.services.set(def.name, svc);
    svc.persist();
    svc.prepareLogDir();
    // s6's `down` file: installed services start unless marked down. rcform installs everything
    // down and lets apply start it, so `down` only matters when the supervisor itself restarts
    // them after a clean stop (see shutdown).
  }

  private update(def: CompiledLongrun): void {
    this.validate(def);
    const svc = this.get(def.name);
    this.writeDefinition(def);
    // Takes effect at the next spawn; the running process is not touched.
    svc.def = def;
    svc.persist();
  }

  private rename(from: string, to: string, def: CompiledLongrun): void {
    const svc = this.get(from);
    if (def.name !== to) throw new EngineError(from, `rename to "${to}" given a definition named "${def.name}"`);
    if (this.services.has(to)) throw new EngineError(to, 'already installed');
    this.validate(def);
    // Renaming directories leaves the process's open log file and pipe descriptors intact.
    fs.renameSync(servicePaths(this.layout, from).dir, servicePaths(this.layout, to).dir);
    // The launch records follow, so that a supervisor killed later still finds the process.
    for (const k of ['runRecord', 'finishRecord'] as const) {
      const old = servicePaths(this.layout, from)[k];
      if (fs.existsSync(old)) fs.renameSync(old, servicePaths(this.layout, to)[k]);
    }
    if (fs.existsSync(logDir(this.layout, from))) {
      fs.rmSync(logDir(this.layout, to), { recursive: true, force: true });
      fs.renameSync(logDir(this.layout, from), logDir(this.layout, to));
    }
    const oldPipe = pipePath(this.layout, from);
    if (fs.existsSync(oldPipe)) {
      fs.renameSync(oldPipe, pipePath(this.layout, to));
      const fd = this.pipeFds.get(from);
      if (fd !== undefined) {
        this.pipeFds.delete(from);
        this.pipeFds.set(to, fd);
      }
    }
    this.services.delete(from);
    this.services.set(to, svc);
    this.writeDefinition(def);
    svc.def = def;
    svc.persist();
  }

  private async uninstall(name: string): Promise<void> {
    const svc = this.services.get(name);
    if (!svc) return;
    // Always, whatever its state: a service between a death and its restart (in finish, or
    // waiting out the throttle) is neither running nor stopping, yet still wanted up, and would
    // come back unseen once it left the table. It leaves the table only once run and finish are gone.
    await svc.stop(0);
    svc.abandon('uninstalled');
    this.services.delete(name);
    fs.rmSync(servicePaths(this.layout, name).dir, { recursive: true, force: true });
    for (const f of [servicePaths(this.layout, name).runRecord, servicePaths(this.layout, name).finishRecord]) fs.rmSync(f, { force: true });
    const fd = this.pipeFds.get(name);
    if (fd !== undefined) {
      fs.closeSync(fd);
      this.pipeFds.delete(name);
    }
    fs.rmSync(pipePath(this.layout, name), { force: true });
    // The log stays, so that `rcform logs` can still explain why a removed service was removed.
  }

  pipeFd(consumer: string): number {
    const have = this.pipeFds.get(consumer);
    if (have !== undefined) return have;
    const fifo = pipePath(this.layout, consumer);
    if (!fs.existsSync(fifo)) {
      // Node has no mkfifo(3); mkfifo(1) is in coreutils everywhere s6 would run.
      const r = spawnSync('mkfifo', ['-m', '600', fifo], { encoding: 'utf8' });
      if (r.status !== 0 && !fs.existsSync(fifo)) throw new EngineError(consumer, `cannot create pipe ${fifo}: ${r.stderr || r.error?.message}`);
    }
    // Held open read-write, like s6-rc's fd holder: neither end ever sees the other go away, so
    // a producer or a consumer can restart without the other getting EOF or SIGPIPE.
    const fd = fs.openSync(fifo, fs.constants.O_RDWR);
    this.pipeFds.set(consumer, fd);
    return fd;
  }

  private setOneshot(svc: CompiledService, up: boolean): void {
    const prev = this.oneshots[svc.name];
    this.oneshots[svc.name] = { up, since: prev && prev.up === up ? prev.since : new Date().toISOString() };
    if (!up) delete this.oneshots[svc.name];
    atomicWriteFileSync(this.layout.oneshotState, JSON.stringify(this.oneshots) + '\n', { policy: 'replace-only' });
  }

  status(): Record<string, ServiceStatus> {
    const out: Record<string, ServiceStatus> = {};
    for (const [name, svc] of this.services) out[name] = svc.status();
    for (const [name, rec] of Object.entries(this.oneshots)) {
      out[name] = { name, type: 'oneshot', wanted: rec.up ? 'up' : 'down', state: rec.up ? 'up' : 'down', since: rec.since, restarts: 0 };
    }
    return out;
  }

  private rotateLogs(): void {
    for (const name of this.services.keys()) {
      try {
        rotateIfNeeded(currentLog(this.layout, name), this.logPolicy, this.logClock);
      } catch {
        // A log removed under our feet: the next spawn recreates it.
      }
    }
  }

  // ---- clean stop --------------------------------------------------------------------------

  /**
   * Brings every longrun down, dependents before their dependencies (highest rank first), then
   * closes the socket and exits the loop. What each service wanted is kept in its status file, so
   * the next `rcform supervise` on this live directory brings back what was up.
   */
  shutdown(): Promise<void> {
    if (this.shuttingDown) return this.shuttingDown;
    this.shuttingDown = (async () => {
      const wanted = new Map([...this.services].map(([n, s]) => [n, s.wanted]));
      const byRank = new Map<number, SupervisedService[]>();
      for (const svc of this.services.values()) {
        const list = byRank.get(svc.def.rank) ?? [];
        list.push(svc);
        byRank.set(svc.def.rank, list);
      }
      for (const rank of [...byRank.keys()].sort((a, b) => b - a)) {
        await Promise.all((byRank.get(rank) ?? []).map((s) => stopForShutdown(s)));
      }
      for (const [name, svc] of this.services) {
        svc.wanted = wanted.get(name) ?? 'down';
        svc.persist();
        svc.abandon('the supervisor stopped');
      }
      this.timers.forEach((t) => clearInterval(t));
      await Promise.all(this.spawners.map((s) => s.close()));
      if (this.guardFd !== undefined) fs.closeSync(this.guardFd);
      this.guardFd = undefined;
      for (const fd of this.pipeFds.values()) fs.closeSync(fd);
      this.pipeFds.clear();
      await this.relistening;
      const owned = this.ownsSocketPath();
      const closing = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
      // Only its own: whatever replaced it is left alone, and never a reason to die mid-stop.
      if (owned) fs.rmSync(this.layout.socket, { force: true });
      fs.rmSync(this.layout.pidFile, { force: true });
      // Clients see their connection end only now: that is how `rcform supervise --stop` knows
      // every service is down and the live directory's supervisor slot is free.
      for (const c of this.conns) c.end();
      await closing;
      this.resolveClosed();
    })();
    return this.shuttingDown;
  }
}

const SHUTDOWN_GRACE_MS = 10_000;

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** The clean stop must end: past timeout_down (or a grace period without one), SIGKILL the group. */
async function stopForShutdown(svc: SupervisedService): Promise<void> {
  const limit = svc.def.timeouts.down_ms > 0 ? svc.def.timeouts.down_ms : SHUTDOWN_GRACE_MS;
  try {
    await svc.stop(limit);
  } catch {
    svc.killGroup();
    await svc.stop(0).catch(() => undefined);
  }
}

function reply(conn: net.Socket, r: Reply): void {
  if (!conn.destroyed) conn.write(JSON.stringify(r) + '\n');
}
