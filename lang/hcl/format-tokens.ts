import type { FmtKind, FmtToken } from './format-layout.js';

// Splits source text into the tokens the formatter lays out, hclsyntax-style: every comment and
// newline is a token, line comments own their newline, template literals (quoted and heredoc)
// keep every character including leading whitespace, and a heredoc's closing marker keeps its
// indentation. It runs only on text the parser has accepted, so it need not report errors; on
// anything unexpected it emits the character as an opaque token and carries on.

export interface FmtTokens {
  tokens: FmtToken[];
  /** Whitespace after the last token (hclwrite keeps it). */
  trailing: string;
}

type Frame = { mode: 'interp'; braces: number } | { mode: 'quoted' } | { mode: 'heredoc'; marker: string; atLineStart: boolean };

const IDENT = /[\p{ID_Start}_][\p{ID_Continue}\-]*/uy;
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEREDOC_OPEN = /<<-?([\p{ID_Start}_][\p{ID_Continue}\-]*)(\r?\n)/uy;

const PUNCT: [string, FmtKind][] = [
  ['...', 'Ellipsis'],
  ['::', 'DoubleColon'],
  ['=>', 'FatArrow'],
  ['==', 'EqualOp'],
  ['!=', 'NotEqual'],
  ['<=', 'Le'],
  ['>=', 'Ge'],
  ['&&', 'And'],
  ['||', 'Or'],
  ['[', 'OBrack'],
  [']', 'CBrack'],
  ['(', 'OParen'],
  [')', 'CParen'],
  [',', 'Comma'],
  ['.', 'Dot'],
  [':', 'Colon'],
  ['?', 'Question'],
  ['=', 'Equal'],
  ['+', 'Plus'],
  ['-', 'Minus'],
  ['*', 'Star'],
  ['/', 'Slash'],
  ['%', 'Percent'],
  ['<', 'Lt'],
  ['>', 'Gt'],
  ['!', 'Bang'],
];

export function fmtTokens(src: string): FmtTokens {
  const tokens: FmtToken[] = [];
  const stack: Frame[] = [];
  let pos = 0;
  let gapStart = 0;

  const emit = (kind: FmtKind, end: number) => {
    tokens.push({ kind, text: src.slice(pos, end), spacesBefore: pos - gapStart });
    pos = end;
    gapStart = end;
  };
  const top = (): Frame | undefined => stack[stack.length - 1];

  while (pos < src.length) {
    const frame = top();
    if (frame?.mode === 'quoted') {
      lexQuoted(frame);
      continue;
    }
    if (frame?.mode === 'heredoc') {
      lexHeredoc(frame);
      continue;
    }

    const c = src[pos] as string;
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v' || c === '\uFEFF') {
      pos++;
      continue;
    }
    if (c === '\n') {
      emit('Newline', pos + 1);
      continue;
    }
    if (c === '\r' && src[pos + 1] === '\n') {
      emit('Newline', pos + 2);
      continue;
    }
    if (c === '#' || (c === '/' && src[pos + 1] === '/')) {
      const nl = src.indexOf('\n', pos);
      emit('Comment', nl < 0 ? src.length : nl + 1);
      continue;
    }
    if (c === '/' && src[pos + 1] === '*') {
      const close = src.indexOf('*/', pos + 2);
      emit('Comment', close < 0 ? src.length : close + 2);
      continue;
    }
    if (c === '"') {
      emit('OQuote', pos + 1);
      stack.push({ mode: 'quoted' });
      continue;
    }
    if (c === '<' && src[pos + 1] === '<') {
      HEREDOC_OPEN.lastIndex = pos;
      const m = HEREDOC_OPEN.exec(src);
      if (m) {
        emit('OHeredoc', pos + m[0].length);
        stack.push({ mode: 'heredoc', marker: m[1] as string, atLineStart: true });
        continue;
      }
    }
    if (frame?.mode === 'interp') {
      if (c === '~' && src[pos + 1] === '}' && frame.braces === 0) {
        emit('TemplateSeqEnd', pos + 2);
        stack.pop();
        continue;
      }
      if (c === '{') frame.braces++;
      if (c === '}') {
        if (frame.braces === 0) {
          emit('TemplateSeqEnd', pos + 1);
          stack.pop();
          continue;
        }
        frame.braces--;
      }
    }
    if (c === '{') {
      emit('OBrace', pos + 1);
      continue;
    }
    if (c === '}') {
      emit('CBrace', pos + 1);
      continue;
    }
    NUMBER.lastIndex = pos;
    const num = NUMBER.exec(src);
    if (num) {
      emit('Number', pos + num[0].length);
      continue;
    }
    IDENT.lastIndex = pos;
    const ident = IDENT.exec(src);
    if (ident) {
      emit('Ident', pos + ident[0].length);
      continue;
    }
    const punct = PUNCT.find(([p]) => src.startsWith(p, pos));
    if (punct) {
      emit(punct[1], pos + punct[0].length);
      continue;
    }
    // Not reachable for parsed input; keep the character rather than lose it.
    emit('Ident', pos + (src.codePointAt(pos)! > 0xffff ? 2 : 1));
  }
  return { tokens, trailing: ' '.repeat(src.length - gapStart) };

  /** Template text up to the next `${`, `%{`, the closing quote, or (invalid) end of line. */
  function lexQuoted(frame: Frame): void {
    const start = pos;
    let i = pos;
    while (i < src.length) {
      const ch = src[i];
      if (ch === '"' || ch === '\n') break;
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if ((ch === '$' || ch === '%') && src[i + 1] === ch && src[i + 2] === '{') {
        i += 3; // `$${` and `%%{` are escapes for literal `${` and `%{`
        continue;
      }
      if ((ch === '$' || ch === '%') && src[i + 1] === '{') break;
      i++;
    }
    if (i > start) {
      emit('QuotedLit', Math.min(i, src.length));
      return;
    }
    if (src[pos] === '"') {
      emit('CQuote', pos + 1);
      stack.pop();
      return;
    }
    if (src[pos] === '\n' || pos >= src.length) {
      stack.pop(); // unterminated string: not reachable for parsed input
      return;
    }
    openTemplateSequence(frame);
  }

  function lexHeredoc(frame: Frame & { mode: 'heredoc' }): void {
    if (frame.atLineStart) {
      const nl = src.indexOf('\n', pos);
      const lineEnd = nl < 0 ? src.length : nl;
      const line = src.slice(pos, lineEnd).replace(/\r$/, '');
      if (line.trim() === frame.marker) {
        // The marker keeps its indentation: `<<-` heredocs are measured against it.
        const end = pos + line.length;
        emit('CHeredoc', end);
        stack.pop();
        return;
      }
    }
    const start = pos;
    let i = pos;
    while (i < src.length) {
      const ch = src[i];
      if (ch === '\n') {
        i++;
        break;
      }
      if ((ch === '$' || ch === '%') && src[i + 1] === ch && src[i + 2] === '{') {
        i += 3;
        continue;
      }
      if ((ch === '$' || ch === '%') && src[i + 1] === '{') break;
      i++;
    }
    if (i > start) {
      emit('StringLit', i);
      frame.atLineStart = src[i - 1] === '\n';
      return;
    }
    if (pos >= src.length) {
      stack.pop();
      return;
    }
    frame.atLineStart = false;
    openTemplateSequence(frame);
  }

  function openTemplateSequence(_frame: Frame): void {
    const kind: FmtKind = src[pos] === '$' ? 'TemplateInterp' : 'TemplateControl';
    const len = src[pos + 2] === '~' ? 3 : 2;
    emit(kind, pos + len);
    stack.push({ mode: 'interp', braces: 0 });
  }
}
