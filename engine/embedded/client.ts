import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { CompiledLongrun, CompiledOneshot, CompiledService } from '../../lang/compile/compiled-db.js';
import { EngineError, EngineNotRunningError, type AccountRef, type CutOffRun, type Engine, type OneshotRunOptions, type OneshotRunResult, type ServiceLog, type ServiceStatus, type TransitionOptions } from '../engine.js';
import { fileLog } from '../file-log.js';
import type { SpawnedMessage } from '../service-side-requests.js';
import { currentLog, engineLayout } from './layout.js';
import { onLines, PROTOCOL_VERSION, UNVERSIONED_HELLO_ERROR, type Hello, type Reply } from './protocol.js';
import { peerCredOf } from './peer-cred.js';
import { userLabel } from '../../state/account-name.js';
import { UserError } from '../../lang/user-error.js';

// The Engine interface over the embedded supervisor's socket. One connection, many requests in
// flight: apply runs independent steps in parallel and each start or stop is answered when done.

/**
 * What answers on the socket is not this user's supervisor, or cannot be reached for lack of
 * permission: no request is sent to it, and it is not reported as "no supervisor is running".
 */
export class SupervisorUntrustedError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'SupervisorUntrustedError';
  }
}

export interface SupervisorStats {
  spawns: number;
  /** Total time spawning: inside Node's spawn() (fork and exec), or from request to pid with the spawner. */
  spawnMs: number;
  /** Of spawnMs, the kernel's share: fork/vfork and exec. */
  execMs: number;
  /** What starts services: the in-process addon, with helpers for bursts or alone; the helpers alone; Node's spawn() (docs/engine.md#spawning). */
  launcher: 'helper' | 'node';
  /** The pids of the vfork helpers that spawn services; none unless the launcher is `helper`. */
  spawners: number[];
  /** The supervisor's CPU time so far, user and system. */
  cpuMs: number;
  /** Successful start requests and the time from their arrival to their reply. */
  starts: number;
  startMs: number;
  rssBytes: number;
  services: number;
}

/**
 * The supervisor answering on the socket speaks another protocol than this rcform: it was started
 * by another version (a detached supervisor outlives an upgrade). Nothing but the handshake was sent.
 */
export class SupervisorProtocolError extends UserError {
  constructor(
    readonly liveDir: string,
    /** The supervisor's protocol; undefined for one from before protocol versions. */
    readonly supervisorProtocol: number | undefined,
    readonly clientProtocol: number,
    readonly pid: number | undefined,
  ) {
    super(
      'environment',
      `the supervisor of ${liveDir}${pid !== undefined ? ` (pid ${pid})` : ''} speaks ${supervisorProtocol === undefined ? 'a protocol from before protocol versions' : `protocol ${supervisorProtocol}`}, and this rcform speaks protocol ${clientProtocol}: it was started by another version of rcform; nothing was sent to it`,
    );
    this.name = 'SupervisorProtocolError';
  }
}

type Body = Record<string, unknown> & { op: string };

export class EmbeddedEngine implements Engine {
  readonly kind = 'embedded' as const;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; spawned?(m: SpawnedMessage['spawned']): void }>();
  private closedError?: Error;

  private constructor(
    private readonly sock: net.Socket,
    private readonly liveDir: string,
  ) {
    onLines(sock, (line) => {
      let r: Reply;
      try {
        r = JSON.parse(line) as Reply;
      } catch {
        return;
      }
      const p = this.pending.get(r.id);
      if (!p) return;
      if ('spawned' in r) {
        p.spawned?.(r.spawned);
        return;
      }
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.result);
      else if (r.protocol !== undefined && r.protocol !== PROTOCOL_VERSION) p.reject(new ProtocolRefusal(r.protocol, r.pid, r.error));
      else p.reject(new EngineError(r.service, r.error));
    });
    const fail = (): void => {
      this.closedError ??= new EngineNotRunningError('the connection to the supervisor was closed');
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
    };
    sock.on('close', fail);
    sock.on('error', () => {});
  }

  /**
   * Connects to the supervisor of `liveDir`; rejects with EngineNotRunningError when none
   * answers, SupervisorUntrustedError when the socket, its directory or the process listening on
   * it is not the invoking user's: a socket someone else planted there never receives a request.
   */
  static connect(liveDir: string): Promise<EmbeddedEngine> {
    const socket = engineLayout(liveDir).socket;
    let uid: number;
    try {
      uid = expectedOwner(socket);
      checkSocketPath(socket, uid);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socket);
      sock.once('connect', () => {
        sock.removeAllListeners('error');
        const peer = peerCredOf(sock);
        // The kernel's record of who listens: anyone else's process, however it got a socket here, gets nothing.
        if ('cred' in peer && peer.cred.uid !== uid) {
          sock.destroy();
          reject(new SupervisorUntrustedError(`${socket} is served by pid ${peer.cred.pid} running as ${who(peer.cred.uid)}, not by the supervisor of ${who(uid)}; nothing was sent to it`));
          return;
        }
        const engine = new EmbeddedEngine(sock, liveDir);
        engine.hello(liveDir).then(
          () => resolve(engine),
          (err: unknown) => {
            sock.destroy();
            reject(err);
          },
        );
      });
      sock.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EACCES' || err.code === 'EPERM') {
          reject(new SupervisorUntrustedError(`permission denied on ${socket}: the supervisor of ${liveDir} is not yours (you are ${who(uid)})`));
          return;
        }
        reject(new EngineNotRunningError(`no supervisor is running for ${liveDir} (${err.code ?? err.message} on ${socket})`));
      });
    });
  }

  /** Agrees on the protocol before anything else is sent (protocol.ts). */
  private async hello(liveDir: string): Promise<Hello> {
    try {
      return (await this.request({ op: 'hello', protocol: PROTOCOL_VERSION })) as Hello;
    } catch (err) {
      if (err instanceof ProtocolRefusal) throw new SupervisorProtocolError(liveDir, err.protocol, PROTOCOL_VERSION, err.pid);
      if (err instanceof EngineError && err.service === undefined && err.detail === UNVERSIONED_HELLO_ERROR) {
        // Every supervisor has answered ping with its pid since the first.
        const pid = await this.request({ op: 'ping' }).then((r) => (r as { pid?: number }).pid, () => undefined);
        throw new SupervisorProtocolError(liveDir, undefined, PROTOCOL_VERSION, typeof pid === 'number' ? pid : undefined);
      }
      throw err;
    }
  }

  request(body: Body, signal?: AbortSignal): Promise<unknown> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      this.sock.write(JSON.stringify({ id, ...body }) + '\n');
    });
  }

  async install(svc: CompiledLongrun): Promise<void> {
    await this.request({ op: 'install', svc });
  }
  async update(svc: CompiledLongrun): Promise<void> {
    await this.request({ op: 'update', svc });
  }
  async rename(from: string, to: string, svc: CompiledLongrun): Promise<void> {
    await this.request({ op: 'rename', from, to, svc });
  }
  async uninstall(name: string): Promise<void> {
    await this.request({ op: 'uninstall', name });
  }
  async start(name: string, opts: TransitionOptions): Promise<void> {
    await this.request({ op: 'start', name, timeoutMs: opts.timeoutMs }, opts.signal);
  }
  async stop(name: string, opts: TransitionOptions): Promise<void> {
    await this.request({ op: 'stop', name, timeoutMs: opts.timeoutMs }, opts.signal);
  }
  async reload(name: string): Promise<void> {
    await this.request({ op: 'reload', name });
  }
  /**
   * The supervisor runs it. An abort asks it to kill the run and still waits for the answer, so
   * the step ends only once the run's process group is gone.
   */
  runOneshot(svc: CompiledOneshot, direction: 'up' | 'down', opts: OneshotRunOptions): Promise<OneshotRunResult> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cancel = (): void => void this.request({ op: 'cancel', ref: id }).catch(() => undefined);
      const done = (): void => opts.signal?.removeEventListener('abort', cancel);
      this.pending.set(id, {
        resolve: (v) => {
          done();
          resolve(v as OneshotRunResult);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        spawned: (m) => opts.onSpawned?.(m.pid, m.starttime),
      });
      const input = opts.input === undefined ? undefined : Buffer.from(opts.input).toString('base64');
      this.sock.write(JSON.stringify({ id, op: 'run-oneshot', svc, direction, timeoutMs: opts.timeoutMs, ...(input !== undefined ? { input } : {}) }) + '\n');
      if (opts.signal?.aborted) cancel();
      else opts.signal?.addEventListener('abort', cancel, { once: true });
    });
  }
  /** The supervisor ran it: it stops what is left of it. */
  async stopCutOffRun(name: string, run: { pid?: number; starttime?: number }): Promise<CutOffRun> {
    return (await this.request({ op: 'stop-cut-off', service: name, ...run })) as CutOffRun;
  }
  /** Asked of the supervisor: it runs the services, as its own user. */
  async checkAccounts(accounts: AccountRef[]): Promise<(string | null)[]> {
    return (await this.request({ op: 'check-accounts', accounts })) as (string | null)[];
  }
  log(name: string): ServiceLog {
    return EmbeddedEngine.logOf(this.liveDir, name);
  }
  /**
   * The supervisor's log files (engine/logs/<name>/), on this machine as the supervisor is: read
   * without it too, so that a log still explains what happened after it stopped.
   */
  static logOf(liveDir: string, name: string): ServiceLog {
    return fileLog(currentLog(engineLayout(liveDir), name));
  }
  async setOneshotState(svc: CompiledService, up: boolean): Promise<void> {
    await this.request({ op: 'oneshot', svc: { name: svc.name, type: svc.type }, up });
  }
  async status(): Promise<Record<string, ServiceStatus>> {
    return (await this.request({ op: 'status' })) as Record<string, ServiceStatus>;
  }
  /** The supervisor's own figures, for benchmarks: not part of the Engine interface. */
  async stats(): Promise<SupervisorStats> {
    return (await this.request({ op: 'stats' })) as SupervisorStats;
  }
  /** Asks the supervisor for its clean stop (every service down, dependents first) and waits for it. */
  async shutdown(): Promise<void> {
    await this.request({ op: 'shutdown' });
    await new Promise<void>((r) => (this.sock.destroyed ? r() : this.sock.once('close', () => r())));
  }
  async close(): Promise<void> {
    this.closedError ??= new EngineNotRunningError('engine closed');
    await new Promise<void>((r) => {
      if (this.sock.destroyed) r();
      else {
        this.sock.once('close', () => r());
        this.sock.end();
      }
    });
  }
}

/** A supervisor's refusal to go on in another protocol than its own. */
class ProtocolRefusal extends Error {
  constructor(
    readonly protocol: number,
    readonly pid: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : 0;
}

/**
 * Whose supervisor the client expects: its own user's; for root, whoever owns the engine
 * directory (the supervisor answers root too), as long as the socket and the process listening
 * on it are that same user's. rcform's commands only reach here for a live directory of the
 * invoking user's (cli/live-flags.ts); this is the engine's own rule, for any caller.
 */
function expectedOwner(socket: string): number {
  const me = currentUid();
  if (me !== 0) return me;
  try {
    return fs.lstatSync(path.dirname(socket)).uid;
  } catch {
    return me;
  }
}

const who = userLabel;

/**
 * The socket's directory and the socket itself, before connecting: owned by `uid`, the directory
 * not a symlink and writable by nobody else (so nobody else can swap the socket after this check).
 * A missing socket is the ordinary "not running".
 */
function checkSocketPath(socket: string, uid: number): void {
  const dir = path.dirname(socket);
  let d: fs.Stats;
  try {
    d = fs.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new SupervisorUntrustedError(`permission denied on ${dir}: the supervisor there is not yours (you are ${who(uid)})`);
    return; // no engine directory: connect reports ENOENT as not running
  }
  if (!d.isDirectory()) throw new SupervisorUntrustedError(`${dir} is not a directory (${d.isSymbolicLink() ? 'a symlink' : 'another kind of file'}); refusing to talk to a socket in it`);
  if (d.uid !== uid) throw new SupervisorUntrustedError(`${dir} is owned by ${who(d.uid)}, not by ${who(uid)}; refusing to talk to a socket in it`);
  if ((d.mode & 0o022) !== 0) throw new SupervisorUntrustedError(`${dir} is writable by others (mode ${(d.mode & 0o7777).toString(8)}); refusing to talk to a socket in it`);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw new SupervisorUntrustedError(`permission denied on ${socket}: the supervisor there is not yours (you are ${who(uid)})`);
    return;
  }
  if (!st.isSocket()) throw new SupervisorUntrustedError(`${socket} is not a socket (${st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'another kind of file'}); refusing to use it`);
  if (st.uid !== uid) throw new SupervisorUntrustedError(`${socket} is owned by ${who(st.uid)}, not by ${who(uid)} like its directory; refusing to send it anything`);
}
