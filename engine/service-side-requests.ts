import type { CompiledOneshot } from '../lang/compile/compiled-db.js';
import { AccountError, checkAccount } from './accounts.js';
import { stopRunGroup } from './cut-off-run.js';
import { EngineError, type AccountRef, type CutOffRun } from './engine.js';
import { runOneshot, type OneshotOptions } from './oneshot-runner.js';
import { servicePathProblems } from './safe-names.js';

// The requests about what runs on the services' side, served the same by the embedded
// supervisor (on its socket) and by the s6 engine's oneshot runner (engine/s6/oneshot-runner.ts),
// one JSON object per line each way: running a oneshot, and checking accounts. A run is answered when its
// process has ended; meanwhile one `spawned` message tells the asker its pid, for the journal.
// A run belongs to the supervised side, not to the connection that asked for it: if the asker
// goes away (apply killed), the oneshot runs on to its end, as s6-rc leaves its oneshots running
// when it is interrupted. The next apply stops what is left of it before running it again
// (engine/oneshot-recovery.ts). `cancel` is the asker's interrupt (Ctrl-C twice): the run's
// process group is killed and the run answered as interrupted.

export interface RunOneshotRequest {
  id: number;
  op: 'run-oneshot';
  svc: CompiledOneshot;
  direction: 'up' | 'down';
  timeoutMs: number;
  /** The operator's answer, base64: bytes, not text. */
  input?: string;
}

export interface CancelRequest {
  id: number;
  op: 'cancel';
  /** The id of the run-oneshot request on the same connection. */
  ref: number;
}

/** Sent before the reply to a run-oneshot request, once its process runs. */
export interface SpawnedMessage {
  id: number;
  spawned: { pid: number; starttime?: number };
}

/** Answered with, for each account, why a service could not run as it here, or null. */
export interface CheckAccountsRequest {
  id: number;
  op: 'check-accounts';
  accounts: AccountRef[];
}

/** Answered with a CutOffRun once what is left of the run is gone. */
export interface StopCutOffRequest {
  id: number;
  op: 'stop-cut-off';
  service: string;
  pid?: number;
  starttime?: number;
}

export type ServiceSideRequest = RunOneshotRequest | CancelRequest | CheckAccountsRequest | StopCutOffRequest;

export function isServiceSideRequest(req: { op: string }): req is ServiceSideRequest {
  return req.op === 'run-oneshot' || req.op === 'cancel' || req.op === 'check-accounts' || req.op === 'stop-cut-off';
}

/**
 * The runs in flight on this side, by service, whichever connection asked for them: a run whose
 * asker died is still known here, pid and all, even if its pid never reached the asker's journal.
 */
export class RunsInFlight {
  private readonly byService = new Map<string, { pid: number; starttime?: number }>();
  started(service: string, pid: number, starttime: number | undefined): void {
    this.byService.set(service, starttime !== undefined ? { pid, starttime } : { pid });
  }
  ended(service: string, pid: number | undefined): void {
    if (pid !== undefined && this.byService.get(service)?.pid === pid) this.byService.delete(service);
  }
  of(service: string): { pid: number; starttime?: number } | undefined {
    return this.byService.get(service);
  }
}

/** What stop-cut-off answers: the recorded run's group killed, else one still in flight here. */
export async function stopCutOff(req: Omit<StopCutOffRequest, 'id' | 'op'>, runs: RunsInFlight): Promise<CutOffRun> {
  if (req.pid !== undefined) {
    const found = await stopRunGroup(req.pid, req.starttime);
    return { found, pid: req.pid };
  }
  const held = runs.of(req.service);
  if (held) return { found: await stopRunGroup(held.pid, held.starttime), pid: held.pid };
  return { found: 'unknown' };
}

/** Whether this process could run a service as each account: what check-accounts answers. */
export function accountProblems(accounts: AccountRef[]): (string | null)[] {
  return accounts.map((a) => {
    try {
      checkAccount(a.user, a.group);
      return null;
    } catch (err) {
      if (err instanceof AccountError) return err.message;
      throw err;
    }
  });
}

/** Where the service's output goes on this side: a log file, or a logger writing it. */
export type OutputOf = (name: string) => Pick<OneshotOptions, 'logFile' | 'logger'>;

/** The requests of one connection. */
export class ServiceSideRequests {
  private readonly runs = new Map<number, AbortController>();

  constructor(
    private readonly send: (message: object) => void,
    private readonly outputOf: OutputOf,
    /** Shared by every connection of the server. */
    private readonly inFlight: RunsInFlight,
    /** After each run, before its answer: the embedded supervisor samples (and rotates) its log. */
    private readonly afterRun?: (name: string) => void,
  ) {}

  handle(req: ServiceSideRequest): void {
    if (req.op === 'check-accounts') {
      try {
        this.send({ id: req.id, ok: true, result: accountProblems(req.accounts) });
      } catch (err) {
        this.send({ id: req.id, ok: false, error: (err as Error).message });
      }
      return;
    }
    if (req.op === 'stop-cut-off') {
      stopCutOff(req, this.inFlight).then(
        (result) => this.send({ id: req.id, ok: true, result }),
        (err: Error) => this.send({ id: req.id, ok: false, error: err.message }),
      );
      return;
    }
    if (req.op === 'cancel') {
      this.runs.get(req.ref)?.abort();
      this.send({ id: req.id, ok: true });
      return;
    }
    const abort = new AbortController();
    this.runs.set(req.id, abort);
    const { svc, direction } = req;
    let pid: number | undefined;
    let run: Promise<unknown>;
    try {
      run = runOneshot(svc, direction, {
        ...this.outputOf(svc.name),
        timeoutMs: req.timeoutMs,
        signal: abort.signal,
        ...(req.input !== undefined ? { input: Buffer.from(req.input, 'base64') } : {}),
        onSpawned: (p, starttime) => {
          pid = p;
          this.inFlight.started(svc.name, p, starttime);
          this.send({ id: req.id, spawned: { pid: p, ...(starttime !== undefined ? { starttime } : {}) } } satisfies SpawnedMessage);
        },
      });
    } catch (err) {
      run = Promise.reject(err);
    }
    run
      .finally(() => {
        this.inFlight.ended(svc?.name, pid);
        try {
          // Never for a name that would lead its log's path out of its directory (refused by runOneshot).
          if (servicePathProblems(svc).length === 0) this.afterRun?.(svc.name);
        } catch {
          // The log's clock is a nicety: never the run's outcome.
        }
      })
      .then(
        (result) => this.send({ id: req.id, ok: true, result }),
        (err: Error) => {
          if (err instanceof EngineError) this.send({ id: req.id, ok: false, error: err.detail, ...(err.service !== undefined ? { service: err.service } : {}) });
          else this.send({ id: req.id, ok: false, service: String(svc?.name), error: err.message });
        },
      )
      .finally(() => this.runs.delete(req.id));
  }
}
