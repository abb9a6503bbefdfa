import { describe, expect, test } from '@jest/globals';
import type { Attribute, Expression, TemplateExpr } from '../../../lang/hcl/ast.js';
import { parseHcl } from '../../../lang/hcl/parser.js';
import type { Range } from '../../../lang/hcl/range.js';

function parse(src: string) {
  return parseHcl(src, 'test.hcl');
}

function ok(src: string) {
  const r = parse(src);
  expect(r.diagnostics).toEqual([]);
  return r.file;
}

function attr(src: string, name = 'a'): Expression {
  return ok(src).body.attributes.find((x: Attribute) => x.name === name)!.expr;
}

function at(r: Range): string {
  return `${r.start.line}:${r.start.column}:${r.start.byte}-${r.end.line}:${r.end.column}:${r.end.byte}`;
}

function errors(src: string): string[] {
  return parse(src).diagnostics.map((d) => `${d.summary} @${at(d.subject!)}`);
}

/** A compact rendering of an expression's shape, for precedence and traversal tests. */
function shape(e: Expression): string {
  switch (e.kind) {
    case 'Binary': return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
    case 'Unary': return `${e.op}${shape(e.operand)}`;
    case 'Conditional': return `(${shape(e.cond)} ? ${shape(e.then)} : ${shape(e.else)})`;
    case 'Number': return e.text;
    case 'Variable': return e.name;
    case 'Literal': return String(e.value);
    case 'GetAttr': return `${shape(e.object)}.${e.name}`;
    case 'Index': return `${shape(e.collection)}[${shape(e.key)}${e.legacy ? ' legacy' : ''}]`;
    case 'Splat': return `splat-${e.style}(${shape(e.source)} => ${shape(e.each)})`;
    case 'SplatItem': return '@';
    case 'Parens': return `(${shape(e.expr)})`;
    case 'FunctionCall': return `${e.name}(${e.args.map(shape).join(', ')}${e.expandFinal ? '...' : ''})`;
    case 'Tuple': return `[${e.items.map(shape).join(', ')}]`;
    case 'Template': return JSON.stringify(e.parts.map((p) => (p.kind === 'TemplateLiteral' ? p.value : p.kind)));
    default: return e.kind;
  }
}

function literal(e: Expression): string {
  const t = e as TemplateExpr;
  expect(t.kind).toBe('Template');
  return t.parts.map((p) => (p.kind === 'TemplateLiteral' ? p.value : `<${p.kind}>`)).join('');
}

describe('structure and ranges', () => {
  test('attributes, blocks, labels and one-line blocks keep exact ranges', () => {
    const f = ok('a = 1\nservice "web" x {\n  run = ["a"]\n}\nb { c = 2 }\n');
    const [a, web, b] = f.body.items;
    expect(a!.kind).toBe('Attribute');
    expect(at(a!.range)).toBe('1:1:0-1:6:5');
    expect(web!.kind === 'Block' && web!.labels).toEqual(['web', 'x']);
    if (web!.kind !== 'Block' || b!.kind !== 'Block') throw new Error('blocks expected');
    expect(at(web.range)).toBe('2:1:6-4:2:39');
    expect(web.labelRanges.map(at)).toEqual(['2:9:14-2:14:19', '2:15:20-2:16:21']);
    expect(at(web.openBraceRange)).toBe('2:17:22-2:18:23');
    expect(at(web.closeBraceRange)).toBe('4:1:38-4:2:39');
    expect(at(web.body.attributes[0]!.nameRange)).toBe('3:3:26-3:6:29');
    expect(b.body.attributes.map((x) => x.name)).toEqual(['c']);
    expect(at(f.body.range)).toBe('1:1:0-6:1:52');
  });

  test('ranges count UTF-8 bytes, and the input is NFC-normalised first', () => {
    const f = ok('a = "e\u0301"\nb = 1\n');
    expect(literal(f.body.attributes[0]!.expr)).toBe('é');
    expect(at(f.body.attributes[1]!.range)).toBe('2:1:9-2:6:14');
  });

  test('comments of all three forms are skipped; a line comment ends an argument', () => {
    const f = ok('# a\n// b\n/* c\n d */ a = 1 # end\nb = 2 // end\nc = /* inline */ 3\n');
    expect(f.body.attributes.map((x) => x.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('diagnostics', () => {
  test('Attribute redefined points at the second name and mentions the first', () => {
    const d = parse('a = 1\na = 2\n').diagnostics;
    expect(d).toHaveLength(1);
    expect(d[0]!.summary).toBe('Attribute redefined');
    expect(at(d[0]!.subject!)).toBe('2:1:6-2:2:7');
    expect(d[0]!.detail).toContain('test.hcl:1,1-2');
  });

  test('several errors in one file', () => {
    expect(errors('a = 1, b = 2\nc = 1\nc = 2\nx ;\n')).toEqual([
      'Invalid character @4:3:27-4:4:28',
      'Unexpected comma after argument @1:6:5-1:7:6',
      'Attribute redefined @3:1:19-3:2:20',
      'Argument or block definition required @4:1:25-4:2:26',
    ]);
  });

  test('hcl summaries for common mistakes', () => {
    expect(errors('a {\n')[0]).toBe('Unclosed configuration block @1:3:2-1:4:3');
    expect(errors('a = 1 b = 2\n')[0]).toBe('Missing newline after argument @1:7:6-1:8:7');
    expect(errors('= 1\n')[0]).toBe('Argument or block definition required @1:1:0-1:2:1');
    expect(errors('"a" = 1\n')[0]).toBe('Invalid argument name @1:1:0-1:2:1');
    expect(errors('a = \n')[0]).toBe('Invalid expression @1:5:4-2:1:5');
    expect(errors('a = "x\ny"\n')[0]).toBe('Invalid multi-line string @1:7:6-2:1:7');
    expect(errors('a = "\\q"\n')[0]).toBe('Invalid escape sequence @1:6:5-1:8:7');
    expect(errors('a = f(1 2)\n')[0]).toBe('Missing argument separator @1:9:8-1:10:9');
    expect(errors('a = [1 2]\n')[0]).toBe('Missing item separator @1:8:7-1:9:8');
    expect(errors('a = x.0.1\n')[0]).toBe('Invalid legacy index syntax @1:7:6-1:10:9');
    expect(errors('a = "${x "y"}"\n')[0]).toBe('Unclosed template interpolation sequence @1:6:5-1:8:7');
    expect(errors('a = "%{if x}y"\n')[0]).toMatch(/^Unexpected end of template/);
    expect(errors('b "${x}" {}\n')[0]).toBe('Invalid string literal @1:4:3-1:6:5');
  });
});

describe('strings, escapes and templates', () => {
  test('quoted string escapes', () => {
    expect(literal(attr('a = "q\\"\\\\\\n\\r\\t\\u00e9\\U0001F600"\n'))).toBe('q"\\\n\r\té😀');
    expect(literal(attr('a = "$${x} %%{y} $ % $x"\n'))).toBe('${x} %{y} $ % $x');
  });

  test('a lone interpolation is a single-part template; mixed ones keep their parts', () => {
    const t = attr('a = "${x}"\n') as TemplateExpr;
    expect(t.parts.map((p) => p.kind)).toEqual(['TemplateInterp']);
    expect(shape(attr('a = "p-${x}-s"\n'))).toBe('["p-","TemplateInterp","-s"]');
  });

  test('strip markers remove whitespace next to the sequence', () => {
    const t = attr('a = "a  ${~ x ~}  b %{~ if c ~}  y  %{~ endif ~}  z"\n') as TemplateExpr;
    expect(t.parts.map((p) => (p.kind === 'TemplateLiteral' ? p.value : p.kind))).toEqual(['a', 'TemplateInterp', 'b', 'TemplateIf', 'z']);
    const ifPart = t.parts[3]!;
    if (ifPart.kind !== 'TemplateIf') throw new Error('if expected');
    expect(ifPart.then.map((p) => (p.kind === 'TemplateLiteral' ? p.value : p.kind))).toEqual(['y']);
  });

  test('if/else and for directives nest', () => {
    const t = attr('a = "%{for k, v in m}${k}%{if v}y%{else}n%{endif}%{endfor}"\n') as TemplateExpr;
    const f = t.parts[0]!;
    if (f.kind !== 'TemplateFor') throw new Error('for expected');
    expect([f.keyVar, f.valVar]).toEqual(['k', 'v']);
    const i = f.body[1]!;
    expect(i.kind === 'TemplateIf' && [i.then.length, i.else?.length]).toEqual([1, 1]);
  });

  test('heredocs: plain keeps indentation, flush removes the smallest, CRLF lines', () => {
    expect(literal(attr('a = <<EOT\n  x\n    y\n  EOT\n'))).toBe('  x\n    y\n');
    expect(literal(attr('a = <<-EOT\n  x\n    y\n\n  EOT\n'))).toBe('x\n  y\n\n');
    expect(literal(attr('a = <<-EOT\r\n  x\r\n  EOT\r\n'))).toBe('x\r\n');
    const t = attr('a = <<-EOT\n    ${v} $${lit}\n  EOT\n') as TemplateExpr;
    expect(t.heredoc).toEqual({ marker: 'EOT', flush: true });
    expect(t.parts.map((p) => (p.kind === 'TemplateLiteral' ? p.value : p.kind))).toEqual(['', 'TemplateInterp', ' ${lit}\n']);
  });

  test('an unclosed heredoc is an error, not a hang', () => {
    expect(parse('a = <<EOT\nx\n').diagnostics.length).toBeGreaterThan(0);
  });
});

describe('expressions', () => {
  test('operator precedence and associativity', () => {
    expect(shape(attr('a = x || y && z == w + v * u\n'))).toBe('(x || (y && (z == (w + (v * u)))))');
    expect(shape(attr('a = 1 - 2 - 3\n'))).toBe('((1 - 2) - 3)');
    expect(shape(attr('a = -1 + 2\n'))).toBe('(-1 + 2)');
    expect(shape(attr('a = !x.y\n'))).toBe('!x.y');
    expect(shape(attr('a = a ? b : c ? d : e\n'))).toBe('(a ? b : (c ? d : e))');
    expect(shape(attr('a = (1 + 2) * 3\n'))).toBe('(((1 + 2)) * 3)');
    expect(shape(attr('a = 1 < 2 == 3 >= 4\n'))).toBe('((1 < 2) == (3 >= 4))');
  });

  test('traversals: attributes, indexes, legacy indexes, splats', () => {
    expect(shape(attr('a = x.y[0]["k"].z\n'))).toBe('x.y[0][["k"]].z');
    expect(shape(attr('a = x.0.y\n'))).toBe('x[0 legacy].y');
    expect(shape(attr('a = x[*].y.z\n'))).toBe('splat-full(x => @.y.z)');
    expect(shape(attr('a = x.*.y[0]\n'))).toBe('splat-attr(x => @.y)[0]');
  });

  test('function calls with expansion and namespaces; newlines allowed in parentheses', () => {
    expect(shape(attr('a = f(1,\n  x...)\n'))).toBe('f(1, x...)');
    expect(shape(attr('a = provider::p::f()\n'))).toBe('provider::p::f()');
    expect(shape(attr('a = f(1,)\n'))).toBe('f(1)');
  });

  test('numbers keep their source text', () => {
    expect(attr('a = 3.14159265358979323846264338327950288419716939937510\n')).toMatchObject({ kind: 'Number', text: '3.14159265358979323846264338327950288419716939937510' });
    expect(shape(attr('a = 1e10\n'))).toBe('1e10');
  });

  test('objects are newline-sensitive; tuples are not', () => {
    const o = attr('a = {\n  x = 1\n  "y" = 2, (z) = 3\n  w: 4\n}\n');
    if (o.kind !== 'Object') throw new Error('object expected');
    expect(o.items.map((i) => [i.key.bare, i.key.expr.kind])).toEqual([[true, 'Variable'], [false, 'Template'], [false, 'Parens'], [true, 'Variable']]);
    expect(shape(attr('a = [\n 1,\n 2\n]\n'))).toBe('[1, 2]');
    expect(errors('a = { x = 1 y = 2 }\n')[0]).toBe('Missing attribute separator @1:13:12-1:14:13');
  });

  test('for expressions', () => {
    const e = attr('a = {for k, v in m : k => v... if v != null}\n');
    expect(e).toMatchObject({ kind: 'For', keyVar: 'k', valVar: 'v', group: true });
    expect(attr('a = [for v in m: v]\n')).toMatchObject({ kind: 'For', valVar: 'v' });
    expect(errors('a = [for v in m: k => v]\n')[0]).toMatch(/^Invalid 'for' expression/);
  });
});
