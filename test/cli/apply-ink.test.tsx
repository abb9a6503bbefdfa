import { expect, test } from '@jest/globals';
import { render } from 'ink-testing-library';
import { ApplyApp, ApplyStore } from '../../cli/views/apply-ink.js';
import type { PlanStep } from '../../planner/plan-types.js';
import type { CompiledOneshot } from '../../lang/compile/compiled-db.js';

const step = (action: PlanStep['action'], service: string): PlanStep => ({
  id: `${action}:${service}`,
  action,
  service,
  address: `longrun.${service}`,
  reason: 'it is new',
  timeout_ms: 0,
});
const T0 = Date.parse('2026-11-24T10:00:00.000Z');
const at = (ms: number): string => new Date(T0 + ms).toISOString();
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 30));
// A line printed above the live part is a write of its own: the live part is drawn again by the
// next render, which the spinner brings within 100 ms.
const redrawn = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
const count = (text: string, part: string): number => text.split(part).length - 1;

test('steps in flight show a spinner and elapsed time under a header counting services; finished steps are printed once with their mark and duration', async () => {
  const steps = [step('start', 'db'), step('start', 'cache'), step('start', 'web')];
  const store = new ApplyStore(steps);
  const { lastFrame, frames, unmount } = render(<ApplyApp store={store} now={() => T0 + 2500} />);
  store.event({ type: 'apply_start', time: at(0), apply_id: 'x', steps: 3, parallelism: 4 });
  store.event({ type: 'step_start', time: at(0), step: step('start', 'db') });
  store.event({ type: 'step_start', time: at(100), step: step('start', 'cache') });
  await tick();
  let frame = lastFrame() ?? '';
  expect(frame).toContain('Applying: 0/3 services done · 2 steps in flight (up to 4) · 2.5s');
  expect(frame).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] longrun\.db: start \(2\.5s\)/);
  expect(frame).toMatch(/longrun\.cache: start \(2\.4s\)/);
  store.event({ type: 'step_end', time: at(1200), step: step('start', 'db'), outcome: 'ok', duration_ms: 1200 });
  store.event({ type: 'step_end', time: at(1300), step: step('start', 'cache'), outcome: 'failed', duration_ms: 1200, error: 'readiness timeout after 1s' });
  store.event({ type: 'step_skipped', time: at(1300), step: step('start', 'web'), because: 'longrun.cache failed' });
  await redrawn();
  frame = lastFrame() ?? '';
  expect(frame).toContain('Applying: 3/3 services done, 1 failed · 0 steps in flight');
  expect(frame).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  const printed = frames.join('');
  expect(count(printed, '✓ longrun.db: start (1.2s)\n')).toBe(1);
  expect(count(printed, '✗ longrun.cache: start failed (1.2s): readiness timeout after 1s\n')).toBe(1);
  // What did not start is the summary's to list, once.
  expect(printed).not.toContain('longrun.web: start not started');
  store.update((s) => ({ ...s, closed: true }));
  await tick();
  expect(lastFrame()).not.toContain('Applying:');
  unmount();
});

test('the live part fits a 24-row terminal: the steps in flight beyond it are counted, every line is one row', async () => {
  const steps = Array.from({ length: 100 }, (_, i) => step('start', `svc-with-a-rather-long-name-${'x'.repeat(60)}-${i}`));
  const store = new ApplyStore(steps);
  const { lastFrame, unmount } = render(<ApplyApp store={store} now={() => T0} />);
  for (const s of steps) store.event({ type: 'step_start', time: at(0), step: s });
  await tick();
  const lines = (lastFrame() ?? '').split('\n');
  // ink-testing-library's terminal is 100 columns wide and tells no height: the view takes 24.
  expect(lines.length).toBeLessThanOrEqual(22);
  expect(lines.at(-1)).toBe('… and 81 more');
  for (const l of lines) expect(l.length).toBeLessThanOrEqual(100);
  unmount();
});

test('destroy says so in its header, and counts a service done when its last step is', async () => {
  const steps = [step('stop', 'db'), step('uninstall', 'db')];
  const store = new ApplyStore(steps, { destroy: true });
  const { lastFrame, unmount } = render(<ApplyApp store={store} now={() => T0} />);
  store.event({ type: 'apply_start', time: at(0), apply_id: 'x', steps: 2, parallelism: 1 });
  store.event({ type: 'step_start', time: at(0), step: step('stop', 'db') });
  store.event({ type: 'step_end', time: at(5), step: step('stop', 'db'), outcome: 'ok', duration_ms: 5 });
  await redrawn();
  expect(lastFrame()).toContain('Destroying: 0/1 service done');
  store.event({ type: 'step_start', time: at(5), step: step('uninstall', 'db') });
  store.event({ type: 'step_end', time: at(9), step: step('uninstall', 'db'), outcome: 'ok', duration_ms: 4 });
  await redrawn();
  expect(lastFrame()).toContain('Destroying: 1/1 service done');
  unmount();
});

test('an internal step id or action name is never shown: a oneshot runs "up"', async () => {
  const up: PlanStep = { id: 'oneshot_up:bad', action: 'oneshot_up', service: 'bad', address: 'oneshot.bad', reason: 'it is new', timeout_ms: 0 };
  const store = new ApplyStore([up]);
  const { frames, unmount } = render(<ApplyApp store={store} now={() => T0} />);
  store.event({ type: 'step_start', time: at(0), step: up });
  await tick();
  store.event({ type: 'step_end', time: at(10), step: up, outcome: 'failed', duration_ms: 10, error: 'exited with status 1' });
  await tick();
  const printed = frames.join('');
  expect(printed).toContain('✗ oneshot.bad: up failed (10ms): exited with status 1');
  expect(printed).not.toMatch(/oneshot_up/);
  unmount();
});

test('a secret question is asked in place and never echoed; Enter answers it', async () => {
  const store = new ApplyStore([]);
  const { lastFrame, stdin, unmount } = render(<ApplyApp store={store} />);
  const svc = { name: 'unlock', address: 'oneshot.unlock', input: { prompt: 'Passphrase:', secret: true } } as CompiledOneshot;
  const answer = new Promise<Buffer>((resolve, reject) => {
    store.update((s) => ({ ...s, question: { svc, answer: resolve, cancel: () => reject(new Error('cancelled')) } }));
  });
  await tick();
  expect(lastFrame()).toContain('oneshot.unlock: Passphrase:');
  stdin.write('s3cret');
  await tick();
  expect(lastFrame()).not.toContain('s3cret');
  expect(lastFrame()).toContain('(hidden)');
  stdin.write('\r');
  expect((await answer).toString()).toBe('s3cret');
  unmount();
});

test('keys typed faster than a re-render, Enter included, all reach the answer', async () => {
  const store = new ApplyStore([]);
  const { stdin, unmount } = render(<ApplyApp store={store} />);
  const svc = { name: 'unlock', address: 'oneshot.unlock', input: { prompt: 'Passphrase:', secret: true } } as CompiledOneshot;
  const answer = new Promise<Buffer>((resolve, reject) => {
    store.update((s) => ({ ...s, question: { svc, answer: resolve, cancel: () => reject(new Error('cancelled')) } }));
  });
  await tick();
  for (const ch of 'fast-typist') stdin.write(ch);
  stdin.write('\r');
  expect((await answer).toString()).toBe('fast-typist');
  unmount();
});

test('an interrupt notice tells the operator what happens next, printed once above the live part', async () => {
  const store = new ApplyStore([]);
  const { frames, unmount } = render(<ApplyApp store={store} />);
  store.event({ type: 'interrupt', time: at(0), mode: 'soft' });
  await tick();
  await tick();
  expect(count(frames.join(''), 'Interrupted: no new steps start; waiting for the steps in flight (Ctrl-C again to interrupt them)\n')).toBe(1);
  unmount();
});
