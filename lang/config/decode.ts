import { childrenOf, type AstNode, type Attribute, type Block, type Body, type Expression, type File } from '../hcl/ast.js';
import { rangeBetween, type Range } from '../hcl/range.js';
import { errorDiag, warningDiag, type Diagnostic } from '../diagnostic.js';
import { Evaluator, type EvalEnv } from '../eval/evaluate.js';
import { didYouMean } from '../eval/suggest.js';
import { ANY, convert, isPrimitive, parseTypeExpr, typeString, type TypeConstraint } from '../eval/types.js';
import { ERROR, NULL, containsError, deepSensitive, mark, refAddress, str, toStringValue, typeName, type ServiceKind, type Value } from '../eval/value.js';
import { blockSchema, type BlockType, type ErrorObject, type PropertySchema } from './block-schema.js';
import type { Model, MovedDecl, RefUse, ServiceDecl } from './model.js';
import { keyProblem, labelProblem } from './names.js';
import { formatAddress, instanceName } from '../address.js';
import { MAX_NESTING } from '../hcl/parser.js';
import { append } from '../append.js';
import { EvalBudget } from '../eval/budget.js';
import { SENSITIVE, hidesKeys, isSensitivePath } from '../redact.js';

// Decoding: HCL files → Model. Blocks are evaluated, checked against the JSON Schema of their
// type (every ajv error mapped back to the range of the attribute or value it is about) and
// expanded for for_each. Cross-references are left to check.ts.

/** A value for an input variable from outside the configuration. */
export interface VarInput {
  name: string;
  origin: 'cli' | 'env' | 'file';
  /** --var and RCFORM_VAR_NAME give strings: taken literally for primitive types, parsed as HCL otherwise. */
  raw?: string;
  /** A --var-file attribute's expression. */
  expr?: Expression;
  /** Where it was given, for messages: `--var port`, `RCFORM_VAR_port`, or the var file's name. */
  label: string;
}

export interface DecodeOptions {
  inputs?: VarInput[];
  /** Parses a raw string as one HCL expression, for --var values of list, map and object types. */
  parseExpression?: (text: string, filename: string) => { expr?: Expression; diagnostics: Diagnostic[] };
  /**
   * A required variable without a value is not an error (validate, as terraform validate): its
   * value stays unknown, so what depends on it goes unchecked and everything else is checked.
   */
  allowUnsetVariables?: boolean;
}

const SERVICE_TYPES: ReadonlySet<string> = new Set(['longrun', 'oneshot', 'bundle']);
const TOP_LEVEL_BLOCKS = ['longrun', 'oneshot', 'bundle', 'moved', 'variable', 'locals'];

interface DecodedBody {
  json: Record<string, unknown>;
  /** JSON pointer → range of the value there; `ptr#key` → range of an object key. */
  ranges: Map<string, Range>;
  /** Attribute name → range of its name, for "unsupported" and per-attribute messages. */
  present: Set<string>;
  values: Map<string, Value>;
  refs: Map<string, RefUse[]>;
  sensitivePaths: string[];
  failed: boolean;
}

export class Decoder {
  /**
   * The running phase's diagnostics, which that phase returns. Each phase (a file's structure, the
   * declarations, a file's services, the moved blocks) has its own, so the caller can report them
   * in a fixed order whatever order the files arrive in.
   */
  private diags: Diagnostic[] = [];
  private readonly variableBlocks: Block[] = [];
  private readonly movedBlocks: Block[] = [];
  private readonly services: ServiceDecl[] = [];
  private declared = false;
  private variables = new Map<string, Value>();
  private localAttrs = new Map<string, Attribute>();
  private localValues = new Map<string, Value>();
  private localsInProgress = new Set<string>();
  private failedBlocks: string[] = [];
  private readonly valueDepths: DepthMemo = { depth: new WeakMap(), failed: new WeakSet() };
  /** One budget for every expression of the configuration: a limit per expression would not bound locals built on locals. */
  private readonly budget = new EvalBudget();

  constructor(private readonly opts: DecodeOptions = {}) {}

  /**
   * Whether a file's text may declare variables or locals, which every service may refer to. A
   * file that may not can be decoded on its own once the declarations are known, and its syntax
   * tree dropped: compileSources does that, so that at most one file's tree is held at a time.
   * Conservative: the words anywhere (a comment, a string) count.
   */
  static mayDeclare(source: string): boolean {
    return /(?:^|[^A-Za-z0-9_-])(?:variable|locals)(?:[^A-Za-z0-9_-]|$)/.test(source);
  }

  /**
   * A file's top level: what is not a block, and its variable, locals and moved blocks (kept until
   * finish). Every file that declares variables or locals (mayDeclare) must come before
   * endDeclarations(); others may come at any time before their decodeFile.
   */
  declare(f: File): Diagnostic[] {
    return this.phase(() => this.declareTopLevel(f));
  }

  private declareTopLevel(f: File): void {
    for (const a of f.body.attributes) {
      this.diags.push(errorDiag('Unsupported argument', `An argument named "${a.name}" is not expected at the top level of a file: put it in a block (longrun, oneshot, bundle, moved, variable, locals).`, a.nameRange));
    }
    for (const b of f.body.blocks) {
      if (b.type === 'variable') this.variableBlocks.push(b);
      else if (b.type === 'locals') this.collectLocals(b);
      else if (b.type === 'moved') this.movedBlocks.push(b);
      else if (!SERVICE_TYPES.has(b.type)) this.diags.push(errorDiag('Unsupported block type', `Blocks of type "${b.type}" are not expected here.${didYouMean(b.type, TOP_LEVEL_BLOCKS)}`, b.typeRange));
    }
  }

  /** Variables and locals get their values; from now on services can be decoded. */
  endDeclarations(): Diagnostic[] {
    return this.phase(() => {
      this.declareVariables(this.variableBlocks);
      this.evaluateLocals();
      this.declared = true;
    });
  }

  /** The service blocks of one declared file, after endDeclarations. The file's tree is not needed afterwards. */
  decodeFile(f: File): Diagnostic[] {
    this.mustBeDeclared();
    return this.phase(() => {
      for (const b of f.body.blocks) if (SERVICE_TYPES.has(b.type)) append(this.services, this.decodeService(b));
    });
  }

  /** The model, once every file has been declared and decoded, and the moved blocks' diagnostics. */
  finish(): { model: Model; diagnostics: Diagnostic[] } {
    this.mustBeDeclared();
    const moved: MovedDecl[] = [];
    const diagnostics = this.phase(() => {
      for (const b of this.movedBlocks) {
        const m = this.decodeMoved(b);
        if (m) moved.push(m);
      }
    });
    return { model: { services: this.services, moved, failedBlocks: this.failedBlocks }, diagnostics };
  }

  /** Runs one phase with a list of its own, and returns that list. */
  private phase(run: () => void): Diagnostic[] {
    const diags: Diagnostic[] = [];
    this.diags = diags;
    try {
      run();
    } finally {
      this.diags = [];
    }
    return diags;
  }

  private mustBeDeclared(): void {
    // Services may refer to any variable or local, so none is decoded before all are known.
    if (!this.declared) throw new Error('Decoder: endDeclarations() must come before decoding services');
  }

  // ---- variables and locals ------------------------------------------------------------------

  private declareVariables(blocks: Block[]): void {
    const declared = new Map<string, { block: Block; type: TypeConstraint; sensitive: boolean; hasDefault: boolean }>();
    for (const b of blocks) {
      if (!this.checkLabels(b, 1, 'variable "NAME"')) continue;
      const name = b.labels[0] as string;
      const prev = declared.get(name);
      if (prev) {
        this.diags.push(errorDiag('Duplicate variable declaration', `A variable named "${name}" was already declared at ${where(prev.block.labelRanges[0] as Range)}. Variable names must be unique.`, b.labelRanges[0]));
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) {
        this.diags.push(errorDiag('Invalid variable name', `"${name}" is not a valid variable name: use letters, digits, "_" and "-", starting with a letter or "_".`, b.labelRanges[0]));
        continue;
      }
      let type: TypeConstraint = ANY;
      const typeAttr = b.body.attributes.find((a) => a.name === 'type');
      if (typeAttr) {
        const t = parseTypeExpr(typeAttr.expr);
        if (typeof t === 'string') this.diags.push(errorDiag('Invalid type specification', t, typeAttr.expr.range));
        else type = t;
      }
      const env: EvalEnv = { variables: new Map(), allowRefs: false, budget: this.budget };
      const decoded = this.decodeBody(b, 'variable', new Evaluator(env, this.diags), new Set(['type']));
      if (typeAttr) decoded.json['type'] = typeString(type);
      this.validate(b, 'variable', decoded);
      const sensitive = decoded.json['sensitive'] === true;
      let value: Value | undefined = decoded.values.get('default');
      if (value && value.kind !== 'error') {
        const c = convert(value, type);
        if (typeof c === 'string') {
          this.diags.push(errorDiag('Invalid default value for variable', `This default value is not compatible with the variable's type constraint: ${c}.`, decoded.ranges.get('/default')));
          value = ERROR;
        } else value = c;
      }
      declared.set(name, { block: b, type, sensitive, hasDefault: value !== undefined });
      if (value !== undefined) this.variables.set(name, deepMark(value, sensitive));
    }

    for (const input of this.opts.inputs ?? []) {
      const decl = declared.get(input.name);
      if (!decl) {
        const hint = didYouMean(input.name, declared.keys());
        if (input.origin === 'cli') this.diags.push(errorDiag('Value for undeclared variable', `A variable named "${input.name}" was assigned with ${input.label}, but the configuration does not declare it.${hint}`));
        else if (input.origin === 'file') this.diags.push(warningDiag('Value for undeclared variable', `The variable file assigns "${input.name}", but the configuration does not declare it.${hint}`, input.expr?.range));
        continue;
      }
      let v: Value | undefined;
      if (input.expr) v = new Evaluator({ variables: new Map(), allowRefs: false, budget: this.budget }, this.diags).evaluate(input.expr);
      else if (input.raw !== undefined) {
        if (isPrimitive(decl.type) || decl.type.kind === 'any') v = str(input.raw);
        else if (this.opts.parseExpression) {
          const p = this.opts.parseExpression(input.raw, `<value for ${input.label}>`);
          append(this.diags, p.diagnostics);
          v = p.expr ? new Evaluator({ variables: new Map(), allowRefs: false, budget: this.budget }, this.diags).evaluate(p.expr) : ERROR;
        } else v = ERROR;
      }
      if (!v || v.kind === 'error') {
        this.variables.set(input.name, ERROR);
        continue;
      }
      const c = convert(v, decl.type);
      if (typeof c === 'string') {
        this.diags.push(errorDiag('Invalid value for input variable', `The value given by ${input.label} is not suitable for variable "${input.name}" of type ${typeString(decl.type)}: ${c}.`, input.expr?.range));
        this.variables.set(input.name, ERROR);
        continue;
      }
      this.variables.set(input.name, deepMark(c, decl.sensitive));
    }

    for (const [name, decl] of declared) {
      if (!this.variables.has(name)) {
        if (this.opts.allowUnsetVariables) {
          this.variables.set(name, ERROR);
          continue;
        }
        this.diags.push(errorDiag('No value for required variable', `The variable "${name}" has no default, so a value must be given with --var ${name}=VALUE, a --var-file or the environment variable RCFORM_VAR_${name}.`, decl.block.labelRanges[0]));
        this.variables.set(name, ERROR);
      } else if (this.variables.get(name)?.kind === 'null' && !decl.hasDefault) {
        this.variables.set(name, NULL);
      }
    }
  }

  private collectLocals(b: Block): void {
    if (b.labels.length > 0) this.diags.push(errorDiag('Extraneous label for locals', 'A locals block takes no labels.', b.labelRanges[0]));
    for (const inner of b.body.blocks) this.diags.push(errorDiag('Unsupported block type', 'A locals block contains only attributes (NAME = VALUE).', inner.typeRange));
    for (const a of b.body.attributes) {
      const prev = this.localAttrs.get(a.name);
      if (prev) {
        this.diags.push(errorDiag('Duplicate local value definition', `A local value named "${a.name}" was already defined at ${where(prev.nameRange)}. Local value names must be unique.`, a.nameRange));
        continue;
      }
      this.localAttrs.set(a.name, a);
    }
  }

  /**
   * Every local is evaluated once, used or not: a mistake in a local nobody uses yet is reported
   * now, not on the day someone first refers to it. They are evaluated in the order of their
   * references, so a long chain of locals is a loop here rather than deep recursion in local().
   */
  private evaluateLocals(): void {
    const first = this.diags.length;
    const { order, cycles } = this.localOrder();
    const inCycle = new Set<string>();
    for (const cycle of cycles) {
      const first = cycle[0] as string;
      const path = [...cycle, first].map((n) => 'local.' + n).join(' → ');
      const through = cycle.length > 1 ? ` through ${cycle.slice(1).map((n) => 'local.' + n).join(', ')}` : '';
      this.diags.push(errorDiag('Cycle in local values', `local.${first} refers to itself${through}: ${path}. A local value cannot depend on its own result.`, this.localAttrs.get(first)?.expr.range));
      for (const n of cycle) inCycle.add(n);
    }
    // A cycle has no value, but the rest of each member's expression still gets checked.
    for (const n of inCycle) this.localValues.set(n, ERROR);
    for (const name of order) {
      if (inCycle.has(name)) new Evaluator(this.env(), this.diags).evaluateLocal((this.localAttrs.get(name) as Attribute).expr);
      else this.local(name);
    }
    // Reported in the order they appear in the files, not the order of evaluation.
    const found = this.diags.splice(first).map((d, i) => ({ d, i }));
    found.sort((a, b) => compareRanges(a.d.subject, b.d.subject) || a.i - b.i);
    append(this.diags, found.map((x) => x.d));
  }

  /** Locals in an order where each comes after those it refers to, and the cycles among them. */
  private localOrder(): { order: string[]; cycles: string[][] } {
    const order: string[] = [];
    const cycles: string[][] = [];
    const state = new Map<string, 'open' | 'done'>();
    for (const root of this.localAttrs.keys()) {
      if (state.has(root)) continue;
      state.set(root, 'open');
      const stack: { name: string; refs: string[] }[] = [{ name: root, refs: localRefs((this.localAttrs.get(root) as Attribute).expr) }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1] as { name: string; refs: string[] };
        const next = top.refs.pop();
        if (next === undefined) {
          stack.pop();
          state.set(top.name, 'done');
          order.push(top.name);
          continue;
        }
        const attr = this.localAttrs.get(next);
        if (!attr) continue;
        const st = state.get(next);
        if (st === 'open') {
          const from = stack.findIndex((f) => f.name === next);
          cycles.push(stack.slice(from).map((f) => f.name));
          continue;
        }
        if (st === 'done') continue;
        state.set(next, 'open');
        stack.push({ name: next, refs: localRefs(attr.expr) });
      }
    }
    return { order, cycles };
  }

  private env(each?: { key: Value; value: Value }): EvalEnv {
    const env: EvalEnv = {
      variables: this.variables,
      allowRefs: true,
      budget: this.budget,
      local: (name) => this.local(name),
      localNames: () => this.localAttrs.keys(),
    };
    if (each) env.each = each;
    return env;
  }

  private local(name: string): Value | undefined {
    const done = this.localValues.get(name);
    if (done) return done;
    const attr = this.localAttrs.get(name);
    if (!attr) return undefined;
    if (this.localsInProgress.has(name)) {
      // evaluateLocals finds cycles before evaluating anything; this guards against any it cannot see.
      const inProgress = [...this.localsInProgress];
      const cycle = inProgress.slice(inProgress.indexOf(name));
      this.diags.push(errorDiag('Cycle in local values', `local.${name} refers to itself: ${[...cycle, name].map((l) => 'local.' + l).join(' → ')}.`, attr.expr.range));
      this.localValues.set(name, ERROR);
      return ERROR;
    }
    this.localsInProgress.add(name);
    let v = new Evaluator(this.env(), this.diags).evaluateLocal(attr.expr);
    this.localsInProgress.delete(name);
    // The parser bounds how deeply one expression nests, but a local can wrap another local's
    // value (a = [local.b], b = [local.c], ...), and values are walked recursively downstream.
    if (valueDepth(v, this.valueDepths) > MAX_NESTING) {
      // Past an error already reported, the value is just cut off (it fails anyway).
      if (!this.valueDepths.failed.has(v)) this.diags.push(errorDiag('Value nested too deeply', `local.${name} is a value with lists and objects nested more than ${MAX_NESTING} levels deep, built up through other locals; rcform takes values at most that deep.`, attr.expr.range));
      v = ERROR;
    }
    if (!this.localValues.has(name)) this.localValues.set(name, v);
    return this.localValues.get(name);
  }

  // ---- service blocks ------------------------------------------------------------------------

  private decodeService(b: Block): ServiceDecl[] {
    const type = b.type as ServiceKind;
    if (!this.checkLabels(b, 1, `${type} "NAME"`)) return [];
    const label = b.labels[0] as string;
    const labelRange = b.labelRanges[0] as Range;
    const problem = labelProblem(label);
    if (problem) {
      this.diags.push(errorDiag('Invalid service name', problem, labelRange));
      this.failedBlocks.push(formatAddress(type, label));
      return [];
    }
    const headerRange = rangeBetween(b.typeRange, labelRange);
    const forEachAttr = b.body.attributes.find((a) => a.name === 'for_each');
    const instances: { key?: string; each?: { key: Value; value: Value } }[] = [];
    if (!forEachAttr) instances.push({});
    else {
      const entries = this.forEachEntries(forEachAttr, label);
      if (!entries) {
        this.failedBlocks.push(formatAddress(type, label));
        return [];
      }
      for (const [key, value] of entries) instances.push({ key, each: { key: str(key), value } });
    }
    const out: ServiceDecl[] = [];
    for (const inst of instances) {
      const ev = new Evaluator(this.env(inst.each), this.diags);
      const decoded = this.decodeBody(b, type, ev, new Set(['for_each']));
      this.validate(b, type, decoded);
      out.push({
        type,
        label,
        ...(inst.key !== undefined ? { key: inst.key } : {}),
        name: instanceName(label, inst.key),
        address: formatAddress(type, label, inst.key),
        hasForEach: !!forEachAttr,
        labelRange,
        headerRange,
        config: decoded.json,
        attrRanges: new Map([...decoded.present].map((n) => [n, decoded.ranges.get('/' + n) as Range])),
        refs: decoded.refs,
        sensitivePaths: decoded.sensitivePaths,
      });
    }
    return out;
  }

  /** The instances of a for_each: a map's keys and values, or a set of strings (key = value). */
  private forEachEntries(attr: Attribute, label: string): [string, Value][] | undefined {
    const v = new Evaluator(this.env(), this.diags).evaluate(attr.expr);
    if (v.kind === 'error') return undefined;
    if (deepSensitive(v)) {
      this.diags.push(errorDiag('Invalid for_each argument', 'Sensitive values cannot be used in for_each: the keys become service names, which are shown in plans.', attr.expr.range));
      return undefined;
    }
    const entries: [string, Value][] = [];
    const itemRanges: Range[] = [];
    const inner = attr.expr.kind === 'Parens' ? attr.expr.expr : attr.expr;
    if (v.kind === 'object') {
      for (const k of [...v.attrs.keys()].sort()) entries.push([k, v.attrs.get(k) as Value]);
    } else if (v.kind === 'list') {
      for (let i = 0; i < v.items.length; i++) {
        const item = v.items[i] as Value;
        const s = item.kind === 'string' ? item.value : undefined;
        const range = inner.kind === 'Tuple' && inner.items.length === v.items.length ? (inner.items[i] as Expression).range : attr.expr.range;
        if (s === undefined) {
          this.diags.push(errorDiag('Invalid for_each argument', `A for_each set must contain only strings; element ${i} is a ${typeName(item)}.`, range));
          return undefined;
        }
        const dup = entries.findIndex(([k]) => k === s);
        if (dup >= 0) {
          this.diags.push(errorDiag('Conflicting for_each keys', `The key "${s}" appears more than once in for_each, so two instances would both be named ...@${s}.`, range));
          continue;
        }
        entries.push([s, item]);
        itemRanges.push(range);
      }
    } else {
      this.diags.push(errorDiag('Invalid for_each argument', `for_each takes a map or a set of strings, not ${typeName(v)}.`, attr.expr.range));
      return undefined;
    }
    const good: [string, Value][] = [];
    entries.forEach(([k, val], i) => {
      const p = keyProblem(k, label);
      if (p) this.diags.push(errorDiag('Invalid for_each key', p, itemRanges[i] ?? keyRangeIn(inner, k) ?? attr.expr.range));
      else good.push([k, val]);
    });
    return good;
  }

  private decodeMoved(b: Block): MovedDecl | undefined {
    if (b.labels.length > 0) {
      this.diags.push(errorDiag('Extraneous label for moved', 'A moved block takes no labels.', b.labelRanges[0]));
      return undefined;
    }
    const decoded = this.decodeBody(b, 'moved', new Evaluator(this.env(), this.diags), new Set());
    if (!this.validate(b, 'moved', decoded)) return undefined;
    const from = decoded.refs.get('from')?.[0];
    const to = decoded.refs.get('to')?.[0];
    if (!from || !to) return undefined;
    return { from, to, range: rangeBetween(b.typeRange, b.closeBraceRange) };
  }

  private checkLabels(b: Block, n: number, form: string): boolean {
    if (b.labels.length === n) return true;
    if (b.labels.length < n) this.diags.push(errorDiag('Missing name for block', `A ${b.type} block needs a name: ${form} { ... }.`, rangeBetween(b.typeRange, b.openBraceRange)));
    else this.diags.push(errorDiag(`Extraneous label for ${b.type}`, `Only ${n} label is expected: ${form} { ... }.`, b.labelRanges[n]));
    return false;
  }

  // ---- bodies, values and schemas ------------------------------------------------------------

  private decodeBody(b: Block, type: BlockType, ev: Evaluator, skip: ReadonlySet<string>): DecodedBody {
    const out: DecodedBody = { json: {}, ranges: new Map(), present: new Set(), values: new Map(), refs: new Map(), sensitivePaths: [], failed: false };
    out.ranges.set('', rangeBetween(b.typeRange, b.openBraceRange));
    const schema = blockSchema(type).schema;
    this.decodeInto(b.body, schema, '', ev, skip, out, out.json);
    return out;
  }

  private decodeInto(body: Body, schema: PropertySchema, prefix: string, ev: Evaluator, skip: ReadonlySet<string>, out: DecodedBody, target: Record<string, unknown>): void {
    const props = schema.properties ?? {};
    // The names a schema allows, for "did you mean" in errors only: worked out when one is reported.
    const attrNames = (): string[] => Object.keys(props).filter((k) => !props[k]?.['x-hcl-block'] && !props[k]?.['x-hcl-unsupported']);
    const blockNames = (): string[] => Object.keys(props).filter((k) => props[k]?.['x-hcl-block']);
    for (const a of body.attributes) {
      if (skip.has(a.name) && prefix === '') continue;
      const prop = props[a.name];
      if (!prop) {
        this.diags.push(errorDiag('Unsupported argument', `An argument named "${a.name}" is not expected here.${didYouMean(a.name, attrNames())}`, a.nameRange));
        out.failed = true;
        continue;
      }
      const unsupported = prop['x-hcl-unsupported'];
      if (unsupported !== undefined) {
        this.diags.push(errorDiag('Unsupported argument', `"${a.name}" is not supported: ${unsupported}`, a.nameRange));
        out.failed = true;
        continue;
      }
      if (prop['x-hcl-block']) {
        this.diags.push(errorDiag('Unsupported argument', `"${a.name}" is a block, not an argument: write ${a.name} { ... } without the equals sign.`, a.nameRange));
        out.failed = true;
        continue;
      }
      const ptr = `${prefix}/${a.name}`;
      const path = prefix ? `${prefix.slice(1).replace(/\//g, '.')}.${a.name}` : a.name;
      out.present.add(path);
      let v = ev.evaluate(a.expr);
      out.values.set(path, v);
      if (containsError(v)) {
        out.failed = true;
        out.ranges.set(ptr, a.expr.range);
        // The references that did evaluate are still checked: a typo in one item must not hide
        // an unknown service in the next.
        if (prop['x-hcl-references']) this.refsToJson(path, v, a.expr, prop, out);
        continue;
      }
      if (prop['x-hcl-references']) {
        const json = this.refsToJson(path, v, a.expr, prop, out);
        if (json === undefined) {
          out.ranges.set(ptr, a.expr.range);
          continue;
        }
        target[a.name] = json;
        out.ranges.set(ptr, a.expr.range);
        continue;
      }
      v = coerceStrings(v, prop);
      if (v.kind === 'null') {
        // An attribute set to null is the same as one left out, as in Terraform.
        out.present.delete(path);
        continue;
      }
      const json = this.toJsonWithRanges(v, a.expr, ptr, out.ranges);
      if (json === undefined) {
        out.failed = true;
        continue;
      }
      target[a.name] = json;
      this.collectSensitive(path, v, prop, out.sensitivePaths);
    }
    const seen = new Map<string, Block>();
    for (const inner of body.blocks) {
      const prop = props[inner.type];
      if (!prop || !prop['x-hcl-block']) {
        const hint = prop ? ` "${inner.type}" is an argument: write ${inner.type} = { ... }.` : didYouMean(inner.type, blockNames()) || (blockNames().length ? ` Blocks allowed here: ${blockNames().join(', ')}.` : '');
        this.diags.push(errorDiag('Unsupported block type', `Blocks of type "${inner.type}" are not expected here.${hint}`, inner.typeRange));
        out.failed = true;
        continue;
      }
      const prev = seen.get(inner.type);
      if (prev) {
        this.diags.push(errorDiag(`Duplicate ${inner.type} block`, `Only one ${inner.type} block is allowed; another was defined at ${where(prev.typeRange)}.`, inner.typeRange));
        continue;
      }
      seen.set(inner.type, inner);
      if (inner.labels.length > 0) {
        this.diags.push(errorDiag(`Extraneous label for ${inner.type}`, `A ${inner.type} block takes no labels.`, inner.labelRanges[0]));
        continue;
      }
      const ptr = `${prefix}/${inner.type}`;
      out.present.add(inner.type);
      out.ranges.set(ptr, rangeBetween(inner.typeRange, inner.openBraceRange));
      const obj: Record<string, unknown> = {};
      target[inner.type] = obj;
      this.decodeInto(inner.body, prop, ptr, ev, skip, out, obj);
    }
  }

  private refsToJson(path: string, v: Value, expr: Expression, prop: PropertySchema, out: DecodedBody): unknown {
    const many = prop.type === 'array';
    const items: { v: Value; range: Range }[] = [];
    const inner = expr.kind === 'Parens' ? expr.expr : expr;
    if (many) {
      if (v.kind === 'error') return undefined;
      if (v.kind !== 'list') {
        this.diags.push(errorDiag(`Invalid value for "${path}"`, `${path} takes a list of references, such as [longrun.db, bundle.net], not ${typeName(v)}.`, expr.range));
        out.failed = true;
        return undefined;
      }
      v.items.forEach((item, i) => items.push({ v: item, range: inner.kind === 'Tuple' && inner.items.length === v.items.length ? (inner.items[i] as Expression).range : expr.range }));
    } else items.push({ v, range: expr.range });
    const refs: RefUse[] = [];
    const json: string[] = [];
    let ok = true;
    for (const { v: item, range } of items) {
      if (item.kind === 'error') {
        // Already reported where it failed.
        ok = false;
        continue;
      }
      if (item.kind === 'ref' && item.name !== undefined) {
        const r: RefUse = { type: item.type, label: item.name, range: item.range, address: refAddress(item) };
        if (item.key !== undefined) r.key = item.key;
        refs.push(r);
        json.push(r.address);
        continue;
      }
      ok = false;
      if (item.kind === 'ref') this.diags.push(errorDiag('Invalid reference', `A reference needs a service name: ${item.type}.NAME.`, item.range));
      else if (item.kind === 'string') {
        // "longrun.q" is already a reference in quotes: suggesting longrun.longrun.q would confuse.
        // A sensitive string is not quoted back, not even as the reference it might have meant.
        const asRef = item.sensitive ? 'longrun.NAME' : /^(longrun|oneshot|bundle)\./.test(item.value) ? item.value : `longrun.${item.value}`;
        this.diags.push(errorDiag('Invalid reference', `${path} takes references such as ${asRef}, not strings: write the reference without quotes.`, range));
      }
      else this.diags.push(errorDiag('Invalid reference', `${path} takes references such as longrun.db, not ${typeName(item)}.`, range));
    }
    // The valid references still count, so one bad item does not hide a cycle or a typo elsewhere.
    out.refs.set(path, refs);
    if (!ok) {
      out.failed = true;
      return undefined;
    }
    return many ? json : json[0];
  }

  /** Plain JSON for ajv, recording the source range of every value so errors can point at it. */
  private toJsonWithRanges(v: Value, expr: Expression | undefined, ptr: string, ranges: Map<string, Range>): unknown {
    const e = expr?.kind === 'Parens' ? expr.expr : expr;
    const fallback = ranges.get(ptr);
    if (e) ranges.set(ptr, e.range);
    else if (!fallback) return undefined;
    switch (v.kind) {
      case 'ref':
        this.diags.push(errorDiag('Service reference not allowed here', `A reference such as ${refAddress(v)} can only be used in depends_on, contents, producer_for, consumer_for and moved.`, v.range));
        return undefined;
      case 'list': {
        const tuple = e?.kind === 'Tuple' && e.items.length === v.items.length ? e : undefined;
        const out: unknown[] = [];
        for (let i = 0; i < v.items.length; i++) {
          const p = `${ptr}/${i}`;
          if (!tuple) ranges.set(p, (e ?? { range: fallback }).range as Range);
          const j = this.toJsonWithRanges(v.items[i] as Value, tuple?.items[i], p, ranges);
          if (j === undefined) return undefined;
          out.push(j);
        }
        return out;
      }
      case 'object': {
        const objExpr = e?.kind === 'Object' ? e : undefined;
        // The item written for each key, found once: a search per key was quadratic in the object's size.
        const itemOf = new Map<string, (typeof objExpr & {})['items'][number]>();
        for (const it of objExpr?.items ?? []) {
          const name = objectKeyName(it.key.expr, it.key.bare);
          if (name !== undefined && !itemOf.has(name)) itemOf.set(name, it);
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of v.attrs) {
          const p = `${ptr}/${escapePtr(k)}`;
          const item = itemOf.get(k);
          if (item) ranges.set(`${p}#key`, item.key.range);
          else ranges.set(p, (e ?? { range: fallback }).range as Range);
          const j = this.toJsonWithRanges(x, item?.value, p, ranges);
          if (j === undefined) return undefined;
          out[k] = j;
        }
        return out;
      }
      case 'null':
        return null;
      case 'error':
        return undefined;
      case 'number':
        return Number(toStringValue(v));
      default:
        return v.value;
    }
  }

  private collectSensitive(path: string, v: Value, prop: PropertySchema, into: string[]): void {
    if (!deepSensitive(v)) return;
    if (prop.type === 'object' && v.kind === 'object' && !v.sensitive) {
      for (const k of [...v.attrs.keys()].sort()) if (deepSensitive(v.attrs.get(k) as Value)) into.push(`${path}.${k}`);
    } else into.push(path);
  }

  private validate(b: Block, type: BlockType, d: DecodedBody): boolean {
    const { validate, schema } = blockSchema(type);
    if (validate(d.json)) return !d.failed;
    const errors = resolveOneOf(validate.errors ?? []);
    for (const err of errors) {
      const diag = this.mapError(err, b, schema, d);
      if (diag) this.diags.push(diag);
    }
    return false;
  }

  private mapError(err: ErrorObject, b: Block, schema: PropertySchema, d: DecodedBody): Diagnostic | undefined {
    const segs = err.instancePath.split('/').slice(1).map(unescapePtr);
    const attrPath = segs.filter((s) => !/^[0-9]+$/.test(s)).slice(0, 2).join('.');
    const parentSchema = err.parentSchema as PropertySchema | undefined;
    if (err.keyword === 'required') {
      const missing = (err.params as { missingProperty: string }).missingProperty;
      const path = segs.length ? `${segs.join('.')}.${missing}` : missing;
      // An attribute that failed to evaluate already has its diagnostic.
      if (d.present.has(path)) return undefined;
      const range = d.ranges.get(err.instancePath) ?? rangeBetween(b.typeRange, b.openBraceRange);
      return errorDiag('Missing required argument', `The argument "${missing}" is required, but no definition was found.${describe(propAt(schema, [...segs, missing]))}`, range);
    }
    if (err.keyword === 'additionalProperties') {
      const extra = (err.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys(propAt(schema, segs)?.properties ?? {});
      return errorDiag('Unsupported argument', `An argument named "${extra}" is not expected here.${didYouMean(extra, known)}`, lookupRange(d.ranges, `${err.instancePath}/${escapePtr(extra)}`));
    }
    if (err.propertyName !== undefined || err.keyword === 'propertyNames') {
      const key = err.propertyName ?? (err.params as { propertyName?: string }).propertyName ?? '';
      const range = d.ranges.get(`${err.instancePath}/${escapePtr(key)}#key`) ?? lookupRange(d.ranges, err.instancePath);
      if (err.keyword === 'propertyNames') return undefined; // the nested pattern error says more
      const shown = hidesKeys(attrPath, d.sensitivePaths) ? SENSITIVE : `"${key}"`;
      return errorDiag(`Invalid key in "${attrPath}"`, `The key ${shown} is not allowed: ${(parentSchema?.description ?? err.message ?? '').replace(/\.$/, '')}.`, range);
    }
    const range = lookupRange(d.ranges, err.instancePath);
    // The value itself is named, unless it is sensitive: then only what is wrong with it.
    const shown = (): string => (isSensitivePath(attrPath, d.sensitivePaths) ? 'the value (sensitive)' : shortQuote(err.data));
    let detail: string;
    if (err.keyword === 'oneOf') {
      const types = ((parentSchema as OneOfSchema | undefined)?.oneOf ?? []).map((b) => b.type).flat().filter((t): t is string => !!t);
      const wanted = [...new Set(types)].map((t) => TYPE_WORDS[t] ?? t);
      detail = wanted.length > 0 && !types.includes(jsonType(err.data))
        ? `${capitalise(wanted.join(' or '))} is required here, not ${jsonTypeName(err.data)}.${describe(parentSchema)}`
        : parentSchema?.description ?? err.message ?? 'invalid value';
    } else if (err.keyword === 'pattern') {
      // An empty string fails the pattern too; its minLength error says so.
      if (err.data === '' && (parentSchema as { minLength?: number } | undefined)?.minLength) return undefined;
      const invalid = parentSchema?.['x-hcl-invalid'];
      detail = invalid ? `${capitalise(shown())} ${invalid}.` : parentSchema?.['x-limit-description'] ?? parentSchema?.description ?? err.message ?? 'invalid value';
    }
    else if (err.keyword === 'maxLength') detail = `The value is longer than ${(err.params as { limit: number }).limit} characters. ${parentSchema?.['x-limit-description'] ?? parentSchema?.description ?? ''}`.trim();
    else if (err.keyword === 'minItems') detail = `The list must have at least ${(err.params as { limit: number }).limit} element${(err.params as { limit: number }).limit === 1 ? '' : 's'}.${describe(parentSchema)}`;
    else if (err.keyword === 'enum') {
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
      const hint = typeof err.data === 'string' ? didYouMean(err.data, allowed.filter((x): x is string => typeof x === 'string')) : '';
      detail = `Must be one of ${allowed.map((x) => JSON.stringify(x)).join(', ')}.${hint}`;
    }
    else if (err.keyword === 'type') {
      const wanted = (err.params as { type: string }).type;
      detail = wanted === 'integer' && typeof err.data === 'number'
        ? `${capitalise(shown())} is not a whole number.${describe(parentSchema)}`
        : `A ${wanted} is required here, not ${jsonTypeName(err.data)}.${describe(parentSchema)}`;
    } else if (err.keyword === 'minLength' && err.data === '') detail = `The value is empty.${describe(parentSchema)}`;
    else detail = `${d.sensitivePaths.includes(attrPath) ? 'The value (sensitive)' : `The value ${shortQuote(err.data)}`} ${err.message ?? 'is invalid'}.${describe(parentSchema)}`;
    return errorDiag(`Invalid value for "${attrPath}"`, detail, range);
  }
}

/** The names of the locals an expression refers to as local.NAME, found without recursion. */
function localRefs(root: Expression): string[] {
  const out: string[] = [];
  const stack: AstNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop() as AstNode;
    if (n.kind === 'GetAttr' && n.object.kind === 'Variable' && n.object.name === 'local') {
      out.push(n.name);
      continue;
    }
    // A for that names its variable "local" hides the locals inside it.
    if ((n.kind === 'For' || n.kind === 'TemplateFor') && (n.valVar === 'local' || n.keyVar === 'local')) {
      stack.push(n.collection);
      continue;
    }
    append(stack, childrenOf(n));
  }
  return out;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** A value quoted in a message: a long one (a script) by its start, which is what is wrong with it. */
function shortQuote(v: unknown): string {
  const q = JSON.stringify(v);
  return q.length <= 60 ? q : `${q.slice(0, 40).trimEnd()}…"`;
}

function describe(p: PropertySchema | undefined): string {
  return p?.description ? ` ${p.description}` : '';
}

function propAt(schema: PropertySchema, segs: string[]): PropertySchema | undefined {
  let p: PropertySchema | undefined = schema;
  for (const s of segs) p = p?.properties?.[s];
  return p;
}

type OneOfSchema = PropertySchema & { oneOf?: PropertySchema[] };

/**
 * With oneOf, ajv reports every branch's failure beside the oneOf's own. When the value has the
 * type of one branch (a list for run = ["/x", null]), that branch's errors are what the person
 * meant to write, and they point into the value: the element that is null, the string without a
 * shebang. They keep the oneOf's description, which says what the attribute is. Otherwise (a
 * number for run) the oneOf error alone stays, and says which types would do.
 */
function resolveOneOf(errors: ErrorObject[]): ErrorObject[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const inBranch = (e: ErrorObject, o: ErrorObject): boolean => e !== o && e.schemaPath.startsWith(o.schemaPath + '/') && e.instancePath.startsWith(o.instancePath);
  const out: ErrorObject[] = errors.filter((e) => !oneOfs.some((o) => inBranch(e, o)) && e.keyword !== 'oneOf');
  for (const o of oneOfs) {
    const parent = o.parentSchema as OneOfSchema | undefined;
    const branches = parent?.oneOf ?? [];
    const chosen = branches.findIndex((b) => typeMatches(b.type, o.data));
    const inside = errors.filter((e) => inBranch(e, o) && e.schemaPath.startsWith(`${o.schemaPath}/${chosen}/`));
    if (chosen < 0 || inside.length === 0) {
      out.push(o);
      continue;
    }
    for (const e of inside) {
      const ps = e.parentSchema as PropertySchema | undefined;
      out.push({ ...e, parentSchema: { ...ps, description: ps?.description ?? parent?.description } });
    }
  }
  return out;
}

function jsonType(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  if (typeof x === 'number') return Number.isInteger(x) ? 'integer' : 'number';
  return typeof x;
}

function typeMatches(type: string | string[] | undefined, x: unknown): boolean {
  const t = jsonType(x);
  return (Array.isArray(type) ? type : type ? [type] : []).some((want) => want === t || (want === 'number' && t === 'integer'));
}

const TYPE_WORDS: Record<string, string> = { array: 'a list', object: 'an object', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'a bool', null: 'null' };

function lookupRange(ranges: Map<string, Range>, ptr: string): Range | undefined {
  let p = ptr;
  for (;;) {
    const r = ranges.get(p);
    if (r) return r;
    if (p === '') return undefined;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function jsonTypeName(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'a list';
  if (typeof x === 'object') return 'an object';
  return `a ${typeof x}`;
}

function escapePtr(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePtr(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function objectKeyName(e: Expression, bare: boolean): string | undefined {
  if (bare && e.kind === 'Variable') return e.name;
  if (e.kind === 'Template' && e.parts.every((p) => p.kind === 'TemplateLiteral')) return e.parts.map((p) => (p as { value: string }).value).join('');
  return undefined;
}

function keyRangeIn(e: Expression, key: string): Range | undefined {
  if (e.kind !== 'Object') return undefined;
  return e.items.find((it) => objectKeyName(it.key.expr, it.key.bare) === key)?.key.range;
}

/** Strings are what services see: numbers and bools convert, as Terraform converts to string. */
function coerceStrings(v: Value, prop: PropertySchema & { oneOf?: PropertySchema[]; additionalProperties?: PropertySchema }): Value {
  const toStr = (x: Value): Value => (x.kind === 'number' || x.kind === 'bool' ? mark(str(toStringValue(x) as string), x.sensitive) : x);
  if (prop.type === 'string') return toStr(v);
  if (prop.type === 'object' && prop.additionalProperties?.type === 'string' && v.kind === 'object') {
    return { ...v, attrs: new Map([...v.attrs].map(([k, x]) => [k, toStr(x)])) };
  }
  if (prop.oneOf && v.kind === 'list') return { ...v, items: v.items.map(toStr) };
  return v;
}

function deepMark(v: Value, sensitive: boolean): Value {
  if (!sensitive) return v;
  if (v.kind === 'list') return { ...v, items: v.items.map((x) => deepMark(x, true)), sensitive: true };
  if (v.kind === 'object') return { ...v, attrs: new Map([...v.attrs].map(([k, x]) => [k, deepMark(x, true)])), sensitive: true };
  return mark(v, true);
}

interface DepthMemo {
  depth: WeakMap<Value, number>;
  /** Values that contain an error. */
  failed: WeakSet<Value>;
}

/**
 * How deeply lists and objects nest in a value, without recursion. Locals share their values, so
 * depths are remembered: a = [local.b, local.b] must not walk b twice, let alone 2^n times.
 */
function valueDepth(root: Value, memo: DepthMemo): number {
  type Frame = { v: Value; kids: Value[]; i: number; max: number; failed: boolean };
  const kidsOf = (v: Value): Value[] => (v.kind === 'list' ? v.items : v.kind === 'object' ? [...v.attrs.values()] : []);
  const known = memo.depth.get(root);
  if (known !== undefined) return known;
  const stack: Frame[] = [{ v: root, kids: kidsOf(root), i: 0, max: 0, failed: root.kind === 'error' }];
  for (;;) {
    const top = stack[stack.length - 1] as Frame;
    if (top.i < top.kids.length) {
      const k = top.kids[top.i++] as Value;
      const d = memo.depth.get(k);
      if (d === undefined) stack.push({ v: k, kids: kidsOf(k), i: 0, max: 0, failed: k.kind === 'error' });
      else {
        top.max = Math.max(top.max, d);
        if (memo.failed.has(k)) top.failed = true;
      }
      continue;
    }
    stack.pop();
    const depth = top.max + 1;
    memo.depth.set(top.v, depth);
    if (top.failed) memo.failed.add(top.v);
    const parent = stack[stack.length - 1];
    if (!parent) return depth;
    parent.max = Math.max(parent.max, depth);
    if (top.failed) parent.failed = true;
  }
}

function compareRanges(a: Range | undefined, b: Range | undefined): number {
  if (!a || !b) return a ? -1 : b ? 1 : 0;
  if (a.filename !== b.filename) return a.filename < b.filename ? -1 : 1;
  return a.start.byte - b.start.byte;
}

function where(r: Range): string {
  return `${r.filename}:${r.start.line},${r.start.column}`;
}
