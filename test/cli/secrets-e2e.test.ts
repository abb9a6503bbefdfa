import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { CLI } from '../support/cli-harness.js';
import { waitFor } from '../support/engine-harness.js';

// Two secrets through a whole life cycle: a `sensitive` variable used in a longrun's env (from a
// var file, never argv or the environment of rcform), and an operator's answer to a oneshot's
// `input { secret = true }` typed at a real terminal (tmux). Through init, plan (human, JSON,
// Markdown, a saved file and show of it), apply on the terminal (Ink), plain and JSON, status,
// logs, state list/show/pull and destroy, neither appears in any output, in the terminal's
// scrollback, or in /proc/*/cmdline or /proc/*/environ of any process but the one service each
// is meant for; the operator's answer appears in no file of the live directory nor in the plan
// files either. (The variable's value is in state.json, as Terraform's state holds sensitive
// values: that file's permissions are docs/security.md's subject.)

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('\n*** secrets-e2e: tmux is not installed; the terminal test is SKIPPED (apt-get install tmux) ***\n');
const maybe = hasTmux ? test : test.skip;

const TOKEN = `tok_${process.pid}_${Date.now().toString(36)}_zq`;
const ANSWER = `pass-${process.pid}-${Math.random().toString(36).slice(2)}-xk`;
const SECRETS = [TOKEN, ANSWER];

let fx: LiveFixture;
let session: string;
beforeAll(async () => {
  fx = await liveFixture();
  session = `rcform-secrets-${process.pid}-${Date.now()}`;
}, 60_000);
afterAll(async () => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  await fx.close();
}, 60_000);

/** Every process on the machine whose argv or environment holds a secret, except the allowed ones. */
function processLeaks(allowed: (pid: number) => boolean): string[] {
  const found: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    for (const f of ['cmdline', 'environ']) {
      let text: string;
      try {
        text = fs.readFileSync(`/proc/${d}/${f}`, 'latin1');
      } catch {
        continue;
      }
      for (const s of SECRETS) if (text.includes(s) && !allowed(Number(d))) found.push(`/proc/${d}/${f} holds ${s === TOKEN ? 'the variable' : 'the answer'}: ${fs.readFileSync(`/proc/${d}/cmdline`, 'latin1').replace(/\0/g, ' ')}`);
    }
  }
  return found;
}

function filesHolding(dir: string, secret: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && fs.readFileSync(p).includes(secret)) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

maybe('a sensitive variable and a secret answer appear nowhere they should not, from init to destroy', async () => {
  const src = path.join(fx.root, 'src');
  fs.mkdirSync(src);
  const answerFile = path.join(fx.root, 'answer');
  const write = (description: string): void =>
    fs.writeFileSync(
      path.join(src, 'main.hcl'),
      `variable "token" {\n  type      = string\n  sensitive = true\n}\n` +
        `longrun "api" {\n  description = "${description}"\n  run = ["/bin/sh", "-c", "echo api up; exec sleep 600"]\n  env = { API_TOKEN = var.token, (var.token) = "as a key" }\n  data = { (var.token) = "x" }\n}\n` +
        `oneshot "unlock" {\n  depends_on = [longrun.api]\n  up = "#!/bin/sh\\ncat > ${answerFile}\\nsleep 1\\n"\n  input {\n    prompt = "Passphrase:"\n    secret = true\n  }\n}\n`,
    );
  write('first');
  const varFile = path.join(fx.root, 'secret.hcl');
  fs.writeFileSync(varFile, `token = "${TOKEN}"\n`);
  const outputs: [string, string][] = [];
  const rc = (args: string[], input?: string): string => {
    const r = fx.rc(args, input !== undefined ? { input } : {});
    outputs.push([args.join(' '), r.stdout + r.stderr]);
    return r.stdout + r.stderr;
  };

  // Only the service the variable is for may hold it: the api, known by what it runs (its pid
  // changes as applies restart it). The answer reaches the oneshot on its stdin only.
  const API_ARGV = [['/bin/sh', '-c', 'echo api up; exec sleep 600'], ['sleep', '600']].map((a) => a.join('\u0000') + '\u0000');
  const apiPid = async (): Promise<number | undefined> => (await fx.status())['api']?.pid;
  const leaks = new Set<string>();
  const isApi = (pid: number): boolean => {
    try {
      return API_ARGV.includes(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
    } catch {
      return false;
    }
  };
  const scan = (): void => {
    for (const l of processLeaks(isApi)) leaks.add(l);
  };

  // The fixture made the live directory and started its supervisor; init on it again is the
  // operator's first command.
  rc(['init']);
  rc(['validate', src, '--var-file', varFile]);
  rc(['validate', src, '--var-file', varFile, '--json']);
  rc(['plan', src, '--var-file', varFile]);
  rc(['plan', src, '--var-file', varFile, '--json']);
  rc(['plan', src, '--var-file', varFile, '--markdown']);
  const planFile = path.join(fx.root, 'first.plan');
  rc(['plan', src, '--var-file', varFile, '--out', planFile]);
  rc(['show', planFile]);
  rc(['show', planFile, '--json']);
  rc(['show', planFile, '--markdown']);

  // apply of the saved plan on a terminal: the Ink view, and the oneshot's question.
  const cmd = `cd ${fx.root} && env -u CI RCFORM_LIVE=${fx.live} ${process.execPath} ${CLI} apply ${planFile}; echo "EXIT=$?"; sleep 120`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '150', '-y', '50', cmd]);
  const screen = (): string => execFileSync('tmux', ['capture-pane', '-p', '-S', '-', '-t', session], { encoding: 'utf8' });
  const scanner = setInterval(scan, 100);
  try {
    await waitFor('the passphrase question', () => screen().includes('Passphrase:'), 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; the screen:\n${screen()}`);
    });
    execFileSync('tmux', ['send-keys', '-t', session, '-l', ANSWER]);
    execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
    await waitFor('the end of the apply', () => screen().includes('EXIT='), 60_000);
    expect(screen()).toContain('EXIT=0');
    // An answer reaches the oneshot as a line, as typed (docs/apply.md, operator input).
    expect(fs.readFileSync(answerFile, 'utf8')).toBe(`${ANSWER}\n`);
    const pid = await apiPid();
    expect(pid).toBeDefined();
    // The service really has the value: the check below would pass vacuously otherwise.
    expect(fs.readFileSync(`/proc/${pid}/environ`, 'latin1')).toContain(`API_TOKEN=${TOKEN}`);

    // Later applies of the same source (only the description changes: the oneshot is not run again).
    write('second');
    rc(['apply', src, '--var-file', varFile, '-auto-approve']);
    write('third');
    rc(['apply', src, '--var-file', varFile, '-auto-approve', '--json']);
    rc(['status']);
    rc(['status', '--json']);
    rc(['logs', 'api']);
    rc(['state', 'list']);
    rc(['state', 'show', 'longrun.api']);
    rc(['state', 'show', 'longrun.api', '--json']);
    const pulled = rc(['state', 'pull']);
    rc(['diff', src, '--var-file', varFile]);
    scan();
    rc(['destroy', src, '--var-file', varFile, '-auto-approve']);
    scan();
    outputs.push(['the terminal', screen()]);

    // state pull prints the state file, which holds the variable's value by design (docs/plan.md).
    const shown = outputs.filter(([what]) => what !== 'state pull').flatMap(([what, text]) => SECRETS.filter((s) => text.includes(s)).map((s) => `${what}: ${s === TOKEN ? 'the variable' : 'the answer'}`));
    expect(shown).toEqual([]);
    expect(pulled).not.toContain(ANSWER);
    expect(outputs.find(([w]) => w.startsWith('plan') && w.endsWith(varFile))?.[1]).toContain('(sensitive value)');
    expect([...leaks]).toEqual([]);
    expect(filesHolding(fx.live, ANSWER)).toEqual([]);
    expect(fs.readFileSync(planFile).includes(ANSWER)).toBe(false);
  } finally {
    clearInterval(scanner);
  }
}, 300_000);
