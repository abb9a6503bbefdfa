import { durationText } from '../compile/duration.js';
import { hclBlock, hclObject, hclString, hclText, isHclIdentifier, type HclAttr } from './hcl-writer.js';
import { keyProblem, labelProblem } from '../config/names.js';

// Converting an s6-rc source tree (the input of s6-rc-compile) into rcform HCL, one file per
// service. Pure: the command reads the directories into S6rcDefinition values and writes the
// files this returns. Everything a definition says is carried over; what rcform cannot express
// (flag-recommended, nosetsid, unknown files) becomes a warning naming the file, never silence.

/** One service definition directory: its files by path relative to it ('/'-separated). */
export interface S6rcDefinition {
  name: string;
  /** The directory as the user would name it in a message, e.g. `src/httpd`. */
  dir: string;
  /** Regular files and their bytes; directories appear as their paths in `dirs`. */
  files: Map<string, Uint8Array>;
  dirs: Set<string>;
  /** Symbolic links below the top level (data/lib → usr/lib in a chroot) and where they point. */
  links?: Map<string, string>;
}

export interface ImportWarning {
  file: string;
  message: string;
}

export interface ImportResult {
  /** Output file name → HCL text. */
  files: Map<string, string>;
  warnings: ImportWarning[];
  /** s6-rc name → the name used in HCL, only for names that had to change. */
  renamed: Map<string, string>;
}

type S6Type = 'longrun' | 'oneshot' | 'bundle';

/** A data path rcform accepts (schemas/longrun.schema.json): no segment can leave data/. */
const DATA_PATH = /^[A-Za-z0-9_@:+,=~][A-Za-z0-9_.@:+,=~-]*(\/[A-Za-z0-9_@:+,=~][A-Za-z0-9_.@:+,=~-]*)*$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

// Linux signal numbers, for down-signal files that hold a number rather than a name.
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP', 2: 'SIGINT', 3: 'SIGQUIT', 4: 'SIGILL', 5: 'SIGTRAP', 6: 'SIGABRT', 7: 'SIGBUS', 8: 'SIGFPE',
  9: 'SIGKILL', 10: 'SIGUSR1', 11: 'SIGSEGV', 12: 'SIGUSR2', 13: 'SIGPIPE', 14: 'SIGALRM', 15: 'SIGTERM',
  17: 'SIGCHLD', 18: 'SIGCONT', 19: 'SIGSTOP', 20: 'SIGTSTP', 21: 'SIGTTIN', 22: 'SIGTTOU', 23: 'SIGURG',
  24: 'SIGXCPU', 25: 'SIGXFSZ', 26: 'SIGVTALRM', 27: 'SIGPROF', 28: 'SIGWINCH', 29: 'SIGIO', 30: 'SIGPWR', 31: 'SIGSYS',
};

/** The signals the longrun schema accepts for down_signal. */
const STOP_SIGNALS = new Set(['HUP', 'INT', 'QUIT', 'KILL', 'USR1', 'USR2', 'ALRM', 'TERM', 'CONT', 'STOP', 'TSTP', 'WINCH', 'PWR', 'ABRT'].map((s) => `SIG${s}`));

/** The files s6-rc-compile reads, per type; anything else in a definition is reported. */
const KNOWN: Record<S6Type, Set<string>> = {
  bundle: new Set(['type', 'contents', 'contents.d', 'flag-essential']),
  oneshot: new Set(['type', 'up', 'down', 'dependencies', 'dependencies.d', 'timeout-up', 'timeout-down', 'flag-essential']),
  longrun: new Set([
    'type', 'run', 'finish', 'down', 'dependencies', 'dependencies.d', 'timeout-up', 'timeout-down', 'timeout-kill',
    'timeout-finish', 'max-death-tally', 'down-signal', 'notification-fd', 'lock-fd', 'flag-essential', 'producer-for',
    'consumer-for', 'pipeline-name', 'env', 'data',
  ]),
};

export function importS6rc(definitions: readonly S6rcDefinition[]): ImportResult {
  const warnings: ImportWarning[] = [];
  const warn = (def: S6rcDefinition, file: string | undefined, message: string): void => {
    warnings.push({ file: file ? `${def.dir}/${file}` : def.dir, message });
  };

  // First pass: types and names, so that references can say longrun.x or bundle.y.
  const types = new Map<string, S6Type>();
  const usable: S6rcDefinition[] = [];
  for (const def of [...definitions].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (types.has(def.name)) {
      warn(def, undefined, `a second definition of "${def.name}" was skipped (names must be unique)`);
      continue;
    }
    const raw = def.files.get('type');
    const t = raw ? decode(raw)?.trim() : undefined;
    if (t !== 'longrun' && t !== 'oneshot' && t !== 'bundle') {
      warn(def, 'type', raw ? `unknown service type "${t ?? '(not text)'}"; the definition was skipped` : 'missing: the definition was skipped');
      continue;
    }
    types.set(def.name, t);
    usable.push(def);
  }
  // s6-rc makes a bundle of each pipeline-name on a last consumer (a longrun with consumer-for and
  // no producer-for); other definitions name it in dependencies and contents.
  for (const def of usable) {
    if (types.get(def.name) !== 'longrun' || def.files.has('producer-for')) continue;
    const pn = firstLineOf(def, 'pipeline-name');
    if (pn === undefined || !listOf(def, 'consumer-for').some((c) => types.get(c) === 'longrun') || types.has(pn)) continue;
    types.set(pn, 'bundle');
  }

  // Names: every name HCL can carry is kept exactly (references to names that are not HCL
  // identifiers are written longrun["01-mount"]); NAME@INSTANCE families of one type become one
  // for_each block; any other name is renamed, once, with the characters rcform does not allow
  // in a name replaced by "_".
  const renamed = new Map<string, string>();
  const families = new Map<string, { type: S6Type; base: string; members: S6rcDefinition[] }>();
  const familyOf = new Map<string, { base: string; key: string }>();
  for (const def of usable) {
    const type = types.get(def.name) as S6Type;
    const at = def.name.indexOf('@');
    if (at <= 0) continue;
    const base = def.name.slice(0, at);
    const key = def.name.slice(at + 1);
    if (labelProblem(base) !== undefined || keyProblem(key, base) !== undefined || types.get(base) === type) continue;
    const fk = `${type}.${base}`;
    const f = families.get(fk) ?? { type, base, members: [] };
    f.members.push(def);
    families.set(fk, f);
    familyOf.set(def.name, { base, key });
  }
  const taken = new Set(types.keys());
  const defined = new Set(usable.map((d) => d.name));
  for (const name of types.keys()) {
    if (familyOf.has(name) || labelProblem(name) === undefined || RESERVED.some((p) => name.startsWith(p))) continue;
    // A pipeline bundle's name only has to be a valid pipeline_name.
    if (!defined.has(name) && /^[A-Za-z0-9_][A-Za-z0-9_.@-]*$/.test(name)) continue;
    let candidate = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    if (!/^[A-Za-z0-9_]/.test(candidate)) candidate = `_${candidate}`;
    while (taken.has(candidate)) candidate += '_';
    taken.add(candidate);
    renamed.set(name, candidate);
  }
  const hclName = (n: string): string => renamed.get(n) ?? n;
  const refText = (type: S6Type, n: string): string => {
    const f = familyOf.get(n);
    if (f) return isHclIdentifier(f.base) ? `${type}.${f.base}[${hclString(f.key)}]` : `${type}[${hclString(n)}]`;
    const h = hclName(n);
    return isHclIdentifier(h) ? `${type}.${h}` : `${type}[${hclString(h)}]`;
  };

  const files = new Map<string, string>();
  const fileFor = (base: string, type: S6Type): string => {
    let f = `${base}.hcl`;
    if (files.has(f)) f = `${type}.${base}.hcl`;
    return f;
  };
  const attrsOf = (def: S6rcDefinition): HclAttr[] => {
    const type = types.get(def.name) as S6Type;
    const ctx: DefinitionContext = { def, warn: (file, message) => warn(def, file, message), types, hclName, refText };
    const attrs = type === 'bundle' ? bundleAttrs(ctx) : type === 'oneshot' ? oneshotAttrs(ctx) : longrunAttrs(ctx);
    for (const entry of topLevelEntries(def)) {
      if (!KNOWN[type].has(entry)) warn(def, entry, unknownMessage(type, entry));
    }
    return attrs;
  };
  for (const def of usable) {
    if (familyOf.has(def.name)) continue;
    const type = types.get(def.name) as S6Type;
    if (renamed.has(def.name)) {
      warn(def, undefined, `the name "${def.name}" cannot be a service name in rcform (${nameRule(def.name)}); it is imported as "${hclName(def.name)}"`);
    }
    const attrs = attrsOf(def);
    const comment = `Imported from the s6-rc ${type} definition ${def.dir}.`;
    files.set(fileFor(hclName(def.name), type), hclBlock(type, [hclName(def.name)], attrs, comment));
  }
  for (const f of [...families.values()].sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0))) {
    const members = [...f.members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const keys = members.map((d) => (familyOf.get(d.name) as { key: string }).key);
    const perInstance = members.map((d) => new Map(attrsOf(d)));
    const names: string[] = [];
    for (const m of perInstance) for (const k of m.keys()) if (!names.includes(k)) names.push(k);
    const attrs: HclAttr[] = [['for_each', `toset([${keys.map(hclString).join(', ')}])`]];
    for (const attr of names) {
      const values = perInstance.map((m) => m.get(attr));
      if (values.every((v) => v !== undefined && v === values[0])) attrs.push([attr, values[0] as string]);
      // Instances that differ: the value for each key, looked up by each.key (null leaves it unset).
      else attrs.push([attr, `${hclObject(keys.map((k, i) => [k, values[i] ?? 'null']), '  ')}[each.key]`]);
    }
    const comment = `Imported from the s6-rc ${f.type} definitions ${members.map((d) => d.dir).join(', ')}.`;
    files.set(fileFor(f.base, f.type), hclBlock(f.type, [f.base], attrs, comment));
  }
  return { files, warnings, renamed };
}

const RESERVED = ['s6rc-', 's6-rc-'];

function nameRule(name: string): string {
  const at = name.indexOf('@');
  if (at >= 0) return at === name.length - 1 ? 'an instance name NAME@KEY needs a key' : '"@" is only for instances NAME@KEY, with a valid NAME and KEY';
  return 'names use letters, digits, "_", "." and "-", not starting with "." or "-"';
}

interface DefinitionContext {
  def: S6rcDefinition;
  warn(file: string | undefined, message: string): void;
  types: Map<string, S6Type>;
  hclName(n: string): string;
  /** The HCL reference to a service or bundle by its s6-rc name. */
  refText(type: S6Type, n: string): string;
}

function bundleAttrs(ctx: DefinitionContext): HclAttr[] {
  const attrs: HclAttr[] = [['contents', references(ctx, nameList(ctx, 'contents'))]];
  if (ctx.def.files.has('flag-essential')) attrs.push(['essential', 'true']);
  return attrs;
}

function oneshotAttrs(ctx: DefinitionContext): HclAttr[] {
  const attrs: HclAttr[] = [];
  const up = text(ctx, 'up');
  if (up === undefined) {
    ctx.warn('up', 'missing: an empty up script, which does nothing, was imported');
    attrs.push(['up', hclString('')]);
  } else {
    attrs.push(['up', execlineCommand(up)]);
  }
  const down = text(ctx, 'down');
  if (down !== undefined && down.trim() !== '') attrs.push(['down', execlineCommand(down)]);
  attrs.push(...atomicAttrs(ctx));
  return attrs;
}

function longrunAttrs(ctx: DefinitionContext): HclAttr[] {
  const attrs: HclAttr[] = [];
  const run = text(ctx, 'run');
  if (run === undefined) {
    ctx.warn('run', 'missing: a longrun needs a run script; an empty one was imported and will fail to start');
    attrs.push(['run', hclString('')]);
  } else {
    attrs.push(['run', script(ctx, 'run', run)]);
  }
  const finish = text(ctx, 'finish');
  if (finish !== undefined) attrs.push(['finish', script(ctx, 'finish', finish)]);
  // s6-rc-compile ignores a longrun's down file (its service directory gets none), and so does
  // import: the service is started like any other.
  if (ctx.def.files.has('down')) {
    ctx.warn('down', 's6-rc-compile ignores a down file in a longrun definition, so it was not imported; to keep the service from starting in rcform, set down = true on it');
  }
  attrs.push(...atomicAttrs(ctx));
  const fd = integer(ctx, 'notification-fd');
  if (fd !== undefined) attrs.push(['notification_fd', String(fd)]);
  const lock = integer(ctx, 'lock-fd');
  // As s6-rc-compile: a lock on 0-2 would replace stdio, so it is ignored with a warning.
  if (lock !== undefined && lock < 3) ctx.warn('lock-fd', `a lock-fd of ${lock} would replace standard input or output; not imported`);
  else if (lock !== undefined && lock === fd) ctx.warn('lock-fd', `the same descriptor as notification-fd, which s6-rc-compile rejects; not imported`);
  else if (lock !== undefined) attrs.push(['lock_fd', String(lock)]);
  for (const [file, attr] of [['timeout-kill', 'timeout_kill'], ['timeout-finish', 'timeout_finish']] as const) {
    const ms = integer(ctx, file);
    if (ms !== undefined) attrs.push([attr, hclString(durationText(ms))]);
  }
  const tally = integer(ctx, 'max-death-tally');
  if (tally !== undefined) attrs.push(['max_death_tally', String(tally)]);
  const sig = text(ctx, 'down-signal')?.trim();
  if (sig !== undefined) {
    const name = /^\d+$/.test(sig) ? SIGNALS[Number(sig)] : /^SIG/i.test(sig) ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
    if (name && STOP_SIGNALS.has(name)) attrs.push(['down_signal', hclString(name)]);
    else ctx.warn('down-signal', `"${sig}" is not a signal rcform can send to stop a service; not imported`);
  }
  const producer = firstLine(ctx, 'producer-for');
  const producerRef = producer === undefined ? undefined : pipelineRef(ctx, producer, 'producer-for');
  if (producerRef !== undefined) attrs.push(['producer_for', producerRef]);
  const consumers = nameList(ctx, 'consumer-for');
  const consumerRefs = consumers.map((c) => pipelineRef(ctx, c.name, c.file)).filter((r) => r !== undefined);
  if (consumerRefs.length) attrs.push(['consumer_for', `[${consumerRefs.join(', ')}]`]);
  const pipelineName = firstLine(ctx, 'pipeline-name');
  if (pipelineName !== undefined) {
    // As s6-rc-compile: only a last consumer names its pipeline.
    if (producer === undefined && consumerRefs.length > 0) {
      const h = ctx.hclName(pipelineName);
      if (h !== pipelineName) ctx.warn('pipeline-name', `the name "${pipelineName}" cannot be a pipeline name in rcform (${nameRule(pipelineName)}); it is imported as "${h}"`);
      attrs.push(['pipeline_name', hclString(h)]);
    } else {
      const why = producer !== undefined ? 'it has a producer-for' : consumers.length ? 'none of its consumer-for longruns was imported' : 'it has no consumer-for';
      ctx.warn('pipeline-name', `ignored, as s6-rc-compile ignores it: ${ctx.def.name} is not the last consumer of a pipeline (${why}); the pipeline's name belongs on the service it ends in`);
    }
  }
  const env = envDir(ctx);
  if (env.length) attrs.push(['env', hclObject(env, '  ')]);
  const data = dataDir(ctx);
  if (data.length) attrs.push(['data', hclObject(data, '  ')]);
  return attrs;
}

/** dependencies, timeouts and flag-essential: what every atomic service may have. */
function atomicAttrs(ctx: DefinitionContext): HclAttr[] {
  const attrs: HclAttr[] = [];
  const deps = nameList(ctx, 'dependencies');
  const refs = references(ctx, deps);
  if (refs !== '[]') attrs.push(['depends_on', refs]);
  for (const [file, attr] of [['timeout-up', 'timeout_up'], ['timeout-down', 'timeout_down']] as const) {
    const ms = integer(ctx, file);
    if (ms !== undefined) attrs.push([attr, hclString(durationText(ms))]);
  }
  if (ctx.def.files.has('flag-essential')) attrs.push(['essential', 'true']);
  return attrs;
}

/**
 * The names a list gives, each with the file it is in, as s6-rc-compile reads them: FILE.d/ when
 * that directory exists (FILE is then not read at all), else the lines of FILE, without blank
 * lines, `#` comments and repeats.
 */
function nameList(ctx: DefinitionContext, file: string): { name: string; file: string }[] {
  const fromDir = listDir(ctx.def, file);
  if (fromDir !== undefined) {
    const ignored = listOf(ctx.def, file).filter((n) => !fromDir.includes(n));
    if (ignored.length) ctx.warn(file, `s6-rc-compile reads ${file}.d/ and ignores this file when both exist, and so does import: ${ignored.map((n) => `"${n}"`).join(', ')} not imported`);
    return fromDir.map((name) => ({ name, file: `${file}.d/${name}` }));
  }
  if (ctx.def.files.has(file) && text(ctx, file) === undefined) return [];
  return listOf(ctx.def, file).map((name) => ({ name, file }));
}

function listDir(def: S6rcDefinition, file: string): string[] | undefined {
  const dir = `${file}.d`;
  if (!def.dirs.has(dir)) return undefined;
  const prefix = `${dir}/`;
  const names = new Set<string>();
  for (const p of [...def.files.keys(), ...def.dirs]) {
    const rest = p.slice(prefix.length);
    if (p.startsWith(prefix) && !rest.includes('/') && !rest.startsWith('.')) names.add(rest);
  }
  return [...names].sort();
}

/** The names in a list file, without warnings: what s6-rc-compile reads from it. */
function listOf(def: S6rcDefinition, file: string): string[] {
  const bytes = def.files.get(file);
  const content = bytes ? decode(bytes) : undefined;
  if (content === undefined) return [];
  const names: string[] = [];
  for (const line of content.split('\n')) {
    const name = line.replace(/^[ \t]+/, '');
    if (name !== '' && !name.startsWith('#')) names.push(name);
  }
  return [...new Set(names)];
}

function firstLineOf(def: S6rcDefinition, file: string): string | undefined {
  return listOf(def, file)[0];
}

function references(ctx: DefinitionContext, names: { name: string; file: string }[]): string {
  const refs: string[] = [];
  for (const { name: n, file } of names) {
    const t = ctx.types.get(n);
    if (!t) {
      ctx.warn(file, `"${n}" is not defined in the imported tree (s6-rc-compile would reject it as an undefined service name); the reference was dropped`);
      continue;
    }
    refs.push(ctx.refText(t, n));
  }
  return `[${refs.join(', ')}]`;
}

function pipelineRef(ctx: DefinitionContext, name: string, file: string): string | undefined {
  const t = ctx.types.get(name);
  if (t === 'longrun') return ctx.refText(t, name);
  ctx.warn(file, `"${name}" is ${t ? `a ${t}` : 'not defined in the imported tree'}, and pipelines join longruns only (s6-rc-compile would reject it); the reference was dropped`);
  return undefined;
}

function envDir(ctx: DefinitionContext): HclAttr[] {
  const out: HclAttr[] = [];
  for (const [p, bytes] of sortedFiles(ctx.def, 'env/')) {
    const key = p.slice('env/'.length);
    if (key.includes('/')) {
      ctx.warn(p, 's6-envdir reads no subdirectories; not imported');
      continue;
    }
    const content = decode(bytes);
    if (content === undefined) {
      ctx.warn(p, 'not UTF-8 text; not imported');
      continue;
    }
    if (content === '') {
      ctx.warn(p, `an empty file unsets ${key} in s6-envdir; rcform env cannot unset a variable, so it was not imported`);
      continue;
    }
    // s6-envdir: the first line, trailing spaces and tabs removed, NULs standing for newlines.
    const value = (content.split('\n')[0] as string).replace(/[ \t]+$/, '').replace(/\0/g, '\n');
    out.push([key, hclString(value)]);
  }
  return out;
}

function dataDir(ctx: DefinitionContext): HclAttr[] {
  const out: HclAttr[] = [];
  for (const [p, bytes] of sortedFiles(ctx.def, 'data/')) {
    const file = p.slice('data/'.length);
    if (!DATA_PATH.test(file)) {
      ctx.warn(p, `"${file}" is not a valid data path (names of letters, digits and _ . @ : + , = ~ -, none starting with a dot or a dash); not imported`);
      continue;
    }
    const content = decode(bytes);
    if (content === undefined) {
      ctx.warn(p, 'binary content cannot be written in HCL; not imported');
      continue;
    }
    out.push([file, hclText(content)]);
  }
  for (const [p, target] of [...(ctx.def.links ?? [])].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (p.startsWith('data/')) ctx.warn(p, `a symbolic link (to ${target}), which rcform data (files by path) cannot hold, and is not followed; not imported`);
    else if (p.startsWith('env/')) ctx.warn(p, `a symbolic link (to ${target}), not followed out of the definition; not imported`);
  }
  for (const d of [...ctx.def.dirs].sort()) {
    if (d.startsWith('data/') && ![...ctx.def.files.keys(), ...ctx.def.dirs, ...(ctx.def.links?.keys() ?? [])].some((f) => f.startsWith(d + '/'))) {
      ctx.warn(d, 'an empty directory, which rcform data (files by path) cannot hold; not imported');
    }
  }
  return out;
}

function script(ctx: DefinitionContext, file: string, content: string): string {
  if (!content.startsWith('#!')) {
    ctx.warn(file, 'has no #! line, so s6-supervise could not execute it; imported as a /bin/sh script');
    return hclText(`#!/bin/sh\n${content.endsWith('\n') || content === '' ? content : content + '\n'}`);
  }
  return hclText(content);
}

/**
 * A oneshot's up or down file is a command line for the execlineb lexer. Plain words become an argv
 * list, exactly what the lexer would produce; anything using execline syntax (quotes, braces,
 * variables, comments, several lines) is kept whole as an execlineb script.
 */
function execlineCommand(content: string): string {
  const trimmed = content.trim();
  if (trimmed !== '' && /^[A-Za-z0-9_@%+=:,./-]+(?:[ \t]+[A-Za-z0-9_@%+=:,./-]+)*$/.test(trimmed)) {
    return `[${trimmed.split(/[ \t]+/).map(hclString).join(', ')}]`;
  }
  return hclText(`#!/bin/execlineb -P\n${content.endsWith('\n') ? content : content + '\n'}`);
}

function text(ctx: DefinitionContext, file: string): string | undefined {
  const bytes = ctx.def.files.get(file);
  if (!bytes) return undefined;
  const s = decode(bytes);
  if (s === undefined) ctx.warn(file, 'not UTF-8 text; not imported');
  return s;
}

function firstLine(ctx: DefinitionContext, file: string): string | undefined {
  const s = text(ctx, file);
  if (s === undefined) return undefined;
  const line = s.split('\n').map((l) => l.trim()).find((l) => l !== '');
  if (line === undefined) ctx.warn(file, 'is empty; ignored');
  return line;
}

function integer(ctx: DefinitionContext, file: string): number | undefined {
  const s = text(ctx, file)?.trim();
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) {
    ctx.warn(file, `"${s}" is not a non-negative integer; not imported`);
    return undefined;
  }
  return Number(s);
}

function decode(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function topLevelEntries(def: S6rcDefinition): string[] {
  const top = new Set<string>();
  for (const p of [...def.files.keys(), ...def.dirs]) top.add(p.split('/')[0] as string);
  return [...top].filter((e) => !e.startsWith('.')).sort();
}

function sortedFiles(def: S6rcDefinition, prefix: string): [string, Uint8Array][] {
  return [...def.files.entries()].filter(([p]) => p.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function unknownMessage(type: S6Type, entry: string): string {
  switch (entry) {
    case 'flag-recommended':
      return 'flag-recommended only matters to s6-rc repositories; not imported';
    case 'nosetsid':
      return 's6-rc-compile does not copy nosetsid, and s6-supervise (2.11 on) starts every service in a new session whatever it says; so do both rcform engines; not imported';
    case 'log':
      return 's6-rc ignores log/ in a definition; declare the logger as its own longrun with consumer_for';
    case 'env':
    case 'data':
      return `only longruns carry ${entry}/; a ${type} definition's ${entry}/ was not imported`;
    default:
      return `s6-rc-compile does not read ${entry} in a ${type} definition; not imported`;
  }
}
