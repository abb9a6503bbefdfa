import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../support/cli-harness.js';
import { S6RC, s6rc, warnS6rcMissing } from '../support/s6rc-oracle.js';
import { S6_MISSING } from '../support/s6-available.js';

// An exported tree run by s6-rc itself: s6-svscan, s6-rc-init, s6-rc -u change. What rcform
// would have done around a service — its env (through env/ and s6-envdir), its data tree, its
// working directory, a oneshot script fed to its interpreter, dependency order — s6-rc does too.

warnS6rcMissing('export s6-rc, run by s6-rc');
const maybe = S6RC && !S6_MISSING ? describe : describe.skip;

let tmp: string;
let svscan: ChildProcess | undefined;
const scandir = (): string => path.join(tmp, 'scan');

async function eventually<V>(what: string, fn: () => V | undefined, timeoutMs = 15000): Promise<V> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-')));
});

afterAll(async () => {
  if (svscan?.pid !== undefined && alive(svscan.pid)) {
    const live = path.join(tmp, 'live');
    if (fs.existsSync(live)) spawnSync(path.join(S6RC?.bin as string, 's6-rc'), ['-l', live, '-da', 'change'], { stdio: 'ignore', timeout: 20000 });
    spawnSync('s6-svscanctl', ['-t', scandir()], { stdio: 'ignore' });
    const pid = svscan.pid;
    await eventually('s6-svscan gone', () => (alive(pid) ? undefined : true)).catch(() => process.kill(-pid, 'SIGKILL'));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}, 40000);

maybe('export s6-rc, run by s6-rc', () => {
  test('up and down through s6-rc: env/, data/, working directory, oneshot scripts, dependency order', async () => {
    const out = path.join(tmp, 'out');
    const live = path.join(tmp, 'live');
    // web runs in working_dir, so it finds its data through the service directory s6-rc made of it.
    const webData = path.join(live, 'servicedirs', 'web', 'data');
    fs.mkdirSync(out);
    fs.writeFileSync(
      path.join(tmp, 'main.hcl'),
      `
oneshot "prepare" {
  up   = "#!/bin/sh\\necho \\"prepared $WHAT\\" > ${out}/prepared\\n"
  down = ["rm", "-f", "${out}/prepared"]
  env  = { WHAT = "the disks" }
}

longrun "web" {
  run        = ["/bin/sh", "-c", "test -e ${out}/prepared || exit 1; printf '%s|%s|%s' \\"$GREETING\\" \\"$(cat ${webData}/conf/app.conf)\\" \\"$(pwd)\\" > ${out}/web.tmp && mv ${out}/web.tmp ${out}/web; exec sleep 1000"]
  env        = { GREETING = "hello world" }
  depends_on = [oneshot.prepare]
  working_dir = "${out}"
  data       = { "conf/app.conf" = "port=8080" }
}

longrun "site" {
  run        = "#!/bin/sh\\nexec s6-envdir env sh -c 'echo \\"$SITE\\" > ${out}/site; cat data/index.html >> ${out}/site; exec sleep 1000'\\n"
  env        = { SITE = "example" }
  data       = { "index.html" = "<h1>hi</h1>\\n" }
  depends_on = [longrun.web]
}
`,
    );
    const exported = runProcess(['export', 's6-rc', tmp, '--out', path.join(tmp, 'src')]);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    s6rc('s6-rc-compile', [path.join(tmp, 'compiled'), path.join(tmp, 'src')]);

    fs.mkdirSync(scandir());
    svscan = spawn('s6-svscan', [scandir()], { detached: true, stdio: 'ignore' });
    await eventually('s6-svscan listening', () => (fs.existsSync(path.join(scandir(), '.s6-svscan', 'control')) ? true : undefined));
    s6rc('s6-rc-init', ['-c', path.join(tmp, 'compiled'), '-l', live, scandir()]);

    s6rc('s6-rc', ['-l', live, '-u', 'change', 'site']);
    expect(fs.readFileSync(path.join(out, 'prepared'), 'utf8')).toBe('prepared the disks\n');
    const web = await eventually('web', () => (fs.existsSync(path.join(out, 'web')) ? fs.readFileSync(path.join(out, 'web'), 'utf8') : undefined));
    expect(web).toBe(`hello world|port=8080|${out}`);
    const site = await eventually('site', () => (fs.existsSync(path.join(out, 'site')) && fs.readFileSync(path.join(out, 'site'), 'utf8').includes('</h1>') ? fs.readFileSync(path.join(out, 'site'), 'utf8') : undefined));
    expect(site).toBe('example\n<h1>hi</h1>\n');
    expect(s6rc('s6-rc', ['-l', live, '-a', 'list']).split('\n').filter((l) => l !== '' && !l.startsWith('s6rc-')).sort()).toEqual(['prepare', 'site', 'web']);

    // Down with its dependents first: the oneshot's down runs after both longruns are gone.
    const pid = Number(spawnSync('s6-svstat', ['-p', path.join(scandir(), 'web')], { encoding: 'utf8' }).stdout.trim());
    expect(alive(pid)).toBe(true);
    s6rc('s6-rc', ['-l', live, '-d', 'change', 'prepare']);
    expect(fs.existsSync(path.join(out, 'prepared'))).toBe(false);
    await eventually('web gone', () => (alive(pid) ? undefined : true));
    expect(s6rc('s6-rc', ['-l', live, '-a', 'list']).split('\n').filter((l) => l !== '' && !l.startsWith('s6rc-'))).toEqual([]);
  }, 60000);
});
