import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';

// What apply and destroy say when they end, in the plain view (a pipe): the result counted in
// services as the plan counts them, the time it took, and each thing said once.

let fx: LiveFixture;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  await fx.close();
}, 60_000);

const count = (text: string, part: string): number => text.split(part).length - 1;

test('apply with nothing to do says "No changes." once', async () => {
  const file = fx.writeDb('v1.json', { web: { type: 'longrun' } });
  expect(fx.rc(['apply', '--compiled', file, '--auto-approve']).code).toBe(0);
  const r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  expect(count(r.stdout, 'No changes.')).toBe(1);
}, 120_000);

test('apply and destroy end with their own word and the time taken; destroy says "Destroy complete!"', async () => {
  const file = fx.writeDb('v1.json', { db: { type: 'longrun' }, web: { type: 'longrun', deps: ['db'] } });
  let r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Apply complete! Services: 2 installed\. Took \d+(ms|\.\ds)\.$/m);
  r = fx.rc(['destroy', '--auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Destroy complete! Services: 2 removed\. Took \d+(ms|\.\ds)\.$/m);
  expect(r.stdout).not.toContain('Apply complete!');
}, 120_000);

test('a failure is counted in services, not steps, and names no internal step id', async () => {
  const file = fx.writeDb('v1.json', {
    bad: { type: 'oneshot', up: { argv: ['sh', '-c', 'echo "no disk" >&2; exit 3'] } },
    after: { type: 'longrun', deps: ['bad'] },
    fine: { type: 'longrun' },
  });
  const r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(1);
  // Three services, five steps (bad: up; after and fine: install and start).
  expect(r.stdout).toMatch(/^Apply failed: 1 done, 1 failed, 0 interrupted, 1 not started\. 3 services; took \d+(ms|\.\ds)\.$/m);
  expect(r.stdout).toContain('Error: oneshot.bad: up failed');
  expect(r.stdout).toContain('  not started: longrun.after: start');
  expect(r.stdout).toContain('longrun.after: start not started: oneshot.bad failed');
  expect(r.stdout).not.toMatch(/oneshot_up|start:after|install:/);
}, 120_000);
