import type { Diagnostic } from '../diagnostic.js';
import type { Range } from './range.js';

// Renders diagnostics the way `terraform validate` does: severity and summary, where (file, line
// and column, also as file:line:col so that editors and CI annotations can jump to it), the source
// line with the subject underlined, then the detail. Pure: the caller passes the sources it has
// read and decides whether to colour (a TTY, and NO_COLOR unset).

export interface RenderOptions {
  /** Emit ANSI colours (red/yellow severity, bold summary, highlighted subject). */
  color?: boolean;
}

const ESC = '\u001b[';
const paint = (on: boolean, codes: string, s: string) => (on ? `${ESC}${codes}m${s}${ESC}0m` : s);

export function renderDiagnostic(d: Diagnostic, sources: ReadonlyMap<string, string> | Record<string, string>, opts: RenderOptions = {}): string {
  const color = opts.color === true;
  const isError = d.severity === 'error';
  const label = paint(color, isError ? '1;31' : '1;33', isError ? 'Error:' : 'Warning:');
  const lines = [`${label} ${paint(color, '1', d.summary)}`];
  const r = d.subject;
  if (r) {
    lines.push('');
    lines.push(`  on ${r.filename} line ${r.start.line} (${r.filename}:${r.start.line}:${r.start.column}):`);
    const src = sourceOf(sources, r.filename);
    const snippet = src === undefined ? undefined : snippetLines(src, r, color, isError);
    if (snippet) lines.push(...snippet);
  }
  if (d.detail) {
    lines.push('');
    lines.push(d.detail);
  }
  return lines.join('\n') + '\n';
}

export function renderDiagnostics(ds: readonly Diagnostic[], sources: ReadonlyMap<string, string> | Record<string, string>, opts: RenderOptions = {}): string {
  return ds.map((d) => renderDiagnostic(d, sources, opts)).join('\n');
}

/** One line: `file:line:col: error: summary` (for logs and machine-readable output). */
export function formatDiagnosticLine(d: Diagnostic): string {
  const where = d.subject ? `${d.subject.filename}:${d.subject.start.line}:${d.subject.start.column}: ` : '';
  return `${where}${d.severity}: ${d.summary}${d.detail ? `: ${d.detail}` : ''}`;
}

function sourceOf(sources: ReadonlyMap<string, string> | Record<string, string>, filename: string): string | undefined {
  if (sources instanceof Map) return sources.get(filename);
  return Object.hasOwn(sources, filename) ? (sources as Record<string, string>)[filename] : undefined;
}

/** The subject's first line, numbered, with carets (or colour) under the subject's columns. */
function snippetLines(src: string, r: Range, color: boolean, isError: boolean): string[] | undefined {
  const text = lineText(src, r.start.line);
  if (text === undefined) return undefined;
  const chars = [...text];
  // Columns count characters; a subject that runs past this line is underlined to its end.
  const from = Math.min(Math.max(r.start.column - 1, 0), chars.length);
  const to = r.end.line === r.start.line ? Math.min(Math.max(r.end.column - 1, from), chars.length) : chars.length;
  const num = String(r.start.line);
  const gutter = `  ${num.padStart(4)}: `;
  const before = chars.slice(0, from).join('');
  const subject = chars.slice(from, to).join('');
  const after = chars.slice(to).join('');
  const codeLine = gutter + before + paint(color, isError ? '1;4;31' : '1;4;33', subject) + after;
  // Tabs stay tabs in the padding so that the carets line up under the code.
  const pad = before.replace(/[^\t]/g, ' ');
  const carets = '^'.repeat(Math.max(1, [...subject].length));
  return [codeLine.replace(/\s+$/, ''), ' '.repeat(gutter.length) + pad + paint(color, isError ? '31' : '33', carets)];
}

function lineText(src: string, line: number): string | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  let end = src.indexOf('\n', start);
  if (end < 0) end = src.length;
  return src.slice(start, end).replace(/\r$/, '').replace(/^\ufeff/, '');
}
