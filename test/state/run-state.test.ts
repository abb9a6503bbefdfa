import { expect, test } from '@jest/globals';
import { ABSENT, RUN_STATES, isRunning, isUp, observedStateOf, runClass } from '../../state/run-state.js';

test('running means processes of the service run: up, ready, starting, stopping', () => {
  expect(RUN_STATES.filter(isRunning)).toEqual(['starting', 'up', 'ready', 'stopping']);
  expect(isRunning(ABSENT)).toBe(false);
});

test('up means the service came up: up or ready, not starting', () => {
  expect(RUN_STATES.filter(isUp)).toEqual(['up', 'ready']);
});

test('a plan depends on running, stopped or absent only', () => {
  expect(Object.fromEntries([...RUN_STATES, ABSENT].map((s) => [s, runClass(s)]))).toEqual({
    down: 'stopped', starting: 'running', up: 'running', ready: 'running', stopping: 'running', failed: 'stopped', absent: 'absent',
  });
});

test('what a refresh records: stopping is still up, starting stays starting, anything unknown is down', () => {
  expect(Object.fromEntries([...RUN_STATES, ABSENT, 'bogus'].map((s) => [s, observedStateOf(s)]))).toEqual({
    down: 'down', starting: 'starting', up: 'up', ready: 'ready', stopping: 'up', failed: 'failed', absent: 'absent', bogus: 'down',
  });
});
