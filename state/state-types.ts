import type { CompiledService } from '../lang/compile/compiled-db.js';
import type { FormatVersion } from '../lang/format-version.js';
import type { ObservedState } from './run-state.js';

// state.json: the tiny read-write record of what is installed, as s6-rc's live directory is.
// Plain data with a format version, described by schemas/state.schema.json.

/** Formats 1 and 2 carried a number; from 3 the version is a string, as every other artefact's. */
export const STATE_FORMAT_VERSION = '3' satisfies FormatVersion;

/** The name an engine's driver is registered under (engine/open-engine.ts): `embedded`, `s6`. */
export type EngineKind = string;

/**
 * Which engine runs a live directory's services. What `options` holds is the driver's business:
 * its driver declares their schema and reads them (engine/open-engine.ts); nothing else looks inside.
 */
export interface EngineConfig {
  kind: EngineKind;
  /** Absent when the engine takes none (the embedded supervisor). */
  options?: EngineOptions;
}

export type EngineOptions = Readonly<Record<string, unknown>>;

export type { ObservedState } from './run-state.js';

export interface Observation {
  state: ObservedState;
  pid?: number;
  /** ISO time of the observation. */
  at: string;
}

export interface ServiceState {
  address: string;
  type: CompiledService['type'];
  definition: CompiledService;
  definition_hash: string;
  desired: 'up' | 'down';
  observed?: Observation;
  /**
   * A oneshot whose `up` or `down` began and whose end no apply recorded: while it runs, and
   * after a crash of the apply running it. It may have run partly; the next apply stops what is
   * left of it and runs it again (docs/apply.md, "Oneshots across a crash").
   */
  partial_run?: PartialRun;
}

export interface PartialRun {
  direction: 'up' | 'down';
  apply_id: string;
  step_id: string;
  /** ISO time its step began. */
  since: string;
  pid?: number;
  starttime?: number;
  /** What the apply after the crash found: set once it has looked. */
  found?: 'running' | 'ended' | 'unknown';
}

/**
 * An operator's run-time selection (`rcform up` / `rcform down`, as `s6-rc -u change` / `-d change`):
 * the service is kept in this run state whatever the source says, until `rcform release`. Plans
 * honour it and show it; they never "correct" it as drift.
 */
export interface Hold {
  state: 'up' | 'down';
  /** The address the operator named: the service itself, or the service or bundle it was brought up or down with. */
  requested: string;
  /** ISO time the hold was made. */
  at: string;
}

/** Which source tree a live directory was last applied from (plans of another tree are refused). */
export interface SourceIdentity {
  /** The source directory's real path. */
  dir: string;
}

export interface State {
  format_version: typeof STATE_FORMAT_VERSION;
  lineage: string;
  serial: number;
  engine: EngineConfig;
  /** Hash of the compiled database last applied, or null before the first apply. */
  compiled_hash: string | null;
  services: Record<string, ServiceState>;
  /**
   * Sequence number of the last journal record folded into this state (state/journal-fold.ts);
   * records after it are what a crashed apply did that state.json does not show yet. Absent = 0.
   */
  journal_seq?: number;
  /** Operator holds by service name (format 2). Absent = none. */
  holds?: Record<string, Hold>;
  /** The source last applied from a directory (format 2); absent when unknown (--compiled FILE, older states). */
  source?: SourceIdentity;
}
