import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { loadSchema } from '../../schemas/index.js';
import { PROJECT_ROOT, runInProcess } from '../support/cli-harness.js';
import { GoldenMismatch, UPDATING, assertGolden } from '../support/golden.js';

// Plans of the real examples, as a pull request would change them, against committed golden files:
// for each scenario the base tree is compiled (`rcform compile base --out base.json`), the edited
// tree is planned against it (`rcform plan head --live-from base.json`), and the human view (no
// colour) and the JSON view must match test/planner/golden/EXAMPLE/SCENARIO.{txt,json} byte for
// byte. The ci scenarios run the exact command of examples/ci/rcform-plan.yml and keep its Markdown.
//
// Regenerate after an intended change: UPDATE_GOLDEN=1 npm test -- dist/test/planner/plan-golden
// and read the diff: it is what reviewers of rcform plans will see.

const GOLDEN = path.join(PROJECT_ROOT, 'test/planner/golden');
const EXAMPLES = path.join(PROJECT_ROOT, 'examples');

/** A textual edit of one file of the example; `find` must occur exactly once, so that an edit
 *  that no longer applies (the example changed) fails instead of silently planning nothing. */
interface Edit {
  file: string;
  find?: string | RegExp;
  replace?: string;
  /** Appended to the file (created if missing). */
  append?: string;
}

interface Scenario {
  example: 'hello' | 'web-stack' | 'boot' | 'ci';
  name: string;
  /** The tree the change is made to; `ci` scenarios use web-stack, as the workflow's example does. */
  tree?: string;
  /** The base is an empty tree: a first deployment. */
  emptyBase?: boolean;
  edits?: Edit[];
  flags?: string[];
  /** Plan with no source (--destroy). */
  noSource?: boolean;
  /** The actions the plan must give these addresses: what the scenario is about, checked apart
   *  from the golden text so a regenerated golden cannot quietly lose the point of the case. */
  expect: Record<string, string[]>;
}

const SCENARIOS: Scenario[] = [
  // hello: one longrun.
  { example: 'hello', name: 'first-deploy', emptyBase: true, expect: { 'longrun.hello': ['install', 'start'] } },
  { example: 'hello', name: 'unchanged', expect: {} },
  {
    example: 'hello',
    name: 'run-changed',
    edits: [{ file: 'main.hcl', find: "sleep 5; done", replace: "sleep 10; done" }],
    expect: { 'longrun.hello': ['restart'] },
  },
  {
    example: 'hello',
    name: 'description-changed',
    edits: [{ file: 'main.hcl', find: 'Prints a greeting every five seconds', replace: 'Greets the operator every five seconds' }],
    expect: { 'longrun.hello': ['update'] },
  },
  {
    example: 'hello',
    name: 'down-flipped',
    edits: [{ file: 'main.hcl', find: '  run         = ["sh"', replace: '  down        = true\n  run         = ["sh"' }],
    expect: { 'longrun.hello': ['update', 'stop'] },
  },
  {
    example: 'hello',
    name: 'renamed',
    edits: [
      { file: 'main.hcl', find: 'longrun "hello" {', replace: 'longrun "greeter" {' },
      { file: 'main.hcl', append: '\nmoved {\n  from = longrun.hello\n  to   = longrun.greeter\n}\n' },
    ],
    expect: { 'longrun.greeter': ['rename'] },
  },
  { example: 'hello', name: 'destroy', noSource: true, flags: ['--destroy'], expect: { 'longrun.hello': ['stop', 'remove'] } },

  // web-stack: a database, a migrations oneshot, an app with its logger pipeline, a proxy.
  {
    example: 'web-stack',
    name: 'first-deploy',
    emptyBase: true,
    expect: { 'longrun.db': ['install', 'start'], 'oneshot.migrations': ['install', 'start'], 'longrun.proxy': ['install', 'start'] },
  },
  {
    example: 'web-stack',
    name: 'app-script-changed',
    edits: [{ file: 'app.hcl', find: 'body = b"hello from the app\\n"', replace: 'body = b"hello from the app, version 2\\n"' }],
    expect: { 'longrun.app': ['restart'], 'longrun.proxy': ['restart'] },
  },
  {
    example: 'web-stack',
    name: 'proxy-config-changed',
    edits: [{ file: 'app.hcl', find: '    location / { proxy_pass', replace: '    client_max_body_size 10m;\n    location / { proxy_pass' }],
    expect: { 'longrun.proxy': ['reload'] },
  },
  {
    example: 'web-stack',
    name: 'service-added',
    edits: [
      {
        file: 'worker.hcl',
        append:
          '# A background worker that takes jobs from the database.\nlongrun "worker" {\n  description = "Job worker"\n  depends_on  = [longrun.db, oneshot.migrations]\n  run         = ["sh", "-c", "exec sleep 2147483647"]\n\n  env = {\n    QUEUE = "default"\n  }\n}\n',
      },
    ],
    expect: { 'longrun.worker': ['install', 'start'] },
  },
  {
    example: 'web-stack',
    name: 'service-removed',
    edits: [
      { file: 'app.hcl', find: 'longrun.app-log, longrun.proxy]', replace: 'longrun.app-log]' },
      { file: 'app.hcl', find: /\n# The reverse proxy\.[\s\S]*?\n}\n(?=\n# The data tier)/ , replace: '' },
    ],
    expect: { 'longrun.proxy': ['stop', 'remove'] },
  },
  {
    example: 'web-stack',
    name: 'service-renamed',
    edits: [
      { file: 'app.hcl', find: 'longrun "proxy" {', replace: 'longrun "edge" {' },
      { file: 'app.hcl', find: 'longrun.app-log, longrun.proxy]', replace: 'longrun.app-log, longrun.edge]' },
      { file: 'app.hcl', append: '\n# The proxy is now called edge: rename it in place, without a restart.\nmoved {\n  from = longrun.proxy\n  to   = longrun.edge\n}\n' },
    ],
    expect: { 'longrun.edge': ['rename'] },
  },
  {
    example: 'web-stack',
    name: 'dependency-changed',
    edits: [{ file: 'app.hcl', find: 'depends_on  = [longrun.app]', replace: 'depends_on  = [longrun.app, longrun.db]' }],
    expect: { 'longrun.proxy': ['update'] },
  },
  {
    example: 'web-stack',
    name: 'down-flipped',
    edits: [{ file: 'app.hcl', find: '  notification_fd = 3\n  reload_signal   = "SIGHUP"', replace: '  notification_fd = 3\n  reload_signal   = "SIGHUP"\n  down            = true' }],
    expect: { 'longrun.proxy': ['update', 'stop'] },
  },
  {
    example: 'web-stack',
    name: 'essential-restarted',
    flags: ['--allow-essential'],
    edits: [{ file: 'database.hcl', find: 'max_connections = 100', replace: 'max_connections = 200' }],
    expect: { 'longrun.db': ['restart'], 'longrun.app': ['restart'], 'longrun.proxy': ['restart'] },
  },
  {
    example: 'web-stack',
    name: 'secret-changed',
    flags: ['--var', 'db_password=a-new-secret'],
    expect: { 'longrun.app': ['restart'] },
  },

  // boot: for_each instances of mounts and gettys, oneshots, an essential set.
  {
    example: 'boot',
    name: 'first-deploy',
    emptyBase: true,
    expect: { 'oneshot.mount["proc"]': ['install', 'start'], 'longrun.getty["tty1"]': ['install', 'start'] },
  },
  {
    example: 'boot',
    name: 'tty-added',
    edits: [{ file: 'variables.hcl', find: '"tty5", "tty6"]', replace: '"tty5", "tty6", "tty7"]' }],
    expect: { 'longrun.getty["tty7"]': ['install', 'start'] },
  },
  {
    example: 'boot',
    name: 'hostname-changed',
    edits: [{ file: 'variables.hcl', find: 'default     = "rcform-demo"', replace: 'default     = "web-01"' }],
    expect: { 'oneshot.hostname': ['restart'] },
  },
  {
    example: 'boot',
    name: 'mount-removed',
    flags: ['--allow-essential'],
    edits: [{ file: 'variables.hcl', find: '    tmp  = { path = "/tmp", fstype = "tmpfs" }\n', replace: '' }],
    expect: { 'oneshot.mount["tmp"]': ['stop', 'remove'] },
  },
  {
    example: 'boot',
    name: 'network-down',
    edits: [{ file: 'system.hcl', find: '  max_death_tally = 10', replace: '  max_death_tally = 10\n  down            = true' }],
    expect: { 'longrun.network': ['update', 'stop'] },
  },

  // ci: examples/ci/rcform-plan.yml's plan step, on a pull request that changes web-stack.
  { example: 'ci', name: 'first-pull-request', tree: 'web-stack', emptyBase: true, expect: { 'longrun.app': ['install', 'start'] } },
  { example: 'ci', name: 'no-changes', tree: 'web-stack', expect: {} },
  {
    example: 'ci',
    name: 'pull-request',
    tree: 'web-stack',
    edits: [
      { file: 'app.hcl', find: '    location / { proxy_pass', replace: '    client_max_body_size 10m;\n    location / { proxy_pass' },
      { file: 'app.hcl', find: 'body = b"hello from the app\\n"', replace: 'body = b"hello from the app, version 2\\n"' },
      { file: 'worker.hcl', append: 'longrun "worker" {\n  description = "Job worker"\n  depends_on  = [oneshot.migrations]\n  run         = ["sh", "-c", "exec sleep 2147483647"]\n}\n' },
    ],
    expect: { 'longrun.app': ['restart'], 'longrun.worker': ['install', 'start'] },
  },
  {
    // A pull request that restarts the essential database: the comment is posted, and says so first.
    example: 'ci',
    name: 'essential-restarted',
    tree: 'web-stack',
    edits: [{ file: 'database.hcl', find: 'max_connections = 100', replace: 'max_connections = 200' }],
    expect: { 'longrun.db': ['restart'], 'longrun.app': ['restart'] },
  },
];

// The plan step of the CI workflow, as written there: the ci scenarios run exactly this.
// The workflow saves the plan and posts `rcform show --markdown` of it (the plan file stays out of the
// uploaded artifact); the scenarios check that this is the same Markdown as `plan --markdown`.
const CI_PLAN_LINE = 'rcform plan "head/$SERVICES" --live-from "$OUT/base.json" --allow-essential -detailed-exitcode';
const CI_SHOW_LINE = 'rcform show "$plan" --markdown';
// Its base when the base branch has no services yet (an empty directory does not compile).
const CI_EMPTY_BASE = '# no services yet\n';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function applyEdit(dir: string, e: Edit): void {
  const file = path.join(dir, e.file);
  if (e.append !== undefined) {
    fs.appendFileSync(file, e.append);
    return;
  }
  const text = fs.readFileSync(file, 'utf8');
  const find = e.find ?? '';
  const count = typeof find === 'string' ? text.split(find).length - 1 : (text.match(new RegExp(find.source, 'g')) ?? []).length;
  if (count !== 1) throw new Error(`edit of ${e.file}: ${String(find)} occurs ${count} times, expected once (did the example change?)`);
  fs.writeFileSync(file, text.replace(find, () => e.replace ?? ''));
}

/** Hashes change whenever anything in the compiled format does; a reviewer reads none of them. */
function normalise(text: string, dir: string): string {
  return text.split(dir).join('<tmp>').replace(/\b[0-9a-f]{64}\b/g, '<sha256>');
}

async function cli(argv: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runInProcess(argv, { cwd, env: { NO_COLOR: '1' } });
}

/** base/, head/ and base.json in a directory of the scenario's own. */
async function prepare(s: Scenario): Promise<string> {
  const dir = path.join(tmp, `${s.example}-${s.name}`);
  const tree = path.join(EXAMPLES, s.tree ?? s.example);
  fs.mkdirSync(path.join(dir, 'base'), { recursive: true });
  if (s.emptyBase) fs.writeFileSync(path.join(dir, 'base/none.hcl'), CI_EMPTY_BASE);
  else fs.cpSync(tree, path.join(dir, 'base'), { recursive: true });
  fs.cpSync(tree, path.join(dir, 'head'), { recursive: true });
  for (const e of s.edits ?? []) applyEdit(path.join(dir, 'head'), e);
  const compiled = await cli(['compile', 'base', '--out', 'base.json'], dir);
  if (compiled.code !== 0) throw new Error(`compile base: ${compiled.stderr}`);
  return dir;
}

function planArgs(s: Scenario, view: string[]): string[] {
  return ['plan', ...(s.noSource ? [] : ['head']), '--live-from', 'base.json', ...(s.flags ?? []), ...view];
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validatePlan = ajv.compile(loadSchema('plan.schema.json'));

describe.each(SCENARIOS.filter((s) => s.example !== 'ci'))('$example: $name', (s) => {
  let dir: string;
  beforeAll(async () => {
    dir = await prepare(s);
  });

  test('the human plan matches its golden file', async () => {
    const r = await cli(planArgs(s, []), dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b[');
    assertGolden(path.join(GOLDEN, s.example, `${s.name}.txt`), normalise(r.stdout, dir));
  });

  test('the JSON plan is valid, says what the scenario is about, and matches its golden file', async () => {
    const r = await cli(planArgs(s, ['--json']), dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(validatePlan(plan) ? [] : validatePlan.errors).toEqual([]);
    const actions = Object.fromEntries(plan.resource_changes.map((c: { address: string; actions: string[] }) => [c.address, c.actions]));
    for (const [address, want] of Object.entries(s.expect)) expect([address, actions[address]]).toEqual([address, want]);
    if (Object.keys(s.expect).length === 0) expect(plan.resource_changes).toEqual([]);
    assertGolden(path.join(GOLDEN, s.example, `${s.name}.json`), normalise(r.stdout, dir));
  });
});

describe.each(SCENARIOS.filter((s) => s.example === 'ci'))('ci: $name', (s) => {
  test('the Markdown comment the workflow posts matches its golden file', async () => {
    const dir = await prepare(s);
    const r = await cli(['plan', 'head', '--live-from', 'base.json', '--allow-essential', '--markdown', '-detailed-exitcode'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(Object.keys(s.expect).length > 0 ? 2 : 0);
    const json = JSON.parse((await cli(['plan', 'head', '--live-from', 'base.json', '--allow-essential', '--json'], dir)).stdout);
    for (const [address, want] of Object.entries(s.expect)) {
      expect([address, json.resource_changes.find((c: { address: string }) => c.address === address)?.actions]).toEqual([address, want]);
    }
    assertGolden(path.join(GOLDEN, 'ci', `${s.name}.md`), normalise(r.stdout, dir));
    const saved = await cli(['plan', 'head', '--live-from', 'base.json', '--allow-essential', '--out', 'pr.plan'], dir);
    expect(saved.code).toBe(0);
    expect((await cli(['show', 'pr.plan', '--markdown'], dir)).stdout).toBe(r.stdout);
    // An essential service stopped or restarted is the first thing the comment says, never only
    // somewhere in the folded plan.
    const essential = json.resource_changes.filter((c: { before: { essential?: boolean } | null; actions: string[] }) => c.before?.essential && c.actions.some((a) => ['stop', 'restart', 'remove'].includes(a)));
    const head = r.stdout.slice(0, r.stdout.indexOf('<details>'));
    if (essential.length > 0) {
      expect(head).toContain('> [!CAUTION]');
      for (const c of essential) expect(head).toContain(`\`${c.address}\` (essential)`);
    } else expect(r.stdout).not.toContain('[!CAUTION]');
  });
});

test('the ci scenarios run the plan step of examples/ci/rcform-plan.yml', () => {
  const workflow = fs.readFileSync(path.join(EXAMPLES, 'ci/rcform-plan.yml'), 'utf8');
  expect(workflow).toContain(CI_PLAN_LINE);
  expect(workflow).toContain(CI_SHOW_LINE);
  expect(workflow).toContain(`echo '${CI_EMPTY_BASE.trim()}' > "$OUT/empty/none.hcl"`);
});

test('every golden file belongs to a scenario (a removed scenario leaves no stale file behind)', () => {
  if (UPDATING) return;
  const wanted = new Set(
    SCENARIOS.flatMap((s) => (s.example === 'ci' ? [`ci/${s.name}.md`] : [`${s.example}/${s.name}.txt`, `${s.example}/${s.name}.json`])),
  );
  const present = fs.readdirSync(GOLDEN, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(GOLDEN, path.join(e.parentPath, e.name)));
  expect(present.sort()).toEqual([...wanted].sort());
});

test('a golden comparison fails on any difference, and on a missing file', () => {
  const file = path.join(tmp, 'check.txt');
  fs.writeFileSync(file, 'Plan: 1 to install.\n');
  expect(() => assertGolden(file, 'Plan: 1 to install.\n', false)).not.toThrow();
  expect(() => assertGolden(file, 'Plan: 2 to install.\n', false)).toThrow(GoldenMismatch);
  expect(() => assertGolden(file, 'Plan: 1 to install.', false)).toThrow(/line 2/);
  expect(() => assertGolden(path.join(tmp, 'absent.txt'), 'x', false)).toThrow(/missing; create it with UPDATE_GOLDEN=1/);
});
