import type { ApplyEvent } from '../../operation/apply-events.js';
import { stepLabel } from './apply-words.js';

// Apply without a terminal (CI, pipes): one line per event, each with its timestamp, so a log read
// later says exactly when each step started and ended.

export function plainEventLine(ev: ApplyEvent): string {
  switch (ev.type) {
    case 'apply_start':
      return `${ev.time} apply ${ev.apply_id}: ${ev.steps} step${ev.steps === 1 ? '' : 's'}, up to ${ev.parallelism} at a time`;
    case 'step_start':
      return `${ev.time} ${stepLabel(ev.step)} started (because ${ev.step.reason})`;
    case 'step_end':
      return ev.outcome === 'ok'
        ? `${ev.time} ${stepLabel(ev.step)} done after ${formatMs(ev.duration_ms)}`
        : `${ev.time} ${stepLabel(ev.step)} ${ev.outcome} after ${formatMs(ev.duration_ms)}: ${ev.error ?? ''}`.trimEnd();
    case 'step_skipped':
      return `${ev.time} ${stepLabel(ev.step)} not started: ${ev.because}`;
    case 'interrupt':
      return ev.mode === 'soft'
        ? `${ev.time} interrupt: no new steps will start; waiting for the steps in flight (Ctrl-C again to interrupt them)`
        : `${ev.time} interrupt: interrupting the steps in flight`;
    case 'apply_end':
      return `${ev.time} apply ${ev.outcome}: ${ev.done} done, ${ev.failed} failed, ${ev.interrupted} interrupted, ${ev.not_started} not started`;
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}
