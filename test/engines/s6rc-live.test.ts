import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliOperator, endCliOperator } from '../support/cli-operator.js';
import type { CliResult } from '../support/cli-harness.js';
import { S6RC, s6rc, warnS6rcMissing } from '../support/s6rc-oracle.js';
import { ENGINE_KINDS, S6_MISSING, warnS6Missing } from '../support/s6-available.js';
import { generateS6rcTree, writeS6rcTree, type GeneratedService, type GeneratedTree, type ScriptSet } from '../support/s6rc-tree-gen.js';

// A generated tree with pipelines, run for real: brought up and down by s6-rc itself (s6-svscan,
// s6-rc-init, s6-rc -u change, s6-rc -D change), and by rcform on each engine (import, apply,
// destroy). Every service appends "up NAME" and "down NAME" to one events file (appends of a
// line are atomic), a longrun only once it is really running (it then signals readiness) and
// before it exits. Both must respect every edge of the graph s6-rc-db reports, both ways: a
// dependency is up before what needs it, and what needs it is down before it goes.

warnS6rcMissing('s6-rc live test (test/engines/s6rc-live.test.ts)');
warnS6Missing('s6-rc live test (test/engines/s6rc-live.test.ts)');
const maybe = S6RC && !S6_MISSING ? describe : describe.skip;

/** The first seed from here whose tree has two real pipelines, one of them named. */
function pickTree(): GeneratedTree {
  for (let seed = 7100; ; seed++) {
    const t = generateS6rcTree(seed, { size: 9 });
    const real = t.pipelines.filter((p) => p.members.length >= 2);
    if (real.length >= 2 && real.some((p) => p.bundle) && t.services.length <= 18) return t;
  }
}

function scripts(events: string): ScriptSet {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return {
    run: (s: GeneratedService) =>
      [
        '#!/bin/sh',
        `trap "echo ${q(`down ${s.name}`)} >> ${q(events)}; kill \\$! 2>/dev/null; exit 0" TERM`,
        `echo ${q(`up ${s.name}`)} >> ${q(events)}`,
        'echo >&3',
        'exec 3>&-',
        'while :; do sleep 1 & wait $!; done',
        '',
      ].join('\n'),
    // execline (s6-rc-compile parses it): one /bin/sh command line.
    up: (s) => `/bin/sh -c "echo 'up ${s.name}' >> ${events}"\n`,
    down: (s) => `/bin/sh -c "echo 'down ${s.name}' >> ${events}"\n`,
  };
}

function writeTree(tree: GeneratedTree, src: string, events: string): void {
  writeS6rcTree(tree, src, scripts(events));
  // Readiness: a longrun is up once it has written its line.
  for (const s of tree.services) if (s.type === 'longrun') fs.writeFileSync(path.join(src, s.name, 'notification-fd'), '3\n');
}

interface Events {
  up: Map<string, number>;
  down: Map<string, number>;
  problems: string[];
}

function readEvents(file: string): Events {
  const up = new Map<string, number>();
  const down = new Map<string, number>();
  const problems: string[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .forEach((line, i) => {
      const [what, name] = [line.slice(0, line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)];
      const m = what === 'up' ? up : down;
      if (m.has(name)) problems.push(`${name} went ${what} twice`);
      m.set(name, i);
    });
  return { up, down, problems };
}

/** Every violated edge: `a` depends on `b`, so b is up before a, and a is down before b. */
function violations(ev: Events, services: string[], edges: [string, string][]): string[] {
  const out = [...ev.problems];
  for (const s of services) {
    if (!ev.up.has(s)) out.push(`${s} never came up`);
    if (!ev.down.has(s)) out.push(`${s} never went down`);
  }
  for (const [a, b] of edges) {
    if ((ev.up.get(b) ?? Infinity) > (ev.up.get(a) ?? -1)) out.push(`${a} came up before ${b}, which it depends on`);
    if ((ev.down.get(a) ?? Infinity) > (ev.down.get(b) ?? -1)) out.push(`${b} went down before ${a}, which depends on it`);
  }
  return out;
}

let root: string;
let tree: GeneratedTree;
let services: string[];
let edges: [string, string][];
let compiled: string;
beforeAll(() => {
  if (!S6RC || S6_MISSING) return;
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-s6rc-live-'));
  tree = pickTree();
  const src = path.join(root, 'oracle-src');
  writeTree(tree, src, path.join(root, 'oracle-events'));
  compiled = path.join(root, 'compiled');
  s6rc('s6-rc-compile', ['-v0', compiled, src]);
  const internal = (n: string): boolean => n.startsWith('s6rc-');
  const list = (...args: string[]): string[] => s6rc('s6-rc-db', ['-c', compiled, ...args]).split('\n').filter((n) => n !== '' && !internal(n));
  services = list('list', 'services');
  edges = services.flatMap((s) => list('dependencies', s).map((d): [string, string] => [s, d]));
});
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

maybe('a generated tree with pipelines, up and down for real', () => {
  test('through s6-rc: s6-svscan, s6-rc-init, s6-rc -u change, s6-rc -D change', async () => {
    expect(tree.pipelines.filter((p) => p.members.length >= 2).length).toBeGreaterThanOrEqual(2);
    expect(edges.length).toBeGreaterThan(0);
    const scan = path.join(root, 'scan');
    fs.mkdirSync(scan);
    const svscan: ChildProcess = spawn('s6-svscan', [scan], { stdio: 'ignore', detached: true });
    const exited = new Promise((resolve) => svscan.once('exit', resolve));
    try {
      const live = path.join(root, 's6rc-live');
      await until(() => fs.existsSync(path.join(scan, '.s6-svscan', 'control')), 's6-svscan to start');
      s6rc('s6-rc-init', ['-c', compiled, '-l', live, scan]);
      s6rc('s6-rc', ['-l', live, '-t', '60000', '-u', 'change', ...services]);
      s6rc('s6-rc', ['-l', live, '-t', '60000', '-D', 'change', ...services]);
      expect(violations(readEvents(path.join(root, 'oracle-events')), services, edges)).toEqual([]);
    } finally {
      spawnSync('s6-svscanctl', ['-t', scan]);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (svscan.exitCode === null) process.kill(-(svscan.pid as number), 'SIGKILL');
    }
  }, 120_000);

  for (const { kind, missing } of ENGINE_KINDS) {
    (missing ? test.skip : test)(`through rcform on the ${kind} engine: import, apply, destroy`, () => {
      const o = cliOperator(kind, `rcform-s6rc-live-${kind}-`);
      const ok = (r: CliResult): CliResult => {
        if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
        return r;
      };
      try {
        const events = path.join(o.root, 'events');
        writeTree(tree, path.join(o.root, 's6rc'), events);
        fs.rmSync(path.join(o.root, 'src'), { recursive: true });
        const imported = ok(o.rc(['import', 's6-rc', 's6rc', '--out', 'src']));
        // A name rcform cannot hold is renamed, once, in a warning; the events keep s6-rc's names.
        const renames = new Map([...imported.stderr.matchAll(/the name "([^"]+)" [^\n]*?is imported as "([^"]+)"/g)].map((m) => [m[1] as string, m[2] as string]));
        ok(o.rc(['init', '--engine', kind]));
        ok(o.rc(['apply', 'src', '--auto-approve']));
        const up = o.status();
        expect(Object.keys(up).sort()).toEqual(services.map((n) => renames.get(n) ?? n).sort());
        ok(o.rc(['destroy', 'src', '--auto-approve', '--allow-essential']));
        expect(violations(readEvents(events), services, edges)).toEqual([]);
      } finally {
        endCliOperator(o);
      }
    }, 180_000);
  }
});

async function until(fn: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
