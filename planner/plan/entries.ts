import type { CompiledService } from '../../lang/compile/compiled-db.js';
import type { ServiceStatus } from '../../state/service-status.js';
import type { PartialRun, State } from '../../state/state-types.js';
import type { ActionReason, DriftEntry } from '../plan-types.js';
import { changedPaths } from '../changed-paths.js';
import { driftOf, observe, startIncomplete } from './drift.js';

/** One service as the plan sees it: both definitions, how it runs now and after, and what to do. */
export interface Entry {
  key: string;
  oldName?: string;
  newName?: string;
  before: CompiledService | null;
  after: CompiledService | null;
  recordedUp: boolean;
  runningBefore: boolean;
  afterUp: boolean;
  /** Longrun recorded as installed that the engine does not know: must be installed again. */
  absent: boolean;
  /**
   * Longrun the engine reports starting (wanted up, not ready). With no apply holding the lock
   * nobody waits for it: the plan waits for its readiness in a start step (s6-rc's way after a crash).
   */
  notReady: boolean;
  /** notReady, and the state shows its start never completed (not a ready service being respawned). */
  startIncomplete: boolean;
  /** A oneshot's run that no apply saw end (state.json's partial_run). */
  partialRun?: PartialRun;
  drift: DriftEntry | null;
  changed: string[];
  restartPaths: string[];
  mode: 'none' | 'install' | 'remove' | 'type' | 'reinstall' | 'restart' | 'reload' | 'update';
  reasons: Array<{ code: ActionReason; text: string }>;
  causedBy?: string;
}

export interface EntrySources {
  oldSvcs: State['services'];
  newSvcs: Record<string, CompiledService>;
  /** The engine's status by name; null without a refresh. */
  observed: Record<string, ServiceStatus> | null;
  /** The services that run after the apply. */
  afterUp: ReadonlySet<string>;
  now?: string;
}

/** The plan's entries by key (the new name, or the recorded one of a service going away), and the drift found making them. */
export class Entries {
  readonly byKey = new Map<string, Entry>();
  readonly drift: DriftEntry[] = [];

  constructor(private readonly src: EntrySources) {}

  add(oldName: string | undefined, newName: string | undefined): Entry {
    const { oldSvcs, newSvcs, observed, afterUp } = this.src;
    const key = (newName ?? oldName) as string;
    const ss = oldName !== undefined ? oldSvcs[oldName] : undefined;
    let runningBefore = false;
    let absent = false;
    let notReady = false;
    let incomplete = false;
    let drift: DriftEntry | null = null;
    if (ss && oldName !== undefined) {
      const r = observe(oldName, ss, observed);
      runningBefore = r.running;
      absent = r.absent;
      notReady = r.notReady;
      incomplete = notReady && startIncomplete(ss);
      if (observed) drift = driftOf(oldName, ss, r, incomplete, this.src.now);
      if (drift) this.drift.push(drift);
    }
    const e: Entry = {
      key,
      oldName,
      newName,
      before: ss ? ss.definition : null,
      after: newName !== undefined ? (newSvcs[newName] as CompiledService) : null,
      recordedUp: ss?.desired === 'up',
      runningBefore,
      afterUp: newName !== undefined && afterUp.has(newName),
      absent,
      notReady,
      startIncomplete: incomplete,
      ...(ss?.partial_run ? { partialRun: ss.partial_run } : {}),
      drift,
      changed: [],
      restartPaths: [],
      mode: 'none',
      reasons: [],
    };
    this.byKey.set(key, e);
    return e;
  }

  /**
   * A service that is the same on both sides and runs as it should needs no entry: most of a
   * large plan's services. One that a restart reaches is given its entry then, as one outside
   * --target is.
   */
  settled(n: string, ss: State['services'][string], replaceNames: ReadonlySet<string>): boolean {
    const { newSvcs, observed, afterUp } = this.src;
    const before = ss.definition;
    const after = newSvcs[n] as CompiledService;
    if (before.type !== after.type || replaceNames.has(n)) return false;
    const r = observe(n, ss, observed);
    if (r.absent || r.notReady || r.running !== afterUp.has(n) || (observed !== null && r.running !== (ss.desired === 'up'))) return false;
    return changedPaths(before, after).length === 0;
  }
}
