import { LONGRUN_HASHED_FIELDS, ONESHOT_HASHED_FIELDS, type CompiledService } from '../lang/compile/compiled-db.js';

// Which definition fields differ between two versions of a service, as dotted paths. Fields that
// are derived from the rest of the database (closure, rank, ...) or identify the service (name,
// address) are not definition changes: a rename is handled by `moved`, not by this comparison.

const NOT_DEFINITION = new Set(['name', 'address', 'closure', 'reverse_dependencies', 'rank', 'definition_hash', 'sensitive_paths', 'type']);

const EMPTY: ReadonlySet<string> = new Set();
const LONGRUN_VOUCHED: ReadonlySet<string> = new Set(LONGRUN_HASHED_FIELDS);
const ONESHOT_VOUCHED: ReadonlySet<string> = new Set(ONESHOT_HASHED_FIELDS);

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
  // Counted rather than listed: a plan compares a few small objects of every service, and listing
  // their keys allocated four arrays each time.
  let defined = 0;
  for (const k in ao) {
    const v = ao[k];
    if (v === undefined) continue;
    if (!deepEqual(v, bo[k])) return false;
    defined++;
  }
  for (const k in bo) if (bo[k] !== undefined) defined--;
  return defined === 0;
}

export function changedPaths(before: CompiledService, after: CompiledService): string[] {
  const b = before as unknown as Record<string, unknown>;
  const a = after as unknown as Record<string, unknown>;
  // Equal definition hashes vouch for the hashed fields: only the others need comparing, which
  // keeps a plan over 10,000 mostly unchanged services cheap.
  const vouched: ReadonlySet<string> =
    before.definition_hash !== '' && before.definition_hash === after.definition_hash && before.type === after.type
      ? before.type === 'longrun'
        ? LONGRUN_VOUCHED
        : ONESHOT_VOUCHED
      : EMPTY;
  const out: string[] = [];
  for (const k in b) compareField(k, b, a, vouched, out);
  for (const k in a) if (!(k in b)) compareField(k, b, a, vouched, out);
  return out.length > 1 ? out.sort() : out;
}

function compareField(k: string, b: Record<string, unknown>, a: Record<string, unknown>, vouched: ReadonlySet<string>, out: string[]): void {
  {
    if (NOT_DEFINITION.has(k) || vouched.has(k)) return;
    const bv = b[k];
    const av = a[k];
    if (deepEqual(bv, av)) return;
    if (PER_ENTRY.has(k) && isRecord(bv) && isRecord(av)) {
      const sub = new Set([...Object.keys(bv), ...Object.keys(av)]);
      for (const s of sub) if (!deepEqual(bv[s], av[s])) out.push(`${k}.${s}`);
    } else {
      out.push(k);
    }
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The top-level field a path belongs to: `env.PORT` → `env`. */
export function topField(path: string): string {
  const dot = path.indexOf('.');
  return dot < 0 ? path : path.slice(0, dot);
}
