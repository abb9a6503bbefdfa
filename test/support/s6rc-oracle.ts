import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, SHARED } from './cli-harness.js';

// s6-rc itself is the oracle for everything rcform claims of it. It is built from the source in
// ../shared/s6-rc against Debian's skarnet libraries, once, into a cache that survives between
// local runs (node_modules/.cache, which git ignores and `npm ci` clears). CI builds it in a
// temporary directory of its own and names it with RCFORM_S6RC_PREFIX. Where it cannot be built
// the tests that need it are skipped LOUDLY, naming what is missing.

const VERSION = '0.5.4.1';
const TARBALL = path.join(SHARED, 's6-rc', `s6-rc-${VERSION}.tar.gz`);
const SYSDEPS = '/usr/lib/x86_64-linux-gnu/skalibs/sysdeps';
const HEADERS = ['skalibs/skalibs.h', 's6/s6.h', 'execline/execline.h'].map((h) => `/usr/include/x86_64-linux-gnu/${h}`);
const PROGRAMS = ['s6-rc-compile', 's6-rc-db', 's6-rc-init', 's6-rc', 's6-rc-update'];

export interface S6rcOracle {
  /** Directory holding s6-rc-compile, s6-rc-db, s6-rc-init, s6-rc, s6-rc-update. */
  bin: string;
}

function hasPrograms(prefix: string): boolean {
  return PROGRAMS.every((p) => fs.existsSync(path.join(prefix, 'bin', p)));
}

function run(cmd: string, args: string[], cwd: string): string | null {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status === 0) return null;
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
  return `${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${tail}`;
}

/** Builds s6-rc into `prefix` (made by rename from a private directory, so concurrent builds are safe). */
function build(prefix: string): string | null {
  if (!fs.existsSync(TARBALL)) return `../shared/s6-rc is not beside this checkout (${TARBALL} missing)`;
  const missingHeaders = HEADERS.filter((h) => !fs.existsSync(h));
  if (missingHeaders.length) return `the skarnet development headers are missing (${missingHeaders.join(', ')}; apt-get install skalibs-dev libs6-dev libexecline-dev)`;
  for (const tool of ['cc', 'make']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return `${tool} is not installed`;
  }
  fs.mkdirSync(path.dirname(prefix), { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-s6rc-build-'));
  try {
    const staged = path.join(path.dirname(prefix), `.${path.basename(prefix)}.${process.pid}`);
    const src = path.join(work, `s6-rc-${VERSION}`);
    const failed =
      run('tar', ['-xzf', TARBALL, '-C', work], work) ??
      run('./configure', [`--prefix=${prefix}`, `--with-sysdeps=${SYSDEPS}`], src) ??
      run('make', ['-j2'], src) ??
      run('make', ['install', `DESTDIR=${staged}`], src);
    if (failed) return failed;
    // DESTDIR keeps the configured prefix (the programs find their libexec helpers there) while
    // the files land in the staging directory; one rename publishes them.
    try {
      fs.renameSync(path.join(staged, prefix), prefix);
    } catch (err) {
      if (!hasPrograms(prefix)) throw err;
    }
    fs.rmSync(staged, { recursive: true, force: true });
    return null;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function locate(): { oracle: S6rcOracle } | { missing: string } {
  const fromEnv = process.env.RCFORM_S6RC_PREFIX;
  if (fromEnv) {
    return hasPrograms(fromEnv) ? { oracle: { bin: path.join(fromEnv, 'bin') } } : { missing: `RCFORM_S6RC_PREFIX=${fromEnv} holds no s6-rc build` };
  }
  const prefix = path.join(PROJECT_ROOT, 'node_modules', '.cache', `rcform-s6rc-${VERSION}`);
  if (!hasPrograms(prefix)) {
    const failed = build(prefix);
    if (failed) return { missing: `s6-rc ${VERSION} (the oracle) cannot be built: ${failed}` };
  }
  return { oracle: { bin: path.join(prefix, 'bin') } };
}

const located = locate();

/** The built s6-rc, or null when it cannot be had here (then S6RC_MISSING says why). */
export const S6RC: S6rcOracle | null = 'oracle' in located ? located.oracle : null;
export const S6RC_MISSING: string | null = 'missing' in located ? located.missing : null;

export function warnS6rcMissing(suite: string): void {
  if (!S6RC_MISSING) return;
  const bar = '!'.repeat(78);
  // Straight to stderr: jest shows no console output of a suite whose every test is skipped.
  process.stderr.write(`\n${bar}\n!! ${suite}: SKIPPED — ${S6RC_MISSING}\n${bar}\n`);
}

/** Runs one s6-rc program of the oracle; throws with its stderr when it fails. */
export function s6rc(program: string, args: string[], opts: { cwd?: string } = {}): string {
  if (!S6RC) throw new Error(`s6-rc oracle unavailable: ${S6RC_MISSING}`);
  const r = spawnSync(path.join(S6RC.bin, program), args, { cwd: opts.cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${program} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Like s6rc(), but returns the outcome instead of throwing (for trees the oracle should reject). */
export function s6rcTry(program: string, args: string[]): { code: number; stdout: string; stderr: string } {
  if (!S6RC) throw new Error(`s6-rc oracle unavailable: ${S6RC_MISSING}`);
  const r = spawnSync(path.join(S6RC.bin, program), args, { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
