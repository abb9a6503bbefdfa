/**
 * Appends every element of `from` to `to`. `to.push(...from)` passes each element as an argument,
 * and an argument list lives on the stack: a list of 200,000 items in a file overflowed it.
 */
export function append<T>(to: T[], from: readonly T[]): void {
  for (let i = 0; i < from.length; i++) to.push(from[i]!);
}
