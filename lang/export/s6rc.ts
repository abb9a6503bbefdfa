import type { Command, CompiledBundle, CompiledDb, CompiledLongrun, CompiledOneshot } from '../compile/compiled-db.js';

// Writing a compiled database back out as an s6-rc source tree (the input of s6-rc-compile), so
// that services described in HCL, and planned with rcform, can still boot from s6-rc. Pure: the
// result is every definition directory as files, which `rcform export s6-rc` writes. What s6-rc's
// source format cannot say is a warning naming the service, never silence (docs/tools.md#export).

/** A file of a definition directory: its path in it ('/'-separated) and content. */
export interface ExportFile {
  path: string;
  content: string;
  /** run and finish scripts are executable, as s6-supervise needs them. */
  executable: boolean;
}

export interface ExportWarning {
  /** The service's address, `longrun.app`. */
  service: string;
  message: string;
}

export interface ExportResult {
  /** Definition directory name (the s6-rc service name) → its files, sorted by path. */
  definitions: Map<string, ExportFile[]>;
  warnings: ExportWarning[];
}

/** s6's defaults: a file holding one of these values is left out, as s6-rc would assume it. */
const S6_DEFAULT_FINISH_MS = 5000;
const S6_DEFAULT_DEATH_TALLY = 100;
const S6_DEFAULT_DOWN_SIGNAL = 'SIGTERM';

/** The shebang the importer gives a oneshot command line that needs execline syntax. */
const EXECLINE_SHEBANG = '#!/bin/execlineb -P\n';

export function exportS6rc(db: CompiledDb): ExportResult {
  const definitions = new Map<string, ExportFile[]>();
  const warnings: ExportWarning[] = [];
  // s6-rc-compile makes these bundles itself from each last consumer's pipeline-name.
  const pipelineBundles = new Set<string>();
  for (const s of Object.values(db.services)) if (s.type === 'longrun' && s.pipeline_name !== undefined) pipelineBundles.add(s.pipeline_name);

  for (const name of Object.keys(db.services).sort()) {
    const svc = db.services[name] as CompiledLongrun | CompiledOneshot;
    const warn = (message: string): void => {
      warnings.push({ service: svc.address, message });
    };
    const files = svc.type === 'longrun' ? longrunFiles(svc, warn) : oneshotFiles(svc, warn);
    files.push(...listDir('dependencies.d', svc.dependencies));
    if (svc.essential) files.push(plain('flag-essential', ''));
    definitions.set(name, sortFiles(files));
  }
  for (const name of Object.keys(db.bundles).sort()) {
    if (pipelineBundles.has(name)) continue;
    definitions.set(name, sortFiles(bundleFiles(db.bundles[name] as CompiledBundle)));
  }
  return { definitions, warnings };
}

function bundleFiles(b: CompiledBundle): ExportFile[] {
  // An empty contents.d/ would be an empty directory, which a file list cannot hold.
  const files = [plain('type', 'bundle\n'), ...(b.contents.length ? listDir('contents.d', b.contents) : [plain('contents', '')])];
  if (b.essential) files.push(plain('flag-essential', ''));
  return files;
}

function longrunFiles(svc: CompiledLongrun, warn: (m: string) => void): ExportFile[] {
  const files = [plain('type', 'longrun\n'), exe('run', runScript(svc, svc.run, 'run', warn))];
  if (svc.finish) files.push(exe('finish', runScript(svc, svc.finish, 'finish', warn)));
  if (svc.notification_fd !== undefined) files.push(plain('notification-fd', `${svc.notification_fd}\n`));
  if (svc.lock_fd !== undefined) files.push(plain('lock-fd', `${svc.lock_fd}\n`));
  files.push(...timeoutFiles(svc.timeouts));
  if (svc.timeouts.kill_ms !== 0) files.push(plain('timeout-kill', `${svc.timeouts.kill_ms}\n`));
  if (svc.timeouts.finish_ms !== S6_DEFAULT_FINISH_MS) files.push(plain('timeout-finish', `${svc.timeouts.finish_ms}\n`));
  if (svc.max_death_tally !== S6_DEFAULT_DEATH_TALLY) files.push(plain('max-death-tally', `${svc.max_death_tally}\n`));
  if (svc.down_signal !== S6_DEFAULT_DOWN_SIGNAL) files.push(plain('down-signal', `${svc.down_signal}\n`));
  if (svc.producer_for !== undefined) files.push(plain('producer-for', `${svc.producer_for}\n`));
  if (svc.consumer_for.length) files.push(plain('consumer-for', svc.consumer_for.map((c) => `${c}\n`).join('')));
  if (svc.pipeline_name !== undefined) files.push(plain('pipeline-name', `${svc.pipeline_name}\n`));
  for (const key of Object.keys(svc.env).sort()) {
    const file = envFile(svc.env[key] as string);
    if (file === undefined) warn(`env.${key}: a value with trailing spaces or tabs cannot be written as an s6-envdir file; not exported`);
    else files.push(plain(`env/${key}`, file));
  }
  for (const p of Object.keys(svc.data).sort()) files.push(plain(`data/${p}`, svc.data[p] as string));
  if (svc.down) warn('down = true: an s6-rc source definition has no down flag (s6-rc-compile ignores ./down); it is started whenever a bundle or change names it');
  return files;
}

function oneshotFiles(svc: CompiledOneshot, warn: (m: string) => void): ExportFile[] {
  const files = [plain('type', 'oneshot\n'), plain('up', oneshotLine(svc, svc.up))];
  if (svc.down) files.push(plain('down', oneshotLine(svc, svc.down)));
  files.push(...timeoutFiles(svc.timeouts));
  if (svc.input) warn('input: s6-rc runs oneshots without an operator to answer; the prompt is not exported');
  return files;
}

function timeoutFiles(t: { up_ms: number; down_ms: number }): ExportFile[] {
  const files: ExportFile[] = [];
  if (t.up_ms !== 0) files.push(plain('timeout-up', `${t.up_ms}\n`));
  if (t.down_ms !== 0) files.push(plain('timeout-down', `${t.down_ms}\n`));
  return files;
}

/**
 * A longrun's run or finish file. A script is written as it is: s6-supervise runs it in the
 * service directory, where its env/ and data/ are, and what rcform does around it (environment,
 * account, working directory) a script must then do itself. An argv becomes an execline script
 * doing exactly what rcform's engines do before the exec.
 */
function runScript(svc: CompiledLongrun, cmd: Command, which: 'run' | 'finish', warn: (m: string) => void): string {
  if ('script' in cmd) {
    const missing = [
      ...(Object.keys(svc.env).length && !/envdir/.test(cmd.script) ? ['env (its script does not read env/: s6-envdir env)'] : []),
      ...(svc.user !== undefined ? ['user'] : []),
      ...(svc.group !== undefined ? ['group'] : []),
      ...(svc.working_dir !== undefined ? ['working_dir'] : []),
    ];
    if (missing.length) warn(`${which} is a script, which s6-supervise runs as it is: ${missing.join(', ')} not applied`);
    return cmd.script;
  }
  const words = [
    // -L: plain s6-envdir cuts a value at 4095 bytes.
    ...(Object.keys(svc.env).length ? ['s6-envdir', '-L', './env'] : []),
    ...(svc.working_dir !== undefined ? ['cd', svc.working_dir] : []),
    ...privilegeWords(svc.user, svc.group),
    ...cmd.argv,
  ];
  return `${EXECLINE_SHEBANG}${words.map(execlineWord).join(' ')}\n`;
}

/**
 * A oneshot's up or down file: one execlineb command line. A script the importer wrapped in the
 * execlineb shebang is that command line again; any other script is fed to its interpreter.
 */
function oneshotLine(svc: CompiledOneshot, cmd: Command): string {
  const prefix = [...privilegeWords(svc.user, svc.group), ...envWords(svc.env)].map(execlineWord);
  if ('script' in cmd && cmd.script.startsWith(EXECLINE_SHEBANG)) {
    const body = cmd.script.slice(EXECLINE_SHEBANG.length);
    return prefix.length ? `${prefix.join(' ')}\n${body}` : body;
  }
  const words = 'argv' in cmd ? cmd.argv : ['heredoc', '0', cmd.script, ...interpreter(cmd.script), '/dev/stdin'];
  return `${[...prefix, ...words.map(execlineWord)].join(' ')}\n`;
}

/** The interpreter and its one optional argument, as the kernel reads a #! line. */
function interpreter(script: string): string[] {
  const line = (script.split('\n')[0] as string).slice(2).trim();
  const space = line.search(/[ \t]/);
  return space < 0 ? [line] : [line.slice(0, space), line.slice(space).trim()];
}

function envWords(env: Record<string, string>): string[] {
  const keys = Object.keys(env).sort();
  return keys.length ? ['env', ...keys.map((k) => `${k}=${env[k]}`)] : [];
}

/** The same account change as the s6 engine's launcher (engine/s6/service-dir.ts), with s6's tools. */
function privilegeWords(user: string | undefined, group: string | undefined): string[] {
  if (user && group) return ['s6-envuidgid', '-u', user, 's6-envuidgid', '-g', group, 'env', 'GIDLIST=', 's6-applyuidgid', '-zU'];
  if (user) return ['s6-setuidgid', user];
  if (group) return ['s6-envuidgid', '-g', group, 'env', 'UID=0', 'GIDLIST=', 's6-applyuidgid', '-zU'];
  return [];
}

/** One word for the execlineb lexer: bare when it is plain, else double-quoted with C escapes. */
export function execlineWord(w: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  let out = '"';
  for (const c of w) {
    if (c === '\\' || c === '"') out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else out += c;
  }
  return out + '"';
}

/**
 * An s6-envdir file for a value, read back as it: the first line, trailing spaces and tabs
 * removed, NULs standing for newlines. An empty value is a lone newline (an empty file would
 * unset the variable). undefined when the reading would change the value.
 */
function envFile(value: string): string | undefined {
  if (/[ \t]$/.test(value) || value.includes('\0')) return undefined;
  return `${value.replace(/\n/g, '\0')}\n`;
}

function listDir(dir: string, names: readonly string[]): ExportFile[] {
  return [...new Set(names)].map((n) => plain(`${dir}/${n}`, ''));
}

function plain(path: string, content: string): ExportFile {
  return { path, content, executable: false };
}

function exe(path: string, content: string): ExportFile {
  return { path, content, executable: true };
}

function sortFiles(files: ExportFile[]): ExportFile[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
