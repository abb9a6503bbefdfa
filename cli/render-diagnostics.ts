import type { Diagnostic } from '../lang/diagnostic.js';

// Until the shared terraform-style renderer lands, diagnostics are printed as
// `file:line:col: severity: summary; detail` followed by the offending source line.
export function renderDiagnostics(diags: readonly Diagnostic[], sources: ReadonlyMap<string, string>, _color: boolean): string {
  const out: string[] = [];
  for (const d of diags) {
    const r = d.subject;
    const where = r ? `${r.filename}:${r.start.line}:${r.start.column}: ` : '';
    out.push(`${where}${d.severity === 'error' ? 'Error' : 'Warning'}: ${d.summary}${d.detail ? `; ${d.detail}` : ''}`);
    const line = r ? sources.get(r.filename)?.split('\n')[r.start.line - 1] : undefined;
    if (r && line !== undefined) out.push(`  ${r.start.line}: ${line.replace(/\r$/, '')}`);
  }
  return out.join('\n');
}
