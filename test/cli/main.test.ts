import { describe, expect, test } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { runProcess } from '../support/cli-harness.js';
import type { Io } from '../../cli/command.js';
import type { CommandEntry } from '../../cli/commands/index.js';
import { runCli } from '../../cli/run.js';
import { isUserError } from '../../lang/user-error.js';
import { DbQueryError } from '../../lang/compile/db-query.js';
import { HclJsonConversionError } from '../../lang/hcl/to-json.js';
import { PlanFileError } from '../../planner/plan-file.js';
import { NoDefaultLiveDirError } from '../../state/live-dir.js';
import { LiveDirTrustError } from '../../state/live-trust.js';
import { LockError, LockHeldByLiveProcessError, LockHeldError, NoLiveDirError } from '../../state/lock.js';
import { StateFileError, StateNotFoundError } from '../../state/state-file.js';
import { AccountError } from '../../engine/accounts.js';
import { EngineError } from '../../engine/engine.js';
import { SupervisorProtocolError, SupervisorUntrustedError } from '../../engine/embedded/client.js';
import { SupervisorError } from '../../engine/embedded/supervisor.js';
import { EngineStartError } from '../../engine/embedded/driver.js';

test('--version prints the package version', () => {
  const r = runProcess(['--version']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^rcform v\d+\.\d+\.\d+\n$/);
});

test('--help lists commands and exits 0', () => {
  const r = runProcess(['--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Usage: rcform');
});

test('an unknown command is one line on stderr and a non-zero exit, never a stack trace', () => {
  const r = runProcess(['frobnicate']);
  expect(r.code).not.toBe(0);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toContain('unknown command "frobnicate"');
  expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
});

describe('one error model: every UserError printed in one place, anything else an internal error', () => {
  const failing = (err: unknown): CommandEntry => ({
    name: 'fail',
    load: async () => ({ name: 'fail', summary: 'fails', args: [], flags: [], run: async () => Promise.reject(err) }),
  });
  async function run(err: unknown, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (c) => (text += c));
    const io: Io = { stdin: new PassThrough(), stdout, stderr, env, cwd: process.cwd(), color: false };
    const code = await runCli(['fail'], io, [failing(err)]);
    return { code, stderr: text };
  }

  test('an error of the engine or the state is printed as the fact it is, with the CLI\'s hint, never as an internal error', async () => {
    const live = '/nonexistent/live';
    const cases: [unknown, string][] = [
      [new EngineError(undefined, 'no s6-svscan is running on /scan'), 'Error: no s6-svscan is running on /scan\n'],
      [new EngineError('web', 'not installed'), 'Error: web: not installed\n'],
      [new NoLiveDirError(live), `Error: ${live}: no such live directory; run "rcform init --live ${live}" first\n`],
      [new LiveDirTrustError(`${live} is writable by others`), `Error: refusing the live directory: ${live} is writable by others\n`],
      [new SupervisorProtocolError(live, 2, 1, 4242), `Error: the supervisor of ${live} (pid 4242) speaks protocol 2, and this rcform speaks protocol 1`],
    ];
    for (const [err, text] of cases) {
      const r = await run(err, {});
      expect({ err: String(err), code: r.code }).toEqual({ err: String(err), code: 1 });
      expect(r.stderr.startsWith(text)).toBe(true);
      expect(r.stderr).not.toContain('internal error');
    }
  });

  test('an unmapped error is an internal error, its stack shown under RCFORM_LOG=debug (and RCFORM_DEBUG) only', async () => {
    const bug = new TypeError('cannot read properties of undefined');
    const plain = await run(bug, {});
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe('rcform fail: internal error: cannot read properties of undefined\n');
    for (const env of [{ RCFORM_LOG: 'debug' }, { RCFORM_LOG: 'trace' }, { RCFORM_DEBUG: '1' }]) {
      const debug = await run(bug, env);
      expect(debug.stderr).toContain('rcform fail: internal error: cannot read properties of undefined');
      expect(debug.stderr).toContain(bug.stack as string);
    }
    // info is not debug: the stack stays out of an operator's log of what ran.
    expect((await run(bug, { RCFORM_LOG: 'info' })).stderr).not.toContain(bug.stack as string);
  });

  test('the error classes of every layer are user errors of the kind that fits', () => {
    const kinds: [unknown, string][] = [
      [new LockHeldError({ ID: 'x', Operation: 'apply', Info: '', Who: 'a@b', Version: '0', Created: '', Path: '/l', PID: 1 }, '/l/state.lock'), 'conflict'],
      [new LockHeldByLiveProcessError({ ID: 'x', Operation: 'apply', Info: '', Who: 'a@b', Version: '0', Created: '', Path: '/l', PID: 1 }, '/l/state.lock'), 'conflict'],
      [new LockError('unreadable'), 'environment'],
      [new StateFileError('/l/state.json', 'torn'), 'environment'],
      [new StateNotFoundError('/l'), 'environment'],
      [new LiveDirTrustError('owned by nobody'), 'environment'],
      [new NoDefaultLiveDirError('no HOME'), 'environment'],
      [new EngineError(undefined, 'down'), 'environment'],
      [new AccountError('no user "www"'), 'environment'],
      [new EngineStartError('did not start'), 'environment'],
      [new SupervisorUntrustedError('not yours'), 'environment'],
      [new SupervisorError('shutting down'), 'environment'],
      [new DbQueryError('no such service', 'not-found'), 'input'],
      [new HclJsonConversionError('cannot convert'), 'input'],
      [new PlanFileError('checksum mismatch'), 'input'],
    ];
    for (const [err, kind] of kinds) {
      expect({ name: (err as Error).name, kind: isUserError(err) ? err.kind : 'not a UserError' }).toEqual({ name: (err as Error).name, kind });
    }
    // An engine-level error has no service to blame, and does not invent one.
    const engineLevel = new EngineError(undefined, 'no s6-svscan is running on /scan');
    expect(engineLevel.service).toBeUndefined();
    expect(engineLevel.message).toBe('no s6-svscan is running on /scan');
  });
});
