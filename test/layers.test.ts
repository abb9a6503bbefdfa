import { describe, expect, test } from '@jest/globals';
import { PROJECT_ROOT } from './support/cli-harness.js';
import { checkLayers, formatVersionLiterals, formatViolations, importsOf, readSourceTree, tokenize } from './support/layers.js';

// The layer order (lang < state < planner < engine < operation < cli, schemas/ a leaf) and the
// purity of lang/ and planner/ (docs/development.md), over the real tree.

describe('the source tree', () => {
  test('every import goes down the layer order, and lang/ and planner/ reach no I/O, process or clock', () => {
    const files = readSourceTree(PROJECT_ROOT);
    expect(files.size).toBeGreaterThan(100);
    expect(formatViolations(checkLayers(files))).toBe('');
  });

  test('no format_version is written as a literal: each is the constant of its format', () => {
    expect(formatViolations(formatVersionLiterals(readSourceTree(PROJECT_ROOT)))).toBe('');
  });
});

const tree = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));
const messages = (entries: Record<string, string>): string[] => checkLayers(tree(entries)).map((v) => `${v.file}:${v.line}: ${v.message}`);

describe('the checker', () => {
  test('an import up the order is a violation; down, sideways and into a leaf are not', () => {
    const out = messages({
      'lang/a.ts': "import { s } from '../schemas/index.js';\nexport const a = s;",
      'state/s.ts': "import { a } from '../lang/a.js';\nexport const s = a;",
      'planner/p.ts': "import type { E } from '../engine/e.js';\nimport { s } from '../state/s.js';\nexport const p: E = s;",
      'engine/e.ts': "export type E = string;\nimport { q } from './f.js';",
      'engine/f.ts': 'export const q = 1;',
      'schemas/index.ts': 'export const s = 1;',
    });
    expect(out).toEqual(['planner/p.ts:1: planner/ imports engine/e.ts: engine/ is above planner/ (order: lang < state < planner < engine < operation < cli)']);
  });

  test('operation/ sits between engine/ and cli/', () => {
    const out = messages({
      'engine/e.ts': "export { op } from '../operation/o.js';",
      'operation/o.ts': "import '../engine/x.js';\nexport const op = 1;",
      'engine/x.ts': '',
      'cli/c.ts': "const m = await import('../operation/o.js');",
    });
    expect(out).toEqual(['engine/e.ts:1: engine/ imports operation/o.ts: operation/ is above engine/ (order: lang < state < planner < engine < operation < cli)']);
  });

  test('a dynamic import() is checked like a static one, and a computed one is refused', () => {
    const out = messages({
      'lang/a.ts': "export const load = async () => (await import('../cli/c.js')).c;\nexport const any = (n: string) => import(n);",
      'cli/c.ts': 'export const c = 1;',
    });
    expect(out).toEqual([
      'lang/a.ts:1: lang/ imports cli/c.ts: cli/ is above lang/ (order: lang < state < planner < engine < operation < cli)',
      'lang/a.ts:2: import() of a computed specifier: the layer rule cannot check it',
    ]);
  });

  test('a leaf imports no layer', () => {
    expect(messages({ 'schemas/x.ts': "import { a } from '../lang/a.js';", 'lang/a.ts': 'export const a = 1;' })).toEqual([
      'schemas/x.ts:1: schemas/ is a leaf, but imports lang/a.ts',
    ]);
  });

  test('a pure module that imports fs, or a state/ module it imports that does, is a violation', () => {
    const out = messages({
      'planner/p.ts': "import { read } from '../state/io.js';\nimport { createHash } from 'node:crypto';\nexport const p = read;",
      'state/io.ts': "import fs from 'node:fs';\nexport const read = () => fs.readFileSync('x');",
      'state/free.ts': "import { spawn } from 'node:child_process';\nexport const s = spawn;",
      'lang/l.ts': "import * as net from 'net';\nexport const n = net;",
    });
    expect(out).toEqual([
      'lang/l.ts:1: imports node:net in a pure module: lang/ and planner/ do no I/O',
      'state/io.ts:1: imports node:fs in a pure module (reached from planner/p.ts): lang/ and planner/ do no I/O',
    ]);
  });

  test('the process, the clock, timers, the console and randomness in code are violations; in comments, strings and members they are not', () => {
    const out = messages({
      'lang/clock.ts': [
        '// process.env and Date.now() in a comment',
        "const m = 'process.exit() and new Date() in a string';",
        'const t = `setTimeout in a template ${1 + 1} still text`;',
        'const o = { process: 1 }; const q = o.process;',
        'const parsed = new Date(m).getTime();',
        'export const now = Date.now();',
        'export const at = new Date();',
        'export const env = process.env.HOME;',
        'setTimeout(() => {}, 1);',
        'export const r = /process/.test(m) ? performance.now() : t.length + q + parsed;',
        "console.log(r); export const g = globalThis['process'];",
        'export const n = Math.random();',
      ].join('\n'),
    });
    expect(out).toEqual([
      'lang/clock.ts:6: uses Date.now() in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:7: uses new Date() in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:8: uses process in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:9: uses setTimeout in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:10: uses performance in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:11: uses console in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:11: uses globalThis in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
      'lang/clock.ts:12: uses Math.random() in a pure module: lang/ and planner/ touch no process, clock, console or randomness',
    ]);
  });

  test('imports are read from every declaration form, not from code that only mentions them', () => {
    const src = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import './c.js';",
      "export * from './d.js';",
      "export type { E } from './e.js';",
      'export { f };',
      'const s = "import x from \'./no.js\'";',
      "export const g = import.meta.url;",
      "const h = await import('./h.js');",
    ].join('\n');
    expect(importsOf(tokenize(src)).map((r) => `${r.line} ${r.specifier}${r.typeOnly ? ' type' : ''}${r.dynamic ? ' dynamic' : ''}`)).toEqual([
      '1 ./a.js',
      '2 ./b.js type',
      '3 ./c.js',
      '4 ./d.js',
      '5 ./e.js type',
      '9 ./h.js dynamic',
    ]);
  });

  test('a format_version literal is found in values, types and comparisons, not in the constant it should use', () => {
    const out = formatVersionLiterals(
      tree({
        'cli/a.ts': [
          "const a = { format_version: '1', kind: 'x' };",
          'interface B { format_version: 2 }',
          "if (b.format_version !== '1') throw new Error();",
          'const c = { format_version: PLAN_FILE_FORMAT_VERSION };',
          "// format_version: '1' in a comment",
        ].join('\n'),
      }),
    );
    expect(out.map((v) => v.line)).toEqual([1, 2, 3]);
  });
});
