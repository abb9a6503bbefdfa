import { expect, test } from '@jest/globals';
import { at, compileText } from '../../support/lang-harness.js';

// What validate refuses so that what it accepts can run: env keys that are not environment
// variable names (they are file names on the s6 engine), NUL bytes (a C string ends there),
// and the documented lengths (docs/language.md#limits), each at the value's range.

function check(body: string): { where: string[]; details: string[] } {
  const r = compileText({ 'main.hcl': `longrun "a" {\n  run = ["x"]\n${body}}\n` });
  expect(r.db).toBeUndefined();
  return { where: r.diagnostics.map(at), details: r.diagnostics.map((d) => d.detail ?? '') };
}

test.each([
  ['a path', '../../../../tmp/x'],
  ['a leading digit', '1A'],
  ['a dash', 'A-B'],
  ['a dot', 'A.B'],
  ['a space', 'A B'],
  ['a NUL', 'A\\u0000B'],
])('an env key with %s is not an environment variable name', (_what, key) => {
  const r = check(`  env = { "${key}" = "v" }\n`);
  expect(r.where).toHaveLength(1);
  expect(r.where[0]).toMatch(/^main\.hcl:3:11-3:\d+ Invalid key in "env"$/);
  expect(r.details[0]).toContain('An environment variable name: letters, digits and _, not starting with a digit');
});

test('an env key of 256 characters is too long, one of 255 is not', () => {
  expect(check(`  env = { ${'K'.repeat(256)} = "v" }\n`).where).toEqual([`main.hcl:3:11-3:267 Invalid key in "env"`]);
  expect(compileText({ 'main.hcl': `longrun "a" {\n  run = ["x"]\n  env = { ${'K'.repeat(255)} = "v", lower_case_ok = "v" }\n}\n` }).diagnostics).toEqual([]);
});

test('NUL bytes in an argument, an env value and working_dir', () => {
  const r = compileText({ 'main.hcl': 'longrun "a" {\n  run = ["/bin/echo", "a\\u0000b"]\n  env = { A = "x\\u0000" }\n  working_dir = "/tmp\\u0000/x"\n}\noneshot "b" {\n  up = ["/bin/true", "\\u0000"]\n}\n' });
  // The order is ajv's (an argv's errors come after its alternatives are resolved): compare sorted.
  const found = r.diagnostics.map((d) => `${at(d)}: ${d.detail?.includes('no NUL byte') || d.detail?.includes('without NUL bytes') ? 'NUL' : d.detail}`).sort();
  expect(found).toEqual([
    'main.hcl:2:23-2:33 Invalid value for "run": NUL',
    'main.hcl:3:15-3:24 Invalid value for "env.A": NUL',
    'main.hcl:4:17-4:31 Invalid value for "working_dir": NUL',
    'main.hcl:7:22-7:30 Invalid value for "up": NUL',
  ]);
});

test('the documented lengths of an argument, an env value, working_dir and a data file name', () => {
  const r = compileText({ 'main.hcl': `longrun "a" {\n  run = ["x", "${'a'.repeat(32_768)}"]\n  env = { A = "${'v'.repeat(32_001)}" }\n  working_dir = "/${'d'.repeat(4095)}"\n  data = { "${'f'.repeat(256)}" = "" }\n}\n` });
  expect(r.diagnostics.map((d) => `${d.summary}: ${(d.detail ?? '').replace(/"f{256}"/, '"f…"').slice(0, 52)}`).sort()).toEqual([
    'Invalid key in "data": The key "f…" is not allowed: A data file name, or a ',
    'Invalid value for "env.A": The value is longer than 32000 characters. An enviro',
    'Invalid value for "run": The value is longer than 32767 characters. An argume',
    'Invalid value for "working_dir": The value is longer than 4095 characters. An absolut',
  ]);
  const ok = compileText({ 'main.hcl': `longrun "a" {\n  run = ["x", "${'a'.repeat(32_767)}"]\n  env = { A = "${'v'.repeat(32_000)}" }\n  working_dir = "/${'d'.repeat(4094)}"\n  data = { "${'f'.repeat(255)}" = "" }\n}\n` });
  expect(ok.diagnostics).toEqual([]);
});

test('each name of a data path is at most 255 characters, the path 4,095', () => {
  const name = (n: number): string => 'f'.repeat(n);
  const keys = [`rules/${name(256)}/allow`, Array.from({ length: 17 }, () => name(250)).join('/')];
  const r = compileText({ 'main.hcl': `longrun "a" {\n  run = ["x"]\n  data = { ${keys.map((k) => `"${k}" = ""`).join(', ')} }\n}\n` });
  expect(r.diagnostics.map((d) => d.summary)).toEqual(['Invalid key in "data"', 'Invalid key in "data"']);
  const ok = compileText({ 'main.hcl': `longrun "a" {\n  run = ["x"]\n  data = { "rules/${name(255)}/allow" = "" }\n}\n` });
  expect(ok.diagnostics).toEqual([]);
});

test('the 200-character limit on names holds for an instance name NAME@KEY', () => {
  const key = 'k'.repeat(200 - 'b@'.length);
  const ok = compileText({ 'main.hcl': `longrun "b" {\n  for_each = toset(["${key}"])\n  run = ["x"]\n}\n` });
  expect(ok.diagnostics).toEqual([]);
  const r = compileText({ 'main.hcl': `longrun "b" {\n  for_each = toset(["${key}k"])\n  run = ["x"]\n}\n` });
  expect(r.diagnostics.map((d) => `${d.summary}: ${d.detail}`)).toEqual(['Invalid for_each key: The instance name b@KEY would be 201 characters long; a service name can be at most 200.']);
});
