import type { Diagnostic } from '../../lang/diagnostic.js';
import type { Range } from '../../lang/hcl/range.js';

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
  format_version: '1.0';
  valid: boolean;
  error_count: number;
  warning_count: number;
  diagnostics: JsonDiagnostic[];
}

const HEADER_RE = /^([A-Za-z_][A-Za-z0-9_-]*)((?:\s+(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_-]*))*)\s*\{/;

export function snippetFor(range: Range, source: string): JsonSnippet | undefined {
  const bytes = Buffer.from(source, 'utf8');
  if (range.start.byte > bytes.length || range.end.byte > bytes.length) return undefined;
  let lineStart = range.start.byte;
  while (lineStart > 0 && bytes[lineStart - 1] !== 0x0a) lineStart--;
  let lineEnd = Math.max(range.end.byte, range.start.byte);
  // A range ending just after a newline ends on the previous line.
  if (lineEnd > range.start.byte && bytes[lineEnd - 1] === 0x0a) lineEnd--;
  while (lineEnd < bytes.length && bytes[lineEnd] !== 0x0a) lineEnd++;
  const code = bytes.subarray(lineStart, lineEnd).toString('utf8').replace(/\r$/, '');
  return {
    context: contextFor(source, range.start.line),
    code,
    start_line: range.start.line,
    highlight_start_offset: range.start.byte - lineStart,
    highlight_end_offset: Math.min(range.end.byte, lineEnd) - lineStart,
    values: [],
  };
}

/** The header of the top-level block around a line (`longrun "web"`), as Terraform shows it. */
function contextFor(source: string, line: number): string | null {
  const lines = source.split('\n');
  for (let i = Math.min(line, lines.length) - 1; i >= 0; i--) {
    const text = lines[i] as string;
    if (/^\s/.test(text) || text === '') continue;
    const m = HEADER_RE.exec(text);
    if (m) return `${m[1]}${(m[2] ?? '').replace(/\s+/g, ' ')}`;
    if (text.startsWith('}')) return null;
  }
  return null;
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
  return { format_version: '1.0', valid: error_count === 0, error_count, warning_count: diags.length - error_count, diagnostics: out };
}
