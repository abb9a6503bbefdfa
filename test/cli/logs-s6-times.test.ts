import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import { S6Engine } from '../../engine/s6/s6-engine.js';
import { waitFor } from '../support/engine-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { S6_MISSING, warnS6Missing } from '../support/s6-available.js';

// On s6, s6-log stamps every line it writes (TAI64N): `rcform logs -t` shows that time for lines
// already in the log, of a longrun and of a oneshot alike, and `rcform logs` shows the lines as
// the service wrote them, without the stamp.

warnS6Missing('logs -t on s6');
const maybe = S6_MISSING ? test.skip : test;

let o: CliOperator | undefined;
afterEach(() => {
  if (o) endCliOperator(o);
  o = undefined;
}, 120_000);

const ISO_LINE = /^(\d{4}-\d\d-\d\dT\S+Z) (.*)$/;

maybe('logs -t shows s6-log\'s times; logs shows the lines without the stamp', async () => {
  o = cliOperator('s6', 'rcform-logs-s6-');
  fs.writeFileSync(
    path.join(o.root, 'src', 'main.hcl'),
    `oneshot "task" {
  up = ["sh", "-c", "echo task ran; echo task said >&2"]
}

longrun "svc" {
  run = ["sh", "-c", "echo first line; sleep 2; echo second line; exec sleep 1000"]
}
`,
  );
  const started = Date.now();
  expect(o.rc(['init', '--engine', 's6']).code).toBe(0);
  const applied = o.rc(['apply', 'src', '--auto-approve']);
  expect(applied.code).toBe(0);
  await waitFor('both lines', () => o!.rc(['logs', 'svc']).stdout === 'first line\nsecond line\n', 20_000);
  // In the file, each line carries its stamp.
  expect(fs.readFileSync(S6Engine.logFileOf(o.live, 'svc'), 'utf8')).toMatch(/^@[0-9a-f]{24} first line\n@[0-9a-f]{24} second line\n$/);

  const timed = o.rc(['logs', '-t', 'svc']).stdout.trimEnd().split('\n').map((l) => ISO_LINE.exec(l));
  expect(timed.map((m) => m?.[2])).toEqual(['first line', 'second line']);
  const [t1, t2] = timed.map((m) => Date.parse(m?.[1] as string)) as [number, number];
  expect(t1).toBeGreaterThanOrEqual(started - 1000);
  expect(t2).toBeLessThanOrEqual(Date.now());
  expect(t2 - t1).toBeGreaterThanOrEqual(1500);

  // A oneshot's output, run by the engine's oneshot runner, reads the same way.
  expect(o.rc(['logs', 'task']).stdout).toBe('task ran\ntask said\n');
  const task = o.rc(['logs', '-t', 'task']).stdout.trimEnd().split('\n').map((l) => ISO_LINE.exec(l));
  expect(task.map((m) => m?.[2])).toEqual(['task ran', 'task said']);
  for (const m of task) expect(Date.parse(m?.[1] as string)).toBeGreaterThanOrEqual(started - 1000);
}, 120_000);
