import type { CompiledService } from './compile/compiled-db.js';
import type { Value } from './eval/value.js';

// Redaction, in one place: what every view, message and diagnostic shows instead of a value
// derived from a `sensitive` variable. A compiled definition lists the paths holding such values
// (sensitive_paths: `env.PGPASSWORD`, or `env` when a key itself came from a sensitive value);
// the plan views (human, JSON, Markdown), `show compiled` (human and JSON), `state show`, apply's errors and validate's
// diagnostics all go through these functions, so a new view cannot forget a case.

export const SENSITIVE = '(sensitive value)';
/** The same mark in the tables of `show compiled` and `state show`, where values are short. */
export const SENSITIVE_SHORT = '(sensitive)';

/**
 * Whether a map attribute's keys are hidden too: the whole map is sensitive, as it is when a key
 * was computed from a sensitive value (`env = { (var.name) = "x" }`).
 */
export function hidesKeys(container: string, sensitivePaths: readonly string[]): boolean {
  return sensitivePaths.includes(container);
}

/** Whether the value at `path` is sensitive: at, inside or around a sensitive path. */
export function isSensitivePath(path: string, sensitivePaths: readonly string[]): boolean {
  return sensitivePaths.some((p) => p === path || path.startsWith(p + '.') || p.startsWith(path + '.'));
}

/** A path as it may be shown: one inside a map whose keys are hidden becomes the map's path. */
export function redactPath(path: string, sensitivePaths: readonly string[]): string {
  const dot = path.indexOf('.');
  if (dot > 0 && hidesKeys(path.slice(0, dot), sensitivePaths)) return path.slice(0, dot);
  return path;
}

/** Paths as they may be shown, without the duplicates that hiding keys makes. */
export function redactPaths(paths: readonly string[], sensitivePaths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => redactPath(p, sensitivePaths)))];
}

/** A copy of a definition with every sensitive value (and hidden key) replaced by `mark`. */
export function redactDefinition<S extends CompiledService | null | undefined>(svc: S, mark = SENSITIVE): S {
  if (!svc || svc.sensitive_paths.length === 0) return svc;
  const copy = structuredClone(svc) as unknown as Record<string, unknown>;
  for (const path of svc.sensitive_paths) {
    // Map keys may contain dots (data file names): walk the first segment, then try the rest whole.
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    const rest = dot < 0 ? '' : path.slice(dot + 1);
    if (!(head in copy)) continue;
    if (rest === '') copy[head] = mark;
    else {
      const inner = copy[head];
      if (inner && typeof inner === 'object' && rest in (inner as Record<string, unknown>)) (inner as Record<string, unknown>)[rest] = mark;
      else copy[head] = mark;
    }
  }
  return copy as unknown as S;
}

/** Every string a definition holds at its sensitive paths, keys of hidden maps included. */
export function sensitiveStrings(svc: CompiledService | null | undefined): string[] {
  if (!svc || svc.sensitive_paths.length === 0) return [];
  const out = new Set<string>();
  const rec = svc as unknown as Record<string, unknown>;
  const walk = (v: unknown, withKeys: boolean): void => {
    if (typeof v === 'string') out.add(v);
    else if (Array.isArray(v)) for (const x of v) walk(x, withKeys);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (withKeys) out.add(k);
        walk(x, withKeys);
      }
    }
  };
  for (const path of svc.sensitive_paths) {
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    const rest = dot < 0 ? '' : path.slice(dot + 1);
    const inner = rec[head];
    if (rest !== '' && inner && typeof inner === 'object' && rest in (inner as Record<string, unknown>)) walk((inner as Record<string, unknown>)[rest], false);
    else walk(inner, true);
  }
  out.delete('');
  return [...out].sort((a, b) => b.length - a.length);
}

/** A message about a service with each of its sensitive strings replaced by SENSITIVE. */
export function redactMessage(message: string, svc: CompiledService | null | undefined): string {
  return redactStrings(message, sensitiveStrings(svc));
}

/** `message` with every occurrence of each of `secrets` (longest first) replaced by SENSITIVE. */
export function redactStrings(message: string, secrets: Iterable<string>): string {
  const list = [...secrets].filter((x) => x !== '').sort((a, b) => b.length - a.length);
  if (list.length === 0) return message;
  // One pass, so that a short secret is not found again inside the mark put in for a long one.
  const any = new RegExp(list.map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return message.replace(any, SENSITIVE);
}

/** The strings inside the sensitive parts of values (keys included), for redactStrings. */
export function sensitiveValueStrings(values: readonly Value[]): string[] {
  const out = new Set<string>();
  const stack: { v: Value; inSensitive: boolean }[] = values.map((v) => ({ v, inSensitive: false }));
  while (stack.length > 0) {
    const { v, inSensitive } = stack.pop()!;
    const s = inSensitive || !!v.sensitive;
    if (v.kind === 'string' && s) out.add(v.value);
    else if (v.kind === 'number' && s) out.add(String(v.value));
    else if (v.kind === 'list') for (const x of v.items) stack.push({ v: x, inSensitive: s });
    else if (v.kind === 'object') {
      for (const [k, x] of v.attrs) {
        if (s) out.add(k);
        stack.push({ v: x, inSensitive: s });
      }
    }
  }
  return [...out];
}

/** A value as a diagnostic may quote it: JSON for a string, SENSITIVE for a sensitive one. */
export function quoteValue(v: Value, otherwise: string): string {
  if (v.sensitive) return SENSITIVE;
  return v.kind === 'string' ? JSON.stringify(v.value) : otherwise;
}
