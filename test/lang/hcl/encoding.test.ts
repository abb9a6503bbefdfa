import { afterAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { toHclJson, type JsonValue } from '../../../lang/hcl/to-json.js';
import { decodeUtf8 } from '../../../lang/hcl/utf8.js';
import { runInProcess } from '../../support/cli-harness.js';
import { oracleParseBytes } from '../../support/hcl-oracle.js';

// Unicode details against the oracle (hcl2-parser), byte for byte: literals are NFC after their
// escapes are decoded, and bytes that are not UTF-8 are rejected where hcl rejects them, with the
// same summaries at the same lines and columns.

const bytes = (parts: (string | number[])[]): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

function ours(src: Uint8Array): { json?: JsonValue; diags?: string[] } {
  const r = parseHcl(decodeUtf8(src), 'enc.hcl');
  if (r.diagnostics.length > 0) {
    return { diags: r.diagnostics.map((d) => `${d.subject!.start.line},${d.subject!.start.column}-${d.subject!.end.line},${d.subject!.end.column} ${d.summary}`) };
  }
  return { json: toHclJson(r.file) };
}

function theirs(src: Uint8Array): { json?: JsonValue; diags?: string[] } {
  const r = oracleParseBytes(src);
  if (r.diagnostics) return { diags: r.diagnostics.map((d) => `${d.start.line},${d.start.column}-${d.end.line},${d.end.column} ${d.summary}`) };
  expect(r.conversionError).toBeUndefined();
  return { json: JSON.parse(r.json!) as JsonValue };
}

describe('NFC after escapes, as hcl', () => {
  test.each([
    ['escapes that compose', 'a = "caf\\u0065\\u0301"\n', { a: 'café' }],
    ['a letter and an escaped accent', 'a = "cafe\\u0301"\n', { a: 'café' }],
    ['a compatibility character', 'a = "\\u212b"\n', { a: '\u00c5' }],
    ['an object key', 'a = { "caf\\u0065\\u0301" = 1 }\n', { a: { 'café': 1 } }],
    // hcl reads block labels with a routine of their own, which does not normalise.
    ['a block label', 'b "caf\\u0065\\u0301" {\n}\n', { b: { 'cafe\u0301': [{}] } }],
    // Each literal is normalised on its own: an interpolation between them keeps them apart.
    ['literals split by an interpolation', 'a = "e${""}\\u0301"\n', { a: 'e\u0301' }],
    ['heredocs have no backslash escapes', 'a = <<EOT\ncafe\\u0301\nEOT\n', { a: 'cafe\\u0301\n' }],
  ])('%s', (_name, src, expected) => {
    const b = bytes([src]);
    expect(theirs(b)).toEqual({ json: expected });
    expect(ours(b)).toEqual({ json: expected });
  });

  test('the decoded value has four characters, not five', () => {
    const v = (ours(bytes(['a = "caf\\u0065\\u0301"\n'])).json as { a: string }).a;
    expect([...v]).toHaveLength(4);
  });
});

describe('bytes that are not UTF-8', () => {
  test.each([
    ['in a quoted string', ['a = "', [0xff], '"\n']],
    ['on a later line, twice', ['a = "ok"\nb = "x', [0xff], 'y', [0xfe], '"\nc = 1\n']],
    ['in a heredoc', ['a = <<EOT\nok\nx', [0xff], 'y\nEOT\n']],
    ['in a block label', ['b "x', [0xff], '" {\n}\n']],
    ['after a backslash', ['a = "x\\', [0xff], '"\n']],
    ['in an interpolation', ['a = "${x', [0xff], '}"\n']],
    ['in an identifier', ['a', [0xff], ' = 1\n']],
    ['a stray continuation byte', ['a = "', [0x80], '"\n']],
    ['a sequence cut short', ['a = "', [0xe2, 0x82], 'A"\n']],
    ['a five-byte form', ['a = "', [0xf8, 0x88, 0x80, 0x80, 0x80], '"\n']],
  ] as [string, (string | number[])[]][])('%s: the oracle\'s diagnostics, where it puts them', (_name, parts) => {
    const b = bytes(parts);
    const expected = theirs(b);
    expect(expected.diags).toContain(expected.diags!.find((d) => d.endsWith('Invalid character encoding')));
    expect(ours(b)).toEqual(expected);
  });

  test.each([
    ['in a comment', ['# ', [0xff], '\na = 1\n']],
    // hcl's scanner only checks the shape of a sequence; Go then reads each byte as U+FFFD.
    ['an overlong form', ['a = "', [0xc0, 0xaf], '"\n']],
    ['an encoded surrogate', ['a = "', [0xed, 0xa0, 0x80], '"\n']],
    ['valid multi-byte characters', ['a = "', [0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80], '"\n']],
  ] as [string, (string | number[])[]][])('%s: accepted, with the oracle\'s value', (_name, parts) => {
    const b = bytes(parts);
    const expected = theirs(b);
    expect(expected.json).toBeDefined();
    expect(ours(b)).toEqual(expected);
  });
});

describe('through the CLI', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  test('validate names the file, line and column; fmt leaves the bytes alone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
    dirs.push(dir);
    const file = path.join(dir, 'main.hcl');
    const content = bytes(['longrun "web" {\n  run         = ["/bin/true"]\n  description = "caf', [0xe9], '"\n}\n']);
    fs.writeFileSync(file, content);
    const v = await runInProcess(['validate', dir]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain('Invalid character encoding');
    expect(v.stderr).toContain('main.hcl:3:21');
    const f = await runInProcess(['fmt', dir]);
    expect(f.code).not.toBe(0);
    expect(f.stderr).toContain('Invalid character encoding');
    expect(Buffer.compare(fs.readFileSync(file), content)).toBe(0);
  });
});
