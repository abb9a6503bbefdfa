import type { EngineConfig, EngineOptions } from '../state/state-types.js';
import type { Engine, ServiceLog } from './engine.js';

// What an engine kind is to everything outside its folder: how `rcform init` configures it, how
// it is started, opened, named and stopped. One driver per kind, in one registry
// (engine/open-engine.ts); callers hold an EngineConfig and ask the registry, never the kind.

/** A flag of `rcform init` that belongs to one engine (cli/commands/init.ts declares them all). */
export interface EngineFlag {
  name: string;
  valueName: string;
  description: string;
}

/** The values of the driver's own init flags that were given, by flag name. */
export type EngineFlagValues = Readonly<Record<string, string>>;

/** How the engine is named to an operator, and how it is started again. */
export interface EngineDescription {
  /** "the embedded supervisor of /run/rcform". */
  name: string;
  /** "embedded supervisor", after "its". */
  short: string;
  /** The command that starts it, quoted: `"rcform init --live DIR"`. */
  start: string;
  /** The hint after "not running": `start it with ...`. */
  hint: string;
}

/** An engine run by the process that asked for it (`rcform supervise`), until `shutdown` or its own end. */
export interface ForegroundEngine {
  /** Resolves when it has stopped: every service down. */
  closed: Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * O: the options state.json records for a live directory of this kind (`engine.options`).
 * S: what init passes to `start` beyond them, used once and not recorded (s6's --max-services).
 */
export interface EngineDriver<O extends EngineOptions = EngineOptions, S = unknown> {
  readonly kind: string;
  /** For `--engine`'s help: "embedded (Node only, the default)". */
  readonly summary: string;
  readonly initFlags: readonly EngineFlag[];
  /** JSON Schema (draft 2020-12) of `engine.options`; `{ type: 'object', additionalProperties: false }` for none. */
  readonly optionsSchema: Readonly<Record<string, unknown>>;
  /**
   * A new live directory: this engine's init flags into the options to record and what to start
   * it with. Throws a UserError naming the flag.
   */
  configure(flags: EngineFlagValues): { options: O; start: S };
  /** An initialised live directory: the flags given to init again, checked against what it records. */
  reconfigure(root: string, options: O, flags: EngineFlagValues): S;
  /** Starts the engine if it is not running. Idempotent. `start` is absent when not started by init. */
  start(liveDir: string, options: O, start?: S): Promise<void>;
  /** Connects to the running engine; rejects with EngineNotRunningError when it is not running. */
  open(liveDir: string, options: O): Promise<Engine>;
  /** Connects, starting the engine first when it is not running (apply on a fresh live directory). */
  openStarted(liveDir: string, options: O): Promise<Engine>;
  describe(liveDir: string, options: O): EngineDescription;
  /** `rcform supervise --stop`: every service down, the engine's own processes gone. Says what it did. */
  shutdown(liveDir: string, options: O): Promise<string>;
  /** `rcform supervise`: runs the engine in this process. Absent where rcform does not supervise itself. */
  foreground?(liveDir: string, env: NodeJS.ProcessEnv): Promise<ForegroundEngine>;
  /** A service's log without a running engine (`rcform logs` of a stopped supervisor's services). */
  log(liveDir: string, options: O, name: string): ServiceLog;
}

/** A driver whatever its options' type, as the registry holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEngineDriver = EngineDriver<any, any>;

export type { EngineConfig };
