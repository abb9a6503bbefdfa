import fs from 'node:fs';
import path from 'node:path';

// Random s6-rc source trees (the input of s6-rc-compile), seeded and deterministic, so that a
// failing property names a seed that reproduces it. A tree is built in creation order and every
// reference points only at something created earlier, which keeps a valid tree acyclic by
// construction; a pipeline is created from its last consumer back to its first producer because
// in s6-rc a producer depends on its consumer. A fault, when asked for, is one deliberate mistake
// that s6-rc-compile rejects, described so that a test can expect the same reason from rcform.

export type S6rcServiceType = 'longrun' | 'oneshot' | 'bundle';

/** How a name list is written: `file` is `dependencies`/`contents`, `dir` is the `.d/` form. */
export type ListForm = 'none' | 'file' | 'dir' | 'both';

export interface GeneratedService {
  name: string;
  type: S6rcServiceType;
  /** The dependencies s6-rc-compile reads (from `dependencies.d/` when both forms exist). */
  dependencies: string[];
  dependenciesForm: ListForm;
  /** With form `both`: the names in the `dependencies` file, which s6-rc-compile never reads. */
  ignoredDependencies: string[];
  /** Bundles: the names s6-rc-compile reads (from `contents.d/` when both forms exist). */
  contents: string[];
  contentsForm: ListForm;
  ignoredContents: string[];
  essential: boolean;
  /** Longruns in a pipeline. */
  producerFor?: string;
  consumerFor: string[];
  /** The pipeline-name file's content; s6-rc honours it only on a last consumer. */
  pipelineName?: string;
  /** A longrun with a `down` file (s6-rc-compile ignores it for longruns). */
  downFile: boolean;
  /** Set for members of a NAME@INSTANCE family. */
  family?: string;
  /** Extra lines written into list files: comments, blank lines, a repeated name. */
  noisyLists: boolean;
}

export interface GeneratedPipeline {
  /** From the first producer to the last consumer; a fan-in's extra producers are in `extraProducers`. */
  members: string[];
  extraProducers: string[];
  /** The bundle s6-rc makes (pipeline-name on the last consumer), if any. */
  bundle?: string;
  /** A pipeline-name written on a member that is not a last consumer: ignored with a warning. */
  ignoredNameOn?: string;
}

export type FaultKind =
  | 'undefined-dependency'
  | 'undefined-bundle-member'
  | 'dependency-cycle'
  | 'bundle-cycle'
  | 'producer-not-declared-back'
  | 'reserved-prefix'
  | 'pipeline-name-taken'
  | 'missing-run';

export interface GeneratedFault {
  kind: FaultKind;
  /** The services the mistake is in (the names a message about it should mention). */
  services: string[];
}

export interface GeneratedTree {
  seed: number;
  services: GeneratedService[];
  pipelines: GeneratedPipeline[];
  /** NAME → its instances' full names (`NAME@INSTANCE`). */
  families: Map<string, string[]>;
  fault?: GeneratedFault;
}

export interface GenerateOptions {
  /** Steps of construction (a pipeline or family step makes several services). Default 6–16. */
  size?: number;
  /** Inject one fault that s6-rc-compile rejects. */
  fault?: FaultKind | 'random';
}

export const FAULT_KINDS: readonly FaultKind[] = [
  'undefined-dependency',
  'undefined-bundle-member',
  'dependency-cycle',
  'bundle-cycle',
  'producer-not-declared-back',
  'reserved-prefix',
  'pipeline-name-taken',
  'missing-run',
];

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  /** Up to `max` distinct elements, in a random order. */
  some<T>(xs: readonly T[], max: number): T[] {
    const pool = [...xs];
    const out: T[] = [];
    const n = Math.min(max, pool.length);
    while (out.length < n) out.push(pool.splice(Math.floor(this.next() * pool.length), 1)[0]!);
    return out;
  }
}

const WORDS = ['mount', 'udev', 'net', 'lo', 'syslog', 'log', 'db', 'web', 'cron', 'sshd', 'dbus', 'getty', 'clock', 'fs', 'app', 'proxy', 'cache', 'ntp', 'seed', 'swap'];
const INSTANCES = ['tty1', 'tty2', '1000', 'eth0', 'a.b', 'x-y', '0'];

function nameFor(d: Dice): string {
  const word = d.pick(WORDS);
  switch (d.int(0, 9)) {
    case 0:
      return `${String(d.int(0, 99)).padStart(2, '0')}-${word}`; // leading digits, as boot orders do
    case 1:
      return `${d.int(1, 9)}${word}`;
    case 2:
      return `${word}.${d.pick(WORDS)}`;
    case 3:
      return `${word}-${d.pick(WORDS)}`;
    case 4:
      return `${word}_${d.int(0, 9)}`;
    case 5:
      return `${word}@`; // an empty instance: s6-rc takes any byte but / and newline
    default:
      return word;
  }
}

export function generateS6rcTree(seed: number, opts: GenerateOptions = {}): GeneratedTree {
  const d = new Dice(seededRandom(seed));
  const services: GeneratedService[] = [];
  const pipelines: GeneratedPipeline[] = [];
  const families = new Map<string, string[]>();
  const taken = new Set<string>();
  /** Everything a later service may name: atomics, bundles, pipeline bundles. */
  const referable: string[] = [];

  const fresh = (wanted: string): string => {
    let name = wanted;
    for (let i = 2; taken.has(name); i++) name = `${wanted}${wanted.endsWith('@') ? '' : '-'}${i}`;
    taken.add(name);
    return name;
  };
  const listForm = (names: string[]): ListForm => (names.length === 0 ? d.pick<ListForm>(['none', 'none', 'none', 'file', 'dir']) : d.pick<ListForm>(['file', 'file', 'dir', 'dir', 'both']));
  const atomic = (name: string, type: 'longrun' | 'oneshot', deps: string[]): GeneratedService => {
    const form = listForm(deps);
    return {
      name,
      type,
      dependencies: deps,
      dependenciesForm: form,
      ignoredDependencies: form === 'both' ? d.some(referable.filter((r) => !deps.includes(r)), 2) : [],
      contents: [],
      contentsForm: 'none',
      ignoredContents: [],
      essential: d.chance(0.12),
      consumerFor: [],
      downFile: type === 'longrun' && d.chance(0.1),
      noisyLists: d.chance(0.2),
    };
  };
  const add = (s: GeneratedService): void => {
    services.push(s);
    referable.push(s.name);
  };

  const steps = opts.size ?? d.int(6, 16);
  for (let step = 0; step < steps; step++) {
    const kind = referable.length === 0 ? d.pick(['longrun', 'oneshot', 'pipeline']) : d.pick(['longrun', 'longrun', 'oneshot', 'oneshot', 'bundle', 'bundle', 'pipeline', 'pipeline', 'family']);
    if (kind === 'longrun' || kind === 'oneshot') {
      add(atomic(fresh(nameFor(d)), kind, d.some(referable, d.int(0, 3))));
    } else if (kind === 'bundle') {
      const contents = d.chance(0.05) ? [] : d.some(referable, d.int(1, 4));
      const form = contents.length === 0 ? d.pick<ListForm>(['file', 'dir']) : d.pick<ListForm>(['file', 'file', 'dir', 'dir', 'both']);
      add({
        name: fresh(`${nameFor(d)}${d.pick(['', '-bundle', '.target', 's'])}`),
        type: 'bundle',
        dependencies: [],
        dependenciesForm: 'none',
        ignoredDependencies: [],
        contents,
        contentsForm: form,
        ignoredContents: form === 'both' ? d.some(referable.filter((r) => !contents.includes(r)), 2) : [],
        essential: d.chance(0.15),
        consumerFor: [],
        downFile: false,
        noisyLists: d.chance(0.2),
      });
    } else if (kind === 'family') {
      const base = fresh(d.pick(WORDS) + (d.chance(0.3) ? `-${d.pick(WORDS)}` : ''));
      const type = d.chance(0.7) ? 'longrun' : 'oneshot';
      const deps = d.some(referable, d.int(0, 2));
      const members = d.some(INSTANCES, d.int(1, 3)).map((inst) => fresh(`${base}@${inst}`));
      families.set(base, members);
      for (const m of members) add({ ...atomic(m, type, deps), family: base });
    } else {
      // A pipeline, built from its last consumer back to its first producer.
      const length = d.int(1, 3);
      const chain: GeneratedService[] = [];
      for (let i = 0; i < length; i++) {
        const s = atomic(fresh(i === 0 ? `${d.pick(WORDS)}-log` : nameFor(d)), 'longrun', d.some(referable, d.int(0, 2)));
        if (i > 0) {
          const consumer = chain[i - 1]!;
          s.producerFor = consumer.name;
          consumer.consumerFor.push(s.name);
        }
        chain.push(s);
        add(s);
      }
      const extraProducers: string[] = [];
      if (length >= 2 && d.chance(0.2)) {
        const extra = atomic(fresh(nameFor(d)), 'longrun', d.some(referable, 1));
        extra.producerFor = chain[0]!.name;
        chain[0]!.consumerFor.push(extra.name);
        extraProducers.push(extra.name);
        add(extra);
      }
      const p: GeneratedPipeline = { members: chain.map((s) => s.name).reverse(), extraProducers };
      if (length >= 2 && d.chance(0.65)) {
        p.bundle = fresh(`${d.pick(WORDS)}-pipeline${d.chance(0.3) ? '@1' : ''}`);
        chain[0]!.pipelineName = p.bundle;
        referable.push(p.bundle);
      }
      if (d.chance(length === 1 ? 0.5 : 0.15)) {
        const on = chain[length === 1 ? 0 : d.int(1, length - 1)]!;
        if (!on.pipelineName) {
          on.pipelineName = fresh(`${on.name}-ignored-pipeline`);
          p.ignoredNameOn = on.name;
          taken.delete(on.pipelineName); // it never becomes a name
        }
      }
      pipelines.push(p);
    }
  }

  const tree: GeneratedTree = { seed, services, pipelines, families };
  if (opts.fault) injectFault(tree, opts.fault === 'random' ? d.pick(FAULT_KINDS) : opts.fault, d, fresh);
  return tree;
}

function injectFault(tree: GeneratedTree, kind: FaultKind, d: Dice, fresh: (n: string) => string): void {
  const blank = (name: string, type: S6rcServiceType): GeneratedService => ({
    name,
    type,
    dependencies: [],
    dependenciesForm: 'none',
    ignoredDependencies: [],
    contents: [],
    contentsForm: type === 'bundle' ? 'file' : 'none',
    ignoredContents: [],
    essential: false,
    consumerFor: [],
    downFile: false,
    noisyLists: false,
  });
  const push = (s: GeneratedService): GeneratedService => (tree.services.push(s), s);
  switch (kind) {
    case 'undefined-dependency': {
      const s = push(blank(fresh('needs-missing'), d.pick(['longrun', 'oneshot'] as const)));
      s.dependencies = ['no-such-service'];
      s.dependenciesForm = d.pick(['file', 'dir'] as const);
      tree.fault = { kind, services: [s.name, 'no-such-service'] };
      return;
    }
    case 'undefined-bundle-member': {
      const s = push(blank(fresh('broken-bundle'), 'bundle'));
      s.contents = ['no-such-member'];
      s.contentsForm = d.pick(['file', 'dir'] as const);
      tree.fault = { kind, services: [s.name, 'no-such-member'] };
      return;
    }
    case 'dependency-cycle': {
      const a = push(blank(fresh('cycle-a'), 'oneshot'));
      const b = push(blank(fresh('cycle-b'), 'longrun'));
      a.dependencies = [b.name];
      a.dependenciesForm = 'file';
      b.dependencies = [a.name];
      b.dependenciesForm = 'dir';
      tree.fault = { kind, services: [a.name, b.name] };
      return;
    }
    case 'bundle-cycle': {
      const a = push(blank(fresh('loop-a'), 'bundle'));
      const b = push(blank(fresh('loop-b'), 'bundle'));
      a.contents = [b.name];
      b.contents = [a.name];
      b.contentsForm = 'dir';
      tree.fault = { kind, services: [a.name, b.name] };
      return;
    }
    case 'producer-not-declared-back': {
      const consumer = push(blank(fresh('deaf-log'), 'longrun'));
      const producer = push(blank(fresh('talker'), 'longrun'));
      producer.producerFor = consumer.name;
      tree.fault = { kind, services: [producer.name, consumer.name] };
      return;
    }
    case 'reserved-prefix': {
      const s = push(blank(d.pick(['s6rc-mine', 's6-rc-mine']), 'oneshot'));
      tree.fault = { kind, services: [s.name] };
      return;
    }
    case 'pipeline-name-taken': {
      const other = push(blank(fresh('taken'), 'oneshot'));
      const consumer = push(blank(fresh('sink-log'), 'longrun'));
      const producer = push(blank(fresh('source'), 'longrun'));
      producer.producerFor = consumer.name;
      consumer.consumerFor = [producer.name];
      consumer.pipelineName = other.name;
      tree.fault = { kind, services: [other.name] };
      return;
    }
    case 'missing-run': {
      const s = push(blank(fresh('no-run'), 'longrun'));
      tree.fault = { kind, services: [s.name] };
      return;
    }
  }
}

export interface ScriptSet {
  /** Longrun `run` (a program s6-supervise executes). */
  run(s: GeneratedService): string;
  /** Oneshot `up`/`down` (execline syntax, parsed by s6-rc-compile). */
  up(s: GeneratedService): string;
  down(s: GeneratedService): string | undefined;
}

export const DEFAULT_SCRIPTS: ScriptSet = {
  run: (s) => (s.producerFor || s.consumerFor.length ? '#!/bin/sh\nexec cat\n' : '#!/bin/sh\nexec sleep 86400\n'),
  up: (s) => `echo ${JSON.stringify(`up ${s.name}`)}\n`,
  down: () => undefined,
};

function listText(names: string[], noisy: boolean, d: Dice): string {
  if (!noisy || names.length === 0) return names.map((n) => `${n}\n`).join('');
  const lines = ['# written by the tree generator', ...names.map((n) => (d.chance(0.3) ? `  ${n}` : n)), '', names[0]!];
  return `${lines.join('\n')}\n`;
}

/** Writes the tree as one s6-rc source directory (each service a subdirectory of `dir`). */
export function writeS6rcTree(tree: GeneratedTree, dir: string, scripts: ScriptSet = DEFAULT_SCRIPTS): void {
  const d = new Dice(seededRandom(tree.seed ^ 0x5eed));
  fs.mkdirSync(dir, { recursive: true });
  const put = (svc: string, rel: string, text: string, mode = 0o644): void => {
    const file = path.join(dir, svc, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
  };
  const writeList = (s: GeneratedService, base: string, names: string[], form: ListForm, ignored: string[]): void => {
    if (form === 'none') return;
    if (form === 'file') put(s.name, base, listText(names, s.noisyLists, d));
    if (form === 'dir' || form === 'both') {
      fs.mkdirSync(path.join(dir, s.name, `${base}.d`), { recursive: true });
      for (const n of names) put(s.name, `${base}.d/${n}`, '');
    }
    if (form === 'both') put(s.name, base, listText(ignored, false, d));
  };
  for (const s of tree.services) {
    fs.mkdirSync(path.join(dir, s.name), { recursive: true });
    put(s.name, 'type', `${s.type}\n`);
    if (s.essential) put(s.name, 'flag-essential', '');
    if (s.type === 'bundle') {
      writeList(s, 'contents', s.contents, s.contentsForm, s.ignoredContents);
      continue;
    }
    writeList(s, 'dependencies', s.dependencies, s.dependenciesForm, s.ignoredDependencies);
    if (s.type === 'oneshot') {
      put(s.name, 'up', scripts.up(s));
      const down = scripts.down(s);
      if (down !== undefined) put(s.name, 'down', down);
      continue;
    }
    if (tree.fault?.kind !== 'missing-run' || !tree.fault.services.includes(s.name)) put(s.name, 'run', scripts.run(s), 0o755);
    if (s.downFile) put(s.name, 'down', '');
    if (s.producerFor) put(s.name, 'producer-for', `${s.producerFor}\n`);
    if (s.consumerFor.length) put(s.name, 'consumer-for', s.consumerFor.map((n) => `${n}\n`).join(''));
    if (s.pipelineName) put(s.name, 'pipeline-name', `${s.pipelineName}\n`);
  }
}

/** Generates and writes a tree in one call; returns its description. */
export function makeS6rcTree(seed: number, dir: string, opts: GenerateOptions = {}, scripts?: ScriptSet): GeneratedTree {
  const tree = generateS6rcTree(seed, opts);
  writeS6rcTree(tree, dir, scripts);
  return tree;
}
