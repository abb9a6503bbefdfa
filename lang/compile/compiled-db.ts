// The compiled database: what s6-rc-compile produces for s6-rc. It is plain data, described by
// schemas/compiled.schema.json (the source of truth; keep the two in step), written once and never
// modified. Keys are sorted and nothing time-dependent is stored, so the same source always
// compiles to the same bytes and `hash` identifies a database.

import type { FormatVersion } from '../format-version.js';
import type { ClosureItem } from './closures.js';

export const COMPILED_FORMAT_VERSION = '1' satisfies FormatVersion;

/**
 * The fields of a service that make up its definition_hash: everything that changes what the
 * supervised process is or how s6 runs it. Left out: name, address, description, essential, the
 * dependency graph fields, sensitive_paths, `down` (whether it is started, not what it is),
 * reload_signal and lifecycle (how apply reacts to a change, not the service itself).
 */
export const LONGRUN_HASHED_FIELDS = ['type', 'run', 'finish', 'env', 'working_dir', 'user', 'group', 'notification_fd', 'lock_fd', 'timeouts', 'down_signal', 'max_death_tally', 'data', 'producer_for', 'consumer_for', 'pipeline_name'] as const;
export const ONESHOT_HASHED_FIELDS = ['type', 'up', 'down', 'env', 'user', 'group', 'timeouts', 'input'] as const;

/** argv (from an HCL list) or a script with its own shebang (from an HCL string). */
export type Command = { argv: string[] } | { script: string };

export type ServiceType = 'longrun' | 'oneshot' | 'bundle';

interface ServiceBase {
  /** The service's name: unique across types, safe as a directory name. `getty@tty1` for a for_each instance. */
  name: string;
  /** The address as written in the source: `longrun.getty["tty1"]`. */
  address: string;
  description?: string;
  essential: boolean;
  /**
   * Direct dependencies (service names, bundles expanded to their atomic members), sorted. The
   * transitive closure is in CompiledDb.closures.
   */
  dependencies: string[];
  /** Services that depend on this one directly, sorted. */
  reverse_dependencies: string[];
  /** 0 for services without dependencies, else 1 + the highest rank of a dependency. */
  rank: number;
  /** sha256 over exactly the fields that matter at run time. */
  definition_hash: string;
  /** Dotted paths of fields whose value came from a sensitive variable, e.g. `env.DB_PASSWORD`. */
  sensitive_paths: string[];
}

export interface Timeouts {
  /** Milliseconds; 0 means no limit, as in s6. */
  up_ms: number;
  down_ms: number;
}

export interface CompiledLongrun extends ServiceBase {
  type: 'longrun';
  run: Command;
  finish?: Command;
  down: boolean;
  env: Record<string, string>;
  working_dir?: string;
  user?: string;
  group?: string;
  notification_fd?: number;
  /** s6's lock-fd: the process gets, on this descriptor, a lock held for as long as any instance of it lives. */
  lock_fd?: number;
  timeouts: Timeouts & { kill_ms: number; finish_ms: number };
  down_signal: string;
  reload_signal?: string;
  max_death_tally: number;
  /** File name → content, installed beside the service. */
  data: Record<string, string>;
  producer_for?: string;
  consumer_for: string[];
  pipeline_name?: string;
  lifecycle: { on_change: 'restart' | 'reload' | 'ignore' };
}

export interface CompiledOneshot extends ServiceBase {
  type: 'oneshot';
  up: Command;
  down?: Command;
  env: Record<string, string>;
  user?: string;
  group?: string;
  timeouts: Timeouts;
  input?: { prompt: string; secret: boolean };
}

export interface CompiledBundle {
  type: 'bundle';
  name: string;
  address: string;
  description?: string;
  essential: boolean;
  /** Direct contents as written (names, may include bundles). */
  contents: string[];
  /** Atomic services the bundle stands for, expanded recursively, sorted. */
  members: string[];
}

export type CompiledService = CompiledLongrun | CompiledOneshot;

export interface MovedEntry {
  from: string;
  to: string;
}

export interface CompiledDb {
  format_version: typeof COMPILED_FORMAT_VERSION;
  /**
   * sha256 of the schema the file was written against (compiledSchemaDigest): a reader with that
   * same schema and a hash that verifies over the file's bytes need not validate it again.
   */
  schema: string;
  /** sha256 of the canonical JSON of everything except this field. */
  hash: string;
  services: Record<string, CompiledService>;
  /**
   * Every service, each after all of its dependencies (Kahn's algorithm from the services without
   * any, by name): the order in which they can be started, and what closure runs refer to.
   */
  order: string[];
  /**
   * Each service's full dependency closure: everything that must be up for it to be up, direct
   * dependencies included, itself not, listed in `order`; a run of MIN_RUN or more services that
   * are consecutive in `order` is the pair [first, last] (closures.ts: on a long chain a closure
   * written name by name is quadratic in size). Kept beside the services rather than in them: the
   * state, the journal and the engines store service definitions.
   */
  closures: Record<string, ClosureItem[]>;
  bundles: Record<string, CompiledBundle>;
  /** Renames declared by `moved` blocks, as service names. */
  moved: MovedEntry[];
}
