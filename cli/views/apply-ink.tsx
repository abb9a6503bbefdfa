import React, { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, render, useInput, useStderr, useStdout, type Instance } from 'ink';
import type { Io } from '../command.js';
import type { ApplyView } from './apply-view.js';
import { formatMs } from './apply-plain.js';
import { stepLabel } from './apply-words.js';
import { painter, type Paint } from './plan-human.js';
import type { ApplyEvent } from '../../operation/apply-events.js';
import type { CompiledOneshot } from '../../lang/compile/compiled-db.js';
import type { PlanStep } from '../../planner/plan-types.js';

// The live view of apply on a terminal. Two parts: lines printed once into the scrollback (each
// finished step with its mark and time, an interrupt's notice), and below them a live part that
// Ink redraws: a header with the progress in services and the elapsed time, the steps in flight
// with a spinner, and a oneshot's question (masked when secret). The live part is always shorter
// than the terminal: when it is not, Ink clears the whole screen and its scrollback (the plan the
// operator just approved) to redraw. So the list of steps in flight is cut to fit ("… and N
// more"), and every line of the live part is one row (cut, never wrapped). At the end the live
// part is erased and the summary printed after the last finished line.

export interface StepLine {
  step: PlanStep;
  startedAt: number;
}

export interface Question {
  svc: CompiledOneshot;
  answer(value: Buffer): void;
  cancel(): void;
}

export interface ApplyScreen {
  /** "Applying" or "Destroying". */
  verb: string;
  /** The services the plan acts on, and how many of them have no step left to run. */
  services: number;
  settled: number;
  failed: number;
  parallelism?: number;
  startedAt?: number;
  running: StepLine[];
  question?: Question;
  /** Closing: the live part is gone, the summary is printed after it. */
  closed: boolean;
}

/** The view's state, kept outside React so events can arrive from anywhere. */
export class ApplyStore {
  private screen: ApplyScreen;
  private readonly listeners = new Set<() => void>();
  private readonly printers = new Set<(text: string) => void>();
  /** Steps left per service: a service is settled when none is left. */
  private readonly left = new Map<string, number>();
  private readonly failedServices = new Set<string>();
  private pending: string[] = [];
  private scheduled = false;

  constructor(
    steps: readonly PlanStep[],
    opts: { destroy?: boolean; color?: boolean } = {},
    private readonly paint: Paint = painter(opts.color ?? false),
  ) {
    for (const s of steps) this.left.set(s.service, (this.left.get(s.service) ?? 0) + 1);
    this.screen = { verb: opts.destroy ? 'Destroying' : 'Applying', services: this.left.size, settled: 0, failed: 0, running: [], closed: false };
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  get = (): ApplyScreen => this.screen;

  update(change: (s: ApplyScreen) => ApplyScreen): void {
    this.screen = change(this.screen);
    for (const fn of this.listeners) fn();
  }

  /** Where printed lines go (the Ink instance's stdout); lines printed before anyone listens wait. */
  onPrint(fn: (text: string) => void): () => void {
    this.printers.add(fn);
    this.flush();
    return () => this.printers.delete(fn);
  }

  /**
   * Lines for the scrollback, written together at the end of the turn of the event loop: each
   * write makes Ink erase and redraw the live part, so a burst of finished steps costs one.
   */
  print(line: string): void {
    this.pending.push(line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.printers.size === 0) return;
    const text = this.pending.join('\n') + '\n';
    this.pending = [];
    for (const fn of this.printers) fn(text);
  }

  event(ev: ApplyEvent): void {
    const at = Date.parse(ev.time);
    switch (ev.type) {
      case 'apply_start':
        this.update((s) => ({ ...s, parallelism: ev.parallelism, startedAt: at }));
        return;
      case 'step_start':
        this.update((s) => ({ ...s, running: [...s.running, { step: ev.step, startedAt: at }] }));
        return;
      case 'step_end': {
        this.print(this.finishedLine(ev.step, ev.outcome, ev.duration_ms, ev.error));
        if (ev.outcome === 'failed') this.failedServices.add(ev.step.service);
        const settled = this.settle(ev.step);
        this.update((s) => ({ ...s, settled: s.settled + settled, failed: this.failedServices.size, running: s.running.filter((l) => l.step.id !== ev.step.id) }));
        return;
      }
      case 'step_skipped': {
        // Not printed as it happens: the summary lists every step that did not start, once.
        const settled = this.settle(ev.step);
        if (settled) this.update((s) => ({ ...s, settled: s.settled + settled }));
        return;
      }
      case 'interrupt':
        this.print(
          this.paint(
            'yellow',
            ev.mode === 'soft'
              ? 'Interrupted: no new steps start; waiting for the steps in flight (Ctrl-C again to interrupt them)'
              : 'Interrupting the steps in flight',
          ),
        );
        return;
      case 'apply_end':
        return;
    }
  }

  private settle(step: PlanStep): number {
    const n = (this.left.get(step.service) ?? 1) - 1;
    this.left.set(step.service, n);
    return n === 0 ? 1 : 0;
  }

  private finishedLine(step: PlanStep, outcome: 'ok' | 'failed' | 'interrupted', ms: number, error?: string): string {
    const time = formatMs(ms);
    if (outcome === 'ok') return `${this.paint('green', '✓')} ${stepLabel(step)} (${time})`;
    const color = outcome === 'failed' ? 'red' : 'yellow';
    return `${this.paint(color, outcome === 'failed' ? '✗' : '!')} ${stepLabel(step)} ${this.paint(color, `${outcome} (${time})${error ? `: ${error}` : ''}`)}`;
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Rows the live part keeps free: the line the cursor rests on below it, and one to spare. */
const FREE_ROWS = 2;

function QuestionBox({ question }: { question: Question }): React.ReactElement {
  // The answer lives in a ref, not only in state: keys typed faster than React re-renders (a
  // paste, or Enter right after the last character) must all reach the answer.
  const typed = useRef('');
  const [value, setValue] = useState('');
  const secret = question.svc.input?.secret ?? false;
  useInput((input, key) => {
    if (key.return) {
      question.answer(Buffer.from(typed.current));
      return;
    }
    if (key.ctrl && input === 'c') {
      question.cancel();
      return;
    }
    if (key.backspace || key.delete) typed.current = typed.current.slice(0, -1);
    else if (!key.ctrl && !key.meta && input) typed.current += input.replace(/[\r\n]+$/, '');
    else return;
    setValue(typed.current);
    if (/[\r\n]$/.test(input)) question.answer(Buffer.from(typed.current));
  });
  return (
    <Box>
      <Text color="cyan">? </Text>
      <Text>
        {question.svc.address}: {question.svc.input?.prompt ?? 'input'}{' '}
      </Text>
      <Text>{secret ? '' : value}</Text>
      {secret ? <Text color="gray">(hidden)</Text> : null}
    </Box>
  );
}

function questionText(q: Question, typed: number): number {
  return 2 + q.svc.address.length + 2 + (q.svc.input?.prompt ?? 'input').length + 1 + (q.svc.input?.secret ? '(hidden)'.length : typed);
}

/** Writes the store's printed lines above the live part, through Ink, so it redraws below them. */
function Printer({ store }: { store: ApplyStore }): null {
  const { write } = useStdout();
  useLayoutEffect(() => store.onPrint(write), [store, write]);
  return null;
}

/** Hands out Ink's way to write to stderr: the live part is erased first and drawn again after. */
function StderrBridge({ onWrite }: { onWrite: (write: (text: string) => void) => void }): null {
  const { write } = useStderr();
  useLayoutEffect(() => onWrite(write), [onWrite, write]);
  return null;
}

export function ApplyApp({ store, now = Date.now }: { store: ApplyStore; now?: () => number }): React.ReactElement | null {
  const screen = useSyncExternalStore(store.subscribe, store.get);
  const { stdout } = useStdout();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (screen.closed) return;
    const t = setInterval(() => setTick((n) => n + 1), 100);
    return () => clearInterval(t);
  }, [screen.closed]);
  if (screen.closed) return <Printer store={store} />;
  const rows = stdout.rows || 24;
  const cols = stdout.columns || 80;
  const frame = SPINNER[tick % SPINNER.length];
  const t = now();
  const questionRows = screen.question ? Math.ceil(questionText(screen.question, 40) / cols) : 0;
  // The header, the "… and N more" line and the question take theirs; the steps get the rest.
  const room = Math.max(1, rows - FREE_ROWS - 2 - questionRows);
  const shown = screen.running.length > room ? screen.running.slice(0, room - 1) : screen.running;
  const hidden = screen.running.length - shown.length;
  const elapsed = screen.startedAt !== undefined ? formatMs(Math.max(0, t - screen.startedAt)) : '0ms';
  return (
    <Box flexDirection="column">
      <Printer store={store} />
      <Text wrap="truncate-end">
        <Text bold>{screen.verb}:</Text> {screen.settled}/{screen.services} service{screen.services === 1 ? '' : 's'} done
        {screen.failed > 0 ? <Text color="red">, {screen.failed} failed</Text> : null}
        <Text color="gray">
          {' '}
          · {screen.running.length} step{screen.running.length === 1 ? '' : 's'} in flight{screen.parallelism !== undefined ? ` (up to ${screen.parallelism})` : ''} · {elapsed}
        </Text>
      </Text>
      {shown.map((line) => (
        <Text key={line.step.id} wrap="truncate-end">
          <Text color="yellow">{frame}</Text> {stepLabel(line.step)} <Text color="gray">({formatMs(Math.max(0, t - line.startedAt))})</Text>
        </Text>
      ))}
      {hidden > 0 ? (
        <Text color="gray" wrap="truncate-end">
          … and {hidden} more
        </Text>
      ) : null}
      {screen.question ? <QuestionBox question={screen.question} /> : null}
    </Box>
  );
}

export class InkApplyView implements ApplyView {
  private readonly store: ApplyStore;
  private readonly instance: Instance;
  private interruptHandler: (() => void) | undefined;

  private readonly stderr: NodeJS.WriteStream;
  private readonly stderrWrite: NodeJS.WriteStream['write'];

  constructor(
    private readonly io: Io,
    steps: readonly PlanStep[],
    opts: { destroy: boolean },
  ) {
    this.store = new ApplyStore(steps, { destroy: opts.destroy, color: io.color });
    // What else writes to stderr while the view is live (RCFORM_LOG, a warning) goes through Ink,
    // which erases the live part first and draws it again below: written beside it, a line would
    // leave the rows Ink redraws off by one, and a frame in the scrollback at every write. Ink
    // itself is given the stream's own write.
    this.stderr = io.stderr as NodeJS.WriteStream;
    this.stderrWrite = this.stderr.write;
    const own = this.stderrWrite.bind(this.stderr);
    const forInk = new Proxy(this.stderr, { get: (target, key) => (key === 'write' ? own : Reflect.get(target, key)) });
    let viaInk: ((text: string) => void) | undefined;
    this.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      if (!viaInk) return (own as (...a: unknown[]) => boolean)(chunk, ...rest);
      viaInk(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as NodeJS.WriteStream['write'];
    const attach = (write: (text: string) => void): void => {
      viaInk = write;
    };
    this.instance = render(
      <>
        <StderrBridge onWrite={attach} />
        <ApplyApp store={this.store} />
      </>,
      {
        stdout: io.stdout as NodeJS.WriteStream,
        stdin: io.stdin as NodeJS.ReadStream,
        stderr: forInk,
        exitOnCtrlC: false,
        patchConsole: false,
      },
    );
  }

  event(ev: ApplyEvent): void {
    this.store.event(ev);
  }

  onInterrupt(handler: () => void): void {
    this.interruptHandler = handler;
  }

  ask(svc: CompiledOneshot): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const clear = (): void => this.store.update((s) => ({ ...s, question: undefined }) as ApplyScreen);
      this.store.update((s) => ({
        ...s,
        question: {
          svc,
          answer: (value) => {
            clear();
            resolve(value);
          },
          cancel: () => {
            clear();
            // Raw mode turned Ctrl-C into a key: treat it as the interrupt it was meant to be.
            this.interruptHandler?.();
            reject(new Error('the operator interrupted the question'));
          },
        },
      }));
    });
  }

  async close(summary: string): Promise<void> {
    this.store.flush();
    this.store.update((s) => ({ ...s, closed: true, running: [], question: undefined }));
    // Let Ink paint the empty live part (its renders are throttled), then erase what is left of
    // it: the summary follows the last printed line.
    await new Promise((r) => setTimeout(r, 60));
    this.instance.clear();
    this.instance.unmount();
    await this.instance.waitUntilExit().catch(() => undefined);
    this.stderr.write = this.stderrWrite;
    if (summary) this.io.stdout.write(summary.endsWith('\n') ? summary : summary + '\n');
  }
}
