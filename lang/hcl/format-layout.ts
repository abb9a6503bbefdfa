// The whitespace rules of `terraform fmt` (hashicorp/hcl's hclwrite), applied to a flat token list.
// Formatting changes only the spaces before each token, never a token's text, so comments and
// literal text survive byte for byte and the result parses to the same value as the input.
//
// The work happens line by line. Each line is split into up to three cells:
//   lead    – everything up to the cells below (always present),
//   assign  – from an attribute's `=` to the end of the line, when the value closes on this line,
//   comment – a trailing `#` or `//` comment after other tokens.
// Passes, line by line: indent each line by its bracket nesting, normalise the spaces between
// tokens within a cell, then align the `assign` cells (and then the `comment` cells) of consecutive lines.

export type FmtKind =
  | 'Ident'
  | 'Number'
  | 'OQuote'
  | 'CQuote'
  | 'QuotedLit'
  | 'StringLit'
  | 'OHeredoc'
  | 'CHeredoc'
  | 'TemplateInterp'
  | 'TemplateControl'
  | 'TemplateSeqEnd'
  | 'OBrace'
  | 'CBrace'
  | 'OBrack'
  | 'CBrack'
  | 'OParen'
  | 'CParen'
  | 'Comma'
  | 'Dot'
  | 'Ellipsis'
  | 'Colon'
  | 'DoubleColon'
  | 'Question'
  | 'Equal'
  | 'FatArrow'
  | 'Plus'
  | 'Minus'
  | 'Star'
  | 'Slash'
  | 'Percent'
  | 'EqualOp'
  | 'NotEqual'
  | 'Lt'
  | 'Le'
  | 'Gt'
  | 'Ge'
  | 'And'
  | 'Or'
  | 'Bang'
  | 'Newline'
  | 'Comment'
  | 'Nil';

export interface FmtToken {
  kind: FmtKind;
  /** The token's source text. Line comments include their terminating newline, as in hclsyntax. */
  text: string;
  spacesBefore: number;
}

interface FormatLine {
  lead: FmtToken[];
  assign?: FmtToken[];
  comment?: FmtToken[];
}

const NIL: FmtToken = { kind: 'Nil', text: '', spacesBefore: 0 };

/** Lays out `tokens` in canonical style and returns the text; `trailing` is written after the last token. */
export function layoutTokens(tokens: Iterable<FmtToken>, trailing = ''): string {
  const layout = new Layout();
  for (const t of tokens) layout.token(t);
  return layout.finish(trailing);
}

/** As layoutTokens, for a stream of tokens whose return value is the trailing whitespace. */
export function layoutTokenStream(tokens: Iterator<FmtToken, string>): string {
  const layout = new Layout();
  for (let r = tokens.next(); ; r = tokens.next()) {
    if (r.done) return layout.finish(r.value);
    layout.token(r.value);
  }
}

/** How many pieces of text are collected before they are joined into one flat string. */
const PIECES_PER_CHUNK = 4096;

/**
 * Lays out one line at a time. Only alignment looks beyond a line, and an alignment chain ends
 * at the first line without the aligned cell, so lines are held only until a line with neither
 * an `=` cell nor a comment cell closes every chain: memory stays bounded by the longest run of
 * aligned lines, not by the file (a token object per character of a file of newlines is not).
 */
class Layout {
  /** How many brackets each open indent level opened, so lines with unbalanced brackets (`}, {`, `})`) neither drift right nor collapse left. */
  private readonly indents: number[] = [];
  private inHeredoc = false;
  private current: FmtToken[] = [];
  private pending: FormatLine[] = [];
  private pieces: string[] = [];
  private readonly chunks: string[] = [];

  token(t: FmtToken): void {
    this.current.push(t);
    if (endsLine(t)) {
      this.line(this.current);
      this.current = [];
    }
  }

  finish(trailing: string): string {
    if (this.current.length > 0) this.line(this.current);
    this.flush();
    this.chunks.push(this.pieces.join(''), trailing);
    return this.chunks.join('');
  }

  private line(tokens: FmtToken[]): void {
    const line = this.cells(tokens);
    this.indent(line);
    spaceCells(line);
    this.pending.push(line);
    if (!line.assign && !line.comment) this.flush();
  }

  private flush(): void {
    alignCells(this.pending);
    for (const line of this.pending) {
      this.emit(line.lead);
      if (line.assign) this.emit(line.assign);
      if (line.comment) this.emit(line.comment);
    }
    this.pending = [];
  }

  private emit(cell: readonly FmtToken[]): void {
    for (const t of cell) {
      this.pieces.push(t.spacesBefore > 0 ? ' '.repeat(t.spacesBefore) + t.text : t.text);
      if (this.pieces.length >= PIECES_PER_CHUNK) {
        this.chunks.push(this.pieces.join(''));
        this.pieces = [];
      }
    }
  }

  /** Splits a line into its cells. */
  private cells(tokens: FmtToken[]): FormatLine {
    const line: FormatLine = { lead: tokens };
    if (tokens.length === 0) return line;
    // A heredoc's body is part of the line that opens it (its literal lines are not newline
    // tokens); a `${...}` spanning lines inside it must not be mistaken for an attribute.
    if (this.inHeredoc) {
      if (tokens.some((t) => t.kind === 'CHeredoc')) this.inHeredoc = false;
      return line;
    }
    if (tokens.some((t) => t.kind === 'OHeredoc') && !tokens.some((t) => t.kind === 'CHeredoc')) this.inHeredoc = true;

    const last = line.lead[line.lead.length - 1] as FmtToken;
    if (line.lead.length > 1 && last.kind === 'Comment') {
      line.comment = line.lead.slice(-1);
      line.lead = line.lead.slice(0, -1);
    }
    for (let i = 1; i < line.lead.length; i++) {
      if ((line.lead[i] as FmtToken).kind !== 'Equal') continue;
      // Only a value that closes on this line is aligned: `x = {` opens a multi-line value.
      let net = 0;
      for (let j = i; j < line.lead.length; j++) net += bracketChange(line.lead[j] as FmtToken);
      if (net === 0) {
        line.assign = line.lead.slice(i);
        line.lead = line.lead.slice(0, i);
      }
      break;
    }
    return line;
  }

  private indent(line: FormatLine): void {
    const indents = this.indents;
    const first = line.lead[0];
    if (!first) return;
    if (first.kind === 'Newline') {
      first.spacesBefore = 0;
      return;
    }
    let net = 0;
    for (const t of line.lead) {
      net += bracketChange(t);
      if (t.kind === 'OHeredoc') break;
    }
    for (const t of line.assign ?? []) net += bracketChange(t);

    if (net > 0) {
      first.spacesBefore = 2 * indents.length;
      indents.push(net);
      return;
    }
    let closed = -net;
    while (closed > 0 && indents.length > 0) {
      const top = indents[indents.length - 1] as number;
      if (closed > top) {
        closed -= top;
        indents.pop();
      } else if (closed < top) {
        indents[indents.length - 1] = top - closed;
        closed = 0;
      } else {
        indents.pop();
        closed = 0;
      }
    }
    first.spacesBefore = 2 * indents.length;
  }
}

function endsLine(t: FmtToken): boolean {
  return t.kind === 'Newline' || (t.kind === 'Comment' && t.text.endsWith('\n'));
}

export function bracketChange(t: FmtToken): number {
  switch (t.kind) {
    case 'OBrace':
    case 'OBrack':
    case 'OParen':
    case 'TemplateControl':
    case 'TemplateInterp':
      return 1;
    case 'CBrace':
    case 'CBrack':
    case 'CParen':
    case 'TemplateSeqEnd':
      return -1;
    default:
      return 0;
  }
}

function spaceCells(line: FormatLine): void {
  spaceCell(line.lead);
  if (line.assign) {
    (line.assign[0] as FmtToken).spacesBefore = 1;
    spaceCell(line.assign);
  }
}

function spaceCell(cell: FmtToken[]): void {
  for (let i = 0; i + 1 < cell.length; i++) {
    const subject = cell[i] as FmtToken;
    const before = i > 0 ? (cell[i - 1] as FmtToken) : NIL;
    const after = cell[i + 1] as FmtToken;
    after.spacesBefore = spaceAfter(subject, before, after) ? 1 : 0;
  }
}

const NEGATION_CONTEXT = new Set<FmtKind>([
  'Nil',
  'OParen',
  'OBrace',
  'OBrack',
  'Equal',
  'Colon',
  'Comma',
  'Question',
  'Plus',
  'Star',
  'Slash',
  'Percent',
  'Minus',
  'EqualOp',
  'NotEqual',
  'Gt',
  'Ge',
  'Lt',
  'Le',
  'And',
  'Or',
  'Bang',
]);

const LITERAL_INSIDE = new Set<FmtKind>(['QuotedLit', 'StringLit', 'OQuote', 'OHeredoc']);
const LITERAL_AFTER = new Set<FmtKind>(['QuotedLit', 'StringLit', 'CQuote', 'CHeredoc']);

/** Whether `subject` is followed by one space (else none), given its neighbours on the line. */
function spaceAfter(subject: FmtToken, before: FmtToken, after: FmtToken): boolean {
  const s = subject.kind;
  const a = after.kind;
  if (a === 'Newline' || a === 'Nil') return false;
  if (s === 'Ident' && a === 'OParen') return false; // f(x)
  if ((s === 'Ident' && a === 'DoubleColon') || (s === 'DoubleColon' && a === 'Ident')) return false; // provider::ns::f
  if (s === 'Dot' || a === 'Dot') return false; // a.b
  if (a === 'Comma' || a === 'Ellipsis') return false;
  if (s === 'Comma') return true;
  // Inside a template the literal text carries its own spacing.
  if (LITERAL_INSIDE.has(s) || LITERAL_AFTER.has(a)) return false;
  // `for x in [a]`: `in` is a keyword here, not a collection being indexed.
  if (s === 'Ident' && subject.text === 'in' && before.kind === 'Ident') return true;
  if (a === 'OBrack' && (s === 'Ident' || s === 'Number' || bracketChange(subject) < 0)) return false; // a[0], f(x)[0]
  if (s === 'Bang') return false;
  if (s === 'Minus') return !NEGATION_CONTEXT.has(before.kind); // `a - b` but `-b`
  if (s === 'OBrace' || a === 'CBrace') return !(s === 'OBrace' && a === 'CBrace'); // { a = 1 }, but {}
  // `${ {a = 1} }`: keep an object constructor visibly apart from the interpolation braces.
  if ((s === 'TemplateInterp' || s === 'TemplateControl') && a === 'OBrace') return true;
  if (s === 'CBrace' && a === 'TemplateSeqEnd') return true;
  if (s === 'TemplateSeqEnd' && (a === 'TemplateInterp' || a === 'TemplateControl')) return false;
  if (bracketChange(subject) > 0) return false;
  if (bracketChange(after) < 0) return false;
  return true;
}

function alignCells(lines: FormatLine[]): void {
  // `=` first: moving it also moves the comments that follow.
  alignChains(
    lines,
    (l) => l.assign,
    (l) => columns(l.lead),
  );
  alignChains(
    lines,
    (l) => l.comment,
    (l) => columns(l.lead) + columns(l.assign ?? []),
  );
}

function alignChains(lines: FormatLine[], cell: (l: FormatLine) => FmtToken[] | undefined, width: (l: FormatLine) => number): void {
  let start = -1;
  let max = 0;
  const close = (end: number) => {
    for (let i = start; i < end; i++) {
      const line = lines[i] as FormatLine;
      (cell(line)?.[0] as FmtToken).spacesBefore = max - width(line) + 1;
    }
    start = -1;
    max = 0;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as FormatLine;
    if (!cell(line)) {
      if (start !== -1) close(i);
      continue;
    }
    if (start === -1) start = i;
    max = Math.max(max, width(line));
  }
  if (start !== -1) close(lines.length);
}

let graphemes: Intl.Segmenter | undefined;

/** Display width as hclwrite counts it: spaces plus grapheme clusters. */
function columns(cell: readonly FmtToken[]): number {
  let n = 0;
  for (const t of cell) {
    n += t.spacesBefore;
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(t.text)) n += t.text.length;
    else {
      graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
      for (const _ of graphemes.segment(t.text)) n++;
    }
  }
  return n;
}
