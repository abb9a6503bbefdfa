import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { schemaValidator } from '../schemas/validators.js';
import { atomicWriteFileSync } from './atomic-write.js';
import { canonicalJson } from './canonical-json.js';
import { sha256Hex } from '../lang/sha256.js';
import { liveLayout } from './live-layout.js';
import { STATE_FORMAT_VERSION, type EngineConfig, type State } from './state-types.js';
import { readFileText, readTextFile } from './read-text.js';
import { trailingChecksumOk } from './trailing-checksum.js';
import { UserError } from '../lang/user-error.js';

// Reading and writing state.json. The file carries a checksum over its own content so that a
// torn write or a hand edit is refused with a message naming the file and the problem: a state
// that lies about what runs would make the next plan wrong, which is worse than stopping.

export class StateFileError extends UserError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super('environment', `${file}: ${problem}`);
    this.name = 'StateFileError';
  }
}

/** The live directory has no state.json: `rcform init` has not been run there. */
export class StateNotFoundError extends StateFileError {
  constructor(readonly liveDir: string) {
    super(liveLayout(liveDir).state, 'no live state here');
    this.name = 'StateNotFoundError';
  }
}

/**
 * The checksum rcform writes: `sha256:` of the state laid out as written (layoutState), without
 * the checksum. Reading verifies it over the file's own bytes, so a 10,000-service state is
 * hashed, not re-sorted and re-serialised (see parseState).
 */
export function stateChecksum(state: State): string {
  const { checksum: _ignored, ...rest } = state as State & { checksum?: string };
  return `sha256:${sha256Hex(layoutState(rest))}`;
}

/**
 * state.json's layout: the top-level fields indented, then one service per line. A line per
 * service keeps the file half the size of fully indented JSON (reading a 10,000-service state is
 * most of a plan's time), and a diff of two states shows one changed line per changed service.
 * Ends in "\n}", before which serializeState puts the checksum.
 */
function layoutState(rest: Omit<State, 'checksum'>): string {
  const { services, ...head } = rest;
  const top = JSON.stringify(head, null, 2);
  const lines = Object.keys(services).map((k) => `    ${JSON.stringify(k)}: ${JSON.stringify(services[k])}`);
  return `${top.slice(0, -2)},\n  "services": {${lines.length > 0 ? `\n${lines.join(',\n')}\n  ` : ''}}\n}`;
}

/**
 * The checksum of older files, and of a file re-indented by hand: `sha256:` of the canonical JSON
 * (keys sorted, no whitespace) of every other field. Still accepted when the written form's fails.
 */
export function canonicalStateChecksum(state: State): string {
  const { checksum: _ignored, ...rest } = state as State & { checksum?: string };
  return `sha256:${sha256Hex(canonicalJson(rest))}`;
}

/** A fresh state: a new lineage, serial 0, nothing installed. */
export function newState(engine: EngineConfig): State {
  return {
    format_version: STATE_FORMAT_VERSION,
    lineage: randomUUID(),
    serial: 0,
    engine: { ...engine },
    compiled_hash: null,
    services: {},
    journal_seq: 0,
  };
}

/** The bytes written to disk (see layoutState), checksum last. */
export function serializeState(state: State): string {
  const { checksum: _old, ...rest } = state as State & { checksum?: string };
  // Serialised once; the checksum member goes last, where trailingChecksumOk() expects it.
  const body = layoutState(rest);
  return `${body.slice(0, -2)},\n  "checksum": "sha256:${sha256Hex(body)}"\n}\n`;
}

// `..."last": value,\n  "checksum": "sha256:HEX"\n}\n` at the very end of the file, as serializeState writes it.
const CHECKSUM_TAIL = /,\n {2}"checksum": "(sha256:[0-9a-f]{64})"\n\}\n?$/;

/** Parses and checks state.json's text (and its bytes, when the caller has them); `file` names it in errors. */
export function parseState(text: string, file: string, bytes?: Uint8Array): State {
  if (text.trim() === '') throw new StateFileError(file, 'the file is empty (a torn write?); it was not used');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(file, `not valid JSON${jsonErrorWhere(text, (err as Error).message)}: ${(err as Error).message}; the file is torn or was edited by hand, and was not used`);
  }
  const check = schemaValidator('state');
  if (!check(data)) {
    const errors = (check.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new StateFileError(file, `does not match schemas/state.schema.json: ${errors.join('; ')}; the file was not used`);
  }
  const withSum = data as State & { checksum: string };
  // The bytes as written first; then the content re-serialised, so that a re-indented file (or
  // one written by an older rcform, over the canonical form) is still accepted.
  const expected = trailingChecksumOk(text, withSum.checksum, CHECKSUM_TAIL, '\n}', bytes) ? withSum.checksum : stateChecksum(withSum);
  if (expected !== withSum.checksum && canonicalStateChecksum(withSum) !== withSum.checksum) {
    throw new StateFileError(
      file,
      `checksum mismatch: the content does not match the checksum rcform wrote (stored ${withSum.checksum}, content hashes to ${expected}); ` +
        'the file was edited by hand or corrupted, and was not used. Restore it, or use "rcform state" commands to change state',
    );
  }
  const { checksum: _c, ...state } = withSum;
  return upgradeState(state as unknown as StateOnDisk);
}

/** The format before holds and source, which a read upgrades. */
const STATE_FORMAT_VERSION_BEFORE_HOLDS = 1;
/** The format with s6's scan directory at the top of `engine`, which a read upgrades. */
const STATE_FORMAT_VERSION_ENGINE_AT_TOP = 2;

/** Every format this rcform reads; the schema accepts each of them. */
type StateOnDisk = Omit<State, 'format_version' | 'engine'> & {
  format_version: typeof STATE_FORMAT_VERSION_BEFORE_HOLDS | typeof STATE_FORMAT_VERSION_ENGINE_AT_TOP | typeof STATE_FORMAT_VERSION;
  /** Formats before options kept s6's scan directory at the top of `engine`. */
  engine: EngineConfig & { scandir?: string };
};

/**
 * Format 1 → 2 only adds the optional `holds` and `source`: a format-1 state is a format-2 state
 * without holds and with its source unknown. Format 2 → 3 moves what only one engine needs into
 * the engine's `options`, which its driver owns: `{ kind: 's6', scandir }` becomes
 * `{ kind: 's6', options: { scandir } }`. The next write saves format 3; an older rcform then
 * refuses the file by its format version instead of starting an s6-svscan of its own beside the
 * operator's.
 */
export function upgradeState(state: StateOnDisk): State {
  if (state.format_version === STATE_FORMAT_VERSION) return state as State;
  const { scandir, ...engine } = state.engine;
  return {
    ...state,
    format_version: STATE_FORMAT_VERSION,
    engine: scandir !== undefined ? { ...engine, options: { ...engine.options, scandir } } : engine,
  };
}

function jsonErrorWhere(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  const pos = m ? Number(m[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (pos === undefined) return '';
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}

export function stateExists(liveDir: string): boolean {
  return fs.existsSync(liveLayout(liveDir).state);
}

export function readState(liveDir: string): State {
  const file = liveLayout(liveDir).state;
  let text: string;
  let bytes: Buffer;
  try {
    ({ text, bytes } = readFileText(file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StateNotFoundError(liveLayout(liveDir).root);
    throw new StateFileError(file, `cannot be read: ${(err as Error).message}`);
  }
  try {
    return parseState(text, file, bytes);
  } catch (err) {
    if (err instanceof StateFileError) throw new StateFileError(file, err.problem + backupHint(liveDir));
    throw err;
  }
}

/** How to get back to the previous version, when there is a usable one. */
function backupHint(liveDir: string): string {
  const { state, stateBackup } = liveLayout(liveDir);
  try {
    const previous = parseState(readTextFile(stateBackup), stateBackup);
    return (
      `. The previous version (serial ${previous.serial}) is intact in ${stateBackup}: "cp ${stateBackup} ${state}" ` +
      'restores it, and the next command that takes the lock folds in the journal records written since'
    );
  } catch {
    return '';
  }
}

/** Writes the first state of a live directory (serial 0). Refuses to replace an existing one. */
export function createStateFile(liveDir: string, state: State): void {
  const file = liveLayout(liveDir).state;
  if (fs.existsSync(file)) throw new StateFileError(file, 'already exists; a live directory is initialised once');
  atomicWriteFileSync(file, serializeState({ ...state, serial: 0 }), { policy: 'durable' });
}

/**
 * Writes `next`, which must have been derived from the state currently on disk (same lineage and
 * serial): the written state has serial + 1 and is returned. Call only while holding the lock; the
 * serial check catches a writer that did not.
 */
export function writeState(liveDir: string, next: State): State {
  const current = onDiskSerial(liveDir);
  const file = liveLayout(liveDir).state;
  if (current.lineage !== next.lineage) {
    throw new StateFileError(file, `lineage changed underneath this operation (on disk ${current.lineage}, expected ${next.lineage}); nothing was written`);
  }
  if (current.serial !== next.serial) {
    throw new StateFileError(file, `serial changed underneath this operation (on disk ${current.serial}, expected ${next.serial}); nothing was written`);
  }
  const written: State = { ...next, serial: next.serial + 1 };
  // Keep the version being replaced: a link now, renamed into place, so the backup is always a
  // complete earlier state. The directory fsync of the write below makes both renames durable.
  const backup = liveLayout(liveDir).stateBackup;
  const linkTmp = `${backup}.${process.pid}.tmp`;
  fs.rmSync(linkTmp, { force: true });
  try {
    fs.linkSync(file, linkTmp);
  } catch {
    // A file system without hard links: a copy keeps the same guarantee, at the cost of the bytes.
    fs.copyFileSync(file, linkTmp);
  }
  fs.renameSync(linkTmp, backup);
  atomicWriteFileSync(file, serializeState(written), { policy: 'durable' });
  return written;
}

/**
 * Lineage and serial of state.json without verifying the whole file: they are written near the
 * top, so the head of the file is enough (a full read costs more than the write on a big state).
 * The full check happens on every read; this one only guards against a writer without the lock.
 */
function onDiskSerial(liveDir: string): { lineage: string; serial: number } {
  const file = liveLayout(liveDir).state;
  let head = '';
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(512);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StateNotFoundError(liveLayout(liveDir).root);
    throw err;
  }
  const lineage = /"lineage":\s*"([^"]+)"/.exec(head)?.[1];
  const serial = /"serial":\s*(\d+)/.exec(head)?.[1];
  if (lineage === undefined || serial === undefined) return readState(liveDir);
  return { lineage, serial: Number(serial) };
}
