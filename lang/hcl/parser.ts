import type { Diagnostic } from '../diagnostic.js';
import {
  childrenOf, type AstNode, type Attribute, type BinaryOp, type Block, type Body, type Expression, type File, type ObjectItem, type TemplateExpr,
  type TemplatePart,
} from './ast.js';
import type { Range } from './range.js';
import { LineIndex } from './line-index.js';
import { rangeAtEnd, rangeAtStart, rangeBetween, SourceRange } from './range.js';
import { scanTokens, T, Token, tokenAt, type TokenBuffer, type TokenType } from './scanner.js';
import { append } from '../append.js';

// A recursive-descent parser for HCL's native syntax, shaped after hclsyntax's parser so that it
// accepts and rejects the same inputs and reports its errors at the same ranges, with the same
// summaries. Like hclsyntax it keeps going after an error: it skips ahead to a likely resync
// point and enters "recovery" mode, in which follow-on errors that would only be noise are not
// reported. It never throws.

export interface ParseResult {
  file: File;
  diagnostics: Diagnostic[];
}

/** Parse a whole configuration file. The source is normalised to NFC first, as HCL specifies. */
export function parseHcl(source: string, filename: string): ParseResult {
  // eslint-disable-next-line no-control-regex
  const src = /^[\x00-\x7f]*$/.test(source) ? source : source.normalize('NFC');
  const tokens = scanTokens(src, filename, new LineIndex(filename, src));
  const diagnostics = checkInvalidTokens(tokens);
  const p = new Parser(tokens, src);
  const body = p.parseBody('EOF', rangeAtStart(tokenAt(tokens, 0).range));
  append(diagnostics, p.diags);
  return { file: { filename, body, source: src }, diagnostics };
}

function err(summary: string, detail: string, subject: Range, context?: Range): Diagnostic {
  const d: Diagnostic = { severity: 'error', summary, detail, subject };
  if (context) d.context = context;
  return d;
}

const between = rangeBetween;

/**
 * An exact-size copy of an array built by push. A pushed-to array keeps room for at least 17
 * elements, and a tree of a large file holds hundreds of thousands of small arrays: a fifth of
 * its memory was that slack.
 */
function fit<T>(a: T[]): T[] {
  return a.length === 0 ? [] : a.slice();
}

function rangeString(r: Range): string {
  const { start, end } = r;
  if (start.line === end.line) return `${r.filename}:${start.line},${start.column}-${end.column}`;
  return `${r.filename}:${start.line},${start.column}-${end.line},${end.column}`;
}

/**
 * How many invalid characters (and quoted newlines) are reported one by one. hclsyntax reports
 * every one; a file of two million NUL bytes then held two million diagnostics, more than the
 * memory a validate in CI may take. The rest are summed up in one diagnostic, at the last.
 */
const MAX_CHARACTER_REPORTS = 100;

/** Characters and tokens that can never appear in HCL, reported once up front (hcl's checkInvalidTokens). */
function checkInvalidTokens(buf: TokenBuffer): Diagnostic[] {
  const diags: Diagnostic[] = [];
  let bitwise = 0, backtick = 0, apostrophe = 0, semicolon = 0, badUtf8 = 0, invalid = 0, quotedNewline = 0;
  let lastInvalid: Range | undefined;
  for (let i = 0; i < buf.count; i++) {
    // Only the rare invalid kinds need a token object.
    if (buf.types[i]! < T.BitwiseAnd) continue;
    const tok = tokenAt(buf, i);
    switch (tok.type) {
      case 'BitwiseAnd':
      case 'BitwiseOr':
      case 'BitwiseXor':
      case 'BitwiseNot':
        if (bitwise < 4) {
          const hint = tok.type === 'BitwiseAnd' ? ' Did you mean boolean AND ("&&")?'
            : tok.type === 'BitwiseOr' ? ' Did you mean boolean OR ("||")?'
            : tok.type === 'BitwiseNot' ? ' Did you mean boolean NOT ("!")?' : '';
          diags.push(err('Unsupported operator', `Bitwise operators are not supported.${hint}`, tok.range));
          bitwise++;
        }
        break;
      case 'Backtick':
        if (backtick % 2 === 0) {
          diags.push(err('Invalid character', 'The "`" character is not valid. To create a multi-line string, use the "heredoc" syntax, like "<<EOT".', tok.range));
        }
        if (backtick <= 2) backtick++;
        break;
      case 'Apostrophe':
        if (apostrophe % 2 === 0) {
          diags.push(err('Invalid character', 'Single quotes are not valid. Use double quotes (") to enclose strings.', tok.range));
        }
        if (apostrophe <= 2) apostrophe++;
        break;
      case 'Semicolon':
        if (semicolon < 1) {
          diags.push(err('Invalid character', 'The ";" character is not valid. Use newlines to separate arguments and blocks, and commas to separate items in collection values.', tok.range));
          semicolon++;
        }
        break;
      case 'BadUTF8':
        if (badUtf8 < 1) {
          diags.push(err('Invalid character encoding', 'All input files must be UTF-8 encoded. Ensure that UTF-8 encoding is selected in your editor.', tok.range));
          badUtf8++;
        }
        break;
      case 'QuotedNewline':
        if (quotedNewline++ < MAX_CHARACTER_REPORTS) diags.push(err('Invalid multi-line string', 'Quoted strings may not be split over multiple lines. To produce a multi-line string, either use the \\n escape to represent a newline character or use the "heredoc" multi-line template syntax.', tok.range));
        break;
      case 'Invalid':
        if (invalid++ < MAX_CHARACTER_REPORTS) diags.push(err('Invalid character', 'This character is not used within the language.', tok.range));
        else lastInvalid = tok.range;
        break;
      default:
        break;
    }
  }
  if (lastInvalid) {
    diags.push(err('Invalid character', `This character is not used within the language, nor are ${invalid - MAX_CHARACTER_REPORTS - 1} more before it that were not reported one by one.`, lastInvalid));
  }
  return diags;
}

const BINARY_LEVELS: Partial<Record<TokenType, BinaryOp>>[] = [
  { Or: '||' },
  { And: '&&' },
  { EqualOp: '==', NotEqual: '!=' },
  { GreaterThan: '>', GreaterThanEq: '>=', LessThan: '<', LessThanEq: '<=' },
  { Plus: '+', Minus: '-' },
  { Star: '*', Slash: '/', Percent: '%' },
];

/**
 * How deeply blocks, expressions and template directives may nest. hclsyntax has no limit: Go's
 * stacks grow to a gigabyte. Node's default stack is under a megabyte, and the parser, the
 * evaluator and the JSON conversion recurse once or more per level, so without a limit a few
 * hundred brackets crashed the process instead of getting a diagnostic. No hand-written
 * configuration nests more than a few dozen levels; on the default stack every stage copes with
 * nearly four times this (docs/hcl.md), which leaves room for callers deep in a stack of their own.
 */
export const MAX_NESTING = 256;

const BINARY_LEVEL_OF: Partial<Record<TokenType, number>> = Object.fromEntries(
  BINARY_LEVELS.flatMap((ops, level) => Object.keys(ops).map((t) => [t, level])));

const NUMBER = /^[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

// Template parsing first flattens the token stream into these, applies strip markers and flush
// heredoc indentation to the literals, then builds the nested if/for structure (as hclsyntax does).
type TPart =
  | { k: 'lit'; value: string; range: Range }
  | { k: 'interp'; expr: Expression; range: Range; stripLeft: boolean; stripRight: boolean }
  | { k: 'if'; cond: Expression; range: Range }
  | { k: 'for'; keyVar: string | undefined; valVar: string; coll: Expression; range: Range }
  | { k: 'else' | 'endif' | 'endfor'; range: Range }
  | { k: 'end'; range: Range };

const IS_SPACE_LEFT = /^\s+/;
const IS_SPACE_RIGHT = /\s+$/;

class Parser {
  readonly diags: Diagnostic[] = [];
  private recovery = false;
  /** Blocks, expressions and unary operators being parsed around the current position. */
  private depth = 0;
  private nestingReported = false;
  private next = 0;
  private readonly nl: boolean[] = [true];
  private readonly tokens: TokenBuffer;
  private readonly src: string;
  private readonly eof: Token;

  constructor(tokens: TokenBuffer, src: string) {
    this.tokens = tokens;
    this.src = src;
    this.eof = tokenAt(tokens, tokens.count - 1);
  }

  // ---- the peeker: hides comments, and newlines where they are not significant ----

  // The next significant token and the index after it, cached until the position or the newline
  // mode changes (peek is called far more often than read).
  private cacheTok: Token | undefined;
  private cacheNext = 0;

  private fill(): Token {
    const toks = this.tokens;
    const { types, starts, ends } = toks;
    const includeNl = this.nl[this.nl.length - 1]!;
    for (let i = this.next; i < toks.count; i++) {
      const type = types[i]!;
      if (type === T.Comment) {
        // A line comment swallows its newline; where newlines matter it stands in for one, with
        // the comment's range (as hcl's peeker does).
        const end = ends[i]!;
        if (includeNl && this.src.charCodeAt(end - 1) === 10) {
          this.cacheNext = i + 1;
          return (this.cacheTok = new Token('Newline', end - 1, end, toks.lines, starts[i]!, end));
        }
        continue;
      }
      if (type === T.Newline && !includeNl) continue;
      this.cacheNext = i + 1;
      return (this.cacheTok = tokenAt(toks, i));
    }
    this.cacheNext = toks.count;
    return (this.cacheTok = this.eof);
  }

  private peek(): Token {
    return this.cacheTok ?? this.fill();
  }

  private read(): Token {
    const t = this.cacheTok ?? this.fill();
    this.next = this.cacheNext;
    this.cacheTok = undefined;
    this.lastRead = t;
    return t;
  }

  private lastRead: Token | undefined;

  private prevRange(): Range {
    if (this.lastRead) return this.lastRead.range;
    return tokenAt(this.tokens, 0).range;
  }

  private pushNl(v: boolean): void {
    if (this.nl[this.nl.length - 1] !== v) this.cacheTok = undefined;
    this.nl.push(v);
  }

  private popNl(): void {
    const v = this.nl.pop();
    if (this.nl[this.nl.length - 1] !== v) this.cacheTok = undefined;
  }

  private text(t: Token): string {
    return this.src.slice(t.start, t.end);
  }

  private isKeyword(t: Token, kw: string): boolean {
    return t.type === 'Ident' && t.end - t.start === kw.length && this.src.startsWith(kw, t.start);
  }

  private error(summary: string, detail: string, subject: Range, context?: Range): void {
    this.diags.push(err(summary, detail, subject, context));
  }

  private errorsSince(n: number): boolean {
    return this.diags.length > n;
  }

  /**
   * Reported even in recovery mode, unlike most errors, as it is no follow-on of an earlier one;
   * but once per body item, as a traversal or a splat may go on past a placeholder and cross the
   * limit again.
   */
  private tooDeep(at: Range): void {
    if (this.nestingReported) {
      this.recovery = true;
      return;
    }
    this.nestingReported = true;
    this.error('Nesting too deep',
      `Blocks, brackets, braces, parentheses, templates, function calls and operators may be nested at most ${MAX_NESTING} levels deep. Move inner parts of a deep value into locals to split it up.`,
      at);
    this.recovery = true;
  }

  // ---- recovery ----

  private static opposite(t: TokenType): TokenType | undefined {
    switch (t) {
      case 'OBrace': return 'CBrace';
      case 'OBrack': return 'CBrack';
      case 'OParen': return 'CParen';
      case 'OQuote': return 'CQuote';
      case 'OHeredoc': return 'CHeredoc';
      case 'CBrace': return 'OBrace';
      case 'CBrack': return 'OBrack';
      case 'CParen': return 'OParen';
      case 'CQuote': return 'OQuote';
      case 'CHeredoc': return 'OHeredoc';
      case 'TemplateControl':
      case 'TemplateInterp': return 'TemplateSeqEnd';
      case 'TemplateSeqEnd': return 'TemplateInterp';
      default: return undefined;
    }
  }

  /** Skip to just after the `end` that closes the current nesting level. */
  private recover(end: TokenType): Token {
    const start = Parser.opposite(end);
    this.recovery = true;
    let nest = 0;
    for (;;) {
      const tok = this.read();
      let ty = tok.type;
      if (end === 'TemplateSeqEnd' && ty === 'TemplateControl') ty = 'TemplateInterp';
      if (ty === start) nest++;
      else if (ty === end) {
        if (nest < 1) return tok;
        nest--;
      } else if (ty === 'EOF') return tok;
    }
  }

  private recoverOver(start: TokenType): void {
    const end = Parser.opposite(start)!;
    for (;;) {
      const t = this.read();
      if (t.type === start || t.type === 'EOF') break;
    }
    this.recover(end);
  }

  private recoverAfterBodyItem(): void {
    this.recovery = true;
    const open: TokenType[] = [];
    for (;;) {
      const tok = this.read();
      switch (tok.type) {
        case 'Newline':
          if (open.length === 0) return;
          break;
        case 'EOF':
          return;
        case 'OBrace': case 'OBrack': case 'OParen': case 'OQuote': case 'OHeredoc':
        case 'TemplateInterp': case 'TemplateControl':
          open.push(tok.type);
          break;
        case 'CBrace': case 'CBrack': case 'CParen': case 'CQuote': case 'CHeredoc': {
          const opener = Parser.opposite(tok.type);
          while (open.length > 0 && open[open.length - 1] !== opener) open.pop();
          if (open.length > 0) open.pop();
          break;
        }
        case 'TemplateSeqEnd':
          while (open.length > 0 && open[open.length - 1] !== 'TemplateInterp' && open[open.length - 1] !== 'TemplateControl') open.pop();
          if (open.length > 0) open.pop();
          break;
        default:
          break;
      }
    }
  }

  // ---- structure ----

  parseBody(end: 'EOF' | 'CBrace', startRange: Range): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const items: (Attribute | Block)[] = [];
    const seen = new Map<string, Attribute>();
    let endRange: Range;

    for (;;) {
      const next = this.peek();
      if (next.type === end) {
        endRange = next.range;
        this.read();
        break;
      }
      if (next.type === 'Newline') {
        this.read();
        continue;
      }
      if (next.type === 'Ident') {
        const item = this.parseBodyItem();
        if (!item) continue;
        if (item.kind === 'Block') {
          blocks.push(item);
          items.push(item);
        } else {
          const existing = seen.get(item.name);
          if (existing) {
            this.error('Attribute redefined',
              `The argument "${item.name}" was already set at ${rangeString(existing.nameRange)}. Each argument may be set only once.`,
              item.nameRange);
          } else {
            seen.set(item.name, item);
            attributes.push(item);
            items.push(item);
          }
        }
        continue;
      }
      const bad = this.read();
      if (!this.recovery) {
        if (bad.type === 'OQuote') {
          this.error('Invalid argument name', 'Argument names must not be quoted.', bad.range);
        } else if (bad.type === 'EOF') {
          if (end === 'CBrace') {
            this.error('Unclosed configuration block',
              'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
              startRange);
          } else {
            this.error('Unclosed configuration body', 'Found end of file before the end of this configuration body.', startRange);
          }
        } else {
          this.error('Argument or block definition required', 'An argument or block definition is required here.', bad.range);
        }
      }
      endRange = this.prevRange();
      this.recover(end);
      break;
    }
    return {
      kind: 'Body', attributes: fit(attributes), blocks: fit(blocks), items: fit(items),
      range: between(startRange, endRange),
      endRange: rangeAtEnd(endRange),
    };
  }

  private parseBodyItem(): Attribute | Block | undefined {
    this.nestingReported = false;
    const ident = this.read();
    const next = this.peek();
    switch (next.type) {
      case 'Equal':
        return this.finishAttribute(ident, false);
      case 'OQuote':
      case 'OBrace':
      case 'Ident':
        return this.finishBlock(ident);
      default:
        this.recoverAfterBodyItem();
        this.error('Argument or block definition required',
          'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
          ident.range);
        return undefined;
    }
  }

  private finishAttribute(ident: Token, singleLine: boolean): Attribute {
    const eq = this.read();
    const before = this.diags.length;
    const firstToken = this.next;
    let expr = this.parseExpression();
    // Operator chains (1 + 1 + ...) and traversals (a.b.c...) are parsed by loops but make trees
    // as deep as they are long, and later stages recurse on trees. A tree is never deeper than
    // the number of tokens it was read from, so only long expressions need the walk.
    const budget = MAX_NESTING - this.depth;
    if (this.next - firstToken >= budget && !this.errorsSince(before)) {
      const deep = nodeDeeperThan(expr, budget);
      if (deep) {
        this.tooDeep(deep);
        expr = this.placeholder(expr.range);
      }
    }
    let endRange: Range;
    if (this.recovery && this.errorsSince(before)) {
      endRange = this.prevRange();
      this.recoverAfterBodyItem();
    } else {
      endRange = this.prevRange();
      if (!singleLine) {
        const end = this.peek();
        if (end.type !== 'Newline' && end.type !== 'EOF') {
          if (!this.recovery) {
            let summary = 'Missing newline after argument';
            let detail = 'An argument definition must end with a newline.';
            if (end.type === 'Comma') {
              summary = 'Unexpected comma after argument';
              detail = 'Argument definitions must be separated by newlines, not commas. ' + detail;
            }
            this.error(summary, detail, end.range, between(ident.range, end.range));
          }
          endRange = this.prevRange();
          this.recoverAfterBodyItem();
        } else {
          endRange = this.prevRange();
          this.read();
        }
      }
    }
    return {
      kind: 'Attribute',
      name: this.text(ident),
      expr,
      range: between(ident.range, endRange),
      nameRange: ident.range,
      equalsRange: eq.range,
    };
  }

  private finishBlock(ident: Token): Block | undefined {
    const type = this.text(ident);
    const labels: string[] = [];
    const labelRanges: Range[] = [];
    let oBrace: Token;
    for (;;) {
      const tok = this.peek();
      if (tok.type === 'OBrace') {
        oBrace = this.read();
        break;
      }
      if (tok.type === 'OQuote') {
        const [label, range] = this.parseQuotedStringLiteral();
        labels.push(label);
        labelRanges.push(range);
        continue;
      }
      if (tok.type === 'Ident') {
        this.read();
        labels.push(this.text(tok));
        labelRanges.push(tok.range);
        continue;
      }
      if (tok.type === 'Equal') {
        this.error('Invalid block definition', 'The equals sign "=" indicates an argument definition, and must not be used when defining a block.',
          tok.range, between(ident.range, tok.range));
      } else if (tok.type === 'Newline') {
        this.error('Invalid block definition', 'A block definition must have block content delimited by "{" and "}", starting on the same line as the block header.',
          tok.range, between(ident.range, tok.range));
      } else if (!this.recovery) {
        this.error('Invalid block definition', 'Either a quoted string block label or an opening brace ("{") is expected here.',
          tok.range, between(ident.range, tok.range));
      }
      this.recoverAfterBodyItem();
      const endRange = labelRanges.length > 0 ? labelRanges[labelRanges.length - 1]! : ident.range;
      return {
        kind: 'Block', type, labels,
        body: { kind: 'Body', attributes: [], blocks: [], items: [], range: ident.range, endRange: ident.range },
        range: between(ident.range, endRange),
        typeRange: ident.range, labelRanges, openBraceRange: ident.range, closeBraceRange: endRange,
      };
    }

    let body: Body;
    const after = this.peek().type;
    if (this.depth >= MAX_NESTING) {
      this.tooDeep(oBrace.range);
      const close = this.recover('CBrace');
      body = { kind: 'Body', attributes: [], blocks: [], items: [], range: between(oBrace.range, close.range), endRange: rangeAtStart(close.range) };
    } else if (after === 'Newline' || after === 'EOF' || after === 'CBrace') {
      this.depth++;
      body = this.parseBody('CBrace', oBrace.range);
      this.depth--;
    } else {
      this.depth++;
      body = this.parseSingleAttrBody(oBrace);
      this.depth--;
      const t = this.peek();
      if (t.type === 'CBrace') {
        this.read();
      } else if (t.type === 'Comma') {
        this.error('Invalid single-argument block definition',
          'Single-line block syntax can include only one argument definition. To define multiple arguments, use the multi-line block syntax with one argument definition per line.',
          t.range);
        this.recover('CBrace');
      } else if (t.type === 'Newline') {
        this.error('Invalid single-argument block definition',
          "An argument definition on the same line as its containing block creates a single-line block definition, which must also be closed on the same line. Place the block's closing brace immediately after the argument definition.",
          t.range);
        this.recover('CBrace');
      } else {
        if (!this.recovery) {
          if (t.type === 'EOF') {
            this.error('Unclosed configuration block',
              'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
              oBrace.range, between(ident.range, oBrace.range));
          } else {
            this.error('Invalid single-argument block definition',
              'A single-line block definition must end with a closing brace immediately after its single argument definition.',
              t.range);
          }
        }
        this.recover('CBrace');
      }
    }
    const cBraceRange = this.prevRange();
    const eol = this.peek();
    if (eol.type === 'Newline' || eol.type === 'EOF') {
      this.read();
    } else {
      if (!this.recovery) {
        this.error('Missing newline after block definition', 'A block definition must end with a newline.', eol.range, between(ident.range, eol.range));
      }
      this.recoverAfterBodyItem();
    }
    return {
      kind: 'Block', type, labels: fit(labels), body,
      range: between(ident.range, cBraceRange),
      typeRange: ident.range, labelRanges: fit(labelRanges), openBraceRange: oBrace.range, closeBraceRange: cBraceRange,
    };
  }

  /** `name { arg = value }`: a block holding exactly one argument, all on one line. */
  private parseSingleAttrBody(oBrace: Token): Body {
    const ident = this.read();
    const empty = (): Body => ({
      kind: 'Body', attributes: [], blocks: [], items: [], range: between(oBrace.range, ident.range),
      endRange: rangeAtEnd(ident.range),
    });
    if (ident.type !== 'Ident') {
      this.recoverAfterBodyItem();
      this.error('Argument or block definition required', 'An argument or block definition is required here.', ident.range);
      return empty();
    }
    const next = this.peek();
    if (next.type === 'Equal') {
      const attr = this.finishAttribute(ident, true);
      return {
        kind: 'Body', attributes: [attr], blocks: [], items: [attr], range: attr.range,
        endRange: rangeAtEnd(attr.range),
      };
    }
    this.recoverAfterBodyItem();
    if (next.type === 'OQuote' || next.type === 'OBrace' || next.type === 'Ident') {
      this.error('Argument definition required',
        `A single-line block definition can contain only a single argument. If you meant to define argument "${this.text(ident)}", use an equals sign to assign it a value. To define a nested block, place it on a line of its own within its parent block.`,
        between(ident.range, next.range));
    } else {
      this.error('Argument or block definition required',
        'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.',
        ident.range);
    }
    return empty();
  }

  // ---- expressions ----

  parseExpression(): Expression {
    if (this.depth >= MAX_NESTING) {
      const t = this.peek();
      this.tooDeep(t.range);
      return this.placeholder(t.range);
    }
    this.depth++;
    const e = this.parseConditional();
    this.depth--;
    return e;
  }

  private placeholder(range: Range): Expression {
    // hclsyntax puts an unknown value where an expression could not be parsed; the syntax tree
    // has no such node, so a null literal stands in (only ever alongside an error diagnostic).
    return { kind: 'Literal', value: null, range };
  }

  private parseConditional(): Expression {
    const startTok = this.peek();
    let before = this.diags.length;
    const cond = this.parseBinary(0);
    if (this.recovery && this.errorsSince(before)) return cond;
    if (this.peek().type !== 'Question') return cond;
    this.read();
    before = this.diags.length;
    const then = this.parseExpression();
    if (this.recovery && this.errorsSince(before)) return cond;
    const colon = this.peek();
    if (colon.type !== 'Colon') {
      this.error('Missing false expression in conditional', 'The conditional operator (...?...:...) requires a false expression, delimited by a colon.',
        colon.range, between(startTok.range, colon.range));
      return cond;
    }
    this.read();
    before = this.diags.length;
    const els = this.parseExpression();
    if (this.recovery && this.errorsSince(before)) return cond;
    return { kind: 'Conditional', cond, then, else: els, range: between(startTok.range, els.range) };
  }

  /**
   * Precedence climbing: one call per operator of higher precedence, not one per precedence
   * level, so that each level of bracket nesting costs the stack a handful of frames instead of
   * a dozen. The trees are hclsyntax's: operators of one level associate to the left.
   */
  private parseBinary(minLevel: number): Expression {
    if (minLevel === BINARY_LEVELS.length) return this.parseTermWithTraversals();
    let before = this.diags.length;
    let lhs = this.parseTermWithTraversals();
    if (this.recovery && this.errorsSince(before)) return lhs;
    for (;;) {
      const next = this.peek();
      const level = BINARY_LEVEL_OF[next.type] ?? -1;
      if (level < minLevel) return lhs;
      const op = BINARY_LEVELS[level]![next.type]!;
      const opRange = this.read().range;
      before = this.diags.length;
      const rhs = this.parseBinary(level + 1);
      if (this.recovery && this.errorsSince(before)) return lhs;
      lhs = { kind: 'Binary', op, left: lhs, right: rhs, opRange, range: between(lhs.range, rhs.range) };
    }
  }

  private parseTermWithTraversals(): Expression {
    const term = this.parseTerm();
    return this.parseTraversals(term);
  }

  private parseTraversals(from: Expression): Expression {
    let ret = from;
    for (;;) {
      const next = this.peek();
      if (next.type === 'Dot') {
        const dot = this.read();
        const attrTok = this.peek();
        if (attrTok.type === 'Ident') {
          this.read();
          ret = { kind: 'GetAttr', object: ret, name: this.text(attrTok), nameRange: attrTok.range, range: between(ret.range, attrTok.range) };
        } else if (attrTok.type === 'NumberLit') {
          this.read();
          ret = this.legacyIndex(ret, attrTok, false);
        } else if (attrTok.type === 'Star') {
          const marker = this.read();
          const item: Expression = { kind: 'SplatItem', range: between(dot.range, marker.range) };
          let each: Expression = item;
          let lastRange = marker.range;
          while (this.peek().type === 'Dot') {
            this.read();
            const t = this.peek();
            if (t.type === 'NumberLit') {
              this.read();
              each = this.legacyIndex(each, t, true);
              lastRange = t.range;
              continue;
            }
            if (t.type !== 'Ident') {
              if (!this.recovery) {
                if (t.type === 'Star') {
                  this.error('Nested splat expression not allowed', 'A splat expression (*) cannot be used inside another attribute-only splat expression.', t.range);
                } else {
                  this.error('Invalid attribute name', 'An attribute name is required after a dot.', attrTok.range);
                }
              }
              this.recovery = true;
              break;
            }
            this.read();
            each = { kind: 'GetAttr', object: each, name: this.text(t), nameRange: t.range, range: between(each.range, t.range) };
            lastRange = t.range;
          }
          ret = { kind: 'Splat', source: ret, each, style: 'attr', range: between(from.range, lastRange) };
        } else {
          this.error('Invalid attribute name', 'An attribute name is required after a dot.', attrTok.range);
          this.recovery = true;
          ret = this.placeholder(between(from.range, dot.range));
        }
        continue;
      }
      if (next.type === 'OBrack') {
        const open = this.read();
        if (this.peek().type === 'Star') {
          this.read();
          let close = this.read();
          if (close.type !== 'CBrack' && !this.recovery) {
            this.error('Missing close bracket on splat index', 'The star for a full splat operator must be immediately followed by a closing bracket ("]").', close.range);
            close = this.recover('CBrack');
          }
          const item: Expression = { kind: 'SplatItem', range: between(open.range, close.range) };
          if (this.depth >= MAX_NESTING) {
            this.tooDeep(open.range);
            return this.placeholder(between(from.range, close.range));
          }
          const before = this.diags.length;
          this.depth++;
          const each = this.parseTraversals(item);
          this.depth--;
          ret = { kind: 'Splat', source: ret, each, style: 'full', range: between(from.range, each.range) };
          if (this.recovery && this.errorsSince(before)) return ret;
          continue;
        }
        this.pushNl(false);
        const before = this.diags.length;
        const key = this.parseExpression();
        let close: Token;
        if (this.recovery && this.errorsSince(before)) {
          close = this.recover('CBrack');
        } else {
          close = this.read();
          if (close.type !== 'CBrack' && !this.recovery) {
            this.error('Missing close bracket on index', 'The index operator must end with a closing bracket ("]").', close.range);
            close = this.recover('CBrack');
          }
        }
        this.popNl();
        ret = { kind: 'Index', collection: ret, key, legacy: false, range: between(from.range, close.range) };
        continue;
      }
      return ret;
    }
  }

  /** `a.0`: HIL's way of indexing, kept by HCL for old configurations. */
  private legacyIndex(collection: Expression, numTok: Token, inSplat: boolean): Expression {
    const text = this.text(numTok);
    const dotIdx = text.indexOf('.');
    if (dotIdx >= 0) {
      const first = text.slice(0, dotIdx);
      const second = text.slice(dotIdx + 1);
      this.error('Invalid legacy index syntax',
        inSplat
          ? `When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax with a full splat expression [*] instead, like [${first}][${second}].`
          : `When using the legacy index syntax, chaining two indexes together is not permitted. Use the proper index syntax instead, like [${first}][${second}].`,
        numTok.range);
    } else {
      this.checkNumber(numTok);
    }
    return {
      kind: 'Index', collection, key: { kind: 'Number', text, range: numTok.range }, legacy: true,
      range: between(collection.range, numTok.range),
    };
  }

  private checkNumber(tok: Token): void {
    if (!NUMBER.test(this.text(tok))) {
      this.error('Invalid number literal', 'Failed to recognize the value of this number literal.', tok.range);
    }
  }

  private parseTerm(): Expression {
    const start = this.peek();
    switch (start.type) {
      case 'OParen': {
        const oParen = this.read();
        this.pushNl(false);
        const before = this.diags.length;
        const expr = this.parseExpression();
        if (this.errorsSince(before)) {
          this.recover('CParen');
          this.popNl();
          return expr;
        }
        const close = this.peek();
        if (close.type !== 'CParen') {
          this.error('Unbalanced parentheses', 'Expected a closing parenthesis to terminate the expression.', close.range, between(start.range, close.range));
          this.recovery = true;
        }
        const cParen = this.read();
        this.popNl();
        return { kind: 'Parens', expr, range: between(oParen.range, cParen.range) };
      }
      case 'NumberLit': {
        const tok = this.read();
        this.checkNumber(tok);
        return { kind: 'Number', text: this.text(tok), range: tok.range };
      }
      case 'Ident': {
        const tok = this.read();
        const after = this.peek().type;
        if (after === 'OParen' || after === 'DoubleColon') return this.finishFunctionCall(tok);
        const name = this.text(tok);
        if (name === 'true') return { kind: 'Literal', value: true, range: tok.range };
        if (name === 'false') return { kind: 'Literal', value: false, range: tok.range };
        if (name === 'null') return { kind: 'Literal', value: null, range: tok.range };
        return { kind: 'Variable', name, range: tok.range };
      }
      case 'OQuote':
      case 'OHeredoc': {
        const open = this.read();
        const heredoc = open.type === 'OHeredoc';
        if (!heredoc) {
          const plain = this.plainQuoted(open);
          if (plain) return plain;
        }
        const flush = heredoc && this.src.charCodeAt(open.start + 2) === 45;
        const parts = this.parseTemplateInner(heredoc ? 'CHeredoc' : 'CQuote', flush);
        const t: TemplateExpr = { kind: 'Template', parts, range: between(open.range, this.prevRange()) };
        if (heredoc) {
          const text = this.text(open);
          t.heredoc = { marker: text.slice(flush ? 3 : 2).replace(/\r?\n$/, ''), flush };
        }
        return t;
      }
      case 'Minus':
      case 'Bang': {
        if (this.depth >= MAX_NESTING) {
          this.tooDeep(start.range);
          return this.placeholder(start.range);
        }
        const tok = this.read();
        this.depth++;
        const operand = this.parseTermWithTraversals();
        this.depth--;
        return { kind: 'Unary', op: start.type === 'Minus' ? '-' : '!', operand, range: between(tok.range, operand.range) };
      }
      case 'OBrack':
        return this.parseTuple();
      case 'OBrace':
        return this.parseObject();
      default:
        if (!this.recovery) {
          if (start.type === 'EOF') {
            this.error('Missing expression', 'Expected the start of an expression, but found the end of the file.', start.range);
          } else {
            this.error('Invalid expression', 'Expected the start of an expression, but found an invalid expression token.', start.range);
          }
        }
        this.recovery = true;
        return this.placeholder(start.range);
    }
  }

  private finishFunctionCall(nameTok: Token): Expression {
    let openTok = this.read();
    let name = this.text(nameTok);
    let nameEnd = nameTok.range;
    while (openTok.type === 'DoubleColon') {
      const nextName = this.read();
      if (nextName.type !== 'Ident') {
        this.error('Missing function name', 'Function scope resolution symbol :: must be followed by a function name in this scope.',
          nextName.range, between(nameTok.range, nextName.range));
        this.recoverOver('OParen');
        return this.placeholder(between(nameTok.range, nextName.range));
      }
      name += '::' + this.text(nextName);
      nameEnd = nextName.range;
      openTok = this.read();
    }
    const nameRange = between(nameTok.range, nameEnd);
    if (openTok.type !== 'OParen') {
      this.error('Missing open parenthesis', 'Function selector must be followed by an open parenthesis to begin the function call.',
        openTok.range, between(nameTok.range, openTok.range));
      this.recoverOver('OParen');
      return this.placeholder(between(nameTok.range, openTok.range));
    }
    const args: Expression[] = [];
    let expandFinal = false;
    let closeTok: Token | undefined;
    this.pushNl(false);
    for (;;) {
      if (this.peek().type === 'CParen') {
        closeTok = this.read();
        break;
      }
      const before = this.diags.length;
      const arg = this.parseExpression();
      args.push(arg);
      if (this.recovery && this.errorsSince(before)) {
        const t = this.recover('CParen');
        if (t.type === 'CParen') closeTok = t;
        break;
      }
      const sep = this.read();
      if (sep.type === 'CParen') {
        closeTok = sep;
        break;
      }
      if (sep.type === 'Ellipsis') {
        expandFinal = true;
        if (this.peek().type !== 'CParen') {
          if (!this.recovery) {
            this.error('Missing closing parenthesis', 'An expanded function argument (with ...) must be immediately followed by closing parentheses.',
              sep.range, between(nameTok.range, sep.range));
          }
          closeTok = this.recover('CParen');
        } else {
          closeTok = this.read();
        }
        break;
      }
      if (sep.type !== 'Comma') {
        if (sep.type === 'EOF') {
          this.error('Unterminated function call',
            'There is no closing parenthesis for this function call before the end of the file. This may be caused by incorrect parenthesis nesting elsewhere in this file.',
            between(nameTok.range, openTok.range));
        } else {
          this.error('Missing argument separator', 'A comma is required to separate each function argument from the next.',
            sep.range, between(nameTok.range, sep.range));
        }
        closeTok = this.recover('CParen');
        break;
      }
      if (this.peek().type === 'CParen') {
        closeTok = this.read();
        break;
      }
    }
    this.popNl();
    // hcl leaves the close paren's range empty when recovery found none; the last token read stands in.
    const close = closeTok ? closeTok.range : this.prevRange();
    return {
      kind: 'FunctionCall', name, nameRange, args: fit(args), expandFinal, openParenRange: openTok.range, closeParenRange: close,
      range: between(nameRange, close),
    };
  }

  private parseTuple(): Expression {
    const open = this.read();
    this.pushNl(false);
    try {
      if (this.isKeyword(this.peek(), 'for')) return this.finishFor(open);
      const items: Expression[] = [];
      let close: Token;
      for (;;) {
        let next = this.peek();
        if (next.type === 'CBrack') {
          close = this.read();
          break;
        }
        const before = this.diags.length;
        items.push(this.parseExpression());
        if (this.recovery && this.errorsSince(before)) {
          close = this.recover('CBrack');
          break;
        }
        next = this.peek();
        if (next.type === 'CBrack') {
          close = this.read();
          break;
        }
        if (next.type !== 'Comma') {
          if (!this.recovery) {
            if (next.type === 'EOF') {
              this.error('Unterminated tuple constructor expression',
                'There is no corresponding closing bracket before the end of the file. This may be caused by incorrect bracket nesting elsewhere in this file.',
                open.range);
            } else {
              this.error('Missing item separator', 'Expected a comma to mark the beginning of the next item.', next.range, between(open.range, next.range));
            }
          }
          close = this.recover('CBrack');
          break;
        }
        this.read();
      }
      return { kind: 'Tuple', items: fit(items), range: between(open.range, close.range) };
    } finally {
      this.popNl();
    }
  }

  private parseObject(): Expression {
    const open = this.read();
    this.pushNl(false);
    const isFor = this.isKeyword(this.peek(), 'for');
    this.popNl();
    if (isFor) return this.finishFor(open);

    this.pushNl(true);
    const items: ObjectItem[] = [];
    let close: Token;
    for (;;) {
      let next = this.peek();
      if (next.type === 'Newline') {
        this.read();
        continue;
      }
      if (next.type === 'CBrace') {
        close = this.read();
        break;
      }
      const forceNonLiteral = next.type === 'OParen';
      let before = this.diags.length;
      const keyExpr = this.parseExpression();
      if (this.recovery && this.errorsSince(before)) {
        close = this.recover('CBrace');
        break;
      }
      next = this.peek();
      if (next.type !== 'Equal' && next.type !== 'Colon') {
        if (!this.recovery) {
          if (next.type === 'Newline' || next.type === 'Comma') {
            this.error('Missing attribute value', 'Expected an attribute value, introduced by an equals sign ("=").', next.range, between(open.range, next.range));
          } else if (next.type === 'Ident') {
            this.error('Missing key/value separator',
              'Expected an equals sign ("=") to mark the beginning of the attribute value. If you intended to given an attribute name containing periods or spaces, write the name in quotes to create a string literal.',
              next.range, between(open.range, next.range));
          } else if (next.type === 'EOF') {
            this.error('Unterminated object constructor expression',
              'There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
              open.range);
          } else {
            this.error('Missing key/value separator', 'Expected an equals sign ("=") to mark the beginning of the attribute value.', next.range, between(open.range, next.range));
          }
        }
        close = this.recover('CBrace');
        break;
      }
      this.read();
      before = this.diags.length;
      const value = this.parseExpression();
      items.push({
        key: { kind: 'ObjectKey', expr: keyExpr, bare: !forceNonLiteral && keyExpr.kind === 'Variable', range: keyExpr.range },
        value,
      });
      if (this.recovery && this.errorsSince(before)) {
        close = this.recover('CBrace');
        break;
      }
      next = this.peek();
      if (next.type === 'CBrace') {
        close = this.read();
        break;
      }
      if (next.type !== 'Comma' && next.type !== 'Newline') {
        if (!this.recovery) {
          if (next.type === 'EOF') {
            this.error('Unterminated object constructor expression',
              'There is no corresponding closing brace before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.',
              open.range);
          } else {
            this.error('Missing attribute separator', 'Expected a newline or comma to mark the beginning of the next attribute.', next.range, between(open.range, next.range));
          }
        }
        close = this.recover('CBrace');
        break;
      }
      this.read();
    }
    this.popNl();
    return { kind: 'Object', items: fit(items), range: between(open.range, close.range) };
  }

  private finishFor(open: Token): Expression {
    this.pushNl(false);
    try {
      this.read(); // "for"
      const makeObj = open.type === 'OBrace';
      const closeType: TokenType = makeObj ? 'CBrace' : 'CBrack';
      const bail = (detail: string): Expression => {
        if (!this.recovery) {
          const t = this.peek();
          this.error("Invalid 'for' expression", detail, t.range, between(open.range, t.range));
        }
        const close = this.recover(closeType);
        return this.placeholder(between(open.range, close.range));
      };
      if (this.peek().type !== 'Ident') return bail("For expression requires variable name after 'for'.");
      let valVar = this.text(this.read());
      let keyVar: string | undefined;
      if (this.peek().type === 'Comma') {
        keyVar = valVar;
        this.read();
        if (this.peek().type !== 'Ident') return bail('For expression requires value variable name after comma.');
        valVar = this.text(this.read());
      }
      if (!this.isKeyword(this.peek(), 'in')) return bail("For expression requires the 'in' keyword after its name declarations.");
      this.read();
      let before = this.diags.length;
      const collection = this.parseExpression();
      if (this.recovery && this.errorsSince(before)) {
        const close = this.recover(closeType);
        return this.placeholder(between(open.range, close.range));
      }
      if (this.peek().type !== 'Colon') return bail('For expression requires a colon after the collection expression.');
      this.read();
      before = this.diags.length;
      let valExpr = this.parseExpression();
      let keyExpr: Expression | undefined;
      if (this.peek().type === 'FatArrow') {
        this.read();
        keyExpr = valExpr;
        valExpr = this.parseExpression();
      }
      if (this.recovery && this.errorsSince(before)) {
        const close = this.recover(closeType);
        return this.placeholder(between(open.range, close.range));
      }
      let group = false;
      let ellipsis: Token | undefined;
      if (this.peek().type === 'Ellipsis') {
        ellipsis = this.read();
        group = true;
      }
      let cond: Expression | undefined;
      if (this.isKeyword(this.peek(), 'if')) {
        this.read();
        before = this.diags.length;
        cond = this.parseExpression();
        if (this.recovery && this.errorsSince(before)) {
          const close = this.recover(closeType);
          return this.placeholder(between(open.range, close.range));
        }
      }
      let close: Token;
      if (this.peek().type === closeType) {
        close = this.read();
      } else {
        if (!this.recovery) {
          const t = this.peek();
          this.error("Invalid 'for' expression", "Extra characters after the end of the 'for' expression.", t.range, between(open.range, t.range));
        }
        close = this.recover(closeType);
      }
      const whole = between(open.range, close.range);
      if (!makeObj) {
        if (keyExpr) this.error("Invalid 'for' expression", 'Key expression is not valid when building a tuple.', keyExpr.range, whole);
        if (group) this.error("Invalid 'for' expression", 'Grouping ellipsis (...) cannot be used when building a tuple.', ellipsis!.range, whole);
      } else if (!keyExpr) {
        this.error("Invalid 'for' expression", 'Key expression is required when building an object.', valExpr.range, whole);
      }
      const f: Expression = { kind: 'For', valVar, collection, valExpr, group, range: whole };
      if (keyVar !== undefined) f.keyVar = keyVar;
      if (keyExpr) f.keyExpr = keyExpr;
      if (cond) f.cond = cond;
      return f;
    } finally {
      this.popNl();
    }
  }

  /** A quoted string that may not contain template sequences (block labels). */
  private parseQuotedStringLiteral(): [string, Range] {
    const oQuote = this.read();
    let out = '';
    let endRange: Range;
    for (;;) {
      const tok = this.read();
      if (tok.type === 'CQuote') {
        endRange = tok.range;
        break;
      }
      if (tok.type === 'QuotedLit') {
        // Unlike template literals, hcl does not normalise labels after their escapes.
        out += this.unescape(tok, true, false);
        continue;
      }
      if (tok.type === 'TemplateInterp' || tok.type === 'TemplateControl') {
        const which = tok.type === 'TemplateControl' ? '%' : '$';
        this.error('Invalid string literal',
          `Template sequences are not allowed in this string. To include a literal "${which}", double it (as "${which}${which}") to escape it.`,
          tok.range, between(oQuote.range, tok.range));
        out += which + '{ ... }';
        this.recover('TemplateSeqEnd');
        continue;
      }
      if (tok.type === 'EOF') {
        this.error('Unterminated string literal', 'Unable to find the closing quote mark before the end of the file.', tok.range, between(oQuote.range, tok.range));
        endRange = tok.range;
        break;
      }
      this.error('Invalid string literal', 'This item is not valid in a string literal.', tok.range, between(oQuote.range, tok.range));
      this.recover('CQuote');
      endRange = tok.range;
      break;
    }
    return [out, between(oQuote.range, endRange)];
  }

  /**
   * Resolve escapes in a literal token: backslash escapes in quoted strings only, `$${` and `%%{`
   * everywhere. Errors point at the offending escape.
   */
  private unescape(tok: Token, quoted: boolean, nfc = true): string {
    const s = this.src;
    const end = tok.end;
    let i = tok.start;
    // Fast path: nothing to resolve.
    let j = i;
    for (; j < end; j++) {
      const c = s.charCodeAt(j);
      if ((c === 92 && quoted) || c === 36 || c === 37) break;
    }
    if (j === end) return s.slice(i, end);
    let out = s.slice(i, j);
    i = j;
    while (i < end) {
      const c = s.charCodeAt(i);
      if (c === 92 && quoted) {
        const sel = s[i + 1];
        const simple = sel === 'n' ? '\n' : sel === 'r' ? '\r' : sel === 't' ? '\t' : sel === '"' ? '"' : sel === '\\' ? '\\' : undefined;
        if (simple !== undefined) {
          out += simple;
          i += 2;
          continue;
        }
        if (sel === 'u' || sel === 'U') {
          const want = sel === 'u' ? 4 : 8;
          let k = i + 2;
          while (k < end && k < i + 2 + want && /[0-9a-fA-F]/.test(s[k]!)) k++;
          if (k - (i + 2) !== want) {
            this.error('Invalid escape sequence',
              sel === 'u' ? 'The \\u escape sequence must be followed by four hexadecimal digits.' : 'The \\U escape sequence must be followed by eight hexadecimal digits.',
              this.subRange(tok, i, k));
            out += s.slice(i, k);
            i = k;
            continue;
          }
          const cp = parseInt(s.slice(i + 2, k), 16);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            this.error('Invalid escape sequence', `Cannot encode character U+${cp.toString(16).padStart(4, '0')} in UTF-8.`, this.subRange(tok, i, k));
          } else {
            out += String.fromCodePoint(cp);
          }
          i = k;
          continue;
        }
        const selLen = sel === undefined ? 0 : (sel.charCodeAt(0) & 0xfc00) === 0xd800 ? 2 : 1;
        if (selLen === 0) {
          this.error('Invalid escape sequence', 'Backslash must be followed by an escape sequence selector character.', this.subRange(tok, i, i + 1));
          out += '\\';
          i += 1;
          continue;
        }
        const selector = s.slice(i + 1, i + 1 + selLen);
        this.error('Invalid escape sequence', `The symbol ${JSON.stringify(selector)} is not a valid escape sequence selector.`, this.subRange(tok, i, i + 1 + selLen));
        out += selector;
        i += 1 + selLen;
        continue;
      }
      if ((c === 36 || c === 37) && s.charCodeAt(i + 1) === c && s.charCodeAt(i + 2) === 123) {
        out += s[i]! + '{';
        i += 3;
        continue;
      }
      out += s[i];
      i++;
    }
    // The file was normalised before scanning, but an escape can produce what normalisation
    // would have composed ("e\u0301"); hcl normalises each literal again once it is decoded.
    // eslint-disable-next-line no-control-regex
    return !nfc || /^[\x00-\x7f]*$/.test(out) ? out : out.normalize('NFC');
  }

  /** The range of source[from, to) within a single-line literal token. */
  private subRange(tok: Token, from: number, to: number): Range {
    const r = tok.range;
    const s = this.src;
    const adv = (p: { line: number; column: number; byte: number }, a: number, b: number) => {
      let { line, column, byte } = p;
      for (let i = a; i < b; i++) {
        const c = s.charCodeAt(i);
        if (c === 10) {
          line++;
          column = 1;
        } else if ((c & 0xfc00) !== 0xdc00) column++;
        byte += c < 0x80 ? 1 : c < 0x800 ? 2 : (c & 0xfc00) === 0xd800 ? 4 : (c & 0xfc00) === 0xdc00 ? 0 : 3;
      }
      return { line, column, byte };
    };
    // Errors in one literal come in order: carry on from the last one rather than from the
    // token's start, or a literal of many bad escapes costs its length squared.
    const c = this.subRangeCache;
    const start = c && c.tokStart === tok.start && c.at <= from ? adv(c.pos, c.at, from) : adv(r.start, tok.start, from);
    const end = adv(start, from, to);
    this.subRangeCache = { tokStart: tok.start, at: to, pos: end };
    return { filename: r.filename, start, end };
  }

  private subRangeCache: { tokStart: number; at: number; pos: { line: number; column: number; byte: number } } | undefined;

  // ---- templates ----

  /**
   * A quoted string with no interpolation or directive ("sleep"), the most common expression
   * there is, as the template the general path below builds for it, without its intermediate
   * parts, melding and builder. Anything else is left to the general path.
   */
  private plainQuoted(open: Token): TemplateExpr | undefined {
    const { types, count } = this.tokens;
    const at = this.next;
    if (!(at + 1 < count && types[at] === T.QuotedLit && types[at + 1] === T.CQuote)) return undefined;
    const lit = this.read();
    const parts: TemplatePart[] = [{ kind: 'TemplateLiteral', value: this.unescape(lit, true), range: lit.range }];
    const close = this.read();
    return { kind: 'Template', parts, range: between(open.range, close.range) };
  }

  private parseTemplateInner(end: 'CQuote' | 'CHeredoc', flush: boolean): TemplatePart[] {
    const parts = this.parseTemplateParts(end);
    // The builder below recurses once per nested %{if} or %{for}.
    let level = this.depth;
    for (const p of parts) {
      if (p.k === 'if' || p.k === 'for') {
        if (++level > MAX_NESTING) {
          this.tooDeep(p.range);
          return [{ kind: 'TemplateLiteral', value: '', range: p.range }];
        }
      } else if ((p.k === 'endif' || p.k === 'endfor') && level > this.depth) {
        level--;
      }
    }
    if (flush) flushHeredoc(parts);
    meldLiterals(parts);
    const builder = new TemplateBuilder(parts, this.diags);
    return builder.root();
  }

  private parseTemplateParts(end: TokenType): TPart[] {
    const parts: TPart[] = [];
    const startRange = this.peek().range;
    let ltrimNext = false;
    let nextCanTrimPrev = false;
    let endRange: Range;
    for (;;) {
      const next = this.read();
      if (next.type === end) {
        endRange = next.range;
        break;
      }
      const ltrim = ltrimNext;
      ltrimNext = false;
      const canTrimPrev = nextCanTrimPrev;
      nextCanTrimPrev = false;
      if (next.type === 'StringLit' || next.type === 'QuotedLit') {
        let value = this.unescape(next, next.type === 'QuotedLit');
        if (ltrim) value = value.replace(IS_SPACE_LEFT, '');
        parts.push({ k: 'lit', value, range: next.range });
        nextCanTrimPrev = true;
        continue;
      }
      if (next.type === 'TemplateInterp' || next.type === 'TemplateControl') {
        const stripLeft = next.end - next.start === 3;
        if (canTrimPrev && stripLeft && parts.length > 0) {
          const prev = parts[parts.length - 1]!;
          if (prev.k === 'lit') prev.value = prev.value.replace(IS_SPACE_RIGHT, '');
        }
        this.pushNl(false);
        if (next.type === 'TemplateInterp') {
          const expr = this.parseExpression();
          const close = this.peek();
          let stripRight = false;
          if (close.type !== 'TemplateSeqEnd') {
            if (!this.recovery) {
              if (close.type === 'EOF') {
                this.error('Unclosed template interpolation sequence',
                  'There is no closing brace for this interpolation sequence before the end of the file. This might be caused by incorrect nesting inside the given expression.',
                  startRange);
              } else if (close.type === 'Colon') {
                this.error('Extra characters after interpolation expression',
                  'Template interpolation doesn\'t expect a colon at this location. Did you intend this to be a literal sequence to be processed as part of another language? If so, you can escape it by starting with "$${" instead of just "${".',
                  close.range, between(startRange, close.range));
              } else if ((close.type === 'CQuote' || close.type === 'OQuote') && end === 'CQuote') {
                this.error('Unclosed template interpolation sequence',
                  'There is no closing brace for this interpolation sequence before the end of the quoted template. This might be caused by incorrect nesting inside the given expression.',
                  startRange);
              } else {
                this.error('Extra characters after interpolation expression',
                  'Expected a closing brace to end the interpolation expression, but found extra characters.\n\nThis can happen when you include interpolation syntax for another language, such as shell scripting, but forget to escape the interpolation start token. If this is an embedded sequence for another language, escape it by starting with "$${" instead of just "${".',
                  close.range, between(startRange, close.range));
              }
            }
            this.recover('TemplateSeqEnd');
          } else {
            this.read();
            if (close.end - close.start === 2) {
              ltrimNext = true;
              stripRight = true;
            }
          }
          this.popNl();
          parts.push({ k: 'interp', expr, range: between(next.range, close.range), stripLeft, stripRight });
          continue;
        }
        // A %{ ... } directive.
        const kw = this.peek();
        if (kw.type !== 'Ident') {
          if (!this.recovery) {
            this.error('Invalid template directive', 'A template directive keyword ("if", "for", etc) is expected at the beginning of a %{ sequence.',
              kw.range, between(next.range, kw.range));
          }
          this.recover('TemplateSeqEnd');
          this.popNl();
          continue;
        }
        this.read();
        const word = this.text(kw);
        if (word === 'if') {
          const cond = this.parseExpression();
          parts.push({ k: 'if', cond, range: between(next.range, this.peek().range) });
        } else if (word === 'else' || word === 'endif' || word === 'endfor') {
          parts.push({ k: word, range: between(next.range, this.peek().range) });
        } else if (word === 'for') {
          const fail = (detail: string): void => {
            if (!this.recovery) this.error("Invalid 'for' directive", detail, this.peek().range);
            this.recover('TemplateSeqEnd');
            this.popNl();
          };
          if (this.peek().type !== 'Ident') {
            fail("For directive requires variable name after 'for'.");
            continue;
          }
          let valVar = this.text(this.read());
          let keyVar: string | undefined;
          if (this.peek().type === 'Comma') {
            keyVar = valVar;
            this.read();
            if (this.peek().type !== 'Ident') {
              fail('For directive requires value variable name after comma.');
              continue;
            }
            valVar = this.text(this.read());
          }
          if (!this.isKeyword(this.peek(), 'in')) {
            fail("For directive requires 'in' keyword after names.");
            continue;
          }
          this.read();
          const coll = this.parseExpression();
          parts.push({ k: 'for', keyVar, valVar, coll, range: between(next.range, this.peek().range) });
        } else {
          if (!this.recovery) {
            const suggestion = suggest(word, ['if', 'for', 'else', 'endif', 'endfor']);
            this.error('Invalid template control keyword',
              `"${word}" is not a valid template control keyword.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
              kw.range, between(next.range, kw.range));
          }
          this.recover('TemplateSeqEnd');
          this.popNl();
          continue;
        }
        const close = this.peek();
        if (close.type !== 'TemplateSeqEnd') {
          if (!this.recovery) {
            this.error(`Extra characters in ${word} marker`, 'Expected a closing brace to end the sequence, but found extra characters.',
              close.range, between(startRange, close.range));
          }
          this.recover('TemplateSeqEnd');
        } else {
          this.read();
          if (close.end - close.start === 2) ltrimNext = true;
        }
        this.popNl();
        continue;
      }
      if (!this.recovery) {
        this.error('Unterminated template string', 'No closing marker was found for the string.', next.range, between(startRange, next.range));
      }
      endRange = this.recover(end).range;
      break;
    }
    if (parts.length === 0) {
      parts.push({ k: 'lit', value: '', range: rangeAtStart(startRange) });
    }
    parts.push({ k: 'end', range: endRange });
    return parts;
  }
}

/** The range of a node more than `budget` levels below `root` and above, found without recursion. */
function nodeDeeperThan(root: Expression, budget: number): Range | undefined {
  const nodes: AstNode[] = [root];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const n = nodes.pop()!;
    const d = depths.pop()!;
    if (d > budget) return n.range;
    for (const c of childrenOf(n)) {
      nodes.push(c);
      depths.push(d + 1);
    }
  }
  return undefined;
}

/** Flush heredocs (`<<-`): remove the smallest indentation of any line from every line. */
function flushHeredoc(parts: TPart[]): void {
  let min = Infinity;
  let newline = true;
  const adjust: { k: 'lit'; value: string; range: Range }[] = [];
  for (const p of parts) {
    if (newline) {
      newline = false;
      let spaces = Infinity;
      if (p.k === 'lit') {
        const trimmed = p.value.replace(IS_SPACE_LEFT, '');
        // A line of only spaces does not count towards the indentation.
        if (!(trimmed.length === 0 && p.value.endsWith('\n'))) {
          spaces = [...p.value.slice(0, p.value.length - trimmed.length)].length;
          adjust.push(p);
        }
      } else if (p.k === 'end') break;
      else spaces = 0;
      if (spaces < min) min = spaces;
    }
    if (p.k === 'lit' && p.value.endsWith('\n')) newline = true;
  }
  if (!Number.isFinite(min) || min === 0) return;
  for (const lit of adjust) {
    let cut = 0;
    for (let n = 0; n < min && cut < lit.value.length; n++) cut += (lit.value.charCodeAt(cut) & 0xfc00) === 0xd800 ? 2 : 1;
    const removed = lit.value.slice(0, cut);
    lit.value = lit.value.slice(cut);
    const bytes = utf8Length(removed);
    const r = lit.range;
    lit.range = r instanceof SourceRange ? r.span(r.from + cut, r.to) : { ...r, start: { line: r.start.line, column: r.start.column + min, byte: r.start.byte + bytes } };
  }
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : (c & 0xfc00) === 0xd800 ? 4 : (c & 0xfc00) === 0xdc00 ? 0 : 3;
  }
  return n;
}

function meldLiterals(parts: TPart[]): void {
  let w = 0;
  for (let r = 0; r < parts.length; r++) {
    const p = parts[r]!;
    const prev = w > 0 ? parts[w - 1]! : undefined;
    if (p.k === 'lit' && prev && prev.k === 'lit') {
      prev.value += p.value;
      prev.range = rangeBetween(prev.range, p.range);
      continue;
    }
    parts[w++] = p;
  }
  parts.length = w;
}

/** Levenshtein-based suggestion, as hcl's didyoumean (distance below 3). */
function suggest(given: string, options: string[]): string | undefined {
  for (const o of options) {
    if (levenshtein(given, o) < 3) return o;
  }
  return undefined;
}

function levenshtein(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** Turns the flat template parts into nested if/for parts (hclsyntax's templateParser). */
class TemplateBuilder {
  private pos = 0;
  private readonly parts: TPart[];
  private readonly diags: Diagnostic[];

  constructor(parts: TPart[], diags: Diagnostic[]) {
    this.parts = parts;
    this.diags = diags;
  }

  private peek(): TPart {
    return this.parts[this.pos]!;
  }

  private read(): TPart {
    const p = this.peek();
    if (p.k !== 'end') this.pos++;
    return p;
  }

  root(): TemplatePart[] {
    const out: TemplatePart[] = [];
    while (this.peek().k !== 'end') {
      const p = this.expr();
      if (p) out.push(p);
    }
    return fit(out);
  }

  private expr(): TemplatePart | undefined {
    const p = this.read();
    switch (p.k) {
      case 'lit':
        return { kind: 'TemplateLiteral', value: p.value, range: p.range };
      case 'interp':
        return { kind: 'TemplateInterp', expr: p.expr, stripLeft: p.stripLeft, stripRight: p.stripRight, range: p.range };
      case 'if':
        return this.ifDirective(p);
      case 'for':
        return this.forDirective(p);
      case 'end':
        this.diags.push(err('Unexpected end of template', 'The control directives within this template are unbalanced.', p.range));
        return undefined;
      default:
        this.diags.push(err(`Unexpected ${p.k} directive`, 'The control directives within this template are unbalanced.', p.range));
        return undefined;
    }
  }

  private ifDirective(open: { k: 'if'; cond: Expression; range: Range }): TemplatePart | undefined {
    const thenParts: TemplatePart[] = [];
    const elseParts: TemplatePart[] = [];
    let current = thenParts;
    let sawElse = false;
    for (;;) {
      const next = this.peek();
      if (next.k === 'end') {
        this.diags.push(err('Unexpected end of template', `The if directive at ${rangeString(open.range)} is missing its corresponding endif directive.`, next.range));
        return undefined;
      }
      if (next.k === 'else' || next.k === 'endif' || next.k === 'endfor') {
        this.read();
        if (next.k === 'else') {
          if (!sawElse) {
            sawElse = true;
            current = elseParts;
            continue;
          }
          this.diags.push(err('Unexpected else directive', `Already in the else clause for the if started at ${rangeString(open.range)}.`, next.range));
          return undefined;
        }
        if (next.k === 'endif') {
          const part: TemplatePart = { kind: 'TemplateIf', cond: open.cond, then: thenParts, range: between(open.range, next.range) };
          if (sawElse) part.else = elseParts;
          return part;
        }
        this.diags.push(err(`Unexpected ${next.k} directive`, `Expecting an endif directive for the if started at ${rangeString(open.range)}.`, next.range));
        return undefined;
      }
      const p = this.expr();
      if (p) current.push(p);
    }
  }

  private forDirective(open: { k: 'for'; keyVar: string | undefined; valVar: string; coll: Expression; range: Range }): TemplatePart | undefined {
    const body: TemplatePart[] = [];
    for (;;) {
      const next = this.peek();
      if (next.k === 'end') {
        this.diags.push(err('Unexpected end of template', `The for directive at ${rangeString(open.range)} is missing its corresponding endfor directive.`, next.range));
        return undefined;
      }
      if (next.k === 'else' || next.k === 'endif' || next.k === 'endfor') {
        this.read();
        if (next.k === 'endfor') {
          const part: TemplatePart = { kind: 'TemplateFor', valVar: open.valVar, collection: open.coll, body, range: between(open.range, next.range) };
          if (open.keyVar !== undefined) part.keyVar = open.keyVar;
          return part;
        }
        if (next.k === 'else') {
          this.diags.push(err('Unexpected else directive', 'An else clause is not expected for a for directive.', next.range));
        } else {
          this.diags.push(err(`Unexpected ${next.k} directive`, `Expecting an endfor directive corresponding to the for directive at ${rangeString(open.range)}.`, next.range));
        }
        return undefined;
      }
      const p = this.expr();
      if (p) body.push(p);
    }
  }
}
