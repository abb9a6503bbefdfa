import type { Diagnostic } from '../../lang/diagnostic.js';
import type { FormatVersion } from '../../lang/format-version.js';
import type { Range } from '../../lang/hcl/range.js';

/** The version of `validate -json`'s output: "1.0", as terraform validate -json's is. */
export const DIAGNOSTICS_FORMAT_VERSION = '1.0' satisfies FormatVersion;

// The JSON view of diagnostics, in the shape of `terraform validate -json`, so tools that read
// Terraform's output (editors, CI annotators) read rcform's too. Snippet offsets are byte offsets
// into `code`, as Terraform's are.

export interface JsonSnippet {
  context: string | null;
  code: string;
  start_line: number;
  highlight_start_offset: number;
  highlight_end_offset: number;
  values: never[];
}

export interface JsonDiagnostic {
  severity: 'error' | 'warning';
  summary: string;
  detail: string;
  range?: Range;
  snippet?: JsonSnippet;
}

export interface ValidateJson {
  format_version: typeof DIAGNOSTICS_FORMAT_VERSION;
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: JsonDiagnostic[];
}

const HEADER_RE = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\s+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_-]*))*)\s*\{/;

/**
 * How much of a long line a snippet shows around its subject, in bytes. A file of one line of
 * two million invalid characters has two million diagnostics; each showing the whole line made
 * the output quadratic in the file's size.
 */
const SNIPPET_WINDOW = 256;

export function snippetFor(range: Range, source: string): JsonSnippet | undefined {
  const index = sourceIndex(source);
  const bytes = index.bytes;
  if (range.start.byte > bytes.length || range.end.byte > bytes.length) return undefined;
  let lineStart = index.lineStartAt(range.start.byte);
  let lineEnd = Math.max(range.end.byte, range.start.byte);
  // A range ending just after a newline ends on the previous line.
  if (lineEnd > range.start.byte && bytes[lineEnd - 1] === 0x0a) lineEnd--;
  lineEnd = index.lineEndAt(lineEnd);
  if (lineEnd - lineStart > 2 * SNIPPET_WINDOW) {
    // Cut at character boundaries (not inside a UTF-8 sequence).
    lineStart = Math.max(lineStart, range.start.byte - SNIPPET_WINDOW / 2);
    while (lineStart < range.start.byte && (bytes[lineStart]! & 0xc0) === 0x80) lineStart++;
    lineEnd = Math.min(lineEnd, lineStart + 2 * SNIPPET_WINDOW);
    while (lineEnd > lineStart && lineEnd < bytes.length && (bytes[lineEnd]! & 0xc0) === 0x80) lineEnd--;
  }
  const code = bytes.subarray(lineStart, lineEnd).toString('utf8').replace(/\r$/, '');
  return {
    context: index.contextAt(range.start.line),
    code,
    start_line: range.start.line,
    highlight_start_offset: Math.min(range.start.byte, lineEnd) - lineStart,
    highlight_end_offset: Math.min(range.end.byte, lineEnd) - lineStart,
    values: [],
  };
}

/**
 * What snippets need of a source, computed once per source rather than once per diagnostic: a
 * file can hold hundreds of thousands of errors, and encoding or splitting it for each made
 * rendering them quadratic.
 */
class SourceIndex {
  readonly bytes: Buffer;
  private readonly source: string;
  /** Lines (1-based) from which the block context changes, and the context from there on. */
  private changes?: { lines: number[]; contexts: (string | null)[] };
  /** The byte offsets of the newlines. */
  private newlines?: Int32Array;

  /** Where the line holding byte `at` starts: after the last newline before it. */
  lineStartAt(at: number): number {
    const nl = (this.newlines ??= this.findNewlines());
    const i = lowerBound(nl, at);
    return i === 0 ? 0 : nl[i - 1]! + 1;
  }

  /** Where the line holding byte `at` ends: at the first newline from it on, or the end. */
  lineEndAt(at: number): number {
    const nl = (this.newlines ??= this.findNewlines());
    const i = lowerBound(nl, at);
    return i < nl.length ? nl[i]! : this.bytes.length;
  }

  private findNewlines(): Int32Array {
    const out: number[] = [];
    for (let i = this.bytes.indexOf(0x0a); i !== -1; i = this.bytes.indexOf(0x0a, i + 1)) out.push(i);
    return Int32Array.from(out);
  }

  constructor(source: string) {
    this.source = source;
    this.bytes = Buffer.from(source, 'utf8');
  }

  /**
   * The header of the top-level block around a line (`longrun "web"`), as Terraform shows it:
   * the nearest unindented line above that opens a block, unless a closing `}` comes first.
   */
  contextAt(line: number): string | null {
    const { lines, contexts } = (this.changes ??= this.scan());
    let lo = 0, hi = lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (lines[mid]! <= line) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? null : contexts[lo - 1]!;
  }

  private scan(): { lines: number[]; contexts: (string | null)[] } {
    const lines: number[] = [];
    const contexts: (string | null)[] = [];
    const src = this.source;
    let current: string | null = null;
    for (let from = 0, n = 1; from <= src.length; n++) {
      let to = src.indexOf('\n', from);
      if (to === -1) to = src.length;
      // Indented and empty lines, and unindented lines that neither open nor close a block, keep the context.
      if (to > from && !LEADING_SPACE.test(src.charAt(from))) {
        const text = src.slice(from, to);
        const m = HEADER_RE.exec(text);
        const next: string | null = m ? `${m[1]}${(m[2] ?? '').replace(/\s+/g, ' ')}` : text.startsWith('}') ? null : current;
        if (next !== current) {
          lines.push(n);
          contexts.push(next);
          current = next;
        }
      }
      from = to + 1;
    }
    return { lines, contexts };
  }
}

const LEADING_SPACE = /^\s/;

/** The first index whose value is at least `x`, in a sorted array. */
function lowerBound(a: Int32Array, x: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

let lastIndex: { source: string; index: SourceIndex } | undefined;

function sourceIndex(source: string): SourceIndex {
  if (lastIndex?.source !== source) lastIndex = { source, index: new SourceIndex(source) };
  return lastIndex.index;
}

export function validateJson(diags: readonly Diagnostic[], sources: Readonly<Record<string, string>>): ValidateJson {
  const out: JsonDiagnostic[] = diags.map((d) => {
    const j: JsonDiagnostic = { severity: d.severity, summary: d.summary, detail: d.detail ?? '' };
    if (d.subject) {
      j.range = d.subject;
      const src = sources[d.subject.filename];
      const snip = src === undefined ? undefined : snippetFor(d.subject, src);
      if (snip) j.snippet = snip;
    }
    return j;
  });
  const error_count = diags.filter((d) => d.severity === 'error').length;
  return { format_version: DIAGNOSTICS_FORMAT_VERSION, valid: error_count === 0, error_count, warning_count: diags.length - error_count, diagnostics: out };
}
