import type { CompiledDb, CompiledService } from './compiled-db.js';

// The dependency graph of a compiled database as Graphviz DOT or a Mermaid flowchart, for docs and
// reviews. Pure and deterministic: nodes and edges are emitted in name order, so the same database
// always renders to the same text and a diff of two renderings shows only real changes.
//
// Edges point from a service to what it needs (app -> db), the way depends_on reads. Pipelines are
// drawn as dotted edges from producer to consumer; bundles as dashed edges to their contents.

export type GraphFormat = 'dot' | 'mermaid';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['dot', 'mermaid'];

interface Edge {
  from: string;
  to: string;
  kind: 'depends' | 'pipe' | 'contains';
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function edgesOf(db: CompiledDb): Edge[] {
  const edges: Edge[] = [];
  for (const name of Object.keys(db.services).sort(byName)) {
    const s = db.services[name] as CompiledService;
    // A producer depends on its consumer; that edge is drawn once, as the pipe.
    const consumer = s.type === 'longrun' ? s.producer_for : undefined;
    for (const d of [...s.dependencies].sort(byName)) if (d !== consumer) edges.push({ from: name, to: d, kind: 'depends' });
    if (s.type === 'longrun' && s.producer_for !== undefined) edges.push({ from: name, to: s.producer_for, kind: 'pipe' });
  }
  for (const name of Object.keys(db.bundles).sort(byName)) {
    for (const c of [...(db.bundles[name]?.contents ?? [])].sort(byName)) edges.push({ from: name, to: c, kind: 'contains' });
  }
  return edges;
}

export function renderGraph(db: CompiledDb, format: GraphFormat): string {
  return format === 'dot' ? renderDot(db) : renderMermaid(db);
}

export function renderDot(db: CompiledDb): string {
  const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
  const lines = ['digraph rcform {', '  rankdir=LR;', '  node [fontname="Helvetica", fontsize=11];', ''];
  for (const name of Object.keys(db.services).sort(byName)) {
    const s = db.services[name] as CompiledService;
    const attrs = [`label=${q(`${name}\n${s.type}`)}`, `shape=${s.type === 'longrun' ? 'box' : 'ellipse'}`];
    const style = [s.type === 'longrun' ? 'rounded' : '', s.type === 'longrun' && s.down ? 'dashed' : '', s.essential ? 'bold' : ''].filter(Boolean);
    if (style.length) attrs.push(`style=${q(style.join(','))}`);
    lines.push(`  ${q(name)} [${attrs.join(', ')}];`);
  }
  for (const name of Object.keys(db.bundles).sort(byName)) {
    const b = db.bundles[name];
    const style = ['dashed', b?.essential ? 'bold' : ''].filter(Boolean).join(',');
    lines.push(`  ${q(name)} [label=${q(`${name}\nbundle`)}, shape=folder, style=${q(style)}];`);
  }
  const edges = edgesOf(db);
  if (edges.length) lines.push('');
  for (const e of edges) {
    const attrs = e.kind === 'pipe' ? ' [style=dotted, label="pipe"]' : e.kind === 'contains' ? ' [style=dashed, arrowhead=odiamond]' : '';
    lines.push(`  ${q(e.from)} -> ${q(e.to)}${attrs};`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

export function renderMermaid(db: CompiledDb): string {
  // Mermaid node ids must be plain words, and service names may hold '@', '.' or '-': number the
  // nodes in name order and show the real name as the label.
  const services = Object.keys(db.services).sort(byName);
  const bundles = Object.keys(db.bundles).sort(byName);
  const ids = new Map<string, string>();
  [...services, ...bundles].forEach((n, i) => ids.set(n, `n${i}`));
  const label = (s: string): string => `"${s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')}"`;
  const lines = ['flowchart LR'];
  for (const name of services) {
    const s = db.services[name] as CompiledService;
    const id = ids.get(name) as string;
    lines.push(s.type === 'longrun' ? `  ${id}(${label(name)})` : `  ${id}([${label(name)}])`);
  }
  for (const name of bundles) lines.push(`  ${ids.get(name)}[/${label(name)}/]`);
  for (const e of edgesOf(db)) {
    const arrow = e.kind === 'pipe' ? '-. pipe .->' : e.kind === 'contains' ? '-.->' : '-->';
    lines.push(`  ${ids.get(e.from) ?? e.from} ${arrow} ${ids.get(e.to) ?? e.to}`);
  }
  const classes: [string, string, (s: CompiledService) => boolean][] = [
    ['oneshot', 'fill:#eef,stroke:#669', (s) => s.type === 'oneshot'],
    ['down', 'stroke-dasharray: 5 5', (s) => s.type === 'longrun' && s.down],
    ['essential', 'stroke-width:3px', (s) => s.essential],
  ];
  for (const [cls, style, test] of classes) {
    const members = services.filter((n) => test(db.services[n] as CompiledService)).map((n) => ids.get(n) as string);
    if (members.length) lines.push(`  classDef ${cls} ${style}`, `  class ${members.join(',')} ${cls}`);
  }
  return lines.join('\n') + '\n';
}
