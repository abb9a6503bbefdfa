import { describe, expect, test } from '@jest/globals';
import { parseHcl } from '../../lang/hcl/parser.js';
import type { Io } from '../../cli/command.js';
import { colorFor, formatDiagnosticLine, renderDiagnostic } from '../../cli/views/diagnostics-human.js';

const SRC = 'a = 1\n\tb = "x" c = 2\n';

describe('renderDiagnostic', () => {
  const d = parseHcl(SRC, 'svc.hcl').diagnostics[0]!;

  test('terraform-style block: summary, file:line:col, source line, underline, detail', () => {
    expect(renderDiagnostic(d, { 'svc.hcl': SRC })).toBe(
      [
        'Error: Missing newline after argument',
        '',
        '  on svc.hcl line 2 (svc.hcl:2:10):',
        '     2: \tb = "x" c = 2',
        '        \t        ^',
        '',
        'An argument definition must end with a newline.',
        '',
      ].join('\n'),
    );
  });

  test('colour only when asked', () => {
    expect(renderDiagnostic(d, { 'svc.hcl': SRC })).not.toContain('\u001b[');
    const coloured = renderDiagnostic(d, { 'svc.hcl': SRC }, { color: true });
    expect(coloured).toContain('\u001b[1;31mError:\u001b[0m');
    expect(coloured).toContain('\u001b[1;4;31mc\u001b[0m');
  });

  test('without the source it still names the place', () => {
    expect(renderDiagnostic(d, {})).toContain('svc.hcl:2:10');
    expect(formatDiagnosticLine(d)).toBe('svc.hcl:2:10: error: Missing newline after argument: An argument definition must end with a newline.');
  });

  test('a range over several lines is underlined to the end of its first line', () => {
    const src = 'a = "x\ny"\n';
    const m = parseHcl(src, 'm.hcl').diagnostics[0]!;
    expect(renderDiagnostic(m, { 'm.hcl': src })).toContain('     1: a = "x\n              ^');
  });
});

describe('colorFor', () => {
  const io = (color: boolean) => ({ color }) as unknown as Io;
  test('colour only on a TTY, and only when allowed (NO_COLOR and --no-color clear io.color)', () => {
    expect(colorFor(io(true), { isTTY: true })).toBe(true);
    expect(colorFor(io(true), { isTTY: false })).toBe(false);
    expect(colorFor(io(true), {})).toBe(false);
    expect(colorFor(io(false), { isTTY: true })).toBe(false);
  });

  test('the enclosing block is named, as Terraform does', () => {
    const src = 'longrun "web" {\n  run = ["x"]\n  bogus = 1\n}\n';
    const d = { severity: 'error' as const, summary: 'Unsupported argument', subject: { filename: 'w.hcl', start: { line: 3, column: 3, byte: 32 }, end: { line: 3, column: 8, byte: 37 } } };
    expect(renderDiagnostic(d, { 'w.hcl': src })).toContain('  on w.hcl line 3 (w.hcl:3:3), in longrun "web":\n     3:   bogus = 1\n          ^^^^^\n');
  });
});
