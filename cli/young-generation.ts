import v8 from 'node:v8';

// Most of what a plan allocates is data parsed from JSON (the compiled database, the state) that
// lives until the process ends. V8 meets such an allocation rate by doubling its young generation
// up to two 16-MB semi-spaces, and every page of those is fresh memory, which is slow to touch
// (docs/benchmarks.md, "The machine"); the data is copied out of them anyway. Held at 2 MB (one
// step from its initial 1 MB) the young generation reuses the same pages, and a large plan takes
// less CPU time and memory (docs/benchmarks.md). Of the heap flags, only the growth factor is
// read after start-up (the semi-space limits are fixed when the heap is made).

const FLAG = 'semi-space-growth-factor';
const DEFAULT_FACTOR = 2;

/**
 * Stops the young generation from growing until the returned function is called, which restores
 * V8's default. Does nothing when the operator chose the flag (NODE_OPTIONS or node's arguments).
 */
export function holdYoungGeneration(): () => void {
  const chosen = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => a.includes(FLAG) || a.includes(FLAG.replaceAll('-', '_')));
  if (chosen) return () => {};
  v8.setFlagsFromString(`--${FLAG}=1`);
  return () => v8.setFlagsFromString(`--${FLAG}=${DEFAULT_FACTOR}`);
}
