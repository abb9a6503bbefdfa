import type { Range } from './hcl/range.js';

// Diagnostics are values, as in hcl.Diagnostics: every stage collects them and keeps going, so a
// single run can report all errors in a file instead of stopping at the first.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  /** The range the diagnostic is about (hcl's "subject"). */
  subject?: Range;
  /** A wider range that gives context, such as the whole expression (hcl's "context"). */
  context?: Range;
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

export function errorDiag(summary: string, detail: string | undefined, subject?: Range, context?: Range): Diagnostic {
  const d: Diagnostic = { severity: 'error', summary };
  if (detail !== undefined) d.detail = detail;
  if (subject) d.subject = subject;
  if (context) d.context = context;
  return d;
}

export function warningDiag(summary: string, detail: string | undefined, subject?: Range): Diagnostic {
  const d: Diagnostic = { severity: 'warning', summary };
  if (detail !== undefined) d.detail = detail;
  if (subject) d.subject = subject;
  return d;
}
