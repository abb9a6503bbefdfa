import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { runProcess } from '../support/cli-harness.js';
import { S6RC, s6rcTry, warnS6rcMissing } from '../support/s6rc-oracle.js';
import { s6rcAnswers, type S6rcAnswers } from '../support/s6rc-answers.js';
import { makeS6rcTree, seededRandom } from '../support/s6rc-tree-gen.js';
import { allDependencies } from '../../lang/compile/db-query.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';

// `rcform export s6-rc` is judged by s6-rc itself: the tree it writes must pass s6-rc-compile,
// and s6-rc-db must then give rcform's answers. The round trip starts from generated s6-rc
// trees: import → compile → export → s6-rc-compile must give what s6-rc-compile gave for the
// original: closures both ways, bundle contents, every longrun's service directory (scripts,
// env/, data/, control files) and every oneshot's command lines.

warnS6rcMissing('export s6-rc');
const maybe = S6RC ? describe : describe.skip;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(file: string, content: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content, { mode });
}

function readTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out[p] = fs.readFileSync(path.join(root, p), 'latin1');
    }
  };
  walk('');
  return out;
}

function ok(r: { code: number; stdout: string; stderr: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout}${r.stderr}`);
}

function s6rcCompile(src: string, out: string): void {
  const r = s6rcTry('s6-rc-compile', [out, src]);
  if (r.code !== 0) throw new Error(`s6-rc-compile ${src}: exit ${r.code}: ${r.stderr}`);
}

const HCL = `
longrun "db" {
  run             = ["/usr/bin/env", "sleep", "1000"]
  env             = { PGDATA = "/var/lib/pg", EMPTY = "", MULTI = "a\\nb" }
  notification_fd = 3
  lock_fd         = 4
  timeout_up      = "5s"
  timeout_kill    = "250ms"
  max_death_tally = 7
  down_signal     = "INT"
  essential       = true
  data = {
    "pg.conf"                     = "port = 5432\\n"
    "rules/ip4/127.0.0.1_32/allow" = ""
    "rules/uid/0/env/WHO"         = "root\\n"
  }
}

longrun "web" {
  run        = "#!/bin/sh\\nexec s6-envdir env sleep 1000\\n"
  env        = { PORT = "8080" }
  depends_on = [bundle.storage]
}

oneshot "mount" {
  up   = ["mount", "-a", "-t", "no proc"]
  down = "#!/bin/sh\\numount -a\\n"
}

oneshot "seed" {
  up         = "#!/bin/execlineb -P\\nif { echo \\"seeding\\" } true\\n"
  depends_on = [oneshot.mount]
  timeout_up = "1m"
}

longrun "getty" {
  for_each = toset(["tty1", "tty2"])
  run      = ["/sbin/agetty", each.key]
}

bundle "storage" {
  contents = [longrun.db, oneshot.seed]
}

bundle "all" {
  contents  = [bundle.storage, longrun.web, longrun.getty]
  essential = true
}
`;

maybe('export s6-rc, judged by s6-rc', () => {
  test('s6-rc-compile accepts the tree and s6-rc-db answers as rcform does', () => {
    put(path.join(dir, 'hcl', 'main.hcl'), HCL);
    ok(runProcess(['compile', path.join(dir, 'hcl'), '--out', path.join(dir, 'db.json')]), 'compile');
    const db = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8')) as CompiledDb;
    const exported = runProcess(['export', 's6-rc', path.join(dir, 'hcl'), '--out', path.join(dir, 'src')]);
    ok(exported, 'export');
    expect(exported.stdout).toBe(`Exported 8 definitions to ${path.join(dir, 'src')}.\n`);
    // The one thing the s6-rc format cannot say here: web's script would have to apply its env itself, and it does.
    expect(exported.stderr).toBe('');
    s6rcCompile(path.join(dir, 'src'), path.join(dir, 'compiled'));
    const a = s6rcAnswers(path.join(dir, 'compiled'), readTree);

    const names = Object.keys(db.services).sort();
    expect(Object.keys(a.closures).sort()).toEqual(names);
    for (const n of names) {
      expect([n, a.closures[n]]).toEqual([n, allDependencies(db, [n], 'up').filter((x) => x !== n)]);
      expect([n, a.reverseClosures[n]]).toEqual([n, allDependencies(db, [n], 'down').filter((x) => x !== n)]);
      expect([n, a.dependencies[n]]).toEqual([n, db.services[n]?.dependencies]);
    }
    expect(a.contents).toEqual(Object.fromEntries(Object.entries(db.bundles).map(([k, b]) => [k, b.members])));
    expect(a.types['getty@tty1']).toBe('longrun');

    // The service directory s6-supervise would run: env/ for s6-envdir, data/ a tree.
    const dbDir = a.servicedirs['db'] as Record<string, string>;
    expect(dbDir['env/PGDATA']).toBe('/var/lib/pg\n');
    expect(dbDir['env/EMPTY']).toBe('\n');
    expect(dbDir['env/MULTI']).toBe('a\0b\n');
    expect(dbDir['data/rules/uid/0/env/WHO']).toBe('root\n');
    expect(dbDir['data/rules/ip4/127.0.0.1_32/allow']).toBe('');
    expect(dbDir['lock-fd']).toBe('4\n');
    expect(dbDir['notification-fd']).toBe('3\n');
    expect(dbDir['run']).toBe('#!/bin/execlineb -P\ns6-envdir -L ./env /usr/bin/env sleep 1000\n');
    expect(a.servicedirs['web']?.['run']).toBe('#!/bin/sh\nexec s6-envdir env sleep 1000\n');
    expect(a.scripts['mount']).toEqual({ up: 'mount\0-a\0-t\0no proc\0', down: 'heredoc\x000\0#!/bin/sh\numount -a\n\0/bin/sh\0/dev/stdin\0' });
    expect(a.scripts['seed']?.up).toBe('if\0 echo\0 seeding\0\0true\0');
    expect(s6rcTry('s6-rc-db', ['-c', path.join(dir, 'compiled'), 'timeout', 'seed']).stdout).toBe('60000\n');
  });

  test('what the s6-rc format cannot say is a warning naming the service; SRCDIR is not overwritten', () => {
    put(path.join(dir, 'lossy', 'main.hcl'), `
longrun "idle" {
  run         = "#!/bin/sh\\nexec sleep 1000\\n"
  down        = true
  user        = "nobody"
  env         = { A = "x", TRAIL = "y " }
}
oneshot "ask" {
  up = ["true"]
  input {
    prompt = "Passphrase"
  }
}
`);
    const out = path.join(dir, 'lossy-src');
    const r = runProcess(['export', 's6-rc', path.join(dir, 'lossy'), '--out', out]);
    ok(r, 'export');
    expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([
      'Warning: oneshot.ask: input: s6-rc runs oneshots without an operator to answer; the prompt is not exported',
      'Warning: longrun.idle: run is a script, which s6-supervise runs as it is: env (its script does not read env/: s6-envdir env), user not applied',
      'Warning: longrun.idle: env.TRAIL: a value with trailing spaces or tabs cannot be written as an s6-envdir file; not exported',
      'Warning: longrun.idle: down = true: an s6-rc source definition has no down flag (s6-rc-compile ignores ./down); it is started whenever a bundle or change names it',
    ]);
    s6rcCompile(out, path.join(dir, 'lossy-compiled'));
    const again = runProcess(['export', 's6-rc', path.join(dir, 'lossy'), '--out', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty (use --force to replace it)');
    ok(runProcess(['export', 's6-rc', '--compiled', path.join(dir, 'db.json'), '--out', out, '--force']), 'export --force');
    expect(fs.readdirSync(out).sort()).toEqual(['all', 'db', 'getty@tty1', 'getty@tty2', 'mount', 'seed', 'storage', 'web']);
  });

  test('round trip of a hand-written tree: every file kind a definition has', () => {
    const orig = path.join(dir, 'hand', 'orig');
    const def = (name: string, files: Record<string, string>): void => {
      for (const [f, c] of Object.entries(files)) put(path.join(orig, name, f), c, f === 'run' || f === 'finish' ? 0o755 : 0o644);
    };
    def('mount', { type: 'oneshot\n', up: 'mount -a\n', down: 'if { umount -a } echo "unmounted ${FS}"\n', 'timeout-up': '3000\n' });
    def('seed', { type: 'oneshot\n', up: 'echo seed\n', dependencies: '# the disks\nmount\n' });
    def('db', {
      type: 'longrun\n',
      run: '#!/bin/execlineb -P\ns6-envdir env\nexec sleep 1000\n',
      finish: '#!/bin/sh\nrm -f pid\n',
      'dependencies.d/seed': '',
      'notification-fd': '3\n',
      'lock-fd': '4\n',
      'timeout-kill': '250\n',
      'timeout-finish': '1000\n',
      'max-death-tally': '7\n',
      'down-signal': 'SIGINT\n',
      'flag-essential': '',
      'producer-for': 'db-log\n',
      'env/PGDATA': '/var/lib/pg\n',
      'env/EMPTY': '\n',
      'env/LINES': 'a\0b\n',
      'data/pg.conf': 'port = 5432\n',
      'data/rules/ip4/127.0.0.1_32/allow': '',
      'data/rules/uid/0/env/WHO': 'root\n',
    });
    def('db-log', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'db\n', 'pipeline-name': 'db-pipeline\n' });
    def('web', { type: 'longrun\n', run: '#!/bin/sh\nexec sleep 1000\n', dependencies: 'storage\n' });
    def('storage', { type: 'bundle\n', 'contents.d/db': '', 'contents.d/db-log': '', 'contents.d/seed': '' });
    def('everything', { type: 'bundle\n', contents: 'storage\nweb\n', 'flag-essential': '' });
    roundTrip(orig, path.join(dir, 'hand'));
  });

  test('round trip of generated trees (those import and compile agree with s6-rc on)', () => {
    const SEEDS = 12;
    let trees = 0;
    let services = 0;
    let bundles = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const base = path.join(dir, `rt-${seed}`);
      const orig = path.join(base, 'orig');
      const tree = makeS6rcTree(seed, orig);
      decorate(seed, orig, tree.services.filter((s) => s.type === 'longrun').map((s) => s.name));
      const counted = roundTrip(orig, base);
      if (counted) {
        trees++;
        services += counted.services;
        bundles += counted.bundles;
      }
      fs.rmSync(base, { recursive: true, force: true });
    }
    console.log(`export round trip: ${trees} of ${SEEDS} generated trees, ${services} services, ${bundles} bundles compared`);
  });
});

/**
 * import → compile → export → s6-rc-compile, compared with s6-rc-compile of the original. A name
 * import renames (a documented rename, stated in a warning) is named back before comparing. A
 * tree import cannot make valid HCL of is not the exporter's to judge: undefined, and the test
 * counts what it compared.
 */
function roundTrip(orig: string, base: string): { services: number; bundles: number } | undefined {
  s6rcCompile(orig, path.join(base, 'orig-compiled'));
  const want = s6rcAnswers(path.join(base, 'orig-compiled'), readTree);
  const imported = runProcess(['import', 's6-rc', orig, '--out', path.join(base, 'hcl')]);
  ok(imported, 'import');
  const compiled = runProcess(['compile', path.join(base, 'hcl'), '--out', path.join(base, 'db.json')]);
  if (compiled.code !== 0) return undefined;
  const renamed = new Map([...imported.stderr.matchAll(/the name "([^"]+)"[^\n]*imported as "([^"]+)"/g)].map((m) => [m[2] as string, m[1] as string]));
  if (!importAgrees(JSON.parse(fs.readFileSync(path.join(base, 'db.json'), 'utf8')) as CompiledDb, want, renamed)) return undefined;
  ok(runProcess(['export', 's6-rc', '--compiled', path.join(base, 'db.json'), '--out', path.join(base, 'back')]), 'export');
  s6rcCompile(path.join(base, 'back'), path.join(base, 'back-compiled'));
  const got = namedBack(s6rcAnswers(path.join(base, 'back-compiled'), readTree), renamed);
  expect([orig, got]).toEqual([orig, want]);
  return { services: Object.keys(want.closures).length, bundles: Object.keys(want.contents).length };
}

/** Whether what import + compile made has the original's closures and bundles: if not, the import is wrong, not the export. */
function importAgrees(db: CompiledDb, want: S6rcAnswers, renamed: ReadonlyMap<string, string>): boolean {
  const name = (n: string): string => renamed.get(n) ?? n;
  const closures = Object.fromEntries(Object.keys(db.services).map((n) => [name(n), allDependencies(db, [n], 'up').filter((x) => x !== n).map(name).sort()]));
  const contents = Object.fromEntries(Object.entries(db.bundles).map(([n, b]) => [name(n), b.members.map(name).sort()]));
  return isDeepStrictEqual(closures, want.closures) && isDeepStrictEqual(contents, want.contents);
}

/** The answers with every renamed name given back its s6-rc name: keys, lists, and names in files (pipeline wrappers). */
function namedBack(a: S6rcAnswers, renamed: ReadonlyMap<string, string>): S6rcAnswers {
  if (renamed.size === 0) return a;
  const name = (n: string): string => renamed.get(n) ?? n;
  const names = (xs: string[]): string[] => xs.map(name).sort();
  const keys = <V>(r: Record<string, V>, f: (v: V) => V): Record<string, V> => Object.fromEntries(Object.entries(r).map(([k, v]) => [name(k), f(v)]));
  // s6-rc-compile's pipeline wrappers name the pipe s6rc-w-NAME, s6rc-r-NAME.
  const inText = (t: string): string => t.replace(/[A-Za-z0-9_.@-]+/g, (w) => w.replace(/^(s6rc-[rw]-)?(.*)$/s, (_m, pipe: string | undefined, n: string) => (pipe ?? '') + name(n)));
  return {
    types: keys(a.types, (v) => v),
    dependencies: keys(a.dependencies, names),
    closures: keys(a.closures, names),
    reverseClosures: keys(a.reverseClosures, names),
    contents: keys(a.contents, names),
    servicedirs: keys(a.servicedirs, (files) => Object.fromEntries(Object.entries(files).map(([p, c]) => [p, inText(c)]))),
    scripts: keys(a.scripts, (v) => v),
  };
}

/** What the generator leaves out and a service directory has: env/, nested data/, control files. */
function decorate(seed: number, src: string, longruns: string[]): void {
  const r = seededRandom(seed ^ 0xe4);
  const pick = (p: number): boolean => r() < p;
  for (const name of longruns) {
    const d = path.join(src, name);
    if (pick(0.5)) {
      put(path.join(d, 'env', 'HOME'), '/var/lib/x\n');
      put(path.join(d, 'env', 'EMPTY'), '\n');
      put(path.join(d, 'env', 'LINES'), 'a\0b\n');
    }
    if (pick(0.5)) {
      put(path.join(d, 'data', 'conf'), `seed ${seed}\n`);
      put(path.join(d, 'data', 'rules', 'ip4', '127.0.0.1_32', 'allow'), '');
      put(path.join(d, 'data', 'rules', 'uid', '0', 'env', 'WHO'), 'root\n');
    }
    if (pick(0.3)) put(path.join(d, 'notification-fd'), '3\n');
    if (pick(0.3)) put(path.join(d, 'lock-fd'), '5\n');
    if (pick(0.3)) put(path.join(d, 'timeout-kill'), '250\n');
    if (pick(0.3)) put(path.join(d, 'max-death-tally'), '7\n');
    if (pick(0.3)) put(path.join(d, 'down-signal'), 'SIGINT\n');
    if (pick(0.3)) put(path.join(d, 'finish'), '#!/bin/sh\nexit 0\n', 0o755);
  }
}
