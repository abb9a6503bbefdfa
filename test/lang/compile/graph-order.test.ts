import { expect, test } from '@jest/globals';
import { graphOrder } from '../../../lang/compile/graph-order.js';

test('orders dependencies first, ranks by the longest path, lists dependents in index order', () => {
  // 0 ← 2 ← 3, 1 ← 3, 4 alone
  const g = graphOrder([[], [], [0], [2, 1], []]);
  expect(g.order).toEqual([0, 1, 4, 2, 3]);
  expect([...g.positionOf]).toEqual([0, 1, 3, 4, 2]);
  expect(g.reverse).toEqual([[2], [3], [3], [], []]);
  expect([...g.rank]).toEqual([0, 0, 1, 2, 0]);
});

test('every index comes after all of its dependencies', () => {
  const n = 500;
  let seed = 7;
  const rand = (k: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % k);
  const deps = Array.from({ length: n }, (_, i) => (i === 0 ? [] : Array.from({ length: 1 + rand(3) }, () => rand(i))));
  const g = graphOrder(deps);
  expect(new Set(g.order).size).toBe(n);
  deps.forEach((ds, i) => ds.forEach((d) => expect(g.positionOf[d]).toBeLessThan(g.positionOf[i] as number)));
});

test('a cycle is refused, not ordered partly', () => {
  expect(() => graphOrder([[1], [0], []])).toThrow(/cycle \(2 indexes never ready\)/);
});
