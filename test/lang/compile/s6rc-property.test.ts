import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInProcess } from '../../support/cli-harness.js';
import { S6RC, s6rc, s6rcTry, warnS6rcMissing } from '../../support/s6rc-oracle.js';
import { FAULT_KINDS, makeS6rcTree, type FaultKind, type GeneratedTree } from '../../support/s6rc-tree-gen.js';
import { allDependencies, closure, contents, dependencies, listNames, pipeline } from '../../../lang/compile/db-query.js';
import type { CompiledDb } from '../../../lang/compile/compiled-db.js';

// s6-rc itself decides what rcform claims of it. Random source trees are compiled twice: by
// s6-rc-compile, and by `rcform import s6-rc` + `rcform compile`; then every question s6-rc-db
// answers about dependencies is asked of both, for every service and every bundle. Trees that
// s6-rc-compile rejects must be rejected (or warned about) by rcform for the same reason.

const VALID_TREES = 48;
/** More trees with families of pipelines (NAME@KEY feeding NAME-log@KEY). */
const FAMILY_TREES = 16;
const FAULTY_TREES = FAULT_KINDS.length * 2;
const FIRST_SEED = 1500;

warnS6rcMissing('s6-rc property test (test/lang/compile/s6rc-property.test.ts)');
const maybe = S6RC ? describe : describe.skip;

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-s6rc-prop-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();
const internal = (n: string): boolean => n.startsWith('s6rc-') || n.startsWith('s6-rc-');

/** The HCL name of each s6-rc name that import renamed, from its one warning per name. */
function renamesFrom(stderr: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stderr.matchAll(/the name "([^"]+)" (?:[^\n]*?)is imported as "([^"]+)"/g)) out.set(m[1] as string, m[2] as string);
  return out;
}

async function rcformCompile(src: string, work: string): Promise<{ db?: CompiledDb; importErr: string; compileErr: string; code: number }> {
  const hcl = path.join(work, 'hcl');
  const imported = await runInProcess(['import', 's6-rc', src, '--out', hcl]);
  if (imported.code !== 0) return { importErr: imported.stderr, compileErr: '', code: imported.code };
  // What import writes is canonical HCL: fmt has nothing to change.
  const fmt = await runInProcess(['fmt', '-check', hcl]);
  if (fmt.code !== 0) return { importErr: `${imported.stderr}fmt -check: ${fmt.stdout}${fmt.stderr}`, compileErr: '', code: fmt.code };
  const out = path.join(work, 'db.json');
  const compiled = await runInProcess(['compile', hcl, '--out', out]);
  if (compiled.code !== 0) return { importErr: imported.stderr, compileErr: compiled.stderr, code: compiled.code };
  return { db: JSON.parse(fs.readFileSync(out, 'utf8')) as CompiledDb, importErr: imported.stderr, compileErr: compiled.stderr, code: 0 };
}

const counts = { trees: 0, services: 0, bundles: 0, pipelines: 0, rejected: 0 };

maybe('rcform agrees with s6-rc-db on random s6-rc trees', () => {
  test(`${VALID_TREES + FAMILY_TREES} valid trees: every service's and bundle's dependencies, closures and flags`, async () => {
    const mismatches: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + VALID_TREES + FAMILY_TREES; seed++) {
      const work = path.join(root, `t${seed}`);
      const src = path.join(work, 'src');
      const tree = makeS6rcTree(seed, src, { instancePipelines: seed >= FIRST_SEED + VALID_TREES });
      const compiledDir = path.join(work, 'compiled');
      s6rc('s6-rc-compile', ['-v0', compiledDir, src]);
      const r = await rcformCompile(src, work);
      if (!r.db) {
        mismatches.push(`seed ${seed}: rcform failed where s6-rc-compile succeeded:\n${r.importErr}${r.compileErr}`);
        continue;
      }
      mismatches.push(...compare(tree, compiledDir, r.db, renamesFrom(r.importErr)));
      // What s6-rc-compile ignores, import ignores too, and says so at the file that holds it.
      const warned = (file: string, text: string): void => {
        if (!r.importErr.includes(`Warning: ${path.join(src, file)}: ${text}`)) mismatches.push(`seed ${seed}: no warning "${text}" at ${file}`);
      };
      for (const p of tree.pipelines) if (p.ignoredNameOn) warned(`${p.ignoredNameOn}/pipeline-name`, 'ignored, as s6-rc-compile ignores it');
      for (const svc of tree.services) {
        if (svc.downFile) warned(`${svc.name}/down`, 's6-rc-compile ignores a down file');
        const lost = svc.ignoredDependencies.filter((n) => !svc.dependencies.includes(n));
        if (lost.length) warned(`${svc.name}/dependencies`, 's6-rc-compile reads dependencies.d/ and ignores this file');
        const lostContents = svc.ignoredContents.filter((n) => !svc.contents.includes(n));
        if (lostContents.length) warned(`${svc.name}/contents`, 's6-rc-compile reads contents.d/ and ignores this file');
      }
      counts.trees++;
      counts.pipelines += tree.pipelines.length;
      fs.rmSync(work, { recursive: true, force: true });
    }
    console.log(`s6-rc property: ${counts.trees} trees, ${counts.services} services and ${counts.bundles} bundles compared against s6-rc-db (${counts.pipelines} pipelines)`);
    expect(mismatches.slice(0, 15)).toEqual([]);
  }, 240_000);

  test(`${FAULTY_TREES} trees s6-rc-compile rejects: rcform rejects or warns, for the same reason`, async () => {
    const problems: string[] = [];
    for (let i = 0; i < FAULTY_TREES; i++) {
      const seed = FIRST_SEED + 1000 + i;
      const kind = FAULT_KINDS[i % FAULT_KINDS.length] as FaultKind;
      const work = path.join(root, `f${seed}`);
      const src = path.join(work, 'src');
      const tree = makeS6rcTree(seed, src, { fault: kind, size: 4 });
      const oracle = s6rcTry('s6-rc-compile', ['-v0', path.join(work, 'compiled'), src]);
      expect(oracle.code).not.toBe(0);
      const r = await rcformCompile(src, work);
      const said = `${r.importErr}${r.compileErr}`;
      const reason = REASONS[kind];
      // Rejected by compile or import, or (for what import must drop) a warning naming the cause.
      const rejected = r.code !== 0 || (reason.warnOnly === true && said !== '');
      if (!rejected || !reason.re.test(said) || !tree.fault!.services.every((n) => said.includes(n))) {
        problems.push(`seed ${seed} (${kind}): s6-rc-compile said ${JSON.stringify(oracle.stderr.trim())}; rcform exit ${r.code}: ${JSON.stringify(said.trim())}`);
      }
      counts.rejected++;
      fs.rmSync(work, { recursive: true, force: true });
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

/** What rcform must say for each fault s6-rc-compile rejects. */
const REASONS: Record<FaultKind, { re: RegExp; warnOnly?: boolean }> = {
  'undefined-dependency': { re: /not (defined|declared)/, warnOnly: true },
  'undefined-bundle-member': { re: /not (defined|declared)/, warnOnly: true },
  'dependency-cycle': { re: /Dependency cycle/ },
  'bundle-cycle': { re: /Bundle cycle/ },
  'producer-not-declared-back': { re: /does not (list|declare)/ },
  'reserved-prefix': { re: /reserve/ },
  'pipeline-name-taken': { re: /already the name of/ },
  'missing-run': { re: /run script/, warnOnly: true },
};

function compare(tree: GeneratedTree, compiledDir: string, db: CompiledDb, renames: Map<string, string>): string[] {
  const out: string[] = [];
  const ask = (...args: string[]): string[] => sorted(lines(s6rc('s6-rc-db', ['-c', compiledDir, ...args])).filter((n) => !internal(n)));
  const toRc = (n: string): string => renames.get(n) ?? n;
  const rcList = (xs: string[]): string[] => sorted(xs);
  const s6List = (xs: string[]): string[] => sorted(xs.map(toRc));
  const diff = (what: string, s6: string[], rc: string[]): void => {
    if (JSON.stringify(s6) !== JSON.stringify(rc)) out.push(`seed ${tree.seed}: ${what}: s6-rc-db ${JSON.stringify(s6)}, rcform ${JSON.stringify(rc)}`);
  };

  const services = ask('list', 'services');
  const bundles = ask('list', 'bundles');
  diff('services', s6List(services), rcList(Object.keys(db.services)));
  diff('bundles', s6List(bundles), rcList(Object.keys(db.bundles)));
  diff('longruns', s6List(ask('list', 'longruns')), listNames(db, 'longruns'));
  diff('oneshots', s6List(ask('list', 'oneshots')), listNames(db, 'oneshots'));
  for (const s of services) {
    const name = toRc(s);
    if (!Object.hasOwn(db.services, name)) continue;
    counts.services++;
    diff(`dependencies ${s}`, s6List(ask('dependencies', s)), dependencies(db, name, 'up'));
    diff(`-d dependencies ${s}`, s6List(ask('-d', 'dependencies', s)), dependencies(db, name, 'down'));
    const all = s6List(ask('all-dependencies', s));
    diff(`all-dependencies ${s}`, all, allDependencies(db, [name], 'up'));
    diff(`stored closure ${s}`, all.filter((n) => n !== name), closure(db, name));
    diff(`-d all-dependencies ${s}`, s6List(ask('-d', 'all-dependencies', s)), allDependencies(db, [name], 'down'));
    const flags = parseInt(s6rc('s6-rc-db', ['-c', compiledDir, 'flags', s]).trim(), 16);
    diff(`essential ${s}`, [String((flags & 1) === 1)], [String(db.services[name]!.essential)]);
    if (db.services[name]!.type === 'longrun') {
      // s6-rc-db prints a pipeline as its "producer | consumer" pipes, and nothing for a longrun outside one.
      const pipes = lines(s6rc('s6-rc-db', ['-c', compiledDir, 'pipeline', s])).flatMap((l) => l.split(' | '));
      diff(`pipeline ${s}`, s6List(pipes.length ? [...new Set(pipes)] : [s]), sorted(pipeline(db, name)));
    }
  }
  for (const b of bundles) {
    const name = toRc(b);
    if (!Object.hasOwn(db.bundles, name)) continue;
    counts.bundles++;
    diff(`contents ${b}`, s6List(ask('contents', b)), contents(db, name));
    diff(`all-dependencies ${b}`, s6List(ask('all-dependencies', b)), allDependencies(db, [name], 'up'));
    diff(`-d all-dependencies ${b}`, s6List(ask('-d', 'all-dependencies', b)), allDependencies(db, [name], 'down'));
  }
  return out;
}
