import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { spawn } from 'node:child_process';
import { CLI } from '../support/cli-harness.js';
import { alive, waitFor } from '../support/engine-harness.js';
import type { ServiceSpec } from '../support/compiled-fixture.js';
import { readState } from '../../state/state-file.js';
import { STATE_FORMAT_VERSION } from '../../state/state-types.js';
import { EmbeddedEngine } from '../../engine/embedded/client.js';

// s6-rc habits. rcform up / down / release (s6-rc's -u change / -d change) against a real embedded supervisor:
// the transitions happen for real, the hold is recorded in the state, plans keep it and show it,
// and only a release lets the next plan follow the source again.

let fx: LiveFixture;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  await fx.close();
}, 60_000);

const stack: Record<string, ServiceSpec> = {
  db: { type: 'longrun' },
  web: { type: 'longrun', deps: ['db'] },
  proxy: { type: 'longrun', deps: ['web'] },
  debug: { type: 'longrun', down: true },
};

test('rcform down BUNDLE stops it and what needs it, holds them down; plan keeps them so until rcform release', async () => {
  const dbWithBundle = fx.writeDb('v1.json', stack);
  // A bundle of just web: bringing it down takes proxy (which needs web) with it, not db.
  const parsed = JSON.parse(fs.readFileSync(dbWithBundle, 'utf8'));
  parsed.bundles = { frontend: { type: 'bundle', name: 'frontend', address: 'bundle.frontend', essential: false, contents: ['web'], members: ['web'] } };
  fs.writeFileSync(dbWithBundle, JSON.stringify(parsed));
  let r = fx.rc(['apply', '--compiled', dbWithBundle, '-auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // The database applied is kept in the live directory: where bundles are found at run time.
  expect(fs.existsSync(path.join(fx.live, 'compiled.json'))).toBe(true);
  const before = await fx.status();
  expect(alive(before['web']?.pid)).toBe(true);

  r = fx.rc(['down', 'bundle.frontend']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Holding down: longrun.proxy, longrun.web.');
  expect(r.stdout).toContain('Down complete!');
  let st = await fx.status();
  expect(st['web']?.state).toBe('down');
  expect(st['proxy']?.state).toBe('down');
  expect(st['db']?.state).toMatch(/up|ready/);
  expect(alive(before['web']?.pid)).toBe(false);
  const state = readState(fx.live);
  expect(state.format_version).toBe(STATE_FORMAT_VERSION);
  expect(state.holds?.['web']).toMatchObject({ state: 'down', requested: 'bundle.frontend' });
  expect(Object.keys(state.holds ?? {}).sort()).toEqual(['proxy', 'web']);

  // The plan of the same source changes nothing: the hold is shown, not corrected as drift.
  r = fx.rc(['plan', '--compiled', dbWithBundle, '-detailed-exitcode']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Operator holds');
  expect(r.stdout).toMatch(/# longrun\.web: held down by "rcform down bundle\.frontend" since .*; the source says up/);
  expect(r.stdout).toContain('No changes.');
  const json = JSON.parse(fx.rc(['plan', '--compiled', dbWithBundle, '--json']).stdout);
  expect(json.holds.map((h: { name: string }) => h.name)).toEqual(['proxy', 'web']);

  // status shows the hold beside the engine's answer.
  r = fx.rc(['status']);
  expect(r.stdout).toMatch(/^web\s+longrun\s+down\s+down\s.*held down \(bundle\.frontend\)/m);

  // Released: nothing moves until a plan and apply bring back what the source says.
  r = fx.rc(['release', 'bundle.frontend']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Released 2 holds: longrun.proxy, longrun.web.');
  expect((await fx.status())['web']?.state).toBe('down');
  expect(readState(fx.live).holds).toBeUndefined();
  r = fx.rc(['plan', '--compiled', dbWithBundle, '-detailed-exitcode']);
  expect(r.code).toBe(2);
  expect(r.stdout).toMatch(/# longrun\.web will be started/);
  r = fx.rc(['apply', '--compiled', dbWithBundle, '-auto-approve']);
  expect(r.code).toBe(0);
  st = await fx.status();
  expect(st['proxy']?.state).toMatch(/up|ready/);
});

test('rcform up starts a down = true service with what it needs and holds it up against the source', async () => {
  const file = fx.writeDb('v1.json', { ...stack, debug: { type: 'longrun', down: true, deps: ['db'] } });
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);
  expect((await fx.status())['debug']?.state).toBe('down');

  let r = fx.rc(['up', 'debug']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Holding up: longrun.db, longrun.debug.');
  expect(r.stdout).toMatch(/longrun\.debug will be started because rcform up debug holds it up/);
  const st = await fx.status();
  expect(st['debug']?.state).toMatch(/up|ready/);
  expect(alive(st['debug']?.pid)).toBe(true);

  r = fx.rc(['plan', '--compiled', file, '-detailed-exitcode']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/# longrun\.debug: held up by "rcform up debug" since .*; the source says down/);

  // A name that is not installed is an error naming it, with nothing changed.
  r = fx.rc(['up', 'longrun.dbg']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('longrun.dbg: no installed service or bundle has this address or name.');
  expect(r.stderr).toContain('Did you mean "longrun.db');
  r = fx.rc(['release']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('give the addresses to release, or --all');
  r = fx.rc(['release', '--all']);
  expect(r.stdout).toContain('Released 2 holds: longrun.db, longrun.debug.');
  r = fx.rc(['plan', '--compiled', file]);
  expect(r.stdout).toMatch(/# longrun\.debug will be stopped/);
});

test('status ADDRESS... narrows to those services (a bundle expands); a oneshot whose run failed is listed as failed', async () => {
  const file = fx.writeDb('v1.json', {
    db: { type: 'longrun' },
    web: { type: 'longrun', deps: ['db'] },
    migrate: { type: 'oneshot', deps: ['db'], up: { script: '#!/bin/sh\necho "no schema here" >&2\nexit 3\n' } },
  });
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  parsed.bundles = { backend: { type: 'bundle', name: 'backend', address: 'bundle.backend', essential: false, contents: ['db', 'migrate'], members: ['db', 'migrate'] } };
  fs.writeFileSync(file, JSON.stringify(parsed));
  const r0 = fx.rc(['apply', '--compiled', file, '-auto-approve']);
  expect(r0.code).toBe(1);

  let r = fx.rc(['status']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^migrate\s+oneshot\s+up\s+failed\s+-\s.*exit/m);
  r = fx.rc(['status', 'longrun.web']);
  expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(['SERVICE', 'web']);
  r = fx.rc(['status', 'bundle.backend', '--json']);
  const services = JSON.parse(r.stdout).services as Array<{ name: string; state: string; error?: string }>;
  expect(services.map((s) => s.name)).toEqual(['db', 'migrate']);
  expect(services[1]).toMatchObject({ state: 'failed' });
  expect(services[1]?.error).toMatch(/exit/);
  r = fx.rc(['status', 'longrun.webb']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('longrun.webb: no service or bundle has this address or name. Did you mean "longrun.web"?');
});

test('diff reports drift instead of "matches" while the engine runs services otherwise than recorded', async () => {
  const file = fx.writeDb('v1.json', { db: { type: 'longrun' }, web: { type: 'longrun', deps: ['db'] } });
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);
  let r = fx.rc(['diff', '--compiled', file, '--exit-code']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('matches');

  // Stopped behind rcform's back, as "s6-svc -d" on a supervise directory would.
  const e = await EmbeddedEngine.connect(fx.live);
  try {
    await e.stop('web', { timeoutMs: 10_000 });
  } finally {
    await e.close();
  }
  r = fx.rc(['diff', '--compiled', file, '--exit-code']);
  expect(r.code).toBe(1);
  expect(r.stdout).not.toContain('matches');
  expect(r.stdout).toContain('The engine reports 1 service otherwise than the live state records (drift):');
  expect(r.stdout).toContain('! longrun.web: recorded up, but the engine reports it down');
});

test('two projects on one live directory: the second is refused, naming both, unless --allow-other-source', async () => {
  const a = path.join(fx.root, 'project-a');
  const b = path.join(fx.root, 'project-b');
  fs.mkdirSync(a);
  fs.mkdirSync(b);
  fs.writeFileSync(path.join(a, 'main.hcl'), 'longrun "alpha" {\n  run = ["sleep", "1000"]\n}\n');
  fs.writeFileSync(path.join(b, 'main.hcl'), 'longrun "beta" {\n  run = ["sleep", "1000"]\n}\n');
  let r = fx.rc(['apply', a, '-auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(readState(fx.live).source).toEqual({ dir: fs.realpathSync(a) });

  r = fx.rc(['plan', b]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`the live directory ${fx.live} was applied from ${fs.realpathSync(a)}, not from ${fs.realpathSync(b)}`);
  expect(r.stderr).toContain('--allow-other-source');
  expect(fx.rc(['apply', b, '-auto-approve']).code).toBe(1);
  expect((await fx.status())['alpha']?.state).toMatch(/up|ready/);
  // The same project from another working directory is the same source.
  expect(fx.rc(['plan', path.relative(fx.root, a)]).code).toBe(0);

  r = fx.rc(['plan', b, '--allow-other-source']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/# longrun\.alpha will be stopped and removed/);
  r = fx.rc(['apply', b, '--allow-other-source', '-auto-approve']);
  expect(r.code).toBe(0);
  expect(readState(fx.live).source).toEqual({ dir: fs.realpathSync(b) });
  expect(fx.rc(['plan', a]).code).toBe(1);
});

test('show compiled reads the database that is live: with no FILE, or with --live DIR', async () => {
  let r = fx.rc(['show', 'compiled']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`no database is live in ${fx.live}: nothing was applied there yet`);
  const file = fx.writeDb('v1.json', { db: { type: 'longrun' }, web: { type: 'longrun', deps: ['db'] } });
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  parsed.bundles = { frontend: { type: 'bundle', name: 'frontend', address: 'bundle.frontend', essential: false, contents: ['web'], members: ['web'] } };
  fs.writeFileSync(file, JSON.stringify(parsed));
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);

  r = fx.rc(['show', 'compiled']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/longrun/);
  expect(r.stdout).toContain('web');
  r = fx.rc(['show', 'compiled', '--live', fx.live, '--contents', 'frontend']);
  expect(r.stdout).toBe('web\n');
  r = fx.rc(['show', 'compiled', '--live', fx.live, '--all-dependencies', 'web']);
  expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual(['db', 'web']);
  // `rcform show` without a plan file is the same live database (as `terraform show` shows the state).
  r = fx.rc(['show']);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(fx.rc(['show', 'compiled']).stdout);
  // A FILE is still read as before.
  expect(fx.rc(['show', 'compiled', file, '--contents', 'frontend']).stdout).toBe('web\n');
});

test('logs takes several services: each line named, followed lines stamped with the time they arrived', async () => {
  const file = fx.writeDb('v1.json', {
    db: { type: 'longrun', run: { script: '#!/bin/sh\necho db starting\nwhile :; do sleep 0.3; echo db tick; done\n' } },
    web: { type: 'longrun', run: { script: '#!/bin/sh\necho web starting\nwhile :; do sleep 0.3; echo web tick; done\n' } },
  });
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);
  await new Promise((r) => setTimeout(r, 700));
  let r = fx.rc(['logs', 'db', 'web', '-n', '1']);
  expect(r.stderr).toBe('');
  expect(r.stdout).toMatch(/^db  \| db (starting|tick)\nweb \| web (starting|tick)\n$/);
  r = fx.rc(['logs', 'db', 'nosuch']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('no log for service "nosuch"');

  const child = spawn(process.execPath, [CLI, 'logs', '-f', '-t', '-n', '1', 'db', 'web'], { env: { ...process.env, RCFORM_LIVE: fx.live } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const started = Date.now();
  try {
    await waitFor('followed lines of both services', () => /Z db {2}\| db tick\n[\s\S]*Z web \| web tick\n|Z web \| web tick\n[\s\S]*Z db {2}\| db tick\n/.test(out.split('\n').slice(2).join('\n')), 20_000);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  const lines = out.trimEnd().split('\n');
  // The tails first, with the time the supervisor saw them written; then followed lines, each with
  // the time it arrived.
  expect(lines[0]).toMatch(/^\S+ +db {2}\| db /);
  expect(lines[1]).toMatch(/^\S+ +web \| web /);
  for (const l of lines.slice(2)) {
    const m = /^(\S+) (db |web) \| \w+ tick$/.exec(l);
    expect(m).not.toBeNull();
    const t = Date.parse((m as RegExpExecArray)[1] as string);
    expect(t).toBeGreaterThanOrEqual(started - 1000);
    expect(t).toBeLessThanOrEqual(Date.now());
  }
});

test('rcform down refuses an essential service without --allow-essential, and a stopped engine, recording no hold', async () => {
  const file = fx.writeDb('v1.json', { db: { type: 'longrun', essential: true }, web: { type: 'longrun', deps: ['db'] } });
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);
  let r = fx.rc(['down', 'db']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('longrun.db is essential: this plan would stop it');
  expect(r.stderr).toContain('nothing was changed');
  expect(readState(fx.live).holds).toBeUndefined();
  expect((await fx.status())['db']?.state).toMatch(/up|ready/);

  expect(fx.rc(['supervise', '--stop']).code).toBe(0);
  r = fx.rc(['down', 'web']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/not running/);
  expect(readState(fx.live).holds).toBeUndefined();
  expect(fx.rc(['init']).code).toBe(0);
  r = fx.rc(['down', 'db', '--allow-essential']);
  expect(r.code).toBe(0);
  const st = await fx.status();
  expect([st['db']?.state, st['web']?.state]).toEqual(['down', 'down']);
});

test('logs -t: a line already in the log has the time by which the supervisor saw it written', async () => {
  const file = fx.writeDb('v1.json', {
    svc: { type: 'longrun', run: { script: '#!/bin/sh\necho "first line, written at once"\nsleep 3\necho "second line, three seconds later"\nexec sleep 1000\n' } },
  });
  const started = Date.now();
  expect(fx.rc(['apply', '--compiled', file, '-auto-approve']).code).toBe(0);
  await waitFor('both lines sampled', () => {
    const r = fx.rc(['logs', '-t', 'svc']);
    return r.stdout.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\S+Z /.test(l)).length === 2;
  }, 20_000);
  const r = fx.rc(['logs', '-t', 'svc']);
  const times = r.stdout.trimEnd().split('\n').map((l) => {
    const m = /^(\S+) (first|second) line/.exec(l);
    expect(m).not.toBeNull();
    return Date.parse((m as RegExpExecArray)[1] as string);
  });
  expect(times).toHaveLength(2);
  // Each within a sampling interval (1 s, and a loaded machine's delay) after it was written.
  expect(times[0]).toBeGreaterThanOrEqual(started);
  expect((times[1] as number) - (times[0] as number)).toBeGreaterThanOrEqual(2000);
  expect((times[1] as number) - (times[0] as number)).toBeLessThanOrEqual(6000);
  // Without -t, the log is as the service wrote it.
  expect(fx.rc(['logs', 'svc']).stdout).toBe('first line, written at once\nsecond line, three seconds later\n');
});
