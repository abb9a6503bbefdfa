// Canonical JSON: object keys sorted by UTF-16 code units, no insignificant whitespace, undefined
// members dropped. The compiled database is written in this form, so the same content always has
// the same bytes and a hash over them identifies it.
//
// A 10,000-service database is several megabytes, so the text comes from the native
// JSON.stringify, with a replacer that hands it each object with its keys in sorted order (the
// compiler builds most of them sorted already, so they are passed through, not copied). V8 lists
// array-index-like keys ("0", "42") first in numeric order whatever the insertion order, so an
// object with such a key cannot be ordered that way: then the portable writer below does it all.

export function canonicalJson(value: unknown): string {
  // Data built with its keys in order (the compiler does that) needs no replacer at all: checking
  // that in JavaScript is several times cheaper than a replacer called back for every value.
  if (alreadyCanonical(value, 0)) return JSON.stringify(value) ?? portable(value);
  try {
    return JSON.stringify(value, sortedKeys) ?? portable(value);
  } catch (err) {
    if (err === INDEX_KEY_FOUND) return portable(value);
    throw err;
  }
}

const INDEX_KEY_FOUND = new Error('canonicalJson: array-index-like key');
const INDEX_KEY = /^(?:0|[1-9][0-9]*)$/;

/**
 * Whether plain JSON.stringify already gives the canonical text: plain objects and arrays only
 * (no toJSON, no other prototypes), every object's keys in sorted order and none array-index-like,
 * numbers finite. Anything else, or nesting deeper than the compiled database's, says no and the
 * general path decides.
 */
function alreadyCanonical(v: unknown, depth: number): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (depth > 32) return false;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!alreadyCanonical(v[i], depth + 1)) return false;
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype) return false;
      const o = v as Record<string, unknown>;
      let prev: string | undefined;
      for (const k in o) {
        if ((prev !== undefined && prev >= k) || INDEX_KEY.test(k) || k === 'toJSON' || k === '__proto__') return false;
        if (!alreadyCanonical(o[k], depth + 1)) return false;
        prev = k;
      }
      return true;
    }
    default:
      return false;
  }
}

function sortedKeys(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('canonicalJson: non-finite number');
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (INDEX_KEY.test(k) && Number(k) < 4294967295) throw INDEX_KEY_FOUND;
    if (i > 0 && (keys[i - 1] as string) > k) sorted = false;
  }
  if (sorted) return v;
  const o = v as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const k of keys.sort()) {
    // Assigning a "__proto__" key (JSON.parse makes it an own property) would set the prototype
    // and the member would vanish. A prototype-less copy would avoid that too, but V8 keeps such
    // objects in dictionary mode, which made the compiled db's serialisation 1.7 times slower.
    if (k === '__proto__') Object.defineProperty(copy, k, { value: o[k], enumerable: true, writable: true, configurable: true });
    else copy[k] = o[k];
  }
  return copy;
}

function portable(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new Error('canonicalJson: non-finite number');
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : portable(x))).join(',')}]`;
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(o).sort()) if (o[k] !== undefined) parts.push(`${JSON.stringify(k)}:${portable(o[k])}`);
      return `{${parts.join(',')}}`;
    }
    default:
      throw new Error(`canonicalJson: cannot encode ${typeof v}`);
  }
}
