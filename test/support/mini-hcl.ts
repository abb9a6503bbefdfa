import type { Attribute, Block, Body, Expression, File, ObjectItem, TemplatePart, BinaryOp } from '../../lang/hcl/ast.js';
import type { Pos, Range } from '../../lang/hcl/range.js';

// A deliberately small HCL parser for the language tests, used only until lang/hcl/parser.ts
// lands: blocks, attributes, quoted templates with ${...}, numbers, tuples, objects, traversals,
// calls, operators, conditionals and for expressions. Ranges follow hclsyntax's conventions.

class P {
  i = 0;
  byte = 0;
  line = 1;
  col = 1;
  constructor(
    readonly src: string,
    readonly filename: string,
  ) {}
  pos(): Pos {
    return { line: this.line, column: this.col, byte: this.byte };
  }
  range(a: Pos, b: Pos): Range {
    return { filename: this.filename, start: a, end: b };
  }
  peek(n = 0): string {
    return this.src[this.i + n] ?? '';
  }
  adv(n = 1): void {
    for (let k = 0; k < n; k++) {
      const code = this.src.charCodeAt(this.i);
      this.byte += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code < 0xdc00 ? 4 : code >= 0xdc00 && code < 0xe000 ? 0 : 3;
      if (this.src[this.i] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
      this.i++;
    }
  }
  ws(nl: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (nl && c === '\n')) this.adv();
      else if (c === '#' || (c === '/' && this.peek(1) === '/')) {
        while (this.peek() && this.peek() !== '\n') this.adv();
      } else if (c === '/' && this.peek(1) === '*') {
        while (this.peek() && !(this.peek() === '*' && this.peek(1) === '/')) this.adv();
        this.adv(2);
      } else return;
    }
  }
  ident(): string {
    const re = /[A-Za-z_][A-Za-z0-9_-]*/y;
    re.lastIndex = this.i;
    const m = re.exec(this.src);
    if (!m) throw new Error(`${this.filename}:${this.line}:${this.col}: expected identifier`);
    this.adv(m[0].length);
    return m[0];
  }
  expect(s: string): Range {
    const a = this.pos();
    if (!this.src.startsWith(s, this.i)) throw new Error(`${this.filename}:${this.line}:${this.col}: expected ${s}`);
    this.adv(s.length);
    return this.range(a, this.pos());
  }
  body(end: string): Body {
    const start = this.pos();
    const items: (Attribute | Block)[] = [];
    for (;;) {
      this.ws(true);
      if (this.peek() === end || this.peek() === '') break;
      const a = this.pos();
      const name = this.ident();
      const nameRange = this.range(a, this.pos());
      this.ws(false);
      if (this.peek() === '=' && this.peek(1) !== '=') {
        const equalsRange = this.expect('=');
        this.ws(false);
        const expr = this.expr();
        items.push({ kind: 'Attribute', name, expr, range: this.range(a, expr.range.end), nameRange, equalsRange });
        continue;
      }
      const labels: string[] = [];
      const labelRanges: Range[] = [];
      while (this.peek() === '"') {
        const t = this.template();
        labels.push(t.parts.map((p) => (p as { value: string }).value).join(''));
        labelRanges.push(t.range);
        this.ws(false);
      }
      const openBraceRange = this.expect('{');
      const body = this.body('}');
      const closeBraceRange = this.expect('}');
      items.push({ kind: 'Block', type: name, labels, body, range: this.range(a, closeBraceRange.end), typeRange: nameRange, labelRanges, openBraceRange, closeBraceRange });
    }
    const e = this.pos();
    return {
      kind: 'Body',
      attributes: items.filter((x): x is Attribute => x.kind === 'Attribute'),
      blocks: items.filter((x): x is Block => x.kind === 'Block'),
      items,
      range: this.range(start, e),
      endRange: this.range(e, e),
    };
  }
  template(): Extract<Expression, { kind: 'Template' }> {
    const a = this.pos();
    this.expect('"');
    const parts: TemplatePart[] = [];
    let lit = '';
    let litStart = this.pos();
    const flush = (): void => {
      if (lit) parts.push({ kind: 'TemplateLiteral', value: lit, range: this.range(litStart, this.pos()) });
      lit = '';
    };
    while (this.peek() !== '"') {
      if (this.peek() === '') throw new Error('unterminated string');
      if (this.peek() === '\\') {
        const c = this.peek(1);
        lit += c === 'n' ? '\n' : c === 't' ? '\t' : c;
        this.adv(2);
      } else if (this.peek() === '$' && this.peek(1) === '{') {
        flush();
        const s = this.pos();
        this.adv(2);
        this.ws(true);
        const expr = this.expr();
        this.ws(true);
        this.expect('}');
        parts.push({ kind: 'TemplateInterp', expr, stripLeft: false, stripRight: false, range: this.range(s, this.pos()) });
        litStart = this.pos();
      } else {
        lit += this.peek();
        this.adv();
      }
    }
    flush();
    this.expect('"');
    if (parts.length === 0) {
      const e = this.pos();
      parts.push({ kind: 'TemplateLiteral', value: '', range: this.range(e, e) });
    }
    return { kind: 'Template', parts, range: this.range(a, this.pos()) };
  }
  expr(): Expression {
    const cond = this.binary(0);
    this.ws(false);
    if (this.peek() === '?') {
      this.adv();
      this.ws(true);
      const then = this.expr();
      this.ws(true);
      this.expect(':');
      this.ws(true);
      const els = this.expr();
      return { kind: 'Conditional', cond, then, else: els, range: this.range(cond.range.start, els.range.end) };
    }
    return cond;
  }
  static LEVELS: BinaryOp[][] = [['||'], ['&&'], ['==', '!='], ['<=', '>=', '<', '>'], ['+', '-'], ['*', '/', '%']];
  binary(level: number): Expression {
    if (level >= P.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      this.ws(false);
      const op = (P.LEVELS[level] as BinaryOp[]).find((o) => this.src.startsWith(o, this.i));
      if (!op || (op === '<' && this.peek(1) === '<')) return left;
      const opRange = this.expect(op);
      this.ws(true);
      const right = this.binary(level + 1);
      left = { kind: 'Binary', op, left, right, opRange, range: this.range(left.range.start, right.range.end) };
    }
  }
  unary(): Expression {
    const a = this.pos();
    if (this.peek() === '!' || (this.peek() === '-' && !/[0-9]/.test(this.peek(1)))) {
      const op = this.peek() as '!' | '-';
      this.adv();
      const operand = this.unary();
      return { kind: 'Unary', op, operand, range: this.range(a, operand.range.end) };
    }
    return this.postfix(this.primary());
  }
  postfix(e: Expression): Expression {
    for (;;) {
      if (this.peek() === '.' && /[A-Za-z_]/.test(this.peek(1))) {
        const d = this.pos();
        this.adv();
        const n = this.pos();
        const name = this.ident();
        e = { kind: 'GetAttr', object: e, name, nameRange: this.range(n, this.pos()), range: this.range(e.range.start, this.pos()) };
        void d;
      } else if (this.peek() === '[' && this.peek(1) === '*' && this.peek(2) === ']') {
        const s = this.pos();
        this.adv(3);
        let each: Expression = { kind: 'SplatItem', range: this.range(s, this.pos()) };
        while (this.peek() === '.' && /[A-Za-z_]/.test(this.peek(1))) {
          this.adv();
          const n = this.pos();
          const name = this.ident();
          each = { kind: 'GetAttr', object: each, name, nameRange: this.range(n, this.pos()), range: this.range(s, this.pos()) };
        }
        e = { kind: 'Splat', source: e, each, style: 'full', range: this.range(e.range.start, this.pos()) };
      } else if (this.peek() === '[') {
        this.adv();
        this.ws(true);
        const key = this.expr();
        this.ws(true);
        this.expect(']');
        e = { kind: 'Index', collection: e, key, legacy: false, range: this.range(e.range.start, this.pos()) };
      } else return e;
    }
  }
  primary(): Expression {
    const a = this.pos();
    const c = this.peek();
    if (c === '"') return this.template();
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(this.peek(1)))) {
      const re = /-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
      re.lastIndex = this.i;
      const m = re.exec(this.src) as RegExpExecArray;
      this.adv(m[0].length);
      return { kind: 'Number', text: m[0], range: this.range(a, this.pos()) };
    }
    if (c === '(') {
      this.adv();
      this.ws(true);
      const expr = this.expr();
      this.ws(true);
      this.expect(')');
      return { kind: 'Parens', expr, range: this.range(a, this.pos()) };
    }
    if (c === '[') {
      this.adv();
      this.ws(true);
      if (this.src.startsWith('for ', this.i)) return this.forExpr(a, false);
      const items: Expression[] = [];
      while (this.peek() !== ']') {
        items.push(this.expr());
        this.ws(true);
        if (this.peek() === ',') this.adv();
        this.ws(true);
      }
      this.adv();
      return { kind: 'Tuple', items, range: this.range(a, this.pos()) };
    }
    if (c === '{') {
      this.adv();
      this.ws(true);
      if (this.src.startsWith('for ', this.i)) return this.forExpr(a, true);
      const items: ObjectItem[] = [];
      while (this.peek() !== '}') {
        const ks = this.pos();
        let kexpr: Expression;
        let bare = false;
        if (/[A-Za-z_]/.test(this.peek())) {
          const name = this.ident();
          kexpr = { kind: 'Variable', name, range: this.range(ks, this.pos()) };
          bare = true;
        } else kexpr = this.expr();
        this.ws(false);
        if (this.peek() === '=' || this.peek() === ':') this.adv();
        this.ws(true);
        const value = this.expr();
        items.push({ key: { kind: 'ObjectKey', expr: kexpr, bare, range: kexpr.range }, value });
        this.ws(false);
        if (this.peek() === ',') this.adv();
        this.ws(true);
      }
      this.adv();
      return { kind: 'Object', items, range: this.range(a, this.pos()) };
    }
    const name = this.ident();
    if (name === 'true' || name === 'false' || name === 'null') return { kind: 'Literal', value: name === 'null' ? null : name === 'true', range: this.range(a, this.pos()) };
    const nameRange = this.range(a, this.pos());
    if (this.peek() === '(') {
      const openParenRange = this.expect('(');
      this.ws(true);
      const args: Expression[] = [];
      let expandFinal = false;
      while (this.peek() !== ')') {
        args.push(this.expr());
        this.ws(true);
        if (this.src.startsWith('...', this.i)) {
          this.adv(3);
          expandFinal = true;
          this.ws(true);
        }
        if (this.peek() === ',') this.adv();
        this.ws(true);
      }
      const closeParenRange = this.expect(')');
      return { kind: 'FunctionCall', name, nameRange, args, expandFinal, openParenRange, closeParenRange, range: this.range(a, this.pos()) };
    }
    return { kind: 'Variable', name, range: nameRange };
  }
  forExpr(a: Pos, isObject: boolean): Expression {
    this.adv(4);
    this.ws(false);
    let keyVar: string | undefined;
    let valVar = this.ident();
    this.ws(false);
    if (this.peek() === ',') {
      this.adv();
      this.ws(false);
      keyVar = valVar;
      valVar = this.ident();
      this.ws(false);
    }
    this.expect('in');
    this.ws(false);
    const collection = this.expr();
    this.ws(true);
    this.expect(':');
    this.ws(true);
    let keyExpr: Expression | undefined;
    let valExpr = this.expr();
    this.ws(true);
    if (isObject) {
      this.expect('=>');
      this.ws(true);
      keyExpr = valExpr;
      valExpr = this.expr();
      this.ws(true);
    }
    let group = false;
    if (this.src.startsWith('...', this.i)) {
      this.adv(3);
      group = true;
      this.ws(true);
    }
    let cond: Expression | undefined;
    if (this.src.startsWith('if ', this.i)) {
      this.adv(3);
      this.ws(true);
      cond = this.expr();
      this.ws(true);
    }
    this.expect(isObject ? '}' : ']');
    const e: Extract<Expression, { kind: 'For' }> = { kind: 'For', valVar, collection, valExpr, group, range: this.range(a, this.pos()) };
    if (keyVar) e.keyVar = keyVar;
    if (keyExpr) e.keyExpr = keyExpr;
    if (cond) e.cond = cond;
    return e;
  }
}

export function miniParse(source: string, filename: string): File {
  const p = new P(source, filename);
  const body = p.body('');
  return { filename, body, source };
}
