import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';

// The messages that quoted a sensitive value back: validate's for `depends_on = [var.x]` and
// `var.x + 1`, a function's error about its argument, an invalid map key computed from one, the
// compiled view of keys, user and working_dir, and apply's "unknown user".

const SECRET = 'hunter2secret';
let fx: LiveFixture;
beforeAll(async () => {
  fx = await liveFixture();
}, 60_000);
afterAll(async () => fx.close(), 60_000);

function source(name: string, body: string): string {
  const dir = path.join(fx.root, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'main.hcl'), `variable "x" {\n  type      = string\n  sensitive = true\n  default   = "${SECRET}"\n}\n${body}`);
  return dir;
}

test('validate reports mistakes with sensitive values without quoting them', () => {
  const dir = source('validate', [
    'longrun "a" {',
    '  run        = ["sleep", "${var.x + 1}"]',
    '  depends_on = [var.x]',
    '  env        = { ("bad-${var.x}") = "v" }',
    '  data       = { f = lookup({}, var.x) }',
    '}',
    '',
  ].join('\n'));
  for (const json of [false, true]) {
    const r = fx.rc(['validate', dir, ...(json ? ['--json'] : [])]);
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).not.toContain(SECRET);
    for (const summary of ['Invalid operand', 'Invalid reference', 'Invalid key in \\"env\\"', 'Invalid function argument']) expect(out).toContain(json ? summary : summary.replace(/\\"/g, '"'));
    expect(out).toContain('(sensitive value)');
  }
});

test('show compiled and apply hide sensitive keys, user and working_dir, and say which account is unknown without naming it', () => {
  const dir = source('apply', [
    'longrun "a" {',
    '  run         = ["sleep", "100"]',
    '  env         = { (var.x) = "v" }',
    '  data        = { (var.x) = "v" }',
    '  user        = var.x',
    '  working_dir = "/${var.x}"',
    '}',
    '',
  ].join('\n'));
  const db = path.join(fx.root, 'db.json');
  expect(fx.rc(['compile', dir, '--out', db]).code).toBe(0);
  const shown = fx.rc(['show', 'compiled', db, 'a']);
  expect(shown.code).toBe(0);
  expect(shown.stdout).not.toContain(SECRET);
  expect(shown.stdout).toContain('(sensitive)');
  const r = fx.rc(['apply', dir, '-auto-approve']);
  expect(r.code).toBe(1);
  expect(r.stdout + r.stderr).toContain('unknown user "(sensitive value)"');
  expect(r.stdout + r.stderr).not.toContain(SECRET);
});

test("a step's error does not name a sensitive program, in the plain or JSON view", () => {
  const dir = source('program', 'longrun "p" {\n  run = ["/nonexistent/${var.x}", "1"]\n}\n');
  for (const json of [false, true]) {
    const r = fx.rc(['apply', dir, '-auto-approve', ...(json ? ['--json'] : [])]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('cannot run (sensitive value)');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  }
});

// Terraform's human views mask sensitive values and its `-json` prints them; here the JSON view
// masks them too (it is read in CI logs) and only --show-sensitive prints the database's own data.
test('show compiled --json masks sensitive env and data values and keys, --show-sensitive prints them', () => {
  const dir = source('show-json', [
    'longrun "a" {',
    '  run  = ["sleep", "100"]',
    '  env  = { PASSWORD = var.x, PLAIN = "visible" }',
    '  data = { "secret.conf" = "pw=${var.x}\\n", "plain.conf" = "x\\n" }',
    '}',
    'oneshot "b" {',
    '  up = ["echo", var.x]',
    '}',
    'longrun "c" {',
    '  run  = ["sleep", "100"]',
    '  env  = { (var.x) = "v" }',
    '}',
    '',
  ].join('\n'));
  const db = path.join(fx.root, 'show-json.json');
  expect(fx.rc(['compile', dir, '--out', db]).code).toBe(0);
  for (const args of [['a', '--json'], ['c', '--json'], ['b', '--script', '--json'], ['b', '--script'], ['b', '--json']]) {
    const r = fx.rc(['show', 'compiled', db, ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).toContain('(sensitive)');
  }
  const a = JSON.parse(fx.rc(['show', 'compiled', db, 'a', '--json']).stdout);
  expect(a.env).toEqual({ PASSWORD: '(sensitive)', PLAIN: 'visible' });
  expect(a.data).toEqual({ 'secret.conf': '(sensitive)', 'plain.conf': 'x\n' });
  expect(a.sensitive_paths).toEqual(['data.secret.conf', 'env.PASSWORD']);
  expect(JSON.parse(fx.rc(['show', 'compiled', db, 'c', '--json']).stdout).env).toBe('(sensitive)');

  const raw = JSON.parse(fx.rc(['show', 'compiled', db, 'a', '--json', '--show-sensitive']).stdout);
  expect(raw.env.PASSWORD).toBe(SECRET);
  expect(raw.data['secret.conf']).toBe(`pw=${SECRET}\n`);
  expect(fx.rc(['show', 'compiled', db, 'b', '--script', '--show-sensitive']).stdout).toBe(`echo ${SECRET}\n`);
  expect(JSON.parse(fx.rc(['show', 'compiled', db, 'b', '--script', '--json', '--show-sensitive']).stdout).result).toEqual({ argv: ['echo', SECRET] });
  // The human view stays masked whatever the flag: it is what a person's terminal shows.
  expect(fx.rc(['show', 'compiled', db, 'a', '--show-sensitive']).stdout).not.toContain(SECRET);
});
