import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagList, type CommandContext } from './command.js';
import type { Diagnostic } from '../lang/diagnostic.js';
import { decodeUtf8 } from '../lang/hcl/utf8.js';
import type { VarInput } from '../lang/config/decode.js';
import { compileSources, parseVarFile, type CompileSourcesResult, type SourceFile } from '../lang/compile/compile-sources.js';
import { logDebug } from './log.js';
import { append } from '../lang/append.js';

// Reading a configuration directory for validate, compile, plan and graph: every *.hcl file in
// DIR (sorted, not recursive, as Terraform reads *.tf), and variable values from, in increasing
// precedence, RCFORM_VAR_NAME, the variable files DIR holds (rcform.tfvars, then *.auto.tfvars in
// name order: Terraform's terraform.tfvars and *.auto.tfvars, loaded without being named), --var-file
// FILE (HCL) and --var NAME=VALUE. Their extension is not .hcl, so they are never read as source.

export { SOURCE_FLAGS } from './source-flags.js';

export const ENV_VAR_PREFIX = 'RCFORM_VAR_';
export const DEFAULT_VAR_FILE = 'rcform.tfvars';
export const AUTO_VAR_FILE_SUFFIX = '.auto.tfvars';

export interface LoadedSource {
  /** The directory as the user gave it. */
  dir: string;
  files: SourceFile[];
  inputs: VarInput[];
  /** Syntax errors in var files. */
  diagnostics: Diagnostic[];
  /** Var files' text, for snippets. */
  varFileSources: Record<string, string>;
}

export function loadSource(ctx: CommandContext, dirArg = ctx.positionals[0] ?? '.'): LoadedSource {
  const abs = path.resolve(ctx.io.cwd, dirArg);
  let names: string[];
  let autoVarFiles: string[];
  try {
    const entries = fs.readdirSync(abs, { withFileTypes: true }).filter((e) => e.isFile());
    names = entries.filter((e) => e.name.endsWith('.hcl')).map((e) => e.name);
    const auto = entries.filter((e) => e.name.endsWith(AUTO_VAR_FILE_SUFFIX) && e.name.length > AUTO_VAR_FILE_SUFFIX.length).map((e) => e.name).sort();
    autoVarFiles = [...(entries.some((e) => e.name === DEFAULT_VAR_FILE) ? [DEFAULT_VAR_FILE] : []), ...auto];
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new CliError(`${dirArg}: no such directory`);
    if (e.code === 'ENOTDIR') throw new CliError(`${dirArg} is not a directory: give the directory that holds the .hcl files`);
    throw new CliError(`cannot read ${dirArg}: ${e.message}`);
  }
  names.sort();
  if (names.length === 0) throw new CliError(`${dirArg} contains no .hcl files`);
  logDebug(`read ${names.length} .hcl file${names.length === 1 ? '' : 's'} from ${abs}${autoVarFiles.length ? `, and the variable files ${autoVarFiles.join(', ')}` : ''}`);
  const files: SourceFile[] = names.map((n) => {
    const filename = path.join(dirArg, n);
    try {
      return { filename, source: decodeUtf8(fs.readFileSync(path.join(abs, n))) };
    } catch (err) {
      throw new CliError(`cannot read ${filename}: ${(err as Error).message}`);
    }
  });

  const inputs: VarInput[] = [];
  const diagnostics: Diagnostic[] = [];
  const varFileSources: Record<string, string> = {};
  for (const key of Object.keys(ctx.io.env).sort()) {
    if (!key.startsWith(ENV_VAR_PREFIX) || key.length === ENV_VAR_PREFIX.length) continue;
    inputs.push({ name: key.slice(ENV_VAR_PREFIX.length), origin: 'env', raw: ctx.io.env[key] ?? '', label: key });
  }
  const varFiles = [...autoVarFiles.map((n) => ({ shown: path.join(dirArg, n), abs: path.join(abs, n) })), ...flagList(ctx, 'var-file').map((f) => ({ shown: f, abs: path.resolve(ctx.io.cwd, f) }))];
  for (const { shown: file, abs: fileAbs } of varFiles) {
    let text: string;
    try {
      text = decodeUtf8(fs.readFileSync(fileAbs));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliError(`cannot read variable file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    }
    const r = parseVarFile(text, file);
    varFileSources[file] = r.source;
    append(diagnostics, r.diagnostics);
    append(inputs, r.inputs);
  }
  for (const v of flagList(ctx, 'var')) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new CliError(`--var takes NAME=VALUE, not "${v}"`);
    const name = v.slice(0, eq);
    inputs.push({ name, origin: 'cli', raw: v.slice(eq + 1), label: `--var ${name}` });
  }
  return { dir: dirArg, files, inputs, diagnostics, varFileSources };
}

/** Loads DIR and compiles it: what validate, compile, plan and graph all start with. */
export function loadAndCompile(ctx: CommandContext, dirArg?: string, opts: { allowUnsetVariables?: boolean } = {}): CompileSourcesResult & { dir: string } {
  const src = loadSource(ctx, dirArg);
  const started = performance.now();
  const r = compileSources(src.files, { inputs: src.inputs, ...(opts.allowUnsetVariables ? { allowUnsetVariables: true } : {}) });
  logDebug(`compiled ${src.files.length} file${src.files.length === 1 ? '' : 's'}: ${r.db ? `${Object.keys(r.db.services).length} services` : 'no database'}, ${r.diagnostics.length} diagnostics, in ${(performance.now() - started).toFixed(0)} ms`);
  const out: CompileSourcesResult & { dir: string } = { ...r, dir: src.dir, sources: { ...r.sources, ...src.varFileSources } };
  if (src.diagnostics.length) {
    out.diagnostics = [...src.diagnostics, ...r.diagnostics];
    if (src.diagnostics.some((d) => d.severity === 'error')) {
      delete out.db;
      delete out.chunks;
    }
  }
  return out;
}
