import { expandClosure } from './closures.js';
import type { Command, CompiledBundle, CompiledDb, CompiledService, ServiceType } from './compiled-db.js';
import { suggest } from '../eval/suggest.js';
import { UserError } from '../user-error.js';
import { blockAddress } from '../address.js';

// Read-only questions about a compiled database, the ones s6-rc-db answers for s6-rc: lists by
// type, bundle contents, direct and transitive dependencies in either direction, pipelines,
// timeouts and oneshot scripts. Pure functions: `rcform show compiled` renders their answers.

export type ListKind = 'all' | 'services' | 'longruns' | 'oneshots' | 'bundles';
export const LIST_KINDS: readonly ListKind[] = ['all', 'services', 'longruns', 'oneshots', 'bundles'];

/** "up" follows dependencies (what must be up first); "down" follows reverse dependencies. */
export type Direction = 'up' | 'down';

export type DbLookup = { kind: 'service'; service: CompiledService } | { kind: 'bundle'; bundle: CompiledBundle };

/** Why a query could not be answered; s6-rc-db's exit codes distinguish the two. */
export class DbQueryError extends UserError {
  constructor(
    message: string,
    readonly reason: 'not-found' | 'wrong-type',
  ) {
    super('input', message);
    this.name = 'DbQueryError';
  }
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function listNames(db: CompiledDb, kind: ListKind): string[] {
  const services = Object.values(db.services);
  const names =
    kind === 'bundles'
      ? Object.keys(db.bundles)
      : kind === 'longruns'
        ? services.filter((s) => s.type === 'longrun').map((s) => s.name)
        : kind === 'oneshots'
          ? services.filter((s) => s.type === 'oneshot').map((s) => s.name)
          : kind === 'services'
            ? services.map((s) => s.name)
            : [...services.map((s) => s.name), ...Object.keys(db.bundles)];
  return names.sort(byName);
}

/** A service or bundle by its name (`getty@tty1`) or its address (`longrun.getty["tty1"]`). */
export function lookup(db: CompiledDb, name: string): DbLookup {
  const service = Object.hasOwn(db.services, name) ? db.services[name] : undefined;
  if (service) return { kind: 'service', service };
  const bundle = Object.hasOwn(db.bundles, name) ? db.bundles[name] : undefined;
  if (bundle) return { kind: 'bundle', bundle };
  const byAddress = Object.values(db.services).find((s) => s.address === name);
  if (byAddress) return { kind: 'service', service: byAddress };
  const bundleByAddress = Object.values(db.bundles).find((b) => b.address === name);
  if (bundleByAddress) return { kind: 'bundle', bundle: bundleByAddress };
  const instances = Object.values(db.services).filter((s) => blockAddress(s.address) === name);
  if (instances.length > 0) {
    const shown = instances.map((s) => s.address).sort(byName);
    throw new DbQueryError(`"${name}" is a for_each block of ${shown.length} instance(s), not one service: name one, such as ${shown[0]}`, 'not-found');
  }
  throw new DbQueryError(`no service or bundle named "${name}" in the database${hint(db, name)}`, 'not-found');
}

export function typeOf(db: CompiledDb, name: string): ServiceType {
  const found = lookup(db, name);
  return found.kind === 'bundle' ? 'bundle' : found.service.type;
}

/** The atomic services the names stand for: a bundle becomes its members (s6-rc-db atomics). */
export function atomics(db: CompiledDb, names: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of names) {
    const found = lookup(db, name);
    if (found.kind === 'bundle') for (const m of found.bundle.members) out.add(m);
    else out.add(found.service.name);
  }
  return [...out].sort(byName);
}

/** A bundle's atomic members (s6-rc-db contents). */
export function contents(db: CompiledDb, bundle: string): string[] {
  const found = lookup(db, bundle);
  if (found.kind !== 'bundle') throw new DbQueryError(`"${bundle}" is a ${found.service.type}, not a bundle`, 'wrong-type');
  return [...found.bundle.members].sort(byName);
}

/**
 * Direct dependencies, or with "down" the services that depend directly on it. For a bundle, the
 * union over its members, as s6-rc-db does.
 */
export function dependencies(db: CompiledDb, name: string, direction: Direction): string[] {
  const out = new Set<string>();
  for (const atom of atomics(db, [name])) {
    const s = db.services[atom] as CompiledService;
    for (const d of direction === 'up' ? s.dependencies : s.reverse_dependencies) out.add(d);
  }
  return [...out].sort(byName);
}

/**
 * Everything that must be up for the names to be up ("up"), or down for them to be down ("down"),
 * including the atomic services the names stand for themselves (s6-rc-db all-dependencies).
 */
export function allDependencies(db: CompiledDb, names: readonly string[], direction: Direction): string[] {
  const start = atomics(db, names);
  const out = new Set<string>(start);
  // Several names (and the other direction) are not a stored closure: walk the direct edges.
  const queue = [...start];
  while (queue.length > 0) {
    const s = db.services[queue.pop() as string];
    if (!s) continue;
    for (const next of direction === 'up' ? s.dependencies : s.reverse_dependencies) {
      if (!out.has(next)) {
        out.add(next);
        queue.push(next);
      }
    }
  }
  return [...out].sort(byName);
}

/**
 * The longrun pipeline a service belongs to, producers before consumers (s6-rc-db pipeline). A
 * service outside any pipeline is a pipeline of one.
 */
export function pipeline(db: CompiledDb, name: string): string[] {
  const found = lookup(db, name);
  if (found.kind === 'bundle' || found.service.type !== 'longrun') {
    const t = found.kind === 'bundle' ? 'bundle' : found.service.type;
    throw new DbQueryError(`"${name}" is a ${t}; only longruns take part in pipelines`, 'wrong-type');
  }
  // Consumers may funnel several producers, so a pipeline is a tree: collect the connected
  // component, then order it so every producer precedes its consumer.
  const edges = new Map<string, Set<string>>();
  const link = (a: string, b: string): void => {
    if (!edges.has(a)) edges.set(a, new Set());
    (edges.get(a) as Set<string>).add(b);
  };
  for (const s of Object.values(db.services)) {
    if (s.type !== 'longrun') continue;
    if (s.producer_for) {
      link(s.name, s.producer_for);
      link(s.producer_for, s.name);
    }
    for (const p of s.consumer_for) {
      link(s.name, p);
      link(p, s.name);
    }
  }
  const member = new Set<string>([found.service.name]);
  const queue = [found.service.name];
  while (queue.length > 0) {
    for (const n of edges.get(queue.pop() as string) ?? []) {
      if (!member.has(n)) {
        member.add(n);
        queue.push(n);
      }
    }
  }
  const consumerOf = (n: string): string | undefined => {
    const s = db.services[n];
    return s && s.type === 'longrun' ? s.producer_for : undefined;
  };
  const depth = (n: string): number => {
    let d = 0;
    const seen = new Set<string>();
    for (let c = consumerOf(n); c !== undefined && !seen.has(c) && member.has(c); c = consumerOf(c)) {
      seen.add(c);
      d++;
    }
    return d;
  };
  // The farther a service is from the last consumer, the earlier it comes.
  return [...member].sort((a, b) => depth(b) - depth(a) || byName(a, b));
}

/** Everything a service needs, transitively, without itself, sorted: its dependency closure, as
 *  the database stores it; for a bundle, its members' closures and the members themselves. */
export function closure(db: CompiledDb, name: string): string[] {
  const stored = Object.hasOwn(db.closures, name) ? db.closures[name] : undefined;
  if (stored) return expandClosure(stored, db.order, positions(db)).sort(byName);
  return allDependencies(db, [name], 'up').filter((n) => n !== name);
}

const positionCache = new WeakMap<CompiledDb, Map<string, number>>();

/** Each service's position in `order`, once per database. */
function positions(db: CompiledDb): Map<string, number> {
  let m = positionCache.get(db);
  if (!m) positionCache.set(db, (m = new Map(db.order.map((n, p) => [n, p]))));
  return m;
}

export function timeoutMs(db: CompiledDb, name: string, direction: Direction): number {
  const found = lookup(db, name);
  if (found.kind === 'bundle') throw new DbQueryError(`"${name}" is a bundle; only atomic services have timeouts`, 'wrong-type');
  return direction === 'up' ? found.service.timeouts.up_ms : found.service.timeouts.down_ms;
}

/** A oneshot's up or down command; undefined when it has no down command (nothing to do). */
export function oneshotScript(db: CompiledDb, name: string, direction: Direction): Command | undefined {
  const found = lookup(db, name);
  if (found.kind === 'bundle' || found.service.type !== 'oneshot') {
    const t = found.kind === 'bundle' ? 'bundle' : found.service.type;
    throw new DbQueryError(`"${name}" is a ${t}; only oneshots have up and down scripts`, 'wrong-type');
  }
  return direction === 'up' ? found.service.up : found.service.down;
}

/** Bundles whose expansion contains the service, so a reader sees how it gets started. */
export function bundlesContaining(db: CompiledDb, name: string): string[] {
  return Object.values(db.bundles)
    .filter((b) => b.members.includes(name) || b.contents.includes(name))
    .map((b) => b.name)
    .sort(byName);
}

/** Names or addresses, whichever is closer to what was typed. */
function hint(db: CompiledDb, name: string): string {
  const known = [...listNames(db, 'all'), ...Object.values(db.services).map((s) => s.address), ...Object.values(db.bundles).map((b) => b.address)];
  const s = suggest(name, known);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
