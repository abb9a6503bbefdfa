import { LineIndex } from './line-index.js';
import { SourceRange } from './range.js';

// The scanner turns HCL native syntax into tokens, following hclsyntax's scanner (scan_tokens.rl)
// closely so that token boundaries, and therefore the ranges of diagnostics, match the reference
// implementation: line comments own their trailing newline, a heredoc's opener includes its
// newline, each heredoc line is its own literal token, and the closing marker is a token separate
// from the newline after it. It never throws: anything it cannot place becomes an Invalid token
// that the parser reports.
//
// It works on indexes into the source string and records only offsets (positions come from the
// line index when someone asks), so scanning is one pass with no per-character regular
// expressions and no object per token.

export type TokenType =
  | 'OBrace' | 'CBrace' | 'OBrack' | 'CBrack' | 'OParen' | 'CParen'
  | 'OQuote' | 'CQuote' | 'OHeredoc' | 'CHeredoc'
  | 'Star' | 'Slash' | 'Plus' | 'Minus' | 'Percent'
  | 'Equal' | 'EqualOp' | 'NotEqual' | 'LessThan' | 'LessThanEq' | 'GreaterThan' | 'GreaterThanEq'
  | 'And' | 'Or' | 'Bang' | 'Dot' | 'Comma' | 'DoubleColon' | 'Ellipsis' | 'FatArrow' | 'Question' | 'Colon'
  /** `${` or `${~` */
  | 'TemplateInterp'
  /** `%{` or `%{~` */
  | 'TemplateControl'
  /** `}` or `~}` closing a template sequence */
  | 'TemplateSeqEnd'
  /** Literal text inside a quoted string; may contain backslash escapes and `$${`/`%%{`. */
  | 'QuotedLit'
  /** Literal text inside a heredoc (one token per line, newline included); only `$${`/`%%{` escapes. */
  | 'StringLit'
  | 'NumberLit' | 'Ident'
  /** `#` and `//` comments include their newline; `/* *\/` comments do not. */
  | 'Comment'
  | 'Newline'
  | 'EOF'
  // Recognised only so that the parser can explain them.
  | 'BitwiseAnd' | 'BitwiseOr' | 'BitwiseNot' | 'BitwiseXor'
  | 'Apostrophe' | 'Backtick' | 'Semicolon'
  | 'Invalid' | 'BadUTF8'
  /** A newline inside a quoted string, which HCL does not allow. */
  | 'QuotedNewline';

/** Every token type, in the order of their numeric codes (the token buffer stores codes). */
export const TOKEN_TYPES = [
  'OBrace', 'CBrace', 'OBrack', 'CBrack', 'OParen', 'CParen',
  'OQuote', 'CQuote', 'OHeredoc', 'CHeredoc',
  'Star', 'Slash', 'Plus', 'Minus', 'Percent',
  'Equal', 'EqualOp', 'NotEqual', 'LessThan', 'LessThanEq', 'GreaterThan', 'GreaterThanEq',
  'And', 'Or', 'Bang', 'Dot', 'Comma', 'DoubleColon', 'Ellipsis', 'FatArrow', 'Question', 'Colon',
  'TemplateInterp', 'TemplateControl', 'TemplateSeqEnd', 'QuotedLit', 'StringLit',
  'NumberLit', 'Ident', 'Comment', 'Newline', 'EOF',
  'BitwiseAnd', 'BitwiseOr', 'BitwiseNot', 'BitwiseXor',
  'Apostrophe', 'Backtick', 'Semicolon',
  'Invalid', 'BadUTF8', 'QuotedNewline',
] as const satisfies readonly TokenType[];

export type TokenCode = number;

/** Token type name to code: `T.Ident`. */
export const T = Object.fromEntries(TOKEN_TYPES.map((t, i) => [t, i])) as { readonly [K in TokenType]: TokenCode };

/**
 * The tokens of one source as parallel arrays: type code, start and end (UTF-16 offsets into the
 * scanned string, end exclusive). A large file has over a million tokens; as objects they cost
 * more to allocate and collect than the scanning itself. Positions come from `lines` on demand.
 */
export interface TokenBuffer {
  readonly count: number;
  readonly types: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly lines: LineIndex;
}

/** One token, as the parser and fmt see it: a view of one entry of a TokenBuffer. */
export class Token {
  constructor(
    readonly type: TokenType,
    /** UTF-16 offsets into the scanned string; `source.slice(start, end)` is the text. */
    readonly start: number,
    readonly end: number,
    readonly lines: LineIndex,
    /** Where the range points, when not at the text: hcl's newline made of a comment's end takes the comment's range. */
    private readonly rangeFrom = start,
    private readonly rangeTo = end,
  ) {}

  get filename(): string {
    return this.lines.filename;
  }

  /** The position in hcl's conventions (1-based line and column, 0-based UTF-8 byte, end exclusive). */
  get range(): SourceRange {
    return new SourceRange(this.lines, this.rangeFrom, this.rangeTo);
  }
}

export function tokenAt(buf: TokenBuffer, i: number): Token {
  return new Token(TOKEN_TYPES[buf.types[i]!]!, buf.starts[i]!, buf.ends[i]!, buf.lines);
}

const enum Mode {
  Main,
  Quoted,
  Heredoc,
}

interface Heredoc {
  marker: string;
  startOfLine: boolean;
}

const C_TAB = 9, C_LF = 10, C_CR = 13, C_SP = 32;

/** Scan `source` into tokens, comments and newlines included, ending with an EOF token. */
export function scanTokens(source: string, filename: string, lines: LineIndex = new LineIndex(filename, source)): TokenBuffer {
  return new Scanner(source, lines).run();
}

/** The tokens as objects, for fmt and tests; the parser reads the buffer. */
export function scan(source: string, filename: string): Token[] {
  const buf = scanTokens(source, filename);
  const out = new Array<Token>(buf.count);
  for (let i = 0; i < buf.count; i++) out[i] = tokenAt(buf, i);
  return out;
}

export function tokenText(source: string, tok: Token): string {
  return source.slice(tok.start, tok.end);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isAsciiIdContinue(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;
}

const ID_START = /^\p{ID_Start}$/u;
const ID_CONTINUE = /^\p{ID_Continue}$/u;

class Scanner {
  private readonly src: string;
  private readonly lines: LineIndex;
  private count = 0;
  private types: Uint8Array;
  private starts: Int32Array;
  private ends: Int32Array;

  private modes: Mode[] = [Mode.Main];
  private braces = 0;
  private retBraces: number[] = [];
  private heredocs: Heredoc[] = [];

  constructor(src: string, lines: LineIndex) {
    this.src = src;
    this.lines = lines;
    // Real HCL averages well over three characters a token; the arrays grow if a file does not.
    const cap = Math.max(64, (src.length >> 2) + 16);
    this.types = new Uint8Array(cap);
    this.starts = new Int32Array(cap);
    this.ends = new Int32Array(cap);
  }

  private emit(type: TokenCode, start: number, end: number): void {
    const k = this.count;
    if (k === this.types.length) this.grow();
    this.types[k] = type;
    this.starts[k] = start;
    this.ends[k] = end;
    this.count = k + 1;
  }

  private grow(): void {
    const cap = this.types.length * 2;
    const types = new Uint8Array(cap), starts = new Int32Array(cap), ends = new Int32Array(cap);
    types.set(this.types);
    starts.set(this.starts);
    ends.set(this.ends);
    this.types = types;
    this.starts = starts;
    this.ends = ends;
  }

  run(): TokenBuffer {
    const s = this.src;
    // hcl strips a UTF-8 byte order mark (the line index still counts its bytes).
    let i = s.charCodeAt(0) === 0xfeff ? 1 : 0;
    const n = s.length;
    while (i < n) {
      const mode = this.modes[this.modes.length - 1]!;
      if (mode === Mode.Main) i = this.scanMain(i);
      else if (mode === Mode.Quoted) i = this.scanQuoted(i);
      else i = this.scanHeredoc(i);
    }
    this.emit(T.EOF, n, n);
    return { count: this.count, types: this.types, starts: this.starts, ends: this.ends, lines: this.lines };
  }

  private beginSequence(type: TokenCode, i: number): number {
    const end = this.src.charCodeAt(i + 2) === 126 /* ~ */ ? i + 3 : i + 2;
    this.emit(type, i, end);
    this.braces++;
    this.retBraces.push(this.braces);
    if (this.heredocs.length > 0) this.heredocs[this.heredocs.length - 1]!.startOfLine = false;
    this.modes.push(Mode.Main);
    return end;
  }

  private scanMain(i: number): number {
    const s = this.src;
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    switch (c) {
      case C_SP:
      case C_TAB: {
        let j = i + 1;
        while (j < s.length) {
          const d = s.charCodeAt(j);
          if (d !== C_SP && d !== C_TAB) break;
          j++;
        }
        return j;
      }
      case C_LF:
        this.emit(T.Newline, i, i + 1);
        return i + 1;
      case C_CR:
        if (next === C_LF) {
          this.emit(T.Newline, i, i + 2);
          return i + 2;
        }
        this.emit(T.Invalid, i, i + 1);
        return i + 1;
      case 35 /* # */:
        return this.lineComment(i);
      case 47 /* / */:
        if (next === 47) return this.lineComment(i);
        if (next === 42 /* * */) {
          const close = s.indexOf('*/', i + 2);
          if (close >= 0) {
            this.emit(T.Comment, i, close + 2);
            return close + 2;
          }
        }
        this.emit(T.Slash, i, i + 1);
        return i + 1;
      case 123 /* { */:
        this.emit(T.OBrace, i, i + 1);
        this.braces++;
        return i + 1;
      case 125 /* } */:
        return this.closeBrace(i, i + 1, false);
      case 126 /* ~ */:
        if (next === 125) return this.closeBrace(i, i + 2, true);
        this.emit(T.BitwiseNot, i, i + 1);
        return i + 1;
      case 34 /* " */:
        this.emit(T.OQuote, i, i + 1);
        this.modes.push(Mode.Quoted);
        return i + 1;
      case 60 /* < */:
        if (next === 60) {
          const h = this.heredocOpener(i);
          if (h > 0) return h;
        }
        if (next === 61) return this.op(T.LessThanEq, i, 2);
        return this.op(T.LessThan, i, 1);
      case 61 /* = */:
        if (next === 61) return this.op(T.EqualOp, i, 2);
        if (next === 62) return this.op(T.FatArrow, i, 2);
        return this.op(T.Equal, i, 1);
      case 33 /* ! */:
        return next === 61 ? this.op(T.NotEqual, i, 2) : this.op(T.Bang, i, 1);
      case 62 /* > */:
        return next === 61 ? this.op(T.GreaterThanEq, i, 2) : this.op(T.GreaterThan, i, 1);
      case 38 /* & */:
        return next === 38 ? this.op(T.And, i, 2) : this.op(T.BitwiseAnd, i, 1);
      case 124 /* | */:
        return next === 124 ? this.op(T.Or, i, 2) : this.op(T.BitwiseOr, i, 1);
      case 58 /* : */:
        return next === 58 ? this.op(T.DoubleColon, i, 2) : this.op(T.Colon, i, 1);
      case 46 /* . */:
        return next === 46 && s.charCodeAt(i + 2) === 46 ? this.op(T.Ellipsis, i, 3) : this.op(T.Dot, i, 1);
      case 91: return this.op(T.OBrack, i, 1);
      case 93: return this.op(T.CBrack, i, 1);
      case 40: return this.op(T.OParen, i, 1);
      case 41: return this.op(T.CParen, i, 1);
      case 44: return this.op(T.Comma, i, 1);
      case 42: return this.op(T.Star, i, 1);
      case 37: return this.op(T.Percent, i, 1);
      case 43: return this.op(T.Plus, i, 1);
      case 45: return this.op(T.Minus, i, 1);
      case 63: return this.op(T.Question, i, 1);
      case 94: return this.op(T.BitwiseXor, i, 1);
      case 59: return this.op(T.Semicolon, i, 1);
      case 96: return this.op(T.Backtick, i, 1);
      case 39: return this.op(T.Apostrophe, i, 1);
    }
    if (isDigit(c)) return this.number(i);
    const idEnd = this.identEnd(i);
    if (idEnd > i) {
      this.emit(T.Ident, i, idEnd);
      return idEnd;
    }
    return this.invalidChar(i);
  }

  private op(type: TokenCode, i: number, len: number): number {
    this.emit(type, i, i + len);
    return i + len;
  }

  private invalidChar(i: number): number {
    const s = this.src;
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      this.emit(T.Invalid, i, i + 2);
      return i + 2;
    }
    // A lone surrogate is what a decoder leaves of bytes that were not valid UTF-8.
    this.emit(c >= 0xd800 && c <= 0xdfff ? T.BadUTF8 : T.Invalid, i, i + 1);
    return i + 1;
  }

  private lineComment(i: number): number {
    const nl = this.src.indexOf('\n', i);
    const end = nl < 0 ? this.src.length : nl + 1;
    this.emit(T.Comment, i, end);
    return end;
  }

  private closeBrace(i: number, end: number, tilde: boolean): number {
    const rb = this.retBraces;
    if (rb.length > 0 && rb[rb.length - 1] === this.braces) {
      this.emit(T.TemplateSeqEnd, i, end);
      this.braces--;
      rb.pop();
      this.modes.pop();
    } else {
      // `~}` that does not close a sequence still scans as one, so the parser can report it.
      this.emit(tilde ? T.TemplateSeqEnd : T.CBrace, i, end);
      this.braces--;
    }
    return end;
  }

  /** Index after an identifier starting at i, or i if none starts there. */
  private identEnd(i: number): number {
    const s = this.src;
    const n = s.length;
    const c = s.charCodeAt(i);
    let j: number;
    if (isAsciiIdStart(c)) j = i + 1;
    else if (c >= 0x80) {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      if (!ID_START.test(ch)) return i;
      j = i + ch.length;
    } else return i;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (d < 0x80) {
        if (!isAsciiIdContinue(d)) break;
        j++;
      } else {
        const ch = String.fromCodePoint(s.codePointAt(j)!);
        if (!ID_CONTINUE.test(ch)) break;
        j += ch.length;
      }
    }
    return j;
  }

  /**
   * Numbers are greedy over digits, dots and exponents but never end with a dot, so `1.2.3`
   * is one (invalid) token and `foo.0.1` scans its `0.1` as one number, as hcl does.
   */
  private number(i: number): number {
    const s = this.src;
    let j = i + 1;
    let lastGood = j;
    for (;;) {
      const c = s.charCodeAt(j);
      if (isDigit(c)) {
        j++;
        lastGood = j;
      } else if (c === 46) {
        j++;
      } else if (c === 101 || c === 69) {
        let k = j + 1;
        const sign = s.charCodeAt(k);
        if (sign === 43 || sign === 45) k++;
        if (!isDigit(s.charCodeAt(k))) break;
        j = k + 1;
        lastGood = j;
      } else break;
    }
    this.emit(T.NumberLit, i, lastGood);
    return lastGood;
  }

  /** `<<ID\n` or `<<-ID\n`; returns 0 when the text at i is not a heredoc opener. */
  private heredocOpener(i: number): number {
    const s = this.src;
    let j = i + 2;
    if (s.charCodeAt(j) === 45) j++;
    const idEnd = this.identEnd(j);
    if (idEnd === j) return 0;
    let end: number;
    if (s.charCodeAt(idEnd) === C_LF) end = idEnd + 1;
    else if (s.charCodeAt(idEnd) === C_CR && s.charCodeAt(idEnd + 1) === C_LF) end = idEnd + 2;
    else return 0;
    this.emit(T.OHeredoc, i, end);
    this.heredocs.push({ marker: s.slice(j, idEnd), startOfLine: true });
    this.modes.push(Mode.Heredoc);
    return end;
  }

  private scanQuoted(i: number): number {
    const s = this.src;
    const n = s.length;
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c === 34) {
      this.emit(T.CQuote, i, i + 1);
      this.modes.pop();
      return i + 1;
    }
    if (c === 36 /* $ */ || c === 37 /* % */) {
      if (next === 123) return this.beginSequence(c === 36 ? T.TemplateInterp : T.TemplateControl, i);
      return this.escapeOrSign(i, T.QuotedLit);
    }
    if (c === C_LF || c === C_CR) {
      let j = i + 1;
      while (j < n && (s.charCodeAt(j) === C_LF || s.charCodeAt(j) === C_CR)) j++;
      this.emit(T.QuotedNewline, i, j);
      return j;
    }
    if (isLoneSurrogate(s, i)) return this.badUtf8(i);
    let j = i;
    while (j < n) {
      const d = s.charCodeAt(j);
      if (d === 34 || d === 36 || d === 37 || d === C_LF || d === C_CR) break;
      if (d === 92 /* \ */) {
        const e = s.charCodeAt(j + 1);
        if (j + 1 >= n || e === C_LF || e === C_CR || isLoneSurrogate(s, j + 1)) break;
        j += (e & 0xfc00) === 0xd800 ? 3 : 2;
        continue;
      }
      if ((d & 0xf800) === 0xd800) {
        if (isLoneSurrogate(s, j)) break;
        j += 2;
        continue;
      }
      j++;
    }
    if (j === i) {
      // A backslash at the end of a line or of the file.
      this.emit(T.Invalid, i, i + 1);
      return i + 1;
    }
    this.emit(T.QuotedLit, i, j);
    return j;
  }

  /**
   * A `$` or `%` that does not open a sequence is literal; `$${` and `%%{` (the escapes) are
   * one token that the parser unescapes.
   */
  /** A byte that was not UTF-8 (lang/hcl/utf8.ts) ends a literal, as in hcl's scanner. */
  private badUtf8(i: number): number {
    this.emit(T.BadUTF8, i, i + 1);
    return i + 1;
  }

  private escapeOrSign(i: number, type: TokenCode): number {
    const s = this.src;
    const c = s.charCodeAt(i);
    if (i + 1 >= s.length) {
      // hcl cannot decide what a trailing `$` is and reports the rest of the input as invalid.
      this.emit(T.Invalid, i, i + 1);
      return i + 1;
    }
    if (s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123) {
      const end = s.charCodeAt(i + 3) === 126 ? i + 4 : i + 3;
      this.emit(type, i, end);
      return end;
    }
    this.emit(type, i, i + 1);
    return i + 1;
  }

  private scanHeredoc(i: number): number {
    const s = this.src;
    const n = s.length;
    const c = s.charCodeAt(i);
    const doc = this.heredocs[this.heredocs.length - 1]!;
    if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === 123) {
      return this.beginSequence(c === 36 ? T.TemplateInterp : T.TemplateControl, i);
    }
    let j: number;
    if (c === 36 || c === 37) {
      if (i + 1 >= n) {
        this.emit(T.Invalid, i, i + 1);
        return i + 1;
      }
      j = s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123 ? (s.charCodeAt(i + 3) === 126 ? i + 4 : i + 3) : i + 1;
    } else {
      if (isLoneSurrogate(s, i)) return this.badUtf8(i);
      j = i;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (d === 36 || d === 37 || d === C_LF) break;
        if (d === C_CR && s.charCodeAt(j + 1) === C_LF) break;
        if ((d & 0xf800) === 0xd800) {
          if (isLoneSurrogate(s, j)) break;
          j += 2;
          continue;
        }
        j++;
      }
    }
    let eol = 0;
    if (s.charCodeAt(j) === C_LF) eol = 1;
    else if (s.charCodeAt(j) === C_CR && s.charCodeAt(j + 1) === C_LF) eol = 2;
    if (eol === 0) {
      if (j === i) {
        // Nothing matched: only a lone \r at the end of input can get here.
        this.emit(T.StringLit, i, i + 1);
        return i + 1;
      }
      doc.startOfLine = false;
      this.emit(T.StringLit, i, j);
      return j;
    }
    if (doc.startOfLine && s.slice(i, j).trim() === doc.marker) {
      this.emit(T.CHeredoc, i, j);
      this.emit(T.Newline, j, j + eol);
      this.heredocs.pop();
      this.modes.pop();
      return j + eol;
    }
    doc.startOfLine = true;
    this.emit(T.StringLit, i, j + eol);
    return j + eol;
  }
}

/** Half of a surrogate pair without its other half: what lang/hcl/utf8.ts makes of a bad byte. */
function isLoneSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) return (s.charCodeAt(i + 1) & 0xfc00) !== 0xdc00;
  if (c >= 0xdc00 && c <= 0xdfff) return i === 0 || (s.charCodeAt(i - 1) & 0xfc00) !== 0xd800;
  return false;
}
