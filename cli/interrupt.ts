// Ctrl-C during an apply, as the operator knows it: once, no new steps start and those in flight
// finish; twice, those in flight are interrupted too. SIGTERM interrupts at once. The operation
// sees only the two AbortSignals; the signals of the process are the CLI's to read.

export interface TwoStageInterrupt {
  /** Aborted at the first Ctrl-C. */
  readonly stop: AbortSignal;
  /** Aborted at the second Ctrl-C, or SIGTERM. */
  readonly interrupt: AbortSignal;
  /** From now on SIGINT and SIGTERM are read here, not left to end the process. */
  arm(): void;
  /** A Ctrl-C that did not come as SIGINT (the Ink view reads keys in raw mode); ignored until armed. */
  press(): void;
  dispose(): void;
}

export function twoStageInterrupt(): TwoStageInterrupt {
  const stop = new AbortController();
  const interrupt = new AbortController();
  let presses = 0;
  let armed = false;
  const press = (): void => {
    if (!armed) return;
    presses++;
    if (presses === 1) stop.abort(new Error('apply interrupted: no new steps are started'));
    else interrupt.abort(new Error('interrupted by the operator'));
  };
  const term = (): void => {
    presses = 2;
    interrupt.abort(new Error('interrupted by the operator'));
  };
  return {
    stop: stop.signal,
    interrupt: interrupt.signal,
    arm() {
      if (armed) return;
      armed = true;
      process.on('SIGINT', press);
      process.on('SIGTERM', term);
    },
    press,
    dispose() {
      if (!armed) return;
      armed = false;
      process.off('SIGINT', press);
      process.off('SIGTERM', term);
    },
  };
}
