import fs from 'node:fs';
import path from 'node:path';

// The layer rule of docs/development.md, checked over source text: every import goes down the
// order (or sideways inside a folder), and the pure layers reach no I/O, process or clock. A
// small lexer rather than the TypeScript API (the native compiler has none): comments, strings,
// template literals and regular expressions are told apart from code, so a word in a comment or
// a message is never taken for a use.

/** Bottom to top. An import may only name its own folder or one listed before it. */
export const LAYERS = ['lang', 'state', 'planner', 'engine', 'operation', 'cli'] as const;
/** Folders any layer may import, which themselves import no layer. */
export const LEAVES = ['schemas'] as const;
/** Layers whose modules, and every module of a layer they import, must be pure. */
export const PURE = ['lang', 'planner'] as const;

/**
 * Node modules a pure module may not import: files, processes, the network, the host, the clock.
 * `crypto` is not among them (a hash of given bytes is a value); `path` and `url` are, since
 * `path.resolve` and `pathToFileURL` read the working directory.
 */
export const IMPURE_MODULES = new Set([
  'fs', 'fs/promises', 'child_process', 'net', 'dgram', 'dns', 'dns/promises', 'http', 'https', 'http2', 'tls',
  'os', 'process', 'worker_threads', 'cluster', 'readline', 'readline/promises', 'tty', 'perf_hooks',
  'timers', 'timers/promises', 'inspector', 'module', 'v8', 'vm', 'path', 'url', 'stream', 'stream/promises',
]);

export interface Token {
  kind: 'ident' | 'string' | 'template' | 'punct';
  text: string;
  line: number;
}

export interface ImportRef {
  specifier: string;
  line: number;
  /** `import type` / `export type`: erased from the output, but still a dependency between layers. */
  typeOnly: boolean;
  dynamic: boolean;
}

export interface Violation {
  file: string;
  line: number;
  message: string;
}

const IDENT_START = /[A-Za-z_$]/;
const IDENT_PART = /[A-Za-z0-9_$]/;
/** After these a `/` starts a regular expression, not a division. */
const REGEX_AFTER_PUNCT = new Set(['(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^', '=>', '==', '===', '!=', '!==', '&&', '||', '??']);
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'new', 'delete', 'void', 'throw', 'yield', 'await']);

/** Tokens of TypeScript source: identifiers, string literals (their value), template literals, punctuation. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  /** Template literal nesting: for each open `${`, the brace depth at which it closes. */
  const templateDepth: number[] = [];
  let braces = 0;
  const prevAllowsRegex = (): boolean => {
    const p = out[out.length - 1];
    if (!p) return true;
    if (p.kind === 'punct') return REGEX_AFTER_PUNCT.has(p.text);
    if (p.kind === 'ident') return REGEX_AFTER_WORD.has(p.text);
    return false;
  };
  const readTemplate = (startLine: number): void => {
    // i is just past the opening backtick or a closing `}` of a substitution.
    let text = '';
    while (i < src.length) {
      const c = src[i] as string;
      if (c === '\\') {
        text += src.slice(i, i + 2);
        i += 2;
        continue;
      }
      if (c === '\n') line++;
      if (c === '`') {
        i++;
        out.push({ kind: 'template', text, line: startLine });
        return;
      }
      if (c === '$' && src[i + 1] === '{') {
        i += 2;
        out.push({ kind: 'template', text, line: startLine });
        templateDepth.push(braces);
        braces++;
        return;
      }
      text += c;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i] as string;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') {
          text += src[i + 1] ?? '';
          i += 2;
          continue;
        }
        text += src[i];
        i++;
      }
      i++;
      out.push({ kind: 'string', text, line });
      continue;
    }
    if (c === '`') {
      i++;
      readTemplate(line);
      continue;
    }
    if (c === '}' && templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces - 1) {
      templateDepth.pop();
      braces--;
      i++;
      readTemplate(line);
      continue;
    }
    if (c === '/' && prevAllowsRegex()) {
      let inClass = false;
      i++;
      while (i < src.length && src[i] !== '\n') {
        const r = src[i] as string;
        if (r === '\\') {
          i += 2;
          continue;
        }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < src.length && IDENT_PART.test(src[i] as string)) i++;
      out.push({ kind: 'string', text: '<regexp>', line });
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < src.length && IDENT_PART.test(src[j] as string)) j++;
      out.push({ kind: 'ident', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[0-9A-Za-z_.]/.test(src[j] as string)) j++;
      out.push({ kind: 'punct', text: '<number>', line });
      i = j;
      continue;
    }
    const three = src.slice(i, i + 3);
    const two = src.slice(i, i + 2);
    const op = ['===', '!==', '...', '**='].includes(three) ? three : ['=>', '==', '!=', '&&', '||', '??', '?.', '<=', '>=', '++', '--'].includes(two) ? two : c;
    if (op === '{') braces++;
    if (op === '}') braces--;
    out.push({ kind: 'punct', text: op, line });
    i += op.length;
  }
  return out;
}

/** Every module specifier a source names: static imports and re-exports, side-effect imports, `import()`. */
export function importsOf(tokens: readonly Token[]): ImportRef[] {
  const refs: ImportRef[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'ident' || (t.text !== 'import' && t.text !== 'export')) continue;
    const prev = tokens[i - 1];
    if (prev && prev.kind === 'punct' && (prev.text === '.' || prev.text === '?.')) continue;
    const next = tokens[i + 1];
    if (t.text === 'import' && next?.kind === 'punct' && next.text === '(') {
      const arg = tokens[i + 2];
      const close = tokens[i + 3];
      if (arg?.kind === 'string' && close?.kind === 'punct' && (close.text === ')' || close.text === ',')) {
        refs.push({ specifier: arg.text, line: t.line, typeOnly: false, dynamic: true });
      } else {
        // A computed specifier cannot be checked, so it is refused as a violation of its own.
        refs.push({ specifier: '<computed>', line: t.line, typeOnly: false, dynamic: true });
      }
      continue;
    }
    if (t.text === 'import' && next?.kind === 'punct' && next.text === '.') continue; // import.meta
    if (t.text === 'import' && next?.kind === 'string') {
      refs.push({ specifier: next.text, line: t.line, typeOnly: false, dynamic: false });
      continue;
    }
    // A declaration `import … from 'x'` / `export … from 'x'`: scan to its `from` within the statement.
    const typeOnly = next?.kind === 'ident' && next.text === 'type' && tokens[i + 2]?.text !== 'from';
    let depth = 0;
    for (let j = i + 1; j < tokens.length; j++) {
      const u = tokens[j] as Token;
      if (u.kind === 'punct' && u.text === '{') depth++;
      else if (u.kind === 'punct' && u.text === '}') {
        depth--;
        // `export { a }` ends here unless a `from` follows.
        if (depth === 0 && tokens[j + 1]?.text !== 'from') break;
      }
      else if (depth === 0 && u.kind === 'punct' && (u.text === ';' || u.text === '(' || u.text === '=')) break;
      else if (depth === 0 && u.kind === 'ident' && u.text === 'from' && tokens[j + 1]?.kind === 'string') {
        refs.push({ specifier: (tokens[j + 1] as Token).text, line: t.line, typeOnly, dynamic: false });
        break;
      }
      // `export const x`, `export function f`: not a re-export.
      if (depth === 0 && u.kind === 'ident' && j === i + 1 && ['const', 'let', 'var', 'function', 'class', 'interface', 'enum', 'default', 'abstract', 'async', 'declare', 'namespace'].includes(u.text)) break;
      if (depth === 0 && u.kind === 'ident' && j === i + 2 && typeOnly && tokens[j - 1]?.text === 'type' && tokens[j + 1]?.text === '=') break;
    }
  }
  return refs;
}

/** Uses of the process, the clock, timers, the console or randomness in code (not in comments or strings). */
export function impureGlobalsOf(tokens: readonly Token[]): Array<{ line: number; what: string }> {
  const uses: Array<{ line: number; what: string }> = [];
  const isMember = (i: number): boolean => {
    const p = tokens[i - 1];
    return !!p && p.kind === 'punct' && (p.text === '.' || p.text === '?.');
  };
  const isKey = (i: number): boolean => {
    // `{ process: … }`, `a.process`, a parameter or property named so: not the global.
    const n = tokens[i + 1];
    const p = tokens[i - 1];
    return !!n && n.kind === 'punct' && (n.text === ':' || n.text === '?') && !!p && p.kind === 'punct' && (p.text === '{' || p.text === ',');
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'ident' || isMember(i) || isKey(i)) continue;
    const n1 = tokens[i + 1];
    const n2 = tokens[i + 2];
    const n3 = tokens[i + 3];
    switch (t.text) {
      case 'process':
      case 'performance':
      case 'setTimeout':
      case 'setInterval':
      case 'setImmediate':
      case 'queueMicrotask':
      case 'fetch':
      case 'console':
      // Ways around the rules above: the global object, and CommonJS loading.
      case 'globalThis':
      case 'require':
        uses.push({ line: t.line, what: t.text });
        break;
      case 'Date':
        if (n1?.text === '.' && n2?.text === 'now') uses.push({ line: t.line, what: 'Date.now()' });
        else if (tokens[i - 1]?.text === 'new' && n1?.text === '(' && n2?.text === ')') uses.push({ line: t.line, what: 'new Date()' });
        else if (tokens[i - 1]?.text !== 'new' && n1?.text === '(' && tokens[i - 1]?.text !== ':') uses.push({ line: t.line, what: 'Date()' });
        break;
      case 'Math':
        if (n1?.text === '.' && n2?.text === 'random' && n3?.text === '(') uses.push({ line: t.line, what: 'Math.random()' });
        break;
      default:
    }
  }
  return uses;
}

/** The folder a repository-relative path belongs to: its first segment. */
export function folderOf(rel: string): string {
  return rel.split('/')[0] as string;
}

function resolveRelative(from: string, specifier: string, files: ReadonlyMap<string, string>): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = base.replace(/\.(js|jsx|mjs)$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, base]) if (files.has(candidate)) return candidate;
  return undefined;
}

/** The Node module an import names, if it is one a pure module may not use. */
function impureNodeModule(specifier: string): string | undefined {
  const name = specifier.replace(/^node:/, '');
  return IMPURE_MODULES.has(name) || IMPURE_MODULES.has(name.split('/')[0] as string) ? name : undefined;
}

/**
 * The violations in a tree given as repository-relative path → source text. Files outside the
 * layers and leaves (test/, bench/) are not checked as importers: they sit on top of everything.
 */
export function checkLayers(files: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const layered = new Set<string>([...LAYERS, ...LEAVES]);
  const rank = (folder: string): number => (LAYERS as readonly string[]).indexOf(folder);
  const deps = new Map<string, string[]>();
  const tokensOf = new Map<string, Token[]>();

  for (const [file, src] of files) {
    const folder = folderOf(file);
    if (!layered.has(folder)) continue;
    const tokens = tokenize(src);
    tokensOf.set(file, tokens);
    const local: string[] = [];
    for (const ref of importsOf(tokens)) {
      if (ref.specifier === '<computed>') {
        violations.push({ file, line: ref.line, message: 'import() of a computed specifier: the layer rule cannot check it' });
        continue;
      }
      if (!ref.specifier.startsWith('.')) {
        const impure = impureNodeModule(ref.specifier);
        if (impure !== undefined) deps.set(file, [...(deps.get(file) ?? []), `node:${impure}@${ref.line}`]);
        continue;
      }
      const target = resolveRelative(file, ref.specifier, files);
      if (target === undefined) {
        violations.push({ file, line: ref.line, message: `import of ${ref.specifier}: no such source file` });
        continue;
      }
      local.push(target);
      const to = folderOf(target);
      if (to === folder) continue;
      if ((LEAVES as readonly string[]).includes(folder)) {
        violations.push({ file, line: ref.line, message: `${folder}/ is a leaf, but imports ${target}` });
        continue;
      }
      if ((LEAVES as readonly string[]).includes(to)) continue;
      if (!layered.has(to)) {
        violations.push({ file, line: ref.line, message: `imports ${target}, which is outside the source layers` });
        continue;
      }
      if (rank(to) > rank(folder)) {
        violations.push({ file, line: ref.line, message: `${folder}/ imports ${target}: ${to}/ is above ${folder}/ (order: ${LAYERS.join(' < ')})` });
      }
    }
    deps.set(file, [...(deps.get(file) ?? []), ...local]);
  }

  // Purity: the pure layers' modules and every layered module they reach, leaves aside.
  const reached = new Map<string, string>();
  const stack: string[] = [];
  for (const file of tokensOf.keys()) {
    if ((PURE as readonly string[]).includes(folderOf(file))) {
      reached.set(file, file);
      stack.push(file);
    }
  }
  while (stack.length > 0) {
    const file = stack.pop() as string;
    for (const d of deps.get(file) ?? []) {
      if (d.startsWith('node:') || reached.has(d) || (LEAVES as readonly string[]).includes(folderOf(d))) continue;
      reached.set(d, reached.get(file) as string);
      stack.push(d);
    }
  }
  for (const [file, root] of reached) {
    const via = root === file ? '' : ` (reached from ${root})`;
    for (const d of deps.get(file) ?? []) {
      if (!d.startsWith('node:')) continue;
      const [mod, line] = d.split('@') as [string, string];
      violations.push({ file, line: Number(line), message: `imports ${mod} in a pure module${via}: ${PURE.join('/ and ')}/ do no I/O` });
    }
    for (const use of impureGlobalsOf(tokensOf.get(file) ?? [])) {
      violations.push({ file, line: use.line, message: `uses ${use.what} in a pure module${via}: ${PURE.join('/ and ')}/ touch no process, clock, console or randomness` });
    }
  }
  return violations.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}

/** The repository's layered sources: every .ts/.tsx under the layer and leaf folders, by relative path. */
export function readSourceTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (rel: string): void => {
    const abs = path.join(root, rel);
    for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (entry.name === 'generated' || entry.name === 'node_modules') continue;
        visit(child);
      } else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        files.set(child, fs.readFileSync(path.join(root, child), 'utf8'));
      }
    }
  };
  for (const folder of [...LAYERS, ...LEAVES]) if (fs.existsSync(path.join(root, folder))) visit(folder);
  return files;
}

export function formatViolations(vs: readonly Violation[]): string {
  return vs.map((v) => `${v.file}:${v.line}: ${v.message}`).join('\n');
}

/**
 * `format_version` given, typed or compared as a literal in source: each artefact's version is a
 * constant of the module that owns its format (lang/format-version.ts), so a bump is one edit.
 */
export function formatVersionLiterals(files: ReadonlyMap<string, string>): Violation[] {
  const out: Violation[] = [];
  for (const [file, src] of files) {
    const tokens = tokenize(src);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as Token;
      if (!((t.kind === 'ident' || t.kind === 'string') && t.text === 'format_version')) continue;
      const op = tokens[i + 1];
      const value = tokens[i + 2];
      if (!op || op.kind !== 'punct' || ![':', '=', '===', '!==', '==', '!='].includes(op.text) || !value) continue;
      if (value.kind === 'string' || value.kind === 'template' || value.text === '<number>') {
        out.push({ file, line: t.line, message: 'format_version as a literal: use the constant of the module that owns the format' });
      }
    }
  }
  return out;
}
