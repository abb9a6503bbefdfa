import type { Diagnostic } from '../../lang/diagnostic.js';
import type { Io } from '../command.js';
import { snippetFor } from './diagnostics-json.js';

// The one renderer of diagnostics for people, laid out as `terraform validate` prints them: the
// summary; where it is, also as file:line:col so that editors and CI annotators can jump to it, with
// the enclosing block; the source line with the subject underlined; then the detail. The same
// snippet (byte offsets, block context) feeds the JSON view, so both views always agree.

export interface RenderOptions {
  /** ANSI colours: red/yellow severity, bold summary, the subject highlighted. See `colorFor`. */
  color?: boolean;
}

const paint = (on: boolean, codes: string, s: string): string => (on ? `\u001b[${codes}m${s}\u001b[0m` : s);

/** Colour on a stream only when it is a TTY and colour is allowed at all (no NO_COLOR, no --no-color). */
export function colorFor(io: Io, stream: { isTTY?: boolean }): boolean {
  return io.color && Boolean(stream.isTTY);
}

export function renderDiagnostic(d: Diagnostic, sources: Readonly<Record<string, string>>, opts: RenderOptions = {}): string {
  const color = opts.color === true;
  const isError = d.severity === 'error';
  const lines = [`${paint(color, isError ? '1;31' : '1;33', isError ? 'Error:' : 'Warning:')} ${paint(color, '1', d.summary)}`];
  const r = d.subject;
  if (r) {
    const src = Object.hasOwn(sources, r.filename) ? sources[r.filename] : undefined;
    const snip = src === undefined ? undefined : snippetFor(r, src);
    const where = `${r.filename}:${r.start.line}:${r.start.column}`;
    lines.push('', `  on ${r.filename} line ${r.start.line} (${where})${snip?.context ? `, in ${snip.context}` : ''}:`);
    if (snip) {
      // Only the subject's first line is shown; a subject running past it is underlined to its end.
      const code = Buffer.from(snip.code.split('\n')[0] ?? '', 'utf8');
      const from = Math.min(snip.highlight_start_offset, code.length);
      const to = Math.max(from, Math.min(snip.highlight_end_offset, code.length));
      const before = code.subarray(0, from).toString('utf8');
      const subject = code.subarray(from, to).toString('utf8');
      const after = code.subarray(to).toString('utf8');
      const gutter = `  ${String(snip.start_line).padStart(4)}: `;
      lines.push(`${gutter}${before}${paint(color, isError ? '1;4;31' : '1;4;33', subject)}${after}`.replace(/\s+$/, ''));
      // Tabs stay tabs in the padding so that the carets line up under the code.
      const pad = before.replace(/[^\t]/g, ' ');
      lines.push(' '.repeat(gutter.length) + pad + paint(color, isError ? '31' : '33', '^'.repeat(Math.max(1, [...subject].length))));
    }
  }
  if (d.detail) lines.push('', d.detail);
  return lines.join('\n') + '\n';
}

export function renderDiagnostics(diags: readonly Diagnostic[], sources: Readonly<Record<string, string>>, opts: RenderOptions = {}): string {
  return diags.map((d) => renderDiagnostic(d, sources, opts)).join('\n');
}

/** One line, `file:line:col: error: summary: detail`, for logs and line-oriented tools. */
export function formatDiagnosticLine(d: Diagnostic): string {
  const where = d.subject ? `${d.subject.filename}:${d.subject.start.line}:${d.subject.start.column}: ` : '';
  return `${where}${d.severity}: ${d.summary}${d.detail ? `: ${d.detail}` : ''}`;
}
