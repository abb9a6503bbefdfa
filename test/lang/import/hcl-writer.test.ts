import { expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { hclBlock, hclObject, hclString, hclText } from '../../../lang/import/hcl-writer.js';

// hashicorp/hcl itself (through hcl2-parser) decides what the written text means.
const require = createRequire(import.meta.url);
const hcl = require('hcl2-parser') as { parseToObject(input: string): [Record<string, unknown> | null, unknown] };

function valueOf(expr: string): unknown {
  const [obj, err] = hcl.parseToObject(`v = ${expr}\n`);
  if (err) throw new Error(`HCL rejected ${expr}: ${String(err)}`);
  return (obj as Record<string, unknown>)['v'];
}

test('quoted strings escape what HCL would otherwise interpret', () => {
  expect(hclString('a"b\\c\n\t${x} %{if} $$ %d $x')).toBe('"a\\"b\\\\c\\n\\t$${x} %%{if} $$ %d $x"');
  expect(hclString('\x01')).toBe('"\\u0001"');
  expect(valueOf(hclString('${ unclosed %{ also'))).toBe('${ unclosed %{ also');
});

test('heredocs keep scripts verbatim and fall back to a quoted string when they cannot', () => {
  const script = '#!/bin/sh\nexec app --opt="${HOME}" 100%{x}\n  indented \\n stays\n';
  const text = hclText(script);
  expect(text.startsWith('<<EOT\n')).toBe(true);
  expect(valueOf(text)).toBe(script);
  expect(hclText('EOT\nbody\n')).toMatch(/^<<EOT1\n/);
  expect(valueOf(hclText('EOT\nbody\n'))).toBe('EOT\nbody\n');
  expect(hclText('no final newline')).toBe('"no final newline"');
  expect(hclText('crlf\r\n')).toBe('"crlf\\r\\n"');
});

test('any string survives a round trip through the reference parser', () => {
  const chars = fc.constantFrom('a', ' ', '$', '%', '{', '}', '"', '\\', '\n', '\t', 'é', '😀', 'EOT', '\r', '\x00');
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 24 }).map((a) => a.join('')), (s) => {
      expect(valueOf(hclString(s))).toBe(s);
      expect(valueOf(hclText(s))).toBe(s);
    }),
    { numRuns: 300 },
  );
});

test('blocks align consecutive attributes and set multi-line values apart', () => {
  const text = hclBlock('longrun', ['db'], [
    ['run', '["pg"]'],
    ['notification_fd', '3'],
    ['env', hclObject([['PGDATA', '"/d"'], ['LANG', '"C"'], ['a.b', '"x"']], '  ')],
    ['essential', 'true'],
  ], 'Imported.');
  expect(text).toBe(
    [
      '# Imported.',
      'longrun "db" {',
      '  run             = ["pg"]',
      '  notification_fd = 3',
      '',
      '  env = {',
      '    PGDATA = "/d"',
      '    LANG   = "C"',
      '    "a.b"  = "x"',
      '  }',
      '',
      '  essential = true',
      '}',
      '',
    ].join('\n'),
  );
  const [obj, err] = hcl.parseToObject(text);
  expect(err).toBeNull();
  expect((obj as any).longrun.db[0].env).toEqual({ PGDATA: '/d', LANG: 'C', 'a.b': 'x' });
});
