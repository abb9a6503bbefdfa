import { describe, expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { at, compileText } from '../../support/lang-harness.js';
import { compiledSchemaDigest, dbHash, serializeDb, verifiedHash } from '../../../lang/compile/compile.js';
import { loadSchema } from '../../../schemas/index.js';
import type { CompiledDb } from '../../../lang/compile/compiled-db.js';
import { allDependencies, closure } from '../../../lang/compile/db-query.js';
import { MIN_RUN } from '../../../lang/compile/closures.js';
import { compileSources } from '../../../lang/compile/compile-sources.js';
import fc from 'fast-check';

const validateCompiled = new Ajv2020({ allErrors: true, strict: false }).compile(loadSchema('compiled.schema.json'));

export const WEB_STACK: Record<string, string> = {
  'db.hcl': `variable "db_password" {
  type      = string
  default   = "hunter2"
  sensitive = true
}

longrun "db" {
  description     = "PostgreSQL"
  run             = ["/usr/bin/postgres", "-D", "/var/lib/pg"]
  notification_fd = 3
  env             = { PGPASSWORD = var.db_password }
  timeout_up      = "30s"
  timeout_kill    = "250ms"
  down_signal     = "INT"
  user            = "postgres"
}

oneshot "migrate" {
  up         = "#!/bin/sh\\nexec /app/migrate\\n"
  depends_on = [longrun.db]
  input {
    prompt = "Migration passphrase"
    secret = true
  }
}
`,
  'app.hcl': `locals {
  workers = ["w1", "w2"]
}

longrun "app" {
  run          = ["/app/server", "--port", 8080]
  depends_on   = [oneshot.migrate, bundle.workers]
  producer_for = longrun.app-log
  data         = { "app.conf" = "threads = 4\\n" }
  lifecycle {
    on_change = "reload"
  }
  reload_signal = "HUP"
}

longrun "app-log" {
  run           = ["s6-log", "/var/log/app"]
  consumer_for  = [longrun.app]
  pipeline_name = "app-pipeline"
}

longrun "worker" {
  for_each   = toset(local.workers)
  run        = ["/app/worker", each.key]
  depends_on = [longrun.db]
}

bundle "workers" {
  contents = [longrun.worker]
}

bundle "web" {
  contents = [longrun.app, bundle.workers]
}

moved {
  from = longrun.httpd
  to   = longrun.app
}
`,
};

function compileOk(files: Record<string, string>): CompiledDb {
  const r = compileText(files);
  expect(r.diagnostics).toEqual([]);
  return r.db as CompiledDb;
}

describe('compiled database', () => {
  test('validates against schemas/compiled.schema.json and carries the graph', () => {
    const db = compileOk(WEB_STACK);
    expect(validateCompiled(db)).toBe(true);
    expect(validateCompiled.errors ?? null).toBeNull();
    const app = db.services['app'];
    // app is producer_for app-log: as in s6-rc, a producer depends on its consumer.
    expect(app?.dependencies).toEqual(['app-log', 'migrate', 'worker@w1', 'worker@w2']);
    // Listed in `order`, a topological order: db before what needs it.
    expect(db.closures['app']).toEqual(['app-log', 'db', 'migrate', 'worker@w1', 'worker@w2']);
    expect(closure(db, 'app')).toEqual(['app-log', 'db', 'migrate', 'worker@w1', 'worker@w2']);
    expect(db.closures['db']).toEqual([]);
    expect(Object.keys(db.closures)).toEqual(Object.keys(db.services));
    expect([...db.order].sort()).toEqual(Object.keys(db.services));
    for (const s of Object.values(db.services)) for (const d of s.dependencies) expect(db.order.indexOf(d)).toBeLessThan(db.order.indexOf(s.name));
    // Beside the services, not in them: state, journal and engines copy the definitions.
    expect(app).not.toHaveProperty('closure');
    expect(app?.rank).toBe(2);
    expect(db.services['db']?.reverse_dependencies).toEqual(['migrate', 'worker@w1', 'worker@w2']);
    expect(db.services['db']).toMatchObject({ timeouts: { up_ms: 30000, down_ms: 0, kill_ms: 250, finish_ms: 5000 }, down_signal: 'SIGINT', sensitive_paths: ['env.PGPASSWORD'] });
    expect(app).toMatchObject({ run: { argv: ['/app/server', '--port', '8080'] }, lifecycle: { on_change: 'reload' }, reload_signal: 'SIGHUP' });
    expect(db.services['migrate']).toMatchObject({ up: { script: '#!/bin/sh\nexec /app/migrate\n' }, input: { prompt: 'Migration passphrase', secret: true } });
    expect(db.bundles['web']).toMatchObject({ contents: ['app', 'workers'], members: ['app', 'worker@w1', 'worker@w2'] });
    expect(db.moved).toEqual([{ from: 'httpd', to: 'app' }]);
    expect(db.hash).toBe(dbHash(db));
    // The file's bytes come from the same single serialisation as the hash.
    expect(compileText(WEB_STACK).chunks?.join('')).toBe(serializeDb(db));
  });

  test('byte-identical whatever the file order, file split and formatting', () => {
    const a = serializeDb(compileOk(WEB_STACK));
    const reversed = Object.fromEntries(Object.entries(WEB_STACK).reverse());
    expect(serializeDb(compileOk(reversed))).toBe(a);
    const renamed = { 'z.hcl': WEB_STACK['db.hcl'] as string, 'a.hcl': WEB_STACK['app.hcl'] as string };
    expect(serializeDb(compileOk(renamed))).toBe(a);
    const oneFile = { 'all.hcl': (WEB_STACK['app.hcl'] as string) + '\n' + (WEB_STACK['db.hcl'] as string) };
    expect(serializeDb(compileOk(oneFile))).toBe(a);
    // Reformatted: alignment gone, comments added, blocks reordered inside the file.
    const reformatted: Record<string, string> = {};
    for (const [k, v] of Object.entries(WEB_STACK)) reformatted[k] = '# reformatted\n' + v.replace(/ +=/g, ' =').replace(/\n\n/g, '\n\n\n');
    expect(serializeDb(compileOk(reformatted))).toBe(a);
    expect(a.endsWith('}\n')).toBe(true);
    expect(a).not.toMatch(/\d{4}-\d\d-\d\dT/);
  });

  test('definition_hash covers run-time fields only', () => {
    const base = compileOk(WEB_STACK);
    const described = compileOk({ ...WEB_STACK, 'app.hcl': (WEB_STACK['app.hcl'] as string).replace('longrun "app" {', 'longrun "app" {\n  description = "changed"') });
    expect(described.services['app']?.definition_hash).toBe(base.services['app']?.definition_hash);
    expect(described.hash).not.toBe(base.hash);
    const changed = compileOk({ ...WEB_STACK, 'app.hcl': (WEB_STACK['app.hcl'] as string).replace('8080', '8081') });
    expect(changed.services['app']?.definition_hash).not.toBe(base.services['app']?.definition_hash);
    expect(changed.services['db']?.definition_hash).toBe(base.services['db']?.definition_hash);
  });

  test('a pipeline_name compiles to a bundle of the whole pipeline, as in s6-rc', () => {
    const db = compileOk(WEB_STACK);
    expect(db.bundles['app-pipeline']).toEqual({ type: 'bundle', name: 'app-pipeline', address: 'bundle.app-pipeline', description: 'The pipeline ending in longrun.app-log', essential: false, contents: ['app', 'app-log'], members: ['app', 'app-log'] });
    expect(validateCompiled(db)).toBe(true);
    // A longer pipeline where the last consumer funnels two producers, one of them itself fed.
    const funnel = compileOk({
      'p.hcl': `longrun "src" {
  run          = ["x"]
  producer_for = longrun.filter
}
longrun "filter" {
  run          = ["x"]
  consumer_for = [longrun.src]
  producer_for = longrun.log
}
longrun "other" {
  run          = ["x"]
  producer_for = longrun.log
}
longrun "log" {
  run           = ["x"]
  consumer_for  = [longrun.filter, longrun.other]
  pipeline_name = "logging"
}
longrun "unrelated" {
  run = ["x"]
}
`,
    });
    expect(funnel.bundles['logging']?.members).toEqual(['filter', 'log', 'other', 'src']);
    expect(Object.keys(funnel.bundles)).toEqual(['logging']);
  });

  test('a pipeline_name that clashes with a service or another pipeline is an error at its value', () => {
    const pipe = (name: string) => `longrun "a" {\n  run = ["x"]\n  producer_for = longrun.b\n}\nlongrun "b" {\n  run = ["x"]\n  consumer_for = [longrun.a]\n  pipeline_name = "${name}"\n}\n`;
    const clash = compileText({ 'main.hcl': pipe('web'), 'web.hcl': 'bundle "web" {\n  contents = [longrun.a]\n}\n' });
    expect(clash.db).toBeUndefined();
    expect(clash.diagnostics.map((d) => `${at(d)}: ${d.detail}`)).toEqual(['main.hcl:8:19-8:24 Duplicate service name: The pipeline name "web" becomes a bundle, but it is already the name of bundle.web.']);
    const twice = compileText({ 'main.hcl': pipe('logs'), 'other.hcl': pipe('logs').replace(/"a"/g, '"c"').replace(/"b"/g, '"d"').replace(/longrun\.a/g, 'longrun.c').replace(/longrun\.b/g, 'longrun.d') });
    expect(twice.db).toBeUndefined();
    expect(twice.diagnostics.map((d) => d.summary)).toEqual(['Duplicate service name']);
    expect(twice.diagnostics[0]?.detail).toMatch(/^The pipeline name "logs" is already used by the pipeline ending in longrun\.[bd]\.$/);
  });

  test('no database when there is an error, and all errors in one run', () => {
    const r = compileText({ 'main.hcl': 'longrun "a" {\n  run = 1\n}\nlongrun "b" {\n  run = ["x"]\n  depends_on = [longrun.c]\n}\nlongrun "a" {\n  run = ["y"]\n}\n' });
    expect(r.db).toBeUndefined();
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['Invalid value for "run"', 'Duplicate service name', 'Reference to undeclared service']);
  });
});

describe('stored dependency closures', () => {
  test('a long chain stores each closure as runs of `order`, linear in size', () => {
    const n = 200;
    let text = '';
    for (let i = 0; i < n; i++) text += `longrun "c${String(i).padStart(3, '0')}" {\n  run = ["sleep", "1"]\n${i ? `  depends_on = [longrun.c${String(i - 1).padStart(3, '0')}]\n` : ''}}\n`;
    const db = compileOk({ 'chain.hcl': text });
    expect(db.closures['c199']).toEqual([['c000', 'c198']]);
    expect(db.closures[`c${String(MIN_RUN).padStart(3, '0')}`]).toEqual([['c000', `c${String(MIN_RUN - 1).padStart(3, '0')}`]]);
    // Shorter runs are listed name by name.
    expect(db.closures['c003']).toEqual(['c000', 'c001', 'c002']);
    expect(closure(db, 'c199')).toHaveLength(199);
    expect(JSON.stringify(db.closures).length).toBeLessThan(n * 40);
  });

  // Random acyclic trees (each service needing some earlier ones, some through bundles): the
  // stored closure of every service is what walking the direct edges gives.
  test('equal a walk of the direct edges, whatever the graph', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: 1, maxLength: 25 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (depSpecs, bundled) => {
          const n = depSpecs.length;
          const name = (i: number): string => `s${String(i).padStart(2, '0')}`;
          const inBundle = [...new Set(bundled.map((b) => b % n))];
          let text = inBundle.length ? `bundle "b" {\n  contents = [${inBundle.map((i) => `longrun.${name(i)}`).join(', ')}]\n}\n` : '';
          depSpecs.forEach((ds, i) => {
            const refs = i === 0 ? [] : [...new Set(ds.map((d) => `longrun.${name(d % i)}`))];
            // The bundle stands for services that may come later: only those before i can be used.
            if (i > 0 && inBundle.length && inBundle.every((b) => b < i) && ds.length % 2 === 1) refs.push('bundle.b');
            text += `longrun "${name(i)}" {\n  run = ["sleep", "1"]\n  depends_on = [${refs.join(', ')}]\n}\n`;
          });
          const db = compileOk({ 'main.hcl': text });
          for (const s of Object.keys(db.services)) {
            expect(closure(db, s)).toEqual(allDependencies(db, [s], 'up').filter((x) => x !== s));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

// compileSources decodes files one at a time and drops their trees; only files that may declare
// variables or locals are parsed ahead. These pin what that must not change.
describe('file by file', () => {
  test('a service may use variables and locals declared in files after its own', () => {
    const db = compileOk({
      'a.hcl': 'longrun "app" {\n  run = [var.bin, local.flag]\n  env = { PORT = local.port }\n}\n',
      'z-vars.hcl': 'variable "bin" {\n  default = "/usr/bin/app"\n}\n',
      'zz-locals.hcl': 'locals {\n  flag = "--fast"\n  port = "8080"\n}\n',
    });
    expect(db.services['app']).toMatchObject({ run: { argv: ['/usr/bin/app', '--fast'] }, env: { PORT: '8080' } });
  });

  test('diagnostics keep their order: each file\'s structure, declarations, each file\'s services, moved', () => {
    const r = compileText({
      'b.hcl': 'stray = 1\nlongrun "b" {\n  run = ["x"]\n  bogus = 1\n}\n',
      'a.hcl': 'longrun "a" {\n  run = [var.missing]\n}\nwidget "w" {}\n',
      'c.hcl': 'variable "v" {\n  type = strng\n}\nmoved {\n  from = longrun.nope\n}\n',
    });
    expect(r.diagnostics.map((d) => `${d.subject?.filename} ${d.summary}`)).toEqual([
      'a.hcl Unsupported block type',
      'b.hcl Unsupported argument',
      'c.hcl Invalid type specification',
      'c.hcl No value for required variable',
      'a.hcl Reference to undeclared input variable',
      'b.hcl Unsupported argument',
      'c.hcl Missing required argument',
    ]);
  });

  test('a half-parsed file that declares locals is not evaluated: syntax errors alone', () => {
    const r = compileSources([
      { filename: 'locals.hcl', source: 'locals {\n  port = [1, 2\n  name = "x" +\n}\n' },
      { filename: 'app.hcl', source: 'longrun "app" {\n  run = ["x", local.name]\n}\n' },
    ]);
    expect(r.db).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThan(0);
    expect(r.diagnostics.every((d) => d.subject?.filename === 'locals.hcl')).toBe(true);
  });

  test('a syntax error in a later file: syntax errors alone, every file\'s, in file order', () => {
    const r = compileSources([
      { filename: 'c.hcl', source: 'longrun "c" {\n  run = ["x"\n}\n' },
      { filename: 'a.hcl', source: 'longrun "a" {\n  run = [var.missing]\n}\n' },
      { filename: 'b.hcl', source: 'longrun "b" {\n  run = = 1\n}\n' },
    ]);
    expect(r.db).toBeUndefined();
    expect(r.diagnostics.map((d) => d.subject?.filename)).toEqual(['b.hcl', 'c.hcl']);
    expect(r.diagnostics.every((d) => d.severity === 'error')).toBe(true);
  });
});

// A reader trusts a file that is byte for byte what this compiler wrote (cli/compiled-db-file.ts):
// the hash must verify over exactly those bytes and over nothing else.
describe('the file as written', () => {
  test('its hash verifies over its bytes; an edit, a reformatting or a truncation breaks that', () => {
    const r = compileText(WEB_STACK);
    const text = (r.chunks as string[]).join('');
    const db = r.db as CompiledDb;
    expect(db.schema).toBe(compiledSchemaDigest());
    expect(verifiedHash(Buffer.from(text))).toBe(db.hash);
    expect(verifiedHash(Buffer.from(text.replace('PostgreSQL', 'PostgreSQM')))).toBeUndefined();
    expect(verifiedHash(Buffer.from(JSON.stringify(JSON.parse(text), null, 2) + '\n'))).toBeUndefined();
    expect(verifiedHash(Buffer.from(text.slice(0, -2) + '\n'))).toBeUndefined();
    expect(verifiedHash(Buffer.from(text.replace(db.hash, 'f'.repeat(64))))).toBeUndefined();
    expect(verifiedHash(Buffer.from(text.replace(',"hash":"' + db.hash + '"', '')))).toBeUndefined();
  });

  test('written in pieces, it is exactly the canonical JSON of the database, whatever its size and names', () => {
    // Enough services for many pieces, and names V8 orders as array indices ("10" before "9"
    // in an object), which canonical JSON sorts as strings (data file names may be digits,
    // environment variable names may not start with one).
    let text = '';
    for (let i = 0; i < 700; i++) {
      const name = i % 3 === 0 ? String(i) : `svc-${i}`;
      // A name of digits cannot be written in a reference (longrun.42 is an index): depend on others.
      const dep = i > 2 ? `  depends_on = [longrun.svc-${i % 3 === 2 ? i - 1 : i - 2}]\n` : '';
      text += `longrun "${name}" {\n  run = ["sleep", "${i}"]\n${dep}  env = { INDEX = "${i}" }\n  data = { "10" = "x", "9" = "y" }\n}\n`;
    }
    const r = compileText({ 'many.hcl': text });
    expect(r.diagnostics.map(at)).toEqual([]);
    const db = r.db as CompiledDb;
    const chunks = r.chunks as string[];
    expect(chunks.length).toBeGreaterThan(4);
    expect(chunks.join('')).toBe(serializeDb(db));
    expect(db.hash).toBe(dbHash(db));
    expect(verifiedHash(Buffer.from(chunks.join('')))).toBe(db.hash);
    expect(Object.keys(JSON.parse(chunks.join('')).services)).toHaveLength(700);
  });
});
