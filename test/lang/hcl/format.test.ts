import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { layoutTokens } from '../../../lang/hcl/format-layout.js';
import { fmtTokens } from '../../../lang/hcl/format-tokens.js';
import { sharedDir } from '../../support/shared-data.js';

// Golden cases for each layout rule of terraform fmt, on the layout engine itself (formatHcl adds
// the parse check, tested in format-hcl.test.ts). Inputs are written as arrays of lines so that
// the exact whitespace under test is visible.

function layout(source: string): string {
  const { tokens, trailing } = fmtTokens(source);
  return layoutTokens(tokens, trailing);
}

function fmt(lines: string[]): string {
  return layout(lines.join('\n'));
}

function expectFormat(input: string[], expected: string[]): void {
  const out = fmt(input);
  expect(out).toBe(expected.join('\n'));
  // Every golden output is itself canonical.
  expect(fmt(out.split('\n'))).toBe(out);
}

describe('indentation', () => {
  test('two spaces per nesting level, whatever the input used', () => {
    expectFormat(
      ['service "web" {', '\trun = "x"', '        nested {', 'deep = 1', '      }', '}', ''],
      ['service "web" {', '  run = "x"', '  nested {', '    deep = 1', '  }', '}', ''],
    );
  });

  test('multi-line tuples, objects and calls indent their contents and dedent the closer', () => {
    expectFormat(
      ['a = [', '1,', '      2,', ']', 'b = {', 'c = [', '{ d = 1 },', '    ]', '}', 'e = f(', 'x,', 'y)', ''],
      ['a = [', '  1,', '  2,', ']', 'b = {', '  c = [', '    { d = 1 },', '  ]', '}', 'e = f(', '  x,', 'y)', ''],
    );
  });

  test('a line that closes one bracket and opens another stays at the outer level', () => {
    expectFormat(['x = [', '{', 'a = 1', '}, {', 'a = 2', '},', ']', ''], ['x = [', '  {', '    a = 1', '    }, {', '    a = 2', '  },', ']', '']);
  });

  test('comment-only lines are indented like the code around them', () => {
    expectFormat(['block {', '# about a', '      // about b', '   /* about c */', 'a = 1', '}', ''], ['block {', '  # about a', '  // about b', '  /* about c */', '  a = 1', '}', '']);
  });
});

describe('alignment of "="', () => {
  test('consecutive one-line attributes align their equals signs', () => {
    expectFormat(['a = 1', 'long_name = 2', 'mid_ = 3', ''], ['a         = 1', 'long_name = 2', 'mid_      = 3', '']);
  });

  test('a blank line, a comment line, a block or a multi-line value ends the group', () => {
    expectFormat(
      ['a = 1', 'bbb = 2', '', 'cc = 3', 'd = 4', '# note', 'eeeee = 5', 'f = 6', 'g = {', 'h = 7', 'iii = 8', '}', 'jj = 9', 'k = 10', 'blk {', '}', 'l = 11', ''],
      [
        'a   = 1',
        'bbb = 2',
        '',
        'cc = 3',
        'd  = 4',
        '# note',
        'eeeee = 5',
        'f     = 6',
        'g = {',
        '  h   = 7',
        '  iii = 8',
        '}',
        'jj = 9',
        'k  = 10',
        'blk {',
        '}',
        'l = 11',
        '',
      ],
    );
  });

  test('items of a multi-line object align like attributes', () => {
    expectFormat(['env = {', 'PATH = "/bin"', 'LANG = "C"', 'TZ = "UTC"', '}', ''], ['env = {', '  PATH = "/bin"', '  LANG = "C"', '  TZ   = "UTC"', '}', '']);
  });

  test('alignment counts characters, not UTF-8 bytes', () => {
    expectFormat(['"é" = 1', 'ab = 2', ''], ['"é" = 1', 'ab  = 2', '']);
  });
});

describe('trailing comments', () => {
  test('trailing comments on consecutive lines align one space after the longest line', () => {
    expectFormat(
      ['a = 1 # one', 'bbb = "two" // two', 'c = [1, 2] # three', '', 'd = 4     # alone', ''],
      ['a   = 1      # one', 'bbb = "two"  // two', 'c   = [1, 2] # three', '', 'd = 4 # alone', ''],
    );
  });

  test('a trailing comment after a block opener is kept in place', () => {
    expectFormat(['blk { # why', 'a = 1', '}   # end', ''], ['blk { # why', '  a = 1', '} # end', '']);
  });
});

describe('spacing inside expressions', () => {
  test('binary operators, commas and conditionals get single spaces', () => {
    expectFormat(['a = 1+2*3', 'b = [1,2 ,  3]', 'c = x==y&&!z', 'd = p?q:r', 'e = a>=b||c<d', ''], [
      'a = 1 + 2 * 3',
      'b = [1, 2, 3]',
      'c = x == y && !z',
      'd = p ? q : r',
      'e = a >= b || c < d',
      '',
    ]);
  });

  test('unary minus hugs its operand, binary minus does not', () => {
    expectFormat(['a = - 1', 'b = x -1', 'c = [-1, - 2]', 'd = f(- x)', 'e = 3 * - 4', ''], ['a = -1', 'b = x - 1', 'c = [-1, -2]', 'd = f(-x)', 'e = 3 * -4', '']);
  });

  test('calls, indexes, splats and attribute access have no inner spaces', () => {
    expectFormat(['a = f ( x , y... )', 'b = list [ 0 ]', 'c = m . k . v', 'd = l[ * ].id', 'e = l . * . id', 'g = f(x)[ 0 ]', ''], [
      'a = f(x, y...)',
      'b = list[0]',
      'c = m.k.v',
      'd = l[*].id',
      'e = l.*.id',
      'g = f(x)[0]',
      '',
    ]);
  });

  test('braces get inner spaces except when empty', () => {
    expectFormat(['a = {x=1,y=2}', 'b = {  }', 'c = {"k"=v}', 'blk   {}', 'one { a = 1 }', ''], ['a = { x = 1, y = 2 }', 'b = {}', 'c = { "k" = v }', 'blk {}', 'one { a = 1 }', '']);
  });

  test('for expressions: keyword spacing, and a tuple after `in`', () => {
    expectFormat(['a = [for x in [1,2]: x*2 if x>1]', 'b = {for k,v in m: k=>v...}', ''], ['a = [for x in [1, 2] : x * 2 if x > 1]', 'b = { for k, v in m : k => v... }', '']);
  });

  test('block headers: one space between type, labels and brace', () => {
    expectFormat(['service    "web"   "x"{', '}', ''], ['service "web" "x" {', '}', '']);
  });
});

describe('templates', () => {
  test('spaces inside interpolations and directives are normalised; literal text is not', () => {
    expectFormat(['a = "  x ${ var.y }  z "', 'b = "%{ if c }yes%{ else }no%{ endif }"', 'c = "${ a }${ b }"', 'd = "$${ not } %%{ interp }"', ''], [
      'a = "  x ${var.y}  z "',
      'b = "%{if c}yes%{else}no%{endif}"',
      'c = "${a}${b}"',
      'd = "$${ not } %%{ interp }"',
      '',
    ]);
  });

  test('strip markers stay attached', () => {
    expectFormat(['a = "${~ x ~}"', ''], ['a = "${~x~}"', '']);
  });

  test('heredoc contents and the closing marker are kept byte for byte; the attributes around them still align', () => {
    expectFormat(
      ['blk {', 'script = <<-EOT', '      #!/bin/sh', '   echo   "${ x }"   ', '\tindented with a tab', '    EOT', 'plain = <<EOT', 'a  =  b', 'EOT', 'after = 1', '}', ''],
      ['blk {', '  script = <<-EOT', '      #!/bin/sh', '   echo   "${x}"   ', '\tindented with a tab', '    EOT', '  plain  = <<EOT', 'a  =  b', 'EOT', '  after  = 1', '}', ''],
    );
  });

  test('heredoc attributes take part in alignment', () => {
    expectFormat(['a = 1', 'long = <<EOT', 'x', 'EOT', ''], ['a    = 1', 'long = <<EOT', 'x', 'EOT', '']);
  });
});

describe('whitespace', () => {
  test('trailing spaces are removed and blank lines kept', () => {
    expectFormat(['a = 1   ', '', '', 'b = 2\t', ''], ['a = 1', '', '', 'b = 2', '']);
  });

  test('CRLF line endings are kept', () => {
    expect(layout('a=1\r\nbb = 2\r\n')).toBe('a  = 1\r\nbb = 2\r\n');
  });

  test('a canonical file is returned unchanged', () => {
    const src = ['# Services', 'service "web" {', '  run   = ["/bin/web", "--port", 8080]', '  after = ["db"] # start order', '', '  env = {', '    PORT = 8080', '  }', '}', ''].join('\n');
    expect(layout(src)).toBe(src);
  });

  test('an empty file stays empty', () => {
    expect(layout('')).toBe('');
  });
});

const CORPUS = sharedDir('hcl/real-world', 'layout over the real-world corpus');

(CORPUS ? describe : describe.skip)('over the real-world corpus', () => {
  // The layout may change only the spaces between tokens, and a second pass must change nothing.
  // (format-corpus.test.ts checks the stronger property: the parsed values are equal.)
  test('layout changes whitespace only and is idempotent for every file', () => {
    const corpus = CORPUS as string;
    const files = listFiles(corpus);
    expect(files.length).toBeGreaterThan(1500);
    const tokensChanged: string[] = [];
    const notIdempotent: string[] = [];
    for (const file of files) {
      const src = fs.readFileSync(file, 'utf8');
      const once = layout(src);
      if (layout(once) !== once) notIdempotent.push(path.relative(corpus, file));
      const texts = (s: string) => fmtTokens(s).tokens.map((t) => `${t.kind}:${t.text}`);
      if (JSON.stringify(texts(once)) !== JSON.stringify(texts(src))) tokensChanged.push(path.relative(corpus, file));
    }
    expect(notIdempotent).toEqual([]);
    expect(tokensChanged).toEqual([]);
  });
});

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
