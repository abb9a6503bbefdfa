// Every service's full dependency closure, as the compiled database stores it (`closures`, with
// `order`). A closure is listed in `order`, a topological order of all services, and a run of
// MIN_RUN or more services that are consecutive in `order` is written as the pair [first, last].
// Written out name by name, closures are quadratic in size on a long chain (10,000 services in a
// line: 50 million names, a 394 MB file that took 48 s and 2.9 GB to compile); with runs, each
// closure of a chain is one pair, while the closures of wide, shallow trees, where runs are rare,
// stay plain lists of names.
//
// Closures are built in `order`, each from its dependencies' finished ones, as sorted lists of
// position intervals, so the work is proportional to the runs, not to the names they stand for.

/** One member of a stored closure: a service, or the run of `order` from the first to the last. */
export type ClosureItem = string | [string, string];

/** Shorter runs are listed name by name, which reads better in small trees. */
export const MIN_RUN = 8;

/**
 * `depsAt[p]` are the positions (in a topological order) of the direct dependencies of the
 * service at position p, all smaller than p. Returns each position's closure as sorted, disjoint,
 * non-adjacent intervals, flattened: [start0, end0, start1, end1, ...], ends inclusive.
 */
export function closureIntervals(depsAt: readonly (readonly number[])[]): number[][] {
  const out = new Array<number[]>(depsAt.length);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let p = 0; p < depsAt.length; p++) {
    starts.length = 0;
    ends.length = 0;
    for (const q of depsAt[p] as readonly number[]) {
      starts.push(q);
      ends.push(q);
      const c = out[q] as number[];
      for (let k = 0; k < c.length; k += 2) {
        starts.push(c[k] as number);
        ends.push(c[k + 1] as number);
      }
    }
    const byStart = starts.map((_, k) => k);
    if (byStart.length > 1) byStart.sort((a, b) => (starts[a] as number) - (starts[b] as number));
    const merged: number[] = [];
    for (const k of byStart) {
      const s = starts[k] as number;
      const e = ends[k] as number;
      const last = merged.length - 1;
      if (merged.length > 0 && s <= (merged[last] as number) + 1) {
        if (e > (merged[last] as number)) merged[last] = e;
      } else merged.push(s, e);
    }
    out[p] = merged;
  }
  return out;
}

/** Intervals of positions → stored items (names, and [first, last] for long runs). */
export function closureItems(intervals: readonly number[], order: readonly string[]): ClosureItem[] {
  const items: ClosureItem[] = [];
  for (let k = 0; k < intervals.length; k += 2) {
    const s = intervals[k] as number;
    const e = intervals[k + 1] as number;
    if (e - s + 1 >= MIN_RUN) items.push([order[s] as string, order[e] as string]);
    else for (let p = s; p <= e; p++) items.push(order[p] as string);
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
  for (const n of names) closures[n] = closureItems(intervals[positionOf.get(n) as number] as number[], order);
  return { order, closures };
}
