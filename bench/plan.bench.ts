import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_FORMAT_VERSION, type CompiledDb, type CompiledLongrun } from '../lang/compile/compiled-db.js';
import { closuresByName } from '../lang/compile/closures.js';
import { compiledSchemaDigest, encodeDb } from '../lang/compile/compile.js';
import { serializeState } from '../state/state-file.js';
import { stateFromCompiled } from '../planner/state-from-compiled.js';
import { compiledJsonOf, readCompiledDb } from '../cli/compiled-db-file.js';
import { readLiveFrom } from '../cli/live-from.js';
import { plan as makePlan } from '../planner/plan/plan.js';
import { renderHuman } from '../cli/views/plan-human.js';
import { encodePlanFilePieces, PLAN_FILE_FORMAT_VERSION } from '../planner/plan-file.js';
import { validatorSource } from '../schemas/validators.js';

// `rcform plan` over 10,000 services with 1% changed, against a live state of 10,000: the whole
// CLI process as a user runs it (read and validate the compiled db and the pulled state, diff,
// render), timed from spawn to exit. Targets: under 1 s wall, under 300 MB peak RSS.

const N = 10_000;
const CHANGED = N / 100;
const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../cli/main.js');
const usageHook = path.resolve(here, 'support/report-usage.js');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function service(i: number, variant: number): CompiledLongrun {
  const name = `svc${String(i).padStart(5, '0')}`;
  // A forest of small chains: every service but each tenth depends on the one before it.
  const deps = i % 10 === 0 ? [] : [`svc${String(i - 1).padStart(5, '0')}`];
  const s: CompiledLongrun = {
    type: 'longrun',
    name,
    address: `longrun.${name}`,
    essential: false,
    dependencies: deps,
    reverse_dependencies: i % 10 === 9 ? [] : [`svc${String(i + 1).padStart(5, '0')}`],
    rank: i % 10,
    definition_hash: '',
    sensitive_paths: [],
    run: { argv: ['/usr/bin/worker', '--id', String(i), '--generation', String(variant)] },
    down: false,
    env: { WORKER_ID: String(i), ROLE: i % 2 ? 'odd' : 'even' },
    timeouts: { up_ms: 5000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 },
    down_signal: 'SIGTERM',
    max_death_tally: 100,
    data: {},
    consumer_for: [],
    lifecycle: { on_change: 'restart' },
  };
  s.definition_hash = sha(JSON.stringify(s));
  return s;
}

/** The database and its file's bytes, as `rcform compile` writes them (encodeDb). */
function database(changedEvery: number): { db: CompiledDb; text: string } {
  const services: CompiledDb['services'] = {};
  for (let i = 0; i < N; i++) services[`svc${String(i).padStart(5, '0')}`] = service(i, changedEvery && i % changedEvery === 5 ? 2 : 1);
  return encodeDb({ format_version: COMPILED_FORMAT_VERSION, schema: compiledSchemaDigest(), services, ...closuresByName(services), bundles: {}, moved: [] });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-'));
try {
  const oldDb = database(0).db;
  const newDb = database(N / CHANGED);
  const stateFile = path.join(dir, 'state.json');
  const compiledFile = path.join(dir, 'compiled.json');
  fs.writeFileSync(stateFile, serializeState({ ...stateFromCompiled(oldDb, { kind: 'embedded' }), lineage: '0b5e1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b', serial: 42 }));
  fs.writeFileSync(compiledFile, newDb.text);
  const usageFile = path.join(dir, 'usage.json');

  const runs: Array<{ ms: number; kib: number; cpuMs: number }> = [];
  let summary = '';
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(process.execPath, ['--import', usageHook, cli, 'plan', '--compiled', compiledFile, '--live-from', stateFile, '--out', path.join(dir, 'bench.plan')], {
      env: { ...process.env, NO_COLOR: '1', RCFORM_BENCH_USAGE_FILE: usageFile },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`rcform plan failed (${res.status}): ${res.stderr}`);
    summary = /^Plan: .*$/m.exec(res.stdout)?.[0] ?? '(no summary line)';
    const usage = JSON.parse(fs.readFileSync(usageFile, 'utf8')) as { maxRSS: number; cpu: number };
    runs.push({ ms, kib: usage.maxRSS, cpuMs: usage.cpu / 1000 });
  }
  const ms = runs.map((x) => x.ms).sort((a, b) => a - b);
  const cpu = runs.map((x) => x.cpuMs).sort((a, b) => a - b);
  const peak = Math.max(...runs.map((x) => x.kib)) / 1024;
  process.stdout.write(`plan: ${N} services, ${CHANGED} changed, against a pulled state of ${N} (plan file written)\n`);
  process.stdout.write(`  ${summary}\n`);
  process.stdout.write(`  wall (whole process): median ${ms[2]!.toFixed(0)} ms, best ${ms[0]!.toFixed(0)} ms, worst ${ms[4]!.toFixed(0)} ms   target < 1000 ms\n`);
  process.stdout.write(`  CPU time (user + system): median ${cpu[2]!.toFixed(0)} ms, best ${cpu[0]!.toFixed(0)} ms (the wall time is this plus waiting for a core)\n`);
  process.stdout.write(`  load average at the end: ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores\n`);
  // Where the time goes, in this process (CPU time per phase, first run, as the CLI pays it).
  const phases: string[] = [];
  const phase = <T>(name: string, fn: () => T): T => {
    const c0 = process.cpuUsage();
    const v = fn();
    const c = process.cpuUsage(c0);
    phases.push(`${name} ${((c.user + c.system) / 1000).toFixed(0)}`);
    return v;
  };
  const desired = phase('read+validate compiled', () => readCompiledDb(compiledFile));
  const live = phase('read+verify state', () => readLiveFrom(stateFile));
  const made = phase('diff', () => makePlan({ compiled: desired, state: live.state, observed: null, options: {} }));
  const plan = made.plan;
  if (!plan) throw new Error(made.diagnostics.map((d) => d.summary).join('\n'));
  phase('render', () => renderHuman(plan, { color: false }));
  // As plan --out writes it: the compiled database's bytes as read, the rest serialised.
  phase('encode plan file', () =>
    encodePlanFilePieces(
      {
        format_version: PLAN_FILE_FORMAT_VERSION,
        kind: 'rcform-plan',
        rcform_version: '0',
        created_at: '',
        compiled: desired,
        live: { source: 'state-file', lineage: live.state.lineage, serial: live.state.serial, compiled_hash: null },
        engine: null,
        observed: { source: 'state', services: {} },
        plan,
      },
      compiledJsonOf(desired) as Uint8Array,
    ),
  );
  process.stdout.write(`  CPU ms by phase (in-process): ${phases.join(', ')}\n`);
  // "compiled" here means ajv compiled the schema at run time: npm run build was not used.
  process.stdout.write(`  validators: ${[...validatorSource].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  process.stdout.write(`  peak RSS: ${peak.toFixed(0)} MB   target < 300 MB\n`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
