import { afterEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { alive } from '../support/engine-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { acquireLock, readLockInfo } from '../../state/lock.js';

// init and apply start the detached embedded supervisor while they hold the state lock. The lock
// is a kernel lock on a descriptor: were it inherited, the supervisor would hold the state locked
// for as long as it runs.

let op: CliOperator | undefined;
afterEach(() => {
  if (op) endCliOperator(op);
  op = undefined;
});

test('the supervisor started under the lock does not keep it', async () => {
  op = cliOperator('embedded', 'rcform-lockfork-');
  fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), 'longrun "keep" {\n  run = ["sleep", "1609"]\n}\n');
  expect(op.rc(['init']).code).toBe(0);
  const pid = Number(fs.readFileSync(path.join(op.live, 'engine', 'supervisor.pid'), 'utf8').split(' ')[0]);
  expect(alive(pid)).toBe(true);
  const fds = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
  expect(fds.filter((f) => f.includes('state.lock'))).toEqual([]);
  expect(readLockInfo(op.live)).toBeUndefined();
  const lock = await acquireLock(op.live, { operation: 'test', timeoutMs: 0 });
  lock.release();
  expect(op.rc(['apply', 'src', '--auto-approve']).code).toBe(0);
  expect(alive(op.status()['keep']?.pid)).toBe(true);
  expect(readLockInfo(op.live)).toBeUndefined();
}, 120_000);
