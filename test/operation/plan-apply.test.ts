import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { UserError } from '../../lang/user-error.js';
import type { ApplyEvent } from '../../operation/apply-events.js';
import { applyPlan } from '../../operation/apply.js';
import { makePlan, planFileOf, readLive } from '../../operation/plan.js';
import { LiveUnknownError } from '../../operation/refresh.js';
import type { PlanFile } from '../../planner/plan-file.js';
import { LiveDir } from '../../state/live-dir.js';
import { hashed, liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { buildDb } from '../support/compiled-fixture.js';
import { alive } from '../support/engine-harness.js';

// Plan and apply driven as operations, with no command line around them: a real live directory
// and embedded supervisor, plain options in, events and typed results (or UserErrors) out, and
// nothing written to the process's own streams.

let fx: LiveFixture;
let live: LiveDir;

beforeEach(async () => {
  fx = await liveFixture();
  live = new LiveDir(fx.live);
});

afterEach(async () => {
  await fx.close();
});

const meta = { rcformVersion: 'test', createdAt: '2026-01-01T00:00:00.000Z' };

async function planned(destroy = false): Promise<PlanFile> {
  const compiled = destroy ? null : hashed(buildDb({ db: { type: 'longrun' }, web: { type: 'longrun', deps: ['db'] } }));
  const seen = await readLive({ live, refresh: true, purpose: 'apply' });
  const plan = makePlan({ compiled, live: seen, destroy, refresh: true, now: meta.createdAt });
  return planFileOf(plan, compiled, seen, meta);
}

/** Runs `fn` and returns what it wrote to the process's stdout and stderr. */
async function streamsDuring(fn: () => Promise<void>): Promise<string> {
  const written: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const catcher = (chunk: unknown): boolean => {
    written.push(String(chunk));
    return true;
  };
  process.stdout.write = catcher as typeof process.stdout.write;
  process.stderr.write = catcher as typeof process.stderr.write;
  try {
    await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return written.join('');
}

test('a plan applied as an operation starts the services, records them, and reports only through events', async () => {
  const events: ApplyEvent[] = [];
  const pf = await planned();
  expect(pf.plan.steps.map((s) => s.id)).toEqual(['install:db', 'install:web', 'start:db', 'start:web']);
  let outcome: string | undefined;
  const printed = await streamsDuring(async () => {
    const result = await applyPlan({ live, planFile: pf, checkFresh: true, parallelism: 4, answer: async () => Buffer.from(''), onEvent: (ev) => events.push(ev) });
    outcome = result.outcome;
  });

  expect(outcome).toBe('ok');
  expect(printed).toBe('');
  expect(events[0]?.type).toBe('apply_start');
  expect(events.at(-1)).toEqual(expect.objectContaining({ type: 'apply_end', outcome: 'ok', done: 4 }));
  const status = await fx.status();
  for (const name of ['db', 'web']) {
    expect(status[name]?.state).toBe('up');
    expect(alive(status[name]?.pid)).toBe(true);
  }
  const { state, folded } = live.current();
  expect(folded).toBe(0);
  expect(state.services['web']?.desired).toBe('up');
  expect(state.compiled_hash).toBe(pf.plan.compiled_hash);
  expect(live.hasCompiled()).toBe(true);

  // The same saved plan again: the live directory moved on, so it is refused before any step.
  const again = applyPlan({ live, planFile: pf, checkFresh: true, parallelism: 4, answer: async () => Buffer.from(''), onEvent: () => undefined });
  await expect(again).rejects.toBeInstanceOf(UserError);
  await expect(again).rejects.toMatchObject({ kind: 'conflict', message: expect.stringMatching(/^Saved plan is stale: the live state changed after this plan was made/) });

  // A destroy is a plan with nothing desired, applied the same way.
  const destroy = await planned(true);
  const gone = await applyPlan({ live, planFile: destroy, checkFresh: true, parallelism: 4, answer: async () => Buffer.from(''), onEvent: () => undefined });
  expect(gone.outcome).toBe('ok');
  expect(Object.keys(live.current().state.services)).toEqual([]);
  expect(live.hasCompiled()).toBe(false);
  for (const name of ['db', 'web']) expect(alive(status[name]?.pid)).toBe(false);
});

test('a stopped engine is a typed error that names it, for the caller to add how to start it', async () => {
  const pf = await planned();
  await applyPlan({ live, planFile: pf, checkFresh: true, parallelism: 4, answer: async () => Buffer.from(''), onEvent: () => undefined });
  const { EmbeddedEngine } = await import('../../engine/embedded/client.js');
  await fx.status();
  const e = await EmbeddedEngine.connect(fx.live);
  await e.shutdown();
  await e.close();

  const read = readLive({ live, refresh: true, purpose: 'plan' });
  await expect(read).rejects.toBeInstanceOf(LiveUnknownError);
  await expect(read).rejects.toMatchObject({ kind: 'environment', purpose: 'plan', message: `the embedded supervisor of ${fx.live} is not running, so what runs cannot be known` });
  // From the state alone, planning still works.
  const fromState = await readLive({ live, refresh: false, purpose: 'plan' });
  expect(fromState.observed).toBeNull();
  expect(Object.keys(fromState.state.services).sort()).toEqual(['db', 'web']);
});
