import { describe, expect, test } from '@jest/globals';
import { scan, tokenText, type Token } from '../../../lang/hcl/scanner.js';

function kinds(src: string): string[] {
  return scan(src, 't.hcl').map((t: Token) => `${t.type}:${tokenText(src, t)}`);
}

function at(t: Token): string {
  const { start, end } = t.range;
  return `${start.line}:${start.column}:${start.byte}-${end.line}:${end.column}:${end.byte}`;
}

describe('scanner', () => {
  test('line comments own their newline; block comments do not', () => {
    expect(kinds('a # x\n/* y */\n')).toEqual(['Ident:a', 'Comment:# x\n', 'Comment:/* y */', 'Newline:\n', 'EOF:']);
  });

  test('template sequences, strip markers and escapes in quoted strings', () => {
    expect(kinds('"x${~b~}$${z}%{if c}"')).toEqual([
      'OQuote:"', 'QuotedLit:x', 'TemplateInterp:${~', 'Ident:b', 'TemplateSeqEnd:~}', 'QuotedLit:$${',
      'QuotedLit:z}', 'TemplateControl:%{', 'Ident:if', 'Ident:c', 'TemplateSeqEnd:}', 'CQuote:"', 'EOF:',
    ]);
  });

  test('heredoc lines are separate literals; the closing marker is separate from its newline', () => {
    expect(kinds('h = <<-EOT\n  a ${x}\n  EOT\n')).toEqual([
      'Ident:h', 'Equal:=', 'OHeredoc:<<-EOT\n', 'StringLit:  a ', 'TemplateInterp:${', 'Ident:x', 'TemplateSeqEnd:}',
      'StringLit:\n', 'CHeredoc:  EOT', 'Newline:\n', 'EOF:',
    ]);
  });

  test('a marker that only ends a line does not close the heredoc', () => {
    expect(kinds('<<EOT\nNOT EOT\nEOT\n').map((k) => k.split(':')[0])).toEqual(['OHeredoc', 'StringLit', 'CHeredoc', 'Newline', 'EOF']);
  });

  test('numbers never end with a dot and take legacy index chains whole', () => {
    expect(kinds('1. 1.5e+3 a.0.1 2e')).toEqual([
      'NumberLit:1', 'Dot:.', 'NumberLit:1.5e+3', 'Ident:a', 'Dot:.', 'NumberLit:0.1', 'NumberLit:2', 'Ident:e', 'EOF:',
    ]);
  });

  test('ranges count UTF-8 bytes and characters', () => {
    const toks = scan('é = "ü"\n', 't.hcl');
    expect(toks.map(at)).toEqual(['1:1:0-1:2:2', '1:3:3-1:4:4', '1:5:5-1:6:6', '1:6:6-1:7:8', '1:7:8-1:8:9', '1:8:9-2:1:10', '2:1:10-2:1:10']);
  });

  test('a byte order mark is skipped but counted in bytes', () => {
    expect(at(scan('\ufeffa', 't')[0]!)).toBe('1:1:3-1:2:4');
  });

  test('operators, and characters HCL does not use, never throw', () => {
    expect(kinds('a==b!=c<=d>=e&&f||g=>h...i::j&k|l^m;n`o\'p$q@').map((k) => k.split(':')[0])).toContain('Invalid');
    expect(kinds('"unterminated ${').at(-1)).toBe('EOF:');
    expect(kinds('\r')[0]).toBe('Invalid:\r');
  });
});
