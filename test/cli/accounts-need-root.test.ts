import { afterEach, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, type CliResult } from '../support/cli-harness.js';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import { longrun } from '../support/longrun-fixture.js';

// `user`/`group` as a user who is not root: switching account needs root (s6-setuidgid's rule), and
// the operator is told so, per service and once, before anything starts, instead of a failed chown.
// The CLI really runs as another account (nobody), which only root can arrange: CI runs as root.

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
let root: string | undefined;

function asNobody(args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: root,
    uid: NOBODY,
    gid: NOBODY,
    env: { PATH: process.env['PATH'], NO_COLOR: '1', CI: 'true', HOME: root },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

afterEach(() => {
  if (root) {
    asNobody(['supervise', '--stop', '--live', path.join(root, 'live')]);
    fs.rmSync(root, { recursive: true, force: true });
  }
  root = undefined;
});

(asRoot ? test : test.skip)('as another user, user = "root" is a clear error naming the service, once, before anything starts (needs root to arrange)', async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  fs.chownSync(root, NOBODY, NOBODY);
  const src = path.join(root, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(
    path.join(src, 'main.hcl'),
    [
      'longrun "fine" {\n  run = ["sleep", "1041"]\n}\n',
      'longrun "priv" {\n  user = "root"\n  run  = ["sleep", "1042"]\n}\n',
      'longrun "ghost" {\n  user = "no-such-user-rcform"\n  run  = ["sleep", "1043"]\n}\n',
    ].join('\n'),
  );
  fs.chownSync(src, NOBODY, NOBODY);
  const live = path.join(root, 'live');
  expect(asNobody(['init', '--live', live])).toMatchObject({ code: 0 });

  const r = asNobody(['apply', 'src', '--auto-approve', '--live', live]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/nothing was started/);
  expect(r.stderr).toMatch(/longrun\.priv \(step [^)]+\): running as user "root" needs root \(rcform runs as uid 65534\)/);
  expect(r.stderr).toMatch(/longrun\.ghost \(step [^)]+\): unknown user "no-such-user-rcform"/);
  // Once each, though each has an install and a start step.
  expect(r.stderr.match(/longrun\.priv/g)).toHaveLength(1);
  expect(r.stderr.match(/longrun\.ghost/g)).toHaveLength(1);
  expect(`${r.stdout}${r.stderr}`).not.toMatch(/EPERM|chown/);
  const st = asNobody(['status', '--json', '--live', live]);
  expect(JSON.parse(st.stdout).services).toEqual([]);

  // The supervisor itself says the same at install, should a plan reach it.
  const engine = await EmbeddedEngine.connect(live);
  try {
    const err = await engine.install(longrun('priv', { user: 'root', run: { argv: ['sleep', '1042'] } })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('priv: running as user "root" needs root (rcform runs as uid 65534), as s6-setuidgid does');
  } finally {
    await engine.close();
  }
}, 180_000);
