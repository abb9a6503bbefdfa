import { createHash } from 'node:crypto';
import { closuresByName } from '../../lang/compile/closures.js';
import { compiledSchemaDigest } from '../../lang/compile/compile.js';
import { COMPILED_FORMAT_VERSION, type CompiledBundle, type CompiledDb, type CompiledLongrun, type CompiledOneshot, type CompiledService, type MovedEntry } from '../../lang/compile/compiled-db.js';

// Hand-built compiled databases for tests of the readers of the format (planner, engines, apply,
// show compiled, graph) without going through the compiler. Tests say only what matters to them;
// the derived fields (sorted and reverse dependencies, ranks, hashes) are computed here,
// independently of the compiler. Two ways in: `db([longrun(...), oneshot(...)])` from whole
// services, and `buildDb({ name: spec }, bundles)` from short specs whose `deps` may name bundles.

export function longrun(name: string, o: Partial<CompiledLongrun> = {}): CompiledLongrun {
  return {
    type: 'longrun',
    name,
    address: `longrun.${name}`,
    essential: false,
    dependencies: [],
    reverse_dependencies: [],
    rank: 0,
    definition_hash: '',
    sensitive_paths: [],
    run: { argv: [`/usr/bin/${name}`, '--foreground'] },
    down: false,
    env: {},
    timeouts: { up_ms: 5000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 },
    down_signal: 'SIGTERM',
    max_death_tally: 100,
    data: {},
    consumer_for: [],
    lifecycle: { on_change: 'restart' },
    ...o,
  };
}

export function oneshot(name: string, o: Partial<CompiledOneshot> = {}): CompiledOneshot {
  return {
    type: 'oneshot',
    name,
    address: `oneshot.${name}`,
    essential: false,
    dependencies: [],
    reverse_dependencies: [],
    rank: 0,
    definition_hash: '',
    sensitive_paths: [],
    up: { script: `#!/bin/sh\necho setting up ${name}\n` },
    env: {},
    timeouts: { up_ms: 10000, down_ms: 10000 },
    ...o,
  };
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A database of these services (copied): dependencies sorted, reverse dependencies, ranks and hashes filled in. */
export function db(services: CompiledService[], moved: MovedEntry[] = [], bundles: Record<string, CompiledBundle> = {}): CompiledDb {
  const byName: Record<string, CompiledService> = {};
  for (const s of services) byName[s.name] = structuredClone(s);
  for (const s of Object.values(byName)) {
    s.dependencies = [...s.dependencies].sort();
    s.reverse_dependencies = Object.values(byName)
      .filter((o) => o.dependencies.includes(s.name))
      .map((o) => o.name)
      .sort();
  }
  const rank = (n: string): number => Math.max(-1, ...(byName[n]?.dependencies ?? []).map(rank)) + 1;
  for (const s of Object.values(byName)) {
    s.rank = rank(s.name);
    const { definition_hash: _h, ...rest } = s;
    s.definition_hash = sha(JSON.stringify(rest));
  }
  const out: CompiledDb = { format_version: COMPILED_FORMAT_VERSION, schema: compiledSchemaDigest(), hash: '', services: byName, ...closuresByName(byName), bundles, moved };
  out.hash = sha(JSON.stringify(out));
  return out;
}

export type ServiceSpec =
  | ({ type: 'longrun'; deps?: string[] } & Partial<Omit<CompiledLongrun, 'type' | 'dependencies'>>)
  | ({ type: 'oneshot'; deps?: string[] } & Partial<Omit<CompiledOneshot, 'type' | 'dependencies'>>);

/**
 * A database from short specs: `deps` name services or bundles (expanded to their members, as the
 * compiler does), and the defaults suit tests that run the services for real (`sleep 1000`, no
 * timeouts, a `true` oneshot).
 */
export function buildDb(specs: Record<string, ServiceSpec>, bundles: Record<string, string[]> = {}, moved: MovedEntry[] = []): CompiledDb {
  const members = (name: string, seen = new Set<string>()): string[] => {
    if (specs[name]) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    return (bundles[name] ?? []).flatMap((c) => members(c, seen));
  };
  const services = Object.entries(specs).map(([name, spec]): CompiledService => {
    const { deps, ...rest } = spec;
    const dependencies = [...new Set((deps ?? []).flatMap((d) => members(d)))];
    return rest.type === 'longrun'
      ? longrun(name, { run: { argv: ['sleep', '1000'] }, timeouts: { up_ms: 0, down_ms: 0, kill_ms: 0, finish_ms: 5000 }, ...rest, dependencies })
      : oneshot(name, { up: { argv: ['true'] }, timeouts: { up_ms: 0, down_ms: 0 }, ...rest, dependencies });
  });
  const compiledBundles: Record<string, CompiledBundle> = {};
  for (const [name, c] of Object.entries(bundles)) {
    compiledBundles[name] = { type: 'bundle', name, address: `bundle.${name}`, essential: false, contents: c, members: [...new Set(members(name))].sort() };
  }
  return db(services, moved, compiledBundles);
}
