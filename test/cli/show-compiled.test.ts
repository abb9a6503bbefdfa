import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInProcess, runProcess } from '../support/cli-harness.js';
import { buildDb } from '../support/compiled-fixture.js';
import { encodeDb } from '../../lang/compile/compile.js';

// A small database shaped like a web stack: mount <- db <- migrate <- app <- proxy, a logger
// pipeline app -> app-log, and nested bundles.
let dir: string;
let file: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
  file = path.join(dir, 'compiled.json');
  const db = buildDb(
    {
      mount: { type: 'oneshot', up: { argv: ['mount', '-a'] }, down: { script: '#!/bin/sh\numount -a\n' }, timeouts: { up_ms: 3000, down_ms: 7000 } },
      db: { type: 'longrun', deps: ['mount'], env: { PGDATA: '/var/lib/pg', PGPASSWORD: 'hunter2' }, sensitive_paths: ['env.PGPASSWORD'], notification_fd: 3 },
      migrate: { type: 'oneshot', deps: ['db'] },
      app: { type: 'longrun', deps: ['migrate', 'db'], producer_for: 'app-log' },
      'app-log': { type: 'longrun', consumer_for: ['app'], pipeline_name: 'app-pipeline' },
      proxy: { type: 'longrun', deps: ['app'], down: true },
    },
    { backend: ['db', 'migrate'], web: ['backend', 'app', 'proxy'] },
    [{ from: 'httpd', to: 'proxy' }],
  );
  fs.writeFileSync(file, JSON.stringify(db, null, 2));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const show = (...args: string[]) => runInProcess(['show', 'compiled', file, ...args]);

describe('rcform show compiled', () => {
  test('without a service, lists every service grouped by type', async () => {
    const r = await show();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/longruns \(4\):\n {2}app +rank 3 {2}needs db, migrate\n {2}app-log/);
    expect(r.stdout).toContain('oneshots (2):');
    expect(r.stdout).toMatch(/bundles \(2\):\n {2}backend +db, migrate\n {2}web +backend, app, proxy/);
    expect(r.stdout).toContain('httpd -> proxy');
    expect(r.stdout).toMatch(/proxy +rank 4 {2}needs app {2}down/);
  });

  test('--list mirrors s6-rc-db list, one name per line', async () => {
    expect((await show('--list', 'longruns')).stdout).toBe('app\napp-log\ndb\nproxy\n');
    expect((await show('--list=oneshots')).stdout).toBe('migrate\nmount\n');
    expect((await show('-list=bundles')).stdout).toBe('backend\nweb\n');
    expect((await show('--list', 'services')).stdout.split('\n').filter(Boolean)).toHaveLength(6);
    expect((await show('--list', 'all')).stdout.split('\n').filter(Boolean)).toHaveLength(8);
    const bad = await show('--list', 'everything');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--list takes one of all, services, longruns, oneshots, bundles');
  });

  test('a service definition shows its dependencies both ways and hides sensitive values', async () => {
    const r = await show('db');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^longrun "db"\n/);
    expect(r.stdout).toMatch(/env\.PGDATA +"\/var\/lib\/pg"/);
    expect(r.stdout).toMatch(/env\.PGPASSWORD +\(sensitive\)/);
    expect(r.stdout).not.toContain('hunter2');
    expect(r.stdout).toMatch(/ dependencies +mount\n/);
    expect(r.stdout).toMatch(/ reverse dependencies +app, migrate\n/);
    expect(r.stdout).toMatch(/ all reverse dependencies +app, migrate, proxy\n/);
    expect(r.stdout).toMatch(/ in bundles +backend, web\n/);
    expect(r.stdout).toMatch(/notification_fd +3/);
  });

  test('a oneshot shows its scripts; a bundle its contents and members', async () => {
    const m = await show('mount');
    expect(m.stdout).toContain('up                        ["mount", "-a"]');
    expect(m.stdout).toMatch(/down +script:\n +\| #!\/bin\/sh\n +\| umount -a\n/);
    const b = await show('web');
    expect(b.stdout).toMatch(/contents +backend, app, proxy\n/);
    expect(b.stdout).toMatch(/atomic members +app, db, migrate, proxy\n/);
  });

  test('--dependencies and --all-dependencies follow -u (default) and -d like s6-rc-db', async () => {
    expect((await show('app', '--dependencies')).stdout).toBe('db\nmigrate\n');
    expect((await show('db', '--dependencies', '-d')).stdout).toBe('app\nmigrate\n');
    expect((await show('app', '--all-dependencies')).stdout).toBe('app\ndb\nmigrate\nmount\n');
    expect((await show('app', '--all-dependencies', '-u')).stdout).toBe('app\ndb\nmigrate\nmount\n');
    expect((await show('mount', '--all-dependencies', '--down')).stdout).toBe('app\ndb\nmigrate\nmount\nproxy\n');
    // A bundle stands for its members: the union of their dependencies.
    expect((await show('backend', '--dependencies')).stdout).toBe('db\nmount\n');
    expect((await show('proxy', 'mount', '--all-dependencies')).stdout).toBe('app\ndb\nmigrate\nmount\nproxy\n');
  });

  test('contents, atomics, type, pipeline, timeout and script', async () => {
    expect((await show('web', '--contents')).stdout).toBe('app\ndb\nmigrate\nproxy\n');
    expect((await show('backend', 'mount', '--atomics')).stdout).toBe('db\nmigrate\nmount\n');
    expect((await show('web', '--type')).stdout).toBe('bundle\n');
    expect((await show('migrate', '--type')).stdout).toBe('oneshot\n');
    expect((await show('app-log', '--pipeline')).stdout).toBe('app\napp-log\n');
    expect((await show('db', '--pipeline')).stdout).toBe('db\n');
    expect((await show('mount', '--timeout')).stdout).toBe('3000\n');
    expect((await show('mount', '--timeout', '-d')).stdout).toBe('7000\n');
    expect((await show('mount', '--script')).stdout).toBe('mount -a\n');
    expect((await show('mount', '--script', '-d')).stdout).toBe('#!/bin/sh\numount -a\n');
  });

  test('--json gives the same answers as data', async () => {
    const deps = JSON.parse((await show('db', '--all-dependencies', '-d', '--json')).stdout);
    expect(deps).toEqual({ query: 'all-dependencies', direction: 'down', services: ['db'], result: ['app', 'db', 'migrate', 'proxy'] });
    const summary = JSON.parse((await show('--json')).stdout);
    expect(summary.longruns).toEqual(['app', 'app-log', 'db', 'proxy']);
    expect(summary.bundles).toEqual(['backend', 'web']);
    const svc = JSON.parse((await show('app', '--json')).stdout);
    expect(svc.closure).toEqual(['db', 'migrate', 'mount']);
    expect(svc.producer_for).toBe('app-log');
  });

  test("s6-rc-db's exit codes: 3 for an unknown name (with a suggestion), 5 for the wrong type", async () => {
    const missing = await show('apq', '--dependencies');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toBe('Error: no service or bundle named "apq" in the database (did you mean "app"?)\n');
    const wrong = await show('db', '--contents');
    expect(wrong.code).toBe(5);
    expect(wrong.stderr).toContain('"db" is a longrun, not a bundle');
    expect((await show('db', '--script')).code).toBe(5);
  });

  test('usage mistakes are one line and exit 1', async () => {
    const two = await show('db', '--type', '--contents');
    expect(two.code).toBe(1);
    expect(two.stderr).toContain('choose one query, not --type and --contents');
    expect((await show('db', '-u', '-d', '--dependencies')).stderr).toContain('-u and -d cannot be used together');
    expect((await show('db', 'app', '--dependencies')).stderr).toContain('takes exactly one SERVICE');
  });

  test('a corrupt or foreign file is refused with exit 4, naming what is wrong', () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, '{"format_version": "1", "hash": "x"');
    let r = runProcess(['show', 'compiled', bad]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/bad\.json is not a compiled database: invalid JSON/);
    const db = JSON.parse(fs.readFileSync(file, 'utf8'));
    db.services.app.dependencies.push('ghost');
    fs.writeFileSync(bad, JSON.stringify(db));
    r = runProcess(['show', 'compiled', bad]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('/services/app/dependencies names "ghost", which is not a service');
    db.format_version = '9';
    fs.writeFileSync(bad, JSON.stringify(db));
    r = runProcess(['show', 'compiled', bad]);
    expect(r.stderr).toContain('format_version "9" is not supported');
    delete db.services.app.run;
    db.format_version = '1';
    fs.writeFileSync(bad, JSON.stringify(db));
    r = runProcess(['show', 'compiled', bad]);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/\/services\/app /);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    r = runProcess(['show', 'compiled', path.join(dir, 'nope.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such file');
  });

  /** The fixture's database edited by `edit`, written by `encode`, refused with exit 4 and `message`. */
  function expectRefused<T>(edit: (db: T) => void, message: string, encode: (db: T) => string = (db) => JSON.stringify(db)): void {
    const edited = path.join(dir, 'edited.json');
    const db = JSON.parse(fs.readFileSync(file, 'utf8')) as T;
    edit(db);
    fs.writeFileSync(edited, encode(db));
    const r = runProcess(['show', 'compiled', edited]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(message);
  }

  test("a file whose hash verifies but that another rcform's schema wrote is validated in full", () => {
    type Db = Parameters<typeof encodeDb>[0] & { hash?: string; services: { app: { down: unknown } } };
    const edit = (db: Db): void => {
      delete db.hash;
      db.schema = 'f'.repeat(64);
      db.services.app.down = 'no';
    };
    expectRefused(edit, '/services/app/down must be boolean', (db) => encodeDb(db).text);
  });

  test('a database compiled before closures were stored is refused with what to do', () => {
    const edit = (db: { order?: unknown; closures?: unknown }): void => {
      delete db.order;
      delete db.closures;
    };
    expectRefused(edit, "must have required property 'order' (it was compiled by an older rcform: compile the source again)");
  });

  test('a stored closure that cannot be right is refused: missing, lacking a direct dependency, naming no service', () => {
    type Db = { order: string[]; closures: Record<string, (string | string[])[]> };
    const cases: [string, (db: Db) => void, string][] = [
      ['missing', (db) => delete db.closures['app'], '/closures has no member for the service "app"'],
      ['lacking a dependency', (db) => (db.closures['app'] = (db.closures['app'] as string[]).filter((n) => n !== 'migrate')), '/closures/app lacks the direct dependency "migrate"'],
      ['naming a ghost', (db) => (db.closures['app'] = [...(db.closures['app'] as string[]), 'zz-ghost']), '/closures/app names "zz-ghost", which is not a service'],
      ['out of order', (db) => (db.closures['app'] = [...(db.closures['app'] as string[])].reverse()), '/closures/app is not in the order of /order without repeats'],
      ['a run the wrong way round', (db) => (db.closures['app'] = [['migrate', 'db']]), '/closures/app is not in the order of /order without repeats'],
      ['itself', (db) => (db.closures['db'] = ['app']), '/closures/db lists "app", which does not come before the service in /order'],
      ['for no service', (db) => (db.closures['ghost'] = []), '/closures/ghost is not a service'],
      ['an order missing one', (db) => (db.order = db.order.filter((n) => n !== 'app')), '/order does not list the service "app"'],
      ['an order with a repeat', (db) => db.order.push(db.order[0] as string), 'twice'],
      ['an order against the dependencies', (db) => db.order.reverse(), 'before its dependency'],
    ];
    for (const [, edit, message] of cases) expectRefused(edit, message);
  });
});
