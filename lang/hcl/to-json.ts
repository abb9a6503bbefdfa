import type { Block, Body, Expression, File, TemplateExpr, TemplatePart } from './ast.js';
import type { Range } from './range.js';
import { UserError } from '../user-error.js';

// Converts a parsed file to the JSON value that hcl2json (the converter inside the npm package
// hcl2-parser, this project's test oracle) produces, so that the conformance test can compare the
// two parsers value for value. hcl2json's rules, reproduced here quirks included:
// - blocks nest by type, then by each label, ending in an array of bodies; attributes are written
//   after blocks (an attribute wins over a block of the same name);
// - literals (numbers, bools, null, strings without interpolation, unary minus/not of a literal)
//   become JSON values; a lone interpolation "${x}" converts as x itself;
// - anything it cannot evaluate becomes the string "${<source text>}"; inside templates,
//   interpolations are inlined the same way and directives are re-rendered as %{if}/%{for}
//   (an ordinary conditional inside an interpolation is rendered as an %{if} directive too);
// - object keys that are plain traversals (a, a.b, a[0]) are their source text;
// - the source text of an expression also takes a ")" that immediately follows it.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

/** A file hcl2json fails to convert even though it parses (its message is kept in `message`). */
export class HclJsonConversionError extends UserError {
  constructor(message: string) {
    super('input', message);
    this.name = 'HclJsonConversionError';
  }
}

export function toHclJson(file: File): JsonObject {
  return new Converter(file.source).body(file.body);
}

class Converter {
  private readonly bytes: Uint8Array;
  private readonly decoder = new TextDecoder();
  private readonly ascii: boolean;
  private readonly source: string;

  constructor(source: string) {
    this.source = source;
    // eslint-disable-next-line no-control-regex
    this.ascii = /^[\x00-\x7f]*$/.test(source);
    this.bytes = this.ascii ? new Uint8Array(0) : new TextEncoder().encode(source);
  }

  private sourceText(r: Range): string {
    let end = r.end.byte;
    if (this.ascii) {
      if (this.source.charCodeAt(end) === 41) end++;
      return this.source.slice(r.start.byte, end);
    }
    if (this.bytes[end] === 41) end++;
    return this.decoder.decode(this.bytes.subarray(r.start.byte, end));
  }

  private wrap(e: Expression): string {
    return '${' + this.sourceText(e.range) + '}';
  }

  body(body: Body): JsonObject {
    const out: JsonObject = {};
    for (const b of body.blocks) this.block(b, out);
    for (const a of body.attributes) out[a.name] = this.expr(a.expr);
    return out;
  }

  private block(block: Block, top: JsonObject): void {
    let out = top;
    let key = block.type;
    for (const label of block.labels) {
      if (Object.hasOwn(out, key)) {
        const existing = out[key];
        if (existing === null || typeof existing !== 'object' || Array.isArray(existing)) {
          throw new HclJsonConversionError(`Unable to convert Block to JSON: ${block.type}.${block.labels.join('.')}`);
        }
        out = existing;
      } else {
        const fresh: JsonObject = {};
        out[key] = fresh;
        out = fresh;
      }
      key = label;
    }
    const value = this.body(block.body);
    if (Object.hasOwn(out, key)) {
      const existing = out[key];
      if (!Array.isArray(existing)) throw new HclJsonConversionError('interface conversion: interface is convert.jsonObj, not []interface {}');
      existing.push(value);
    } else {
      out[key] = [value];
    }
  }

  expr(e: Expression): JsonValue {
    switch (e.kind) {
      case 'Literal':
        return e.value;
      case 'Number':
        return Number(e.text);
      case 'Unary': {
        const v = e.operand;
        if (v.kind !== 'Literal' && v.kind !== 'Number') return this.wrap(e);
        if (e.op === '-') {
          if (v.kind !== 'Number') throw new HclJsonConversionError('Invalid operand: number required');
          return -Number(v.text);
        }
        if (v.kind !== 'Literal' || v.value === null) throw new HclJsonConversionError('Invalid operand: bool required');
        return !v.value;
      }
      case 'Template': {
        const only = e.parts.length === 1 ? e.parts[0]! : undefined;
        if (only && only.kind === 'TemplateInterp') return this.expr(only.expr);
        return this.template(e.parts);
      }
      case 'Tuple':
        return e.items.map((i) => this.expr(i));
      case 'Object': {
        const m: JsonObject = {};
        for (const item of e.items) {
          const k = item.key.expr;
          const key = isScopeTraversal(k) ? this.sourceText(k.range) : this.stringPart(k);
          m[key] = this.expr(item.value);
        }
        return m;
      }
      default:
        return this.wrap(e);
    }
  }

  private template(parts: TemplatePart[]): string {
    let s = '';
    for (const p of parts) s += this.templatePart(p);
    return s;
  }

  private templatePart(p: TemplatePart): string {
    switch (p.kind) {
      case 'TemplateLiteral':
        return p.value;
      case 'TemplateInterp':
        return this.stringPart(p.expr);
      case 'TemplateIf':
        return this.conditional(p.cond, this.template(p.then), p.else ? this.template(p.else) : '');
      case 'TemplateFor': {
        const vars = (p.keyVar !== undefined ? p.keyVar + ', ' : '') + p.valVar;
        return `%{for ${vars} in ${this.sourceText(p.collection.range)}}${this.template(p.body)}%{endfor}`;
      }
    }
  }

  private conditional(cond: Expression, t: string, f: string): string {
    return `%{if ${this.sourceText(cond.range)}}${t}${f.length > 0 ? '%{else}' + f : ''}%{endif}`;
  }

  /** An expression inlined into a string (hcl2json's convertStringPart). */
  private stringPart(e: Expression): string {
    switch (e.kind) {
      case 'Literal':
        if (e.value === null) throw new HclJsonConversionError('null value cannot be used as a string');
        return String(e.value);
      case 'Number':
        return numberToString(e.text);
      case 'Template': {
        const t: TemplateExpr = e;
        const only = t.parts.length === 1 ? t.parts[0]! : undefined;
        if (only && only.kind === 'TemplateInterp') return this.stringPart(only.expr);
        return this.template(t.parts);
      }
      case 'Conditional':
        return this.conditional(e.cond, this.stringPart(e.then), this.stringPart(e.else));
      default:
        return this.wrap(e);
    }
  }
}

/** Whether hclsyntax would have made this a ScopeTraversalExpr (root name, then attrs and constant indexes). */
function isScopeTraversal(e: Expression): boolean {
  for (;;) {
    switch (e.kind) {
      case 'Variable':
        return true;
      case 'GetAttr':
        e = e.object;
        continue;
      case 'Index': {
        const k = e.key;
        const constant = k.kind === 'Number' || k.kind === 'Literal'
          || (k.kind === 'Template' && k.parts.length === 1 && k.parts[0]!.kind === 'TemplateLiteral');
        if (!constant) return false;
        e = e.collection;
        continue;
      }
      default:
        return false;
    }
  }
}

/** cty's number-to-string conversion: shortest decimal form, no exponent. */
function numberToString(text: string): string {
  const n = Number(text);
  if (Number.isSafeInteger(n) && /^[0-9]+$/.test(text)) return text.replace(/^0+(?=\d)/, '');
  if (!Number.isFinite(n)) return text;
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}
