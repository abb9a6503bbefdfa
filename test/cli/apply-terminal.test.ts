import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { CLI } from '../support/cli-harness.js';
import type { ServiceSpec } from '../support/compiled-fixture.js';
import { HAS_TMUX, openTerminal, type Terminal } from '../support/tmux.js';

// apply's live view on real terminals of two sizes (tmux), with more services in flight than the
// terminal has rows: the plan that was approved stays in the scrollback, every finished step is
// in it exactly once, the live part fits the screen, and nothing of it is left behind.

const maybe = HAS_TMUX ? describe : describe.skip;
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const N = 300;
const names = Array.from({ length: N }, (_, i) => `s${String(i).padStart(3, '0')}`);

let fx: LiveFixture;
let term: Terminal | undefined;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  term?.close();
  term = undefined;
  await fx.close();
}, 120_000);

/** Longruns that take a moment to get ready, so that dozens are in flight at once. */
function slowServices(readyAfter: string): Record<string, ServiceSpec> {
  const specs: Record<string, ServiceSpec> = {};
  for (const n of names) {
    specs[n] = {
      type: 'longrun',
      run: { script: `#!/bin/sh\nsleep ${readyAfter}\nprintf '\\n' >&3\nexec sleep 1000\n` },
      notification_fd: 3,
      timeouts: { up_ms: 120_000, down_ms: 10_000, kill_ms: 2000, finish_ms: 2000 },
    };
  }
  return specs;
}

/** A shell line that runs rcform in the pane as a person would (no CI), then says how it ended. */
function shell(args: string, log = ''): string {
  return `cd ${fx.root} && env -u CI RCFORM_LOG=${log} RCFORM_LIVE=${fx.live} ${process.execPath} ${CLI} ${args}; echo "EXIT=$?"; sleep 600`;
}

const count = (text: string, line: RegExp): number => text.split('\n').filter((l) => line.test(l)).length;

// The third: with RCFORM_LOG=debug, a line on stderr at every event, written while the view is live.
maybe.each([
  [80, 24, ''],
  [160, 50, ''],
  [80, 24, 'debug'],
])('apply at %i×%i (RCFORM_LOG=%s)', (cols, rows, log) => {
  test(`${N} services, more in flight than rows: the plan stays, each finished step is printed once, the live part fits`, async () => {
    const file = fx.writeDb('db.json', slowServices('0.4'));
    term = openTerminal(shell(`apply --compiled ${file} --parallelism 64`, log), cols, rows);
    await term.waitFor('the confirmation question', 'Enter a value:');
    term.keys('yes', 'Enter');
    // While it runs: a header with the progress in services, and the in-flight list cut to fit.
    const live = await term.waitFor('the header above the list of steps in flight cut to fit', new RegExp(`Applying: \\d+/${N} services done[^]*… and \\d+ more`));
    expect(live.split('\n').filter((l) => SPINNER.test(l)).length).toBeLessThan(rows - 2);
    await term.waitFor('the end of the apply', 'EXIT=', 240_000);

    const all = term.history();
    expect(all).toContain('EXIT=0');
    // The plan the operator approved is still there, from its first line.
    expect(count(all, /^ {2}# longrun\.s000 will be installed and started because it is new$/)).toBe(1);
    expect(count(all, /^Do you want to perform these actions\?$/)).toBe(1);
    for (const n of names) {
      expect([n, count(all, new RegExp(`^✓ longrun\\.${n}: install\\b`))]).toEqual([n, 1]);
      expect([n, count(all, new RegExp(`^✓ longrun\\.${n}: start\\b`))]).toEqual([n, 1]);
    }
    // Nothing of the live part is left: no spinner, no header, and the summary once, with the time.
    expect(all).not.toMatch(SPINNER);
    expect(all).not.toMatch(/… and \d+ more/);
    expect(count(all, /^Apply complete! Services: 300 installed\. Took \d+(\.\d)?s\.$/)).toBe(1);
    expect(all).not.toContain('Applying:');
    if (log) expect(count(all, /\[DEBUG\] apply: step_end /)).toBe(2 * N);
    // The result in colour (green), as the finished steps' marks.
    const coloured = term.history(true);
    expect(coloured).toMatch(/\u001b\[[\d;]*32m(\u001b\[[\d;]*m)*Apply complete!/);
    expect(coloured).toMatch(/\u001b\[[\d;]*32m(\u001b\[[\d;]*m)*✓/);
  }, 300_000);
});

maybe('Ctrl-C at a terminal', () => {
  test('the notice comes first, once; then the summary lists each step not started once', async () => {
    const specs = slowServices('2');
    // A chain behind the first service, so that most steps are still waiting when Ctrl-C comes.
    for (const n of names.slice(1, 40)) (specs[n] as { deps?: string[] }).deps = ['s000'];
    const file = fx.writeDb('db.json', specs);
    term = openTerminal(shell(`apply --compiled ${file} --auto-approve --parallelism 8`), 120, 30);
    await term.waitFor('steps in flight', SPINNER);
    term.keys('C-c');
    await term.waitFor('the end of the apply', 'EXIT=', 240_000);
    const all = term.history();
    expect(all).toContain('EXIT=1');
    const lines = all.split('\n');
    const notice = lines.findIndex((l) => l.startsWith('Interrupted: no new steps start'));
    expect(count(all, /^Interrupted: no new steps start/)).toBe(1);
    const notStarted = lines.map((l, i) => [l, i] as const).filter(([l]) => /^ {2}not started: /.test(l));
    expect(notStarted.length).toBeGreaterThan(0);
    for (const [, i] of notStarted) expect(i).toBeGreaterThan(notice);
    expect(new Set(notStarted.map(([l]) => l)).size).toBe(notStarted.length);
    // A step that was never started appears nowhere else.
    const first = (notStarted[0] as readonly [string, number])[0].replace(/^ {2}not started: /, '');
    expect(count(all, new RegExp(first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))).toBe(1);
    expect(all).toMatch(/^Apply interrupted: \d+ done, 0 failed, 0 interrupted, \d+ not started\./m);
    expect(all).not.toMatch(SPINNER);
  }, 300_000);
});

maybe('the terminal', () => {
  test('has the rows and columns asked for (no status line takes one)', async () => {
    term = openTerminal('stty size; sleep 30', 80, 24);
    await term.waitFor('stty', '24 80', 10_000);
  });
});
