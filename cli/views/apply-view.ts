import type { Io } from '../command.js';
import { askOnTerminal } from '../prompt.js';
import { plainEventLine } from './apply-plain.js';
import type { ApplyEvent } from '../../engine/apply-events.js';
import type { CompiledOneshot } from '../../lang/compile/compiled-db.js';
import type { PlanStep } from '../../planner/plan-types.js';

// How apply shows its progress. Three views over the same events: the live Ink view on a terminal
// (cli/views/apply-ink.tsx), one plain line per event for pipes and CI, and one JSON object per
// event with --json. The view also asks the operator for a oneshot's input.

export interface ApplyView {
  event(ev: ApplyEvent): void;
  /** Asks for a oneshot's input at its step. Only called when asking is possible. */
  ask(svc: CompiledOneshot, step: PlanStep): Promise<Buffer>;
  /** The Ink view reads keys in raw mode, where Ctrl-C is a key, not SIGINT: it reports it here. */
  onInterrupt?(handler: () => void): void;
  /** Prints what remains (the final summary) and lets go of the terminal. */
  close(summary: string): Promise<void>;
}

export class PlainApplyView implements ApplyView {
  constructor(private readonly io: Io) {}
  event(ev: ApplyEvent): void {
    this.io.stdout.write(plainEventLine(ev) + '\n');
  }
  ask(svc: CompiledOneshot): Promise<Buffer> {
    return askOnTerminal(this.io, `${svc.address}: ${svc.input?.prompt ?? 'input'}`, svc.input?.secret ?? false);
  }
  async close(summary: string): Promise<void> {
    if (summary) this.io.stdout.write(summary.endsWith('\n') ? summary : summary + '\n');
  }
}

/** `--json`: one object per line, the events of engine/apply-events.ts (docs/apply.md). */
export class JsonApplyView implements ApplyView {
  constructor(private readonly io: Io) {}
  event(ev: ApplyEvent): void {
    this.io.stdout.write(JSON.stringify(ev) + '\n');
  }
  ask(svc: CompiledOneshot): Promise<Buffer> {
    return askOnTerminal(this.io, `${svc.address}: ${svc.input?.prompt ?? 'input'}`, svc.input?.secret ?? false);
  }
  async close(): Promise<void> {}
}
