import type { Diagnostic } from '../../lang/diagnostic.js';
import { snippetFor } from './diagnostics-json.js';

// Diagnostics for people, laid out as Terraform prints them: the summary, where it is (file, line
// and the enclosing block), the source line with the offending range underlined, then the detail.

export function renderDiagnostic(d: Diagnostic, sources: Readonly<Record<string, string>>, color = false): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const head = d.severity === 'error' ? paint('1;31', 'Error:') : paint('1;33', 'Warning:');
  const lines = [`${head} ${paint('1', d.summary)}`];
  const r = d.subject;
  const src = r ? sources[r.filename] : undefined;
  const snip = r && src !== undefined ? snippetFor(r, src) : undefined;
  if (r && snip) {
    lines.push('', `  on ${r.filename} line ${r.start.line}${snip.context ? `, in ${snip.context}` : ''}:`);
    const codeLines = snip.code.split('\n');
    const width = String(snip.start_line + codeLines.length - 1).length;
    const firstBytes = Buffer.from(codeLines[0] ?? '', 'utf8');
    codeLines.forEach((text, i) => lines.push(`  ${String(snip.start_line + i).padStart(width)}: ${text}`));
    if (codeLines.length === 1) {
      const pre = firstBytes.subarray(0, snip.highlight_start_offset).toString('utf8');
      const mid = firstBytes.subarray(snip.highlight_start_offset, snip.highlight_end_offset).toString('utf8');
      lines.push(`  ${' '.repeat(width)}  ${' '.repeat([...pre].length)}${paint('31', '^'.repeat(Math.max(1, [...mid].length)))}`);
    }
  } else if (r) lines.push('', `  on ${r.filename} line ${r.start.line}:`);
  if (d.detail) lines.push('', d.detail);
  return lines.join('\n') + '\n';
}

export function renderDiagnostics(diags: readonly Diagnostic[], sources: Readonly<Record<string, string>>, color = false): string {
  return diags.map((d) => renderDiagnostic(d, sources, color)).join('\n');
}
