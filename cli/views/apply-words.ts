import type { PlanStep, StepAction } from '../../planner/plan-types.js';

// What a person reads of a step: the service's address and a verb, never the step's internal id
// (`oneshot_up:unlock`) or action name. Every human view of apply (live, plain, the summary)
// names steps through here; the JSON events keep the plan's own fields.

const VERBS: Record<StepAction, string> = {
  install: 'install',
  update: 'update',
  rename: 'rename',
  start: 'start',
  reload: 'reload',
  stop: 'stop',
  uninstall: 'remove',
  oneshot_up: 'up',
  oneshot_down: 'down',
};

export function stepVerb(step: Pick<PlanStep, 'action'>): string {
  return VERBS[step.action];
}

/** `longrun.db: start`, `oneshot.unlock: up`. */
export function stepLabel(step: Pick<PlanStep, 'action' | 'address'>): string {
  return `${step.address}: ${stepVerb(step)}`;
}

/** The services a list of steps acts on, each once, in order: a person counts services, not steps. */
export function servicesOf(steps: readonly Pick<PlanStep, 'service'>[]): string[] {
  return [...new Set(steps.map((s) => s.service))];
}
