import { expect, test } from '@jest/globals';
import { runProcess } from '../support/cli-harness.js';

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
