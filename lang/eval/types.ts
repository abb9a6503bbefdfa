import type { Expression } from '../hcl/ast.js';
import { parseNum } from './number.js';
import { bool, list, mark, num, obj, str, toStringValue, typeName, type Value } from './value.js';

// Type constraints of `variable` blocks, written as in Terraform: string, number, bool, any,
// list(T), set(T), map(T), tuple([T, ...]) and object({ name = T }). Values given on the command
// line or in the environment are converted to the declared type, as Terraform does.

export type TypeConstraint =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; elem: TypeConstraint }
  | { kind: 'tuple'; elems: TypeConstraint[] }
  | { kind: 'object'; attrs: Map<string, TypeConstraint> };

export const ANY: TypeConstraint = { kind: 'any' };

/** Reads a type expression; a string on failure (the message for a diagnostic at expr's range). */
export function parseTypeExpr(expr: Expression): TypeConstraint | string {
  if (expr.kind === 'Variable') {
    if (expr.name === 'string' || expr.name === 'number' || expr.name === 'bool' || expr.name === 'any') return { kind: expr.name };
    if (expr.name === 'list' || expr.name === 'set' || expr.name === 'map') return `The ${expr.name} type constraint requires an element type, as in ${expr.name}(string).`;
    return `"${expr.name}" is not a type; use string, number, bool, any, list(T), set(T), map(T), tuple([...]) or object({...}).`;
  }
  if (expr.kind === 'FunctionCall') {
    const [arg, ...rest] = expr.args;
    if (!arg || rest.length > 0) return `${expr.name}(...) takes exactly one argument.`;
    if (expr.name === 'list' || expr.name === 'set' || expr.name === 'map') {
      const elem = parseTypeExpr(arg);
      return typeof elem === 'string' ? elem : { kind: expr.name, elem };
    }
    if (expr.name === 'tuple') {
      if (arg.kind !== 'Tuple') return 'tuple(...) takes a list of types, as in tuple([string, number]).';
      const elems: TypeConstraint[] = [];
      for (const item of arg.items) {
        const t = parseTypeExpr(item);
        if (typeof t === 'string') return t;
        elems.push(t);
      }
      return { kind: 'tuple', elems };
    }
    if (expr.name === 'object') {
      if (arg.kind !== 'Object') return 'object(...) takes an object of types, as in object({ name = string }).';
      const attrs = new Map<string, TypeConstraint>();
      for (const item of arg.items) {
        const k = item.key.expr;
        const name = k.kind === 'Variable' ? k.name : k.kind === 'Template' && k.parts.length === 1 && k.parts[0]?.kind === 'TemplateLiteral' ? k.parts[0].value : undefined;
        if (name === undefined) return 'Object type attribute names must be plain identifiers.';
        const t = parseTypeExpr(item.value);
        if (typeof t === 'string') return t;
        attrs.set(name, t);
      }
      return { kind: 'object', attrs };
    }
  }
  return 'A type constraint is a type keyword (string, number, bool, any) or list(T), set(T), map(T), tuple([...]), object({...}).';
}

export function typeString(t: TypeConstraint): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind}(${typeString(t.elem)})`;
    case 'tuple':
      return `tuple([${t.elems.map(typeString).join(', ')}])`;
    case 'object':
      return `object({${[...t.attrs].map(([k, v]) => `${k} = ${typeString(v)}`).join(', ')}})`;
    default:
      return t.kind;
  }
}

/** Whether a raw command-line string should be taken literally (primitive types) or parsed as HCL. */
export function isPrimitive(t: TypeConstraint): boolean {
  return t.kind === 'string' || t.kind === 'number' || t.kind === 'bool';
}

/** Converts v to the type; a string is the reason it cannot be. Null converts to every type. */
export function convert(v: Value, t: TypeConstraint, path = ''): Value | string {
  const at = path ? ` at ${path}` : '';
  if (v.kind === 'null' || v.kind === 'error' || t.kind === 'any') return v;
  switch (t.kind) {
    case 'string': {
      const s = toStringValue(v);
      return s === undefined ? `a string is required${at}, not ${typeName(v)}` : str(s, v.sensitive);
    }
    case 'number': {
      if (v.kind === 'number') return v;
      if (v.kind === 'string') {
        const n = parseNum(v.value);
        if (n) return num(n, v.sensitive);
      }
      return `a number is required${at}, not ${v.kind === 'string' ? JSON.stringify(v.value) : typeName(v)}`;
    }
    case 'bool': {
      if (v.kind === 'bool') return v;
      if (v.kind === 'string' && (v.value === 'true' || v.value === 'false')) return bool(v.value === 'true', v.sensitive);
      return `a bool is required${at}, not ${v.kind === 'string' ? JSON.stringify(v.value) : typeName(v)}`;
    }
    case 'list':
    case 'set': {
      if (v.kind !== 'list') return `a ${t.kind} is required${at}, not ${typeName(v)}`;
      const out: Value[] = [];
      for (let i = 0; i < v.items.length; i++) {
        const c = convert(v.items[i] as Value, t.elem, `${path}[${i}]`);
        if (typeof c === 'string') return c;
        out.push(c);
      }
      return mark(list(out), v.sensitive);
    }
    case 'tuple': {
      if (v.kind !== 'list') return `a tuple is required${at}, not ${typeName(v)}`;
      if (v.items.length !== t.elems.length) return `a tuple of ${t.elems.length} elements is required${at}, not ${v.items.length}`;
      const out: Value[] = [];
      for (let i = 0; i < v.items.length; i++) {
        const c = convert(v.items[i] as Value, t.elems[i] as TypeConstraint, `${path}[${i}]`);
        if (typeof c === 'string') return c;
        out.push(c);
      }
      return mark(list(out), v.sensitive);
    }
    case 'map': {
      if (v.kind !== 'object') return `a map is required${at}, not ${typeName(v)}`;
      const out = new Map<string, Value>();
      for (const [k, x] of v.attrs) {
        const c = convert(x, t.elem, `${path}[${JSON.stringify(k)}]`);
        if (typeof c === 'string') return c;
        out.set(k, c);
      }
      return mark(obj(out), v.sensitive);
    }
    case 'object': {
      if (v.kind !== 'object') return `an object is required${at}, not ${typeName(v)}`;
      const out = new Map<string, Value>();
      for (const [k, at2] of t.attrs) {
        const x = v.attrs.get(k);
        if (!x) return `attribute "${k}" is required${at}`;
        const c = convert(x, at2, path ? `${path}.${k}` : k);
        if (typeof c === 'string') return c;
        out.set(k, c);
      }
      return mark(obj(out), v.sensitive);
    }
  }
}
