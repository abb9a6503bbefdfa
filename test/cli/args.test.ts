import { describe, expect, test } from '@jest/globals';
import { parseArgs, parseDurationMs, type FlagSpec } from '../../cli/args.js';

const flags: FlagSpec[] = [
  { name: 'out', type: 'string', description: '' },
  { name: 'json', type: 'boolean', description: '' },
  { name: 'refresh', type: 'boolean', description: '', default: true },
  { name: 'target', type: 'list', description: '' },
  { name: 'parallelism', type: 'number', description: '', default: 10 },
];

describe('parseArgs', () => {
  test.each([
    [['--out=plan.bin'], 'plan.bin'],
    [['--out', 'plan.bin'], 'plan.bin'],
    [['-out=plan.bin'], 'plan.bin'],
    [['-out', 'plan.bin'], 'plan.bin'],
  ])('accepts %j', (argv, expected) => {
    const r = parseArgs(argv, flags, []);
    expect(r).toEqual({ ok: true, value: expect.objectContaining({ flags: expect.objectContaining({ out: expected }) }) });
  });

  test('Terraform single-dash booleans, negation and lists', () => {
    const r = parseArgs(['-json', '--refresh=false', '-target=longrun.a', '--target', 'longrun.b', 'dir'], flags, [{ name: 'DIR', optional: true }]);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.flags).toMatchObject({ json: true, refresh: false, target: ['longrun.a', 'longrun.b'], parallelism: 10 });
    expect(r.value.positionals).toEqual(['dir']);
    const n = parseArgs(['--no-refresh'], flags, []);
    expect(n.ok && n.value.flags['refresh']).toBe(false);
  });

  test('errors are values with a message', () => {
    expect(parseArgs(['--bogus'], flags, [])).toEqual({ ok: false, error: 'unknown flag --bogus' });
    expect(parseArgs(['-bogus'], flags, [])).toEqual({ ok: false, error: 'unknown flag -bogus' });
    expect(parseArgs(['--out'], flags, [])).toEqual({ ok: false, error: 'flag --out needs a value' });
    expect(parseArgs(['--parallelism=x'], flags, [])).toEqual({ ok: false, error: 'flag --parallelism takes a number, not "x"' });
    expect(parseArgs(['a', 'b'], flags, [{ name: 'DIR', optional: true }])).toEqual({ ok: false, error: 'unexpected argument "b"' });
    expect(parseArgs([], flags, [{ name: 'FILE' }])).toEqual({ ok: false, error: 'missing argument FILE' });
  });

  test('a lone dash and everything after -- are positionals', () => {
    const r = parseArgs(['-', '--', '--json'], flags, [{ name: 'X', variadic: true }]);
    expect(r.ok && r.value.positionals).toEqual(['-', '--json']);
  });
});

test('parseDurationMs', () => {
  expect(parseDurationMs('250ms')).toBe(250);
  expect(parseDurationMs('5s')).toBe(5000);
  expect(parseDurationMs('2m')).toBe(120000);
  expect(parseDurationMs('1.5s')).toBe(1500);
  expect(parseDurationMs('soon')).toBeUndefined();
});
