import type { FmtKind, FmtToken } from './format-layout.js';
import { scanTokens, tokenAt, type Token, type TokenType } from './scanner.js';

// The formatter's view of the scanner's tokens: each token's text and the number of spaces
// before it. Template literals (quoted text, heredoc lines and closing markers) are laid out
// verbatim, so any gap in front of them is folded into their text rather than treated as
// adjustable space.

export interface FmtTokens {
  tokens: FmtToken[];
  /** Whitespace after the last token (hclwrite keeps it). */
  trailing: string;
}

const KIND: Partial<Record<TokenType, FmtKind>> = {
  NumberLit: 'Number',
  LessThan: 'Lt',
  LessThanEq: 'Le',
  GreaterThan: 'Gt',
  GreaterThanEq: 'Ge',
};

const VERBATIM = new Set<FmtKind>(['QuotedLit', 'StringLit', 'CQuote', 'CHeredoc']);

export function fmtTokens(source: string): FmtTokens {
  const tokens: FmtToken[] = [];
  const stream = fmtTokenStream(source);
  for (let r = stream.next(); ; r = stream.next()) {
    if (r.done) return { tokens, trailing: r.value };
    tokens.push(r.value);
  }
}

/**
 * The tokens one at a time, made from the scanner's buffer as they are needed; returns the
 * whitespace after the last token. fmt lays a file out from this stream, so that only the
 * lines it holds for alignment exist as objects at once.
 */
export function* fmtTokenStream(source: string): Generator<FmtToken, string> {
  const buf = scanTokens(source, '');
  let prevEnd = 0;
  let prev: FmtKind | undefined;
  for (let i = 0; i < buf.count; i++) {
    const tok = tokenAt(buf, i);
    if (tok.type === 'EOF') return ' '.repeat(tok.start - prevEnd);
    const kind = kindOf(tok);
    const literalContext = VERBATIM.has(kind) || prev === 'OQuote' || prev === 'OHeredoc' || prev === 'QuotedLit' || prev === 'StringLit';
    if (literalContext) yield { kind, text: source.slice(prevEnd, tok.end), spacesBefore: 0 };
    else yield { kind, text: source.slice(tok.start, tok.end), spacesBefore: tok.start - prevEnd };
    prev = kind;
    prevEnd = tok.end;
  }
  return '';
}

function kindOf(tok: Token): FmtKind {
  // Only tokens of accepted input reach the formatter; the error-only kinds never appear there.
  return KIND[tok.type] ?? (tok.type as FmtKind);
}
