import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/cli-harness.js';
import { loadCommands } from '../../cli/commands/index.js';

const commands = await loadCommands();

// The README's command table is where a newcomer looks for what rcform can do: every command that
// `rcform --help` lists has a row there, and the row points at a docs file that exists.

const README = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

test("the README's first lines are the commands a newcomer types, and say how to run rcform", () => {
  // Two commands, as the brief asks: install and run the example, then the tests.
  const block = README.split('\n').slice(2, 6).join('\n');
  expect(block).toMatch(/^```sh\nnpm ci && npm run example {2,}# .*`npx rcform`.*\nnpm test {2,}# .*\n```$/);
});

/** The lines of the README's shell blocks. */
const shellLines = [...README.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((m) => (m[1] as string).split('\n'));

test('rcform is never used as if it were on the PATH; a way that needs no root is given', () => {
  expect(shellLines.filter((l) => /^\s*rcform\b/.test(l))).toEqual([]);
  expect(shellLines.filter((l) => /\bnpx rcform\b/.test(l)).length).toBeGreaterThan(0);
  expect(README).toContain('npm install --global --prefix ~/.local .');
});

test('no example in the README writes to /tmp, or anywhere git does not ignore', () => {
  expect(README).not.toMatch(/\/tmp\b/);
  const written = shellLines.flatMap((l) => [...l.matchAll(/--(?:out|live) (\S+)/g)].map((m) => m[1] as string));
  expect(written.length).toBeGreaterThan(0);
  for (const file of written) {
    const r = spawnSync('git', ['check-ignore', '-q', '--no-index', file], { cwd: PROJECT_ROOT });
    expect([file, r.status]).toEqual([file, 0]);
  }
});

test('every command has a row in the README command table, pointing at its docs', () => {
  const rows = README.split('\n').filter((l) => l.startsWith('| `rcform '));
  for (const c of commands) {
    const row = rows.find((r) => r.startsWith(`| \`rcform ${c.name}\``) || r.startsWith(`| \`rcform ${c.name} `));
    expect([c.name, row !== undefined]).toEqual([c.name, true]);
    const links = [...(row as string).matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1] as string);
    expect([c.name, links.length > 0]).toEqual([c.name, true]);
    for (const l of links) expect(fs.existsSync(path.join(PROJECT_ROOT, l))).toBe(true);
  }
});
