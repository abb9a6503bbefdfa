import type { Diagnostic } from '../../lang/diagnostic.js';
import { hasErrors } from '../../lang/diagnostic.js';
import type { Expression, File } from '../../lang/hcl/ast.js';
import { parseHcl } from '../../lang/hcl/parser.js';
import { compileSources, type CompileSourcesResult } from '../../lang/compile/compile-sources.js';
import type { Model } from '../../lang/config/model.js';
import type { VarInput } from '../../lang/config/decode.js';
import { Evaluator } from '../../lang/eval/evaluate.js';
import { toJson, type Value } from '../../lang/eval/value.js';

// Helpers for the language tests: compile HCL text, and evaluate one expression, all through the
// real parser. A syntax error in a test's own source is a mistake in the test, so it throws with
// the parser's diagnostics rather than letting the test assert on a half-parsed file.

function parseOrThrow(src: string, filename: string): File {
  const r = parseHcl(src, filename);
  if (hasErrors(r.diagnostics)) {
    const lines = r.diagnostics.map((d) => `${d.subject ? `${d.subject.filename}:${d.subject.start.line}:${d.subject.start.column}: ` : ''}${d.summary}: ${d.detail ?? ''}`);
    throw new Error(`test source does not parse:\n${lines.join('\n')}`);
  }
  return r.file;
}

/** Compiles through compileSources, as the CLI does (files decoded one at a time). */
export function compileText(files: Record<string, string>, inputs: VarInput[] = []): CompileSourcesResult & { model: Model } {
  for (const [name, src] of Object.entries(files)) parseOrThrow(src, name);
  const r = compileSources(Object.entries(files).map(([filename, source]) => ({ filename, source })), { inputs });
  return r as CompileSourcesResult & { model: Model };
}

export function exprOf(text: string, filename = 'expr.hcl'): Expression {
  const f = parseOrThrow(`v = ${text}\n`, filename);
  return (f.body.attributes[0] as { expr: Expression }).expr;
}

export function evalText(text: string, variables: Record<string, Value> = {}): { value: Value; json: unknown; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const value = new Evaluator({ variables: new Map(Object.entries(variables)), allowRefs: true }, diags).evaluate(exprOf(text));
  return { value, json: toJson(value), diags };
}

/** "line:col-line:col summary" for compact assertions on where a diagnostic points. */
export function at(d: Diagnostic): string {
  const r = d.subject;
  return r ? `${r.filename}:${r.start.line}:${r.start.column}-${r.end.line}:${r.end.column} ${d.summary}` : `- ${d.summary}`;
}
