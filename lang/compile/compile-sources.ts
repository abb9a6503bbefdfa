import type { Diagnostic } from '../diagnostic.js';
import { hasErrors } from '../diagnostic.js';
import type { Expression, File } from '../hcl/ast.js';
import { parseHcl } from '../hcl/parser.js';
import type { DecodeOptions, VarInput } from '../config/decode.js';
import type { Model } from '../config/model.js';
import { compileFiles } from './compile-files.js';
import type { CompiledDb } from './compiled-db.js';

// The one entry point from source text to compiled database, used by validate, compile, plan and
// graph: parse every file, then decode, check and compile. Pure: callers read the files.

export interface SourceFile {
  /** As shown in diagnostics, e.g. `services/web.hcl`. */
  filename: string;
  source: string;
}

export interface CompileSourcesOptions {
  /** Variable values from outside, in increasing precedence (environment, var files, --var). */
  inputs?: VarInput[];
}

export interface CompileSourcesResult {
  /** Present only when there are no errors. */
  db?: CompiledDb;
  diagnostics: Diagnostic[];
  /** filename → source text, for rendering snippets of the diagnostics. */
  sources: Record<string, string>;
  /** The parsed files (absent when parsing failed). */
  files?: File[];
  /** The decoded model (absent when parsing failed). */
  model?: Model;
}

/** Parses one expression (a --var value of a list, map or object type). */
export function parseExpression(text: string, filename: string): { expr?: Expression; diagnostics: Diagnostic[] } {
  const r = parseHcl(`value = ${text}\n`, filename);
  const attr = r.file.body.attributes[0];
  if (hasErrors(r.diagnostics) || !attr || attr.name !== 'value' || r.file.body.items.length !== 1) {
    return { diagnostics: r.diagnostics.length ? r.diagnostics : [{ severity: 'error', summary: 'Invalid value', detail: `"${text}" is not a single HCL expression.` }] };
  }
  return { expr: attr.expr, diagnostics: [] };
}

/** A --var-file: HCL attributes NAME = VALUE, each an input of origin `file`. */
export function parseVarFile(source: string, filename: string): { inputs: VarInput[]; diagnostics: Diagnostic[]; source: string } {
  const r = parseHcl(source, filename);
  const diagnostics = [...r.diagnostics];
  for (const b of r.file.body.blocks) {
    diagnostics.push({ severity: 'error', summary: 'Unexpected block in variable file', detail: 'A variable file contains only NAME = VALUE assignments.', subject: b.typeRange });
  }
  const inputs: VarInput[] = r.file.body.attributes.map((a) => ({ name: a.name, origin: 'file', expr: a.expr, label: filename }));
  return { inputs, diagnostics, source: r.file.source };
}

export function compileSources(files: readonly SourceFile[], opts: CompileSourcesOptions = {}): CompileSourcesResult {
  const sources: Record<string, string> = {};
  const parsed: File[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const f of files) {
    const r = parseHcl(f.source, f.filename);
    sources[f.filename] = r.file.source;
    parsed.push(r.file);
    diagnostics.push(...r.diagnostics);
  }
  // Syntax errors first and alone: evaluating a half-parsed file would only add noise.
  if (hasErrors(diagnostics)) return { diagnostics, sources };
  const decodeOpts: DecodeOptions = { parseExpression };
  if (opts.inputs) decodeOpts.inputs = opts.inputs;
  const r = compileFiles(parsed, decodeOpts);
  const out: CompileSourcesResult = { diagnostics: [...diagnostics, ...r.diagnostics], sources, files: parsed, model: r.model };
  if (r.db) out.db = r.db;
  return out;
}
