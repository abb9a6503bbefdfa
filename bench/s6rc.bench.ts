import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { S6RC, S6RC_MISSING } from '../test/support/s6rc-oracle.js';

// rcform beside s6-rc on the same s6 (issue 21): the same workloads, the same services (`sleep`,
// up as soon as it runs), brought up from nothing and down again through s6-rc (s6-rc-compile,
// s6-rc-init, `s6-rc -u change`, `s6-rc -d change`), through rcform's s6 engine and through its
// embedded engine, interleaved in one run, with the ratios printed. Also the floor: s6-supervise's
// own fork + exec of the same service, driven through its control FIFO with nothing else around.
// `npm run bench -- s6rc`; RCFORM_BENCH_S6RC=chain200,wide selects workloads, RCFORM_BENCH_ROUNDS repeats them.

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../cli/main.js');
const ROUNDS = Number(process.env['RCFORM_BENCH_ROUNDS'] ?? 1);
const only = process.env['RCFORM_BENCH_S6RC']?.split(',');
const SERVICE = ['sleep', '3600'];

if (spawnSync('sh', ['-c', 'command -v s6-svscan && command -v s6-svc'], { stdio: 'ignore' }).status !== 0) {
  console.log('s6rc bench SKIPPED: s6 is not installed (apt-get install s6)');
  process.exit(0);
}
if (!S6RC) {
  console.log(`s6rc bench SKIPPED: ${S6RC_MISSING}`);
  process.exit(0);
}
const s6rcBin = (p: string): string => path.join(S6RC!.bin, p);
/** s6-rc-update runs s6-rc by its name: the oracle's programs come first on PATH. */
const S6RC_ENV = { ...process.env, PATH: `${S6RC.bin}:${process.env['PATH'] ?? ''}` };

/** A workload: longruns and their direct dependencies, and the service changed by the update workload. */
interface Workload {
  name: string;
  services: { name: string; deps: string[] }[];
  changed?: string;
}

const pad = (i: number): string => String(i).padStart(4, '0');

function chain(n: number, changed = false): Workload {
  const services = Array.from({ length: n }, (_, i) => ({ name: `c${pad(i)}`, deps: i === 0 ? [] : [`c${pad(i - 1)}`] }));
  return { name: changed ? `update${n}` : `chain${n}`, services, changed: changed ? `c${pad(n / 2)}` : undefined };
}

/** Ten layers; each service needs 1–3 of the layer before (the same pseudo-random DAG as apply.bench). */
function wide(n: number, layers = 10): Workload {
  const per = Math.ceil(n / layers);
  let seed = 42;
  const rnd = (k: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % k);
  const services: Workload['services'] = [];
  for (let l = 0; l < layers; l++) {
    for (let i = 0; i < per && services.length < n; i++) {
      const deps = new Set<string>();
      if (l > 0) for (let k = 0, m = 1 + rnd(3); k < m; k++) deps.add(`w${l - 1}-${rnd(per)}`);
      services.push({ name: `w${l}-${i}`, deps: [...deps].sort() });
    }
  }
  return { name: `wide${n}`, services };
}

/** What s6-rc is asked to bring up (nothing depends on them) and down (they depend on nothing): the rest follows by closure. */
function tops(w: Workload): string[] {
  const needed = new Set(w.services.flatMap((s) => s.deps));
  return w.services.filter((s) => !needed.has(s.name)).map((s) => s.name);
}
const bottoms = (w: Workload): string[] => w.services.filter((s) => s.deps.length === 0).map((s) => s.name);

/** Every step is bounded: a step that hangs fails the workload, naming itself, instead of the run. */
const STEP_TIMEOUT_MS = 180_000;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd, maxBuffer: 1 << 28, timeout: STEP_TIMEOUT_MS, killSignal: 'SIGKILL' });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}\n${(r.stdout ?? '').slice(-2000)}`);
  return ms;
}

async function waitFor(check: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function startSvscan(scandir: string, max: number): ChildProcess {
  fs.mkdirSync(scandir, { recursive: true });
  const p = spawn('s6-svscan', ['-c', String(max), scandir], { stdio: 'ignore', detached: true });
  return p;
}

async function stopSvscan(scandir: string, p: ChildProcess): Promise<void> {
  spawnSync('s6-svscanctl', ['-qt', scandir]);
  await new Promise<void>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) resolve();
    else p.once('exit', () => resolve());
  });
}

interface Figures {
  /** From nothing to every service up (s6-rc: compile + init + -u change; rcform: plan + apply). */
  up: number;
  /** What of `up` is compile + install (s6-rc-compile + s6-rc-init; rcform's plan). */
  prepare: number;
  down: number;
  /** The update workload: the changed service (and what depends on it) restarted. */
  update?: number;
}

/** The workload as an s6-rc source tree. */
function sourceTree(dir: string, w: Workload, marker: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const s of w.services) {
    const d = path.join(dir, s.name);
    fs.mkdirSync(path.join(d, 'dependencies.d'), { recursive: true });
    fs.writeFileSync(path.join(d, 'type'), 'longrun\n');
    const env = s.name === w.changed ? `VERSION=${marker} ` : '';
    fs.writeFileSync(path.join(d, 'run'), `#!/bin/sh\nexec env ${env}${SERVICE.join(' ')}\n`, { mode: 0o755 });
    for (const dep of s.deps) fs.writeFileSync(path.join(d, 'dependencies.d', dep), '');
  }
}

async function viaS6rc(dir: string, w: Workload): Promise<Figures> {
  const scandir = path.join(dir, 'scan');
  const svscan = startSvscan(scandir, w.services.length + 100);
  try {
    await waitFor(() => fs.existsSync(path.join(scandir, '.s6-svscan', 'control')), 10000);
    const src = path.join(dir, 'src');
    sourceTree(src, w, 'a');
    const live = path.join(dir, 'live');
    const t0 = performance.now();
    run(s6rcBin('s6-rc-compile'), [path.join(dir, 'db1'), src]);
    run(s6rcBin('s6-rc-init'), ['-c', path.join(dir, 'db1'), '-l', live, scandir]);
    const prepare = performance.now() - t0;
    run(s6rcBin('s6-rc'), ['-l', live, '-u', 'change', ...tops(w)]);
    const up = performance.now() - t0;
    let update: number | undefined;
    if (w.changed) {
      sourceTree(src, w, 'b');
      const conv = path.join(dir, 'convfile');
      fs.writeFileSync(conv, `${w.changed} restart\n`);
      const t1 = performance.now();
      run(s6rcBin('s6-rc-compile'), [path.join(dir, 'db2'), src]);
      run(s6rcBin('s6-rc-update'), ['-l', live, '-f', conv, path.join(dir, 'db2')], { env: S6RC_ENV });
      update = performance.now() - t1;
    }
    const down = run(s6rcBin('s6-rc'), ['-l', live, '-d', 'change', ...bottoms(w)]);
    return { up, prepare, down, update };
  } finally {
    await stopSvscan(scandir, svscan);
  }
}

/** The workload in HCL. */
function hclTree(dir: string, w: Workload, marker: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const blocks = w.services.map((s) => {
    const env = s.name === w.changed ? `\n  env = { VERSION = "${marker}" }` : '';
    const deps = s.deps.length ? `\n  depends_on = [${s.deps.map((d) => `longrun.${d}`).join(', ')}]` : '';
    return `longrun "${s.name}" {\n  run = ${JSON.stringify(SERVICE)}${deps}${env}\n}\n`;
  });
  fs.writeFileSync(path.join(dir, 'services.hcl'), blocks.join('\n'));
}

async function viaRcform(dir: string, w: Workload, engine: 's6' | 'embedded'): Promise<Figures> {
  const live = path.join(dir, `live-${engine}`);
  const env = { ...process.env, NO_COLOR: '1', RCFORM_LIVE: live };
  const rc = (args: string[]): number => run(process.execPath, [CLI, ...args], { env });
  rc(['init', '--live', live, '--engine', engine, ...(engine === 's6' ? ['--max-services', String(w.services.length + 100)] : [])]);
  try {
    const src = path.join(dir, 'hcl');
    hclTree(src, w, 'a');
    const plan = path.join(dir, 'p.plan');
    const prepare = rc(['plan', src, '--out', plan]);
    const up = prepare + rc(['apply', plan, '--parallelism', '1000']);
    let update: number | undefined;
    if (w.changed) {
      hclTree(src, w, 'b');
      update = rc(['apply', src, '-auto-approve', '--parallelism', '1000']);
    }
    // `rcform down` of what depends on nothing takes everything down, as `s6-rc -d change` of the same does.
    const down = rc(['down', ...bottoms(w).map((n) => `longrun.${n}`)]);
    rc(['destroy', src, '-auto-approve', '--parallelism', '1000']);
    return { up, prepare, down, update };
  } finally {
    spawnSync(process.execPath, [CLI, 'supervise', '--stop', '--live', live], { env });
  }
}

/**
 * The floor: s6-supervise starting and stopping the same service one after another, told through
 * its control FIFO and heard through its event fifodir by this process, with nothing else around
 * (no dependency handling, no journal, no client process). Per transition.
 */
async function floor(dir: string, n: number): Promise<{ up: number; down: number }> {
  const scandir = path.join(dir, 'floor-scan');
  const sv = path.join(scandir, 'x');
  fs.mkdirSync(sv, { recursive: true });
  fs.writeFileSync(path.join(sv, 'run'), `#!/bin/sh\nexec env ${SERVICE.join(' ')}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(sv, 'down'), '');
  const svscan = startSvscan(scandir, 10);
  try {
    await waitFor(() => fs.existsSync(path.join(sv, 'event')) && fs.existsSync(path.join(sv, 'supervise', 'control')), 10000);
    // s6-supervise writes each event to every FIFO of the fifodir named as s6's listeners name
    // theirs: "ftrig1:@" and 31 more characters.
    const fifo = path.join(sv, 'event', `ftrig1:@${randomBytes(16).toString('hex').slice(0, 31)}`);
    spawnSync('mkfifo', ['-m', '0600', fifo]);
    const fd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    const stream = new net.Socket({ fd, readable: true, writable: false });
    let events = '';
    let wake: (() => void) | undefined;
    stream.on('data', (c) => {
      events += c.toString();
      wake?.();
    });
    const await1 = (ch: string): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          const at = events.indexOf(ch);
          if (at < 0) return;
          events = events.slice(at + 1);
          wake = undefined;
          resolve();
        };
        wake = check;
        check();
      });
    const control = fs.openSync(path.join(sv, 'supervise', 'control'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    let up = 0;
    let down = 0;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fs.writeSync(control, 'u');
      await await1('u');
      const t1 = performance.now();
      fs.writeSync(control, 'd');
      await await1('D');
      up += t1 - t0;
      down += performance.now() - t1;
    }
    fs.closeSync(control);
    stream.destroy();
    return { up: up / n, down: down / n };
  } finally {
    await stopSvscan(scandir, svscan);
  }
}

const WORKLOADS: Workload[] = [chain(200), chain(500), wide(500), chain(200, true)];
const f = (ms: number | undefined): string => (ms === undefined ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '—' : (a / b).toFixed(2));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-s6rc-'));
try {
  const fl = await floor(dir, 50);
  process.stdout.write(
    `floor: s6-supervise's own fork + exec of \`${SERVICE.join(' ')}\` through sh, told by its control FIFO and heard on its event fifodir in-process: ` +
      `${fl.up.toFixed(2)} ms up, ${fl.down.toFixed(2)} ms down per transition; load average ${os.loadavg()[0].toFixed(1)}\n`,
  );
  type Who = 's6-rc' | 's6' | 'embedded';
  const runners: Record<Who, (d: string, w: Workload) => Promise<Figures>> = {
    's6-rc': viaS6rc,
    s6: (d, w) => viaRcform(d, w, 's6'),
    embedded: (d, w) => viaRcform(d, w, 'embedded'),
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const w of WORKLOADS) {
      if (only && !only.includes(w.name)) continue;
      // Interleaved: one order this round, the reverse the next.
      const order = Object.keys(runners) as Who[];
      if (round % 2 === 1) order.reverse();
      const figs = {} as Record<Who, Figures>;
      const load = os.loadavg()[0];
      for (const who of order) {
        const d = fs.mkdtempSync(path.join(dir, `${w.name}-${who}-`));
        try {
          figs[who] = await runners[who](d, w);
        } catch (err) {
          process.stdout.write(`${w.name}: ${who} failed: ${(err as Error).message.split('\n')[0]}\n`);
          process.exitCode = 1;
        } finally {
          fs.rmSync(d, { recursive: true, force: true });
        }
      }
      if (Object.keys(figs).length < order.length) continue;
      const n = w.services.length;
      const base = figs['s6-rc'];
      const line = (label: string, k: keyof Figures): string =>
        `  ${label.padEnd(7)} s6-rc ${f(base[k]).padStart(7)} | rcform s6 ${f(figs.s6[k]).padStart(7)} (×${ratio(figs.s6[k], base[k])}) | ` +
        `rcform embedded ${f(figs.embedded[k]).padStart(7)} (×${ratio(figs.embedded[k], base[k])})`;
      process.stdout.write(
        `${w.name}${w.changed ? ` (${w.changed} changed in an up chain of ${n})` : ` (${n} longruns)`}, round ${round + 1}, load average ${load.toFixed(1)} at the start:\n` +
          (w.changed
            ? `${line('update', 'update')}\n    [s6-rc: s6-rc-compile + s6-rc-update with "${w.changed} restart"; rcform: apply of the changed source]\n`
            : `${line('up', 'up')}\n    [of which s6-rc-compile + s6-rc-init ${f(base.prepare)}; rcform's plan ${f(figs.s6.prepare)} / ${f(figs.embedded.prepare)}]\n` +
              `${line('down', 'down')}\n    [s6-rc -d change and rcform down of the services that depend on nothing]\n` +
              `  per service, up + down: s6-rc ${((base.up + base.down) / n).toFixed(1)} ms, ` +
              `rcform s6 ${((figs.s6.up + figs.s6.down) / n).toFixed(1)} ms, embedded ${((figs.embedded.up + figs.embedded.down) / n).toFixed(1)} ms; floor ${(fl.up + fl.down).toFixed(1)} ms\n`),
      );
    }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
