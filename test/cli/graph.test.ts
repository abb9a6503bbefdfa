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
    expect(r.stderr).toMatch(/Error: .*a\.hcl:3,\d+: /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
