import { afterAll, afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runInProcess, runProcess } from '../support/cli-harness.js';
import { loadCommands } from '../../cli/commands/index.js';

// What a Terraform user types from habit: version, -chdir, help for a group, a mistyped command or
// flag, RCFORM_LOG, and shell completion run in a real bash (and zsh, where installed).

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const HELLO = 'longrun "hello" {\n  run = ["/bin/sleep", "1000"]\n}\n';

describe('version', () => {
  test('rcform version prints the version and the platform; -json in the shape of terraform version -json', () => {
    const r = runProcess(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rcform v\d+\.\d+\.\d+\non [a-z0-9]+_[a-z0-9]+\n$/);
    const j = runProcess(['version', '-json']);
    expect(JSON.parse(j.stdout)).toEqual({ rcform_version: expect.stringMatching(/^\d+\.\d+\.\d+$/), platform: `${process.platform}_${process.arch}`, node_version: process.version });
    expect(runProcess(['-version']).stdout.split('\n')[0]).toBe(r.stdout.split('\n')[0]);
  });
});

describe('did you mean', () => {
  test('a mistyped command, subcommand or flag names the closest one, on one line', async () => {
    const cases: Array<[string[], string]> = [
      [['plna'], 'rcform: unknown command "plna"; did you mean "plan"? (see "rcform --help")\n'],
      [['state', 'lst'], 'rcform: unknown command "state lst"; did you mean "state list"? (see "rcform state --help")\n'],
      [['apply', '-auto-aprove'], 'rcform: unknown flag -auto-aprove; did you mean -auto-approve? (see "rcform apply --help")\n'],
      [['plan', '--detailed-exitcodes'], 'rcform: unknown flag --detailed-exitcodes; did you mean --detailed-exitcode? (see "rcform plan --help")\n'],
      [['frobnicate'], 'rcform: unknown command "frobnicate" (see "rcform --help")\n'],
    ];
    for (const [argv, stderr] of cases) {
      const r = await runInProcess(argv, { cwd: dir });
      expect([argv, r.code, r.stderr]).toEqual([argv, 1, stderr]);
    }
  });
});

test('apply does not take -refresh-only: it would apply the whole plan, not accept the drift', async () => {
  for (const cmd of ['apply', 'destroy']) {
    const r = await runInProcess([cmd, '-refresh-only'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([1, `rcform: unknown flag -refresh-only (see "rcform ${cmd} --help")\n`]);
  }
});

describe('command groups', () => {
  test('rcform state, rcform help state and rcform state --help list the subcommands of the group', async () => {
    const state = await runInProcess(['state']);
    expect(state.code).toBe(1);
    expect(state.stdout).toMatch(/^Usage: rcform \[global options\] state SUBCOMMAND \[options\] \[args\]\n\nSubcommands:\n {2}state list {2}/);
    for (const sub of ['list', 'show', 'mv', 'rm', 'pull']) expect(state.stdout).toContain(`  state ${sub} `);
    expect(state.stdout).not.toContain('  plan ');
    const help = await runInProcess(['help', 'state']);
    expect([help.code, help.stdout]).toEqual([0, state.stdout]);
    const flag = await runInProcess(['state', '--help']);
    expect([flag.code, flag.stdout]).toEqual([0, state.stdout]);
    const planHelp = await runInProcess(['plan', '--help']);
    expect(planHelp.stdout).toMatch(/^Usage: rcform plan /);
    expect(await runInProcess(['-help', 'plan'])).toEqual(planHelp);
    const imp = await runInProcess(['import']);
    expect(imp.stdout).toContain('  import s6-rc ');
  });

  test('a command that is also a group (show) lists its subcommands in its help', async () => {
    const r = await runInProcess(['show', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nSubcommands:\n {2}show compiled {2}Inspect a compiled database/);
    expect((await runInProcess(['help', 'show'])).stdout).toBe(r.stdout);
  });
});

describe('-chdir', () => {
  test('runs the command in DIR: the default source directory and relative paths are taken from there', async () => {
    fs.mkdirSync(path.join(dir, 'svc'));
    fs.writeFileSync(path.join(dir, 'svc', 'main.hcl'), HELLO);
    const r = await runInProcess(['-chdir=svc', 'validate'], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Success!');
    const out = await runInProcess(['-chdir', 'svc', 'compile', '--out', 'db.json'], { cwd: dir });
    expect([out.code, out.stderr]).toEqual([0, '']);
    expect(fs.existsSync(path.join(dir, 'svc', 'db.json'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'db.json'))).toBe(false);
  });

  test('a missing DIR, or -chdir after the command, is a one-line usage error', async () => {
    const missing = await runInProcess(['-chdir=nope', 'validate'], { cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([1, 'rcform: -chdir=nope: no such directory\n']);
    const after = await runInProcess(['validate', '-chdir=svc'], { cwd: dir });
    expect([after.code, after.stderr]).toEqual([1, 'rcform: -chdir goes before the command: rcform -chdir=DIR validate ...\n']);
  });
});

describe('variable files loaded without being named', () => {
  const argvOf = (file: string): string[] => (JSON.parse(fs.readFileSync(file, 'utf8')) as { services: Record<string, { run: { argv: string[] } }> }).services['hello']?.run.argv ?? [];

  test('DIR/rcform.tfvars, then DIR/*.auto.tfvars in name order, then --var-file, then --var', async () => {
    const src = path.join(dir, 'src');
    fs.mkdirSync(src);
    fs.writeFileSync(path.join(src, 'main.hcl'), 'variable "a" {}\nvariable "b" {}\nvariable "c" {}\nlongrun "hello" {\n  run = ["/bin/echo", var.a, var.b, var.c]\n}\n');
    const db = path.join(dir, 'db.json');
    const missing = await runInProcess(['compile', 'src', '--out', db], { cwd: dir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No value for required variable');

    fs.writeFileSync(path.join(src, 'rcform.tfvars'), 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\n');
    fs.writeFileSync(path.join(src, '20-late.auto.tfvars'), 'b = "late"\n');
    fs.writeFileSync(path.join(src, '10-early.auto.tfvars'), 'b = "early"\nc = "early"\n');
    // A var file is never read as source, and a file in the working directory is not DIR's.
    fs.writeFileSync(path.join(dir, 'rcform.tfvars'), 'a = "cwd"\n');
    let r = await runInProcess(['compile', 'src', '--out', db], { cwd: dir });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(argvOf(db)).toEqual(['/bin/echo', 'tfvars', 'late', 'early']);

    fs.writeFileSync(path.join(dir, 'named.vars'), 'c = "named"\n');
    r = await runInProcess(['compile', 'src', '--out', db, '--var-file', 'named.vars', '--var', 'a=cli'], { cwd: dir, env: { RCFORM_VAR_b: 'env' } });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(argvOf(db)).toEqual(['/bin/echo', 'cli', 'late', 'named']);

    fs.writeFileSync(path.join(src, '30-bad.auto.tfvars'), 'b = \n');
    r = await runInProcess(['validate', 'src'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`on ${path.join('src', '30-bad.auto.tfvars')} line 1`);
  });
});

describe('RCFORM_LOG', () => {
  test('debug and info log to stderr with timestamps and levels; stdout stays the command output', () => {
    fs.writeFileSync(path.join(dir, 'main.hcl'), HELLO);
    const quiet = runProcess(['validate', dir]);
    expect(quiet.stderr).toBe('');
    const info = runProcess(['validate', dir], { env: { RCFORM_LOG: 'info' } });
    expect(info.code).toBe(0);
    expect(info.stdout).toBe(quiet.stdout);
    const lines = info.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\] /);
    expect(info.stderr).toContain('[INFO] command validate');
    const debug = runProcess(['validate', dir], { env: { RCFORM_LOG: 'debug' } });
    expect(debug.stderr).toMatch(/\[DEBUG\] read 1 \.hcl file/);
    expect(info.stderr).not.toContain('[DEBUG]');
    const bad = runProcess(['validate', dir], { env: { RCFORM_LOG: 'loud' } });
    expect(bad.stderr.split('\n')[0]).toBe('Warning: RCFORM_LOG=loud is not a level (debug, info, warn, error): logging everything');
    expect(bad.stderr).toContain('[DEBUG]');
  });
});

const commands = await loadCommands();

/** The generated scripts, written once: each completion below only sources one. */
const scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
for (const shell of ['bash', 'zsh']) {
  const r = runProcess(['completion', shell]);
  if (r.code !== 0) throw new Error(r.stderr);
  fs.writeFileSync(path.join(scripts, shell), r.stdout);
}
afterAll(() => fs.rmSync(scripts, { recursive: true, force: true }));

describe('completion', () => {
  /** Runs the generated bash function on a command line; `line` ends where Tab is pressed. */
  function bashComplete(words: string[]): string[] {
    // With nounset, as some shells are set up: the function must not touch an unset word.
    const script = [
      'set -u',
      `source '${path.join(scripts, 'bash')}'`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))',
      '_rcform',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter((l) => l !== '');
  }

  test('bash: commands, subcommands of a group, each command\'s flags, then files', () => {
    fs.writeFileSync(path.join(dir, 'web.plan'), '');
    const firstWords = [...new Set(commands.map((c) => c.name.split(' ')[0] as string))];
    expect(bashComplete(['rcform', '']).sort()).toEqual([...firstWords, 'help'].sort());
    expect(bashComplete(['rcform', 'pl'])).toEqual(['plan']);
    expect(bashComplete(['rcform', 'state', '']).sort()).toEqual(['list', 'mv', 'pull', 'rm', 'show']);
    expect(bashComplete(['rcform', '-no-color', 'state', 'p'])).toEqual(['pull']);
    expect(bashComplete(['rcform', 'plan', '--ou'])).toEqual(['--out']);
    expect(bashComplete(['rcform', '-chdir', '=', 'svc', 'apply', '--auto'])).toEqual(['--auto-approve']);
    expect(bashComplete(['rcform', 'state', 'list', '--'])).toEqual(expect.arrayContaining(['--live', '--lock', '--json']));
    expect(bashComplete(['rcform', 'show', ''])).toEqual(['compiled', 'web.plan']);
    expect(bashComplete(['rcform', '--ch'])).toEqual(['--chdir']);
    expect(bashComplete(['rcform', 'graph', '--format', ''])).toEqual(['dot', 'mermaid']);
    expect(bashComplete(['rcform', 'graph', '-format', '=', 'm'])).toEqual(['mermaid']);
    expect(bashComplete(['rcform', 'init', '-engine', ''])).toEqual(['embedded', 's6']);
    expect(bashComplete(['rcform', 'completion', ''])).toEqual(['bash', 'zsh']);
    // Every flag of every command is offered after it.
    for (const c of commands) {
      const offered = bashComplete(['rcform', ...c.name.split(' '), '--']);
      for (const f of c.flags) expect([c.name, offered.includes(`--${f.name}`)]).toEqual([c.name, true]);
    }
  });

  const zsh = spawnSync('zsh', ['--version']).status === 0;
  if (!zsh) console.warn('SKIPPED: zsh completion test: zsh is not installed (apt-get install zsh)');
  (zsh ? test : test.skip)('zsh: the same words, through compadd and _describe', () => {
    // Outside the line editor zsh has no completion widgets: these stand-ins print what the
    // script hands them, and the script's own logic runs for real.
    const complete = (words: string[]): string => {
      const script = [
        'compdef() { :; }',
        'compadd() { print -r -- "compadd ${(j: :)@}"; }',
        '_describe() { print -r -- "describe $1 ${(j: :)${(P)2}}"; }',
        '_files() { print -r -- files; }',
        'setopt nounset',
        `source '${path.join(scripts, 'zsh')}'`,
        `words=(${words.map((w) => `'${w}'`).join(' ')})`,
        'CURRENT=${#words}',
        '_rcform',
      ].join('\n');
      const r = spawnSync('zsh', ['-c', script], { cwd: dir, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(complete(['rcform', ''])).toMatch(/^describe command init:Create the live directory.* plan:Show what apply would change/);
    expect(complete(['rcform', 'state', ''])).toMatch(/^describe subcommand list:List the services .* pull:Print the live state/);
    expect(complete(['rcform', 'plan', '--o'])).toMatch(/^compadd -- --var .*--out /);
    expect(complete(['rcform', '-chdir', 'x', 'plan', ''])).toBe('files');
    expect(complete(['rcform', 'init', '--engine', ''])).toBe('compadd -- embedded s6');
    expect(complete(['rcform', 'completion', ''])).toBe('compadd -- bash zsh');
    expect(complete(['rcform', 'show', ''])).toBe('describe subcommand compiled:Inspect a compiled database: services by type, definitions, dependencies, bundles\nfiles');
  });

  test('another shell is a usage error', async () => {
    const r = await runInProcess(['completion', 'fish']);
    expect([r.code, r.stderr]).toEqual([1, 'Error: completion takes bash or zsh, not "fish"\n']);
  });
});
