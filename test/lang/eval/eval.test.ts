import { describe, expect, test } from '@jest/globals';
import { evalText } from '../../support/lang-harness.js';
import { deepSensitive, str, list } from '../../../lang/eval/value.js';
import { parseNum, numToString, numDiv, numAdd } from '../../../lang/eval/number.js';

describe('numbers', () => {
  test('decimal arithmetic is exact', () => {
    expect(evalText('0.1 + 0.2 == 0.3').json).toBe(true);
    expect(evalText(`"n=${"$"}{0.1 + 0.2}"`).json).toBe("n=0.3");
    expect(evalText('"n=${123456789012345678901234567890 + 1}"').json).toBe('n=123456789012345678901234567891');
    expect(evalText('"${7 / 2} ${7 % 3} ${-7 % 3} ${2 * 1.5}"').json).toBe('3.5 1 -1 3');
    expect(numToString(parseNum('1e3')!)).toBe('1000');
    expect(numToString(parseNum('1.50')!)).toBe('1.5');
    expect(numToString(numAdd(numDiv(parseNum('1')!, parseNum('3')!)!, parseNum('0')!)).startsWith('0.3333333333')).toBe(true);
  });
  test('division by zero is a diagnostic at the divisor', () => {
    const r = evalText('1 / (2 - 2)');
    expect(r.value.kind).toBe('error');
    expect(r.diags.map((d) => [d.summary, d.subject?.start.column])).toEqual([['Division by zero', 9]]);
  });
});

describe('expressions', () => {
  test('templates, conditionals, for expressions, splats and indexing', () => {
    expect(evalText('"a-${1 < 2 ? "yes" : "no"}-${upper("x")}"').json).toBe('a-yes-X');
    expect(evalText('[for s in ["a", "b"] : upper(s)]').json).toEqual(['A', 'B']);
    expect(evalText('{for i, s in ["a", "b"] : s => i}').json).toEqual({ a: 0, b: 1 });
    expect(evalText('[for k, v in {b = 2, a = 1} : "${k}=${v}" if v > 1]').json).toEqual(['b=2']);
    expect(evalText('{for s in ["a", "b", "a"] : s => s...}').json).toEqual({ a: ['a', 'a'], b: ['b'] });
    expect(evalText('[{n = 1}, {n = 2}][*].n').json).toEqual([1, 2]);
    expect(evalText('{a = [10, 20]}.a[1]').json).toBe(20);
    expect(evalText('{a = [10, 20]}["a"][0]').json).toBe(10);
    expect(evalText('!true || (false && true)').json).toBe(false);
    expect(evalText('"1" + 2').json).toBe(3);
  });
  test('functions', () => {
    expect(evalText('join(",", split(" ", "a b c"))').json).toBe('a,b,c');
    expect(evalText('format("%s:%d %q %%", "a", 3, "b")').json).toBe('a:3 "b" %');
    expect(evalText('merge({a = 1}, {b = 2}, {a = 3})').json).toEqual({ a: 3, b: 2 });
    expect(evalText('keys({b = 1, a = 2})').json).toEqual(['a', 'b']);
    expect(evalText('values({b = 1, a = 2})').json).toEqual([2, 1]);
    expect(evalText('length("héllo") + length([1, 2]) + length({a = 1})').json).toBe(8);
    expect(evalText('contains(["a"], "a") && !contains(["a"], "b")').json).toBe(true);
    expect(evalText('lookup({a = 1}, "b", 7)').json).toBe(7);
    expect(evalText('coalesce(null, "", "x")').json).toBe('x');
    expect(evalText('range(3)').json).toEqual([0, 1, 2]);
    expect(evalText('jsonencode({b = [1, true, null], a = "x"})').json).toBe('{"a":"x","b":[1,true,null]}');
    expect(evalText('concat(["a"], ["b"], [])').json).toEqual(['a', 'b']);
    expect(evalText('replace(trimspace("  a.b.c "), ".", "/")').json).toBe('a/b/c');
    expect(evalText('tonumber("42") + 1').json).toBe(43);
    expect(evalText('tostring(5)').json).toBe('5');
    expect(evalText('join("-", ["a"], ["b", "c"])').json).toBe('a-b-c');
    expect(evalText('max(1, 5, 3) + min(4, 2)').json).toBe(7);
    expect(evalText('concat(["x"], ["a", "b"]...)').diags.length).toBe(1);
  });
  test('failures are diagnostics at the offending sub-expression, never exceptions', () => {
    const cases: [string, string, number, number][] = [
      ['upperr("a")', 'Call to unknown function', 5, 11],
      ['upper(1, 2)', 'Error in function call', 5, 16],
      ['lookup({a = 1}, "b")', 'Invalid function argument', 21, 24],
      ['{a = 1}.b', 'Unsupported attribute', 13, 14],
      ['[1, 2][5]', 'Invalid index', 12, 13],
      ['"x${null}"', 'Invalid template interpolation value', 9, 13],
      ['foo', 'Unknown variable', 5, 8],
      ['var.nope', 'Reference to undeclared input variable', 5, 13],
      ['local.nope', 'Reference to undeclared local value', 5, 15],
      ['local', 'Invalid reference', 5, 10],
      ['var', 'Invalid reference', 5, 8],
      ['keys(var)', 'Invalid reference', 10, 13],
      ['each.key', 'Reference to "each" in context without for_each', 5, 9],
      ['false ? 1 : 2 + "x"', 'Invalid operand', 21, 24],
      ['[for x in 3 : x]', 'Iteration over non-iterable value', 15, 16],
      ['1 ? 2 : 3', 'Incorrect condition type', 5, 6],
    ];
    for (const [src, summary, from, to] of cases) {
      const r = evalText(src);
      expect([src, r.value.kind]).toEqual([src, 'error']);
      expect([src, r.diags.map((d) => `${d.summary} ${d.subject?.start.column}-${d.subject?.end.column}`)]).toEqual([src, [`${summary} ${from}-${to}`]]);
    }
  });
  test('sensitivity follows values through operators, templates, functions and collections', () => {
    const secret = str('hunter2', true);
    const vars = { p: secret, plain: str('x'), l: list([str('a'), secret]) };
    expect(deepSensitive(evalText('"pw=${var.p}"', vars).value)).toBe(true);
    expect(deepSensitive(evalText('upper(var.p)', vars).value)).toBe(true);
    expect(deepSensitive(evalText('var.p == "x" ? "a" : "b"', vars).value)).toBe(true);
    expect(deepSensitive(evalText('var.l[0]', vars).value)).toBe(false);
    expect(deepSensitive(evalText('var.l[1]', vars).value)).toBe(true);
    expect(deepSensitive(evalText('"${var.plain}"', vars).value)).toBe(false);
    expect(deepSensitive(evalText('{k = var.p}', vars).value)).toBe(true);
  });
});
