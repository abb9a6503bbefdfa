import { numCeil, numCmp, numFloor, numFromInt, numIsInt, numNeg, numToJs, numToString, numAdd, parseNum, type Num } from './number.js';
import { append } from '../append.js';
import { ERROR, NULL, bool, deepSensitive, list, num, obj, str, toJson, toStringValue, typeName, valuesEqual, type Value } from './value.js';

// The built-in functions: a small, documented subset of Terraform's (docs/language.md lists them).
// Each behaves as its Terraform namesake for the values this language has. A result is sensitive
// when any argument is, which is conservative but never leaks.

export type FnResult = { ok: true; value: Value } | { ok: false; error: string; arg?: number } | { ok: false; tooLarge: true };

/** Thrown before a function builds a string longer than the caller allows. */
class TooLarge extends Error {}

function checkLength(n: number, max: number): void {
  if (n > max) throw new TooLarge();
}

class ArgError extends Error {
  constructor(
    message: string,
    readonly arg?: number,
  ) {
    super(message);
  }
}

interface FunctionDef {
  /** Minimum and maximum argument counts (max Infinity for variadic). */
  min: number;
  max: number;
  /** `maxChars`: the longest string the call may build (what the evaluation's budget has left). */
  impl(args: Value[], maxChars: number): Value;
}

function argStr(args: Value[], i: number, what = 'a string'): string {
  const v = args[i] as Value;
  const s = v.kind === 'list' || v.kind === 'object' || v.kind === 'null' || v.kind === 'ref' ? undefined : toStringValue(v);
  if (s === undefined) throw new ArgError(`argument ${i + 1} must be ${what}, not ${typeName(v)}`, i);
  return s;
}

function argNum(args: Value[], i: number): Num {
  const v = args[i] as Value;
  if (v.kind === 'number') return v.value;
  if (v.kind === 'string') {
    const n = parseNum(v.value);
    if (n) return n;
  }
  throw new ArgError(`argument ${i + 1} must be a number, not ${typeName(v)}`, i);
}

function argInt(args: Value[], i: number): number {
  const n = argNum(args, i);
  if (!numIsInt(n)) throw new ArgError(`argument ${i + 1} must be a whole number`, i);
  return numToJs(n);
}

function argList(args: Value[], i: number): Value[] {
  const v = args[i] as Value;
  if (v.kind !== 'list') throw new ArgError(`argument ${i + 1} must be a list, not ${typeName(v)}`, i);
  return v.items;
}

function argObj(args: Value[], i: number): Map<string, Value> {
  const v = args[i] as Value;
  if (v.kind !== 'object') throw new ArgError(`argument ${i + 1} must be a map or object, not ${typeName(v)}`, i);
  return v.attrs;
}

function strList(args: Value[], i: number): string[] {
  return argList(args, i).map((v, j) => {
    const s = v.kind === 'list' || v.kind === 'object' || v.kind === 'null' ? undefined : toStringValue(v);
    if (s === undefined) throw new ArgError(`element ${j} of argument ${i + 1} must be a string, not ${typeName(v)}`, i);
    return s;
  });
}

function sorted(m: Map<string, Value>): string[] {
  return [...m.keys()].sort();
}

function formatVerb(verb: string, v: Value | undefined, n: number): string {
  if (!v) throw new ArgError(`format: not enough arguments for the verb number ${n}`);
  switch (verb) {
    case 's': {
      const s = toStringValue(v);
      if (s === undefined) throw new ArgError(`format: %s needs a string, not ${typeName(v)}`, n);
      return s;
    }
    case 'd': {
      const x = v.kind === 'number' ? v.value : v.kind === 'string' ? parseNum(v.value) : undefined;
      if (!x || !numIsInt(x)) throw new ArgError(`format: %d needs a whole number`, n);
      return numToString(x);
    }
    case 'f': {
      const x = v.kind === 'number' ? v.value : v.kind === 'string' ? parseNum(v.value) : undefined;
      if (!x) throw new ArgError(`format: %f needs a number`, n);
      return numToJs(x).toFixed(6);
    }
    case 'q': {
      const s = toStringValue(v);
      if (s === undefined) throw new ArgError(`format: %q needs a string, not ${typeName(v)}`, n);
      return JSON.stringify(s);
    }
    case 'v':
      return toStringValue(v) ?? JSON.stringify(toJson(v));
    case 't':
      if (v.kind !== 'bool') throw new ArgError(`format: %t needs a bool`, n);
      return String(v.value);
    default:
      throw new ArgError(`format: unsupported verb %${verb} (supported: %s %d %f %q %v %t %%)`);
  }
}

const defs: [string, FunctionDef][] = [
  ['upper', { min: 1, max: 1, impl: (a) => str(argStr(a, 0).toUpperCase()) }],
  ['lower', { min: 1, max: 1, impl: (a) => str(argStr(a, 0).toLowerCase()) }],
  ['title', { min: 1, max: 1, impl: (a) => str(argStr(a, 0).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase())) }],
  ['trimspace', { min: 1, max: 1, impl: (a) => str(argStr(a, 0).trim()) }],
  ['chomp', { min: 1, max: 1, impl: (a) => str(argStr(a, 0).replace(/(\r\n|\n|\r)+$/, '')) }],
  ['trimprefix', { min: 2, max: 2, impl: (a) => { const s = argStr(a, 0); const p = argStr(a, 1); return str(s.startsWith(p) ? s.slice(p.length) : s); } }],
  ['trimsuffix', { min: 2, max: 2, impl: (a) => { const s = argStr(a, 0); const p = argStr(a, 1); return str(p && s.endsWith(p) ? s.slice(0, s.length - p.length) : s); } }],
  ['startswith', { min: 2, max: 2, impl: (a) => bool(argStr(a, 0).startsWith(argStr(a, 1))) }],
  ['endswith', { min: 2, max: 2, impl: (a) => bool(argStr(a, 0).endsWith(argStr(a, 1))) }],
  ['replace', { min: 3, max: 3, impl: (a, max) => {
    const parts = argStr(a, 0).split(argStr(a, 1));
    const by = argStr(a, 2);
    // Replacing "" (or anything frequent) by a long string multiplies lengths: check before joining.
    let n = by.length * (parts.length - 1);
    for (const p of parts) n += p.length;
    checkLength(n, max);
    return str(parts.join(by));
  } }],
  ['substr', { min: 3, max: 3, impl: (a) => {
    const chars = [...argStr(a, 0)];
    let off = argInt(a, 1);
    const len = argInt(a, 2);
    if (off < 0) off = Math.max(0, chars.length + off);
    return str(chars.slice(off, len < 0 ? undefined : off + len).join(''));
  } }],
  ['split', { min: 2, max: 2, impl: (a) => { const sep = argStr(a, 0); const s = argStr(a, 1); return list((s === '' ? [''] : s.split(sep)).map((x) => str(x))); } }],
  ['join', { min: 2, max: Infinity, impl: (a, max) => {
    const sep = argStr(a, 0);
    const parts: string[] = [];
    for (let i = 1; i < a.length; i++) append(parts, strList(a, i));
    let n = sep.length * Math.max(0, parts.length - 1);
    for (const p of parts) n += p.length;
    checkLength(n, max);
    return str(parts.join(sep));
  } }],
  ['format', { min: 1, max: Infinity, impl: (a, max) => {
    const f = argStr(a, 0);
    let n = 1;
    let length = f.length;
    return str(f.replace(/%([%sdfqvt])/g, (_m, verb: string) => {
      const s = verb === '%' ? '%' : formatVerb(verb, a[n], n++);
      checkLength((length += s.length), max);
      return s;
    }));
  } }],
  ['tostring', { min: 1, max: 1, impl: (a) => { const v = a[0] as Value; if (v.kind === 'null') return NULL; return str(argStr(a, 0)); } }],
  ['tonumber', { min: 1, max: 1, impl: (a) => { const v = a[0] as Value; if (v.kind === 'null') return NULL; return num(argNum(a, 0)); } }],
  ['tobool', { min: 1, max: 1, impl: (a) => {
    const v = a[0] as Value;
    if (v.kind === 'null' || v.kind === 'bool') return v;
    if (v.kind === 'string' && (v.value === 'true' || v.value === 'false')) return bool(v.value === 'true');
    throw new ArgError(`cannot convert ${typeName(v)} to bool`, 0);
  } }],
  ['length', { min: 1, max: 1, impl: (a) => {
    const v = a[0] as Value;
    if (v.kind === 'list') return num(numFromInt(v.items.length));
    if (v.kind === 'object') return num(numFromInt(v.attrs.size));
    if (v.kind === 'string') return num(numFromInt([...v.value].length));
    throw new ArgError(`argument must be a string, list or map, not ${typeName(v)}`, 0);
  } }],
  ['concat', { min: 1, max: Infinity, impl: (a) => list(a.flatMap((_, i) => argList(a, i))) }],
  ['flatten', { min: 1, max: 1, impl: (a) => { const out: Value[] = []; const walk = (xs: Value[]): void => { for (const x of xs) if (x.kind === 'list') walk(x.items); else out.push(x); }; walk(argList(a, 0)); return list(out); } }],
  ['distinct', { min: 1, max: 1, impl: (a) => list(distinct(argList(a, 0))) }],
  ['contains', { min: 2, max: 2, impl: (a) => bool(argList(a, 0).some((x) => valuesEqual(x, a[1] as Value))) }],
  ['element', { min: 2, max: 2, impl: (a) => { const xs = argList(a, 0); if (xs.length === 0) throw new ArgError('cannot use element function with an empty list', 0); const i = argInt(a, 1); if (i < 0) throw new ArgError('index must not be negative', 1); return xs[i % xs.length] as Value; } }],
  ['toset', { min: 1, max: 1, impl: (a) => list(distinct(argList(a, 0))) }],
  ['tolist', { min: 1, max: 1, impl: (a) => list(argList(a, 0)) }],
  ['tomap', { min: 1, max: 1, impl: (a) => obj(new Map(argObj(a, 0))) }],
  ['reverse', { min: 1, max: 1, impl: (a) => list([...argList(a, 0)].reverse()) }],
  ['sort', { min: 1, max: 1, impl: (a) => list(strList(a, 0).sort().map((s) => str(s))) }],
  ['keys', { min: 1, max: 1, impl: (a) => list(sorted(argObj(a, 0)).map((k) => str(k))) }],
  ['values', { min: 1, max: 1, impl: (a) => { const m = argObj(a, 0); return list(sorted(m).map((k) => m.get(k) as Value)); } }],
  ['lookup', { min: 2, max: 3, impl: (a) => {
    const m = argObj(a, 0);
    const k = argStr(a, 1);
    const v = m.get(k);
    if (v) return v;
    if (a.length === 3) return a[2] as Value;
    throw new ArgError(`the given key "${k}" does not exist in the map and no default was given`, 1);
  } }],
  ['merge', { min: 0, max: Infinity, impl: (a) => { const out = new Map<string, Value>(); a.forEach((v, i) => { if (v.kind === 'null') return; for (const [k, x] of argObj(a, i)) out.set(k, x); }); return obj(out); } }],
  ['zipmap', { min: 2, max: 2, impl: (a) => { const ks = strList(a, 0); const vs = argList(a, 1); if (ks.length !== vs.length) throw new ArgError('the keys and values lists must have the same length'); return obj(new Map(ks.map((k, i) => [k, vs[i] as Value]))); } }],
  ['coalesce', { min: 1, max: Infinity, impl: (a) => { const v = a.find((x) => x.kind !== 'null' && !(x.kind === 'string' && x.value === '')); if (!v) throw new ArgError('no non-null, non-empty-string arguments'); return v; } }],
  ['range', { min: 1, max: 3, impl: (a) => {
    let start = numFromInt(0);
    let limit: Num;
    let step = numFromInt(1);
    if (a.length === 1) limit = argNum(a, 0);
    else {
      start = argNum(a, 0);
      limit = argNum(a, 1);
      if (a.length === 3) step = argNum(a, 2);
    }
    if (step.m === 0n) throw new ArgError('step must not be zero', 2);
    const up = step.m > 0n;
    if (up !== (numCmp(limit, start) >= 0) && numCmp(limit, start) !== 0) throw new ArgError(up ? 'the limit must be greater than the start for a positive step' : 'the limit must be less than the start for a negative step');
    const out: Value[] = [];
    for (let x = start; up ? numCmp(x, limit) < 0 : numCmp(x, limit) > 0; x = numAdd(x, step)) {
      if (out.length >= 1024) throw new ArgError('more than 1024 values');
      out.push(num(x));
    }
    return list(out);
  } }],
  ['min', { min: 1, max: Infinity, impl: (a) => num(a.map((_, i) => argNum(a, i)).reduce((x, y) => (numCmp(x, y) <= 0 ? x : y))) }],
  ['max', { min: 1, max: Infinity, impl: (a) => num(a.map((_, i) => argNum(a, i)).reduce((x, y) => (numCmp(x, y) >= 0 ? x : y))) }],
  ['abs', { min: 1, max: 1, impl: (a) => { const n = argNum(a, 0); return num(n.m < 0n ? numNeg(n) : n); } }],
  ['floor', { min: 1, max: 1, impl: (a) => num(numFloor(argNum(a, 0))) }],
  ['ceil', { min: 1, max: 1, impl: (a) => num(numCeil(argNum(a, 0))) }],
  ['jsonencode', { min: 1, max: 1, impl: (a, max) => { const s = JSON.stringify(toJson(a[0] as Value)); checkLength(s.length, max); return str(s); } }],
];

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map(defs);

/**
 * The first of each group of equal values, in order. Comparing each value with every one kept
 * was quadratic: toset of a list of 200,000 strings took hours. Values with equal keys are equal.
 */
function distinct(xs: readonly Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const x of xs) {
    const k = valueKey(x);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(x);
  }
  return out;
}

/** A string equal for two values exactly when valuesEqual holds (marks aside). */
function valueKey(v: Value): string {
  switch (v.kind) {
    case 'null':
    case 'error':
      return v.kind;
    case 'bool':
      return v.value ? 'T' : 'F';
    case 'string':
      return 's' + JSON.stringify(v.value);
    case 'number':
      return 'n' + numToString(v.value);
    case 'list':
      return '[' + v.items.map(valueKey).join(',') + ']';
    case 'object':
      return '{' + [...v.attrs.keys()].sort().map((k) => JSON.stringify(k) + ':' + valueKey(v.attrs.get(k) as Value)).join(',') + '}';
    case 'ref':
      return 'r' + JSON.stringify(toJson(v));
  }
}

export function callFunction(fn: FunctionDef, name: string, args: Value[], maxChars = Infinity): FnResult {
  if (args.length < fn.min || args.length > fn.max) {
    const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
    return { ok: false, error: `${name} takes ${want} argument${want === '1' ? '' : 's'}, but ${args.length} ${args.length === 1 ? 'was' : 'were'} given.` };
  }
  if (args.some((x) => x.kind === 'ref')) {
    const i = args.findIndex((x) => x.kind === 'ref');
    return { ok: false, error: 'service references cannot be passed to functions.', arg: i };
  }
  try {
    const value = fn.impl(args, maxChars);
    if (value.kind === 'error') return { ok: true, value: ERROR };
    const sensitive = args.some(deepSensitive);
    return { ok: true, value: sensitive ? { ...value, sensitive: true } : value };
  } catch (e) {
    if (e instanceof TooLarge) return { ok: false, tooLarge: true };
    if (e instanceof ArgError) return e.arg === undefined ? { ok: false, error: e.message + '.' } : { ok: false, error: e.message + '.', arg: e.arg };
    return { ok: false, error: String((e as Error).message ?? e) };
  }
}
