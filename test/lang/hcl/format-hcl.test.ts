import { describe, expect, test } from '@jest/globals';
import { formatHcl } from '../../../lang/hcl/format.js';

describe('formatHcl', () => {
  test('formats a file the parser accepts', () => {
    expect(formatHcl('service "web" {\nrun="x"\n}\n', 'ok.hcl')).toEqual({ output: 'service "web" {\n  run = "x"\n}\n' });
  });

  test('a file with a syntax error is not formatted; the parser diagnostics name file, line and column', () => {
    const r = formatHcl('a = 1\nb = [1,\n', 'broken.hcl');
    expect('diagnostics' in r).toBe(true);
    if (!('diagnostics' in r)) return;
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics[0]!;
    expect(d.severity).toBe('error');
    expect(d.subject?.filename).toBe('broken.hcl');
    expect(d.subject?.start.line).toBeGreaterThanOrEqual(2);
  });
});
