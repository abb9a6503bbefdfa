import { durationText } from '../compile/duration.js';
import { hclBlock, hclObject, hclString, hclText, isHclIdentifier, type HclAttr } from './hcl-writer.js';

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
  const renamed = new Map<string, string>();
  const taken = new Set(types.keys());
  for (const name of types.keys()) {
    if (isHclIdentifier(name)) continue;
    let candidate = name.replace(/[^A-Za-z0-9_-]/g, '_');
    if (!/^[A-Za-z_]/.test(candidate)) candidate = `_${candidate}`;
    while (taken.has(candidate)) candidate += '_';
    taken.add(candidate);
    renamed.set(name, candidate);
  }
  const hclName = (n: string): string => renamed.get(n) ?? n;

  const files = new Map<string, string>();
  for (const def of usable) {
    const type = types.get(def.name) as S6Type;
    if (renamed.has(def.name)) {
      warn(def, undefined, `the name "${def.name}" is not an HCL identifier; it is imported as "${hclName(def.name)}"`);
    }
    const ctx: DefinitionContext = { def, warn: (file, message) => warn(def, file, message), types, hclName };
    const attrs = type === 'bundle' ? bundleAttrs(ctx) : type === 'oneshot' ? oneshotAttrs(ctx) : longrunAttrs(ctx);
    for (const entry of topLevelEntries(def)) {
      if (!KNOWN[type].has(entry)) warn(def, entry, unknownMessage(type, entry));
    }
    const comment = `Imported from the s6-rc ${type} definition ${def.dir}.`;
    files.set(`${hclName(def.name)}.hcl`, hclBlock(type, [hclName(def.name)], attrs, comment));
  }
  return { files, warnings, renamed };
}

interface DefinitionContext {
  def: S6rcDefinition;
  warn(file: string | undefined, message: string): void;
  types: Map<string, S6Type>;
  hclName(n: string): string;
}

function bundleAttrs(ctx: DefinitionContext): HclAttr[] {
  const attrs: HclAttr[] = [['contents', references(ctx, nameList(ctx, 'contents'), 'contents')]];
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
  // s6-rc itself ignores a ./down file in a definition; rcform gives it the s6 meaning.
  if (ctx.def.files.has('down')) attrs.push(['down', 'true']);
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
  if (producer !== undefined) attrs.push(['producer_for', pipelineRef(ctx, producer, 'producer-for')]);
  const consumers = nameList(ctx, 'consumer-for', false);
  if (consumers.length) attrs.push(['consumer_for', `[${consumers.map((c) => pipelineRef(ctx, c, 'consumer-for')).join(', ')}]`]);
  const pipelineName = firstLine(ctx, 'pipeline-name');
  if (pipelineName !== undefined) attrs.push(['pipeline_name', hclString(pipelineName)]);
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
  if (deps.length) attrs.push(['depends_on', references(ctx, deps, 'dependencies')]);
  for (const [file, attr] of [['timeout-up', 'timeout_up'], ['timeout-down', 'timeout_down']] as const) {
    const ms = integer(ctx, file);
    if (ms !== undefined) attrs.push([attr, hclString(durationText(ms))]);
  }
  if (ctx.def.files.has('flag-essential')) attrs.push(['essential', 'true']);
  return attrs;
}

/** The names in FILE and in FILE.d/, as s6-rc-compile merges them, without duplicates. */
function nameList(ctx: DefinitionContext, file: string, withDir = true): string[] {
  const names: string[] = [];
  const content = text(ctx, file);
  if (content !== undefined) {
    for (const line of content.split('\n')) {
      const name = line.replace(/^[ \t]+/, '').replace(/[ \t\r]+$/, '');
      if (name !== '' && !name.startsWith('#')) names.push(name);
    }
  }
  if (withDir) {
    const prefix = `${file}.d/`;
    for (const p of [...ctx.def.files.keys(), ...ctx.def.dirs].sort()) {
      if (p.startsWith(prefix) && !p.slice(prefix.length).includes('/') && !p.slice(prefix.length).startsWith('.')) names.push(p.slice(prefix.length));
    }
  }
  return [...new Set(names)];
}

function references(ctx: DefinitionContext, names: string[], file: string): string {
  const refs: string[] = [];
  for (const n of names) {
    const t = ctx.types.get(n);
    if (!t) {
      ctx.warn(file, `"${n}" is not defined in the imported tree; the reference was dropped`);
      continue;
    }
    refs.push(`${t}.${ctx.hclName(n)}`);
  }
  return `[${refs.join(', ')}]`;
}

function pipelineRef(ctx: DefinitionContext, name: string, file: string): string {
  const t = ctx.types.get(name);
  if (t !== 'longrun') ctx.warn(file, `"${name}" is ${t ? `a ${t}` : 'not defined in the imported tree'}; pipelines join longruns only`);
  return `longrun.${ctx.hclName(name)}`;
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
