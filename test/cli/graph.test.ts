import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, runInProcess } from '../support/cli-harness.js';

test('rcform graph compiles a tree in memory and prints its edges, the same text every time', async () => {
  const dir = path.join(PROJECT_ROOT, 'examples/web-stack');
  const dot = await runInProcess(['graph', dir]);
  expect(dot.code).toBe(0);
  expect(dot.stdout).toMatch(/^digraph rcform \{/);
  expect(dot.stdout).toContain('"app" -> "db";');
  expect(dot.stdout).toContain('"app" -> "migrations";');
  expect(dot.stdout).toContain('"app" -> "app-log" [style=dotted, label="pipe"];');
  expect(dot.stdout).toContain('"web" -> "backend" [style=dashed, arrowhead=odiamond];');
  expect((await runInProcess(['graph', dir])).stdout).toBe(dot.stdout);
  const mermaid = await runInProcess(['graph', dir, '--format', 'mermaid']);
  expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
  expect((await runInProcess(['graph', dir, '--format', 'svg'])).stderr).toContain('--format takes dot or mermaid');
});

test('a tree with errors prints diagnostics naming file and line, and no graph', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.hcl'), 'longrun "a" {\n  run        = ["true"]\n  depends_on = [longrun.nope]\n}\n');
    const r = await runInProcess(['graph', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    // The snippet format of validate: summary, where, the source line and an underline.
    expect(r.stderr).toContain(`on ${path.join(dir, 'a.hcl')} line 3 (${path.join(dir, 'a.hcl')}:3:`);
    expect(r.stderr).toContain('   3:   depends_on = [longrun.nope]');
    expect(r.stderr).toMatch(/\n {9,}\^{5,}\n/);
    expect(r.stderr).toBe((await runInProcess(['validate', dir])).stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('graph takes variables as validate does: --var, --var-file and RCFORM_VAR_NAME', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  try {
    fs.writeFileSync(
      path.join(dir, 'a.hcl'),
      'variable "ttys" {\n  type = list(string)\n}\n\nlongrun "getty" {\n  for_each = var.ttys\n  run      = ["sleep", each.key]\n}\n',
    );
    const missing = await runInProcess(['graph', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error: No value for required variable');
    expect(missing.stderr).toContain('  on ');

    const byFlag = await runInProcess(['graph', dir, '--var', 'ttys=["tty1","tty2"]']);
    expect(byFlag.stderr).toBe('');
    expect(byFlag.code).toBe(0);
    expect(byFlag.stdout).toContain('"getty@tty1" [label=');
    expect(byFlag.stdout).toContain('"getty@tty2" [label=');

    fs.writeFileSync(path.join(dir, 'vars.rcvars'), 'ttys = ["tty1", "tty2"]\n');
    const byFile = await runInProcess(['graph', dir, '-var-file', path.join(dir, 'vars.rcvars')]);
    expect(byFile.code).toBe(0);
    expect(byFile.stdout).toBe(byFlag.stdout);

    const byEnv = await runInProcess(['graph', dir, '--format', 'mermaid'], { env: { RCFORM_VAR_ttys: '["tty3"]' } });
    expect(byEnv.code).toBe(0);
    expect(byEnv.stdout).toContain('getty@tty3');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
