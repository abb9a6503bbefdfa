import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { atomicWriteFileSync } from '../../state/atomic-write.js';
import { defaultLiveDir, liveLayout, resolveLiveDir } from '../../state/live-dir.js';
import { canonicalStateChecksum, createStateFile, newState, readState, serializeState, StateFileError, StateNotFoundError, writeState } from '../../state/state-file.js';
import { STATE_FORMAT_VERSION, type ServiceState, type State } from '../../state/state-types.js';
import { engineProcessOf } from '../../engine/open-engine.js';
import { userErrorText } from '../../cli/user-errors.js';
import { UserError } from '../../lang/user-error.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The UserError `fn` throws, to see what the CLI prints for it. */
function catchError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError');
}

function sampleEntry(name: string): ServiceState {
  return {
    address: `longrun.${name}`,
    type: 'longrun',
    definition_hash: `h-${name}`,
    desired: 'up',
    definition: { type: 'longrun', name, address: `longrun.${name}`, definition_hash: `h-${name}` } as unknown as ServiceState['definition'],
  };
}

describe('live directory location', () => {
  test('--live, then RCFORM_LIVE, then the default', () => {
    expect(resolveLiveDir({ flag: 'here', env: { RCFORM_LIVE: '/env' }, cwd: '/cwd' })).toBe('/cwd/here');
    expect(resolveLiveDir({ env: { RCFORM_LIVE: '/env' }, cwd: '/cwd' })).toBe('/env');
    expect(resolveLiveDir({ env: {}, cwd: '/cwd', uid: 0 })).toBe('/run/rcform');
    expect(resolveLiveDir({ env: { XDG_RUNTIME_DIR: dir }, cwd: '/cwd', uid: 1000 })).toBe(path.join(dir, 'rcform'));
    // An XDG_RUNTIME_DIR that does not exist (a su'd shell) is not used.
    // Nor a name in the shared temp directory, which another user could take first: the user's state directory.
    expect(defaultLiveDir({ XDG_RUNTIME_DIR: path.join(dir, 'gone'), HOME: '/home/u' }, 1000)).toBe('/home/u/.local/state/rcform/live');
    expect(defaultLiveDir({ HOME: '/home/u', XDG_STATE_HOME: '/st' }, 1000)).toBe('/st/rcform/live');
    expect(() => defaultLiveDir({}, 1000)).toThrow(/no default live directory for uid 1000: neither XDG_RUNTIME_DIR, XDG_STATE_HOME nor HOME is set to an absolute path$/);
    // The CLI says which flag helps.
    expect(userErrorText(catchError(() => defaultLiveDir({}, 1000)))).toMatch(/no default live directory for uid 1000.*--live/);
  });
});

describe('atomic write', () => {
  test('replaces content, sets the mode, leaves no temp file', () => {
    const file = path.join(dir, 'f.json');
    atomicWriteFileSync(file, 'one', { policy: 'durable' });
    atomicWriteFileSync(file, 'two', { policy: 'durable', mode: 0o640 });
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(dir)).toEqual(['f.json']);
  });
});

describe('state.json', () => {
  test('format 1 (before holds and source) is read as the current format and written back as it; holds and source round-trip', () => {
    const v1 = { ...newState({ kind: 'embedded' }), format_version: 1, services: { web: sampleEntry('web') } } as unknown as State;
    atomicWriteFileSync(liveLayout(dir).state, serializeState(v1), { policy: 'durable' });
    expect(fs.readFileSync(liveLayout(dir).state, 'utf8')).toContain('"format_version": 1,');
    const read = readState(dir);
    expect(read.format_version).toBe(STATE_FORMAT_VERSION);
    expect(read.holds).toBeUndefined();
    expect(read.services['web']).toEqual(sampleEntry('web'));
    writeState(dir, { ...read, holds: { web: { state: 'down', requested: 'bundle.front', at: '2026-01-01T00:00:00.000Z' } }, source: { dir: '/srv/services' } });
    expect(fs.readFileSync(liveLayout(dir).state, 'utf8')).toContain(`"format_version": ${JSON.stringify(STATE_FORMAT_VERSION)},`);
    const again = readState(dir);
    expect(again.holds?.['web']?.requested).toBe('bundle.front');
    expect(again.source).toEqual({ dir: '/srv/services' });
  });

  test('format 2, as the previous rcform wrote it for s6 on an operator\'s scan directory, is read as format 3 with the scan directory in the s6 options', () => {
    // Written by \`rcform init --engine s6 --scandir DIR\` and an apply of examples/hello, before format 3.
    const old = fs.readFileSync(fileURLToPath(new URL('../../../test/state/fixtures/state-format-2-s6-scandir.json', import.meta.url)), 'utf8');
    expect(old).toContain('"format_version": 2,');
    expect(JSON.parse(old).engine).toEqual({ kind: 's6', scandir: '/tmp/rcform-fixture-uwmS/scan' });
    fs.writeFileSync(liveLayout(dir).state, old);
    const read = readState(dir);
    expect(STATE_FORMAT_VERSION).toBe('3');
    expect(read.format_version).toBe('3');
    expect(read.engine).toEqual({ kind: 's6', options: { scandir: '/tmp/rcform-fixture-uwmS/scan' } });
    expect(read.services['hello']?.address).toBe('longrun.hello');
    // The s6 driver reads its options from there: the operator's s6-svscan is named, not one of rcform's.
    expect(engineProcessOf(dir, read.engine).start).toBe('"s6-svscan /tmp/rcform-fixture-uwmS/scan"');
    writeState(dir, read);
    const written = fs.readFileSync(liveLayout(dir).state, 'utf8');
    expect(written).toContain('"format_version": "3",');
    expect(JSON.parse(written).engine).toEqual({ kind: 's6', options: { scandir: '/tmp/rcform-fixture-uwmS/scan' } });
    expect(readState(dir)).toMatchObject({ serial: read.serial + 1, engine: read.engine, source: read.source });
  });

  test('format 3 keeps s6\'s scan directory out of the top of engine; an older format may not use options', () => {
    const v3 = { ...newState({ kind: 's6' }), engine: { kind: 's6', scandir: '/srv/scan' } } as unknown as State;
    atomicWriteFileSync(liveLayout(dir).state, serializeState(v3), { policy: 'durable' });
    expect(() => readState(dir)).toThrow(/does not match schemas\/state.schema.json: \/engine\/scandir/);
    const v2 = { ...newState({ kind: 's6', options: { scandir: '/srv/scan' } }), format_version: 2 } as unknown as State;
    atomicWriteFileSync(liveLayout(dir).state, serializeState(v2), { policy: 'durable' });
    expect(() => readState(dir)).toThrow(/does not match schemas\/state.schema.json: \/engine\/options/);
  });

  test('a new state has a lineage and serial 0; every write increments the serial and keeps the lineage', () => {
    const s0 = newState({ kind: 'embedded' });
    createStateFile(dir, s0);
    expect(fs.statSync(liveLayout(dir).state).mode & 0o777).toBe(0o600);
    const r0 = readState(dir);
    expect(r0).toEqual(s0);
    expect(r0.lineage).toMatch(/^[0-9a-f-]{36}$/);
    const s1 = writeState(dir, { ...r0, services: { web: sampleEntry('web') } });
    expect(s1.serial).toBe(1);
    const s2 = writeState(dir, readState(dir));
    expect(s2.serial).toBe(2);
    expect(readState(dir)).toEqual({ ...s1, serial: 2 });
    expect(readState(dir).lineage).toBe(s0.lineage);
    expect(() => createStateFile(dir, newState({ kind: 'embedded' }))).toThrow(/already exists/);
  });

  test('every write keeps the previous version; a damaged state.json points at it', () => {
    createStateFile(dir, newState({ kind: 'embedded' }));
    const s1 = writeState(dir, { ...readState(dir), services: { web: sampleEntry('web') } });
    writeState(dir, { ...s1, services: {} });
    const { state, stateBackup } = liveLayout(dir);
    fs.writeFileSync(state, fs.readFileSync(state, 'utf8').replace('"serial": 2', '"serial": 9'));
    expect(() => readState(dir)).toThrow(`The previous version (serial 1) is intact in ${stateBackup}`);
    fs.copyFileSync(stateBackup, state);
    expect(readState(dir)).toEqual(s1);
  });

  test('a write based on an old serial or another lineage is refused', () => {
    createStateFile(dir, newState({ kind: 'embedded' }));
    const old = readState(dir);
    writeState(dir, old);
    expect(() => writeState(dir, old)).toThrow(/serial changed underneath.*on disk 1, expected 0/);
    expect(() => writeState(dir, { ...readState(dir), lineage: newState({ kind: 'embedded' }).lineage })).toThrow(/lineage changed/);
  });

  test('no state.json: an error that says to run init', () => {
    expect(() => readState(dir)).toThrow(StateNotFoundError);
    expect(() => readState(dir)).toThrow(/state\.json: no live state here$/);
    // The state layer states the fact; the CLI says which command helps, in one place.
    const err = catchError(() => readState(dir));
    expect(err.kind).toBe('environment');
    expect(userErrorText(err)).toMatch(/rcform init/);
  });

  describe('a torn or hand-edited file is reported, never used', () => {
    const cases: Array<[string, (text: string) => string, RegExp]> = [
      ['torn in the middle', (t) => t.slice(0, Math.floor(t.length / 2)), /state\.json: not valid JSON at line \d+, column \d+/],
      ['empty (torn before any byte)', () => '', /state\.json: the file is empty/],
      ['a value changed by hand', (t) => t.replace('"desired":"up"', '"desired":"down"'), /state\.json: checksum mismatch.*edited by hand/],
      ['a service removed by hand', (t) => t.replace(/\n {4}"web": .*/, ''), /state\.json: checksum mismatch/],
      ['the checksum removed', (t) => t.replace(/,\s*"checksum": "[^"]*"/, ''), /state\.json: does not match schemas\/state\.schema\.json: \/ must have required property 'checksum'/],
      ['a wrong type', (t) => t.replace('"serial": 1', '"serial": "1"'), /state\.json: does not match schemas\/state\.schema\.json: \/serial must be integer/],
    ];
    test.each(cases)('%s', (_name, mangle, message) => {
      createStateFile(dir, newState({ kind: 'embedded' }));
      writeState(dir, { ...readState(dir), services: { web: sampleEntry('web') } });
      const file = liveLayout(dir).state;
      const text = fs.readFileSync(file, 'utf8');
      const mangled = mangle(text);
      expect(mangled).not.toBe(text);
      fs.writeFileSync(file, mangled);
      let err: unknown;
      try {
        readState(dir);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StateFileError);
      expect((err as Error).message.startsWith(file)).toBe(true);
      expect((err as Error).message).toMatch(message);
    });

    test('one service per line, the top-level fields indented, the checksum last', () => {
      createStateFile(dir, newState({ kind: 'embedded' }));
      writeState(dir, { ...readState(dir), services: { web: sampleEntry('web'), db: sampleEntry('db') } });
      const lines = fs.readFileSync(liveLayout(dir).state, 'utf8').split('\n');
      expect(lines.filter((l) => /^ {4}"[^"]+": \{"/.test(l))).toEqual([expect.stringMatching(/^ {4}"web": \{"address":"longrun\.web",.*\},$/), expect.stringMatching(/^ {4}"db": \{.*\}$/)]);
      expect(lines.slice(0, 2)).toEqual(['{', `  "format_version": ${JSON.stringify(STATE_FORMAT_VERSION)},`]);
      expect(lines.at(-3)).toMatch(/^ {2}"checksum": "sha256:[0-9a-f]{64}"$/);
    });

    test('the checksum covers the bytes as written: the last member, over everything before it', () => {
      createStateFile(dir, newState({ kind: 'embedded' }));
      writeState(dir, { ...readState(dir), services: { web: sampleEntry('web') } });
      const text = fs.readFileSync(liveLayout(dir).state, 'utf8');
      const m = /,\n {2}"checksum": "sha256:([0-9a-f]{64})"\n\}\n$/.exec(text);
      expect(m).not.toBeNull();
      const body = text.slice(0, text.length - (m as RegExpExecArray)[0].length) + '\n}';
      expect(createHash('sha256').update(body).digest('hex')).toBe((m as RegExpExecArray)[1]);
    });

    test('a state written by an older rcform, checksummed over the canonical JSON, is accepted', () => {
      createStateFile(dir, newState({ kind: 'embedded' }));
      writeState(dir, { ...readState(dir), services: { web: sampleEntry('web') } });
      const file = liveLayout(dir).state;
      const { checksum: _c, ...rest } = JSON.parse(fs.readFileSync(file, 'utf8'));
      const old = { ...rest, checksum: canonicalStateChecksum(rest) };
      fs.writeFileSync(file, JSON.stringify(old, null, 2) + '\n');
      expect(readState(dir).services['web']?.desired).toBe('up');
      fs.writeFileSync(file, JSON.stringify({ ...old, serial: 7 }, null, 2) + '\n');
      expect(() => readState(dir)).toThrow(/checksum mismatch/);
    });

    test('reformatting without changing a value is accepted', () => {
      createStateFile(dir, newState({ kind: 'embedded' }));
      const file = liveLayout(dir).state;
      fs.writeFileSync(file, JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8'))));
      expect(readState(dir).serial).toBe(0);
    });
  });
});
