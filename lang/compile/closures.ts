// Every service's full dependency closure, as the compiled database stores it (`closures`, with
// `order`). A closure is listed in `order`, a topological order of all services, and a run of
// MIN_RUN or more services that are consecutive in `order` is written as the pair [first, last].
// Written out name by name, closures are quadratic in size on a long chain (10,000 services in a
// line: 50 million names; docs/benchmarks.md has what that costs); with runs, each
// closure of a chain is one pair, while the closures of wide, shallow trees, where runs are rare,
// stay plain lists of names.
//
// Closures are built in `order`, each from its dependencies' finished ones, as sorted lists of
// position intervals, so the work is proportional to the runs, not to the names they stand for.

/** One member of a stored closure: a service, or the run of `order` from the first to the last. */
export type ClosureItem = string | [string, string];

/** Shorter runs are listed name by name, which reads better in small trees. */
export const MIN_RUN = 8;

/** Every position's closure: the intervals of position p are data[at[p]] .. data[at[p+1]-1]. */
export interface ClosureIntervals {
  /** Flattened [start0, end0, start1, end1, ...] per position: sorted, disjoint, non-adjacent, ends inclusive. */
  data: Int32Array;
  /** n + 1 offsets into data. */
  at: Int32Array;
}

/**
 * `depsAt[p]` are the positions (in a topological order) of the direct dependencies of the
 * service at position p, all smaller than p. Returns each position's closure as intervals.
 *
 * All closures live in one typed array: as an array of number arrays per service they would be
 * the largest single allocation of compile, all of it copied by the garbage collector. An interval is packed into one double (start * 2^22 + end, exact for
 * positions below 2^22), so a plain numeric sort of a Float64Array orders them, with no
 * comparator called back from the sort.
 */
export function closureIntervals(depsAt: readonly (readonly number[])[]): ClosureIntervals {
  const n = depsAt.length;
  if (n >= SCALE) throw new Error(`closureIntervals: ${n} services is more than this encoding holds`);
  let data = new Int32Array(Math.max(16, n * 4));
  const at = new Int32Array(n + 1);
  let keys = new Float64Array(64);
  let used = 0;
  for (let p = 0; p < n; p++) {
    at[p] = used;
    let m = 0;
    for (const q of depsAt[p] as readonly number[]) {
      const from = at[q] as number;
      const to = at[q + 1] as number;
      if (m + (to - from) / 2 + 1 > keys.length) {
        const bigger = new Float64Array(Math.max(keys.length * 2, m + (to - from) / 2 + 1));
        bigger.set(keys.subarray(0, m));
        keys = bigger;
      }
      keys[m++] = q * SCALE + q;
      for (let k = from; k < to; k += 2) keys[m++] = (data[k] as number) * SCALE + (data[k + 1] as number);
    }
    const sorted = m > 1 ? keys.subarray(0, m).sort() : keys;
    if (used + 2 * m > data.length) {
      const bigger = new Int32Array(Math.max(data.length * 2, used + 2 * m));
      bigger.set(data.subarray(0, used));
      data = bigger;
    }
    const first = used;
    for (let k = 0; k < m; k++) {
      const key = sorted[k] as number;
      const s = Math.floor(key / SCALE);
      const e = key - s * SCALE;
      if (used > first && s <= (data[used - 1] as number) + 1) {
        if (e > (data[used - 1] as number)) data[used - 1] = e;
      } else {
        data[used++] = s;
        data[used++] = e;
      }
    }
  }
  at[n] = used;
  return { data: data.slice(0, used), at };
}

/** Positions must stay below this for an interval to pack exactly into a double. */
const SCALE = 2 ** 22;

/** Position p's intervals → stored items (names, and [first, last] for long runs). */
export function closureItems(c: ClosureIntervals, p: number, order: readonly string[]): ClosureItem[] {
  const items: ClosureItem[] = [];
  for (let k = c.at[p] as number, to = c.at[p + 1] as number; k < to; k += 2) {
    const s = c.data[k] as number;
    const e = c.data[k + 1] as number;
    if (e - s + 1 >= MIN_RUN) items.push([order[s] as string, order[e] as string]);
    else for (let q = s; q <= e; q++) items.push(order[q] as string);
  }
  return items;
}

/** The services a stored closure stands for, in `order`. */
export function expandClosure(items: readonly ClosureItem[], order: readonly string[], positionOf: ReadonlyMap<string, number>): string[] {
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') out.push(item);
    else for (let p = positionOf.get(item[0]) as number, e = positionOf.get(item[1]) as number; p <= e; p++) out.push(order[p] as string);
  }
  return out;
}

/**
 * `order` and `closures` for services given by name, for databases built other than by the
 * compiler (views over a state's definitions, fixtures). The order is depth-first, dependencies
 * first, roots by name; dependencies naming no service in the map are left out, and a cycle (only
 * possible in a hand-made map) is cut where it closes.
 */
export function closuresByName(services: Readonly<Record<string, { dependencies: readonly string[] }>>): { order: string[]; closures: Record<string, ClosureItem[]> } {
  const names = Object.keys(services).sort();
  const depsOf = (n: string): string[] => [...(services[n] as { dependencies: readonly string[] }).dependencies].filter((d) => Object.hasOwn(services, d)).sort();
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  for (const root of names) {
    if (state.has(root)) continue;
    state.set(root, 1);
    const stack: [string, string[], number][] = [[root, depsOf(root), 0]];
    while (stack.length) {
      const top = stack[stack.length - 1] as [string, string[], number];
      const [n, ds, k] = top;
      if (k < ds.length) {
        top[2] = k + 1;
        const d = ds[k] as string;
        if (!state.has(d)) {
          state.set(d, 1);
          stack.push([d, depsOf(d), 0]);
        }
      } else {
        state.set(n, 2);
        order.push(n);
        stack.pop();
      }
    }
  }
  const positionOf = new Map(order.map((n, p) => [n, p]));
  // A dependency not yet placed closes a cycle: left out, so every position refers back.
  const depsAt = order.map((n, p) => depsOf(n).map((d) => positionOf.get(d) as number).filter((q) => q < p));
  const intervals = closureIntervals(depsAt);
  const closures: Record<string, ClosureItem[]> = {};
  for (const n of names) closures[n] = closureItems(intervals, positionOf.get(n) as number, order);
  return { order, closures };
}
