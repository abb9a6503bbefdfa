// A plan that cannot be made as asked (an essential service would stop, a --target names nothing).
// The planner is pure, so it reports these as a value on a thrown error; the CLI prints each line.
export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'PlanError';
  }
}
