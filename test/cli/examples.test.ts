import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, runProcess } from '../support/cli-harness.js';
import { closure } from '../../lang/compile/db-query.js';

// Every tree under examples/ is documentation users copy from: each must validate, compile and be
// in canonical format, as CI checks with `npm run example`.

const examplesDir = path.join(PROJECT_ROOT, 'examples');
const trees = fs
  .readdirSync(examplesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.readdirSync(path.join(examplesDir, e.name)).some((f) => f.endsWith('.hcl')))
  .map((e) => e.name)
  .sort();

test('the three example trees the docs describe exist', () => {
  expect(trees).toEqual(expect.arrayContaining(['boot', 'hello', 'web-stack']));
});

test.each(trees)('examples/%s validates, compiles and is formatted', (name) => {
  const dir = path.join(examplesDir, name);
  const validate = runProcess(['validate', dir]);
  expect(validate.stderr + validate.stdout).not.toMatch(/Error|Warning/);
  expect(validate.code).toBe(0);
  const fmt = runProcess(['fmt', '--check', dir]);
  expect(fmt.stdout + fmt.stderr).toBe('');
  expect(fmt.code).toBe(0);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  try {
    const out = path.join(tmp, 'db.json');
    const compiled = runProcess(['compile', dir, '--out', out]);
    expect(compiled.code).toBe(0);
    const shown = runProcess(['show', 'compiled', out]);
    expect(shown.code).toBe(0);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test('the boot example expands its for_each blocks and orders what it needs', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  try {
    const out = path.join(tmp, 'db.json');
    expect(runProcess(['compile', path.join(examplesDir, 'boot'), '--out', out]).code).toBe(0);
    const db = JSON.parse(fs.readFileSync(out, 'utf8'));
    const gettys = Object.keys(db.services).filter((n) => n.startsWith('getty@')).sort();
    expect(gettys).toEqual(['getty@tty1', 'getty@tty2', 'getty@tty3', 'getty@tty4', 'getty@tty5', 'getty@tty6']);
    expect(closure(db, 'getty@tty1')).toEqual(['hostname', 'mount@proc', 'mount@sys']);
    expect(db.services['unlock-data'].input).toEqual({ prompt: 'Passphrase for the data partition (/dev/sda3)', secret: true });
    expect(db.bundles.boot.members).toHaveLength(6 + 4 + 3);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
