import type { Diagnostic } from '../diagnostic.js';
import { hasErrors } from '../diagnostic.js';
import type { Expression, File } from '../hcl/ast.js';
import { parseHcl } from '../hcl/parser.js';
import { Decoder, type DecodeOptions, type VarInput } from '../config/decode.js';
import type { Model } from '../config/model.js';
import { compileModel } from './compile-model.js';
import type { CompiledDb } from './compiled-db.js';
import { append } from '../append.js';

// The one entry point from source text to compiled database, used by validate, compile, plan and
// graph: parse and decode every file, then check and compile. Pure: callers read the files.

export interface SourceFile {
  /** As shown in diagnostics, e.g. `services/web.hcl`. */
  filename: string;
  source: string;
}

export interface CompileSourcesOptions {
  /** Variable values from outside, in increasing precedence (environment, var files, --var). */
  inputs?: VarInput[];
  /** Required variables may go without values (validate): see DecodeOptions. */
  allowUnsetVariables?: boolean;
}

export interface CompileSourcesResult {
  /** Present only when there are no errors. */
  db?: CompiledDb;
  /** The bytes of db's file as `rcform compile` writes it, in pieces; with db. */
  chunks?: string[];
  diagnostics: Diagnostic[];
  /** filename → source text, for rendering snippets of the diagnostics. */
  sources: Record<string, string>;
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
  const syntax: Diagnostic[] = [];
  const decodeOpts: DecodeOptions = { parseExpression };
  if (opts.inputs) decodeOpts.inputs = opts.inputs;
  if (opts.allowUnsetVariables) decodeOpts.allowUnsetVariables = true;
  const decoder = new Decoder(decodeOpts);
  const parse = (f: SourceFile): File => {
    const r = parseHcl(f.source, f.filename);
    sources[f.filename] = r.file.source;
    append(syntax, r.diagnostics);
    return r.file;
  };
  // Files are decoded one at a time and their trees dropped, so that a large tree never holds all
  // its syntax trees at once (together they would be most of compile's memory and, through the
  // garbage collector, of its time). Only files that may declare variables or locals, which any
  // service can use, are parsed first and kept until the end of the declarations.
  const sorted = [...files].sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
  const early = new Map<string, File>();
  for (const f of sorted) if (Decoder.mayDeclare(f.source)) early.set(f.filename, parse(f));
  // Nothing is decoded from a half-parsed file: after a syntax error the rest is only parsed.
  // Each phase's diagnostics are reported together, files in name order within a phase, whatever
  // order the files were decoded in: each file's structure, the declarations, each file's
  // services, the moved blocks.
  const structure = new Map<string, Diagnostic[]>();
  const services = new Map<string, Diagnostic[]>();
  if (!hasErrors(syntax)) for (const file of early.values()) structure.set(file.filename, decoder.declare(file));
  const declarations = decoder.endDeclarations();
  for (const f of sorted) {
    const ahead = early.get(f.filename);
    const file = ahead ?? parse(f);
    if (hasErrors(syntax)) continue;
    if (!ahead) structure.set(file.filename, decoder.declare(file));
    services.set(file.filename, decoder.decodeFile(file));
  }
  early.clear();
  // Syntax errors first and alone: evaluating a half-parsed file would only add noise. Parse
  // diagnostics come in the files' order whichever were parsed first.
  const order = new Map(sorted.map((f, i) => [f.filename, i]));
  const bySource = (d: Diagnostic): number => (d.subject ? (order.get(d.subject.filename) ?? -1) : -1);
  syntax.sort((a, b) => bySource(a) - bySource(b));
  if (hasErrors(syntax)) return { diagnostics: syntax, sources };
  const { model, diagnostics: moved } = decoder.finish();
  const byFile = (m: Map<string, Diagnostic[]>): Diagnostic[] => [...m.keys()].sort().flatMap((k) => m.get(k) as Diagnostic[]);
  const r = compileModel(model, [...byFile(structure), ...declarations, ...byFile(services), ...moved]);
  const out: CompileSourcesResult = { diagnostics: [...syntax, ...r.diagnostics], sources, model };
  if (r.db && r.chunks) {
    out.db = r.db;
    out.chunks = r.chunks;
  }
  return out;
}
