import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import { engineLayout } from '../../engine/embedded/layout.js';
import { liveLayout } from '../../state/live-dir.js';
import { readState, writeState } from '../../state/state-file.js';
import { CLI, runProcess } from '../support/cli-harness.js';
import { alive, killGroups, longrun, oneshot, waitFor } from '../support/engine-harness.js';

// `rcform init` starts a real supervisor; `rcform state mv` renames in the state and in that
// supervisor, and the process keeps running.

let base: string;
let live: string;
const pids = new Set<number>();

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  live = path.join(base, 'live');
});
afterEach(async () => {
  const pidFile = engineLayout(live).pidFile;
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim().split(' ')[0]);
    runProcess(['supervise', '--stop', '--live', live]);
    await waitFor('supervisor exit', () => !alive(pid), 30_000).catch(() => process.kill(pid, 'SIGKILL'));
  }
  killGroups(pids);
  pids.clear();
  fs.rmSync(base, { recursive: true, force: true });
});

describe('rcform init', () => {
  test('creates the live directory with serial 0 and starts the engine; a second init changes nothing', async () => {
    const r = runProcess(['init', '--live', live]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Initialised the live directory .*live \(lineage [0-9a-f-]{36}, engine embedded\)\.\n$/);
    expect(fs.statSync(live).mode & 0o777).toBe(0o700);
    const state = readState(live);
    expect(state).toMatchObject({ serial: 0, engine: { kind: 'embedded' }, compiled_hash: null, services: {} });
    // The engine answers.
    const engine = await EmbeddedEngine.connect(live);
    expect(await engine.status()).toEqual({});
    await engine.close();

    const before = fs.readFileSync(liveLayout(live).state);
    const again = runProcess(['init', '--live', live]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already initialised (lineage ${state.lineage}, serial 0, engine embedded); nothing was changed`);
    expect(fs.readFileSync(liveLayout(live).state)).toEqual(before);
  }, 60_000);

  test('RCFORM_LIVE is honoured; bad engines and foreign directories are refused without creating state', () => {
    const bogus = runProcess(['init', '--engine', 'systemd', '--live', live]);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain('--engine takes embedded or s6, not "systemd"');
    expect(fs.existsSync(live)).toBe(false);

    fs.mkdirSync(live);
    fs.writeFileSync(path.join(live, 'notes.txt'), 'mine');
    const foreign = runProcess(['init'], { env: { RCFORM_LIVE: live } });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('is not an rcform live directory (it holds notes.txt)');
    expect(fs.existsSync(liveLayout(live).state)).toBe(false);
  });
});

describe('rcform init and supervise: mistakes are one-line errors that create nothing', () => {
  test('a missing --scandir, an unwritable parent, supervise on no live directory', () => {
    const oneLine = (r: { code: number; stderr: string }, text: string): void => {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    };
    oneLine(runProcess(['init', '--engine', 's6', '--scandir', '/nonexistent-rcform-scandir', '--live', live]), '--scandir /nonexistent-rcform-scandir: no such directory');
    expect(fs.existsSync(live)).toBe(false);

    // Unwritable for whoever runs it: root bypasses modes, so as root it runs as nobody.
    fs.chmodSync(base, 0o755);
    const ro = path.join(base, 'ro');
    fs.mkdirSync(ro, { mode: 0o555 });
    const under = path.join(ro, 'live');
    const args = ['init', '--live', under];
    const r =
      process.getuid?.() === 0
        ? spawnSync(process.execPath, [CLI, ...args], { uid: 65534, gid: 65534, env: { PATH: process.env['PATH'], NO_COLOR: '1' }, cwd: '/', encoding: 'utf8' })
        : spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
    oneLine({ code: r.status ?? -1, stderr: r.stderr }, `cannot create the live directory ${under}: permission denied`);
    expect(fs.existsSync(under)).toBe(false);

    oneLine(runProcess(['supervise', '--live', live]), `${live}: no such live directory; run "rcform init --live ${live}" first`);
    expect(fs.existsSync(live)).toBe(false);
    fs.mkdirSync(live);
    oneLine(runProcess(['supervise', '--live', live]), 'no such live directory');
    expect(fs.readdirSync(live)).toEqual([]);
  });

  test('the engine of an initialised live directory cannot be changed', async () => {
    expect(runProcess(['init', '--live', live])).toMatchObject({ code: 0 });
    const r = runProcess(['init', '--engine', 's6', '--live', live]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is already initialised with the embedded engine, which cannot be changed to s6');
    expect(readState(live).engine).toEqual({ kind: 'embedded' });
    // Naming the engine it has, or none, is fine.
    expect(runProcess(['init', '--engine', 'embedded', '--live', live])).toMatchObject({ code: 0 });
    expect(runProcess(['init', '--live', live])).toMatchObject({ code: 0 });
  }, 60_000);
});

describe('rcform state mv', () => {
  test('renames a running longrun in the state and the engine without restarting it', async () => {
    expect(runProcess(['init', '--live', live]).code).toBe(0);
    const engine = await EmbeddedEngine.connect(live);
    const web = longrun('web', { run: { argv: ['sleep', '3600'] } });
    await engine.install(web);
    await engine.start('web', { timeoutMs: 10_000 });
    const pid = (await engine.status())['web']?.pid as number;
    pids.add(pid);
    const setup = oneshot('setup');
    await engine.setOneshotState(setup, true);
    const s0 = readState(live);
    writeState(live, {
      ...s0,
      services: {
        web: { address: web.address, type: 'longrun', definition: web, definition_hash: web.definition_hash, desired: 'up' },
        setup: { address: setup.address, type: 'oneshot', definition: setup, definition_hash: setup.definition_hash, desired: 'up' },
      },
    });

    const typeChange = runProcess(['state', 'mv', 'longrun.web', 'oneshot.web', '--live', live]);
    expect(typeChange.code).toBe(1);
    expect(typeChange.stderr).toContain('the type cannot change');
    const clash = runProcess(['state', 'mv', 'web', 'setup', '--live', live]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('oneshot.setup already exists');

    const r = runProcess(['state', 'mv', 'longrun.web', 'longrun.frontend', '--live', live]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Move "longrun.web" to "longrun.frontend"');
    const after = readState(live);
    expect(Object.keys(after.services).sort()).toEqual(['frontend', 'setup']);
    expect(after.services['frontend']).toMatchObject({ address: 'longrun.frontend', definition: { name: 'frontend', address: 'longrun.frontend' } });
    expect(after.serial).toBe(s0.serial + 2);
    const status = await engine.status();
    expect(status['web']).toBeUndefined();
    expect(status['frontend']).toMatchObject({ pid, state: 'up' });
    expect(alive(pid)).toBe(true);

    // A oneshot keeps its up state under the new name.
    expect(runProcess(['state', 'mv', 'oneshot.setup', 'prepare', '--live', live]).code).toBe(0);
    const st2 = await engine.status();
    expect(st2['prepare']?.state).toBe('up');
    expect(st2['setup']?.state ?? 'down').toBe('down');
    await engine.close();
  }, 90_000);
});
