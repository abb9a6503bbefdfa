// The canonical JSON a state file's checksum is checked against when its bytes are not as rcform
// writes them (state-file.ts): keys sorted at every level as plain objects order them, no
// whitespace. It must not change, or such files' checksums would no longer verify; lang/compile/canonical-json.ts is the general one.

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}
