// Durations as s6-rc users think of them ("250ms", "5s", "2m"), stored as milliseconds because
// s6's timeout files are in milliseconds. The schemas check the syntax; this converts.

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

export function durationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const m = DURATION_RE.exec(text);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}
