import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { runInProcess, runProcess } from '../support/cli-harness.js';
import { loadSchema } from '../../schemas/index.js';

// validate and compile as a user runs them: real directories, real files, the built CLI.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function put(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
}

const GOOD = {
  'db.hcl': 'variable "pw" {\n  type      = string\n  sensitive = true\n}\n\nlongrun "db" {\n  run = ["/usr/bin/postgres"]\n  env = { PW = var.pw }\n}\n',
  'app.hcl': 'variable "ttys" {\n  type    = list(string)\n  default = ["tty1"]\n}\n\nlongrun "app" {\n  run        = <<-EOT\n    #!/bin/sh\n    exec /app/server\n  EOT\n  depends_on = [longrun.db]\n  timeout_up = "2m"\n}\n\nlongrun "getty" {\n  for_each = toset(var.ttys)\n  run      = ["agetty", each.key]\n}\n',
};

describe('rcform validate', () => {
  test('valid configuration: exit 0', async () => {
    put(GOOD);
    const r = await runInProcess(['validate', dir, '--var', 'pw=x']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Success!');
  });

  test('every error in one run, with snippets, exit 1', async () => {
    put({ 'main.hcl': 'longrun "a" {\n  run       = ["x"]\n  timout_up = "5s"\n  depends_on = [longrun.bb]\n}\n\nlongrun "b" {\n  run = "no shebang"\n}\n' });
    const r = await runInProcess(['validate', dir]);
    expect(r.code).toBe(1);
    const file = path.join(dir, 'main.hcl');
    expect(r.stderr).toContain(`Error: Unsupported argument\n\n  on ${file} line 3 (${file}:3:3), in longrun "a":\n     3:   timout_up = "5s"\n          ^^^^^^^^^\n\nAn argument named "timout_up" is not expected here. Did you mean "timeout_up"?`);
    expect(r.stderr).toContain('Error: Reference to undeclared service');
    expect(r.stderr).toContain('longrun.bb is not declared. Did you mean longrun.b?');
    expect(r.stderr).toContain('Error: Invalid value for "run"');
  });

  test('--json has the shape of terraform validate -json', async () => {
    put({ 'main.hcl': 'longrun "a" {\n  run = ["x"]\n  depends_on = [longrun.bb]\n}\n' });
    const r = runProcess(['validate', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ format_version: '1.0', valid: false, error_count: 1, warning_count: 0 });
    expect(j.diagnostics).toEqual([
      {
        severity: 'error',
        summary: 'Reference to undeclared service',
        detail: 'longrun.bb is not declared. Did you mean longrun.a?',
        range: { filename: 'main.hcl', start: { line: 3, column: 17, byte: 44 }, end: { line: 3, column: 27, byte: 54 } },
        snippet: { context: 'longrun "a"', code: '  depends_on = [longrun.bb]', start_line: 3, highlight_start_offset: 16, highlight_end_offset: 26, values: [] },
      },
    ]);
  });

  test('--json on a missing or empty directory still prints the JSON, with the error as a diagnostic', async () => {
    const missing = await runInProcess(['validate', '--json', 'nope'], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('');
    expect(JSON.parse(missing.stdout)).toEqual({
      format_version: '1.0',
      valid: false,
      error_count: 1,
      warning_count: 0,
      diagnostics: [{ severity: 'error', summary: 'nope: no such directory', detail: '' }],
    });
    const empty = await runInProcess(['validate', '-json'], { cwd: dir });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe('');
    expect(JSON.parse(empty.stdout)).toMatchObject({ valid: false, error_count: 1, diagnostics: [{ severity: 'error', summary: '. contains no .hcl files' }] });
    // Without --json, the same error stays a one-line message on stderr.
    const human = await runInProcess(['validate', 'nope'], { cwd: dir });
    expect(human).toEqual({ code: 1, stdout: '', stderr: 'Error: nope: no such directory\n' });
  });

  test('syntax errors are reported with file, line and column', async () => {
    put({ 'main.hcl': 'longrun "a" {\n  run = [\n' });
    const r = runProcess(['validate', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j.valid).toBe(false);
    expect(j.diagnostics[0].range.filename).toBe('main.hcl');
  });

  test('variables from RCFORM_VAR_, --var-file and --var, in that precedence', async () => {
    put({ 'main.hcl': 'variable "port" {\n  type = number\n}\nlongrun "a" {\n  run = ["srv", "${var.port}"]\n}\n' });
    fs.writeFileSync(path.join(dir, 'vars.rcvars'), 'port = 2\n');
    const out = path.join(dir, 'db.json');
    const read = (): unknown => (JSON.parse(fs.readFileSync(out, 'utf8')) as { services: { a: { run: unknown } } }).services.a.run;
    expect((await runInProcess(['compile', dir, '--out', out], { env: { RCFORM_VAR_port: '1' } })).code).toBe(0);
    expect(read()).toEqual({ argv: ['srv', '1'] });
    expect((await runInProcess(['compile', dir, '--out', out, '--var-file', path.join(dir, 'vars.rcvars')], { env: { RCFORM_VAR_port: '1' } })).code).toBe(0);
    expect(read()).toEqual({ argv: ['srv', '2'] });
    expect((await runInProcess(['compile', dir, '--out', out, '--var-file', path.join(dir, 'vars.rcvars'), '--var', 'port=3'], { env: { RCFORM_VAR_port: '1' } })).code).toBe(0);
    expect(read()).toEqual({ argv: ['srv', '3'] });
    const bad = await runInProcess(['validate', dir, '--var', 'port=three']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid value for input variable');
  });

  test('a missing directory or an empty one is a one-line error', async () => {
    const r = await runInProcess(['validate', path.join(dir, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: ${path.join(dir, 'nope')}: no such directory\n`);
    const e = await runInProcess(['validate', dir]);
    expect(e.stderr).toBe(`Error: ${dir} contains no .hcl files\n`);
  });
});

describe('rcform compile', () => {
  test('writes a schema-valid database, byte-identical across file order and formatting', async () => {
    put(GOOD);
    const out1 = path.join(dir, 'one.json');
    const r = runProcess(['compile', dir, '--out', out1, '--var', 'pw=secret']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const text = fs.readFileSync(out1, 'utf8');
    const db = JSON.parse(text);
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(loadSchema('compiled.schema.json'));
    expect(validate(db)).toBe(true);
    expect(db.services.app).toMatchObject({ run: { script: '#!/bin/sh\nexec /app/server\n' }, dependencies: ['db'], timeouts: { up_ms: 120000 } });
    expect(db.services.db.sensitive_paths).toEqual(['env.PW']);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);

    // The same services, split differently, reordered and reformatted.
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    try {
      fs.writeFileSync(path.join(other, '0.hcl'), (GOOD['app.hcl'] as string).replace(/ +=/g, ' =') + '\n# trailing comment\n');
      fs.writeFileSync(path.join(other, '1.hcl'), '\n\n' + (GOOD['db.hcl'] as string).replace('  env = { PW = var.pw }\n', '  env = {\n    PW = var.pw\n  }\n'));
      const out2 = path.join(dir, 'two.json');
      expect(runProcess(['compile', other, '--out', out2, '--var', 'pw=secret']).code).toBe(0);
      expect(fs.readFileSync(out2, 'utf8')).toBe(text);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  test('nothing is written when there is an error', async () => {
    put({ 'main.hcl': 'longrun "a" {\n  run = ["x"]\n  depends_on = [longrun.a]\n}\n' });
    const out = path.join(dir, 'db.json');
    fs.writeFileSync(out, 'previous');
    const r = await runInProcess(['compile', dir, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Error: Dependency cycle');
    expect(fs.readFileSync(out, 'utf8')).toBe('previous');
  });

  test('--out is required', async () => {
    put(GOOD);
    const r = await runInProcess(['compile', dir]);
    expect(r).toMatchObject({ code: 1, stderr: 'Error: compile needs --out FILE\n' });
  });
});
