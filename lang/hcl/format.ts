import { errorDiag, hasErrors, type Diagnostic } from '../diagnostic.js';
import { layoutTokens } from './format-layout.js';
import { fmtTokens } from './format-tokens.js';
import { scan, type Token } from './scanner.js';

export type FormatResult = { output: string } | { diagnostics: Diagnostic[] };

/**
 * Rewrites HCL source in the canonical style of `terraform fmt`. Broken input is refused: a
 * token-level formatter could make sweeping changes to it that are hard to undo, so the errors
 * are returned instead and the text is left alone.
 */
export function formatHcl(source: string, filename: string): FormatResult {
  const diagnostics = syntaxErrors(source, filename);
  if (hasErrors(diagnostics)) return { diagnostics };
  const { tokens, trailing } = fmtTokens(source);
  return { output: layoutTokens(tokens, trailing) };
}

const CLOSER: Record<string, string> = { OBrace: 'CBrace', OBrack: 'CBrack', OParen: 'CParen', TemplateInterp: 'TemplateSeqEnd', TemplateControl: 'TemplateSeqEnd', OQuote: 'CQuote', OHeredoc: 'CHeredoc' };
const CLOSERS = new Set(Object.values(CLOSER));
const INVALID = new Set(['Invalid', 'BadUTF8', 'QuotedNewline', 'BitwiseAnd', 'BitwiseOr', 'BitwiseNot', 'BitwiseXor', 'Apostrophe', 'Backtick', 'Semicolon']);

// The layout engine relies on what the scanner sees: every character placed in a valid token and
// every bracket, quote and heredoc closed by its own closer. This checks exactly that.
function syntaxErrors(source: string, filename: string): Diagnostic[] {
  const open: Token[] = [];
  for (const tok of scan(source, filename)) {
    if (INVALID.has(tok.type)) return [errorDiag('Invalid character', `"${source.slice(tok.start, tok.end).trim()}" is not valid here.`, tok.range)];
    if (CLOSER[tok.type]) {
      open.push(tok);
      continue;
    }
    if (CLOSERS.has(tok.type)) {
      const top = open.pop();
      if (!top || CLOSER[top.type] !== tok.type) return [errorDiag('Unbalanced bracket', `"${source.slice(tok.start, tok.end).trim()}" does not close an open bracket.`, tok.range)];
    }
    if (tok.type === 'EOF' && open.length > 0) {
      const top = open[open.length - 1] as Token;
      return [errorDiag('Unclosed bracket', `"${source.slice(top.start, top.end).trim()}" is never closed before the end of the file.`, top.range)];
    }
  }
  return [];
}
