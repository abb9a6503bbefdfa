import { afterEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';

// Files that hold sensitive values are their owner's only, whatever the umask (docs/security.md).

let op: CliOperator | undefined;
afterEach(() => {
  if (op) endCliOperator(op);
  op = undefined;
});

const modeOf = (p: string): string => (fs.statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

test('compile --out, plan files, state and journal are owner-only; the live directory 0700', () => {
  op = cliOperator('embedded', 'rcform-modes-');
  fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), 'variable "token" {\n  default   = "s3cret"\n  sensitive = true\n}\nlongrun "web" {\n  run = ["sleep", "1606"]\n  env = { TOKEN = var.token }\n}\n');
  // A file left 0644 by an earlier compile is replaced, not rewritten in place.
  fs.writeFileSync(path.join(op.root, 'db.json'), '', { mode: 0o644 });
  expect(op.rc(['compile', 'src', '--out', 'db.json']).code).toBe(0);
  expect(fs.readFileSync(path.join(op.root, 'db.json'), 'utf8')).toContain('s3cret');
  expect(modeOf(path.join(op.root, 'db.json'))).toBe('0600');
  expect(op.rc(['init']).code).toBe(0);
  expect(op.rc(['plan', 'src', '--out', 'web.plan']).code).toBe(0);
  expect(modeOf(path.join(op.root, 'web.plan'))).toBe('0600');
  expect(op.rc(['apply', 'web.plan']).code).toBe(0);
  expect(modeOf(op.live)).toBe('0700');
  expect(modeOf(path.join(op.live, 'state.json'))).toBe('0600');
  for (const f of fs.readdirSync(path.join(op.live, 'journal'))) expect({ f, mode: modeOf(path.join(op.live, 'journal', f)) }).toEqual({ f, mode: '0600' });
  expect(modeOf(path.join(op.live, 'engine'))).toBe('0700');
  expect(modeOf(path.join(op.live, 'engine', 'supervise.sock'))).toBe('0600');
}, 120_000);
