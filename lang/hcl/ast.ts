import type { Range } from './range.js';

// The syntax tree of HCL's native syntax, shaped after hclsyntax: every node keeps its source
// range, and expressions stay unevaluated so that later stages (the service language's evaluator,
// fmt, the JSON conversion used by conformance tests) can each interpret them in their own way.

export interface File {
  filename: string;
  body: Body;
  /** The original bytes, kept so diagnostics can show snippets. */
  source: string;
}

export interface Body {
  kind: 'Body';
  attributes: Attribute[];
  blocks: Block[];
  /** Attributes and blocks in source order. */
  items: (Attribute | Block)[];
  range: Range;
  /** Zero-width range at the end of the body (hclsyntax's EndRange), for "missing ..." diagnostics. */
  endRange: Range;
}

export interface Attribute {
  kind: 'Attribute';
  name: string;
  expr: Expression;
  range: Range;
  nameRange: Range;
  equalsRange: Range;
}

export interface Block {
  kind: 'Block';
  type: string;
  labels: string[];
  body: Body;
  range: Range;
  typeRange: Range;
  labelRanges: Range[];
  openBraceRange: Range;
  closeBraceRange: Range;
}

export type Expression =
  | LiteralExpr
  | NumberExpr
  | TemplateExpr
  | VariableExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | SplatItemExpr
  | FunctionCallExpr
  | TupleExpr
  | ObjectExpr
  | BinaryExpr
  | UnaryExpr
  | ConditionalExpr
  | ForExpr
  | ParensExpr;

interface Node {
  range: Range;
}

/** `true`, `false` and `null`. */
export interface LiteralExpr extends Node {
  kind: 'Literal';
  value: boolean | null;
}

/** Numbers keep their source text so that arbitrary precision survives until evaluation. */
export interface NumberExpr extends Node {
  kind: 'Number';
  text: string;
}

/**
 * A quoted string or heredoc. A quoted string without interpolation is a template with one
 * literal part. A template consisting of exactly one interpolation and nothing else evaluates to
 * the interpolated value without string conversion (hclsyntax's TemplateWrapExpr).
 */
export interface TemplateExpr extends Node {
  kind: 'Template';
  parts: TemplatePart[];
  heredoc?: { marker: string; flush: boolean };
}

export type TemplatePart = TemplateLiteral | TemplateInterp | TemplateIf | TemplateFor;

export interface TemplateLiteral extends Node {
  kind: 'TemplateLiteral';
  /** The literal text after escape processing. */
  value: string;
}

export interface TemplateInterp extends Node {
  kind: 'TemplateInterp';
  expr: Expression;
  stripLeft: boolean;
  stripRight: boolean;
}

export interface TemplateIf extends Node {
  kind: 'TemplateIf';
  cond: Expression;
  then: TemplatePart[];
  else?: TemplatePart[];
}

export interface TemplateFor extends Node {
  kind: 'TemplateFor';
  keyVar?: string;
  valVar: string;
  collection: Expression;
  body: TemplatePart[];
}

export interface VariableExpr extends Node {
  kind: 'Variable';
  name: string;
}

export interface GetAttrExpr extends Node {
  kind: 'GetAttr';
  object: Expression;
  name: string;
  nameRange: Range;
}

/** `c[k]`, and the legacy `c.0` form (legacy = true). */
export interface IndexExpr extends Node {
  kind: 'Index';
  collection: Expression;
  key: Expression;
  legacy: boolean;
}

/** `src[*].a.b` (full) and `src.*.a.b` (attr-only); `each` is evaluated per element with SplatItem as the element. */
export interface SplatExpr extends Node {
  kind: 'Splat';
  source: Expression;
  each: Expression;
  style: 'full' | 'attr';
}

export interface SplatItemExpr extends Node {
  kind: 'SplatItem';
}

export interface FunctionCallExpr extends Node {
  kind: 'FunctionCall';
  name: string;
  nameRange: Range;
  args: Expression[];
  /** The final argument was followed by `...`. */
  expandFinal: boolean;
  openParenRange: Range;
  closeParenRange: Range;
}

export interface TupleExpr extends Node {
  kind: 'Tuple';
  items: Expression[];
}

export interface ObjectItem {
  key: ObjectKeyExpr;
  value: Expression;
}

/**
 * An object key: a bare identifier (`{ a = 1 }`) is the string "a", not a variable reference,
 * unless wrapped in parentheses; `bare` records which it was.
 */
export interface ObjectKeyExpr extends Node {
  kind: 'ObjectKey';
  expr: Expression;
  bare: boolean;
}

export interface ObjectExpr extends Node {
  kind: 'Object';
  items: ObjectItem[];
}

export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export interface BinaryExpr extends Node {
  kind: 'Binary';
  op: BinaryOp;
  left: Expression;
  right: Expression;
  opRange: Range;
}

export interface UnaryExpr extends Node {
  kind: 'Unary';
  op: '!' | '-';
  operand: Expression;
}

export interface ConditionalExpr extends Node {
  kind: 'Conditional';
  cond: Expression;
  then: Expression;
  else: Expression;
}

export interface ForExpr extends Node {
  kind: 'For';
  keyVar?: string;
  valVar: string;
  collection: Expression;
  /** Present for object-producing `{for ...}` expressions. */
  keyExpr?: Expression;
  valExpr: Expression;
  cond?: Expression;
  /** `...` after the value in an object for: group values by key. */
  group: boolean;
}

export interface ParensExpr extends Node {
  kind: 'Parens';
  expr: Expression;
}

/** Every kind of node the tree has. */
export type AstNode = Body | Attribute | Block | Expression | TemplatePart | ObjectKeyExpr;

/**
 * A node's children in source order: the one place that knows the tree's shape, so that every
 * walker (depth limits, reference scans) reaches every node, and a new kind of node fails to
 * compile here until its children are listed.
 */
export function childrenOf(n: AstNode): AstNode[] {
  switch (n.kind) {
    case 'Body':
      return [...n.items];
    case 'Attribute':
      return [n.expr];
    case 'Block':
      return [n.body];
    case 'Literal':
    case 'Number':
    case 'Variable':
    case 'SplatItem':
    case 'TemplateLiteral':
      return [];
    case 'Template':
      return [...n.parts];
    case 'TemplateInterp':
      return [n.expr];
    case 'TemplateIf':
      return [n.cond, ...n.then, ...(n.else ?? [])];
    case 'TemplateFor':
      return [n.collection, ...n.body];
    case 'GetAttr':
      return [n.object];
    case 'Index':
      return [n.collection, n.key];
    case 'Splat':
      return [n.source, n.each];
    case 'FunctionCall':
      return [...n.args];
    case 'Tuple':
      return [...n.items];
    case 'Object':
      return n.items.flatMap((it) => [it.key, it.value]);
    case 'ObjectKey':
      return [n.expr];
    case 'Binary':
      return [n.left, n.right];
    case 'Unary':
      return [n.operand];
    case 'Conditional':
      return [n.cond, n.then, n.else];
    case 'For': {
      const out: AstNode[] = [n.collection];
      if (n.keyExpr) out.push(n.keyExpr);
      out.push(n.valExpr);
      if (n.cond) out.push(n.cond);
      return out;
    }
    case 'Parens':
      return [n.expr];
    default:
      return unreachable(n);
  }
}

function unreachable(n: never): never {
  throw new Error(`unknown syntax tree node ${JSON.stringify((n as { kind?: unknown }).kind)}`);
}
