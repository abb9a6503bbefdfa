import type { Diagnostic } from '../../lang/diagnostic.js';
import type { Expression } from '../../lang/hcl/ast.js';
import { compileFiles, type CompileFilesResult } from '../../lang/compile/compile-files.js';
import type { VarInput } from '../../lang/config/decode.js';
import { Evaluator } from '../../lang/eval/evaluate.js';
import { toJson, type Value } from '../../lang/eval/value.js';
import { miniParse } from './mini-hcl.js';

// Helpers for the language tests: compile HCL text, and evaluate one expression.

export function compileText(files: Record<string, string>, inputs: VarInput[] = []): CompileFilesResult {
  const parsed = Object.entries(files).map(([name, src]) => miniParse(src, name));
  return compileFiles(parsed, { inputs, parseExpression: (text, filename) => ({ expr: exprOf(text, filename), diagnostics: [] }) });
}

export function exprOf(text: string, filename = 'expr.hcl'): Expression {
  const f = miniParse(`v = ${text}`, filename);
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
