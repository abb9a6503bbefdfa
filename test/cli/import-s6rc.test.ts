import { afterEach, beforeEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runProcess } from '../support/cli-harness.js';
import { closure } from '../../lang/compile/db-query.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';

// Import real s6-rc source trees written here, compile the result with the real CLI, and check
// that what s6-rc would have run is what rcform will run: every dependency closure equal to the
// one the tree declares (computed below, independently of rcform), scripts byte for byte.

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function put(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

type Kind = 'longrun' | 'oneshot' | 'bundle';
interface Node {
  name: string;
  kind: Kind;
  /** Dependencies (atomic) or contents (bundle), as written in the tree. */
  refs: string[];
}

/** A random acyclic tree: each service refers only to earlier ones, through files and .d dirs. */
function writeRandomTree(src: string, count: number, seed: number): Node[] {
  let s = seed;
  const rand = (n: number): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const kind: Kind = i < 3 ? 'oneshot' : (['longrun', 'longrun', 'oneshot', 'bundle'] as const)[rand(4)];
    const name = `${kind}-${i}`;
    const refs = new Set<string>();
    const want = kind === 'bundle' ? 1 + rand(3) : rand(4);
    for (let k = 0; k < want && i > 0; k++) refs.add((nodes[rand(i)] as Node).name);
    const node: Node = { name, kind, refs: [...refs] };
    nodes.push(node);
    const d = path.join(src, name);
    put(path.join(d, 'type'), `${kind}\n`);
    if (kind === 'longrun') put(path.join(d, 'run'), `#!/bin/sh\n# ${name}\nexec sleep ${1000 + i}\n`);
    if (kind === 'oneshot') put(path.join(d, 'up'), `echo ${name}\n`);
    const listFile = kind === 'bundle' ? 'contents' : 'dependencies';
    // Split the references between the list file and the .d directory, as real trees mix them.
    const inFile = node.refs.filter((_, j) => j % 2 === 0);
    const inDir = node.refs.filter((_, j) => j % 2 === 1);
    if (inFile.length || kind === 'bundle') put(path.join(d, listFile), `# written by the test\n${inFile.map((r) => `  ${r}\n`).join('')}`);
    for (const r of inDir) put(path.join(d, `${listFile}.d`, r), '');
  }
  return nodes;
}

/** The closure s6-rc would compute: bundles expanded to atomics, dependencies followed. */
function expectedClosures(nodes: Node[]): Map<string, string[]> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const atoms = (name: string): string[] => {
    const n = byName.get(name) as Node;
    return n.kind === 'bundle' ? n.refs.flatMap(atoms) : [name];
  };
  const out = new Map<string, string[]>();
  for (const n of nodes) {
    if (n.kind === 'bundle') continue;
    const seen = new Set<string>();
    const stack = n.refs.flatMap(atoms);
    while (stack.length) {
      const a = stack.pop() as string;
      if (seen.has(a)) continue;
      seen.add(a);
      stack.push(...(byName.get(a) as Node).refs.flatMap(atoms));
    }
    out.set(n.name, [...seen].sort());
  }
  return out;
}

test('import, compile: every dependency closure is the one the s6-rc tree declares', () => {
  const src = path.join(dir, 'src');
  const nodes = writeRandomTree(src, 40, 7);
  const imported = runProcess(['import', 's6-rc', src, '--out', path.join(dir, 'hcl')]);
  expect(imported.stderr).toBe('');
  expect(imported.code).toBe(0);
  expect(imported.stdout).toContain('Imported 40 services');
  // The importer writes canonical HCL: fmt has nothing to change.
  expect(runProcess(['fmt', '--check', path.join(dir, 'hcl')]).code).toBe(0);

  const compiled = runProcess(['compile', path.join(dir, 'hcl'), '--out', path.join(dir, 'db.json')]);
  expect(compiled.stderr).toBe('');
  expect(compiled.code).toBe(0);
  const db = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8'));
  const expected = expectedClosures(nodes);
  const actual = new Map(Object.keys(db.services).map((name) => [name, closure(db as CompiledDb, name)]));
  expect(actual).toEqual(expected);
  for (const n of nodes.filter((x) => x.kind === 'bundle')) expect(Object.keys(db.bundles)).toContain(n.name);
  // Scripts arrive byte for byte; plain oneshot command lines become argv.
  const longrun = nodes.find((n) => n.kind === 'longrun') as Node;
  expect(db.services[longrun.name].run).toEqual({ script: fs.readFileSync(path.join(src, longrun.name, 'run'), 'utf8') });
  expect(db.services['oneshot-0'].up).toEqual({ argv: ['echo', 'oneshot-0'] });
});

test('a full longrun definition survives import and compile; what cannot be converted is named', () => {
  const src = path.join(dir, 'src');
  put(path.join(src, 'mount/type'), 'oneshot\n');
  put(path.join(src, 'mount/up'), 'if { mount -a } echo "mounted ${FS}"\n');
  put(path.join(src, 'db/type'), 'longrun\n');
  put(path.join(src, 'db/run'), '#!/bin/sh\nexec pg -D "${PGDATA}" 100%{x}\n');
  put(path.join(src, 'db/finish'), '#!/bin/sh\nrm -f pid\n');
  put(path.join(src, 'db/dependencies.d/mount'), '');
  put(path.join(src, 'db/notification-fd'), '3\n');
  put(path.join(src, 'db/timeout-up'), '5000\n');
  put(path.join(src, 'db/timeout-kill'), '250\n');
  put(path.join(src, 'db/max-death-tally'), '7\n');
  put(path.join(src, 'db/down-signal'), 'SIGINT\n');
  put(path.join(src, 'db/flag-essential'), '');
  put(path.join(src, 'db/producer-for'), 'db-log\n');
  put(path.join(src, 'db/env/PGDATA'), '/var/lib/pg\n');
  put(path.join(src, 'db/data/pg.conf'), 'port = 5432\nlisten = "${ADDR}"\n');
  put(path.join(src, 'db/lock-fd'), '4\n');
  put(path.join(src, 'db-log/type'), 'longrun\n');
  put(path.join(src, 'db-log/run'), '#!/bin/sh\nexec cat\n');
  put(path.join(src, 'db-log/consumer-for'), 'db\n');
  put(path.join(src, 'db-log/pipeline-name'), 'db-pipeline\n');

  const out = path.join(dir, 'hcl');
  const imported = runProcess(['import', 's6-rc', src, '--out', out]);
  expect(imported.code).toBe(0);
  expect(imported.stderr).toBe('');
  expect(fs.readdirSync(out).sort()).toEqual(['db-log.hcl', 'db.hcl', 'mount.hcl']);

  const compiled = runProcess(['compile', out, '--out', path.join(dir, 'db.json')]);
  expect(compiled.stderr).toBe('');
  const db = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8'));
  expect(db.services.db).toMatchObject({
    run: { script: '#!/bin/sh\nexec pg -D "${PGDATA}" 100%{x}\n' },
    finish: { script: '#!/bin/sh\nrm -f pid\n' },
    // db is producer_for db-log: as in s6-rc, a producer depends on its consumer.
    dependencies: ['db-log', 'mount'],
    notification_fd: 3,
    lock_fd: 4,
    timeouts: { up_ms: 5000, kill_ms: 250 },
    max_death_tally: 7,
    essential: true,
    producer_for: 'db-log',
    env: { PGDATA: '/var/lib/pg' },
    data: { 'pg.conf': 'port = 5432\nlisten = "${ADDR}"\n' },
  });
  expect(db.services.db.down_signal).toMatch(/^(SIG)?INT$/);
  expect(db.services['db-log']).toMatchObject({ consumer_for: ['db'], pipeline_name: 'db-pipeline' });
  expect(db.services.mount.up).toEqual({ script: '#!/bin/execlineb -P\nif { mount -a } echo "mounted ${FS}"\n' });

  // A second import refuses to overwrite without --force.
  const again = runProcess(['import', 's6-rc', src, '--out', out]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/already exists \(use --force to overwrite\)/);
  expect(runProcess(['import', 's6-rc', src, '--out', out, '--force']).code).toBe(0);
});

test('a missing source directory or --out is a one-line error', () => {
  const r = runProcess(['import', 's6-rc', path.join(dir, 'nope'), '--out', path.join(dir, 'o')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(`Error: cannot read source directory ${path.join(dir, 'nope')}: no such directory\n`);
  expect(runProcess(['import', 's6-rc', dir]).stderr).toContain('--out DIR is required');
});

test('nested data/ imports as paths; a symbolic link inside data/ or env/ is named, never followed out of the tree', () => {
  const src = path.join(dir, 'src');
  put(path.join(src, 'tcpd/type'), 'longrun\n');
  put(path.join(src, 'tcpd/run'), '#!/bin/sh\nexec s6-envdir env s6-tcpserver-access -i data/rules true\n');
  put(path.join(src, 'tcpd/env/PORT'), '8080\n');
  put(path.join(src, 'tcpd/data/rules/ip4/127.0.0.1_32/allow'), '');
  put(path.join(src, 'tcpd/data/rules/ip4/0.0.0.0_0/deny'), '');
  put(path.join(src, 'tcpd/data/chroot/etc/hosts'), '127.0.0.1 localhost\n');
  const secret = path.join(dir, 'secret');
  put(secret, 'do not import me\n');
  fs.symlinkSync(secret, path.join(src, 'tcpd/data/chroot/etc/shadow'));
  fs.symlinkSync(secret, path.join(src, 'tcpd/env/TOKEN'));
  fs.symlinkSync('..', path.join(src, 'tcpd/data/chroot/loop'));
  const out = path.join(dir, 'hcl');
  const imported = runProcess(['import', 's6-rc', src, '--out', out]);
  expect(imported.code).toBe(0);
  expect(imported.stderr.split('\n').filter((l) => l !== '').sort()).toEqual([
    `Warning: ${path.join(src, 'tcpd/data/chroot/etc/shadow')}: a symbolic link (to ${secret}), which rcform data (files by path) cannot hold, and is not followed; not imported`,
    `Warning: ${path.join(src, 'tcpd/data/chroot/loop')}: a symbolic link (to ..), which rcform data (files by path) cannot hold, and is not followed; not imported`,
    `Warning: ${path.join(src, 'tcpd/env/TOKEN')}: a symbolic link (to ${secret}), not followed out of the definition; not imported`,
  ]);
  expect(fs.readFileSync(path.join(out, 'tcpd.hcl'), 'utf8')).not.toContain('do not import me');
  const compiled = runProcess(['compile', out, '--out', path.join(dir, 'db.json')]);
  expect(compiled.stderr).toBe('');
  const db = JSON.parse(fs.readFileSync(path.join(dir, 'db.json'), 'utf8'));
  expect(db.services.tcpd.data).toEqual({
    'chroot/etc/hosts': '127.0.0.1 localhost\n',
    'rules/ip4/0.0.0.0_0/deny': '',
    'rules/ip4/127.0.0.1_32/allow': '',
  });
  expect(db.services.tcpd.env).toEqual({ PORT: '8080' });
});
