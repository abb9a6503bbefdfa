import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInProcess, runProcess } from '../support/cli-harness.js';

const UGLY = 'service "web" {\nrun = "/bin/web"\n    restart_delay=5\n}\n';
const PRETTY = 'service "web" {\n  run           = "/bin/web"\n  restart_delay = 5\n}\n';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function put(rel: string, text: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}
const read = (rel: string) => fs.readFileSync(path.join(dir, rel), 'utf8');

describe('rcform fmt', () => {
  test('rewrites the .hcl files of the current directory in place and lists the ones it changed', async () => {
    put('a.hcl', UGLY);
    put('b.hcl', PRETTY);
    put('notes.txt', UGLY);
    put('.hidden.hcl', UGLY);
    const r = await runInProcess(['fmt'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: 'a.hcl\n', stderr: '' });
    expect(read('a.hcl')).toBe(PRETTY);
    expect(read('b.hcl')).toBe(PRETTY);
    expect(read('notes.txt')).toBe(UGLY);
    expect(read('.hidden.hcl')).toBe(UGLY);
  });

  test('keeps the file mode when rewriting', async () => {
    const p = put('a.hcl', UGLY);
    fs.chmodSync(p, 0o640);
    expect((await runInProcess(['fmt', 'a.hcl'], { cwd: dir })).code).toBe(0);
    expect(fs.statSync(p).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['a.hcl']);
  });

  test('subdirectories only with --recursive', async () => {
    put('top.hcl', UGLY);
    put('sub/deep/inner.hcl', UGLY);
    let r = await runInProcess(['fmt', dir]);
    expect(r.stdout).toBe(`${path.join(dir, 'top.hcl')}\n`);
    expect(read('sub/deep/inner.hcl')).toBe(UGLY);
    r = await runInProcess(['fmt', '-recursive', '.'], { cwd: dir });
    expect(r).toEqual({ code: 0, stdout: `${path.join('sub', 'deep', 'inner.hcl')}\n`, stderr: '' });
    expect(read('sub/deep/inner.hcl')).toBe(PRETTY);
  });

  test('--check lists the files that need formatting, writes nothing, and exits 3', async () => {
    put('a.hcl', UGLY);
    put('b.hcl', PRETTY);
    const r = await runInProcess(['fmt', '--check'], { cwd: dir });
    expect(r).toEqual({ code: 3, stdout: 'a.hcl\n', stderr: '' });
    expect(read('a.hcl')).toBe(UGLY);

    const quiet = await runInProcess(['fmt', '-check', '-list=false'], { cwd: dir });
    expect(quiet).toEqual({ code: 3, stdout: '', stderr: '' });

    fs.rmSync(path.join(dir, 'a.hcl'));
    expect(await runInProcess(['fmt', '--check'], { cwd: dir })).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  test('--diff prints a unified diff; with --write=false the file is left alone', async () => {
    put('a.hcl', UGLY);
    const r = await runInProcess(['fmt', '--diff', '--write=false'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'a.hcl',
        '--- old/a.hcl',
        '+++ new/a.hcl',
        '@@ -1,4 +1,4 @@',
        ' service "web" {',
        '-run = "/bin/web"',
        '-    restart_delay=5',
        '+  run           = "/bin/web"',
        '+  restart_delay = 5',
        ' }',
        '',
      ].join('\n'),
    );
    expect(read('a.hcl')).toBe(UGLY);
  });

  test('"-" formats standard input to standard output (a real process)', () => {
    const r = runProcess(['fmt', '-'], { input: UGLY, cwd: dir });
    expect(r).toEqual({ code: 0, stdout: PRETTY, stderr: '' });
    const check = runProcess(['fmt', '-check', '-'], { input: UGLY, cwd: dir });
    expect(check).toEqual({ code: 3, stdout: '', stderr: '' });
    const diff = runProcess(['fmt', '-diff', '-'], { input: UGLY, cwd: dir });
    expect(diff.stdout).toContain('--- old/<stdin>\n+++ new/<stdin>\n');
  });

  test('a syntax error is reported with file, line and column, exit 2, and the file is untouched', async () => {
    const broken = 'service "web" {\n  run = [1,\n';
    put('bad.hcl', broken);
    put('good.hcl', UGLY);
    const r = await runInProcess(['fmt'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.hcl:\d+:\d+/);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    expect(read('bad.hcl')).toBe(broken);
    // Other files are still formatted, as terraform fmt does.
    expect(read('good.hcl')).toBe(PRETTY);
  });

  test('a missing path or a file that is not .hcl is an error, exit 2', async () => {
    let r = await runInProcess(['fmt', 'nope.hcl'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No file or directory at nope.hcl');
    put('x.txt', 'a=1\n');
    r = await runInProcess(['fmt', 'x.txt'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Only .hcl files');
  });

  test('"-" mixed with paths is a usage error', async () => {
    const r = await runInProcess(['fmt', '-', 'a.hcl'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
