import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/cli-harness.js';
import { loadCommands } from '../../cli/commands/index.js';

const commands = await loadCommands();

// The README's command table is where a newcomer looks for what rcform can do: every command that
// `rcform --help` lists has a row there, and the row points at a docs file that exists.

const README = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

test("the README's first lines are the two commands a newcomer types", () => {
  const block = README.split('\n').slice(2, 6).join('\n');
  expect(block).toMatch(/^```sh\nnpm ci && npm run example {2,}# .*\nnpm test {2,}# .*\n```$/);
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
