import { expect, test } from '@jest/globals';
import { importS6rc, type S6rcDefinition } from '../../../lang/import/s6rc.js';
import type { CompiledDb } from '../../../lang/compile/compiled-db.js';
import { compileText } from '../../support/lang-harness.js';

// What s6-rc means by a tree, carried through import and compile: names kept exactly, instance
// families as one for_each block, pipeline bundles named, essential bundles. The property test
// (test/lang/compile/s6rc-property.test.ts) checks the same against s6-rc-db on random trees; these are the
// cases one by one, readable when one of them breaks.

const enc = new TextEncoder();
function def(name: string, files: Record<string, string>, dirs: string[] = []): S6rcDefinition {
  return { name, dir: `src/${name}`, files: new Map(Object.entries(files).map(([k, v]) => [k, enc.encode(v)])), dirs: new Set(dirs) };
}

function importAndCompile(defs: S6rcDefinition[]): { db: CompiledDb; warnings: string[]; files: Map<string, string> } {
  const r = importS6rc(defs);
  const c = compileText(Object.fromEntries(r.files));
  expect(c.diagnostics.map((d) => `${d.summary}: ${d.detail}`)).toEqual([]);
  return { db: c.db as CompiledDb, warnings: r.warnings.map((w) => `${w.file}: ${w.message}`), files: r.files };
}

test('names HCL cannot write as identifiers keep their exact names', () => {
  const { db, warnings } = importAndCompile([
    def('01-mount', { type: 'oneshot\n', up: 'true\n' }),
    def('net.lo', { type: 'oneshot\n', up: 'true\n', dependencies: '01-mount\n' }),
    def('9p', { type: 'bundle\n', contents: 'net.lo\n' }),
    def('web', { type: 'longrun\n', run: '#!/bin/sh\nexec sleep 9\n', dependencies: '9p\n' }),
  ]);
  expect(warnings).toEqual([]);
  expect(Object.keys(db.services).sort()).toEqual(['01-mount', 'net.lo', 'web']);
  expect(db.services['web']?.dependencies).toEqual(['net.lo']);
  expect(db.services['net.lo']?.dependencies).toEqual(['01-mount']);
  expect(db.bundles['9p']?.members).toEqual(['net.lo']);
});

test('a NAME@INSTANCE family is one for_each block; instances keep their names and differences', () => {
  const { db, files, warnings } = importAndCompile([
    def('udev', { type: 'oneshot\n', up: 'true\n' }),
    def('net', { type: 'oneshot\n', up: 'true\n' }),
    def('getty@tty1', { type: 'longrun\n', run: '#!/bin/sh\nexec agetty tty1\n', dependencies: 'udev\n' }),
    def('getty@tty2', { type: 'longrun\n', run: '#!/bin/sh\nexec agetty tty2\n', dependencies: 'udev\nnet\n', 'flag-essential': '' }),
    def('login', { type: 'bundle\n', contents: 'getty@tty1\ngetty@tty2\n' }),
  ]);
  expect(warnings).toEqual([]);
  expect([...files.keys()].sort()).toEqual(['getty.hcl', 'login.hcl', 'net.hcl', 'udev.hcl']);
  expect(files.get('getty.hcl')).toContain('for_each = toset(["tty1", "tty2"])');
  expect(files.get('login.hcl')).toContain('longrun.getty["tty1"]');
  expect(db.services['getty@tty1']).toMatchObject({ address: 'longrun.getty["tty1"]', run: { script: '#!/bin/sh\nexec agetty tty1\n' }, dependencies: ['udev'], essential: false });
  expect(db.services['getty@tty2']).toMatchObject({ run: { script: '#!/bin/sh\nexec agetty tty2\n' }, dependencies: ['net', 'udev'], essential: true });
  expect(db.bundles['login']?.members).toEqual(['getty@tty1', 'getty@tty2']);
});

test('families in pipelines: each instance feeds its own logger instance', () => {
  const { db, warnings } = importAndCompile([
    def('getty@tty1', { type: 'longrun\n', run: '#!/bin/sh\nexec agetty tty1\n', 'producer-for': 'log@tty1\n' }),
    def('getty@tty2', { type: 'longrun\n', run: '#!/bin/sh\nexec agetty tty2\n', 'producer-for': 'log@tty2\n' }),
    def('log@tty1', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'getty@tty1\n', 'pipeline-name': 'tty1-pipeline\n' }),
    def('log@tty2', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'getty@tty2\n' }),
  ]);
  expect(warnings).toEqual([]);
  expect(db.services['getty@tty1']).toMatchObject({ producer_for: 'log@tty1', dependencies: ['log@tty1'] });
  expect(db.services['getty@tty2']).toMatchObject({ producer_for: 'log@tty2', dependencies: ['log@tty2'] });
  expect(db.services['log@tty2']).toMatchObject({ consumer_for: ['getty@tty2'] });
  expect(db.bundles['tty1-pipeline']?.members).toEqual(['getty@tty1', 'log@tty1']);
  expect(Object.keys(db.bundles)).toEqual(['tty1-pipeline']);
});

test('a name rcform cannot hold is renamed, and the rename is stated once', () => {
  const r = importS6rc([
    def('lo@', { type: 'oneshot\n', up: 'true\n' }),
    def('a', { type: 'oneshot\n', up: 'true\n', dependencies: 'lo@\n' }),
    def('b', { type: 'oneshot\n', up: 'true\n', dependencies: 'lo@\n' }),
  ]);
  expect(r.renamed).toEqual(new Map([['lo@', 'lo_']]));
  expect(r.warnings).toEqual([{ file: 'src/lo@', message: 'the name "lo@" cannot be a service name in rcform (an instance name NAME@KEY needs a key); it is imported as "lo_"' }]);
  const c = compileText(Object.fromEntries(r.files));
  expect(c.diagnostics).toEqual([]);
  expect((c.db as CompiledDb).services['a']?.dependencies).toEqual(['lo_']);
});

test('a pipeline-name is a bundle other definitions name; import keeps the references', () => {
  const { db, warnings } = importAndCompile([
    def('app', { type: 'longrun\n', run: '#!/bin/sh\nexec app\n', 'producer-for': 'app-log\n' }),
    def('app-log', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'app\n', 'pipeline-name': 'app-pipeline\n' }),
    def('proxy', { type: 'longrun\n', run: '#!/bin/sh\nexec proxy\n', 'dependencies.d/app-pipeline': '' }, ['dependencies.d']),
    def('default', { type: 'bundle\n', contents: 'app-pipeline\nproxy\n' }),
  ]);
  expect(warnings).toEqual([]);
  expect(db.services['app']?.dependencies).toEqual(['app-log']);
  expect(db.services['proxy']?.dependencies).toEqual(['app', 'app-log']);
  expect(db.bundles['app-pipeline']?.members).toEqual(['app', 'app-log']);
  expect(db.bundles['default']).toMatchObject({ contents: ['app-pipeline', 'proxy'], members: ['app', 'app-log', 'proxy'] });
});

test('a pipeline name rcform cannot hold is renamed once, and references follow', () => {
  const { db, warnings } = importAndCompile([
    def('app', { type: 'longrun\n', run: '#!/bin/sh\nexec app\n', 'producer-for': 'app-log\n' }),
    def('app-log', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'app\n', 'pipeline-name': 'app pipe\n' }),
    def('all', { type: 'bundle\n', contents: 'app pipe\n' }),
  ]);
  expect(warnings).toEqual(['src/app-log/pipeline-name: the name "app pipe" cannot be a pipeline name in rcform (names use letters, digits, "_", "." and "-", not starting with "." or "-"); it is imported as "app_pipe"']);
  expect(db.bundles['all']?.members).toEqual(['app', 'app-log']);
  expect(db.bundles['app_pipe']?.members).toEqual(['app', 'app-log']);
});

test('an undefined pipeline partner is a warning, and what is written validates', () => {
  const { db, warnings } = importAndCompile([
    def('user-log', { type: 'longrun\n', run: '#!/bin/sh\nexec cat\n', 'consumer-for': 'user-services@%I\n', 'pipeline-name': 'user-pipeline\n' }),
    def('talker', { type: 'longrun\n', run: '#!/bin/sh\nexec talk\n', 'producer-for': 'nobody\n' }),
  ]);
  expect(warnings).toEqual([
    'src/talker/producer-for: "nobody" is not defined in the imported tree, and pipelines join longruns only (s6-rc-compile would reject it); the reference was dropped',
    'src/user-log/consumer-for: "user-services@%I" is not defined in the imported tree, and pipelines join longruns only (s6-rc-compile would reject it); the reference was dropped',
    'src/user-log/pipeline-name: ignored, as s6-rc-compile ignores it: user-log is not the last consumer of a pipeline (none of its consumer-for longruns was imported); the pipeline\'s name belongs on the service it ends in',
  ]);
  expect(db.services['talker']).toMatchObject({ dependencies: [] });
});

test('flag-essential on a bundle marks every service it stands for, nested bundles included', () => {
  const c = compileText({
    'main.hcl': `
oneshot "a" {
  up = ["true"]
}
oneshot "b" {
  up = ["true"]
}
oneshot "c" {
  up = ["true"]
}
bundle "inner" {
  contents = [oneshot.a]
}
bundle "outer" {
  contents  = [bundle.inner, oneshot.b]
  essential = true
}
`,
  });
  expect(c.diagnostics).toEqual([]);
  const db = c.db as CompiledDb;
  expect(Object.fromEntries(Object.values(db.services).map((s) => [s.name, s.essential]))).toEqual({ a: true, b: true, c: false });
});

test('references by exact name: longrun["NAME"] and an instance as longrun["NAME@KEY"]', () => {
  const c = compileText({
    'main.hcl': `
oneshot "01-mount" {
  up = ["true"]
}
longrun "getty" {
  for_each   = toset(["tty1"])
  run        = ["agetty", each.key]
  depends_on = [oneshot["01-mount"]]
}
bundle "b" {
  contents = [longrun["getty@tty1"]]
}
`,
  });
  expect(c.diagnostics).toEqual([]);
  expect((c.db as CompiledDb).bundles['b']?.members).toEqual(['getty@tty1']);
  expect((c.db as CompiledDb).services['getty@tty1']?.dependencies).toEqual(['01-mount']);
});
