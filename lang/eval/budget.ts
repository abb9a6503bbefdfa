import type { Value } from './value.js';

/**
 * How much one configuration's evaluation may build and do, all of its expressions together: a
 * few nested for expressions (`[for x in range(1024) : [for y in range(1024) : ...]]`) or a chain
 * of locals that each double the last describe values far larger than any machine holds, and a CI
 * job runs validate on anyone's pull request. The limits are orders of magnitude above what a
 * hand-written or generated configuration of tens of thousands of services needs
 * (docs/language.md#limits).
 */
export const EVAL_LIMITS = {
  /** List elements and object attributes created, counted each time a value is built. */
  elements: 2_000_000,
  /** Characters of the strings that templates and functions build. */
  chars: 64 * 1024 * 1024,
  /** Expressions evaluated, and elements or characters that functions read. */
  steps: 20_000_000,
} as const;

export type BudgetKind = keyof typeof EVAL_LIMITS;

export class EvalBudget {
  private readonly left: Record<BudgetKind, number>;
  /** Set when a limit was passed: from then on every evaluation ends at once, quietly. */
  exceeded: BudgetKind | undefined;
  /** Whether the diagnostic for it was given: one per configuration. */
  reported = false;

  constructor(readonly limits: Readonly<Record<BudgetKind, number>> = EVAL_LIMITS) {
    this.left = { ...limits };
  }

  /** Takes `n` of a kind; false (and exceeded set) when that passes its limit. */
  take(kind: BudgetKind, n: number): boolean {
    if (this.exceeded) return false;
    this.left[kind] -= n;
    if (this.left[kind] < 0) {
      this.exceeded = kind;
      return false;
    }
    return true;
  }

  remaining(kind: BudgetKind): number {
    return Math.max(0, this.left[kind]);
  }
}

/** What building `v` costs, by kind: its own elements or characters, not what it shares. */
export function sizeOf(v: Value): { kind: BudgetKind; n: number } | undefined {
  if (v.kind === 'list') return { kind: 'elements', n: v.items.length };
  if (v.kind === 'object') return { kind: 'elements', n: v.attrs.size };
  if (v.kind === 'string') return { kind: 'chars', n: v.value.length };
  return undefined;
}

export interface TreeSize {
  /** List elements and object attributes, counting a shared part once per place it appears. */
  elements: number;
  /** Characters of strings and object keys, counted the same way. */
  chars: number;
}

const PRIMITIVE: TreeSize = { elements: 0, chars: 0 };
const treeSizes = new WeakMap<Value, TreeSize>();

/**
 * The size of a value written out in full, which is what walking it costs (comparing it, encoding
 * it, flattening it, writing it to the compiled database). Values share their parts, so this can
 * be exponential in what building them cost (`a = [local.b, local.b]`, `b = [local.c, local.c]`,
 * ...); it is remembered per value, so finding it costs only the value's own elements.
 */
export function treeSize(v: Value): TreeSize {
  if (v.kind === 'string') return { elements: 0, chars: v.value.length };
  if (v.kind !== 'list' && v.kind !== 'object') return PRIMITIVE;
  const known = treeSizes.get(v);
  if (known) return known;
  let elements = 0;
  let chars = 0;
  // Strings and primitives inline: most elements are, and an object for each is garbage.
  const add = (x: Value): void => {
    if (x.kind === 'string') chars += x.value.length;
    else if (x.kind === 'list' || x.kind === 'object') {
      const t = treeSize(x);
      elements += t.elements;
      chars += t.chars;
    }
  };
  if (v.kind === 'list') {
    elements = v.items.length;
    for (const x of v.items) add(x);
  } else {
    elements = v.attrs.size;
    for (const [k, x] of v.attrs) {
      chars += k.length;
      add(x);
    }
  }
  const size = { elements, chars };
  treeSizes.set(v, size);
  return size;
}

/** What reading a whole value costs in steps: one per element, one per 16 characters. */
export function readCost(v: Value): number {
  const t = treeSize(v);
  return 1 + t.elements + Math.ceil(t.chars / 16);
}

export function describeLimit(kind: BudgetKind, limits: Readonly<Record<BudgetKind, number>>): string {
  const n = limits[kind].toLocaleString('en-US');
  switch (kind) {
    case 'elements':
      return `Evaluating this configuration would build more than ${n} list elements and object attributes, the limit of one configuration.`;
    case 'chars':
      return `Evaluating this configuration would build more than ${n} characters of strings, the limit of one configuration.`;
    case 'steps':
      return `Evaluating this configuration would take more than ${n} steps, the limit of one configuration.`;
  }
}
