import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { alive, processesWith, waitFor } from '../support/engine-harness.js';
import { groupMembers } from '../../engine/embedded/proc.js';
import type { ServiceSpec } from '../support/compiled-fixture.js';
import { readState } from '../../state/state-file.js';
import { readJournal } from '../../state/journal.js';

// apply against a real embedded supervisor: real processes, real lock, real journal. Timeouts are
// generous because process tests share a loaded machine.

let fx: LiveFixture;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  await fx.close();
}, 60_000);

/** A database that readies via fd 3 after writing its pid, and a web server that needs it. */
function stack(dir: string, webArgv = ['sleep', '1000']): Record<string, ServiceSpec> {
  return {
    db: {
      type: 'longrun',
      run: { script: `#!/bin/sh\necho $$ > ${dir}/db.pid\nprintf '\\n' >&3\nexec sleep 1000\n` },
      notification_fd: 3,
      timeouts: { up_ms: 10_000, down_ms: 10_000, kill_ms: 2000, finish_ms: 2000 },
    },
    web: { type: 'longrun', deps: ['db'], run: { argv: webArgv } },
    migrate: { type: 'oneshot', deps: ['db'], up: { script: `#!/bin/sh\necho migrated >> ${dir}/migrations\n` } },
  };
}

test('plan --out, then apply FILE: services up and ready, state and journal written, a second plan is empty', async () => {
  const dbFile = fx.writeDb('v1.json', stack(fx.root));
  let r = fx.rc(['plan', '--compiled', dbFile, '--out', 'p1.plan']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  r = fx.rc(['apply', 'p1.plan']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/longrun\.db: start done/);
  expect(r.stdout).toContain('Apply complete! Services: 3 installed.');

  const st = await fx.status();
  expect(st['db']?.state).toBe('ready');
  expect(st['web']?.state).toMatch(/up|ready/);
  expect(alive(st['web']?.pid)).toBe(true);
  expect(Number(fs.readFileSync(path.join(fx.root, 'db.pid'), 'utf8'))).toBe(st['db']?.pid);
  expect(fs.readFileSync(path.join(fx.root, 'migrations'), 'utf8')).toBe('migrated\n');

  const state = readState(fx.live);
  expect(Object.keys(state.services).sort()).toEqual(['db', 'migrate', 'web']);
  expect(state.services['web']?.desired).toBe('up');
  expect(state.compiled_hash).toBe(JSON.parse(fs.readFileSync(dbFile, 'utf8')).hash);
  const { records } = readJournal(fx.live);
  expect(records.filter((x) => x.type === 'step-end' && x.outcome === 'ok')).toHaveLength(6);
  expect(state.journal_seq).toBe(records.at(-1)?.seq);

  r = fx.rc(['plan', '--compiled', dbFile, '-detailed-exitcode']);
  expect(r.stdout).toMatch(/^No changes\./);
  expect(r.code).toBe(0);
}, 120_000);

test('a saved plan is refused when the state moved on, when the engine changed underneath, or when altered', async () => {
  const v1 = fx.writeDb('v1.json', stack(fx.root));
  expect(fx.rc(['plan', '--compiled', v1, '--out', 'a.plan']).code).toBe(0);
  expect(fx.rc(['plan', '--compiled', v1, '--out', 'b.plan']).code).toBe(0);
  expect(fx.rc(['apply', 'a.plan']).code).toBe(0);
  let r = fx.rc(['apply', 'b.plan']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/Saved plan is stale: the live state changed after this plan was made \(plan made at serial 0, live state now at serial \d+\)/);

  // The engine: a plan made while web runs, applied after web was stopped behind rcform's back.
  const v2 = fx.writeDb('v2.json', stack(fx.root, ['sleep', '2000']));
  expect(fx.rc(['plan', '--compiled', v2, '--out', 'c.plan']).code).toBe(0);
  const { EmbeddedEngine } = await import('../../engine/embedded/client.js');
  const e = await EmbeddedEngine.connect(fx.live);
  await e.stop('web', { timeoutMs: 10_000 });
  await e.close();
  r = fx.rc(['apply', 'c.plan']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('web: planned with it up, the engine now reports it down');
  expect((await fx.status())['web']?.state).toBe('down');

  // Altered: one byte changed.
  expect(fx.rc(['plan', '--compiled', v2, '--out', 'd.plan']).code).toBe(0);
  const text = fs.readFileSync(path.join(fx.root, 'd.plan'), 'utf8');
  fs.writeFileSync(path.join(fx.root, 'd.plan'), text.replace('sleep', 'sleeq'));
  r = fx.rc(['apply', 'd.plan']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/checksum mismatch/);
}, 120_000);

test('a failed start: its dependents are not started, independent steps finish, the state records the truth', async () => {
  const specs: Record<string, ServiceSpec> = {
    broken: { type: 'longrun', run: { argv: ['sh', '-c', 'echo "cannot bind :80" >&2; exit 3'] }, notification_fd: 3, timeouts: { up_ms: 1500, down_ms: 2000, kill_ms: 500, finish_ms: 500 } },
    needsBroken: { type: 'longrun', deps: ['broken'] },
    independent: { type: 'longrun' },
  };
  const file = fx.writeDb('v1.json', specs);
  const r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/longrun\.broken: start failed/);
  expect(r.stdout).toMatch(/longrun\.needsBroken: start not started: longrun\.broken failed/);
  expect(r.stdout).toMatch(/longrun\.independent: start done/);
  expect(r.stdout).toMatch(/Apply failed: \d+ done, 1 failed, 0 interrupted, 1 not started\./);
  expect(r.stdout).toContain('cannot bind :80');
  const st = await fx.status();
  expect(st['independent']?.state).toMatch(/up|ready/);
  expect(st['needsBroken']?.state).toBe('down');
  const state = readState(fx.live);
  // Installed, never started: the state says down, as the engine does.
  expect(state.services['needsBroken']?.desired).toBe('down');
  expect(state.services['broken']?.desired).toBe('down');
  expect(state.services['independent']?.desired).toBe('up');
  expect(state.compiled_hash).toBeNull();
  // The next plan starts what did not start, as ordinary starts: nothing drifted.
  const p = fx.rc(['plan', '--compiled', file]);
  expect(p.code).toBe(0);
  expect(p.stdout).not.toMatch(/differ from the live state|recorded up/);
  expect(p.stdout).toMatch(/# longrun\.needsBroken will be started because it is installed but not running/);
  expect(p.stdout).toMatch(/# longrun\.broken will be started because it is installed but not running/);
  expect(p.stdout).not.toMatch(/longrun\.independent/);
}, 120_000);

test('drift that needs no step (the engine already runs what the plan wants): apply records the truth, the next plan is empty', async () => {
  // `a` is installed down; then started behind rcform's back; then `b`, which needs it, is added:
  // the plan wants `a` up and it already is, so no step touches it — only the state is wrong.
  const a: ServiceSpec = { type: 'longrun', down: true };
  const v1 = fx.writeDb('v1.json', { a });
  expect(fx.rc(['apply', '--compiled', v1, '--auto-approve']).code).toBe(0);
  const { EmbeddedEngine } = await import('../../engine/embedded/client.js');
  const e = await EmbeddedEngine.connect(fx.live);
  await e.start('a', { timeoutMs: 10_000 });
  await e.close();
  const v2 = fx.writeDb('v2.json', { a, b: { type: 'longrun', deps: ['a'] } });
  let r = fx.rc(['plan', '--compiled', v2]);
  expect(r.stdout).toContain('# longrun.a: recorded down, but the engine reports it up');
  expect(r.stdout).not.toMatch(/# longrun\.a .*will be/);
  r = fx.rc(['apply', '--compiled', v2, '--auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(readState(fx.live).services['a']?.desired).toBe('up');
  r = fx.rc(['plan', '--compiled', v2, '-detailed-exitcode']);
  expect(r.stdout).toMatch(/^No changes\./);
  expect(r.code).toBe(0);

  // Nothing else to do, same database: a journal record (as a crashed apply leaves) says `a` is
  // down while it runs. apply still records what the engine reports.
  const { JournalWriter } = await import('../../state/journal.js');
  const j = await JournalWriter.open(fx.live, { foldedSeq: readState(fx.live).journal_seq ?? 0 });
  await j.append({ type: 'step-end', step_id: 'stop:a', action: 'stop', service: 'a', outcome: 'ok', change: { op: 'observe', observed: { state: 'down', at: new Date().toISOString() }, desired: 'down' } });
  await j.close();
  r = fx.rc(['plan', '--compiled', v2]);
  expect(r.stdout).toContain('# longrun.a: recorded down, but the engine reports it up');
  r = fx.rc(['apply', '--compiled', v2, '--auto-approve']);
  expect(r.code).toBe(0);
  expect(readState(fx.live).services['a']?.desired).toBe('up');
  r = fx.rc(['plan', '--compiled', v2]);
  expect(r.stdout).toMatch(/^No changes\./);
}, 120_000);

test('without a terminal: apply DIR refuses without --auto-approve; a oneshot needing input refuses before anything starts', async () => {
  const file = fx.writeDb('v1.json', {
    svc: { type: 'longrun' },
    unlock: { type: 'oneshot', deps: ['svc'], input: { prompt: 'Passphrase for /dev/sdb:', secret: true }, up: { script: `#!/bin/sh\nsha256sum > ${fx.root}/got\n` } },
  });
  let r = fx.rc(['apply', '--compiled', fx.writeDb('plain.json', { svc: { type: 'longrun' } })]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/needs confirmation and there is no terminal/);
  r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/oneshot\.unlock \("Passphrase for \/dev\/sdb:"\).*--input NAME=@FILE\. Nothing was started\./);
  expect((await fx.status())['svc']).toBeUndefined();
  r = fx.rc(['apply', '--compiled', file, '--auto-approve', '--input', 'unlock=hunter2']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/--input takes NAME=@FILE/);
  expect(r.stderr).not.toContain('hunter2');
}, 120_000);

test("an operator's secret reaches the oneshot's stdin and nothing else: not state, plan, journal, logs, output or the process list", async () => {
  const secret = 'correct-horse-battery-staple-7f3a';
  const running = path.join(fx.root, 'running');
  const release = path.join(fx.root, 'release');
  // The oneshot holds still after reading its answer, so the process list can be read while the
  // answer is in use: rcform, the supervisor and the oneshot all alive.
  const file = fx.writeDb('v1.json', {
    unlock: {
      type: 'oneshot',
      input: { prompt: 'Passphrase:', secret: true },
      up: { script: `#!/bin/sh\necho "reading passphrase"\nsha256sum > ${fx.root}/got\ntouch ${running}\nn=0\nwhile [ ! -e ${release} ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n+1)); done\n` },
      timeouts: { up_ms: 120_000, down_ms: 0 },
    },
  });
  fs.writeFileSync(path.join(fx.root, 'pass'), secret + '\n', { mode: 0o600 });
  const r0 = fx.rc(['plan', '--compiled', file, '--out', 'p.plan']);
  expect(r0.code).toBe(0);
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../support/cli-harness.js');
  const child = spawn(process.execPath, [CLI, 'apply', 'p.plan', '--input', 'unlock=@pass'], { cwd: fx.root, env: { ...process.env, RCFORM_LIVE: fx.live, NO_COLOR: '1' } });
  const r = { stdout: '', stderr: '' };
  child.stdout.on('data', (c) => (r.stdout += c));
  child.stderr.on('data', (c) => (r.stderr += c));
  const exited = new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  try {
    await waitFor('the oneshot to have read its answer', () => fs.existsSync(running), 60_000);
    const leaks: string[] = [];
    for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      for (const what of ['cmdline', 'environ']) {
        try {
          if (fs.readFileSync(`/proc/${pid}/${what}`, 'latin1').includes(secret)) leaks.push(`${pid}/${what}`);
        } catch {
          // gone, or not ours to read
        }
      }
    }
    expect(leaks).toEqual([]);
  } finally {
    fs.writeFileSync(release, '');
  }
  expect(await exited).toBe(0);
  expect(r.stderr).toBe('');
  const { createHash } = await import('node:crypto');
  expect(fs.readFileSync(path.join(fx.root, 'got'), 'utf8')).toContain(createHash('sha256').update(secret + '\n').digest('hex'));
  const haystack: string[] = [r.stdout, r.stderr, fs.readFileSync(path.join(fx.root, 'p.plan'), 'utf8')];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && p !== path.join(fx.root, 'pass')) haystack.push(fs.readFileSync(p, 'latin1'));
    }
  };
  walk(fx.live);
  expect(haystack.join('\n')).toContain('reading passphrase');
  expect(haystack.join('\n')).not.toContain(secret);
}, 120_000);

test('Ctrl-C once: the step in flight finishes, nothing new starts, the state is saved and the lock released', async () => {
  const marker = path.join(fx.root, 'slow-done');
  const file = fx.writeDb('v1.json', {
    slow: { type: 'oneshot', up: { script: `#!/bin/sh\nsleep 2\ntouch ${marker}\n` } },
    after: { type: 'longrun', deps: ['slow'] },
  });
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../support/cli-harness.js');
  const child = spawn(process.execPath, [CLI, 'apply', '--compiled', file, '--auto-approve'], { cwd: fx.root, env: { ...process.env, RCFORM_LIVE: fx.live } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  await waitFor('the slow step to start', () => out.includes('oneshot.slow: up started'), 30_000);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  expect(code).toBe(1);
  expect(fs.existsSync(marker)).toBe(true);
  expect(out).toMatch(/oneshot\.slow: up done/);
  expect(out).toMatch(/longrun\.after: start not started/);
  expect(fs.existsSync(path.join(fx.live, 'state.lock'))).toBe(false);
  const state = readState(fx.live);
  expect(state.services['slow']?.desired).toBe('up');
  expect(state.services['after']?.desired).toBe('down');
  expect((await fx.status())['after']?.state).toBe('down');
  const p = fx.rc(['plan', '--compiled', file]);
  expect(p.stdout).not.toMatch(/differ from the live state/);
  expect(p.stdout).toMatch(/# longrun\.after will be started because it is installed but not running/);
  // One more apply converges and starts what was left.
  const r = fx.rc(['apply', '--compiled', file, '--auto-approve']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/longrun\.after: start done/);
}, 120_000);

test('apply --json never prints a sensitive value: the plan event is redacted as plan --json is', async () => {
  const secret = 's3cret-apply-json-91c7';
  const src = path.join(fx.root, 'src');
  fs.mkdirSync(src);
  // The secret reaches an env var, an argv and a data file: every place a plan shows a definition.
  fs.writeFileSync(
    path.join(src, 'main.hcl'),
    `variable "pw" {
  type      = string
  sensitive = true
}

longrun "db" {
  run  = ["sh", "-c", "exec sleep 1000 # \${var.pw}"]
  env  = { PGPASSWORD = var.pw }
  data = { "pass.conf" = "password = \${var.pw}" }
}
`,
  );
  const r = fx.rc(['apply', 'src', '--json', '--auto-approve'], { env: { RCFORM_VAR_pw: secret } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toContain(secret);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; plan?: { resource_changes: { name: string; after: Record<string, unknown>; after_sensitive?: string[] }[] } });
  expect(events[0]?.type).toBe('plan');
  const db = events[0]?.plan?.resource_changes.find((c) => c.name === 'db');
  expect(db?.after_sensitive).toEqual(expect.arrayContaining(['env.PGPASSWORD', 'run']));
  expect(db?.after['env']).toEqual({ PGPASSWORD: '(sensitive value)' });
  expect(db?.after['run']).toBe('(sensitive value)');
  expect(db?.after['data']).toEqual({ 'pass.conf': '(sensitive value)' });
  expect(events.at(-1)).toMatchObject({ type: 'apply_end', outcome: 'ok' });
  // The value did reach the service: redaction is in the views only.
  const pid = (await fx.status())['db']?.pid as number;
  expect(fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')).toContain(`PGPASSWORD=${secret}`);
}, 120_000);

test('Ctrl-C twice: the steps in flight are interrupted, nothing new starts, the state is saved and true', async () => {
  const marker = path.join(fx.root, 'slow-done');
  const slowPid = path.join(fx.root, 'slow.pid');
  const file = fx.writeDb('v1.json', {
    // Two steps that would take a minute: a oneshot, and a longrun that never reports readiness.
    slow: { type: 'oneshot', up: { script: `#!/bin/sh\necho $$ > ${slowPid}\nsleep 60\ntouch ${marker}\n` }, timeouts: { up_ms: 120_000, down_ms: 0 } },
    mute: { type: 'longrun', run: { argv: ['sleep', '1001'] }, notification_fd: 3, timeouts: { up_ms: 120_000, down_ms: 10_000, kill_ms: 2000, finish_ms: 2000 } },
    quick: { type: 'longrun', run: { argv: ['sleep', '1002'] } },
    after: { type: 'longrun', deps: ['slow'] },
  });
  const { spawn } = await import('node:child_process');
  const { CLI } = await import('../support/cli-harness.js');
  const child = spawn(process.execPath, [CLI, 'apply', '--compiled', file, '--auto-approve'], { cwd: fx.root, env: { ...process.env, RCFORM_LIVE: fx.live } });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  await waitFor(
    'both slow steps under way and the quick one done',
    () => out.includes('longrun.mute: start started') && out.includes('longrun.quick: start done') && fs.existsSync(slowPid) && fs.readFileSync(slowPid, 'utf8').endsWith('\n'),
    60_000,
  );
  child.kill('SIGINT');
  await waitFor('the first Ctrl-C to be taken', () => out.includes('interrupt: no new steps will start'), 30_000);
  child.kill('SIGINT');
  const code = await exited;
  expect(code).toBe(1);
  expect(out).toMatch(/oneshot\.slow: up interrupted/);
  expect(out).toMatch(/longrun\.mute: start interrupted/);
  expect(out).toMatch(/Apply interrupted: 1 done, 0 failed, 2 interrupted, 1 not started\. 4 services; took \d+(\.\d)?(ms|s)\./);
  expect(out).toContain('  interrupted: longrun.mute: start');
  expect(out).toContain('  interrupted: oneshot.slow: up');
  expect(out).toContain('  not started: longrun.after: start');
  expect(out).not.toMatch(/\n\s+at .*\.js:\d+/);

  // The oneshot's whole process group was killed: it never got to its end.
  const pgid = Number(fs.readFileSync(slowPid, 'utf8'));
  await waitFor('the interrupted oneshot gone', () => groupMembers(pgid).length === 0, 30_000);
  expect(fs.existsSync(marker)).toBe(false);
  expect(fs.existsSync(path.join(fx.live, 'state.lock'))).toBe(false);

  // The state holds every install and the one start that finished, and claims nothing it did not see.
  const state = readState(fx.live);
  expect(Object.keys(state.services).sort()).toEqual(['after', 'mute', 'quick', 'slow']);
  expect(state.services['quick']?.observed?.state).toBe('up');
  for (const n of ['slow', 'mute', 'after']) expect(state.services[n]?.observed).toBeUndefined();
  expect(state.compiled_hash).toBeNull();
  const { records } = readJournal(fx.live);
  expect(records.filter((x) => x.type === 'step-end' && x.outcome === 'interrupted').map((x) => x.type === 'step-end' && x.step_id).sort()).toEqual(['oneshot_up:slow', 'start:mute']);
  expect(records.at(-1)).toMatchObject({ type: 'apply-end', outcome: 'interrupted', done: 5, not_started: 3 });
  expect(state.journal_seq).toBe(records.at(-1)?.seq);
  const st = await fx.status();
  expect(alive(st['quick']?.pid)).toBe(true);
  expect(st['after']?.state).toBe('down');
  // The start that never got ready was brought back down rather than left "starting".
  expect(st['mute']).toMatchObject({ state: 'down', wanted: 'down' });
  expect(processesWith('sleep 1001', fx.live)).toEqual([]);

  // Installed, never started: recorded down, as the engine has them.
  for (const n of ['slow', 'after']) expect(state.services[n]?.desired).toBe('down');
  // The next plan finishes the job: the oneshot and what waited on it, as ordinary starts.
  const p = fx.rc(['plan', '--compiled', file]);
  expect(p.stdout).toMatch(/# oneshot\.slow will be started because it is installed but not running/);
  expect(p.stdout).toMatch(/# longrun\.after will be started because it is installed but not running/);
  expect(p.stdout).toMatch(/# longrun\.mute will be started because it is installed but not running/);
  expect(p.stdout).not.toMatch(/# longrun\.quick /);
}, 120_000);

/** The most steps the journal of the last apply ever had begun and not ended at once. */
function mostStepsInFlight(live: string): number {
  const { records } = readJournal(live);
  const lastStart = records.findLastIndex((x) => x.type === 'apply-start');
  let open = 0;
  let most = 0;
  for (const x of records.slice(lastStart)) {
    if (x.type === 'step-start') most = Math.max(most, ++open);
    else if (x.type === 'step-end') open--;
  }
  return most;
}

test('--parallelism 1: no two steps overlap, as the journal and the processes themselves show', async () => {
  const log = path.join(fx.root, 'runs.log');
  const specs: Record<string, ServiceSpec> = {};
  for (const n of ['a', 'b', 'c', 'd']) {
    specs[n] = { type: 'oneshot', up: { script: `#!/bin/sh\necho "begin ${n}" >> ${log}\nsleep 0.3\necho "end ${n}" >> ${log}\n` } };
  }
  const r = fx.rc(['apply', '--compiled', fx.writeDb('v1.json', specs), '--auto-approve', '--parallelism', '1']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/8 steps, up to 1 at a time/);
  expect(mostStepsInFlight(fx.live)).toBe(1);
  // Each oneshot ended before the next began: the log alternates begin/end of one name.
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(8);
  for (let i = 0; i < lines.length; i += 2) {
    const name = (lines[i] as string).replace(/^begin /, '');
    expect([lines[i], lines[i + 1]]).toEqual([`begin ${name}`, `end ${name}`]);
  }
}, 120_000);

test('--parallelism 3: six independent slow starts, never more than three at once', async () => {
  const starting = path.join(fx.root, 'starting');
  const seen = path.join(fx.root, 'seen.log');
  fs.mkdirSync(starting);
  const specs: Record<string, ServiceSpec> = {};
  // Each service counts the others still starting before it reports readiness: a start in flight
  // is exactly a marker file present. Counting after a pause gives every overlap time to show.
  for (const n of ['s1', 's2', 's3', 's4', 's5', 's6']) {
    specs[n] = {
      type: 'longrun',
      run: { script: `#!/bin/sh\ntouch ${starting}/${n}\nsleep 1\nls ${starting} | wc -l >> ${seen}\nrm ${starting}/${n}\nprintf '\\n' >&3\nexec sleep 1000\n` },
      notification_fd: 3,
      timeouts: { up_ms: 60_000, down_ms: 10_000, kill_ms: 2000, finish_ms: 2000 },
    };
  }
  const r = fx.rc(['apply', '--compiled', fx.writeDb('v1.json', specs), '--auto-approve', '--parallelism', '3']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(mostStepsInFlight(fx.live)).toBe(3);
  const counts = fs.readFileSync(seen, 'utf8').trim().split('\n').map(Number);
  expect(counts).toHaveLength(6);
  expect(Math.max(...counts)).toBeLessThanOrEqual(3);
  const st = await fx.status();
  for (const n of Object.keys(specs)) expect(st[n]?.state).toBe('ready');
}, 120_000);

test('twelve starts in flight at once (default parallelism): nothing on stderr, no listener-leak warning', async () => {
  const specs: Record<string, ServiceSpec> = {};
  // Ready only after a pause, so that all twelve starts are waiting on the engine together.
  for (let i = 0; i < 12; i++) {
    specs[`p${i}`] = {
      type: 'longrun',
      run: { script: "#!/bin/sh\nsleep 0.5\nprintf '\\n' >&3\nexec sleep 1000\n" },
      notification_fd: 3,
      timeouts: { up_ms: 60_000, down_ms: 10_000, kill_ms: 2000, finish_ms: 2000 },
    };
  }
  const r = fx.rc(['apply', '--compiled', fx.writeDb('v1.json', specs), '--auto-approve']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(mostStepsInFlight(fx.live)).toBeGreaterThan(10);
}, 120_000);

test('destroy without a terminal refuses and names the way to review a destroy plan first, which works', async () => {
  expect(fx.rc(['apply', '--compiled', fx.writeDb('v1.json', { svc: { type: 'longrun' } }), '--auto-approve']).code).toBe(0);
  let r = fx.rc(['destroy']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('destroy needs confirmation and there is no terminal to ask on');
  expect(r.stderr).toContain('(rcform plan --destroy --out FILE; rcform apply FILE)');
  expect((await fx.status())['svc']?.state).toBe('up');
  r = fx.rc(['plan', '--destroy', '--out', 'd.plan']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/# longrun\.svc will be stopped and removed/);
  expect(fx.rc(['apply', 'd.plan']).code).toBe(0);
  expect((await fx.status())['svc']).toBeUndefined();
}, 120_000);
