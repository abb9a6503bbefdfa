import { createHash } from 'node:crypto';
import type { CompiledBundle, CompiledDb, CompiledLongrun, CompiledOneshot, CompiledService } from '../../lang/compile/compiled-db.js';

// Hand-built compiled databases for testing readers of the format (show compiled, graph) without
// going through the compiler: the edges and ranks are computed here independently.

export type ServiceSpec =
  | ({ type: 'longrun'; deps?: string[] } & Partial<Omit<CompiledLongrun, 'type' | 'dependencies'>>)
  | ({ type: 'oneshot'; deps?: string[] } & Partial<Omit<CompiledOneshot, 'type' | 'dependencies'>>);

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

export function buildDb(specs: Record<string, ServiceSpec>, bundles: Record<string, string[]> = {}, moved: { from: string; to: string }[] = []): CompiledDb {
  const members = (name: string, seen = new Set<string>()): string[] => {
    if (specs[name]) return [name];
    if (seen.has(name)) return [];
    seen.add(name);
    return (bundles[name] ?? []).flatMap((c) => members(c, seen));
  };
  const direct = (name: string): string[] => [...new Set((specs[name]?.deps ?? []).flatMap((d) => members(d)))].sort();
  const rank = (name: string): number => Math.max(-1, ...direct(name).map(rank)) + 1;
  const services: Record<string, CompiledService> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const { deps: _deps, ...rest } = spec;
    const base = {
      name,
      address: `${spec.type}.${name}`,
      essential: false,
      dependencies: direct(name),
      reverse_dependencies: Object.keys(specs).filter((n) => direct(n).includes(name)).sort(),
      rank: rank(name),
      definition_hash: sha(name),
      sensitive_paths: [],
      env: {},
    };
    services[name] =
      spec.type === 'longrun'
        ? ({
            ...base,
            run: { argv: ['sleep', '1000'] },
            down: false,
            timeouts: { up_ms: 0, down_ms: 0, kill_ms: 0, finish_ms: 5000 },
            down_signal: 'SIGTERM',
            max_death_tally: 100,
            data: {},
            consumer_for: [],
            lifecycle: { on_change: 'restart' },
            ...rest,
          } as CompiledLongrun)
        : ({ ...base, up: { argv: ['true'] }, timeouts: { up_ms: 0, down_ms: 0 }, ...rest } as CompiledOneshot);
  }
  const compiledBundles: Record<string, CompiledBundle> = {};
  for (const [name, c] of Object.entries(bundles)) {
    compiledBundles[name] = { type: 'bundle', name, address: `bundle.${name}`, essential: false, contents: c, members: [...new Set(members(name))].sort() };
  }
  const db = { format_version: '1' as const, hash: '', services, bundles: compiledBundles, moved };
  db.hash = sha(JSON.stringify({ ...db, hash: undefined }));
  return db;
}
