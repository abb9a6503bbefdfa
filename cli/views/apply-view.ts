import type { Io } from '../command.js';
import { askOnTerminal } from '../prompt.js';
import { plainEventLine } from './apply-plain.js';
import type { ApplyEvent } from '../../operation/apply-events.js';
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

/**
 * Lines written together once the events of one turn of the event loop are in: a step's end and
 * the start of the step waiting on it come in the same turn, and one write(2) instead of two per
 * transition spares a wake-up of whoever reads the pipe (on a 2-core machine, a core taken from
 * the supervisor). Each line carries its own timestamp, so nothing is lost by the grouping.
 */
class LineBuffer {
  private lines: string[] = [];
  private scheduled = false;
  constructor(private readonly io: Io) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }
  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.join('');
    this.lines = [];
    this.io.stdout.write(text);
  }
}

/** The views of pipes and CI: one line per event, written in groups; input asked on the terminal. */
abstract class LineApplyView implements ApplyView {
  private readonly out: LineBuffer;
  constructor(protected readonly io: Io) {
    this.out = new LineBuffer(io);
  }
  protected abstract line(ev: ApplyEvent): string;
  event(ev: ApplyEvent): void {
    this.out.push(this.line(ev) + '\n');
  }
  ask(svc: CompiledOneshot): Promise<Buffer> {
    this.out.flush();
    return askOnTerminal(this.io, `${svc.address}: ${svc.input?.prompt ?? 'input'}`, svc.input?.secret ?? false);
  }
  async close(_summary: string): Promise<void> {
    this.out.flush();
  }
}

export class PlainApplyView extends LineApplyView {
  protected line(ev: ApplyEvent): string {
    return plainEventLine(ev);
  }
  override async close(summary: string): Promise<void> {
    await super.close(summary);
    if (summary) this.io.stdout.write(summary.endsWith('\n') ? summary : summary + '\n');
  }
}

/** `--json`: one object per line, the events of operation/apply-events.ts (docs/apply.md); no summary. */
export class JsonApplyView extends LineApplyView {
  protected line(ev: ApplyEvent): string {
    return JSON.stringify(ev);
  }
}
