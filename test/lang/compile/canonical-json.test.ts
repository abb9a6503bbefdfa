import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { canonicalJson } from '../../../lang/compile/canonical-json.js';

// An obviously correct canonical writer to compare the fast one against.
function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : reference(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).filter((k) => o[k] !== undefined);
    keys.sort((a, b) => {
      for (let i = 0; i < Math.min(a.length, b.length); i++) if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.charCodeAt(i) - b.charCodeAt(i);
      return a.length - b.length;
    });
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

describe('canonicalJson', () => {
  test('keys sorted by UTF-16 code units at every depth, undefined members dropped, no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, undefined], c: 'x' }, e: undefined })).toBe('{"a":{"c":"x","d":[3,null]},"b":1}');
    expect(canonicalJson({ 'é': 1, z: 2, Z: 3, '\u{1F600}': 4, '\uFF5E': 5 })).toBe('{"Z":3,"z":2,"é":1,"\u{1F600}":4,"\uFF5E":5}');
  });

  test('array-index-like keys sort as strings, not in the numeric order V8 keeps them in', () => {
    expect(canonicalJson({ a: { 10: 'x', 9: 'y', '09': 'z' }, svc: 1 })).toBe('{"a":{"09":"z","10":"x","9":"y"},"svc":1}');
    expect(canonicalJson({ 4294967295: 1, 2: 2 })).toBe('{"2":2,"4294967295":1}');
  });

  test('what JSON cannot hold is an error, not a silent null', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow('non-finite');
    expect(() => canonicalJson([Infinity])).toThrow('non-finite');
    expect(() => canonicalJson(undefined)).toThrow('cannot encode');
  });

  test('a "__proto__" member, as JSON.parse makes it, is kept like any other key', () => {
    const v: unknown = JSON.parse('{"b":1,"__proto__":{"x":2},"a":[{"z":0,"__proto__":null}]}');
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":2},"a":[{"__proto__":null,"z":0}],"b":1}');
  });

  test('data built with sorted keys (the fast path, no replacer) gives the same bytes too', () => {
    // Objects rebuilt with their keys inserted in sorted order, as the compiler builds them.
    const sortedCopy = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(sortedCopy);
      if (v === null || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = sortedCopy((v as Record<string, unknown>)[k]);
        if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
        else out[k] = x;
      }
      return out;
    };
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(sortedCopy(v))).toBe(reference(v));
      }),
      { numRuns: 300 },
    );
    expect(canonicalJson({ a: [1, { b: 'x', c: null }], d: -0 })).toBe('{"a":[1,{"b":"x","c":null}],"d":0}');
    expect(() => canonicalJson({ a: 1, b: Number.NaN })).toThrow('non-finite');
  });

  test('the same bytes as a straightforward writer for any JSON value, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(v)).toBe(reference(v));
      }),
      { numRuns: 300 },
    );
  });
});
