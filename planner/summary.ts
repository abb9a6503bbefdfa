import type { ChangeAction, PlanSummary, ResourceChange } from './plan-types.js';

// Every change is counted once, under its most consequential action, so that the closing line of a
// plan adds up to the number of changes listed above it.
export function summaryCategory(actions: readonly ChangeAction[]): keyof PlanSummary | null {
  const has = (a: ChangeAction) => actions.includes(a);
  // A type change is a replacement: the same name stops, goes and comes back, as a restart does.
  if (has('remove') && has('install')) return 'restart';
  if (has('remove')) return 'remove';
  if (has('install')) return 'install';
  if (has('restart')) return 'restart';
  if (has('stop')) return 'stop';
  if (has('reload')) return 'reload';
  if (has('start')) return 'start';
  if (has('update')) return 'update';
  if (has('rename')) return 'rename';
  return null;
}

export function summarize(changes: readonly ResourceChange[]): PlanSummary {
  const s: PlanSummary = { install: 0, start: 0, restart: 0, reload: 0, update: 0, rename: 0, stop: 0, remove: 0 };
  for (const c of changes) {
    const k = summaryCategory(c.actions);
    if (k) s[k]++;
  }
  return s;
}

export function totalChanges(s: PlanSummary): number {
  return s.install + s.start + s.restart + s.reload + s.update + s.rename + s.stop + s.remove;
}

/** "Plan: N to install, N to restart, N to reload, N to update, N to stop, N to remove." Starts and
 *  renames, which Terraform has no word for, are named only when there are some. */
export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.install} to install`];
  if (s.start) parts.push(`${s.start} to start`);
  parts.push(`${s.restart} to restart`, `${s.reload} to reload`, `${s.update} to update`);
  if (s.rename) parts.push(`${s.rename} to rename`);
  parts.push(`${s.stop} to stop`, `${s.remove} to remove`);
  return `Plan: ${parts.join(', ')}.`;
}
