import { afterEach, beforeEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { engineDrivers, registerEngineDriver, shutdownEngine } from '../../engine/open-engine.js';
import { readState } from '../../state/state-file.js';
import { runInProcess } from '../support/cli-harness.js';
import { alive, waitFor } from '../support/engine-harness.js';
import { inprocDriver } from '../support/engines/inproc/driver.js';

// The seam the registry is: a third engine, registered by one line, is an engine to every command
// that reaches the engine through it. rcform's CLI runs in this process, since the test engine's
// supervisor lives in the process that starts it.

registerEngineDriver(inprocDriver);

let tmp: string;
let live: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  live = path.join(tmp, 'live');
  fs.mkdirSync(path.join(tmp, 'src'));
});
afterEach(async () => {
  await shutdownEngine(live, { kind: 'inproc' });
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);

const rc = (args: string[]) => runInProcess(args, { cwd: tmp, env: { RCFORM_LIVE: live, CI: 'true' } });

test('init --help lists every registered engine and the flags of each', async () => {
  const r = await rc(['init', '--help']);
  expect(r.code).toBe(0);
  expect(engineDrivers().map((d) => d.kind)).toEqual(['embedded', 's6', 'inproc']);
  expect(r.stdout).toMatch(/--engine.*embedded \(Node only, the default\), s6 or inproc \(tests only\)/);
  for (const d of engineDrivers()) for (const f of d.initFlags) expect(r.stdout).toContain(`--${f.name}`);
  expect(r.stdout).toContain('inproc only: the name messages give its supervisor');
});

test('a third engine from one registry line: init records its options, apply runs a real process on it, status and supervise --stop reach it', async () => {
  expect(await rc(['init', '--label', 'blue'])).toMatchObject({ code: 1, stderr: 'Error: --label is for --engine=inproc only\n' });
  expect(fs.existsSync(path.join(live, 'state.json'))).toBe(false);
  expect(await rc(['init', '--engine', 'inproc', '--label', 'Blue'])).toMatchObject({ code: 1, stderr: expect.stringContaining('--label takes a lower-case name, not "Blue"') });

  const init = await rc(['init', '--engine', 'inproc', '--label', 'blue']);
  expect(init).toMatchObject({ code: 0, stdout: expect.stringContaining('engine inproc') });
  expect(readState(live).engine).toEqual({ kind: 'inproc', options: { label: 'blue' } });
  // Flags of another engine on a live directory of this one: named with both engines.
  expect(await rc(['init', '--max-services', '40'])).toMatchObject({ code: 1, stderr: `Error: --max-services is for the s6 engine; ${live} uses the inproc engine\n` });

  const marker = path.join(tmp, 'ran');
  fs.writeFileSync(path.join(tmp, 'src', 'main.hcl'), `longrun "greeter" {\n  run = ["sh", "-c", "echo $$ > ${marker}; exec sleep 1031"]\n}\n`);
  const apply = await rc(['apply', 'src', '-auto-approve']);
  expect(apply).toMatchObject({ code: 0, stdout: expect.stringContaining('Apply complete!') });
  const pid = await waitFor('the greeter to write its pid', () => fs.existsSync(marker) && Number(fs.readFileSync(marker, 'utf8').trim()));
  expect(alive(pid)).toBe(true);

  const status = await rc(['status', '--json']);
  expect(status.code).toBe(0);
  const report = JSON.parse(status.stdout) as { engine: string; services: { name: string; state: string; pid?: number }[] };
  expect(report.engine).toBe('inproc');
  expect(report.services).toEqual([expect.objectContaining({ name: 'greeter', state: 'up', pid })]);
  expect(await rc(['plan', 'src', '-detailed-exitcode'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^No changes\./) });

  expect(await rc(['supervise', '--stop'])).toMatchObject({ code: 0, stdout: `In-process supervisor for ${live} stopped; every service is down.\n` });
  expect(alive(pid)).toBe(false);
  // Not running: the engine-neutral error, with the driver's name for it and its hint.
  const plan = await rc(['plan', 'src']);
  expect(plan.code).toBe(1);
  expect(plan.stderr).toContain(`the in-process supervisor blue of ${live} is not running, so what runs cannot be known; start it with "rcform init --live ${live}"`);
  expect(await rc(['status'])).toMatchObject({ code: 1, stderr: expect.stringContaining(`no supervisor is running for ${live}`) });
}, 120_000);
