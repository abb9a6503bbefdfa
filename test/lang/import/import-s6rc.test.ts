import { expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { importS6rc, type S6rcDefinition } from '../../../lang/import/s6rc.js';
import { durationText as duration } from '../../../lang/compile/duration.js';

const require = createRequire(import.meta.url);
const hcl = require('hcl2-parser') as { parseToObject(input: string): [any, unknown] };

const enc = new TextEncoder();
function def(name: string, files: Record<string, string | Uint8Array>, dirs: string[] = []): S6rcDefinition {
  return {
    name,
    dir: `src/${name}`,
    files: new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v])),
    dirs: new Set(dirs),
  };
}

function parsed(text: string | undefined): any {
  const [obj, err] = hcl.parseToObject(text ?? '');
  expect(err).toBeNull();
  return obj;
}

test('every file of the longrun source format becomes its attribute', () => {
  const r = importS6rc([
    def('mount', { type: 'oneshot\n', up: 'mount -a\n' }),
    def('log', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'db\n' }),
    def(
      'db',
      {
        type: 'longrun\n',
        run: '#!/bin/sh\nexec pg -D "${PGDATA}"\n',
        finish: '#!/bin/sh\nrm -f pid\n',
        down: '',
        'dependencies.d/mount': '',
        'notification-fd': '3\n',
        'timeout-up': '5000\n',
        'timeout-down': '250\n',
        'timeout-kill': '120000\n',
        'timeout-finish': '0\n',
        'max-death-tally': '10\n',
        'down-signal': 'HUP\n',
        'flag-essential': '',
        'producer-for': 'log\n',
        'pipeline-name': 'db-pipeline\n',
        'env/PGDATA': '/var/lib/pg  \nsecond line ignored\n',
        'data/pg.conf': 'port = 5432\n',
        'lock-fd': '4\n',
      },
      ['dependencies.d', 'env', 'data'],
    ),
  ]);
  const db = parsed(r.files.get('db.hcl')).longrun.db[0];
  expect(db).toEqual({
    run: '#!/bin/sh\nexec pg -D "${PGDATA}"\n',
    finish: '#!/bin/sh\nrm -f pid\n',
    depends_on: ['${oneshot.mount}'],
    notification_fd: 3,
    lock_fd: 4,
    timeout_up: '5s',
    timeout_down: '250ms',
    timeout_kill: '2m',
    timeout_finish: '0s',
    max_death_tally: 10,
    down_signal: 'SIGHUP',
    essential: true,
    producer_for: '${longrun.log}',
    env: { PGDATA: '/var/lib/pg' },
    data: { 'pg.conf': 'port = 5432\n' },
  });
  expect(parsed(r.files.get('log.hcl')).longrun.log[0].consumer_for).toEqual(['${longrun.db}']);
  // As s6-rc-compile: a longrun's down file is ignored, and so is pipeline-name on a producer;
  // lock-fd is supported on both engines (s6-supervise's own; the embedded launchers take the same lock).
  expect(r.warnings).toEqual([
    { file: 'src/db/down', message: expect.stringContaining('set down = true') },
    { file: 'src/db/pipeline-name', message: expect.stringContaining('db is not the last consumer of a pipeline (it has a producer-for)') },
  ]);
});

test('dependencies.d/ and contents.d/ are read instead of the file beside them, as s6-rc-compile does; bundles may nest', () => {
  const r = importS6rc([
    def('a', { type: 'oneshot', up: 'true', dependencies: '# the network first\n  net\nb\n', 'dependencies.d/c': '', 'dependencies.d/b': '' }, ['dependencies.d']),
    def('b', { type: 'oneshot', up: 'true' }),
    def('c', { type: 'longrun', run: '#!/bin/sh\nexec sleep 9\n' }),
    def('net', { type: 'bundle', contents: 'b\n', 'contents.d/inner': '' }, ['contents.d']),
    def('inner', { type: 'bundle', 'contents.d/c': '', 'flag-essential': '' }, ['contents.d']),
  ]);
  expect(parsed(r.files.get('a.hcl')).oneshot.a[0].depends_on).toEqual(['${oneshot.b}', '${longrun.c}']);
  expect(parsed(r.files.get('net.hcl')).bundle.net[0].contents).toEqual(['${bundle.inner}']);
  expect(parsed(r.files.get('inner.hcl')).bundle.inner[0]).toEqual({ contents: ['${longrun.c}'], essential: true });
  expect(r.warnings).toEqual([
    { file: 'src/a/dependencies', message: 's6-rc-compile reads dependencies.d/ and ignores this file when both exist, and so does import: "net" not imported' },
    { file: 'src/net/contents', message: 's6-rc-compile reads contents.d/ and ignores this file when both exist, and so does import: "b" not imported' },
  ]);
});

test('oneshot command lines: plain words become argv, execline syntax stays an execlineb script', () => {
  const r = importS6rc([def('m', { type: 'oneshot', up: '/etc/init.d/m start\n', down: 'if { umount /x } echo "done"\n' })]);
  const m = parsed(r.files.get('m.hcl')).oneshot.m[0];
  expect(r.files.get('m.hcl')).toContain('up = ["/etc/init.d/m", "start"]');
  expect(m.down).toBe('#!/bin/execlineb -P\nif { umount /x } echo "done"\n');
});

test('what cannot be converted is a warning naming the file', () => {
  const r = importS6rc([
    def('svc', {
      type: 'longrun',
      run: 'exec thing\n',
      'flag-recommended': '',
      nosetsid: '',
      'timeout-up': 'soon',
      'down-signal': '11\n',
      'env/EMPTY': '',
      'data/blob': new Uint8Array([0xff, 0xfe, 0x00]),
      'data/conf/nested.ini': 'x=1\n',
      'data/.hidden': 'x',
      'log/run': '#!/bin/sh\n',
      'dependencies.d/ghost': '',
      stray: 'x',
    }, ['env', 'data', 'data/conf', 'log', 'dependencies.d']),
    def('notype', { run: 'x' }),
    def('odd type', { type: 'longrun', run: '#!/bin/sh\n' }),
  ]);
  const byFile = Object.fromEntries(r.warnings.map((w) => [w.file, w.message]));
  expect(Object.keys(byFile).sort()).toEqual([
    'src/notype/type',
    'src/odd type',
    'src/svc/data/.hidden',
    'src/svc/data/blob',
    'src/svc/dependencies.d/ghost',
    'src/svc/down-signal',
    'src/svc/env/EMPTY',
    'src/svc/flag-recommended',
    'src/svc/log',
    'src/svc/nosetsid',
    'src/svc/run',
    'src/svc/stray',
    'src/svc/timeout-up',
  ]);
  expect(byFile['src/svc/dependencies.d/ghost']).toContain('"ghost" is not defined');
  expect(byFile['src/odd type']).toContain('imported as "odd_type"');
  expect(r.renamed.get('odd type')).toBe('odd_type');
  expect(r.files.has('odd_type.hcl')).toBe(true);
  expect(r.files.has('notype.hcl')).toBe(false);
  expect(parsed(r.files.get('svc.hcl')).longrun.svc[0].run).toBe('#!/bin/sh\nexec thing\n');
  // A nested data file is a path in data; a hidden one is still refused, nosetsid says why.
  expect(parsed(r.files.get('svc.hcl')).longrun.svc[0].data).toEqual({ 'conf/nested.ini': 'x=1\n' });
  expect(byFile['src/svc/nosetsid']).toContain('starts every service in a new session');
});

test('durations use the largest exact unit', () => {
  expect([0, 1, 999, 1000, 1500, 60000, 90000, 3600000].map(duration)).toEqual(['0s', '1ms', '999ms', '1s', '1500ms', '1m', '90s', '1h']);
});
