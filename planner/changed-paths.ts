import type { CompiledService } from '../lang/compile/compiled-db.js';

// Which definition fields differ between two versions of a service, as dotted paths. Fields that
// are derived from the rest of the database (closure, rank, ...) or identify the service (name,
// address) are not definition changes: a rename is handled by `moved`, not by this comparison.

const NOT_DEFINITION = new Set(['name', 'address', 'closure', 'reverse_dependencies', 'rank', 'definition_hash', 'sensitive_paths', 'type']);

/** Maps whose entries are compared (and shown) one by one. */
const PER_ENTRY = new Set(['env', 'data', 'timeouts']);

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}

export function changedPaths(before: CompiledService, after: CompiledService): string[] {
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(b), ...Object.keys(a)]);
  const out: string[] = [];
  for (const k of keys) {
    if (NOT_DEFINITION.has(k)) continue;
    const bv = b[k];
    const av = a[k];
    if (deepEqual(bv, av)) continue;
    if (PER_ENTRY.has(k) && isRecord(bv) && isRecord(av)) {
      const sub = new Set([...Object.keys(bv), ...Object.keys(av)]);
      for (const s of sub) if (!deepEqual(bv[s], av[s])) out.push(`${k}.${s}`);
    } else {
      out.push(k);
    }
  }
  return out.sort();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The top-level field a path belongs to: `env.PORT` → `env`. */
export function topField(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : path.slice(0, dot);
}
