import type { Expression, TemplatePart, TemplateExpr } from '../hcl/ast.js';
import type { Range } from '../hcl/range.js';
import { errorDiag, type Diagnostic } from '../diagnostic.js';
import { FUNCTIONS, callFunction } from './functions.js';
import { numAdd, numCmp, numDiv, numFromInt, numIsInt, numMod, numMul, numNeg, numSub, numToJs, parseNum, type Num } from './number.js';
import { didYouMean } from './suggest.js';
import { SENSITIVE, quoteValue, redactStrings, sensitiveValueStrings } from '../redact.js';
import { EvalBudget, describeLimit, readCost, sizeOf, treeSize, type BudgetKind } from './budget.js';
import { ERROR, NULL, bool, list, mark, num, obj, refAddress, str, toStringValue, typeName, valuesEqual, type ServiceKind, type Value } from './value.js';

// Expression evaluation over the HCL syntax tree. Every failure is a diagnostic at the range of
// the offending sub-expression and an `error` value, which later steps pass through without
// complaining again: one mistake, one diagnostic, never an exception.

const SERVICE_KINDS: ReadonlySet<string> = new Set(['longrun', 'oneshot', 'bundle']);

/** How names at the root of a reference resolve: `var`, `local`, `each` and service types. */
export interface EvalEnv {
  /** Declared input variables, already converted to their types. */
  variables: Map<string, Value>;
  /** Resolves `local.NAME` (lazily, so locals may refer to each other); undefined if not declared. */
  local?: (name: string, range: Range) => Value | undefined;
  localNames?: () => Iterable<string>;
  /** `each.key` and `each.value` inside a block with for_each. */
  each?: { key: Value; value: Value };
  /** Whether references to services (`longrun.db`) are allowed here. */
  allowRefs?: boolean;
  /** Shared by every evaluation of one configuration; each Evaluator has its own without it. */
  budget?: EvalBudget;
}

type Scope = ReadonlyMap<string, Value>;
const EMPTY_SCOPE: Scope = new Map();

export class Evaluator {
  private readonly budget: EvalBudget;

  constructor(
    readonly env: EvalEnv,
    readonly diags: Diagnostic[],
  ) {
    this.budget = env.budget ?? new EvalBudget();
  }

  /** The value of an attribute, charged at its full size: it is written out as it is. */
  evaluate(expr: Expression, scope: Scope = EMPTY_SCOPE): Value {
    const v = this.eval(expr, scope);
    return this.delivered(v, expr.range) ? v : ERROR;
  }

  /**
   * The value of a local: charged for what building it cost, not its full size, which only
   * matters where an attribute uses it (a local nobody uses may share its way to any size).
   */
  evaluateLocal(expr: Expression): Value {
    return this.eval(expr, EMPTY_SCOPE);
  }

  /**
   * Charges a value handed to the caller at its full size. Values share their parts (a local
   * used a thousand times in one list is one value), so a small value to build can still be huge
   * to write out, as the compiled database and plan do.
   */
  private delivered(v: Value, range: Range): boolean {
    if (v.kind === 'string') return this.spend('chars', v.value.length, range);
    if (v.kind !== 'list' && v.kind !== 'object') return true;
    const t = treeSize(v);
    return this.spend('elements', t.elements, range) && this.spend('chars', t.chars, range);
  }

  private fail(summary: string, detail: string, range: Range): Value {
    this.diags.push(errorDiag(summary, detail, range));
    return ERROR;
  }

  /**
   * Takes from the budget; once it is spent, reports it (once per configuration) at the
   * expression being evaluated, and every evaluation after that ends at once with an error value.
   */
  private spend(kind: BudgetKind, n: number, range: Range): boolean {
    if (this.budget.take(kind, n)) return true;
    if (!this.budget.reported) {
      this.budget.reported = true;
      this.fail('Value too large', `${describeLimit(this.budget.exceeded ?? kind, this.budget.limits)} It was reached here.`, range);
    }
    return false;
  }

  /** Charges a value just built: its own elements or characters. */
  private built(v: Value, range: Range): Value {
    const size = sizeOf(v);
    return !size || this.spend(size.kind, size.n, range) ? v : ERROR;
  }

  private eval(e: Expression, scope: Scope): Value {
    if (!this.spend('steps', 1, e.range)) return ERROR;
    switch (e.kind) {
      case 'Literal':
        return e.value === null ? NULL : bool(e.value);
      case 'Number': {
        const n = parseNum(e.text);
        return n ? num(n) : this.fail('Invalid number', `"${e.text}" is not a number this evaluator can represent.`, e.range);
      }
      case 'Template':
        return this.template(e, scope);
      case 'Parens':
        return this.eval(e.expr, scope);
      case 'Variable':
        return this.root(e.name, e.range, scope);
      case 'GetAttr':
        return this.getAttr(e, scope);
      case 'Index': {
        const coll = this.eval(e.collection, scope);
        const key = this.eval(e.key, scope);
        return this.index(coll, key, e.range, e.key.range);
      }
      case 'Splat': {
        const src = this.eval(e.source, scope);
        if (src.kind === 'error') return ERROR;
        if (src.kind === 'null') return list([]);
        const items = src.kind === 'list' ? src.items : [src];
        const out: Value[] = [];
        for (const item of items) {
          if (!this.spend('elements', 1, e.range)) return ERROR;
          const inner = new Map(scope);
          inner.set('\0splat', item);
          out.push(this.eval(e.each, inner));
        }
        return mark(list(out), src.sensitive);
      }
      case 'SplatItem':
        return scope.get('\0splat') ?? this.fail('Invalid splat', 'A splat item outside a splat expression.', e.range);
      case 'FunctionCall':
        return this.call(e, scope);
      case 'Tuple': {
        if (!this.spend('elements', e.items.length, e.range)) return ERROR;
        const items = new Array<Value>(e.items.length);
        for (let i = 0; i < items.length; i++) items[i] = this.eval(e.items[i]!, scope);
        return list(items);
      }
      case 'Object': {
        if (!this.spend('elements', e.items.length, e.range)) return ERROR;
        const attrs = new Map<string, Value>();
        let sensitive = false;
        for (const item of e.items) {
          let key: Value;
          const k = item.key.expr;
          if (item.key.bare && k.kind === 'Variable') key = str(k.name);
          else key = this.eval(k, scope);
          const value = this.eval(item.value, scope);
          if (key.kind === 'error') continue;
          const ks = toStringValue(key);
          if (ks === undefined) {
            this.fail('Invalid object key', `An object key must be a string, not ${typeName(key)}.`, item.key.range);
            continue;
          }
          if (attrs.has(ks)) {
            this.fail('Duplicate object attribute', `The attribute ${key.sensitive ? SENSITIVE : `"${ks}"`} is defined more than once in this object.`, item.key.range);
            continue;
          }
          sensitive ||= !!key.sensitive;
          attrs.set(ks, value);
        }
        return mark(obj(attrs), sensitive);
      }
      case 'Unary': {
        const v = this.eval(e.operand, scope);
        if (v.kind === 'error') return ERROR;
        if (e.op === '!') {
          const b = this.toBool(v, e.operand.range, 'Invalid operand', 'The operand of ! must be a bool');
          return b === undefined ? ERROR : bool(!b, v.sensitive);
        }
        const n = this.toNum(v, e.operand.range, 'The operand of unary - must be a number');
        return n === undefined ? ERROR : num(numNeg(n), v.sensitive);
      }
      case 'Binary':
        return this.binary(e, scope);
      case 'Conditional': {
        const c = this.eval(e.cond, scope);
        if (c.kind === 'error') return ERROR;
        const b = this.toBool(c, e.cond.range, 'Incorrect condition type', 'The condition expression must be a bool');
        if (b === undefined) return ERROR;
        return mark(this.eval(b ? e.then : e.else, scope), c.sensitive);
      }
      case 'For':
        return this.forExpr(e, scope);
    }
  }

  private root(name: string, range: Range, scope: Scope): Value {
    const local = scope.get(name);
    if (local) return local;
    if (name === 'each') {
      if (!this.env.each) return this.fail('Reference to "each" in context without for_each', 'The "each" object can be used only in blocks that set for_each.', range);
      return obj(new Map([['key', this.env.each.key], ['value', this.env.each.value]]));
    }
    if (SERVICE_KINDS.has(name)) {
      if (!this.env.allowRefs) return this.fail('Service reference not allowed here', `References to services such as ${name}.NAME can only be used in depends_on, contents and moved.`, range);
      return { kind: 'ref', type: name as ServiceKind, range };
    }
    // As in Terraform: var and local are namespaces, not values (var.NAME is resolved in getAttr).
    if (name === 'local') return this.fail('Invalid reference', 'The "local" object cannot be used on its own: refer to an attribute, as in local.NAME.', range);
    if (name === 'var') return this.fail('Invalid reference', 'The "var" object cannot be used on its own: refer to an attribute, as in var.NAME.', range);
    const known = ['var', 'local', 'each', 'longrun', 'oneshot', 'bundle', ...scope.keys()].filter((k) => !k.startsWith('\0'));
    return this.fail('Unknown variable', `There is no variable named "${name}".${didYouMean(name, known)}`, range);
  }

  private getAttr(e: Extract<Expression, { kind: 'GetAttr' }>, scope: Scope): Value {
    const o = e.object;
    // local.X and var.X get their own messages, as in Terraform, and locals resolve lazily.
    if (o.kind === 'Variable' && !scope.has(o.name)) {
      if (o.name === 'local') {
        const v = this.env.local?.(e.name, e.range);
        if (v) return v;
        const names = this.env.localNames ? [...this.env.localNames()] : [];
        return this.fail('Reference to undeclared local value', `A local value named "${e.name}" has not been declared.${didYouMean(e.name, names)}`, e.range);
      }
      if (o.name === 'var') {
        const v = this.env.variables.get(e.name);
        if (v) return v;
        return this.fail('Reference to undeclared input variable', `An input variable named "${e.name}" has not been declared. Declare it with a variable "${e.name}" block.${didYouMean(e.name, this.env.variables.keys())}`, e.range);
      }
    }
    const v = this.eval(o, scope);
    return this.attrOf(v, e.name, e.nameRange, e.range);
  }

  private attrOf(v: Value, name: string, nameRange: Range, range: Range): Value {
    switch (v.kind) {
      case 'error':
        return ERROR;
      case 'object': {
        const x = v.attrs.get(name);
        if (x) return mark(x, v.sensitive);
        return this.fail('Unsupported attribute', `This object does not have an attribute named "${name}".${didYouMean(name, v.attrs.keys())}`, nameRange);
      }
      case 'ref':
        if (v.name === undefined) return { kind: 'ref', type: v.type, name, range };
        return this.fail('Unsupported attribute', `A service reference such as ${refAddress(v)} has no attributes.`, nameRange);
      case 'null':
        return this.fail('Attempt to get attribute from null value', 'This value is null, so it does not have any attributes.', nameRange);
      default:
        return this.fail('Unsupported attribute', `Can't access attributes on a ${typeName(v)}.`, nameRange);
    }
  }

  index(coll: Value, key: Value, range: Range, keyRange: Range): Value {
    if (coll.kind === 'error' || key.kind === 'error') return ERROR;
    const sens = coll.sensitive || key.sensitive;
    if (coll.kind === 'ref') {
      // longrun["01-mount"]: a service whose name is not an HCL identifier, by its exact name.
      if (coll.name === undefined) {
        const n = key.kind === 'string' ? key.value : undefined;
        if (n === undefined || n === '') return this.fail('Invalid index', `A service name must be a non-empty string, not ${typeName(key)}: ${coll.type}["NAME"].`, keyRange);
        return { kind: 'ref', type: coll.type, name: n, range };
      }
      if (coll.key !== undefined) return this.fail('Invalid index', `${refAddress(coll)} cannot be indexed here.`, keyRange);
      const k = toStringValue(key);
      if (k === undefined || key.kind === 'bool') return this.fail('Invalid index', `A for_each instance key must be a string, not ${typeName(key)}.`, keyRange);
      return { kind: 'ref', type: coll.type, name: coll.name, key: k, range };
    }
    if (coll.kind === 'list') {
      const n = key.kind === 'string' ? parseNum(key.value) : key.kind === 'number' ? key.value : undefined;
      if (!n || !numIsInt(n)) return this.fail('Invalid index', 'A list must be indexed by a whole number.', keyRange);
      const i = numToJs(n);
      if (i < 0 || i >= coll.items.length) return this.fail('Invalid index', `The given key does not identify an element in this collection value: the collection has ${coll.items.length} elements.`, keyRange);
      return mark(coll.items[i] as Value, sens);
    }
    if (coll.kind === 'object') {
      const k = toStringValue(key);
      if (k === undefined || key.kind === 'bool') return this.fail('Invalid index', `An object must be indexed by a string, not ${typeName(key)}.`, keyRange);
      const x = coll.attrs.get(k);
      if (!x) return this.fail('Invalid index', `The given key does not identify an element in this collection value.${didYouMean(k, coll.attrs.keys())}`, keyRange);
      return mark(x, sens);
    }
    if (coll.kind === 'null') return this.fail('Attempt to index null value', 'This value is null, so it does not have any indices.', keyRange);
    return this.fail('Invalid index', `This value does not have any indices: it is a ${typeName(coll)}.`, keyRange);
  }

  private toBool(v: Value, range: Range, summary: string, what: string): boolean | undefined {
    if (v.kind === 'bool') return v.value;
    if (v.kind === 'string' && (v.value === 'true' || v.value === 'false')) return v.value === 'true';
    this.fail(summary, `${what}, not ${typeName(v)}.`, range);
    return undefined;
  }

  private toNum(v: Value, range: Range, what: string): Num | undefined {
    if (v.kind === 'number') return v.value;
    if (v.kind === 'string') {
      const n = parseNum(v.value);
      if (n) return n;
    }
    this.fail('Invalid operand', `${what}, not ${quoteValue(v, typeName(v))}.`, range);
    return undefined;
  }

  private binary(e: Extract<Expression, { kind: 'Binary' }>, scope: Scope): Value {
    const l = this.eval(e.left, scope);
    // && and || short-circuit, so `var.x != null && var.x.y` works as people expect.
    if (e.op === '&&' || e.op === '||') {
      if (l.kind === 'error') return ERROR;
      const lb = this.toBool(l, e.left.range, 'Invalid operand', `The left operand of ${e.op} must be a bool`);
      if (lb === undefined) return ERROR;
      if ((e.op === '&&' && !lb) || (e.op === '||' && lb)) return bool(lb, l.sensitive);
      const r = this.eval(e.right, scope);
      if (r.kind === 'error') return ERROR;
      const rb = this.toBool(r, e.right.range, 'Invalid operand', `The right operand of ${e.op} must be a bool`);
      return rb === undefined ? ERROR : bool(rb, l.sensitive || r.sensitive);
    }
    const r = this.eval(e.right, scope);
    if (l.kind === 'error' || r.kind === 'error') return ERROR;
    const sens = l.sensitive || r.sensitive;
    if (e.op === '==' || e.op === '!=') {
      if (!this.spend('steps', readCost(l) + readCost(r), e.range)) return ERROR;
      const eq = valuesEqual(stripMarks(l), stripMarks(r));
      return bool(e.op === '==' ? eq : !eq, sens);
    }
    const a = this.toNum(l, e.left.range, `The left operand of ${e.op} must be a number`);
    const b = this.toNum(r, e.right.range, `The right operand of ${e.op} must be a number`);
    if (a === undefined || b === undefined) return ERROR;
    switch (e.op) {
      case '<':
        return bool(numCmp(a, b) < 0, sens);
      case '<=':
        return bool(numCmp(a, b) <= 0, sens);
      case '>':
        return bool(numCmp(a, b) > 0, sens);
      case '>=':
        return bool(numCmp(a, b) >= 0, sens);
      case '+':
        return num(numAdd(a, b), sens);
      case '-':
        return num(numSub(a, b), sens);
      case '*':
        return num(numMul(a, b), sens);
      case '/':
      case '%': {
        const q = e.op === '/' ? numDiv(a, b) : numMod(a, b);
        return q ? num(q, sens) : this.fail('Division by zero', 'The right operand is zero.', e.right.range);
      }
    }
  }

  private call(e: Extract<Expression, { kind: 'FunctionCall' }>, scope: Scope): Value {
    const fn = FUNCTIONS.get(e.name);
    const args = e.args.map((a) => this.eval(a, scope));
    if (!fn) {
      const hint = didYouMean(e.name, FUNCTIONS.keys());
      return this.fail('Call to unknown function', `There is no function named "${e.name}".${hint || ' See docs/language.md for the functions rcform supports.'}`, e.nameRange);
    }
    const argRanges = e.args.map((a) => a.range);
    if (e.expandFinal) {
      const last = args.pop();
      const lastRange = argRanges.pop() as Range;
      if (last && last.kind !== 'error') {
        if (last.kind !== 'list') return this.fail('Invalid expanding argument value', `The expanding argument (indicated by ...) must be a list, not ${typeName(last)}.`, lastRange);
        for (const item of last.items) {
          args.push(mark(item, last.sensitive));
          argRanges.push(lastRange);
        }
      } else if (last) args.push(last);
    }
    if (args.some((a) => a.kind === 'error')) return ERROR;
    // A function reads its arguments: contains() of a long list in a long for is long work.
    let reads = 0;
    for (const a of args) reads += readCost(a);
    if (!this.spend('steps', reads, e.range)) return ERROR;
    const r = callFunction(fn, e.name, args, this.budget.remaining('chars'));
    if ('tooLarge' in r) {
      this.spend('chars', Infinity, e.range);
      return ERROR;
    }
    if (r.ok) return this.built(r.value, e.range);
    const range = r.arg !== undefined ? (argRanges[r.arg] ?? e.range) : e.range;
    // Functions quote their arguments in errors (lookup's missing key); not the sensitive ones.
    const error = redactStrings(r.error, sensitiveValueStrings(args));
    return this.fail(r.arg !== undefined ? 'Invalid function argument' : 'Error in function call', `Call to function "${e.name}" failed: ${error}`, range);
  }

  private forExpr(e: Extract<Expression, { kind: 'For' }>, scope: Scope): Value {
    const coll = this.eval(e.collection, scope);
    if (coll.kind === 'error') return ERROR;
    let entries: [Value, Value][];
    if (coll.kind === 'list') entries = coll.items.map((v, i) => [num(numFromInt(i)), v]);
    else if (coll.kind === 'object') entries = [...coll.attrs.keys()].sort().map((k) => [str(k), coll.attrs.get(k) as Value]);
    else return this.fail('Iteration over non-iterable value', `A value of type ${typeName(coll)} cannot be used as the collection in a for expression.`, e.collection.range);
    const outList: Value[] = [];
    const outObj = new Map<string, Value>();
    const groups = new Map<string, Value[]>();
    for (const [k, v] of entries) {
      if (!this.spend('elements', 1, e.range)) return ERROR;
      const inner = new Map(scope);
      if (e.keyVar) inner.set(e.keyVar, mark(k, coll.sensitive));
      inner.set(e.valVar, mark(v, coll.sensitive));
      if (e.cond) {
        const c = this.eval(e.cond, inner);
        if (c.kind === 'error') return ERROR;
        const b = this.toBool(c, e.cond.range, 'Invalid for_each condition', 'The condition of a for expression must be a bool');
        if (b === undefined) return ERROR;
        if (!b) continue;
      }
      const val = this.eval(e.valExpr, inner);
      if (!e.keyExpr) {
        outList.push(val);
        continue;
      }
      const key = this.eval(e.keyExpr, inner);
      if (key.kind === 'error') return ERROR;
      const ks = key.kind === 'bool' ? undefined : toStringValue(key);
      if (ks === undefined) return this.fail('Invalid object key', `The key expression of a for expression must produce a string, not ${typeName(key)}.`, e.keyExpr.range);
      if (e.group) {
        const g = groups.get(ks) ?? [];
        g.push(val);
        groups.set(ks, g);
      } else {
        if (outObj.has(ks)) return this.fail('Duplicate object key', `Two different items produced the key ${key.sensitive ? SENSITIVE : `"${ks}"`} in this for expression. If duplicates are expected, use the ellipsis (...) after the value expression to group them by key.`, e.keyExpr.range);
        outObj.set(ks, val);
      }
    }
    if (!e.keyExpr) return mark(list(outList), coll.sensitive);
    if (e.group) for (const [k, g] of groups) outObj.set(k, list(g));
    return mark(obj(outObj), coll.sensitive);
  }

  private template(e: TemplateExpr, scope: Scope): Value {
    const only = e.parts.length === 1 ? e.parts[0] : undefined;
    if (only?.kind === 'TemplateInterp' && !e.heredoc) return this.eval(only.expr, scope);
    const r = this.parts(e.parts, scope, e.range);
    return r === undefined ? ERROR : str(r.text, r.sensitive);
  }

  private parts(parts: TemplatePart[], scope: Scope, range: Range): { text: string; sensitive: boolean } | undefined {
    const chunks: string[] = [];
    let sensitive = false;
    let failed = false;
    // Each chunk is charged as it is added, so a template that would build a string too long to
    // hold stops before it joins one.
    const add = (text: string): void => {
      if (this.spend('chars', text.length, range)) chunks.push(text);
      else failed = true;
    };
    for (let i = 0; i < parts.length && !failed; i++) {
      const p = parts[i] as TemplatePart;
      switch (p.kind) {
        case 'TemplateLiteral': {
          let text = p.value;
          const next = parts[i + 1];
          const prev = parts[i - 1];
          // ~ strip markers: whitespace beside a stripping interpolation is dropped.
          if (next?.kind === 'TemplateInterp' && next.stripLeft) text = text.replace(/\s+$/, '');
          if (prev?.kind === 'TemplateInterp' && prev.stripRight) text = text.replace(/^\s+/, '');
          add(text);
          break;
        }
        case 'TemplateInterp': {
          const v = this.eval(p.expr, scope);
          if (v.kind === 'error') {
            failed = true;
            break;
          }
          const s = toStringValue(v);
          if (s === undefined) {
            this.fail('Invalid template interpolation value', v.kind === 'null' ? 'The expression result is null. Cannot include a null value in a string template.' : `Cannot include a ${typeName(v)} in a string template: only strings, numbers and bools can be interpolated.`, p.expr.range);
            failed = true;
            break;
          }
          sensitive ||= !!v.sensitive;
          add(s);
          break;
        }
        case 'TemplateIf': {
          const c = this.eval(p.cond, scope);
          if (c.kind === 'error') {
            failed = true;
            break;
          }
          const b = this.toBool(c, p.cond.range, 'Invalid template if condition', 'The condition of an %{if} directive must be a bool');
          if (b === undefined) {
            failed = true;
            break;
          }
          sensitive ||= !!c.sensitive;
          const branch = b ? p.then : (p.else ?? []);
          const r = this.parts(branch, scope, range);
          if (!r) failed = true;
          else {
            sensitive ||= r.sensitive;
            chunks.push(r.text);
          }
          break;
        }
        case 'TemplateFor': {
          const coll = this.eval(p.collection, scope);
          if (coll.kind === 'error') {
            failed = true;
            break;
          }
          let entries: [Value, Value][];
          if (coll.kind === 'list') entries = coll.items.map((v, j) => [num(numFromInt(j)), v]);
          else if (coll.kind === 'object') entries = [...coll.attrs.keys()].sort().map((k) => [str(k), coll.attrs.get(k) as Value]);
          else {
            this.fail('Iteration over non-iterable value', `A value of type ${typeName(coll)} cannot be used as the collection in a %{for} directive.`, p.collection.range);
            failed = true;
            break;
          }
          sensitive ||= !!coll.sensitive;
          for (const [k, v] of entries) {
            const inner = new Map(scope);
            if (p.keyVar) inner.set(p.keyVar, k);
            inner.set(p.valVar, v);
            const r = this.parts(p.body, inner, range);
            if (!r) {
              failed = true;
              break;
            }
            sensitive ||= r.sensitive;
            chunks.push(r.text);
          }
          break;
        }
      }
    }
    return failed ? undefined : { text: chunks.join(''), sensitive };
  }
}

function stripMarks(v: Value): Value {
  return v.sensitive ? { ...v, sensitive: false } : v;
}

export function evaluate(expr: Expression, env: EvalEnv, diags: Diagnostic[]): Value {
  return new Evaluator(env, diags).evaluate(expr);
}
