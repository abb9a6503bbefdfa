import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { CLI, PROJECT_ROOT } from '../support/cli-harness.js';
import { alive, waitFor } from '../support/engine-harness.js';
import { S6_MISSING, warnS6Missing } from '../support/s6-available.js';
import { readState } from '../../state/state-file.js';

// The boot of docs/s6-rc-users.md, for real: examples/init/s6-svscan's two service directories
// under a real s6-svscan — the embedded supervisor under s6-supervise, and the apply that runs once
// per boot (examples/init/boot-apply.sh). A boot brings the services up; the scan directory's
// shutdown stops them cleanly; the next boot on a fresh live directory (a tmpfs /run) brings them
// back. Only what needs a real PID 1 is left out: s6-svscan runs here as a child of the test.

warnS6Missing('boot under s6-svscan');
const maybe = S6_MISSING ? test.skip : test;

let root: string;
let scan: string;
let live: string;
let svscan: ChildProcess | undefined;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-boot-'));
  scan = path.join(root, 'service');
  live = path.join(root, 'run/rcform');
  fs.mkdirSync(scan);
  for (const d of ['rcform', 'rcform-apply']) {
    fs.mkdirSync(path.join(scan, d));
    fs.copyFileSync(path.join(PROJECT_ROOT, 'examples/init/s6-svscan', d, 'run'), path.join(scan, d, 'run'));
    fs.chmodSync(path.join(scan, d, 'run'), 0o755);
  }
  const bin = path.join(root, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'rcform'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`, { mode: 0o755 });
  const src = path.join(root, 'etc/rcform');
  fs.mkdirSync(src, { recursive: true });
  fs.writeFileSync(
    path.join(src, 'main.hcl'),
    `oneshot "hostname" {\n  up = ["sh", "-c", "echo booted >> ${root}/boots"]\n}\n\nlongrun "getty" {\n  depends_on = [oneshot.hostname]\n  run        = ["sleep", "2147483647"]\n}\n`,
  );
}, 30_000);

afterAll(async () => {
  await shutdown();
  fs.rmSync(root, { recursive: true, force: true });
}, 60_000);

function boot(): void {
  const console = fs.openSync(path.join(root, 'console.log'), 'a');
  svscan = spawn('s6-svscan', [scan], {
    env: {
      PATH: `${path.join(root, 'bin')}:${process.env['PATH'] ?? ''}`,
      RCFORM_LIVE: live,
      RCFORM_SOURCE: path.join(root, 'etc/rcform'),
      RCFORM_BOOT_APPLY: path.join(PROJECT_ROOT, 'examples/init/boot-apply.sh'),
    },
    stdio: ['ignore', console, console],
  });
  fs.closeSync(console);
}

/** s6-svscanctl -t: every s6-supervise brings its service down and exits, then s6-svscan exits. */
async function shutdown(): Promise<void> {
  if (!svscan || svscan.exitCode !== null) return;
  const exited = new Promise((r) => svscan?.once('exit', r));
  spawnSync('s6-svscanctl', ['-t', scan]);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
  clearTimeout(timer);
  if (svscan.exitCode === null) svscan.kill('SIGKILL');
}

const rc = (args: string[]) => spawnSync(process.execPath, [CLI, ...args, '--live', live], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

async function gettyUp(): Promise<number> {
  return waitFor(
    'getty up after boot',
    () => {
      const r = rc(['status', '--json']);
      if (r.status !== 0) return false;
      const getty = (JSON.parse(r.stdout).services as Array<{ name: string; state: string; pid?: number }>).find((s) => s.name === 'getty');
      return getty?.state === 'up' && getty.pid !== undefined ? getty.pid : false;
    },
    45_000,
  );
}

maybe(
  'a boot under s6-svscan supervises rcform and applies once; shutdown stops every service; the next boot brings them back',
  async () => {
    boot();
    const pid = await gettyUp();
    expect(alive(pid)).toBe(true);
    expect(fs.readFileSync(path.join(root, 'boots'), 'utf8')).toBe('booted\n');
    expect(Object.keys(readState(live).services).sort()).toEqual(['getty', 'hostname']);
    // The apply ran once and stays down (s6-svc -O), the supervisor runs under s6-supervise.
    await waitFor('rcform-apply done', () => /^down/.test(spawnSync('s6-svstat', [path.join(scan, 'rcform-apply')], { encoding: 'utf8' }).stdout));
    expect(spawnSync('s6-svstat', [path.join(scan, 'rcform')], { encoding: 'utf8' }).stdout).toMatch(/^up/);
    await new Promise((r) => setTimeout(r, 1500));
    expect(fs.readFileSync(path.join(root, 'boots'), 'utf8')).toBe('booted\n');

    await shutdown();
    expect(svscan?.exitCode).not.toBeNull();
    await waitFor('getty gone', () => !alive(pid));

    // A reboot: /run is a tmpfs, so the live directory is gone; the services come back.
    fs.rmSync(path.join(root, 'run'), { recursive: true, force: true });
    boot();
    const pid2 = await gettyUp();
    expect(pid2).not.toBe(pid);
    expect(fs.readFileSync(path.join(root, 'boots'), 'utf8')).toBe('booted\nbooted\n');
    await shutdown();
    await waitFor('getty gone', () => !alive(pid2));
  },
  120_000,
);

// systemd cannot run here (no systemd as PID 1): its units are checked by systemd-analyze verify,
// which parses every directive and refuses unknown keys and bad values, with the programs they
// name pointed at real files.
const ANALYZE = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { stdio: 'ignore' }).status === 0;
if (!ANALYZE) console.warn('!! examples/init/systemd: SKIPPED — systemd-analyze is not installed (apt-get install systemd)');
(ANALYZE ? test : test.skip)('the systemd units of examples/init pass systemd-analyze verify', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-units-'));
  try {
    const rcformBin = path.join(dir, 'rcform');
    fs.writeFileSync(rcformBin, '#!/bin/sh\n', { mode: 0o755 });
    const units = ['rcform.service', 'rcform-apply.service'];
    for (const u of units) {
      const text = fs.readFileSync(path.join(PROJECT_ROOT, 'examples/init/systemd', u), 'utf8');
      expect(text).toMatch(/^ExecStart=.*\/usr\/local\/(bin\/rcform|lib\/rcform\/boot-apply\.sh)/m);
      fs.writeFileSync(
        path.join(dir, u),
        text.replace('/usr/local/bin/rcform', rcformBin).replace('/usr/local/lib/rcform/boot-apply.sh', path.join(PROJECT_ROOT, 'examples/init/boot-apply.sh')),
      );
    }
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', ...units.map((u) => path.join(dir, u))], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'examples/init/systemd/rcform.service'), 'utf8')).toMatch(/^KillMode=mixed$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
