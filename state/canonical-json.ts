// The canonical JSON of state checksums before state.json had its own layout (state-file.ts): keys
// sorted at every level as plain objects order them, no whitespace. Kept exactly as it was so that
// older files' checksums still verify; lang/compile/canonical-json.ts is the general one.

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
