import type { Range } from '../hcl/range.js';
import type { ServiceKind } from '../eval/value.js';

// The decoded configuration: every block evaluated, validated against its schema and expanded
// for for_each, but not yet cross-checked (lang/config/check.ts) or compiled (lang/compile/).

/** A reference as written: `longrun.getty["tty1"]`, or `longrun.getty` for every instance. */
export interface RefUse {
  type: ServiceKind;
  /** The block label. */
  label: string;
  key?: string;
  range: Range;
  /** As written, for messages. */
  address: string;
}

export interface ServiceDecl {
  type: ServiceKind;
  /** The block label (`getty`). */
  label: string;
  /** The for_each key (`tty1`), if the block has for_each. */
  key?: string;
  /** `getty@tty1`, or the label. */
  name: string;
  /** `longrun.getty["tty1"]`, or `longrun.getty`. */
  address: string;
  hasForEach: boolean;
  /** The block's label, where name diagnostics point. */
  labelRange: Range;
  /** The block header (`longrun "x"`). */
  headerRange: Range;
  /** Attribute values after evaluation and schema validation (plain JSON; references as addresses). */
  config: Record<string, unknown>;
  /** Where each attribute was set (attribute name → its expression's range). */
  attrRanges: Map<string, Range>;
  /** References per attribute (depends_on, contents, producer_for, consumer_for), in source order. */
  refs: Map<string, RefUse[]>;
  /** Dotted paths whose value came from a sensitive variable (`env.PASSWORD`, `run`). */
  sensitivePaths: string[];
}

export interface MovedDecl {
  from: RefUse;
  to: RefUse;
  range: Range;
}

export interface Model {
  services: ServiceDecl[];
  moved: MovedDecl[];
  /** `longrun.getty`: blocks left out for an error already reported (for_each, name), so references to them are not reported again. */
  failedBlocks?: string[];
}
