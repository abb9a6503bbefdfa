import type { Range } from './hcl/range.js';
import { UserError, type UserErrorKind } from './user-error.js';

// Diagnostics are values, as in hcl.Diagnostics: every stage collects them and keeps going, so a
// single run can report all errors in a file instead of stopping at the first.

export type Severity = 'error' | 'warning';

/**
 * What a diagnostic is about when that is not a place in a source file: a service of the plan
 * (by address), a step of an apply, or a command-line option and the value given to it.
 */
export type DiagnosticObject = { service: string } | { step: string } | { option: string; value: string };

export interface Diagnostic {
  severity: Severity;
  summary: string;
  detail?: string;
  /** The range the diagnostic is about (hcl's "subject"). */
  subject?: Range;
  /** A wider range that gives context, such as the whole expression (hcl's "context"). */
  context?: Range;
  /** The subject when it is not in a source: the planner's diagnostics are about services and options. */
  object?: DiagnosticObject;
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

/** An error about a service, a step or an option rather than a source range. */
export function objectDiag(summary: string, object: DiagnosticObject): Diagnostic {
  return { severity: 'error', summary, object };
}

/**
 * Diagnostics that end a command: the CLI renders them as it renders a source's (cli/run.ts).
 * `sources` holds the text of the files their ranges point into, for the snippets.
 */
export class DiagnosticsError extends UserError {
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    kind: UserErrorKind = 'input',
    readonly sources: Readonly<Record<string, string>> = {},
  ) {
    super(kind, diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary).join('\n'));
    this.name = 'DiagnosticsError';
  }
}
