import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { S6RC, S6RC_MISSING, s6rc, warnS6rcMissing } from '../support/s6rc-oracle.js';

// rcform up / down claim s6-rc's -u change / -d change: up takes what the selection needs, down
// takes what needs the selection, and a bundle stands for its atomic members. s6-rc decides: one
// s6-rc source tree is compiled by s6-rc-compile and imported by rcform, and for each selection the
// services rcform holds are those s6-rc-db lists for it (all-dependencies, -u or -d).

warnS6rcMissing('rcform up/down against s6-rc');
const maybe = S6RC ? test : test.skip;
if (S6RC_MISSING) console.warn(`rcform up/down oracle test skipped: ${S6RC_MISSING}`);

let fx: LiveFixture;
let compiled: string;

function put(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

beforeAll(async () => {
  fx = await liveFixture();
  if (!S6RC) return;
  const src = path.join(fx.root, 's6rc-src');
  // a <- b <- c, a <- d, e alone; front = {c, e}; all = {front, d}.
  const longruns: Record<string, string[]> = { a: [], b: ['a'], c: ['b'], d: ['a'], e: [] };
  for (const [name, deps] of Object.entries(longruns)) {
    put(path.join(src, name, 'type'), 'longrun\n');
    put(path.join(src, name, 'run'), '#!/bin/sh\nexec sleep 2147483647\n');
    fs.chmodSync(path.join(src, name, 'run'), 0o755);
    if (deps.length > 0) put(path.join(src, name, 'dependencies'), deps.join('\n') + '\n');
  }
  for (const [name, contents] of Object.entries({ front: ['c', 'e'], all: ['front', 'd'] })) {
    put(path.join(src, name, 'type'), 'bundle\n');
    put(path.join(src, name, 'contents'), contents.join('\n') + '\n');
  }
  compiled = path.join(fx.root, 's6rc-compiled');
  s6rc('s6-rc-compile', [compiled, src]);
  const hcl = path.join(fx.root, 'hcl');
  const imported = fx.rc(['import', 's6-rc', src, '--out', hcl]);
  expect(imported.code).toBe(0);
  const applied = fx.rc(['apply', hcl, '-auto-approve']);
  expect(applied.stderr).toBe('');
  expect(applied.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await fx.close();
}, 60_000);

/** The services `rcform up|down ADDRESS` holds, by name. */
function held(to: 'up' | 'down', address: string): string[] {
  const r = fx.rc([to, address]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const line = new RegExp(`^Holding ${to}: (.*)\\.$`, 'm').exec(r.stdout);
  expect(line).not.toBeNull();
  // Back to the source for the next selection.
  expect(fx.rc(['release', '--all']).code).toBe(0);
  expect(fx.rc(['apply', path.join(fx.root, 'hcl'), '-auto-approve']).code).toBe(0);
  return ((line as RegExpExecArray)[1] as string)
    .split(', ')
    .map((a) => a.replace(/^\w+\./, ''))
    .sort();
}

const oracle = (to: 'up' | 'down', name: string): string[] =>
  s6rc('s6-rc-db', ['-c', compiled, to === 'up' ? '-u' : '-d', 'all-dependencies', name])
    .split('\n')
    .filter(Boolean)
    .sort();

maybe.each([
  ['up', 'c'],
  ['up', 'all'],
  ['up', 'front'],
  ['down', 'a'],
  ['down', 'b'],
  ['down', 'front'],
  ['down', 'all'],
] as const)('rcform %s %s holds exactly what the s6-rc change in that direction would change', (to, name) => {
  const want = oracle(to, name);
  expect(want.length).toBeGreaterThan(0);
  const address = ['front', 'all'].includes(name) ? `bundle.${name}` : name;
  expect(held(to, address)).toEqual(want);
}, 120_000);
