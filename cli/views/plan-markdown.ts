import type { Plan } from '../../planner/plan-types.js';
import { summaryLine, totalChanges } from '../../planner/summary.js';
import { renderHuman, toDiffFence, verbPhrase } from './plan-human.js';

// `--markdown`: a pull-request comment. A reviewer sees the result first, a warning when anything
// will stop or be removed, a table of counts, and the full human plan folded away in a diff fence.

export function renderMarkdown(plan: Plan, opts: { title?: string; refreshOnly?: boolean } = {}): string {
  const title = opts.title ?? 'rcform plan';
  if (opts.refreshOnly) return renderRefreshOnlyMarkdown(plan, title);
  const total = totalChanges(plan.summary);
  const out: string[] = [];
  if (total === 0) {
    out.push(`### ${title}: no changes`, '', 'The live services match the configuration.');
  } else {
    out.push(`### ${title}: ${total} ${total === 1 ? 'change' : 'changes'}`, '', `**${summaryLine(plan.summary)}**`);
  }
  if (plan.drift.length > 0) {
    out.push('', `:information_source: ${plan.drift.length} ${plan.drift.length === 1 ? 'service differs' : 'services differ'} from the live state (drift); the plan corrects ${plan.drift.length === 1 ? 'it' : 'them'}.`);
  }

  if (plan.holds && plan.holds.length > 0) {
    const n = plan.holds.length;
    out.push('', `:pause_button: ${n} ${n === 1 ? 'service is' : 'services are'} held by an operator (\`rcform up\`/\`rcform down\`) against the source; the plan leaves ${n === 1 ? 'it' : 'them'} so until released.`);
  }

  const disruptive = plan.resource_changes.filter((c) => c.actions.some((a) => a === 'stop' || a === 'remove' || a === 'restart'));
  // Only a plan made with --allow-essential gets here with such a change (otherwise it is an
  // error): the reviewer must see it before anything else, not as one line among the stops.
  const essential = disruptive.filter((c) => c.before?.essential && c.before_state === 'up');
  if (essential.length > 0) {
    out.push('', '> [!CAUTION]', `> This plan stops or restarts ${essential.length === 1 ? 'an essential service' : `${essential.length} essential services`} (planned with --allow-essential):`);
    for (const c of essential) out.push(`> - \`${c.address}\` (essential) ${verbPhrase(c)}`);
  }
  if (disruptive.length > 0) {
    out.push('', '> [!WARNING]', '> This plan stops, restarts or removes running services:');
    const shown = disruptive.slice(0, 20);
    for (const c of shown) out.push(`> - \`${c.address}\`${c.before?.essential && c.before_state === 'up' ? ' (essential)' : ''} ${verbPhrase(c)}`);
    if (disruptive.length > shown.length) out.push(`> - … and ${disruptive.length - shown.length} more`);
  }

  if (total > 0) {
    const s = plan.summary;
    const rows: Array<[string, number]> = [
      ['install', s.install],
      ['start', s.start],
      ['restart', s.restart],
      ['reload', s.reload],
      ['update in place', s.update],
      ['rename', s.rename],
      ['stop', s.stop],
      ['remove', s.remove],
    ];
    out.push('', '| action | services |', '| --- | ---: |');
    for (const [k, n] of rows) if (n > 0) out.push(`| ${k} | ${n} |`);
  }

  const human = renderHuman(plan, { color: false }).trimEnd();
  out.push('', '<details><summary>Show the plan</summary>', '', '```diff', fenceSafe(toDiffFence(human)), '```', '', '</details>');
  return out.join('\n') + '\n';
}

/** A script containing ``` must not close the fence early. */
function fenceSafe(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}

/** plan -refresh-only: the drift, and no claim about the configuration, which was not compared. */
function renderRefreshOnlyMarkdown(plan: Plan, title: string): string {
  const n = plan.drift.length;
  if (n === 0) return `### ${title} -refresh-only: no drift\n\nThe engine reports every service as the live state records it.\n`;
  const out = [`### ${title} -refresh-only: ${n} ${n === 1 ? 'service' : 'services'} drifted`, '', 'The engine reports services that differ from the live state; this plan changes nothing.', ''];
  for (const d of plan.drift) out.push(`- \`${d.address}\`: ${d.detail}`);
  return out.join('\n') + '\n';
}
