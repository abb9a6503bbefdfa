import type { LineIndex } from './line-index.js';

// Source positions follow hashicorp/hcl's conventions so that ranges can be compared with the
// reference implementation's diagnostics: line and column are 1-based, byte is a 0-based offset
// into the UTF-8 encoding of the file, and a range's end is exclusive.

export interface Pos {
  line: number;
  column: number;
  byte: number;
}

export interface Range {
  filename: string;
  start: Pos;
  end: Pos;
}

/**
 * The range the parser gives every node: two offsets into the parsed source, with positions
 * worked out only when asked for. A tree for a large file holds hundreds of thousands of ranges,
 * and as plain objects (a range and two positions each) they would be most of the tree's memory
 * and of its build time. It serialises (toJSON) to the plain Range shape.
 */
export class SourceRange implements Range {
  readonly #lines: LineIndex;

  constructor(
    lines: LineIndex,
    /** UTF-16 offsets into the parsed (NFC) source; `to` is exclusive. */
    readonly from: number,
    readonly to: number,
  ) {
    this.#lines = lines;
  }

  get filename(): string {
    return this.#lines.filename;
  }

  get start(): Pos {
    return this.#lines.pos(this.from);
  }

  get end(): Pos {
    return this.#lines.pos(this.to);
  }

  /** Another range of the same source. */
  span(from: number, to: number): SourceRange {
    return new SourceRange(this.#lines, from, to);
  }

  toJSON(): Range {
    return { filename: this.filename, start: this.start, end: this.end };
  }
}

/** A plain copy, for comparing and storing ranges whatever their representation. */
export function plainRange(r: Range): Range {
  return { filename: r.filename, start: { ...r.start }, end: { ...r.end } };
}

export function rangeBetween(from: Range, to: Range): Range {
  if (from instanceof SourceRange && to instanceof SourceRange && from.filename === to.filename) return from.span(from.from, to.to);
  return { filename: from.filename, start: from.start, end: to.end };
}

/** The empty range where `r` starts. */
export function rangeAtStart(r: Range): Range {
  if (r instanceof SourceRange) return r.span(r.from, r.from);
  return { filename: r.filename, start: r.start, end: r.start };
}

/** The empty range where `r` ends. */
export function rangeAtEnd(r: Range): Range {
  if (r instanceof SourceRange) return r.span(r.to, r.to);
  return { filename: r.filename, start: r.end, end: r.end };
}

export function rangeContains(outer: Range, inner: Range): boolean {
  return outer.filename === inner.filename && outer.start.byte <= inner.start.byte && inner.end.byte <= outer.end.byte;
}

export function formatPos(range: Range): string {
  return `${range.filename}:${range.start.line},${range.start.column}`;
}
