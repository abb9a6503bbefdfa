import { createHash } from 'node:crypto';
import type { CompiledDb } from '../lang/compile/compiled-db.js';
import type { EngineConfig, SourceIdentity } from '../state/state-types.js';
import { sha256Hex } from '../lang/sha256.js';
import type { FormatVersion } from '../lang/format-version.js';
import type { Plan } from './plan-types.js';
import { trailingChecksumOk } from '../state/trailing-checksum.js';
import { UserError } from '../lang/user-error.js';
import { runClass } from '../state/run-state.js';

// A saved plan (`rcform plan --out FILE`): everything apply needs to execute exactly what the
// reviewer saw, without the source — the compiled database, the live lineage and serial it was
// made against, the engine, what the engine reported for every service the plan touches, and the
// plan with its steps. A checksum over the bytes of the rest makes any edit detectable.
// Encoding and decoding are pure; reading and writing the file live in cli/plan-file-io.ts.

export const PLAN_FILE_KIND = 'rcform-plan';
/** The plan file's own version: its envelope (kind, live, observed, source); the plan inside carries PLAN_FORMAT_VERSION. */
export const PLAN_FILE_FORMAT_VERSION = '1' satisfies FormatVersion;

export interface LiveRef {
  /** Where "live" came from: a live directory (with an engine), or a file given to --live-from. */
  source: 'live-dir' | 'state-file' | 'compiled-file';
  /** The live directory, for source = live-dir. */
  live_dir?: string;
  /** The file given to --live-from. */
  file?: string;
  lineage: string;
  serial: number;
  /**
   * The last journal record the plan saw folded into the state (live-dir only). With the serial it
   * pins the exact live state: records of a crashed apply change what live is without a new serial.
   */
  journal_seq?: number;
  /** Hash of the compiled database the live state was last applied from. */
  compiled_hash: string | null;
}

/** What the engine reported for a service when the plan was made ("absent": not installed). */
export interface ObservedService {
  state: string;
  pid?: number;
}

export interface PlanFile {
  format_version: typeof PLAN_FILE_FORMAT_VERSION;
  kind: typeof PLAN_FILE_KIND;
  rcform_version: string;
  /** ISO time the plan was made. */
  created_at: string;
  /** The database apply installs from; null for a destroy plan. */
  compiled: CompiledDb | null;
  live: LiveRef;
  /** The engine apply must use; null when planned against a file, without an engine. */
  engine: EngineConfig | null;
  /** By service name (the name before the plan, for a rename): every service a step touches.
   *  `source` says whether it was read from the engine or, without refresh, from the state. */
  observed: { source: 'engine' | 'state'; services: Record<string, ObservedService> };
  /** The source directory planned (absent for --compiled FILE and destroy): apply records it in the state. */
  source?: SourceIdentity;
  plan: Plan;
}

export class PlanFileError extends UserError {
  constructor(message: string) {
    super('input', message);
    this.name = 'PlanFileError';
  }
}

// The checksum as encodePlanFile writes it: over the content serialised in file order
// (JSON.stringify keeps key order, and parsing then serialising JSON reproduces the same text), so
// reading a 10,000-service plan does not pay for a canonical re-sort of the whole database. Any
// change to a value, a key or the key order is reported as an alteration. decodePlanFile checks
// the file's own bytes first and falls back to this, for a file re-indented by hand.
export function planFileChecksum(content: PlanFile): string {
  return `sha256:${sha256Hex(JSON.stringify(content))}`;
}

/**
 * The same bytes as encodePlanFile, for writing: the JSON is encoded to UTF-8 once, into the buffer
 * that is hashed and written, instead of joined as a string, hashed (another encoding) and encoded
 * again by the write: a large plan's file is megabytes, and fresh memory is slow to touch.
 */
export function encodePlanFileBytes(content: PlanFile): Uint8Array {
  const { checksum: _drop, ...rest } = content as PlanFile & { checksum?: string };
  const body = JSON.stringify(rest);
  const n = Buffer.byteLength(body, 'utf8');
  const out = Buffer.allocUnsafe(n - 1 + checksumTail('0'.repeat(64)).length);
  out.write(body, 0, 'utf8');
  const hex = createHash('sha256').update(out.subarray(0, n)).digest('hex');
  out.write(checksumTail(hex), n - 1, 'utf8');
  return out;
}

/** The end of a plan file: the checksum as the last member. */
function checksumTail(hex: string): string {
  return `,"checksum":"sha256:${hex}"}\n`;
}

/**
 * A plan file in pieces, for writing one after another, with the compiled database given as the
 * JSON it was read from (`compiledJson`: compact, as `rcform compile` wrote it, without the final
 * newline) instead of serialised again: that is most of a large plan file, and copying its bytes
 * costs next to nothing where encoding it again does not. The checksum covers the
 * bytes as written, which decodePlanFile verifies over the file's own bytes.
 */
export function encodePlanFilePieces(content: PlanFile, compiledJson: Uint8Array): Uint8Array[] {
  const { checksum: _drop, ...rest } = content as PlanFile & { checksum?: string };
  const body = JSON.stringify({ ...rest, compiled: null });
  // The members before `compiled` are plain strings, in which every quote is escaped: the first
  // `"compiled":null` is the member itself.
  const marker = '"compiled":null';
  const at = body.indexOf(marker);
  if (at < 0) throw new Error('encodePlanFilePieces: no compiled member');
  const head = Buffer.from(body.slice(0, at + marker.length - 4), 'utf8');
  const tail = Buffer.from(body.slice(at + marker.length, -1), 'utf8');
  const hex = createHash('sha256').update(head).update(compiledJson).update(tail).update('}').digest('hex');
  return [head, compiledJson, tail, Buffer.from(checksumTail(hex), 'utf8')];
}

export function encodePlanFile(content: PlanFile): string {
  const { checksum: _drop, ...rest } = content as PlanFile & { checksum?: string };
  // Serialised once: the checksum is appended as the last key of the same text.
  const body = JSON.stringify(rest);
  return `${body.slice(0, -1)},"checksum":"sha256:${sha256Hex(body)}"}\n`;
}

/** Parses a plan file's text, checking its kind, format version and checksum. `name` names the
 *  file in errors. The caller validates the schema (cli/plan-file-io.ts). */
export function decodePlanFile(text: string, name: string, bytes?: Uint8Array): PlanFile {
  return decodePlanFileChecked(text, name, bytes).content;
}

/**
 * decodePlanFile, also saying whether the file is byte for byte as an encoder here wrote it: its
 * checksum verified over its own bytes, not over the content serialised again (a re-indented
 * file still reads, but is not what any encoder wrote).
 */
export function decodePlanFileChecked(text: string, name: string, bytes?: Uint8Array): { content: PlanFile; asWritten: boolean } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new PlanFileError(`${name} is not a plan file: invalid JSON (${(err as Error).message})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data) || (data as { kind?: unknown }).kind !== PLAN_FILE_KIND) {
    throw new PlanFileError(`${name} is not an rcform plan file (made by "rcform plan --out FILE")`);
  }
  const { checksum, ...content } = data as PlanFile & { checksum?: unknown };
  if (content.format_version !== PLAN_FILE_FORMAT_VERSION) {
    throw new PlanFileError(`${name}: plan format_version ${JSON.stringify(content.format_version)} is not supported (this rcform reads version "${PLAN_FILE_FORMAT_VERSION}")`);
  }
  // The bytes as written first (encodePlanFilePieces embeds the compiled database as it was read,
  // which need not be what JSON.stringify makes of it); then the content serialised again, which
  // is how encodePlanFile's checksum reads and what a re-indented file still matches.
  const asWritten = typeof checksum === 'string' && trailingChecksumOk(text, checksum, CHECKSUM_TAIL, '}', bytes);
  const expected = asWritten ? checksum : planFileChecksum(content as PlanFile);
  if (checksum !== expected) {
    throw new PlanFileError(`${name}: checksum mismatch: the plan file was altered or corrupted after it was written (stored ${String(checksum)}, content hashes to ${expected}); make a new plan`);
  }
  return { content: content as PlanFile, asWritten };
}

// `..."last": value,"checksum":"sha256:HEX"}\n` at the very end of the file, as the encoders write it.
const CHECKSUM_TAIL = /,"checksum":"(sha256:[0-9a-f]{64})"\}\n?$/;

/**
 * The names whose engine status a plan depends on: every service a step acts on, and every
 * drifted one (apply writes what the plan saw of it into the state).
 */
export function touchedServices(plan: Plan): string[] {
  const out = new Set<string>();
  for (const d of plan.drift) out.add(d.name);
  for (const s of plan.steps) {
    out.add(s.from ?? s.service);
    if (s.from) out.add(s.service);
  }
  return [...out].sort();
}

/** Why a saved plan no longer applies to the live state it was made against, or null if it does. */
export function planStaleness(pf: PlanFile, live: { lineage: string; serial: number; journal_seq?: number }): string | null {
  if (pf.live.lineage !== live.lineage) {
    return `Saved plan is stale: it was made for live state lineage ${pf.live.lineage}, but the live state has lineage ${live.lineage}; make a new plan`;
  }
  if (pf.live.serial !== live.serial) {
    return `Saved plan is stale: the live state changed after this plan was made (plan made at serial ${pf.live.serial}, live state now at serial ${live.serial}); make a new plan`;
  }
  // A crashed apply leaves journal records that change what live is without a new serial.
  if (pf.live.journal_seq !== undefined && live.journal_seq !== undefined && pf.live.journal_seq !== live.journal_seq) {
    return `Saved plan is stale: the live state changed after this plan was made (plan made at journal record ${pf.live.journal_seq}, the journal is now at ${live.journal_seq}); make a new plan`;
  }
  return null;
}

/**
 * The services whose engine status no longer matches what the plan recorded, each as one line
 * ("longrun.web: planned with it ready, the engine now reports it failed"). `now` is the engine's
 * status by name; a name missing from it is absent. A pid change alone (the supervisor restarted a
 * crashed process) is not a difference: the plan's steps do not depend on the pid.
 */
export function observedMismatches(pf: PlanFile, now: Record<string, { state: string } | undefined>): string[] {
  if (pf.observed.source !== 'engine') return [];
  const out: string[] = [];
  for (const [name, then] of Object.entries(pf.observed.services)) {
    const cur = now[name]?.state ?? 'absent';
    if (runClass(cur) !== runClass(then.state)) out.push(`${name}: planned with it ${then.state}, the engine now reports it ${cur}`);
  }
  return out;
}
