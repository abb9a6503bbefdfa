import type { ValidateFunction } from 'ajv/dist/2020.js';
import { UserError } from '../lang/user-error.js';
import { ajv2020 } from '../schemas/validators.js';
import type { EngineConfig, EngineKind, EngineOptions } from '../state/state-types.js';
import type { AnyEngineDriver, EngineDescription, EngineFlag, EngineFlagValues, ForegroundEngine } from './driver.js';
import { EngineNotRunningError, type Engine, type ServiceLog } from './engine.js';
import { embeddedDriver } from './embedded/driver.js';
import { s6Driver } from './s6/driver.js';

// The registry of engine drivers: the one place that knows which engines exist and the only
// lookup on an engine's kind. Everything else holds an EngineConfig and asks here; a new engine is
// a folder with a driver (engine/driver.ts) and one line below (docs/engine.md, "Adding an engine").

const DRIVERS = new Map<EngineKind, AnyEngineDriver>();

/** Adds a driver. Production ones are registered below; a test may add its own before it opens one. */
export function registerEngineDriver(driver: AnyEngineDriver): void {
  if (DRIVERS.has(driver.kind)) throw new Error(`an engine driver "${driver.kind}" is registered already`);
  DRIVERS.set(driver.kind, driver);
}

registerEngineDriver(embeddedDriver);
registerEngineDriver(s6Driver);

/** What `rcform init` uses without --engine, and what a live directory without state.json is taken to use. */
export const DEFAULT_ENGINE_KIND: EngineKind = embeddedDriver.kind;

export function defaultEngineConfig(): EngineConfig {
  return { kind: DEFAULT_ENGINE_KIND };
}

/** Every registered driver, the default first. */
export function engineDrivers(): readonly AnyEngineDriver[] {
  return [...DRIVERS.values()];
}

export function isEngineKind(kind: string): boolean {
  return DRIVERS.has(kind);
}

function driverOf(config: EngineConfig): AnyEngineDriver {
  const d = DRIVERS.get(config.kind);
  if (!d) throw new UserError('environment', `the ${config.kind} engine is not available in this build`);
  return d;
}

const optionChecks = new Map<EngineKind, ValidateFunction>();

/**
 * The options state.json records, checked against their driver's schema. Only options that are
 * there are checked: ajv is loaded for an engine that has some, never on the default's path.
 */
function optionsOf(config: EngineConfig): EngineOptions {
  const options = config.options ?? {};
  if (Object.keys(options).length === 0) return options;
  const driver = driverOf(config);
  let check = optionChecks.get(driver.kind);
  if (!check) {
    check = new (ajv2020())({ allErrors: true, strict: true }).compile(driver.optionsSchema);
    optionChecks.set(driver.kind, check);
  }
  if (!check(options)) {
    const problems = (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
    throw new UserError('input', `the ${config.kind} engine's options in the state do not match its driver's schema: ${problems}`);
  }
  return options;
}

/** Every driver's init flags, each with the kind it belongs to (cli/commands/init.ts declares them). */
export function engineInitFlags(): readonly { kind: EngineKind; flag: EngineFlag }[] {
  return engineDrivers().flatMap((d) => d.initFlags.map((flag: EngineFlag) => ({ kind: d.kind, flag })));
}

/** What init starts a new live directory's engine with: the config to record, and the rest. */
export interface EngineInit {
  config: EngineConfig;
  start: unknown;
}

/** A new live directory of `kind`, from its driver's init flags (the flags' own checks included). */
export function configureEngine(kind: EngineKind, flags: EngineFlagValues): EngineInit {
  const { options, start } = driverOf({ kind }).configure(flags);
  return { config: Object.keys(options as object).length > 0 ? { kind, options } : { kind }, start };
}

/** An initialised live directory's engine, with the init flags given again (checked against what it records). */
export function reconfigureEngine(root: string, config: EngineConfig, flags: EngineFlagValues): EngineInit {
  return { config, start: driverOf(config).reconfigure(root, optionsOf(config), flags) };
}

/** Makes sure the live directory's engine is running. Idempotent. `start`: from configureEngine or reconfigureEngine. */
export async function startEngine(liveDir: string, config: EngineConfig, start?: unknown): Promise<void> {
  await driverOf(config).start(liveDir, optionsOf(config), start);
}

export interface OpenEngineOptions {
  /**
   * Start the engine first when it is not running (default false: plan and status must not start
   * a daemon as a side effect; apply passes true, or calls startEngine itself).
   */
  autostart?: boolean;
}

/** Connects to the live directory's engine; rejects with EngineNotRunningError when it is not running. */
export async function openEngine(liveDir: string, config: EngineConfig, opts: OpenEngineOptions = {}): Promise<Engine> {
  const driver = driverOf(config);
  return opts.autostart === true ? driver.openStarted(liveDir, optionsOf(config)) : driver.open(liveDir, optionsOf(config));
}

/** Whether the live directory's engine runs, without starting it. */
export async function engineRunning(liveDir: string, config: EngineConfig): Promise<boolean> {
  try {
    const e = await openEngine(liveDir, config, { autostart: false });
    await e.close();
    return true;
  } catch (err) {
    if (err instanceof EngineNotRunningError) return false;
    throw err;
  }
}

/**
 * The process that must run for the engine to supervise anything, as an operator knows it
 * ("the embedded supervisor of /run/rcform"), and how to start it again.
 */
export function engineProcessOf(liveDir: string, config: EngineConfig): EngineDescription {
  return driverOf(config).describe(liveDir, optionsOf(config));
}

/** The hint after "not running": how to start it. */
export function engineStartHint(liveDir: string, config: EngineConfig): string {
  return engineProcessOf(liveDir, config).hint;
}

/** `rcform supervise --stop`: every service down, the engine's processes gone; what was done, as a sentence. */
export function shutdownEngine(liveDir: string, config: EngineConfig): Promise<string> {
  return driverOf(config).shutdown(liveDir, optionsOf(config));
}

/** `rcform supervise`: the engine run in this process, or null for an engine rcform does not run itself. */
export function foregroundEngine(liveDir: string, config: EngineConfig, env: NodeJS.ProcessEnv): Promise<ForegroundEngine> | null {
  const driver = driverOf(config);
  return driver.foreground ? driver.foreground(liveDir, env) : null;
}

/**
 * A service's log, as Engine.log gives it, without a running engine: `rcform logs` reads what a
 * stopped supervisor's services wrote.
 */
export function serviceLog(liveDir: string, config: EngineConfig, name: string): ServiceLog {
  return driverOf(config).log(liveDir, optionsOf(config), name);
}

export type { EngineDescription, EngineFlag, ForegroundEngine };
