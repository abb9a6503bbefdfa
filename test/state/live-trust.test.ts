import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkLiveDir, checkPathTo } from '../../state/live-trust.js';

// Whose live directory is it: real directories, owned by another account through chown (so these
// need root to arrange; CI runs as root). `nobody` plays the other local user.

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : test.skip;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function liveDir(): string {
  const live = path.join(dir, 'live');
  fs.mkdirSync(path.join(live, 'engine'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(live, 'journal'), { mode: 0o700 });
  fs.writeFileSync(path.join(live, 'state.json'), '{}', { mode: 0o600 });
  return live;
}

describe('the live directory is the invoking user\'s alone', () => {
  test('a directory of its own, reached through root\'s directories and sticky /tmp, is accepted', () => {
    expect(checkLiveDir(liveDir())).toEqual({ exists: true });
    expect(checkLiveDir(path.join(dir, 'not-yet'))).toEqual({ exists: false });
  });

  rootTest('owned by another user: refused naming the path and the owner, as root too', () => {
    const live = liveDir();
    fs.chownSync(live, NOBODY, NOBODY);
    expect(() => checkLiveDir(live)).toThrow(new RegExp(`^${live} is owned by nobody \\(uid 65534\\), not by you, root \\(uid 0\\)`));
    // The user's own directory, with something of root's inside: the user is refused as well.
    expect(() => checkLiveDir(live, { uid: NOBODY })).toThrow(new RegExp(`${path.join(live, '(engine|journal|state.json)')} is owned by root`));
  });

  test('writable by others, or an entry of it: refused naming the mode', () => {
    const live = liveDir();
    fs.chmodSync(live, 0o777);
    expect(() => checkLiveDir(live)).toThrow(new RegExp(`^${live} \\(mode 0777\\) is writable by others`));
    fs.chmodSync(live, 0o700);
    fs.chmodSync(path.join(live, 'engine'), 0o757);
    expect(() => checkLiveDir(live)).toThrow(new RegExp(`^${path.join(live, 'engine')} \\(mode 0757\\) is writable by others`));
  });

  rootTest('a file another user put inside is refused', () => {
    const live = liveDir();
    fs.writeFileSync(path.join(live, 'engine', 'supervise.sock'), '');
    fs.chownSync(path.join(live, 'engine', 'supervise.sock'), NOBODY, NOBODY);
    expect(() => checkLiveDir(live)).toThrow(/engine\/supervise\.sock is owned by nobody/);
  });

  test('a directory above it writable by others without the sticky bit is refused; with it, accepted', () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o777);
    expect(() => checkLiveDir(path.join(open, 'live'))).toThrow(new RegExp(`^${open} \\(mode 0777, owner .*\\) is writable by others without the sticky bit`));
    expect(() => checkPathTo(path.join(open, 'live'))).toThrow(/writable by others without the sticky bit/);
    fs.chmodSync(open, 0o1777);
    expect(checkLiveDir(path.join(open, 'live'))).toEqual({ exists: false });
  });

  rootTest('a directory above it owned by another user is refused', () => {
    const theirs = path.join(dir, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o755 });
    fs.chownSync(theirs, NOBODY, NOBODY);
    expect(() => checkLiveDir(path.join(theirs, 'live'))).toThrow(new RegExp(`^${theirs} is owned by nobody \\(uid 65534\\), who could replace what lies below it`));
  });

  rootTest('a symlink another user placed at the live path (in sticky /tmp) is not followed', () => {
    const live = liveDir();
    const link = path.join(dir, 'sticky');
    fs.mkdirSync(link);
    fs.chmodSync(link, 0o1777);
    const planted = path.join(link, 'rcform-live');
    fs.symlinkSync(live, planted);
    fs.lchownSync(planted, NOBODY, NOBODY);
    expect(() => checkLiveDir(planted)).toThrow(new RegExp(`^${planted} is a symlink owned by nobody \\(uid 65534\\), who could point it elsewhere`));
  });

  test('a symlink of its own is followed to a directory of its own, except at the default location', () => {
    liveDir();
    const link = path.join(dir, 'link');
    fs.symlinkSync('live', link);
    expect(checkLiveDir(link)).toEqual({ exists: true });
    expect(() => checkLiveDir(link, { noSymlink: true })).toThrow(/is a symlink \(to live\); rcform never follows a symlink at its default live directory/);
  });
});
