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

test('steps in flight show a spinner and elapsed time; finished steps their mark and duration', async () => {
  const store = new ApplyStore();
  const { lastFrame, unmount } = render(<ApplyApp store={store} now={() => T0 + 2500} />);
  store.event({ type: 'apply_start', time: at(0), apply_id: 'x', steps: 3, parallelism: 4 });
  store.event({ type: 'step_start', time: at(0), step: step('start', 'db') });
  store.event({ type: 'step_start', time: at(100), step: step('start', 'cache') });
  await tick();
  let frame = lastFrame() ?? '';
  expect(frame).toContain('Applying 3 steps (up to 4 at a time)');
  expect(frame).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] longrun\.db: start \(2\.5s\)/);
  expect(frame).toMatch(/longrun\.cache: start \(2\.4s\)/);
  store.event({ type: 'step_end', time: at(1200), step: step('start', 'db'), outcome: 'ok', duration_ms: 1200 });
  store.event({ type: 'step_end', time: at(1300), step: step('start', 'cache'), outcome: 'failed', duration_ms: 1200, error: 'readiness timeout after 1s' });
  store.event({ type: 'step_skipped', time: at(1300), step: step('start', 'web'), because: 'start:cache failed' });
  store.update((s) => ({ ...s, summary: 'Apply failed: 1 done, 1 failed, 0 interrupted, 1 not started.' }));
  await tick();
  frame = lastFrame() ?? '';
  expect(frame).toContain('✓ longrun.db: start (1.2s)');
  expect(frame).toContain('✗ longrun.cache: start failed (1.2s): readiness timeout after 1s');
  expect(frame).toContain('- longrun.web: start not started: start:cache failed');
  expect(frame).toContain('Apply failed: 1 done, 1 failed');
  expect(frame).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  unmount();
});

test('a secret question is asked in place and never echoed; Enter answers it', async () => {
  const store = new ApplyStore();
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
  const store = new ApplyStore();
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

test('an interrupt notice tells the operator what happens next', async () => {
  const store = new ApplyStore();
  const { lastFrame, unmount } = render(<ApplyApp store={store} />);
  store.event({ type: 'interrupt', time: at(0), mode: 'soft' });
  await tick();
  expect(lastFrame()).toContain('no new steps start; waiting for the steps in flight (Ctrl-C again to interrupt them)');
  unmount();
});
