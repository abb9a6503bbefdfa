import { describe, expect, test } from '@jest/globals';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { formatDiagnosticLine, renderDiagnostic } from '../../../lang/hcl/render-diagnostic.js';

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
    expect(renderDiagnostic(d, new Map([['svc.hcl', SRC]]))).not.toContain('\u001b[');
    const coloured = renderDiagnostic(d, new Map([['svc.hcl', SRC]]), { color: true });
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
