import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import { loadSchema } from '../schemas/index.js';
import { atomicWriteFileSync } from './atomic-write.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { liveLayout } from './live-dir.js';
import { STATE_FORMAT_VERSION, type EngineConfig, type State } from './state-types.js';

// Reading and writing state.json. The file carries a checksum over its own content so that a
// torn write or a hand edit is refused with a message naming the file and the problem: a state
// that lies about what runs would make the next plan wrong, which is worse than stopping.

export class StateFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'StateFileError';
  }
}

/** The live directory has no state.json: `rcform init` has not been run there. */
export class StateNotFoundError extends StateFileError {
  constructor(readonly liveDir: string) {
    super(liveLayout(liveDir).state, `no live state here; run "rcform init --live ${liveDir}" first`);
    this.name = 'StateNotFoundError';
  }
}

let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    validator = ajv.compile(loadSchema('state.schema.json'));
  }
  return validator;
}

export function stateChecksum(state: State): string {
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

/** The bytes written to disk: indented for people to read, checksum last. */
export function serializeState(state: State): string {
  const { checksum: _old, ...rest } = state as State & { checksum?: string };
  return JSON.stringify({ ...rest, checksum: stateChecksum(state) }, null, 2) + '\n';
}

/** Parses and checks state.json's text; `file` names it in errors. */
export function parseState(text: string, file: string): State {
  if (text.trim() === '') throw new StateFileError(file, 'the file is empty (a torn write?); it was not used');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new StateFileError(file, `not valid JSON${jsonErrorWhere(text, (err as Error).message)}: ${(err as Error).message}; the file is torn or was edited by hand, and was not used`);
  }
  const check = validate();
  if (!check(data)) {
    const errors = (check.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
    throw new StateFileError(file, `does not match schemas/state.schema.json: ${errors.join('; ')}; the file was not used`);
  }
  const withSum = data as State & { checksum: string };
  const expected = stateChecksum(withSum);
  if (withSum.checksum !== expected) {
    throw new StateFileError(
      file,
      `checksum mismatch: the content does not match the checksum rcform wrote (stored ${withSum.checksum}, content hashes to ${expected}); ` +
        'the file was edited by hand or corrupted, and was not used. Restore it, or use "rcform state" commands to change state',
    );
  }
  const { checksum: _c, ...state } = withSum;
  return state as State;
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
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StateNotFoundError(liveLayout(liveDir).root);
    throw new StateFileError(file, `cannot be read: ${(err as Error).message}`);
  }
  return parseState(text, file);
}

/** Writes the first state of a live directory (serial 0). Refuses to replace an existing one. */
export function createStateFile(liveDir: string, state: State): void {
  const file = liveLayout(liveDir).state;
  if (fs.existsSync(file)) throw new StateFileError(file, 'already exists; a live directory is initialised once');
  atomicWriteFileSync(file, serializeState({ ...state, serial: 0 }));
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
  atomicWriteFileSync(file, serializeState(written));
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
