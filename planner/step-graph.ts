import type { PlanEdge, PlanStep, StepAction } from './plan-types.js';

// The steps of a plan form a DAG. Edges only ever go from an earlier phase to a later one, or
// between steps of the same kind (stops among stops, dependents first; starts among starts,
// dependencies first), so a cycle is impossible as long as each dependency graph is acyclic — which
// the compiler guarantees for the new one and the previous apply guaranteed for the old one.

const PHASE: Record<StepAction, number> = {
  stop: 0,
  oneshot_down: 0,
  uninstall: 1,
  rename: 2,
  install: 3,
  update: 4,
  reload: 5,
  start: 6,
  oneshot_up: 6,
};

export class StepGraph {
  private readonly steps = new Map<string, PlanStep>();
  private readonly edgeKeys = new Set<string>();
  readonly edges: PlanEdge[] = [];

  add(step: PlanStep): string {
    if (!this.steps.has(step.id)) this.steps.set(step.id, step);
    return step.id;
  }

  has(id: string): boolean {
    return this.steps.has(id);
  }

  edge(from: string, to: string): void {
    const key = `${from}\u0000${to}`;
    if (from === to || this.edgeKeys.has(key)) return;
    this.edgeKeys.add(key);
    this.edges.push({ from, to });
  }

  /** Steps in a topological order: phase by phase, and within a phase in dependency order, ties by address. */
  ordered(): { steps: PlanStep[]; edges: PlanEdge[] } {
    const indeg = new Map<string, number>();
    const succ = new Map<string, string[]>();
    for (const id of this.steps.keys()) indeg.set(id, 0);
    for (const e of this.edges) {
      indeg.set(e.to, (indeg.get(e.to) ?? 0) + 1);
      let s = succ.get(e.from);
      if (!s) succ.set(e.from, (s = []));
      s.push(e.to);
    }
    const byPhase: PlanStep[][] = [];
    for (const s of this.steps.values()) (byPhase[PHASE[s.action]] ??= []).push(s);
    const out: PlanStep[] = [];
    for (const bucket of byPhase) {
      if (!bucket) continue;
      bucket.sort((a, b) => cmp(a.address, b.address) || cmp(a.id, b.id));
      const inBucket = new Set(bucket.map((s) => s.id));
      const queue = bucket.filter((s) => indeg.get(s.id) === 0);
      let emitted = 0;
      for (let i = 0; i < queue.length; i++) {
        const s = queue[i] as PlanStep;
        out.push(s);
        emitted++;
        for (const t of succ.get(s.id) ?? []) {
          const d = (indeg.get(t) as number) - 1;
          indeg.set(t, d);
          if (d === 0 && inBucket.has(t)) queue.push(this.steps.get(t) as PlanStep);
        }
      }
      if (emitted !== bucket.length) {
        const stuck = bucket.filter((s) => (indeg.get(s.id) as number) > 0).map((s) => s.id);
        throw new Error(`dependency cycle among steps: ${stuck.slice(0, 5).join(', ')}`);
      }
    }
    const pos = new Map(out.map((s, i) => [s.id, i]));
    const edges = [...this.edges].sort((a, b) => (pos.get(a.from) as number) - (pos.get(b.from) as number) || (pos.get(a.to) as number) - (pos.get(b.to) as number));
    return { steps: out, edges };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
