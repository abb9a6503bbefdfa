import { hasErrors, type Diagnostic } from '../diagnostic.js';
import { layoutTokenStream } from './format-layout.js';
import { fmtTokenStream } from './format-tokens.js';
import { parseHcl } from './parser.js';

export type FormatResult = { output: string } | { diagnostics: Diagnostic[] };

/**
 * Rewrites HCL source in the canonical style of `terraform fmt`. A file must parse before it is
 * formatted: on broken input a token-level formatter could make sweeping changes that are hard
 * to undo, so the parser's diagnostics are returned instead and the text is left alone.
 */
export function formatHcl(source: string, filename: string): FormatResult {
  const { diagnostics } = parseHcl(source, filename);
  if (hasErrors(diagnostics)) return { diagnostics };
  return { output: layoutTokenStream(fmtTokenStream(source)) };
}
