import React, { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Static, Text, render, useInput, type Instance } from 'ink';
import type { Io } from '../command.js';
import type { ApplyView } from './apply-view.js';
import { formatMs } from './apply-plain.js';
import type { ApplyEvent } from '../../engine/apply-events.js';
import type { CompiledOneshot } from '../../lang/compile/compiled-db.js';
import type { PlanStep } from '../../planner/plan-types.js';

// The live view of apply on a terminal: finished steps scroll by with a mark and their time, the
// steps in flight stay at the bottom with a spinner and their elapsed time, a oneshot's question
// is asked in place (masked when secret), and the summary closes it.

export interface StepLine {
  step: PlanStep;
  status: 'running' | 'ok' | 'failed' | 'interrupted' | 'skipped';
  startedAt: number;
  durationMs?: number;
  detail?: string;
}

export interface Question {
  svc: CompiledOneshot;
  answer(value: Buffer): void;
  cancel(): void;
}

export interface ApplyScreen {
  header?: string;
  done: StepLine[];
  running: StepLine[];
  notice?: string;
  question?: Question;
  summary?: string;
}

/** The view's state, kept outside React so events can arrive from anywhere. */
export class ApplyStore {
  private screen: ApplyScreen = { done: [], running: [] };
  private readonly listeners = new Set<() => void>();

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  get = (): ApplyScreen => this.screen;

  update(change: (s: ApplyScreen) => ApplyScreen): void {
    this.screen = change(this.screen);
    for (const fn of this.listeners) fn();
  }

  event(ev: ApplyEvent): void {
    const at = Date.parse(ev.time);
    switch (ev.type) {
      case 'apply_start':
        this.update((s) => ({ ...s, header: `Applying ${ev.steps} step${ev.steps === 1 ? '' : 's'} (up to ${ev.parallelism} at a time)` }));
        return;
      case 'step_start':
        this.update((s) => ({ ...s, running: [...s.running, { step: ev.step, status: 'running', startedAt: at }] }));
        return;
      case 'step_end':
        this.update((s) => {
          const line = s.running.find((l) => l.step.id === ev.step.id);
          const finished: StepLine = {
            step: ev.step,
            status: ev.outcome,
            startedAt: line?.startedAt ?? at,
            durationMs: ev.duration_ms,
            ...(ev.error !== undefined ? { detail: ev.error } : {}),
          };
          return { ...s, running: s.running.filter((l) => l.step.id !== ev.step.id), done: [...s.done, finished] };
        });
        return;
      case 'step_skipped':
        this.update((s) => ({ ...s, done: [...s.done, { step: ev.step, status: 'skipped', startedAt: at, detail: ev.because }] }));
        return;
      case 'interrupt':
        this.update((s) => ({
          ...s,
          notice: ev.mode === 'soft' ? 'Interrupted: no new steps start; waiting for the steps in flight (Ctrl-C again to interrupt them)' : 'Interrupting the steps in flight',
        }));
        return;
      case 'apply_end':
        return;
    }
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const MARK: Record<StepLine['status'], { text: string; color: string }> = {
  running: { text: '…', color: 'yellow' },
  ok: { text: '✓', color: 'green' },
  failed: { text: '✗', color: 'red' },
  interrupted: { text: '!', color: 'yellow' },
  skipped: { text: '-', color: 'gray' },
};

function DoneLine({ line }: { line: StepLine }): React.ReactElement {
  const mark = MARK[line.status];
  const time = line.durationMs !== undefined ? ` (${formatMs(line.durationMs)})` : '';
  return (
    <Text>
      <Text color={mark.color}>{mark.text}</Text> {line.step.address}: {line.step.action}
      {line.status === 'ok' ? time : line.status === 'skipped' ? <Text color="gray"> not started: {line.detail}</Text> : <Text color={mark.color}> {line.status}{time}: {line.detail}</Text>}
    </Text>
  );
}

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

export function ApplyApp({ store, now = Date.now }: { store: ApplyStore; now?: () => number }): React.ReactElement {
  const screen = useSyncExternalStore(store.subscribe, store.get);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (screen.summary !== undefined) return;
    const t = setInterval(() => setTick((n) => n + 1), 100);
    return () => clearInterval(t);
  }, [screen.summary]);
  const frame = SPINNER[tick % SPINNER.length];
  return (
    <Box flexDirection="column">
      {/* The header arrives before any step ends, so it stays the first of the printed lines. */}
      <Static items={screen.header ? [screen.header, ...screen.done] : screen.done}>
        {(item) =>
          typeof item === 'string' ? (
            <Text key="header" bold>
              {item}
            </Text>
          ) : (
            <DoneLine key={item.step.id + item.status} line={item} />
          )
        }
      </Static>
      {screen.running.map((line) => (
        <Text key={line.step.id}>
          <Text color="yellow">{frame}</Text> {line.step.address}: {line.step.action} <Text color="gray">({formatMs(Math.max(0, now() - line.startedAt))})</Text>
        </Text>
      ))}
      {screen.question ? <QuestionBox question={screen.question} /> : null}
      {screen.notice ? <Text color="yellow">{screen.notice}</Text> : null}
      {screen.summary !== undefined ? <Text>{screen.summary}</Text> : null}
    </Box>
  );
}

export class InkApplyView implements ApplyView {
  private readonly store = new ApplyStore();
  private readonly instance: Instance;
  private interruptHandler: (() => void) | undefined;

  constructor(io: Io) {
    this.instance = render(<ApplyApp store={this.store} />, {
      stdout: io.stdout as NodeJS.WriteStream,
      stdin: io.stdin as NodeJS.ReadStream,
      stderr: io.stderr as NodeJS.WriteStream,
      exitOnCtrlC: false,
      patchConsole: false,
    });
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
    this.store.update((s) => ({ ...s, summary: summary.trimEnd() }));
    // Let Ink paint the last frame before unmounting.
    await new Promise((r) => setTimeout(r, 50));
    this.instance.unmount();
    await this.instance.waitUntilExit().catch(() => undefined);
  }
}
