import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { CLI, PROJECT_ROOT } from '../support/cli-harness.js';

// examples/ci/rcform-plan.yml, run here as GitHub would run it: every `run:` step of the file as
// written, with GitHub's `shell: bash` (bash -eo pipefail), its env and `${{ }}` values, in a
// workspace laid out as its checkouts leave it. What cannot run here is left out and said so: the
// `uses:` actions (the checkouts are made by the test, the artifact upload is the files left in
// $OUT), the npm install of rcform (the build under test is put on PATH instead), and GitHub's API,
// for which `gh` is a small stand-in that answers from a list of comments and records each call.

const requireCjs = createRequire(import.meta.url);
const yaml = requireCjs('js-yaml') as { load(text: string): unknown };
const WORKFLOW = path.join(PROJECT_ROOT, 'examples/ci/rcform-plan.yml');
const LIMIT = 65536;

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  'continue-on-error'?: boolean;
}
interface Workflow {
  env: Record<string, string>;
  defaults: { run: { shell: string } };
  jobs: { plan: { steps: Step[] } };
}

let ws: string;
beforeEach(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-ci-'));
});
afterEach(() => {
  fs.rmSync(ws, { recursive: true, force: true });
});

interface GhCall {
  args: string[];
  body?: string;
}

interface RunResult {
  outcomes: Record<string, string>;
  failed: boolean;
  calls: GhCall[];
  logs: string;
  /** The files the artifact step uploads. */
  artifact: string[];
}

/** Lays out head/ and base/ as the checkouts would, puts rcform and the gh stand-in on PATH. */
function workspace(head: Record<string, string>, base: Record<string, string> | null, comments: unknown[] = []): void {
  const write = (root: string, files: Record<string, string>): void => {
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text);
    }
  };
  write(path.join(ws, 'head/services'), head);
  fs.mkdirSync(path.join(ws, 'base'));
  if (base) write(path.join(ws, 'base/services'), base);
  fs.symlinkSync(PROJECT_ROOT, path.join(ws, 'rcform-src'));
  const bin = path.join(ws, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'rcform'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(ws, 'comments.json'), JSON.stringify(comments));
  // gh api: GET answers with comments.json through the real jq (gh's --jq is jq's language);
  // POST and PATCH record the body read from -F body=@FILE.
  fs.writeFileSync(
    path.join(bin, 'gh'),
    `#!/bin/bash
set -eu
calls=${JSON.stringify(path.join(ws, 'gh-calls'))}
n=$(ls "$calls" 2>/dev/null | wc -l); mkdir -p "$calls"; printf '%s\\n' "$@" > "$calls/$n.args"
method=GET; jqexpr=
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method=$2; shift ;;
    --jq) jqexpr=$2; shift ;;
    -F) case "$2" in body=@*) cp "\${2#body=@}" "$calls/$n.body" ;; esac; shift ;;
  esac
  shift
done
if [ "$method" = GET ]; then jq -r "$jqexpr" ${JSON.stringify(path.join(ws, 'comments.json'))}; else echo '{}'; fi
`,
    { mode: 0o755 },
  );
}

const CONTEXT: Record<string, string> = {
  'github.token': 'token-for-test',
  'github.event.pull_request.number': '7',
  'github.event.pull_request.head.sha': '0123456789abcdef0123456789abcdef01234567',
  'github.event.pull_request.base.sha': 'fedcba9876543210fedcba9876543210fedcba98',
  'steps.artifact.outputs.artifact-url': 'https://github.com/owner/services/actions/runs/1/artifacts/2',
};

function expand(text: string, outcomes: Record<string, string>): string {
  return text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, expr: string) => {
    const step = /^steps\.([\w-]+)\.outcome$/.exec(expr);
    if (step) return outcomes[step[1] as string] ?? '';
    if (expr in CONTEXT) return CONTEXT[expr] as string;
    throw new Error(`the test does not know the expression \${{ ${expr} }}`);
  });
}

/** The `if:` forms the workflow uses; another form fails the test, so that it is taught it. */
function shouldRun(cond: string | undefined, outcomes: Record<string, string>, failed: boolean): boolean {
  if (cond === undefined) return !failed;
  const c = cond.replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (c === '!cancelled()') return true;
  const m = /^steps\.([\w-]+)\.outcome == '(\w+)'$/.exec(c);
  if (m) return !failed && outcomes[m[1] as string] === m[2];
  throw new Error(`the test does not know the condition ${cond}`);
}

function runWorkflow(): RunResult {
  const wf = yaml.load(fs.readFileSync(WORKFLOW, 'utf8')) as Workflow;
  expect(wf.defaults.run.shell).toBe('bash');
  const outcomes: Record<string, string> = {};
  let failed = false;
  let logs = '';
  fs.mkdirSync(path.join(ws, 'runner-temp'), { recursive: true });
  const githubOutput = path.join(ws, 'github-output');
  fs.writeFileSync(githubOutput, '');
  for (const step of wf.jobs.plan.steps) {
    if (step.run === undefined) continue;
    if (step.name === 'Build and install rcform') {
      // Installs the very build under test; here it is already on PATH (bin/rcform).
      expect(step.run).toMatch(/npm ci[^\n]*\n\s*npm run build\n[\s\S]*npm install --global[^\n]* \.\n/);
      continue;
    }
    if (!shouldRun(step.if, outcomes, failed)) {
      if (step.id) outcomes[step.id] = 'skipped';
      continue;
    }
    const env: NodeJS.ProcessEnv = {
      PATH: `${path.join(ws, 'bin')}:${process.env['PATH'] ?? ''}`,
      HOME: ws,
      GITHUB_OUTPUT: githubOutput,
      GITHUB_REPOSITORY: 'owner/services',
      RUNNER_TEMP: path.join(ws, 'runner-temp'),
      NO_COLOR: '1',
    };
    for (const [k, v] of Object.entries({ ...wf.env, ...step.env })) env[k] = expand(String(v), outcomes);
    // GitHub's `shell: bash`.
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', expand(step.run, outcomes)], { cwd: ws, env, encoding: 'utf8', timeout: 120_000 });
    logs += `## ${step.name}\n${r.stdout}${r.stderr}`;
    const outcome = r.status === 0 ? 'success' : 'failure';
    if (step.id) outcomes[step.id] = outcome;
    if (outcome === 'failure' && !step['continue-on-error']) failed = true;
  }
  const upload = wf.jobs.plan.steps.find((s) => s.id === 'artifact') as Step & { with: { path: string } };
  const artifact = upload.with.path.split('\n').map((l) => l.trim()).filter(Boolean);
  const dir = path.join(ws, 'gh-calls');
  const calls: GhCall[] = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.args'))
        .sort((a, b) => parseInt(a) - parseInt(b))
        .map((f) => {
          const body = path.join(dir, f.replace('.args', '.body'));
          return { args: fs.readFileSync(path.join(dir, f), 'utf8').trimEnd().split('\n'), ...(fs.existsSync(body) ? { body: fs.readFileSync(body, 'utf8') } : {}) };
        })
    : [];
  return { outcomes, failed, calls, logs, artifact };
}

const posted = (r: RunResult): GhCall => {
  const c = r.calls.filter((x) => x.body !== undefined);
  expect(c).toHaveLength(1);
  return c[0] as GhCall;
};

test('an invalid tree: validate fails the job (pipefail through tee), and its diagnostics are posted', () => {
  workspace({ 'main.hcl': 'longrun "web" {\n  run = ["sleep", "1000"]\n  restart_delay = 5\n}\n' }, null);
  const r = runWorkflow();
  expect(r.outcomes['validate']).toBe('failure');
  expect(r.outcomes['plan']).toBe('skipped');
  expect(r.failed).toBe(true);
  const c = posted(r);
  expect(c.args.slice(0, 3)).toEqual(['api', '--method', 'POST']);
  expect(c.args).toContain('repos/owner/services/issues/7/comments');
  const body = c.body as string;
  expect(body.split('\n')[0]).toBe('<!-- rcform-plan: services -->');
  expect(body).toContain('validation failed in `services` at `0123456789ab`');
  expect(body).toMatch(/main\.hcl:3/);
  expect(body).toContain('restart_delay');
});

test('a failing plan (the base branch does not compile) posts its diagnostics and fails the job', () => {
  workspace({ 'main.hcl': 'longrun "web" {\n  run = ["sleep", "1000"]\n}\n' }, { 'main.hcl': 'longrun "web" {\n  run = \n}\n' });
  const r = runWorkflow();
  expect(r.outcomes['validate']).toBe('success');
  expect(r.outcomes['plan']).toBe('failure');
  expect(r.failed).toBe(true);
  const body = posted(r).body as string;
  expect(body).toContain('the plan failed in `services`');
  expect(body).toMatch(/main\.hcl:2/);
});

test('a plan over 65,536 characters keeps its summary, shows what fits, points at the artifact; the comment is found again by its marker', () => {
  // 400 services with long scripts: the plan is several times GitHub's limit.
  const services = Array.from({ length: 400 }, (_, i) => `longrun "svc${i}" {\n  run = ["sh", "-c", "${'echo this service writes a fairly long line of output; '.repeat(4)}sleep 1000"]\n}\n`).join('\n');
  workspace({ 'main.hcl': services }, null, [
    { id: 11, body: 'Thanks for the pull request!' },
    { id: 42, body: '<!-- rcform-plan: services -->\nan older plan' },
    { id: 43, body: '<!-- rcform-plan: other -->\nanother directory' },
  ]);
  const r = runWorkflow();
  expect(r.logs).not.toMatch(/^Error/m);
  expect(r.outcomes['plan']).toBe('success');
  expect(r.failed).toBe(false);
  const whole = fs.readFileSync(path.join(ws, 'rcform-out/plan.txt'), 'utf8');
  expect(whole.length).toBeGreaterThan(2 * LIMIT);
  expect(whole).toContain('svc399');

  const c = posted(r);
  // Edited in place: the comment of this directory, not the other bot's nor another directory's.
  expect(c.args.slice(0, 4)).toEqual(['api', '--method', 'PATCH', 'repos/owner/services/issues/comments/42']);
  const body = c.body as string;
  expect(body.length).toBeLessThanOrEqual(LIMIT);
  expect(body.length).toBeGreaterThan(LIMIT - 2000);
  const lines = body.split('\n');
  expect(lines[0]).toBe('<!-- rcform-plan: services -->');
  expect(body).toContain('**Directory** `services` · **commit** `0123456789ab`');
  expect(body).toContain('### rcform plan: 400 changes');
  expect(body).toContain('**Plan: 400 to install');
  expect(body).toContain('| install | 400 |');
  expect(body).toMatch(/The plan is longer than a comment may be \(65,536 characters\): \d+ of its \d+ lines are shown; the whole plan is in the \[rcform-plan artifact\]\(https:\/\/github\.com\/owner\/services\/actions\/runs\/1\/artifacts\/2\)/);
  expect(body).toContain('rcform plan services --out services.plan');
  expect(body).toContain('rcform apply services.plan');
  // Every fence opened is closed: the markdown after the cut still renders.
  expect((body.match(/^`{3,}/gm) ?? []).length % 2).toBe(0);
  expect(body).not.toContain('svc399');
});

test('a small plan is posted whole, with the directory, the commit and how to apply; no sensitive value is uploaded', () => {
  const secret = 'hunter2-do-not-upload';
  workspace(
    {
      'main.hcl': `variable "token" {\n  type      = string\n  default   = "${secret}"\n  sensitive = true\n}\n\nlongrun "web" {\n  run = ["sleep", "1000"]\n  env = {\n    TOKEN = var.token\n  }\n}\n`,
    },
    { 'main.hcl': '# no services\n' },
  );
  const r = runWorkflow();
  expect(r.failed).toBe(false);
  const c = posted(r);
  expect(c.args.slice(0, 3)).toEqual(['api', '--method', 'POST']);
  const body = c.body as string;
  expect(body).toContain('### rcform plan: 1 change');
  expect(body).toContain('<details><summary>Show the plan</summary>');
  expect(body).toContain('longrun.web will be installed and started');
  expect(body).not.toContain('longer than a comment');
  expect(body).toContain('from a checkout of `0123456789ab`');
  expect(fs.readFileSync(path.join(ws, 'github-output'), 'utf8')).toContain('changes=true');
  // The artifact holds the views, where sensitive values are masked; the plan file (which holds
  // them in clear) is not among them, and neither is the comment.
  expect(r.artifact.length).toBeGreaterThan(0);
  for (const f of r.artifact) {
    expect(f).toMatch(/^rcform-out\/[\w-]+\.(txt|md)$/);
    const p = path.join(ws, f);
    if (fs.existsSync(p)) expect(fs.readFileSync(p, 'utf8')).not.toContain(secret);
  }
  expect(fs.readFileSync(path.join(ws, 'rcform-out/plan.txt'), 'utf8')).toContain('(sensitive value)');
  expect(body).not.toContain(secret);
});
