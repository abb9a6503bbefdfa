import type { CompiledService } from '../../lang/compile/compiled-db.js';
import type { Plan, ResourceChange } from '../../planner/plan-types.js';
import { SENSITIVE } from './service-attributes.js';

// `rcform plan --json` / `rcform show PLANFILE --json`: the plan as schemas/plan.schema.json
// describes it. Values at a definition's sensitive_paths are replaced by "(sensitive value)" and
// listed in before_sensitive / after_sensitive, so the output can go to a CI log or a PR.

export function redactDefinition(svc: CompiledService | null): CompiledService | null {
  if (!svc || svc.sensitive_paths.length === 0) return svc;
  const copy = structuredClone(svc) as unknown as Record<string, unknown>;
  for (const path of svc.sensitive_paths) {
    const parts = path.split('.');
    // Map keys may contain dots (data file names): walk the first segment, then try the rest whole.
    const head = parts[0] as string;
    const rest = parts.slice(1).join('.');
    if (!(head in copy)) continue;
    if (rest === '') copy[head] = SENSITIVE;
    else {
      const inner = copy[head];
      if (inner && typeof inner === 'object' && rest in (inner as Record<string, unknown>)) (inner as Record<string, unknown>)[rest] = SENSITIVE;
      else copy[head] = SENSITIVE;
    }
  }
  return copy as unknown as CompiledService;
}

export function redactChange(c: ResourceChange): ResourceChange {
  const out: ResourceChange = { ...c, before: redactDefinition(c.before), after: redactDefinition(c.after) };
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
