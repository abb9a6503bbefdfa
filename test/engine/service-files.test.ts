import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { envdirFiles, writeTree } from '../../engine/service-files.js';

// What both engines write into a service directory: data/ trees that never reach outside
// themselves, and env/ in the format s6-envdir reads (checked with s6-envdir itself where s6 is
// installed).

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const modes = { file: 0o640, dir: 0o750 };

function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory() ? `${p}/` : p);
      if (e.isDirectory()) walk(p);
    }
  };
  walk('');
  return out.sort();
}

test('a tree is written, then replaced by exactly the next one; a symlink found in it is removed, not written through', () => {
  const root = path.join(dir, 'data');
  writeTree(root, { 'rules/ip4/127.0.0.1_32/allow': '', 'rules/uid/0/env/WHO': 'root\n', conf: 'a\n' }, modes);
  expect(listing(root)).toEqual(['conf', 'rules/', 'rules/ip4/', 'rules/ip4/127.0.0.1_32/', 'rules/ip4/127.0.0.1_32/allow', 'rules/uid/', 'rules/uid/0/', 'rules/uid/0/env/', 'rules/uid/0/env/WHO']);
  expect(fs.statSync(path.join(root, 'rules/uid/0/env/WHO')).mode & 0o777).toBe(0o640);
  expect(fs.statSync(path.join(root, 'rules/uid')).mode & 0o777).toBe(0o750);

  const outside = path.join(dir, 'outside');
  fs.writeFileSync(outside, 'untouched\n');
  fs.rmSync(path.join(root, 'conf'));
  fs.symlinkSync(outside, path.join(root, 'conf'));
  fs.symlinkSync(dir, path.join(root, 'rules', 'uid', 'escape'));
  writeTree(root, { conf: 'b\n', 'rules/uid/0/env/WHO': 'nobody\n' }, modes);
  expect(listing(root)).toEqual(['conf', 'rules/', 'rules/uid/', 'rules/uid/0/', 'rules/uid/0/env/', 'rules/uid/0/env/WHO']);
  expect(fs.lstatSync(path.join(root, 'conf')).isSymbolicLink()).toBe(false);
  expect(fs.readFileSync(path.join(root, 'conf'), 'utf8')).toBe('b\n');
  expect(fs.readFileSync(outside, 'utf8')).toBe('untouched\n');
  expect(fs.existsSync(dir)).toBe(true);
});

test('a path that would leave the tree, or be both a file and a directory, is refused before anything is written', () => {
  const root = path.join(dir, 'data');
  for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'a//b', '.hidden', 'a/./b']) {
    expect(() => writeTree(root, { [bad]: 'x' }, modes)).toThrow(`"${bad}" is not a path inside data/`);
  }
  expect(() => writeTree(root, { a: '', 'a/b': '' }, modes)).toThrow('"a" is both a file and a directory in data/');
  expect(fs.existsSync(root)).toBe(false);
});

test("env/ in s6-envdir's default format: s6-envdir itself reads back every value", () => {
  const env = { PLAIN: 'hello world', EMPTY: '', LINES: 'a\nb\n', TRAIL: 'x ', 'A/B': 'slash', '.DOT': 'dot', BIG: 'x'.repeat(10000) };
  const { files, notInDir } = envdirFiles(env);
  expect(files).toEqual({ PLAIN: 'hello world\n', EMPTY: '\n', LINES: 'a\0b\0\n', BIG: `${'x'.repeat(10000)}\n` });
  expect(notInDir).toEqual(['.DOT=dot', 'A/B=slash', 'TRAIL=x ']);
  if (spawnSync('sh', ['-c', 'command -v s6-envdir'], { stdio: 'ignore' }).status !== 0) return;
  writeTree(path.join(dir, 'env'), files, { file: 0o600, dir: 0o700 });
  const read = (...opts: string[]): Record<string, string> => {
    const r = spawnSync('env', ['-i', 's6-envdir', ...opts, path.join(dir, 'env'), 'env', '-0'], { encoding: 'utf8' });
    return Object.fromEntries(r.stdout.split('\0').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };
  // What the s6 engine's launcher reads (-L: no length limit), and what a plain s6-envdir makes of it.
  expect(read('-L')).toEqual({ PLAIN: 'hello world', EMPTY: '', LINES: 'a\nb\n', BIG: 'x'.repeat(10000) });
  expect(read().BIG).toBe('x'.repeat(4095));
});
