// A dependency graph over indexes 0..n-1, ordered: the compiler's ranks, reverse dependencies and
// the topological `order` its closures are stored over all come from this one pass.

export interface GraphOrder {
  /** A topological order, dependencies first; by Kahn's algorithm, ties in index order. */
  order: number[];
  /** Where each index stands in `order`. */
  positionOf: Int32Array;
  /** Each index's dependents, in increasing index order. */
  reverse: number[][];
  /** 0 for no dependencies, else one more than the highest rank among them. */
  rank: Int32Array;
}

/** `deps[i]`: the indexes index i depends on. The graph must be acyclic (check.ts sees to it). */
export function graphOrder(deps: readonly (readonly number[])[]): GraphOrder {
  const n = deps.length;
  const waiting = new Int32Array(n);
  const reverse: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (const d of deps[i] as readonly number[]) (reverse[d] as number[]).push(i);
    waiting[i] = (deps[i] as readonly number[]).length;
  }
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (waiting[i] === 0) order.push(i);
  for (let q = 0; q < order.length; q++) {
    for (const r of reverse[order[q] as number] as number[]) if (--waiting[r] === 0) order.push(r);
  }
  if (order.length !== n) throw new Error(`graphOrder: the graph has a cycle (${n - order.length} indexes never ready)`);
  const rank = new Int32Array(n);
  for (const i of order) {
    let r = 0;
    for (const d of deps[i] as readonly number[]) if ((rank[d] as number) + 1 > r) r = (rank[d] as number) + 1;
    rank[i] = r;
  }
  const positionOf = new Int32Array(n);
  order.forEach((i, p) => (positionOf[i] = p));
  return { order, positionOf, reverse, rank };
}
