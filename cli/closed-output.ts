// `rcform graph DIR | head -1` closes the pipe under us: the next write fails with EPIPE, which Node
// emits as an 'error' event and, with nobody listening, turns into a crash with a stack trace.
// Node ignores SIGPIPE, so the signal that ends other Unix tools quietly never comes: this does
// its job. What a closed output means depends on the command:
// - 'exit': the command changes nothing (validate, graph, show, status, logs -f...), so it may stop
//   anywhere; it exits at once, quietly, with the status a SIGPIPE death gives in a shell (141).
// - 'continue': the command is changing the machine (apply, destroy, supervise...). Dying between
//   two steps would leave services half-changed, so the work goes on to its end, writes to the
//   closed stream are dropped, and the exit status is the command's own.

export type ClosedOutputPolicy = 'exit' | 'continue';

/** 128 + SIGPIPE: what a shell reports for a tool that a closed pipe ended. */
export const CLOSED_PIPE_EXIT = 141;

/**
 * Listens for write errors on the process's stdout and stderr. `policy` is read when an error
 * happens, so the dispatcher can set it once it knows the command.
 */
export function guardProcessOutput(policy: () => ClosedOutputPolicy): void {
  const streams = [process.stdout, process.stderr];
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      muteStream(stream);
      if (policy() === 'continue') return;
      if (err.code === 'EPIPE') process.exit(CLOSED_PIPE_EXIT);
      // A full disk or a dead terminal is worth one line, if stderr still works.
      if (stream !== process.stderr) {
        try {
          process.stderr.write(`rcform: cannot write to standard output: ${err.code ?? err.message}\n`);
        } catch {
          // nowhere left to say it
        }
      }
      process.exit(1);
    });
  }
}

/**
 * Makes every later write a no-op that still reports success to its callback. process.stdout is
 * never destroyed by an error (Node keeps it usable), so without this each later write would
 * fail and be reported again.
 */
function muteStream(stream: NodeJS.WriteStream): void {
  stream.write = ((_chunk: unknown, encOrCb?: unknown, cb?: unknown): boolean => {
    const done = typeof encOrCb === 'function' ? encOrCb : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof stream.write;
}
