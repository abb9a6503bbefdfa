import { diffArrays, structuredPatch } from 'diff';
import type { ChangeAction, Plan, ResourceChange } from '../../planner/plan-types.js';
import { summaryLine } from '../../planner/summary.js';
import { DEFAULTS as COMPILE_DEFAULTS } from '../../lang/compile/compile.js';
import { SENSITIVE, attributePathOf, attributesOf, type Attribute } from './service-attributes.js';
import { append } from '../../lang/append.js';

// The human plan, in Terraform's conventions: drift first, then one block per change opened by a
// `# ADDRESS will be ... because ...` line, changed attributes with unified diffs, and the closing
// "Plan: ..." line. Colour only when asked (io.color); sensitive values never print.

export const SYMBOLS = {
  install: '+',
  remove: '-',
  update: '~',
  restart: '-/+',
  reload: '↻',
} as const;

export interface HumanOptions {
  color: boolean;
  /** plan -refresh-only: the drift is the whole answer, and the source was not looked at. */
  refreshOnly?: boolean;
}

export type Paint = (code: string, s: string) => string;

const ANSI: Record<string, string> = { green: '32', red: '31', yellow: '33', cyan: '36', bold: '1', dim: '2' };

export function painter(color: boolean): Paint {
  return color ? (c, s) => `\u001b[${ANSI[c]}m${s}\u001b[0m` : (_c, s) => s;
}

export function symbolOf(actions: readonly ChangeAction[]): string {
  if (actions.includes('restart') || (actions.includes('remove') && actions.includes('install'))) return SYMBOLS.restart;
  if (actions.includes('install')) return SYMBOLS.install;
  if (actions.includes('remove')) return SYMBOLS.remove;
  if (actions.includes('reload')) return SYMBOLS.reload;
  return SYMBOLS.update;
}

function symbolColor(sym: string): string {
  return sym === '+' ? 'green' : sym === '-' ? 'red' : sym === SYMBOLS.reload ? 'cyan' : 'yellow';
}

/** "will be installed and started", "has moved to longrun.edge", ... */
export function verbPhrase(c: ResourceChange): string {
  const a = c.actions;
  const has = (x: ChangeAction) => a.includes(x);
  if (has('remove') && has('install')) return has('start') ? 'will be replaced and started' : 'will be replaced';
  if (has('install')) return has('start') ? 'will be installed and started' : 'will be installed and left down';
  if (has('remove')) return has('stop') ? 'will be stopped and removed' : 'will be removed';
  if (has('restart')) return 'will be restarted';
  if (has('reload')) return 'will be reloaded';
  const parts: string[] = [];
  if (has('update')) parts.push('updated in place');
  if (has('stop')) parts.push('stopped');
  if (has('start')) parts.push('started');
  if (parts.length === 0) return 'will be renamed';
  return `will be ${parts.join(' and ')}`;
}

export function headline(c: ResourceChange): string {
  const moved = c.previous_address ? ` (moved from ${c.previous_address})` : '';
  if (c.previous_address && c.actions.length === 1 && c.actions[0] === 'rename') {
    return `# ${c.previous_address} has moved to ${c.address} because ${c.reason}`;
  }
  return `# ${c.address}${moved} ${verbPhrase(c)} because ${c.reason}`;
}

export function renderHuman(plan: Plan, opts: HumanOptions): string {
  const p = painter(opts.color);
  const out: string[] = [];
  if (opts.refreshOnly) return renderRefreshOnly(plan, p);

  if (plan.drift.length > 0) {
    out.push(p('bold', 'Note: the engine reports services that differ from the live state'), '');
    out.push('rcform refreshed the state from the engine and found:', '');
    for (const d of plan.drift) out.push(`  # ${d.address}: ${d.detail}`);
    out.push('', plan.resource_changes.length > 0 ? 'The plan below corrects this.' : 'No service needs to change for it; apply records this in the state.', '');
  }

  if (plan.holds && plan.holds.length > 0) {
    out.push(p('bold', 'Operator holds: these services are kept as an operator set them, not as the source says'), '');
    for (const h of plan.holds) out.push(`  # ${h.address}: held ${h.held} by "rcform ${h.held} ${h.requested}" since ${h.since}; the source says ${h.source}`);
    out.push('', 'The plan leaves them so. "rcform release ADDRESS" (or --all) ends a hold; the next plan then follows the source.', '');
  }

  const changes = plan.resource_changes;
  if (changes.length === 0) {
    out.push(p('bold', 'No changes.') + (plan.holds?.length ? ' The live services match the configuration, but for the holds above.' : ' The live services match the configuration.'));
    return out.join('\n') + '\n';
  }

  const used = new Set(changes.map((c) => symbolOf(c.actions)));
  out.push('Service actions are indicated with the following symbols:');
  const legend: Array<[string, string]> = [
    [SYMBOLS.install, 'install'],
    [SYMBOLS.update, 'update in place, start or stop'],
    [SYMBOLS.reload, 'reload (the process keeps running)'],
    [SYMBOLS.restart, 'restart (stop, then start again)'],
    [SYMBOLS.remove, 'remove'],
  ];
  for (const [sym, text] of legend) if (used.has(sym)) out.push(`  ${p(symbolColor(sym), sym.padStart(3))} ${text}`);
  out.push('', 'rcform will perform the following actions:', '');

  for (const c of changes) {
    out.push(`  ${p('bold', headline(c))}`);
    const sym = symbolOf(c.actions);
    const header = `${c.type} ${JSON.stringify(c.name)} {`;
    out.push(`${p(symbolColor(sym), sym.padStart(3))} ${header}`);
    append(out, renderBody(c, p));
    out.push('    }', '');
  }

  out.push(p('bold', summaryLine(plan.summary)));
  return out.join('\n') + '\n';
}

function renderRefreshOnly(plan: Plan, p: Paint): string {
  if (plan.drift.length === 0) {
    return `${p('bold', 'No changes.')} The engine reports every service as the live state records it.\n`;
  }
  const out = [p('bold', 'Note: the engine reports services that differ from the live state'), '', 'rcform refreshed the state from the engine and found:', ''];
  for (const d of plan.drift) out.push(`  # ${d.address}: ${d.detail}`);
  out.push('', `${plan.drift.length} service${plan.drift.length === 1 ? '' : 's'} drifted. This refresh-only plan changes nothing; "rcform plan" shows what would correct it.`);
  return out.join('\n') + '\n';
}

const IND = '      ';

export function renderBody(c: ResourceChange, p: Paint): string[] {
  const out: string[] = [];
  const before = c.before ? attributesOf(c.before) : new Map<string, Attribute>();
  const after = c.after ? attributesOf(c.after) : new Map<string, Attribute>();
  if (c.previous_name) out.push(`${IND}${p('yellow', '~')} name = ${JSON.stringify(c.previous_name)} -> ${JSON.stringify(c.name)}`);

  // A whole service shows what was written, not the compiler's defaults for what was not.
  if (c.actions.includes('install') && !c.actions.includes('remove')) {
    for (const a of after.values()) if (!isDefault(a)) append(out, renderWhole('+', a, p));
    return out;
  }
  if (c.actions.includes('remove') && !c.actions.includes('install')) {
    for (const a of before.values()) if (!isDefault(a)) append(out, renderWhole('-', a, p));
    return out;
  }
  if (c.actions.includes('remove') && c.actions.includes('install')) {
    out.push(`${IND}${p('yellow', '~')} type = ${JSON.stringify(c.before?.type)} -> ${JSON.stringify(c.after?.type)} ${p('dim', '# forces replacement')}`);
    return out;
  }

  if (c.changed_paths.length === 0 && !c.previous_name && (c.actions.includes('restart') || c.actions.includes('start') || c.actions.includes('stop'))) {
    out.push(`${IND}  ${p('dim', '# (definition unchanged)')}`);
  }
  const paths = [...new Set(c.changed_paths.map((cp) => attributePathOf(cp, after.has(cp) ? after : before)))];
  const restartAttrs = new Set(c.restart_paths.map((cp) => attributePathOf(cp, after.has(cp) ? after : before)));
  for (const path of paths) {
    const b = before.get(path);
    const a = after.get(path);
    // A restart caused by a dependency is forced by no path of its own (its changes alone would
    // have been an update or a reload), so none is marked.
    const note = restartAttrs.has(path) && c.actions.includes('restart') && !c.caused_by ? ` ${p('dim', '# forces restart')}` : '';
    if (b && !a) append(out, renderWhole('-', b, p));
    else if (!b && a) append(out, renderWhole('+', a, p));
    else if (a && b) append(out, renderChanged(b, a, p, note));
  }
  if (c.action_reason === 'not_ready') {
    // Running, so "up" -> "up" would hide what the start step changes.
    out.push(`${IND}${p('yellow', '~')} state = "starting" -> "ready"`);
  } else if (c.actions.includes('start') || c.actions.includes('stop')) {
    out.push(`${IND}${p('yellow', '~')} state = ${JSON.stringify(c.before_state)} -> ${JSON.stringify(c.after_state)}`);
  }
  return out;
}

// The compiler's values for attributes the source leaves out (lang/compile/compile.ts), so a whole
// service shows what was written — a `timeout_up` or `max_death_tally` that was set shows.
const DEFAULTS: Record<string, string> = {
  dependencies: '[]',
  consumer_for: '[]',
  down: 'false',
  essential: 'false',
  down_signal: JSON.stringify(COMPILE_DEFAULTS.down_signal),
  max_death_tally: String(COMPILE_DEFAULTS.max_death_tally),
  'lifecycle.on_change': JSON.stringify(COMPILE_DEFAULTS.on_change),
  'timeouts.up_ms': String(COMPILE_DEFAULTS.timeout_ms),
  'timeouts.down_ms': String(COMPILE_DEFAULTS.timeout_ms),
  'timeouts.kill_ms': String(COMPILE_DEFAULTS.timeout_ms),
  'timeouts.finish_ms': String(COMPILE_DEFAULTS.timeout_finish_ms),
};

function isDefault(a: Attribute): boolean {
  return a.kind === 'scalar' && !a.sensitive && DEFAULTS[a.path] === a.value;
}

function valueText(a: Attribute): string {
  if (a.sensitive) return SENSITIVE;
  if (a.kind === 'scalar') return a.value as string;
  if (a.kind === 'list') return `[${(a.value as string[]).join(', ')}]`;
  return '';
}

function renderWhole(sign: '+' | '-', a: Attribute, p: Paint): string[] {
  const color = sign === '+' ? 'green' : 'red';
  if (a.sensitive || a.kind !== 'text') return [`${IND}${p(color, sign)} ${a.label} = ${valueText(a)}`];
  const lines = a.value as string[];
  return [`${IND}${p(color, sign)} ${a.label} = <<EOT`, ...lines.map((l) => `${IND}    ${p(color, sign)} ${l}`.trimEnd()), `${IND}  EOT`];
}

function renderChanged(b: Attribute, a: Attribute, p: Paint, note: string): string[] {
  const sym = p('yellow', '~');
  if (a.sensitive || b.sensitive) return [`${IND}${sym} ${a.label} = ${SENSITIVE}${note}`];
  if (a.kind === 'scalar' && b.kind === 'scalar') return [`${IND}${sym} ${a.label} = ${b.value} -> ${a.value}${note}`];
  if (a.kind === 'list' && b.kind === 'list') {
    const out = [`${IND}${sym} ${a.label} = [${note}`];
    for (const part of diffArrays(b.value as string[], a.value as string[])) {
      const sign = part.added ? p('green', '+') : part.removed ? p('red', '-') : ' ';
      for (const v of part.value) out.push(`${IND}    ${sign} ${v},`);
    }
    out.push(`${IND}  ]`);
    return out;
  }
  // Scripts and files (or a command that changed between argv and script): a unified diff.
  const toText = (x: Attribute) => (x.kind === 'list' ? (x.value as string[]).join('\n') : (x.value as string[]).join('\n')) + '\n';
  const patch = structuredPatch('before', 'after', toText(b), toText(a), undefined, undefined, { context: 3 });
  const out = [`${IND}${sym} ${a.label}:${note}`];
  for (const h of patch.hunks) {
    out.push(`${IND}    ${p('cyan', `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`)}`);
    for (const l of h.lines) {
      if (l.startsWith('\\')) continue;
      const sign = l[0] === '+' ? p('green', '+') : l[0] === '-' ? p('red', '-') : ' ';
      out.push(`${IND}    ${sign} ${l.slice(1)}`.trimEnd());
    }
  }
  return out;
}

/** The human plan for a ```diff fence: each line's symbol moved to the first column, so that
 *  GitHub colours additions and removals; `~` becomes `!`, which it shows as a change. */
export function toDiffFence(human: string): string {
  return human
    .split('\n')
    .map((line) => {
      const m = /^(\s*)(-\/\+|[+\-~↻])( .*)?$/.exec(line);
      if (!m) return line;
      const mark = m[2] === '+' ? '+' : m[2] === '-' ? '-' : '!';
      const keep = m[2] === '-/+' || m[2] === SYMBOLS.reload ? m[2] : '';
      return `${mark}${m[1]}${keep}${m[3] ?? ''}`;
    })
    .join('\n');
}
