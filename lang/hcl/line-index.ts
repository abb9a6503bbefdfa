import type { Pos } from './range.js';

// Turns UTF-16 offsets into hcl positions (1-based line and column, 0-based UTF-8 byte) on
// demand. The scanner and parser deal only in offsets: a large file has millions of token
// boundaries and only the few that a node or a diagnostic keeps ever need a position, so they
// are computed when asked for instead of being stored for every token.
//
// Columns follow hclsyntax: a column is a grapheme, so combining marks do not advance it, and
// the \r of a \r\n line ending is not a column of its own.

const GRAPHEME_EXTEND = /^[\p{M}\u200d\ufe0f]$/u;
const C_LF = 10, C_CR = 13;

export class LineIndex {
  /** Offset of each line's first character; lines[0] is line 1. */
  private readonly lineStarts: Int32Array;
  /** UTF-8 byte offset of each line's first character, or undefined when the source is ASCII. */
  private readonly byteStarts: Int32Array | undefined;
  private readonly lineCount: number;

  constructor(
    readonly filename: string,
    readonly source: string,
  ) {
    const s = source;
    let count = 1;
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) count++;
    const starts = new Int32Array(count);
    // hcl strips a byte order mark but counts its three bytes: the first line starts after it.
    const bom = s.charCodeAt(0) === 0xfeff ? 1 : 0;
    starts[0] = bom;
    let n = 1;
    for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) starts[n++] = i + 1;
    this.lineStarts = starts;
    this.lineCount = count;
    // eslint-disable-next-line no-control-regex
    if (!bom && /^[\x00-\x7f]*$/.test(s)) {
      this.byteStarts = undefined;
      return;
    }
    const bytes = new Int32Array(count);
    let byte = bom ? 3 : 0;
    let line = 0;
    bytes[0] = byte;
    for (let i = bom; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x80) byte++;
      else if (c < 0x800) byte += 2;
      else if ((c & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        byte += 4;
        i++;
      } else byte += 3;
      if (c === C_LF) bytes[++line] = byte;
    }
    this.byteStarts = bytes;
  }

  /** The 0-based line holding `offset`. */
  private lineOf(offset: number): number {
    const starts = this.lineStarts;
    let lo = 0, hi = this.lineCount - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  pos(offset: number): Pos {
    const s = this.source;
    const line = this.lineOf(offset);
    const start = this.lineStarts[line]!;
    if (offset < start) offset = start; // only the byte order mark lies before line 1's start
    if (this.byteStarts === undefined) {
      // ASCII: a column per character, except the \r of a \r\n ending.
      let column = offset - start + 1;
      if (offset > start && s.charCodeAt(offset - 1) === C_CR && s.charCodeAt(offset) === C_LF) column--;
      return { line: line + 1, column, byte: offset };
    }
    let column = 1, byte = this.byteStarts[line]!;
    for (let i = start; i < offset; ) {
      const c = s.charCodeAt(i);
      if (c < 0x80) {
        if (!(c === C_CR && s.charCodeAt(i + 1) === C_LF)) column++;
        byte++;
        i++;
      } else if ((c & 0xfc00) === 0xd800 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        if (!GRAPHEME_EXTEND.test(String.fromCodePoint(s.codePointAt(i)!))) column++;
        byte += 4;
        i += 2;
      } else {
        if (!GRAPHEME_EXTEND.test(s[i]!)) column++;
        byte += c < 0x800 ? 2 : 3;
        i++;
      }
    }
    return { line: line + 1, column, byte };
  }
}
