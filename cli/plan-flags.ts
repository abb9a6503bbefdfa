import type { FlagSpec } from './args.js';
import { CliError, flagBool, type CommandContext } from './command.js';
import type { Plan } from '../planner/plan-types.js';
import { renderHuman } from './views/plan-human.js';
import { renderJson } from './views/plan-json.js';
import { renderMarkdown } from './views/plan-markdown.js';

// The output flags shared by `plan` and `show PLANFILE`: one plan, three views.

export const VIEW_FLAGS: FlagSpec[] = [
  { name: 'json', type: 'boolean', description: 'Print the plan as JSON (schemas/plan.schema.json)' },
  { name: 'markdown', type: 'boolean', description: 'Print the plan as a pull-request comment in Markdown' },
];

export function renderPlan(ctx: CommandContext, plan: Plan, opts: { refreshOnly?: boolean } = {}): string {
  const json = flagBool(ctx, 'json');
  const md = flagBool(ctx, 'markdown');
  if (json && md) throw new CliError('--json and --markdown cannot be used together');
  if (json) return renderJson(plan);
  if (md) return renderMarkdown(plan, opts.refreshOnly ? { refreshOnly: true } : {});
  return renderHuman(plan, { color: ctx.io.color, ...(opts.refreshOnly ? { refreshOnly: true } : {}) });
}
