import { afterAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ending, runBounded } from '../support/bounded-cli.js';

// Input a CI job validates on anyone's pull request: each ends with diagnostics (or success) in a
// real process with a 512 MB heap and a deadline, without recursion as deep as the input is
// long and without building values the size of the machine.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function tree(files: Record<string, string>): string {
  const dir = path.join(tmp, `t${n++}`);
  fs.mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const range = (k: number): number[] => Array.from({ length: k }, (_, i) => i);

describe('long input parses and evaluates without recursion proportional to its length', () => {
  test('a list of 200,000 elements', () => {
    const dir = tree({ 'main.hcl': `locals {\n  big = [${range(200_000).join(', ')}]\n}\nlongrun "x" {\n  run = ["sleep", tostring(length(local.big))]\n}\n` });
    const r = runBounded(['validate', dir]);
    expect(ending(r)).toBe('exit 0: ');
    expect(r.stdout).toContain('Success!');
  });

  test('a string of 200,000 interpolations', () => {
    const interps = range(200_000).map(() => '${var.v}').join('');
    const dir = tree({ 'main.hcl': `variable "v" {\n  default = "q"\n}\nlocals {\n  s = "${interps}"\n}\nlongrun "x" {\n  run  = ["sleep", "1"]\n  data = { big = local.s }\n}\n` });
    const r = runBounded(['validate', dir]);
    expect(ending(r)).toBe('exit 0: ');
  });

  test('toset of 200,000 strings does not compare every pair', () => {
    const dir = tree({ 'main.hcl': `locals {\n  s = toset([${range(200_000).map((i) => `"k${i % 150_000}"`).join(', ')}])\n}\nlongrun "x" {\n  run = ["sleep", tostring(length(local.s))]\n}\n` });
    const r = runBounded(['compile', dir, '--out', path.join(dir, 'db.json')]);
    expect(ending(r)).toBe('exit 0: ');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8')).services.x.run.argv).toEqual(['sleep', '150000']);
  });

  test('a file with 40,000 errors is reported in time linear in its size', () => {
    const dir = tree({ 'main.hcl': 'locals {\n' + 'a = 1\n'.repeat(40_000) + '}\n' });
    const r = runBounded(['validate', dir], { timeoutMs: 60_000 });
    expect(ending(r).slice(0, 6)).toBe('exit 1');
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr.match(/^Error: /gm)?.length).toBeGreaterThan(39_000);
  });
});

describe('values too large to build are a diagnostic at the expression', () => {
  const tooLarge = (r: ReturnType<typeof runBounded>, at: string): void => {
    expect(ending(r).slice(0, 6)).toBe('exit 1');
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).toContain('Error: Value too large');
    expect(r.stderr).toContain(at);
  };

  test('nested for expressions over range(1024)', () => {
    const dir = tree({ 'main.hcl': 'locals {\n  x = [for x in range(1024) : [for y in range(1024) : [for z in range(1024) : z]]]\n}\n' });
    tooLarge(runBounded(['validate', dir]), 'main.hcl:2:');
  });

  test('locals that each double a string', () => {
    const lines = range(40).map((i) => `  a${i + 1} = "\${local.a${i}}\${local.a${i}}"`);
    const dir = tree({ 'main.hcl': `locals {\n  a0 = "xxxxxxxxxx"\n${lines.join('\n')}\n}\n` });
    tooLarge(runBounded(['validate', dir]), 'main.hcl:');
  });

  test('a value that shares its way to 2^80 elements, used by a service', () => {
    const lines = range(80).map((i) => `  a${i + 1} = [local.a${i}, local.a${i}]`);
    const dir = tree({ 'main.hcl': `locals {\n  a0 = ["x"]\n${lines.join('\n')}\n}\nlongrun "s" {\n  run = flatten(local.a80)\n}\n` });
    tooLarge(runBounded(['validate', dir]), 'main.hcl:');
  });

  test('replace() that multiplies lengths', () => {
    const dir = tree({ 'main.hcl': 'locals {\n  big = join("", [for x in range(1024) : "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"])\n  r   = replace(replace(local.big, "", local.big), "", local.big)\n}\n' });
    tooLarge(runBounded(['validate', dir]), 'main.hcl:3:');
  });

  test('one string used as a thousand environment values', () => {
    const dir = tree({ 'main.hcl': 'locals {\n  big = join("", [for x in range(1024) : join("", [for y in range(64) : "xxxxxxxxxxxxxxxxx"])])\n}\nlongrun "s" {\n  run  = ["a"]\n  data = { for x in range(1024) : "K${x}" => local.big }\n}\n' });
    tooLarge(runBounded(['validate', dir]), 'main.hcl:6:');
  });
});

describe('fmt', () => {
  test('fmt - of 5 MB of newlines stays within a 300 MB heap', () => {
    const input = '\n'.repeat(5_000_000);
    const r = runBounded(['fmt', '-'], { input, heapMb: 300 });
    expect(ending(r)).toBe('exit 0: ');
    expect(r.stdout.length).toBe(input.length);
  });
});
