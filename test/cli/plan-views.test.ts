import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadSchema } from '../../schemas/index.js';
import { renderHuman } from '../../cli/views/plan-human.js';
import { planForJson, renderJson } from '../../cli/views/plan-json.js';
import { renderMarkdown } from '../../cli/views/plan-markdown.js';
import { everyKindOfChange } from '../support/plan-scenario.js';
import { PROJECT_ROOT } from '../support/cli-harness.js';

// Golden files: the exact text a reviewer sees. Regenerate with UPDATE_GOLDEN=1 after an intended
// change, and read the diff before committing it.
const GOLDEN = path.join(PROJECT_ROOT, 'test/cli/golden');

function golden(name: string, actual: string): void {
  const file = path.join(GOLDEN, name);
  if (process.env['UPDATE_GOLDEN']) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
  }
  expect(actual).toBe(fs.readFileSync(file, 'utf8'));
}

test('the human view of a plan with every kind of change', () => {
  const plan = everyKindOfChange();
  const kinds = new Set(plan.resource_changes.map((c) => c.actions.join(',')));
  for (const k of ['install,start', 'install', 'stop,remove', 'remove', 'update', 'restart', 'reload', 'update,stop', 'update,start', 'rename', 'start', 'stop,remove,install,start']) {
    expect(kinds).toContain(k);
  }
  golden('plan-every-change.txt', renderHuman(plan, { color: false }));
});

test('sensitive values never print, in any view', () => {
  const plan = everyKindOfChange();
  for (const text of [renderHuman(plan, { color: false }), renderHuman(plan, { color: true }), renderJson(plan), renderMarkdown(plan)]) {
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('correct horse');
    expect(text).toContain('(sensitive value)');
  }
});

test('colour only when asked', () => {
  const plan = everyKindOfChange();
  expect(renderHuman(plan, { color: false })).not.toContain('\u001b[');
  expect(renderHuman(plan, { color: true })).toContain('\u001b[32m+\u001b[0m');
});

test('the JSON view matches schemas/plan.schema.json and the golden file', () => {
  const plan = everyKindOfChange();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(loadSchema('plan.schema.json'));
  const data = JSON.parse(renderJson(plan));
  expect(validate(data) ? [] : validate.errors).toEqual([]);
  expect(data.resource_changes.find((c: { name: string }) => c.name === 'db').after_sensitive).toEqual(['env.PGPASSWORD']);
  expect(validate({ ...planForJson(plan), format_version: '9' })).toBe(false);
  golden('plan-every-change.json', renderJson(plan));
});

test('the Markdown view: result line, warning banner, table, and the plan in a diff fence', () => {
  const md = renderMarkdown(everyKindOfChange());
  expect(md.split('\n')[0]).toMatch(/^### rcform plan: \d+ changes$/);
  expect(md).toContain('> [!WARNING]');
  expect(md).toContain('| restart |');
  expect(md).toMatch(/<details>[\s\S]*```diff\n[\s\S]*\n```\n\n<\/details>/);
  golden('plan-every-change.md', md);
});

test('an empty plan says so in every view', () => {
  const plan = { ...everyKindOfChange(), drift: [], resource_changes: [], steps: [], edges: [], summary: { install: 0, start: 0, restart: 0, reload: 0, update: 0, rename: 0, stop: 0, remove: 0 } };
  expect(renderHuman(plan, { color: false })).toMatch(/^No changes\. /);
  expect(renderMarkdown(plan)).toMatch(/^### rcform plan: no changes/);
  expect(renderMarkdown(plan)).not.toContain('WARNING');
});
