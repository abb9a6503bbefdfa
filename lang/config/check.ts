import type { Range } from '../hcl/range.js';
import { errorDiag, type Diagnostic } from '../diagnostic.js';
import { suggest } from '../eval/suggest.js';
import type { ServiceKind } from '../eval/value.js';
import type { Model, RefUse, ServiceDecl } from './model.js';
import { formatAddress, instanceName } from '../address.js';
import { checkServiceDirectories } from './check-service-dir.js';

// Semantic checks over the decoded model: every reference resolves, names are unique, no cycles,
// no up service needing a down one, pipelines agree, moved blocks make sense. Each diagnostic is
// at the range of the offending reference. The result is the resolved graph the compiler uses.

export interface Edge {
  to: string;
  ref: RefUse;
  /** A producer's edge to its consumer (producer_for). */
  pipe?: true;
}

export interface CheckedModel {
  /** Services and bundles that survived the checks, by name. */
  byName: Map<string, ServiceDecl>;
  /** name → names it references (depends_on for services, contents for bundles), in source order;
   *  a producer also references its consumer, and a pipeline bundle its pipeline. */
  edges: Map<string, Edge[]>;
  producerFor: Map<string, string>;
  consumerFor: Map<string, string[]>;
  moved: { from: string; to: string }[];
}

interface BlockEntry {
  type: ServiceKind;
  label: string;
  hasForEach: boolean;
  instances: Map<string, ServiceDecl>;
  single?: ServiceDecl;
}

const ARTICLE: Record<ServiceKind, string> = { longrun: 'a longrun', oneshot: 'a oneshot', bundle: 'a bundle' };

export function checkModel(model: Model): { checked: CheckedModel; diagnostics: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const byName = new Map<string, ServiceDecl>();
  const blocks = new Map<string, BlockEntry>();
  const dupBlocksReported = new Set<Range>();
  const failed = new Set(model.failedBlocks ?? []);

  for (const s of model.services) {
    const prev = byName.get(s.name);
    if (prev) {
      if (!dupBlocksReported.has(s.labelRange)) {
        dupBlocksReported.add(s.labelRange);
        diags.push(errorDiag('Duplicate service name', `"${s.name}" is already the name of ${prev.address} at ${where(prev.labelRange)}. Names are unique across longruns, oneshots and bundles.`, s.labelRange));
      }
      continue;
    }
    byName.set(s.name, s);
    const bkey = formatAddress(s.type, s.label);
    let b = blocks.get(bkey);
    if (!b) {
      b = { type: s.type, label: s.label, hasForEach: s.hasForEach, instances: new Map() };
      blocks.set(bkey, b);
    }
    if (s.key !== undefined) b.instances.set(s.key, s);
    else b.single = s;
  }

  // s6-rc's pipeline-name makes a bundle of the pipeline, which other definitions name in their
  // dependencies and contents: each pipeline_name on a last consumer is a bundle here too, unless
  // its name is taken (checkPipelines reports that).
  const pipelineBundles = new Map<string, ServiceDecl>();
  for (const s of byName.values()) {
    const pn = s.config['pipeline_name'];
    if (typeof pn !== 'string' || s.refs.has('producer_for') || !s.refs.get('consumer_for')?.length) continue;
    if (byName.has(pn) || pipelineBundles.has(pn) || blocks.has(`bundle.${pn}`)) continue;
    const range = s.attrRanges.get('pipeline_name') ?? s.labelRange;
    const decl: ServiceDecl = {
      type: 'bundle',
      label: pn,
      name: pn,
      address: formatAddress('bundle', pn, undefined),
      hasForEach: false,
      labelRange: range,
      headerRange: range,
      config: { description: `The pipeline ending in ${s.address}` },
      attrRanges: new Map(),
      refs: new Map(),
      sensitivePaths: [],
    };
    pipelineBundles.set(pn, s);
    blocks.set(`bundle.${pn}`, { type: 'bundle', label: pn, hasForEach: false, instances: new Map(), single: decl });
  }

  const resolve = (ref: RefUse, allowed: readonly ServiceKind[]): string[] | undefined => {
    let b = blocks.get(formatAddress(ref.type, ref.label));
    // longrun["getty@tty1"]: an instance by its exact s6-rc name.
    const at = ref.label.indexOf('@');
    if (!b && ref.key === undefined && at > 0) {
      const family = blocks.get(`${ref.type}.${ref.label.slice(0, at)}`);
      if (family?.hasForEach) return resolve({ ...ref, label: ref.label.slice(0, at), key: ref.label.slice(at + 1) }, allowed);
    }
    if (!b) {
      // A block whose for_each or name was wrong has its own diagnostic; "undeclared" would be noise.
      if (failed.has(formatAddress(ref.type, ref.label))) return undefined;
      const others = (['longrun', 'oneshot', 'bundle'] as const).filter((t) => t !== ref.type && blocks.has(formatAddress(t, ref.label)));
      let hint = '';
      if (others.length) hint = ` "${ref.label}" is ${ARTICLE[others[0] as ServiceKind]}: did you mean ${others[0]}.${ref.label}?`;
      else {
        const s = suggest(formatAddress(ref.type, ref.label), blocks.keys());
        if (s) hint = ` Did you mean ${s}?`;
      }
      diags.push(errorDiag('Reference to undeclared service', `${ref.address} is not declared.${hint}`, ref.range));
      return undefined;
    }
    // The block's schema already reported a reference of the wrong type (its pattern says which).
    if (!allowed.includes(ref.type)) return undefined;
    if (ref.key === undefined) {
      if (b.hasForEach) return [...b.instances.keys()].sort().map((k) => instanceName(b.label, k));
      return [b.label];
    }
    if (!b.hasForEach) {
      diags.push(errorDiag('Unexpected instance key', `${ref.type}.${ref.label} does not use for_each, so it has no instance "${ref.key}": refer to it as ${ref.type}.${ref.label}.`, ref.range));
      return undefined;
    }
    if (!b.instances.has(ref.key)) {
      const s = suggest(ref.key, b.instances.keys());
      diags.push(errorDiag('Reference to undeclared instance', `${ref.type}.${ref.label} has no instance with the key "${ref.key}".${s ? ` Did you mean ${formatAddress(ref.type, ref.label, s)}?` : ` Its keys are: ${[...b.instances.keys()].sort().join(', ') || '(none)'}.`}`, ref.range));
      return undefined;
    }
    return [instanceName(b.label, ref.key)];
  };

  const edges = new Map<string, Edge[]>();
  const producerFor = new Map<string, string>();
  const consumerFor = new Map<string, string[]>();
  const producerRef = new Map<string, RefUse>();
  const consumerRefs = new Map<string, Map<string, RefUse>>();
  const all: ServiceKind[] = ['longrun', 'oneshot', 'bundle'];
  for (const s of byName.values()) {
    const out: Edge[] = [];
    const attr = s.type === 'bundle' ? 'contents' : 'depends_on';
    for (const ref of s.refs.get(attr) ?? []) {
      for (const to of resolve(ref, all) ?? []) out.push({ to, ref });
    }
    edges.set(s.name, out);
    const p = s.refs.get('producer_for')?.[0];
    if (p) {
      const r = resolve(p, ['longrun']);
      if (r && r.length !== 1) diags.push(errorDiag('Invalid reference', `producer_for takes one longrun, but ${p.address} stands for ${r.length} instances: add an instance key.`, p.range));
      else if (r) {
        producerFor.set(s.name, r[0] as string);
        producerRef.set(s.name, p);
        // As in s6-rc, a producer depends on its consumer: the logger is up before anything writes
        // to it and goes down after, so no line is lost.
        if (!out.some((e) => e.to === r[0])) out.push({ to: r[0] as string, ref: p, pipe: true });
      }
    }
    const cs = s.refs.get('consumer_for');
    if (cs) {
      const names: string[] = [];
      const refsByName = new Map<string, RefUse>();
      for (const c of cs) for (const n of resolve(c, ['longrun']) ?? []) {
        names.push(n);
        refsByName.set(n, c);
      }
      consumerFor.set(s.name, names);
      consumerRefs.set(s.name, refsByName);
    }
  }

  // A pipeline bundle holds the pipeline ending in its consumer: the consumer and, transitively,
  // every producer feeding it.
  for (const [pn, last] of pipelineBundles) {
    const decl = (blocks.get(`bundle.${pn}`) as BlockEntry).single as ServiceDecl;
    const ref: RefUse = { type: 'longrun', label: last.label, range: decl.labelRange, address: last.address };
    if (last.key !== undefined) ref.key = last.key;
    const seen = new Set<string>([last.name]);
    const queue = [last.name];
    while (queue.length > 0) for (const q of consumerFor.get(queue.pop() as string) ?? []) if (!seen.has(q)) (seen.add(q), queue.push(q));
    byName.set(pn, decl);
    edges.set(pn, [...seen].sort().map((to) => ({ to, ref })));
  }

  reportCycles(byName, edges, diags);
  reportDownChains(byName, edges, diags);
  checkPipelines(byName, producerFor, consumerFor, producerRef, consumerRefs, new Set([...pipelineBundles.keys()].map((pn) => byName.get(pn) as ServiceDecl)), diags);
  checkServiceDirectories(byName.values(), diags);
  const moved = checkMoved(model, blocks, diags);
  return { checked: { byName, edges, producerFor, consumerFor, moved }, diagnostics: diags };
}

/** Tarjan's SCCs; one diagnostic per cycle, showing the whole cycle, at the reference closing it. */
function reportCycles(byName: Map<string, ServiceDecl>, edges: Map<string, Edge[]>, diags: Diagnostic[]): void {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const sccs: string[][] = [];
  let counter = 0;
  const names = [...byName.keys()].sort();
  for (const root of names) {
    if (index.has(root)) continue;
    // Iterative DFS, so that a 10,000-deep chain cannot overflow the call stack.
    const work: [string, number][] = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length) {
      const top = work[work.length - 1] as [string, number];
      const [v, i] = top;
      const es = edges.get(v) ?? [];
      if (i < es.length) {
        top[1]++;
        const w = (es[i] as Edge).to;
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push([w, 0]);
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = (work[work.length - 1] as [string, number])[0];
        low.set(parent, Math.min(low.get(parent) as number, low.get(v) as number));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        const selfLoop = scc.length === 1 && (edges.get(v) ?? []).some((e) => e.to === v);
        if (scc.length > 1 || selfLoop) sccs.push(scc);
      }
    }
  }
  for (const scc of sccs) {
    const members = new Set(scc);
    const start = [...scc].sort()[0] as string;
    // Shortest path back to start within the SCC, by BFS.
    const prev = new Map<string, Edge & { from: string }>();
    const queue = [start];
    let closing: (Edge & { from: string }) | undefined;
    for (let qi = 0; qi < queue.length && !closing; qi++) {
      const v = queue[qi] as string;
      for (const e of edges.get(v) ?? []) {
        if (!members.has(e.to)) continue;
        if (e.to === start) {
          closing = { ...e, from: v };
          break;
        }
        if (!prev.has(e.to)) {
          prev.set(e.to, { ...e, from: v });
          queue.push(e.to);
        }
      }
    }
    if (!closing) continue;
    const path = [start];
    let allPipes = closing.pipe === true;
    for (let v = closing.from; v !== start; v = (prev.get(v) as Edge & { from: string }).from) {
      path.splice(1, 0, v);
      allPipes &&= (prev.get(v) as Edge).pipe === true;
    }
    path.push(start);
    // A loop of producer_for alone is reported once, as a pipeline cycle (checkPipelines).
    if (allPipes) continue;
    const addr = (n: string): string => (byName.get(n) as ServiceDecl).address;
    const bundleOnly = path.every((n) => byName.get(n)?.type === 'bundle');
    diags.push(
      errorDiag(
        bundleOnly ? 'Bundle cycle' : 'Dependency cycle',
        `${path.map(addr).join(' → ')}: ${bundleOnly ? 'bundles cannot contain themselves' : 'services cannot depend on each other in a circle'}, so none of these could ever start.`,
        closing.ref.range,
      ),
    );
  }
}

function isDown(s: ServiceDecl | undefined): boolean {
  return s?.type === 'longrun' && s.config['down'] === true;
}

function reportDownChains(byName: Map<string, ServiceDecl>, edges: Map<string, Edge[]>, diags: Diagnostic[]): void {
  // next[n]: the first hop from n towards a down longrun (n itself when n is down); null if none.
  const next = new Map<string, string | null>();
  // A cycle is reported on its own; here its back edge is just not followed, so a down chain
  // elsewhere is still found. Each next pointer leads to a service finished earlier, so following
  // them always ends.
  const onWork = new Set<string>();
  const visit = (root: string): void => {
    const work: [string, number][] = [[root, 0]];
    onWork.add(root);
    while (work.length) {
      const top = work[work.length - 1] as [string, number];
      const [v, i] = top;
      if (i === 0 && isDown(byName.get(v))) {
        next.set(v, v);
        work.pop();
        onWork.delete(v);
        continue;
      }
      const es = edges.get(v) ?? [];
      if (i < es.length) {
        top[1]++;
        const w = (es[i] as Edge).to;
        if (!next.has(w) && !onWork.has(w)) {
          work.push([w, 0]);
          onWork.add(w);
        }
        continue;
      }
      work.pop();
      onWork.delete(v);
      const hit = es.find((e) => next.get(e.to) != null);
      next.set(v, hit ? hit.to : null);
    }
  };
  for (const n of [...byName.keys()].sort()) if (!next.has(n)) visit(n);
  for (const s of byName.values()) {
    if (s.type === 'bundle' || isDown(s)) continue;
    const e = (edges.get(s.name) ?? []).find((x) => next.get(x.to) != null);
    if (!e) continue;
    const chain = [s.name];
    for (let v = e.to; ; v = next.get(v) as string) {
      chain.push(v);
      if (next.get(v) === v) break;
    }
    const down = byName.get(chain[chain.length - 1] as string) as ServiceDecl;
    diags.push(
      errorDiag(
        'Dependency on a down service',
        `${s.address} is started, but it needs ${down.address}, which has down = true and is never started: ${chain.map((n) => (byName.get(n) as ServiceDecl).address).join(' → ')}. Remove down = true from ${down.address}, or set down = true on ${s.address} too.`,
        e.ref.range,
      ),
    );
  }
}

function checkPipelines(
  byName: Map<string, ServiceDecl>,
  producerFor: Map<string, string>,
  consumerFor: Map<string, string[]>,
  producerRef: Map<string, RefUse>,
  consumerRefs: Map<string, Map<string, RefUse>>,
  pipelineBundles: ReadonlySet<ServiceDecl>,
  diags: Diagnostic[],
): void {
  const addr = (n: string): string => byName.get(n)?.address ?? n;
  for (const [p, c] of producerFor) {
    if (!(consumerFor.get(c) ?? []).includes(p)) {
      diags.push(errorDiag('Inconsistent pipeline', `${addr(p)} is producer_for ${addr(c)}, but ${addr(c)} does not list ${addr(p)} in its consumer_for.`, producerRef.get(p)?.range));
    }
  }
  for (const [c, ps] of consumerFor) {
    for (const p of ps) {
      if (producerFor.get(p) !== c) {
        const actual = producerFor.get(p);
        diags.push(errorDiag('Inconsistent pipeline', `${addr(c)} is consumer_for ${addr(p)}, but ${addr(p)} ${actual ? `is producer_for ${addr(actual)}` : 'has no producer_for'}. Set producer_for = ${addr(c)} on ${addr(p)}.`, consumerRefs.get(c)?.get(p)?.range));
      }
    }
  }
  // Cycles: follow producer_for; a chain that comes back to where it started is a loop of pipes.
  const done = new Set<string>();
  for (const start of [...producerFor.keys()].sort()) {
    if (done.has(start)) continue;
    const seen: string[] = [];
    let v: string | undefined = start;
    while (v !== undefined && !done.has(v) && !seen.includes(v)) {
      seen.push(v);
      v = producerFor.get(v);
    }
    if (v !== undefined && seen.includes(v)) {
      const loop = seen.slice(seen.indexOf(v));
      const last = loop[loop.length - 1] as string;
      diags.push(errorDiag('Pipeline cycle', `${[...loop, v].map(addr).join(' → ')}: a pipeline must end in a consumer that produces for nobody.`, producerRef.get(last)?.range));
    }
    for (const s of seen) done.add(s);
  }
  const pipelineNames = new Map<string, string>();
  for (const s of byName.values()) {
    const pn = s.config['pipeline_name'];
    if (typeof pn !== 'string') continue;
    const range = s.attrRanges.get('pipeline_name');
    if (producerFor.has(s.name) || !consumerFor.has(s.name)) {
      diags.push(errorDiag('Misplaced pipeline_name', `pipeline_name names a whole pipeline and belongs on its last consumer (a service with consumer_for and no producer_for); ${s.address} ${producerFor.has(s.name) ? 'is a producer' : 'is not a consumer'}.`, range));
      continue;
    }
    const clash = byName.get(pn);
    if (clash && !pipelineBundles.has(clash)) {
      diags.push(errorDiag('Duplicate service name', `The pipeline name "${pn}" becomes a bundle, but it is already the name of ${clash.address}.`, range));
      continue;
    }
    const other = pipelineNames.get(pn);
    if (other) {
      diags.push(errorDiag('Duplicate service name', `The pipeline name "${pn}" is already used by the pipeline ending in ${addr(other)}.`, range));
      continue;
    }
    pipelineNames.set(pn, s.name);
  }
}

function checkMoved(model: Model, blocks: Map<string, BlockEntry>, diags: Diagnostic[]): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  const fromAddrs = new Map<string, RefUse>();
  const toAddrs = new Map<string, RefUse>();
  const canonical = (r: RefUse): string => formatAddress(r.type, r.label, r.key);
  const chained = new Set<string>(model.moved.map((m) => canonical(m.from)));
  for (const m of model.moved) {
    const from = canonical(m.from);
    const to = canonical(m.to);
    if (from === to) {
      diags.push(errorDiag('Redundant moved block', `from and to are both ${from}: a moved block records a rename, so they must differ.`, m.to.range));
      continue;
    }
    if (m.from.type !== m.to.type) {
      diags.push(errorDiag('Invalid moved block', `${from} is ${ARTICLE[m.from.type]} and ${to} is ${ARTICLE[m.to.type]}: a service can be renamed but not change its type. Remove the moved block to replace it.`, m.to.range));
      continue;
    }
    const prevFrom = fromAddrs.get(from);
    if (prevFrom) {
      diags.push(errorDiag('Ambiguous moved block', `${from} is already moved at ${where(prevFrom.range)}: a service can only be moved to one place.`, m.from.range));
      continue;
    }
    fromAddrs.set(from, m.from);
    const prevTo = toAddrs.get(to);
    if (prevTo) {
      diags.push(errorDiag('Ambiguous moved block', `${to} is already the target of a moved block at ${where(prevTo.range)}: two services cannot both become one.`, m.to.range));
      continue;
    }
    toAddrs.set(to, m.to);
    if (chained.has(to)) {
      diags.push(errorDiag('Chained moved blocks', `${to} is itself moved elsewhere by another moved block: write one moved block from ${from} straight to the final address.`, m.to.range));
      continue;
    }
    const fb = blocks.get(formatAddress(m.from.type, m.from.label));
    const fromPresent = fb && (m.from.key === undefined ? !fb.hasForEach || fb.instances.size > 0 : fb.instances.has(m.from.key));
    if (fromPresent) {
      diags.push(errorDiag('Moved object still exists', `${from} is still declared. A moved block says it was renamed to ${to}: remove its block, or remove the moved block.`, m.from.range));
      continue;
    }
    const tb = blocks.get(formatAddress(m.to.type, m.to.label));
    if (!tb) {
      const s = suggest(formatAddress(m.to.type, m.to.label), blocks.keys());
      diags.push(errorDiag('Moved to an undeclared service', `${to} is not declared, so there is nothing to move ${from} to.${s ? ` Did you mean ${s}?` : ''}`, m.to.range));
      continue;
    }
    if (tb.hasForEach && m.to.key === undefined) {
      diags.push(errorDiag('Moved to an undeclared service', `${m.to.type}.${m.to.label} uses for_each: name one instance, as in ${formatAddress(m.to.type, m.to.label, [...tb.instances.keys()][0] ?? 'KEY')}.`, m.to.range));
      continue;
    }
    if (m.to.key !== undefined && !tb.instances.has(m.to.key)) {
      diags.push(errorDiag('Moved to an undeclared service', `${m.to.type}.${m.to.label} has no instance "${m.to.key}".`, m.to.range));
      continue;
    }
    out.push({ from: instanceName(m.from.label, m.from.key), to: instanceName(m.to.label, m.to.key) });
  }
  return out.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
}

function where(r: Range): string {
  return `${r.filename}:${r.start.line},${r.start.column}`;
}
