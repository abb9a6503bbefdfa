import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import type { CompiledDb, CompiledLongrun, CompiledOneshot, CompiledService } from '../../lang/compile/compiled-db.js';
import type { AccountRef, CutOffRun, Engine, OneshotRunOptions, OneshotRunResult, ServiceLog, ServiceStatus, TransitionOptions } from '../../engine/engine.js';
import type { ApplyEvent } from '../../operation/apply-events.js';
import { StepExecutor } from '../../operation/step-executor.js';
import { plan as planOf } from '../../planner/plan/plan.js';
import type { Plan } from '../../planner/plan-types.js';
import { LiveDir } from '../../state/live-dir.js';
import { createStateFile, newState } from '../../state/state-file.js';
import type { State } from '../../state/state-types.js';
import { buildDb, type ServiceSpec } from '../support/compiled-fixture.js';

// The step executor against an engine that lives in this test: what it is asked, in which order,
// how many at a time, and what it does when told to stop. The plans are the planner's own, for a
// fresh live directory (install, then start, each service after what it needs); the journal is a
// real one in a temporary live directory.

type Op = 'install' | 'update' | 'rename' | 'uninstall' | 'start' | 'stop' | 'reload' | 'oneshot' | 'oneshot-state';

/** What the test makes of one call: resolve, reject, or wait for something (the abort signal included). */
type Behaviour = (signal: AbortSignal | undefined) => Promise<void>;

class FakeEngine implements Engine {
  readonly kind = 'embedded' as const;
  /** Every call as `op:name`, in the order they began, and when each ended. */
  readonly began: string[] = [];
  readonly ended: string[] = [];
  /** Both, in one order: `>op:name` when a call began, `<op:name` when it ended. */
  readonly timeline: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly behaviours = new Map<string, Behaviour>();

  constructor(private readonly defaultMs = 5) {}

  on(call: string, b: Behaviour): void {
    this.behaviours.set(call, b);
  }

  private async act(op: Op, name: string, signal?: AbortSignal): Promise<void> {
    const call = `${op}:${name}`;
    this.began.push(call);
    this.timeline.push(`>${call}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const b = this.behaviours.get(call);
      if (b) await b(signal);
      else await new Promise((r) => setTimeout(r, this.defaultMs));
    } finally {
      this.inFlight--;
      this.ended.push(call);
      this.timeline.push(`<${call}`);
    }
  }

  install(svc: CompiledLongrun): Promise<void> {
    return this.act('install', svc.name);
  }
  update(svc: CompiledLongrun): Promise<void> {
    return this.act('update', svc.name);
  }
  rename(from: string): Promise<void> {
    return this.act('rename', from);
  }
  uninstall(name: string): Promise<void> {
    return this.act('uninstall', name);
  }
  start(name: string, opts: TransitionOptions): Promise<void> {
    return this.act('start', name, opts.signal);
  }
  stop(name: string, opts: TransitionOptions): Promise<void> {
    return this.act('stop', name, opts.signal);
  }
  reload(name: string): Promise<void> {
    return this.act('reload', name);
  }
  async runOneshot(svc: CompiledOneshot, _direction: 'up' | 'down', opts: OneshotRunOptions): Promise<OneshotRunResult> {
    await this.act('oneshot', svc.name, opts.signal);
    return { code: 0, durationMs: 0 };
  }
  async stopCutOffRun(): Promise<CutOffRun> {
    return { found: 'unknown' };
  }
  setOneshotState(svc: CompiledService): Promise<void> {
    return this.act('oneshot-state', svc.name);
  }
  log(): ServiceLog {
    return { exists: async () => false, tail: async () => [], follow: async () => undefined };
  }
  async checkAccounts(accounts: AccountRef[]): Promise<(string | null)[]> {
    return accounts.map(() => null);
  }
  async status(): Promise<Record<string, ServiceStatus>> {
    return {};
  }
  async close(): Promise<void> {}
}

/** A behaviour that waits until the test lets it go, or until the step is interrupted (at most 3 s). */
function gate(): { behaviour: Behaviour; open(): void; entered: Promise<void> } {
  let open!: () => void;
  let entered!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const enteredP = new Promise<void>((r) => (entered = r));
  return {
    open,
    entered: enteredP,
    behaviour: (signal) => {
      entered();
      return new Promise<void>((resolve, reject) => {
        void opened.then(resolve);
        // An executor that never interrupts lets the test fail on its expectations, not its timeout.
        setTimeout(resolve, 3000).unref();
        signal?.addEventListener('abort', () => reject(new Error('interrupted')), { once: true });
      });
    },
  };
}

let dir: string;
let live: LiveDir;
let state: State;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  createStateFile(dir, newState({ kind: 'embedded' }));
  live = new LiveDir(dir);
  state = live.readState();
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function planFor(compiled: CompiledDb): Plan {
  const { plan, diagnostics } = planOf({ compiled, state, observed: {}, now: '2026-01-01T00:00:00.000Z', options: { replace: [], target: [], destroy: false, refresh: true, allow_essential: false } });
  if (!plan) throw new Error(diagnostics.map((d) => d.summary).join('; '));
  return plan;
}

async function execute(compiled: CompiledDb, engine: FakeEngine, o: { parallelism?: number; stop?: AbortSignal; interrupt?: AbortSignal; onEvent?: (ev: ApplyEvent) => void } = {}) {
  const plan = planFor(compiled);
  const journal = await live.openJournal({ foldedSeq: 0 });
  const events: ApplyEvent[] = [];
  const executor = new StepExecutor({
    plan,
    compiled,
    state,
    engine,
    journal,
    parallelism: o.parallelism ?? 32,
    input: { answer: async () => Buffer.from('') },
    onEvent: (ev) => {
      events.push(ev);
      o.onEvent?.(ev);
    },
    ...(o.stop ? { stop: o.stop } : {}),
    ...(o.interrupt ? { interrupt: o.interrupt } : {}),
  });
  try {
    const result = await executor.run();
    return { plan, result, events };
  } finally {
    await journal.close();
  }
}

/** The step-end records the journal holds, as `step_id outcome`. */
function journalled(): string[] {
  return live
    .readJournal()
    .records.filter((r) => r.type === 'step-end')
    .map((r) => `${(r as { step_id: string }).step_id} ${(r as { outcome: string }).outcome}`);
}

const longruns = (specs: Record<string, string[]>): CompiledDb =>
  buildDb(Object.fromEntries(Object.entries(specs).map(([name, deps]): [string, ServiceSpec] => [name, { type: 'longrun', deps }])));

describe('the step executor', () => {
  test('runs each step only after every step it depends on has ended', async () => {
    // A diamond with a tail: db ← (cache, queue) ← app ← proxy, and an independent metrics.
    const compiled = longruns({ db: [], cache: ['db'], queue: ['db'], app: ['cache', 'queue'], proxy: ['app'], metrics: [] });
    const engine = new FakeEngine();
    const { plan, result } = await execute(compiled, engine);

    expect(result.outcome).toBe('ok');
    expect(result.done).toHaveLength(plan.steps.length);
    expect(plan.edges.length).toBeGreaterThan(0);
    // Step ids and the fake engine's calls are both `action:service` for longruns.
    for (const e of plan.edges) expect({ edge: e, endedFirst: order(engine, e.from, 'ended') < order(engine, e.to, 'began') }).toEqual({ edge: e, endedFirst: true });
    // Every start of a service comes after the start of each service it needs has ended.
    for (const svc of Object.values(compiled.services)) {
      for (const d of svc.dependencies) {
        expect(order(engine, `start:${d}`, 'ended')).toBeLessThan(order(engine, `start:${svc.name}`, 'began'));
      }
    }
    expect(journalled().sort()).toEqual(plan.steps.map((s) => `${s.id} ok`).sort());
  });

  test('never has more than --parallelism steps in flight, and uses all of them when it can', async () => {
    const compiled = longruns(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, []])));
    const engine = new FakeEngine(15);
    const { result } = await execute(compiled, engine, { parallelism: 3 });
    expect(result.outcome).toBe('ok');
    expect(engine.maxInFlight).toBe(3);

    const serial = new FakeEngine(2);
    fs.rmSync(live.layout.journal, { recursive: true, force: true });
    await execute(compiled, serial, { parallelism: 1 });
    expect(serial.maxInFlight).toBe(1);
  });

  test('a failed step blocks only what depends on it: independent branches finish', async () => {
    // db ← app ← proxy fails at db's start; cache ← worker is another branch.
    const compiled = longruns({ db: [], app: ['db'], proxy: ['app'], cache: [], worker: ['cache'] });
    const engine = new FakeEngine();
    engine.on('start:db', async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('db: exited with status 1 before it was up');
    });
    const { result, events } = await execute(compiled, engine);

    expect(result.outcome).toBe('failed');
    expect(result.failed.map((f) => [f.step.id, f.error])).toEqual([['start:db', 'db: exited with status 1 before it was up']]);
    const ids = (steps: readonly { id: string }[]): string[] => steps.map((s) => s.id).sort();
    expect(ids(result.notStarted)).toEqual(['start:app', 'start:proxy']);
    expect(ids(result.done)).toEqual(['install:app', 'install:cache', 'install:db', 'install:proxy', 'install:worker', 'start:cache', 'start:worker']);
    // The engine was never asked to start what needs db.
    expect(engine.began).not.toContain('start:app');
    expect(engine.began).not.toContain('start:proxy');
    expect(events.filter((e) => e.type === 'step_skipped').map((e) => (e as { because: string }).because)).toEqual(['longrun.db failed', 'longrun.db failed']);
    expect(journalled()).toContain('start:db failed');
    expect(journalled()).toContain('start:worker ok');
  });

  test('first stop: no new steps start, the ones in flight finish and are journalled', async () => {
    const compiled = longruns({ db: [], app: ['db'], proxy: ['app'] });
    const engine = new FakeEngine();
    const dbStart = gate();
    engine.on('start:db', dbStart.behaviour);
    const stop = new AbortController();
    const interrupt = new AbortController();
    const running = execute(compiled, engine, { stop: stop.signal, interrupt: interrupt.signal });
    await dbStart.entered;
    stop.abort();
    // Still in flight: it is let finish, not interrupted.
    await new Promise((r) => setTimeout(r, 20));
    expect(engine.ended).not.toContain('start:db');
    dbStart.open();
    const { result, events } = await running;

    expect(result.outcome).toBe('interrupted');
    expect(result.interrupted).toEqual([]);
    expect(result.done.map((s) => s.id)).toContain('start:db');
    expect(result.notStarted.map((s) => s.id).sort()).toEqual(['start:app', 'start:proxy']);
    expect(engine.began).not.toContain('start:app');
    expect(journalled()).toContain('start:db ok');
    expect(events.filter((e) => e.type === 'interrupt')).toEqual([expect.objectContaining({ mode: 'soft' })]);
  });

  test('second stop: the steps in flight are interrupted, and an interrupted start is brought back down', async () => {
    const compiled = longruns({ db: [], app: ['db'], cache: [] });
    const engine = new FakeEngine();
    const dbStart = gate();
    const cacheStart = gate();
    engine.on('start:db', dbStart.behaviour);
    engine.on('start:cache', cacheStart.behaviour);
    const stop = new AbortController();
    const interrupt = new AbortController();
    const running = execute(compiled, engine, { stop: stop.signal, interrupt: interrupt.signal });
    await Promise.all([dbStart.entered, cacheStart.entered]);
    stop.abort();
    interrupt.abort();
    const { result, events } = await running;

    expect(result.outcome).toBe('interrupted');
    expect(result.interrupted.map((s) => s.id).sort()).toEqual(['start:cache', 'start:db']);
    expect(result.notStarted.map((s) => s.id)).toEqual(['start:app']);
    // Not left "starting": each interrupted start is followed by a stop of the same service.
    expect(engine.began.filter((c) => c.startsWith('stop:')).sort()).toEqual(['stop:cache', 'stop:db']);
    expect(journalled()).toEqual(expect.arrayContaining(['start:db interrupted', 'start:cache interrupted']));
    expect(events.filter((e) => e.type === 'interrupt').map((e) => (e as { mode: string }).mode)).toEqual(['soft', 'hard']);
  });
});

function order(engine: FakeEngine, call: string, list: 'began' | 'ended'): number {
  // One timeline of both lists: a call's begin and end, in the order they happened.
  const at = engine.timeline.indexOf(`${list === 'began' ? '>' : '<'}${call}`);
  if (at < 0) throw new Error(`${call} never ${list}`);
  return at;
}
