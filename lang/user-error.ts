// The one base of every error a person can act on, whichever layer finds it. The layer states the
// fact ("the state lock is held by ..."); the CLI maps the kind to an exit status in one place
// (cli/run.ts) and may add which flag or command helps. Anything else that reaches the CLI is a bug.

/**
 * - `usage`: the command line itself is wrong (an unknown flag, a missing argument);
 * - `input`: what the operator gave is wrong (source files, plan files, addresses, values);
 * - `environment`: the machine is not as needed (an engine not running, a file unreadable, no root);
 * - `conflict`: someone else's work is in the way (a held lock, a live directory that moved on).
 */
export type UserErrorKind = 'usage' | 'input' | 'environment' | 'conflict';

export class UserError extends Error {
  constructor(
    readonly kind: UserErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}
