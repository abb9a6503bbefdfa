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

export function rangeBetween(from: Range, to: Range): Range {
  return { filename: from.filename, start: from.start, end: to.end };
}

export function rangeContains(outer: Range, inner: Range): boolean {
  return outer.filename === inner.filename && outer.start.byte <= inner.start.byte && inner.end.byte <= outer.end.byte;
}

export function formatPos(range: Range): string {
  return `${range.filename}:${range.start.line},${range.start.column}`;
}
