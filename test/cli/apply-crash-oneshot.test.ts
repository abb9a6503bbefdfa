import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { journalFiles, readJournalFile } from '../../state/journal.js';
import type { JournalRecord } from '../../state/journal-types.js';
import { inspectLock, readLockInfo } from '../../state/lock.js';
import type { EngineKind, State } from '../../state/state-types.js';
import { CLI, planLines, type CliResult } from '../support/cli-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { alive, waitFor } from '../support/engine-harness.js';
import { ENGINE_KINDS } from '../support/s6-available.js';

// apply SIGKILLed while a oneshot's `up` runs, on each engine. The oneshot runs on the engine's
// side (the embedded supervisor, s6's oneshot runner), in its own process group, and runs on
// without the apply that asked for it; its end is never recorded. What rcform promises: oneshots run at least once across a crash.
// The state (from the journal) says the run may have been partial, the next plan says so and that
// it runs again, and the next apply first stops what is left of the cut-off run (never two runs at
// once), records what it found, then runs it again. Real processes: the oneshot appends to a file.

const both = (r: CliResult): string => r.stdout + r.stderr;
const ok = (r: CliResult): CliResult => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${both(r)}`);
  return r;
};

let o: CliOperator;
let runs: string;

/** `migrate` logs each run's start and end with its pid; its first run takes `firstSeconds`. */
function write(firstSeconds: number): void {
  runs = path.join(o.root, 'runs');
  const script = `if [ ! -e ${o.root}/first ]; then : > ${o.root}/first; d=${firstSeconds}; else d=0; fi; echo "start $$" >> ${runs}; sleep $d; echo "end $$" >> ${runs}`;
  fs.writeFileSync(
    path.join(o.root, 'src', 'main.hcl'),
    `oneshot "migrate" {
  up = ["sh", "-c", ${JSON.stringify(script)}]
}

longrun "app" {
  depends_on = [oneshot.migrate]
  run        = ["sleep", "1071"]
}
`,
  );
}

const runLines = (): string[] => (fs.existsSync(runs) ? fs.readFileSync(runs, 'utf8').trim().split('\n') : []);

function records(): JournalRecord[] {
  return journalFiles(o.live).flatMap((f) => readJournalFile(f).records);
}

function stateOf(): State {
  return JSON.parse(fs.readFileSync(path.join(o.live, 'state.json'), 'utf8')) as State;
}

/** init, apply in the background, SIGKILL of apply once migrate's first run has begun and is in the journal; the lock info it left cleared. */
async function crashDuringOneshot(kind: EngineKind): Promise<{ pid: number; applyPid: number }> {
  ok(o.rc(['init', '--engine', kind]));
  const child = spawn(process.execPath, [CLI, 'apply', 'src', '--auto-approve'], { cwd: o.root, env: { ...process.env, RCFORM_LIVE: o.live, CI: 'true', NO_COLOR: '1' }, stdio: 'ignore' });
  const exit = new Promise((r) => child.on('close', r));
  const line = await waitFor('migrate running', () => runLines().find((l) => l.startsWith('start ')), 60_000);
  // The engine's side tells the apply the run's pid, which the journal keeps: killed once it has.
  await waitFor('the run recorded', () => records().some((r) => r.type === 'oneshot-spawned'), 60_000);
  child.kill('SIGKILL');
  await exit;
  const pid = Number(line.split(' ')[1]);
  // The kernel lock ended with apply; force-unlock only clears the info it left in the lock file.
  expect(readLockInfo(o.live)).toBeUndefined();
  const lock = inspectLock(o.live).info;
  expect(lock?.PID).toBe(child.pid);
  ok(o.rc(['force-unlock', lock?.ID as string, '--force']));
  return { pid, applyPid: child.pid as number };
}

/** The command line of the process that ran the oneshot: its parent, which outlived the apply. */
function parentCommand(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8').split('\0').join(' ');
}

const RUNS_UNDER: Record<EngineKind, RegExp> = { embedded: /cli\/main\.js supervise /, s6: /engine\/s6\/oneshot-runner-main\.js/ };

for (const { kind, missing } of ENGINE_KINDS) {
  if (missing) {
    test.skip(`apply killed during a oneshot on ${kind}: skipped, ${missing}`, () => {});
    continue;
  }
  describe(`apply killed during a oneshot: ${kind}`, () => {
    beforeEach(() => {
      o = cliOperator(kind, 'rcform-oneshot-crash-');
    });

    afterEach(() => {
      const first = runLines().find((l) => l.startsWith('start '));
      if (first) o.pids.add(Number(first.split(' ')[1]));
      endCliOperator(o);
    }, 120_000);

    test('still running: the plan says it may have run partly and runs again; apply kills the cut-off run first, records it, and runs it once more', async () => {
      write(600);
      const { pid, applyPid } = await crashDuringOneshot(kind);
      expect(alive(pid)).toBe(true);
      // It ran on the engine's side, which still holds it: not a child of the apply that died.
      expect(parentCommand(pid)).toMatch(RUNS_UNDER[kind]);
      expect(parentCommand(pid)).not.toContain(String(applyPid));

      // The journal (folded into the state) says which oneshot may have run partly, and its process.
      const spawned = records().find((r) => r.type === 'oneshot-spawned');
      expect(spawned).toMatchObject({ service: 'migrate', direction: 'up', step_id: 'oneshot_up:migrate' });
      let r = ok(o.rc(['plan', 'src', '--out', 'p.plan']));
      const crashed = spawned?.apply_id as string;
      expect(planLines(r.stdout)).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^# oneshot\\.migrate will be started because its up \\(oneshot_up:migrate\\) was cut off by a crash of apply ${crashed} at \\S+, so it may have run partly; oneshots run at least once across a crash: apply stops what is left of that run, then runs up again$`,
          ),
        ),
      );
      r = ok(o.rc(['show', 'p.plan', '--json']));
      expect((JSON.parse(r.stdout) as { resource_changes: { name: string; action_reason: string }[] }).resource_changes.find((c) => c.name === 'migrate')?.action_reason).toBe('interrupted_run');

      // The apply stops the cut-off run before anything else, says so, and runs up again, once.
      r = ok(o.rc(['apply', 'p.plan']));
      expect(r.stderr).toContain(`Note: oneshot.migrate: its up was cut off by a crash of apply ${crashed} and was still running (process group ${pid}): killed; it may have run partly`);
      expect(alive(pid)).toBe(false);
      const lines = runLines();
      expect(lines[0]).toBe(`start ${pid}`);
      expect(lines).not.toContain(`end ${pid}`);
      expect(lines.slice(1)).toHaveLength(2);
      expect(lines[1]).toMatch(/^start \d+$/);
      expect(lines[2]).toBe(`end ${(lines[1] as string).split(' ')[1]}`);
      expect(records().filter((x) => x.type === 'oneshot-recovered')).toEqual([
        expect.objectContaining({ service: 'migrate', direction: 'up', interrupted_apply: crashed, pid, found: 'running' }),
      ]);
      const st = stateOf().services['migrate'];
      expect(st?.desired).toBe('up');
      expect(st?.partial_run).toBeUndefined();
      expect(o.status()['app']?.state).toBe('up');

      r = o.rc(['plan', 'src', '-detailed-exitcode']);
      expect(both(r)).toMatch(/^No changes\./);
    }, 300_000);

    test('ended by itself before the next apply: at least once, so it runs a second time, and the journal says its first outcome is unknown', async () => {
      write(1);
      const { pid } = await crashDuringOneshot(kind);
      await waitFor('the cut-off run ended', () => runLines().includes(`end ${pid}`) && !alive(pid), 30_000);

      const r = ok(o.rc(['apply', 'src', '--auto-approve']));
      expect(r.stderr).toContain('Note: oneshot.migrate: its up was cut off by a crash of apply');
      expect(r.stderr).toContain('had ended, with an outcome nobody saw; it may have run partly');
      expect(runLines().filter((l) => l.startsWith('end '))).toHaveLength(2);
      expect(records().find((x) => x.type === 'oneshot-recovered')).toMatchObject({ service: 'migrate', pid, found: 'ended' });
      expect(stateOf().services['migrate']?.partial_run).toBeUndefined();
    }, 300_000);
  });
}
