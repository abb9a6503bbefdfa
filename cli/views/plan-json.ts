import type { Plan, ResourceChange } from '../../planner/plan-types.js';
import { redactDefinition, redactPaths } from '../../lang/redact.js';

// `rcform plan --json` / `rcform show PLANFILE --json`: the plan as schemas/plan.schema.json
// describes it. Values at a definition's sensitive_paths are replaced by "(sensitive value)" and
// listed in before_sensitive / after_sensitive, so the output can go to a CI log or a PR.

export function redactChange(c: ResourceChange): ResourceChange {
  const out: ResourceChange = { ...c, before: redactDefinition(c.before), after: redactDefinition(c.after) };
  const hidden = [...(c.before?.sensitive_paths ?? []), ...(c.after?.sensitive_paths ?? [])];
  if (hidden.length > 0) {
    out.changed_paths = redactPaths(c.changed_paths, hidden);
    out.restart_paths = redactPaths(c.restart_paths, hidden);
  }
  if (c.before?.sensitive_paths.length) out.before_sensitive = [...c.before.sensitive_paths];
  if (c.after?.sensitive_paths.length) out.after_sensitive = [...c.after.sensitive_paths];
  return out;
}

export function planForJson(plan: Plan): Plan {
  return { ...plan, resource_changes: plan.resource_changes.map(redactChange) };
}

export function renderJson(plan: Plan): string {
  return JSON.stringify(planForJson(plan), null, 2) + '\n';
}
