// Canonical JSON: object keys sorted by UTF-16 code units, no insignificant whitespace, undefined
// members dropped. The compiled database is written in this form, so the same content always has
// the same bytes and a hash over them identifies it.

export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(v: unknown, out: string[]): void {
  if (v === null) {
    out.push('null');
    return;
  }
  switch (typeof v) {
    case 'string':
      out.push(JSON.stringify(v));
      return;
    case 'number':
      if (!Number.isFinite(v)) throw new Error('canonicalJson: non-finite number');
      out.push(JSON.stringify(v));
      return;
    case 'boolean':
      out.push(v ? 'true' : 'false');
      return;
    case 'object': {
      if (Array.isArray(v)) {
        out.push('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out.push(',');
          write(v[i] === undefined ? null : v[i], out);
        }
        out.push(']');
        return;
      }
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o)
        .filter((k) => o[k] !== undefined)
        .sort();
      out.push('{');
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out.push(',');
        const k = keys[i] as string;
        out.push(JSON.stringify(k), ':');
        write(o[k], out);
      }
      out.push('}');
      return;
    }
    default:
      throw new Error(`canonicalJson: cannot encode ${typeof v}`);
  }
}
