import type { FmtKind, FmtToken } from './format-layout.js';
import { scan, type Token, type TokenType } from './scanner.js';

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
  let prevEnd = 0;
  let trailing = '';
  for (const tok of scan(source, '')) {
    if (tok.type === 'EOF') {
      trailing = ' '.repeat(tok.start - prevEnd);
      break;
    }
    const kind = kindOf(tok);
    const prev = tokens[tokens.length - 1];
    const literalContext = VERBATIM.has(kind) || prev?.kind === 'OQuote' || prev?.kind === 'OHeredoc' || prev?.kind === 'QuotedLit' || prev?.kind === 'StringLit';
    if (literalContext) tokens.push({ kind, text: source.slice(prevEnd, tok.end), spacesBefore: 0 });
    else tokens.push({ kind, text: source.slice(tok.start, tok.end), spacesBefore: tok.start - prevEnd });
    prevEnd = tok.end;
  }
  return { tokens, trailing };
}

function kindOf(tok: Token): FmtKind {
  // Only tokens of accepted input reach the formatter; the error-only kinds never appear there.
  return KIND[tok.type] ?? (tok.type as FmtKind);
}
