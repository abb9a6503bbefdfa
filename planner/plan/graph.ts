// Walks over the dependency graphs the planner reads: the one being applied and the one running.

export function reverseGraph<T>(svcs: Record<string, T>, dependenciesOf: (s: T) => readonly string[]): Map<string, string[]> {
  const rev = new Map<string, string[]>();
  for (const n in svcs) {
    for (const d of dependenciesOf(svcs[n] as T)) {
      let l = rev.get(d);
      if (!l) rev.set(d, (l = []));
      l.push(n);
    }
  }
  return rev;
}

/** Adds `name` and everything it needs, among `svcs`, to `into`. */
export function closureInto(name: string, svcs: Record<string, { dependencies: readonly string[] }>, into: Set<string>): void {
  const stack = [name];
  while (stack.length) {
    const n = stack.pop() as string;
    if (into.has(n)) continue;
    into.add(n);
    for (const d of svcs[n]?.dependencies ?? []) if (d in svcs) stack.push(d);
  }
}

/** Walks from `start` along `next`, stopping at nodes for which `hit` returns true. */
export function walk(start: string, next: (n: string) => readonly string[] | undefined, hit: (n: string) => boolean): void {
  const seen = new Set<string>([start]);
  const stack = [...(next(start) ?? [])];
  while (stack.length) {
    const n = stack.pop() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    if (hit(n)) continue;
    for (const m of next(n) ?? []) if (!seen.has(m)) stack.push(m);
  }
}
