import type { Range } from '../hcl/range.js';
import { numCmp, numToString, type Num } from './number.js';
import { formatAddress } from '../address.js';

// Values of the service language, a small subset of cty: lists and tuples are one kind (a
// sequence), maps and objects another (a string-keyed record); sets are lists without duplicates.
// `sensitive` is carried on every value so that anything derived from a sensitive variable stays
// marked through operators, templates and functions. `ref` is the value of `longrun.db`: service
// references are values so that they can be built by for expressions and conditionals. `error` is
// what an expression that already produced a diagnostic evaluates to: it propagates silently, so
// one mistake gives one diagnostic.

export type ServiceKind = 'longrun' | 'oneshot' | 'bundle';

export type Value =
  | { kind: 'null'; sensitive?: boolean }
  | { kind: 'bool'; value: boolean; sensitive?: boolean }
  | { kind: 'number'; value: Num; sensitive?: boolean }
  | { kind: 'string'; value: string; sensitive?: boolean }
  | { kind: 'list'; items: Value[]; sensitive?: boolean }
  | { kind: 'object'; attrs: Map<string, Value>; sensitive?: boolean }
  | { kind: 'ref'; type: ServiceKind; name?: string; key?: string; range: Range; sensitive?: boolean }
  | { kind: 'error'; sensitive?: boolean };

export type ValueOf<K extends Value['kind']> = Extract<Value, { kind: K }>;

export const NULL: Value = { kind: 'null' };
export const ERROR: Value = { kind: 'error' };

export function str(value: string, sensitive?: boolean): Value {
  return sensitive ? { kind: 'string', value, sensitive } : { kind: 'string', value };
}

export function bool(value: boolean, sensitive?: boolean): Value {
  return sensitive ? { kind: 'bool', value, sensitive } : { kind: 'bool', value };
}

export function num(value: Num, sensitive?: boolean): Value {
  return sensitive ? { kind: 'number', value, sensitive } : { kind: 'number', value };
}

export function list(items: Value[], sensitive?: boolean): Value {
  return sensitive ? { kind: 'list', items, sensitive } : { kind: 'list', items };
}

export function obj(attrs: Map<string, Value>, sensitive?: boolean): Value {
  return sensitive ? { kind: 'object', attrs, sensitive } : { kind: 'object', attrs };
}

/** Marks a value sensitive when `sensitive` is true (shallowly: containers carry the mark). */
export function mark<V extends Value>(v: V, sensitive: boolean | undefined): V {
  if (!sensitive || v.sensitive) return v;
  return { ...v, sensitive: true };
}

/** True when the value or anything inside it is sensitive. */
export function deepSensitive(v: Value): boolean {
  if (v.sensitive) return true;
  if (v.kind === 'list') return v.items.some(deepSensitive);
  if (v.kind === 'object') {
    for (const x of v.attrs.values()) if (deepSensitive(x)) return true;
  }
  return false;
}

export function typeName(v: Value): string {
  switch (v.kind) {
    case 'list':
      return 'list';
    case 'object':
      return 'object';
    case 'ref':
      return 'service reference';
    case 'error':
      return 'invalid value';
    default:
      return v.kind;
  }
}

export function refAddress(v: ValueOf<'ref'>): string {
  return formatAddress(v.type, v.name, v.key);
}

/** The string form used by templates and tostring; undefined for values that have none. */
export function toStringValue(v: Value): string | undefined {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number':
      return numToString(v.value);
    case 'bool':
      return v.value ? 'true' : 'false';
    default:
      return undefined;
  }
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'null':
    case 'error':
      return true;
    case 'bool':
    case 'string':
      return a.value === (b as typeof a).value;
    case 'number':
      return numCmp(a.value, (b as typeof a).value) === 0;
    case 'list': {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((x, i) => valuesEqual(x, bi[i] as Value));
    }
    case 'object': {
      const ba = (b as typeof a).attrs;
      if (a.attrs.size !== ba.size) return false;
      for (const [k, x] of a.attrs) {
        const y = ba.get(k);
        if (!y || !valuesEqual(x, y)) return false;
      }
      return true;
    }
    case 'ref':
      return refAddress(a) === refAddress(b as typeof a);
  }
}

/** Plain JSON for schemas and jsonencode: numbers become JS numbers, refs their address. */
export function toJson(v: Value): unknown {
  switch (v.kind) {
    case 'null':
    case 'error':
      return null;
    case 'bool':
    case 'string':
      return v.value;
    case 'number':
      return Number(numToString(v.value));
    case 'list':
      return v.items.map(toJson);
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of [...v.attrs.keys()].sort()) o[k] = toJson(v.attrs.get(k) as Value);
      return o;
    }
    case 'ref':
      return refAddress(v);
  }
}

export function containsError(v: Value): boolean {
  if (v.kind === 'error') return true;
  if (v.kind === 'list') return v.items.some(containsError);
  if (v.kind === 'object') {
    for (const x of v.attrs.values()) if (containsError(x)) return true;
  }
  return false;
}
