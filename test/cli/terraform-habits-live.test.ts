import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import { acquireLock } from '../../state/lock.js';
import { CLI, runProcess } from '../support/cli-harness.js';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';

// Terraform's habits against a real live directory and its embedded supervisor: plan's note when
// the plan is not saved, plan -refresh-only, -lock=false while another holder has the lock, and
// -input=false on a real terminal (a pty from script(1)).

let o: CliOperator;
beforeEach(() => {
  o = cliOperator('embedded', 'rcform-habits-');
});
afterEach(() => endCliOperator(o));

const ok = (r: { code: number; stdout: string; stderr: string }): { code: number; stdout: string; stderr: string } => {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
};

const TWO = 'longrun "web" {\n  run = ["/bin/sleep", "3600"]\n}\n\nlongrun "worker" {\n  run = ["/bin/sleep", "3601"]\n}\n';

function up(): void {
  fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), TWO);
  ok(o.rc(['init']));
  ok(o.rc(['apply', 'src', '-auto-approve']));
  o.status();
}

describe('plan', () => {
  test('without --out it says how to save the plan; with it, or with nothing to do, it does not', () => {
    fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), TWO);
    ok(o.rc(['init']));
    const unsaved = ok(o.rc(['plan', 'src']));
    expect(unsaved.stdout).toContain('Plan: 2 to install');
    expect(unsaved.stdout.trimEnd().split('\n').slice(-2)).toEqual([
      '',
      `Note: you didn't use the --out option to save this plan, so rcform can't guarantee to take exactly these actions if you run "rcform apply" now. Run the same plan with --out FILE to save it; "rcform apply FILE" then executes exactly it.`,
    ]);
    const saved = ok(o.rc(['plan', 'src', '--out', 'p.plan']));
    expect(saved.stdout).not.toContain("didn't use the --out option");
    expect(ok(o.rc(['plan', 'src', '--json'])).stdout).not.toContain("didn't use");
    ok(o.rc(['apply', 'p.plan']));
    o.status();
    expect(ok(o.rc(['plan', 'src'])).stdout).not.toContain("didn't use");
  });

  test('-refresh-only shows drift alone, plans nothing, and exits 2 on drift with -detailed-exitcode', async () => {
    up();
    const clean = o.rc(['plan', 'src', '-refresh-only', '-detailed-exitcode']);
    expect([clean.code, clean.stdout]).toEqual([0, 'No changes. The engine reports every service as the live state records it.\n']);

    // Stopped behind rcform's back, and the source changed too: -refresh-only reports the first
    // and ignores the second.
    const engine = await EmbeddedEngine.connect(o.live);
    try {
      await engine.stop('worker', { timeoutMs: 10_000 });
    } finally {
      await engine.close();
    }
    fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), TWO.replace('"3600"', '"3602"'));
    const drift = o.rc(['plan', 'src', '-refresh-only', '-detailed-exitcode']);
    expect(drift.code).toBe(2);
    expect(drift.stdout).toContain('  # longrun.worker: recorded up, but the engine reports it down');
    expect(drift.stdout).toContain('1 service drifted. This refresh-only plan changes nothing; "rcform plan" shows what would correct it.');
    expect(drift.stdout).not.toContain('longrun.web');
    expect(drift.stdout).not.toContain('will perform');
    const json = JSON.parse(ok(o.rc(['plan', 'src', '-refresh-only', '-json'])).stdout);
    expect(json.drift.map((d: { address: string }) => d.address)).toEqual(['longrun.worker']);
    expect([json.resource_changes, json.steps]).toEqual([[], []]);
    const md = ok(o.rc(['plan', 'src', '-refresh-only', '--markdown'])).stdout;
    expect(md).toBe('### rcform plan -refresh-only: 1 service drifted\n\nThe engine reports services that differ from the live state; this plan changes nothing.\n\n- `longrun.worker`: recorded up, but the engine reports it down\n');

    // RCFORM_LOG=info says where a plan's time went: the lock, the refresh, the plan.
    const logged = runProcess(['plan', 'src', '-refresh-only'], { cwd: o.root, env: { RCFORM_LIVE: o.live, RCFORM_LOG: 'info' } });
    expect(logged.stdout).toBe(drift.stdout);
    expect(logged.stderr).toMatch(/Z \[INFO\] state lock [0-9a-f-]+ taken for plan in /);
    expect(logged.stderr).toMatch(/Z \[INFO\] refresh: the embedded engine reported 2 services in \d+ ms\n/);
    expect(logged.stderr).toMatch(/Z \[INFO\] planned 2 changes in \d+ steps, 1 drifted, in \d+ ms\n/);

    // The full plan corrects the drift and makes the source's change.
    const full = o.rc(['plan', 'src', '-detailed-exitcode']);
    expect(full.code).toBe(2);
    expect(full.stdout).toContain('# longrun.worker will be started');
    expect(full.stdout).toContain('# longrun.web will be restarted');

    for (const [flag, message] of [
      ['--out=x.plan', '-refresh-only cannot be used with --out'],
      ['-destroy', '-refresh-only cannot be used with --destroy'],
      ['-refresh=false', '-refresh-only needs the refresh'],
    ]) {
      const r = o.rc(['plan', 'src', '-refresh-only', flag as string]);
      expect([flag, r.code, r.stderr.split('\n')[0]]).toEqual([flag, 1, expect.stringContaining(`Error: ${message}`)]);
    }
    expect(fs.existsSync(path.join(o.root, 'x.plan'))).toBe(false);
  });
});

test('-lock=false: every command that takes the lock works while another process holds it, and says so where it changes things', async () => {
  up();
  const held = await acquireLock(o.live, { operation: 'test hold', info: 'held by the test' });
  try {
    const refused = o.rc(['plan', 'src']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('held by the test');

    const plan = ok(o.rc(['plan', 'src', '-lock=false']));
    expect(plan.stderr).toBe('');
    expect(ok(o.rc(['state', 'list', '-lock=false'])).stdout).toBe('longrun.web\nlongrun.worker\n');
    ok(o.rc(['diff', 'src', '-lock=false']));

    fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), TWO.replace('"3601"', '"3603"'));
    const apply = ok(o.rc(['apply', 'src', '-auto-approve', '-lock=false']));
    expect(apply.stderr).toContain('Warning: -lock=false: apply runs without the state lock');
    expect(apply.stdout).toContain('Apply complete!');
    o.status();
    const rm = ok(o.rc(['state', 'rm', 'longrun.web', '--dry-run', '-lock=false']));
    expect(rm.stderr).toContain('Warning: -lock=false: state rm runs without the state lock');
    ok(o.rc(['state', 'mv', 'longrun.web', 'longrun.www', '--dry-run', '-lock=false']));
    // The holder's lock is untouched by all of this.
    expect(fs.readFileSync(held.file, 'utf8')).toContain(held.info.ID);
    expect(o.rc(['apply', 'src', '-auto-approve']).stderr).toContain('held by the test');
  } finally {
    held.release();
  }
});

describe('-input=false', () => {
  /** The CLI on a real terminal: script(1) gives it a pty for stdin and stdout. */
  function onTerminal(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], {
      cwd: o.root,
      env: { ...process.env, RCFORM_LIVE: o.live, NO_COLOR: '1', CI: 'true', ...env },
      input: '',
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { code: r.status ?? -1, out: r.stdout };
  }

  const hasScript = spawnSync('script', ['--version']).status === 0;
  if (!hasScript) console.warn('SKIPPED: -input=false on a terminal: script(1) (util-linux) is not installed');
  (hasScript ? test : test.skip)('on a terminal nothing is asked: the confirmation and a oneshot\'s input fail before anything starts', () => {
    fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), TWO);
    ok(o.rc(['init', '-input=false']));
    expect(ok(o.rc(['plan', 'src', '-input=false'])).stdout).toContain('Plan: 2 to install');

    const confirm = onTerminal(['apply', 'src', '-input=false']);
    expect(confirm.code).toBe(1);
    expect(confirm.out).toContain('Error: apply needs confirmation and -input=false forbids asking');
    expect(confirm.out).not.toContain('Enter a value');

    fs.writeFileSync(path.join(o.root, 'src', 'unlock.hcl'), 'oneshot "unlock" {\n  up = ["/bin/sh", "-c", "read -r pw; echo \\"$pw\\" > unlocked"]\n  input {\n    prompt = "passphrase"\n  }\n}\n');
    const answer = onTerminal(['apply', 'src', '-auto-approve', '-input=false']);
    expect(answer.code).toBe(1);
    expect(answer.out).toContain('these oneshots ask the operator for input, and -input=false forbids asking: oneshot.unlock ("passphrase")');
    expect(answer.out).toContain('Nothing was started.');
    expect(o.status()).toEqual({});
    // RCFORM_INPUT=false is the same, as TF_INPUT=false is -input=false.
    const viaEnv = onTerminal(['apply', 'src', '-auto-approve'], { RCFORM_INPUT: 'false' });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.out).toContain('-input=false forbids asking: oneshot.unlock');
    // Off a terminal the reason given is the terminal.
    expect(o.rc(['apply', 'src', '-auto-approve']).stderr).toContain('there is no terminal to ask on');

    // An answer from a file is still read with -input=false: nothing needs asking.
    fs.writeFileSync(path.join(o.root, 'pw'), 'hunter2\n');
    ok(o.rc(['apply', 'src', '-auto-approve', '-input=false', '-input', 'unlock=@pw']));
    expect(o.rc(['apply', 'src', '-input', 'nonsense']).stderr).toContain('--input takes NAME=@FILE');
  });
});
