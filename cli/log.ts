// RCFORM_LOG: what a command does, line by line on stderr with timestamps, for an operator who
// needs to see where time goes or what was decided (as Terraform's TF_LOG). Off unless set; it
// never writes to stdout, so plans and JSON stay clean. Messages name paths, services and counts,
// never variable values or answers: a log is pasted into tickets.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** Accepted words for RCFORM_LOG; trace is Terraform's most verbose level, debug here. */
const LEVEL_WORDS: Record<string, LogLevel> = { trace: 'debug', debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

interface Sink {
  write(text: string): unknown;
}

let sink: Sink | undefined;
let threshold = RANK.error + 1;

/**
 * Reads RCFORM_LOG for one run. Returns a warning to print when the value is not a level: then
 * everything is logged, as Terraform does for a TF_LOG it does not know.
 */
export function configureLog(env: NodeJS.ProcessEnv, stderr: Sink): string | undefined {
  const raw = env['RCFORM_LOG'];
  if (raw === undefined || raw === '' || raw.toLowerCase() === 'off') {
    sink = undefined;
    threshold = RANK.error + 1;
    return undefined;
  }
  sink = stderr;
  const level = LEVEL_WORDS[raw.toLowerCase()];
  threshold = RANK[level ?? 'debug'];
  return level ? undefined : `RCFORM_LOG=${raw} is not a level (debug, info, warn, error): logging everything`;
}

export function logEnabled(level: LogLevel): boolean {
  return sink !== undefined && RANK[level] >= threshold;
}

export function log(level: LogLevel, message: string): void {
  if (!logEnabled(level)) return;
  (sink as Sink).write(`${new Date().toISOString()} [${level.toUpperCase()}] ${message}\n`);
}

export const logDebug = (message: string): void => log('debug', message);
export const logInfo = (message: string): void => log('info', message);

/** Milliseconds since `start` (a performance.now() reading), for "took N ms" in log lines. */
export function since(start: number): string {
  return `${(performance.now() - start).toFixed(1)} ms`;
}
