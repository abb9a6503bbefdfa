import { afterEach, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, runProcess, type CliResult } from '../support/cli-harness.js';

// Whose live directory is it (docs/security.md): another account really runs rcform here, which
// only root can arrange (CI runs as root); `nobody` plays the other local user.

const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
const rootTest = asRoot ? test : test.skip;
let root: string | undefined;
const children: ChildProcess[] = [];

function asNobody(args: string[], home = root): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: root,
    uid: NOBODY,
    gid: NOBODY,
    env: { PATH: process.env['PATH'], NO_COLOR: '1', CI: 'true', HOME: home },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A temp directory of root's that others may enter, as /tmp is to them. */
function sharedRoot(): string {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  fs.chmodSync(root, 0o755);
  return root;
}

/** An empty directory in it that nobody owns, as nobody's own /tmp/rcform-UID would be. */
function nobodysDir(name: string): string {
  const dir = path.join(root as string, name);
  fs.mkdirSync(dir, { mode: 0o700 });
  fs.chownSync(dir, NOBODY, NOBODY);
  return dir;
}

function pgrep(pattern: string): number[] {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  if (root) {
    const live = path.join(root, 'live');
    if (fs.existsSync(path.join(live, 'engine'))) {
      // Whoever's supervisor it is: stopped by its own user.
      const st = fs.lstatSync(live);
      if (st.uid === NOBODY) asNobody(['supervise', '--stop', '--live', live]);
      else runProcess(['supervise', '--stop', '--live', live]);
    }
    fs.rmSync(root, { recursive: true, force: true });
  }
  root = undefined;
});

rootTest("root refuses a live directory a user made, and never runs that user's services as root", () => {
  const dir = sharedRoot();
  const src = nobodysDir('src');
  // A duration no other test's process has: pgrep finds only this one.
  const sleep = `1601.${process.pid}${Date.now() % 100000}`;
  fs.writeFileSync(path.join(src, 'main.hcl'), `longrun "mine" {\n  run = ["sleep", "${sleep}"]\n}\n`);
  fs.chownSync(path.join(src, 'main.hcl'), NOBODY, NOBODY);
  const live = nobodysDir('live');
  expect(asNobody(['init', '--live', live])).toMatchObject({ code: 0 });
  expect(asNobody(['apply', 'src', '--auto-approve', '--live', live])).toMatchObject({ code: 0 });
  expect(asNobody(['supervise', '--stop', '--live', live])).toMatchObject({ code: 0 });
  expect(pgrep(`sleep ${sleep}`)).toEqual([]);

  // Root's init would start the supervisor as root, which would bring "mine" back as uid 0.
  const r = runProcess(['init', '--live', live]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`Error: refusing the live directory: ${live} is owned by nobody (uid 65534), not by you, root (uid 0); rcform uses only a live directory of its invoking user, so that nobody else decides what it runs\n`);
  expect(fs.existsSync(path.join(live, 'engine', 'supervisor.pid'))).toBe(false);
  expect(pgrep(`sleep ${sleep}`)).toEqual([]);
  // Every command, read-only or not, and the supervisor in the foreground.
  for (const args of [['status'], ['plan', 'src'], ['apply', 'src', '--auto-approve'], ['state', 'list'], ['supervise'], ['logs', 'mine']]) {
    const other = runProcess([...args, '--live', live], { cwd: dir });
    expect({ args, code: other.code, stderr: other.stderr }).toEqual({ args, code: 1, stderr: expect.stringContaining(`refusing the live directory: ${live} is owned by nobody (uid 65534)`) });
  }
  expect(pgrep(`sleep ${sleep}`)).toEqual([]);
  // Its own user still can: the refusal is about who, not about the directory.
  expect(asNobody(['init', '--live', live]).stdout).toMatch(/its embedded supervisor was not running and has been started/);
  expect(pgrep(`sleep ${sleep}`)).toHaveLength(1);
}, 180_000);

rootTest('a directory or symlink another user pre-placed at the live path is refused, not adopted', () => {
  sharedRoot();
  root = root as string;
  // A shared, sticky directory like /tmp, where anyone may create a name first.
  const shared = path.join(root, 'shared');
  fs.mkdirSync(shared);
  fs.chmodSync(shared, 0o1777);
  const planted = path.join(shared, 'live');
  spawnSync('mkdir', ['-m', '0777', planted], { uid: NOBODY, gid: NOBODY });
  expect(fs.lstatSync(planted).uid).toBe(NOBODY);
  const r = runProcess(['init', '--live', planted]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`refusing the live directory: ${planted} is owned by nobody \\(uid 65534\\), not by you`));
  expect(fs.readdirSync(planted)).toEqual([]);
  expect((fs.lstatSync(planted).mode & 0o777).toString(8)).toBe('777');

  // A symlink of theirs to a directory of root's own: never followed.
  const mine = path.join(root, 'mine');
  fs.mkdirSync(mine, { mode: 0o700 });
  const link = path.join(shared, 'link');
  spawnSync('ln', ['-s', mine, link], { uid: NOBODY, gid: NOBODY });
  const viaLink = runProcess(['init', '--live', link]);
  expect(viaLink.code).toBe(1);
  expect(viaLink.stderr).toMatch(new RegExp(`${link} is a symlink owned by nobody \\(uid 65534\\), who could point it elsewhere`));
  expect(fs.readdirSync(mine)).toEqual([]);

  // Their own directory left 0777 is refused to them too: anyone could replace its engine.
  const open = path.join(root, 'open');
  fs.mkdirSync(open);
  fs.chownSync(open, NOBODY, NOBODY);
  fs.chmodSync(open, 0o777);
  const own = asNobody(['init', '--live', open]);
  expect(own.code).toBe(1);
  expect(own.stderr).toMatch(new RegExp(`${open} \\(mode 0777\\) is writable by others`));
}, 120_000);

rootTest('a fake socket planted at the socket path receives no request, and apply says why', async () => {
  root = sharedRoot();
  const live = path.join(root, 'live');
  expect(runProcess(['init', '--live', live]).code).toBe(0);
  expect(runProcess(['supervise', '--stop', '--live', live]).code).toBe(0);
  // Another user's listener, its socket moved into place and given root as owner: only the
  // kernel's record of who listens tells it apart.
  const theirs = path.join(root, 'theirs');
  fs.mkdirSync(theirs);
  fs.chownSync(theirs, NOBODY, NOBODY);
  const got = path.join(theirs, 'received');
  const fake = path.join(theirs, 'fake.sock');
  const listener = spawn(
    process.execPath,
    ['-e', `const fs=require('fs');require('net').createServer((c)=>c.on('data',(d)=>fs.appendFileSync(${JSON.stringify(got)},d))).listen(${JSON.stringify(fake)},()=>console.log('up'))`],
    { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(listener);
  await new Promise<void>((resolve, reject) => {
    listener.stdout?.once('data', () => resolve());
    listener.once('exit', (code) => reject(new Error(`the fake listener exited (${code})`)));
  });
  const sock = path.join(live, 'engine', 'supervise.sock');
  fs.renameSync(fake, sock);
  fs.lchownSync(sock, 0, 0);

  const src = path.join(root, 'src');
  fs.mkdirSync(src);
  fs.writeFileSync(path.join(src, 'main.hcl'), 'longrun "web" {\n  run = ["sleep", "1602"]\n  env = { TOKEN = "s3cret-1602" }\n}\n');
  const r = runProcess(['apply', 'src', '--auto-approve', '--live', live], { cwd: root });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`${sock} is served by pid ${listener.pid} running as nobody \\(uid 65534\\), not by the supervisor of root \\(uid 0\\); nothing was sent to it`));
  expect(fs.existsSync(got)).toBe(false);
  // status says the same, not "no supervisor is running".
  const st = runProcess(['status', '--live', live]);
  expect(st.stderr).toMatch(/served by pid \d+ running as nobody/);
  expect(fs.existsSync(got)).toBe(false);

  // The same socket left owned by its planter is refused before connecting.
  fs.lchownSync(sock, NOBODY, NOBODY);
  const owned = runProcess(['status', '--live', live]);
  expect(owned.stderr).toMatch(new RegExp(`${sock} is owned by nobody \\(uid 65534\\)`));
  expect(fs.existsSync(got)).toBe(false);
  fs.rmSync(sock);
}, 120_000);

rootTest("the supervisor answers only its own user and root; another user's status says permission denied", async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  const live = path.join(root, 'live');
  expect(runProcess(['init', '--live', live]).code).toBe(0);
  const st = asNobody(['status', '--live', live]);
  expect(st.code).toBe(1);
  expect(st.stderr).not.toMatch(/no supervisor is running/);
  expect(st.stderr).toMatch(/permission denied|is owned by root \(uid 0\), not by you, nobody/);

  // An operator's mistake opens the way to the socket: the supervisor still refuses the request.
  fs.chmodSync(root, 0o711);
  fs.chmodSync(live, 0o711);
  fs.chmodSync(path.join(live, 'engine'), 0o711);
  fs.chmodSync(path.join(live, 'engine', 'supervise.sock'), 0o666);
  const sock = path.join(live, 'engine', 'supervise.sock');
  const r = spawnSync(
    process.execPath,
    ['-e', `const c=require('net').createConnection(${JSON.stringify(sock)});let b='';c.setEncoding('utf8');c.on('data',(d)=>b+=d);c.on('close',()=>{process.stdout.write(b);process.exit(0);});c.on('connect',()=>c.write(JSON.stringify({id:7,op:'status'})+'\\n'+JSON.stringify({id:8,op:'shutdown'})+'\\n'));setTimeout(()=>{process.stdout.write(b);process.exit(3)},5000)`],
    { uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 20_000 },
  );
  const replies = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; ok: boolean; error?: string });
  expect(replies).toEqual([{ id: 0, ok: false, error: 'permission denied: this supervisor accepts requests from uid 0 and root only, not uid 65534' }]);
  // Its shutdown request was never read: the supervisor still answers root, once the socket is
  // owner-only again (rcform's own commands refuse a live directory holding a 0666 socket).
  expect(runProcess(['status', '--live', live]).stderr).toMatch(/supervise\.sock \(mode 0666\) is writable by others/);
  fs.chmodSync(sock, 0o600);
  expect(runProcess(['status', '--live', live])).toMatchObject({ code: 0, stdout: 'No services installed.\n' });
}, 120_000);

rootTest("without XDG_RUNTIME_DIR the default live directory is in the user's home, never reached through a symlink", () => {
  sharedRoot();
  const home = nobodysDir('home');
  const live = path.join(home, '.local', 'state', 'rcform', 'live');
  const r = asNobody(['init'], home);
  expect(r.stdout).toMatch(new RegExp(`^Initialised the live directory ${live} `));
  expect(r.code).toBe(0);
  expect(fs.existsSync(path.join(os.tmpdir(), `rcform-${NOBODY}`, 'state.json'))).toBe(false);
  const st = fs.statSync(live);
  expect({ uid: st.uid, mode: (st.mode & 0o777).toString(8) }).toEqual({ uid: NOBODY, mode: '700' });
  expect(asNobody(['supervise', '--stop'], home).code).toBe(0);
  // A symlink there, even the user's own, is not followed.
  fs.renameSync(live, path.join(home, 'elsewhere'));
  fs.symlinkSync(path.join(home, 'elsewhere'), live);
  fs.lchownSync(live, NOBODY, NOBODY);
  const linked = asNobody(['status'], home);
  expect(linked.code).toBe(1);
  expect(linked.stderr).toMatch(new RegExp(`${live} is a symlink \\(to ${path.join(home, 'elsewhere')}\\); rcform never follows a symlink at its default live directory`));
  expect(linked.stderr).toContain('never follows a symlink at its default live directory: remove it, or give the directory with --live\n');
}, 120_000);

test('an s6 scan directory others may write is refused: s6-svscan would run whatever they put there', () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  const scandir = path.join(root, 'scan');
  fs.mkdirSync(scandir);
  fs.chmodSync(scandir, 0o777);
  const r = runProcess(['init', '--engine', 's6', '--scandir', scandir, '--live', path.join(root, 'live')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(new RegExp(`refusing the scan directory: ${scandir} \\(mode 0777, owner .*\\) is writable by others without the sticky bit`));
  expect(fs.existsSync(path.join(root, 'live', 'state.json'))).toBe(false);
});
