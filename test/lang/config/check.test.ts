import { describe, expect, test } from '@jest/globals';
import { MAX_NESTING } from '../../../lang/hcl/parser.js';
import { at, compileText } from '../../support/lang-harness.js';
import { compileSources } from '../../../lang/compile/compile-sources.js';

// Every diagnostic kind of the decoder and the semantic checks, each at its exact range.

function diags(src: string): string[] {
  return compileText({ 'main.hcl': src }).diagnostics.map(at);
}

describe('block decoding and schemas', () => {
  test.each([
    ['unknown argument with a suggestion', 'longrun "a" {\n  run = ["x"]\n  timout_up = "5s"\n}\n', 'main.hcl:3:3-3:12 Unsupported argument', 'Did you mean "timeout_up"?'],
    ['unknown block type', 'longrn "a" {\n}\n', 'main.hcl:1:1-1:7 Unsupported block type', 'Did you mean "longrun"?'],
    ['missing required argument', 'longrun "a" {\n  down = true\n}\n', 'main.hcl:1:1-1:14 Missing required argument', 'The argument "run" is required'],
    ['script without shebang', 'longrun "a" {\n  run = "echo hi"\n}\n', 'main.hcl:2:9-2:18 Invalid value for "run"', 'shebang'],
    ['wrong type', 'longrun "a" {\n  run = ["x"]\n  down = "maybe"\n}\n', 'main.hcl:3:10-3:17 Invalid value for "down"', 'A boolean is required here'],
    ['bad duration', 'longrun "a" {\n  run = ["x"]\n  timeout_up = "5 sec"\n}\n', 'main.hcl:3:16-3:23 Invalid value for "timeout_up"', '"250ms"'],
    ['fd below 3', 'longrun "a" {\n  run = ["x"]\n  notification_fd = 1\n}\n', 'main.hcl:3:21-3:22 Invalid value for "notification_fd"', 'must be >= 3'],
    ['bad env key', 'longrun "a" {\n  run = ["x"]\n  env = { "A=B" = "1" }\n}\n', 'main.hcl:3:11-3:16 Invalid key in "env"', 'cannot contain ='],
    ['bad data file name', 'longrun "a" {\n  run = ["x"]\n  data = { "../etc" = "1" }\n}\n', 'main.hcl:3:12-3:20 Invalid key in "data"', 'data file name'],
    ['data path through ..', 'longrun "a" {\n  run = ["x"]\n  data = { "rules/../../etc" = "1" }\n}\n', 'main.hcl:3:12-3:29 Invalid key in "data"', 'so that no path leaves data/'],
    ['data path with an empty name', 'longrun "a" {\n  run = ["x"]\n  data = { "rules//allow" = "" }\n}\n', 'main.hcl:3:12-3:26 Invalid key in "data"', 'so that no path leaves data/'],
    ['absolute data path', 'longrun "a" {\n  run = ["x"]\n  data = { "/etc/passwd" = "" }\n}\n', 'main.hcl:3:12-3:25 Invalid key in "data"', 'so that no path leaves data/'],
    ['nosetsid, rejected with the reason', 'longrun "a" {\n  run = ["x"]\n  nosetsid = true\n}\n', 'main.hcl:3:3-3:11 Unsupported argument', '"nosetsid" is not supported: s6-supervise has ignored nosetsid since s6 2.11'],
    ['lock fd below 3', 'longrun "a" {\n  run = ["x"]\n  lock_fd = 2\n}\n', 'main.hcl:3:13-3:14 Invalid value for "lock_fd"', 'must be >= 3'],
    ['lock fd the notification fd', 'longrun "a" {\n  run = ["x"]\n  notification_fd = 4\n  lock_fd = 4\n}\n', 'main.hcl:4:13-4:14 Conflicting descriptors', 'lock_fd and notification_fd are both 4'],
    ['a data file where a directory is', 'longrun "a" {\n  run = ["x"]\n  data = { "rules" = "", "rules/allow" = "" }\n}\n', 'main.hcl:3:10-3:46 Conflicting data paths', 'both a file "rules" and "rules/allow"'],
    ['bad argv element', 'longrun "a" {\n  run = ["x", ["y"]]\n}\n', 'main.hcl:2:15-2:20 Invalid value for "run"', 'A string is required here, not a list. The process to supervise. A list of strings is an argv'],
    ['null in an argv', 'longrun "a" {\n  run = ["/x", null]\n}\n', 'main.hcl:2:16-2:20 Invalid value for "run"', 'A string is required here, not null.'],
    ['object in a oneshot argv', 'oneshot "a" {\n  up = ["/x", { a = 1 }]\n}\n', 'main.hcl:2:15-2:24 Invalid value for "up"', 'A string is required here, not an object. Run when the service goes up.'],
    ['empty argv', 'longrun "a" {\n  run = []\n}\n', 'main.hcl:2:9-2:11 Invalid value for "run"', 'The list must have at least 1 element.'],
    ['neither argv nor script', 'longrun "a" {\n  run = 5\n}\n', 'main.hcl:2:9-2:10 Invalid value for "run"', 'A list or a string is required here, not a number.'],
    ['enum in a nested block', 'longrun "a" {\n  run = ["x"]\n  lifecycle {\n    on_change = "bounce"\n  }\n}\n', 'main.hcl:4:17-4:25 Invalid value for "lifecycle.on_change"', '"restart", "reload", "ignore".'],
    ['enum with a typo', 'longrun "a" {\n  run = ["x"]\n  lifecycle {\n    on_change = "restat"\n  }\n}\n', 'main.hcl:4:17-4:25 Invalid value for "lifecycle.on_change"', 'Did you mean "restart"?'],
    ['nested block written as an argument', 'longrun "a" {\n  run = ["x"]\n  lifecycle = {}\n}\n', 'main.hcl:3:3-3:12 Unsupported argument', 'is a block'],
    ['argument written as a block', 'longrun "a" {\n  run = ["x"]\n  env {\n  }\n}\n', 'main.hcl:3:3-3:6 Unsupported block type', 'is an argument'],
    ['input without prompt', 'oneshot "a" {\n  up = ["x"]\n  input {\n    secret = true\n  }\n}\n', 'main.hcl:3:3-3:10 Missing required argument', '"prompt"'],
    ['string instead of a reference', 'longrun "a" {\n  run = ["x"]\n  depends_on = ["b"]\n}\n', 'main.hcl:3:17-3:20 Invalid reference', 'such as longrun.b, not strings'],
    ['a reference in quotes', 'longrun "a" {\n  run = ["x"]\n  depends_on = ["oneshot.b"]\n}\n', 'main.hcl:3:17-3:28 Invalid reference', 'such as oneshot.b, not strings'],
    ['a reference in quotes in moved', 'longrun "q" {\n  run = ["x"]\n}\nmoved {\n  from = "longrun.p"\n  to = longrun.q\n}\n', 'main.hcl:5:10-5:21 Invalid reference', 'from takes references such as longrun.p, not strings'],
    ['reference outside depends_on', 'longrun "b" {\n  run = ["x"]\n}\nlongrun "a" {\n  run = ["x"]\n  description = longrun.b\n}\n', 'main.hcl:6:17-6:26 Service reference not allowed here', 'depends_on'],
    ['top-level argument', 'x = 1\n', 'main.hcl:1:1-1:2 Unsupported argument', 'top level'],
    ['missing label', 'longrun {\n  run = ["x"]\n}\n', 'main.hcl:1:1-1:10 Missing name for block', 'needs a name'],
    ['a shortened word in an argument name', 'longrun "a" {\n  run = ["x"]\n  notify_fd = 3\n}\n', 'main.hcl:3:3-3:12 Unsupported argument', 'Did you mean "notification_fd"?'],
    ['a duration with a space', 'longrun "a" {\n  run = ["x"]\n  timeout_kill = "5 seconds"\n}\n', 'main.hcl:3:18-3:29 Invalid value for "timeout_kill"', '"5 seconds" is not a duration:'],
    ['a oneshot duration', 'oneshot "a" {\n  up = ["x"]\n  timeout_up = "1 min"\n}\n', 'main.hcl:3:16-3:23 Invalid value for "timeout_up"', '"1 min" is not a duration:'],
    ['an unknown signal', 'longrun "a" {\n  run = ["x"]\n  down_signal = "SIGFOO"\n}\n', 'main.hcl:3:17-3:25 Invalid value for "down_signal"', '"SIGFOO" is not a signal name rcform knows: the names are HUP, INT, QUIT, KILL, USR1, USR2, ALRM, TERM,'],
    ['a long script without a shebang, quoted by its start', 'oneshot "a" {\n  up = "echo one two three four five six seven eight nine ten eleven"\n}\n', 'main.hcl:2:8-2:70 Invalid value for "up"', '"echo one two three four five six seven…" is not a script: a string is run as a script and must start with its shebang line'],
    ['an empty account name: one error, saying so', 'longrun "a" {\n  run = ["x"]\n  user = ""\n}\n', 'main.hcl:3:10-3:12 Invalid value for "user"', 'The value is empty.'],
    ['a fraction for a file descriptor', 'longrun "a" {\n  run = ["x"]\n  notification_fd = 3.5\n}\n', 'main.hcl:3:21-3:24 Invalid value for "notification_fd"', '3.5 is not a whole number.'],
    ['a number over the maximum, named', 'longrun "a" {\n  run = ["x"]\n  max_death_tally = 5000\n}\n', 'main.hcl:3:21-3:25 Invalid value for "max_death_tally"', 'The value 5000 must be <= 4096.'],
    ['a relative working directory', 'longrun "a" {\n  run = ["x"]\n  working_dir = "srv"\n}\n', 'main.hcl:3:17-3:22 Invalid value for "working_dir"', '"srv" is not an absolute path'],
  ])('%s', (_name, src, where, detail) => {
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map(at)).toEqual([where]);
    expect(r.diagnostics[0]?.detail).toContain(detail);
    expect(r.db).toBeUndefined();
  });
});

describe('names', () => {
  test.each([
    ['slash', 'a/b', 'cannot contain a slash'],
    ['reserved s6rc-', 's6rc-x', 'reserves'],
    ['reserved s6-rc-', 's6-rc-x', 'reserves'],
    ['leading dot', '.x', 'not a valid service name'],
    ['at sign', 'a@b', 'reserved for for_each'],
    ['space', 'a b', 'not a valid service name'],
  ])('%s', (_n, name, detail) => {
    const r = compileText({ 'main.hcl': `longrun "${name}" {\n  run = ["x"]\n}\n` });
    expect(r.diagnostics.map(at)).toEqual([`main.hcl:1:9-1:${11 + name.length} Invalid service name`]);
    expect(r.diagnostics[0]?.detail).toContain(detail);
  });

  test('duplicate names across types, in another file', () => {
    const r = compileText({ 'a.hcl': 'longrun "db" {\n  run = ["x"]\n}\n', 'b.hcl': 'oneshot "db" {\n  up = ["x"]\n}\n' });
    expect(r.diagnostics.map(at)).toEqual(['b.hcl:1:9-1:13 Duplicate service name']);
    expect(r.diagnostics[0]?.detail).toContain('longrun.db at a.hcl:1,9');
  });
});

describe('references', () => {
  test('unknown reference, with a suggestion of the right type', () => {
    expect(diags('oneshot "db" {\n  up = ["x"]\n}\nlongrun "a" {\n  run = ["x"]\n  depends_on = [longrun.db]\n}\n')).toEqual(['main.hcl:6:17-6:27 Reference to undeclared service']);
    const r = compileText({ 'main.hcl': 'oneshot "db" {\n  up = ["x"]\n}\nlongrun "a" {\n  run = ["x"]\n  depends_on = [longrun.db]\n}\n' });
    expect(r.diagnostics[0]?.detail).toContain('did you mean oneshot.db?');
    const r2 = compileText({ 'main.hcl': 'longrun "database" {\n  run = ["x"]\n}\nlongrun "a" {\n  run = ["x"]\n  depends_on = [longrun.databse]\n}\n' });
    expect(r2.diagnostics[0]?.detail).toContain('Did you mean longrun.database?');
  });

  test('for_each instances and whole-block references', () => {
    const src = 'longrun "getty" {\n  for_each = ["tty1", "tty2"]\n  run = ["agetty", each.key]\n}\nbundle "ttys" {\n  contents = [longrun.getty]\n}\nlongrun "x" {\n  run = ["x"]\n  depends_on = [longrun.getty["tty2"]]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics).toEqual([]);
    expect(r.db?.bundles['ttys']?.members).toEqual(['getty@tty1', 'getty@tty2']);
    expect(r.db?.services['x']?.dependencies).toEqual(['getty@tty2']);
    expect(r.db?.services['getty@tty1']?.address).toBe('longrun.getty["tty1"]');
    expect(diags(src.replace('["tty2"]]', '["tty3"]]'))).toEqual(['main.hcl:10:17-10:38 Reference to undeclared instance']);
    expect(diags(src.replace('longrun.getty["tty2"]', 'longrun.x["a"]'))).toEqual(['main.hcl:10:17-10:31 Unexpected instance key']);
  });

  test('one bad reference does not hide the others', () => {
    const base = 'oneshot "migrate" {\n  up = ["x"]\n}\nlongrun "getty" {\n  for_each = ["tty1"]\n  run = ["x"]\n}\n';
    const r = compileText({ 'main.hcl': base + 'longrun "app" {\n  run = ["x"]\n  depends_on = [longrun.migrate, oneshot.migrat, var.nope]\n}\n' });
    expect(r.diagnostics.map(at)).toEqual([
      'main.hcl:10:50-10:58 Reference to undeclared input variable',
      'main.hcl:10:17-10:32 Reference to undeclared service',
      'main.hcl:10:34-10:48 Reference to undeclared service',
    ]);
    expect(r.diagnostics[1]?.detail).toContain('did you mean oneshot.migrate?');
    expect(r.diagnostics[2]?.detail).toContain('Did you mean oneshot.migrate?');
    expect(diags(base + 'bundle "b" {\n  contents = [longrun.getty["tty1"].run, oneshot.migrat]\n}\n')).toEqual([
      'main.hcl:9:37-9:40 Unsupported attribute',
      'main.hcl:9:42-9:56 Reference to undeclared service',
    ]);
  });

  test('a block left out for a bad for_each or name is not also an undeclared service', () => {
    const src = 'longrun "getty" {\n  for_each = var.ttys\n  run = ["x"]\n}\nlongrun "s6rc-x" {\n  run = ["x"]\n}\nlongrun "app" {\n  run = ["x"]\n  depends_on = [longrun.getty["tty1"], longrun.s6rc-x, longrun.gety]\n}\n';
    expect(diags(src)).toEqual([
      'main.hcl:2:14-2:22 Reference to undeclared input variable',
      'main.hcl:5:9-5:17 Invalid service name',
      'main.hcl:10:56-10:68 Reference to undeclared service',
    ]);
  });

  test('conflicting for_each keys', () => {
    expect(diags('longrun "g" {\n  for_each = ["a", "b", "a"]\n  run = ["x"]\n}\n')).toEqual(['main.hcl:2:25-2:28 Conflicting for_each keys']);
    const slash = compileText({ 'main.hcl': 'longrun "g" {\n  for_each = { "a/b" = 1 }\n  run = ["x"]\n}\n' });
    expect(slash.diagnostics.map(at)).toEqual(['main.hcl:2:16-2:21 Invalid for_each key']);
    expect(slash.diagnostics[0]?.detail).toContain('use only letters, digits, "_", "." and "-"');
  });
});

describe('graph checks', () => {
  test('a dependency cycle is reported once, whole, at the reference closing it', () => {
    const src = 'longrun "a" {\n  run = ["x"]\n  depends_on = [longrun.b]\n}\nlongrun "b" {\n  run = ["x"]\n  depends_on = [bundle.c]\n}\nbundle "c" {\n  contents = [longrun.a]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map(at)).toEqual(['main.hcl:10:15-10:24 Dependency cycle']);
    expect(r.diagnostics[0]?.detail).toContain('longrun.a → longrun.b → bundle.c → longrun.a');
  });

  test('bundle cycle and self-dependency', () => {
    const r = compileText({ 'main.hcl': 'bundle "p" {\n  contents = [bundle.q]\n}\nbundle "q" {\n  contents = [bundle.p]\n}\nlongrun "s" {\n  run = ["x"]\n  depends_on = [longrun.s]\n}\n' });
    expect(r.diagnostics.map(at)).toEqual(['main.hcl:5:15-5:23 Bundle cycle', 'main.hcl:9:17-9:26 Dependency cycle']);
    expect(r.diagnostics[0]?.detail).toContain('bundle.p → bundle.q → bundle.p');
  });

  test('a cycle does not hide a down chain elsewhere', () => {
    const src = 'longrun "a" {\n  run = ["x"]\n  depends_on = [longrun.b]\n}\nlongrun "b" {\n  run = ["x"]\n  depends_on = [longrun.a, longrun.db]\n}\nlongrun "db" {\n  run = ["x"]\n  down = true\n}\nlongrun "web" {\n  run = ["x"]\n  depends_on = [longrun.db]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map((d) => d.summary).sort()).toEqual(['Dependency cycle', 'Dependency on a down service', 'Dependency on a down service', 'Dependency on a down service']);
    expect(r.diagnostics.map(at)).toContain('main.hcl:15:17-15:27 Dependency on a down service');
  });

  test('an up service needing a down one names the chain', () => {
    const src = 'longrun "db" {\n  run = ["x"]\n  down = true\n}\nbundle "core" {\n  contents = [longrun.db]\n}\noneshot "migrate" {\n  up = ["x"]\n  depends_on = [bundle.core]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map(at)).toEqual(['main.hcl:10:17-10:28 Dependency on a down service']);
    expect(r.diagnostics[0]?.detail).toContain('oneshot.migrate → bundle.core → longrun.db');
  });

  test('pipelines must agree, have one name on the last consumer, and not loop', () => {
    const ok = 'longrun "app" {\n  run = ["x"]\n  producer_for = longrun.log\n}\nlongrun "log" {\n  run = ["x"]\n  consumer_for = [longrun.app]\n  pipeline_name = "app-pipeline"\n}\n';
    const r = compileText({ 'main.hcl': ok });
    expect(r.diagnostics).toEqual([]);
    expect(r.db?.services['app']).toMatchObject({ producer_for: 'log' });
    expect(r.db?.services['log']).toMatchObject({ consumer_for: ['app'], pipeline_name: 'app-pipeline' });
    expect(diags(ok.replace('  consumer_for = [longrun.app]\n', ''))).toEqual(['main.hcl:3:18-3:29 Inconsistent pipeline', 'main.hcl:7:19-7:33 Misplaced pipeline_name']);
    expect(diags(ok.replace('  producer_for = longrun.log\n', ''))).toEqual(['main.hcl:6:19-6:30 Inconsistent pipeline']);
    expect(diags(ok.replace('"app-pipeline"', '"app"'))).toEqual(['main.hcl:8:19-8:24 Duplicate service name']);
    const loop = 'longrun "a" {\n  run = ["x"]\n  producer_for = longrun.b\n  consumer_for = [longrun.b]\n}\nlongrun "b" {\n  run = ["x"]\n  producer_for = longrun.a\n  consumer_for = [longrun.a]\n}\n';
    expect(diags(loop)).toEqual(['main.hcl:8:18-8:27 Pipeline cycle']);
    expect(diags('oneshot "o" {\n  up = ["x"]\n}\nlongrun "a" {\n  run = ["x"]\n  producer_for = oneshot.o\n}\n')).toEqual(['main.hcl:6:18-6:27 Invalid value for "producer_for"']);
  });
});

describe('moved', () => {
  const base = 'longrun "nginx" {\n  run = ["x"]\n}\n';
  test('a valid rename is recorded', () => {
    const r = compileText({ 'main.hcl': base + 'moved {\n  from = longrun.httpd\n  to = longrun.nginx\n}\n' });
    expect(r.diagnostics).toEqual([]);
    expect(r.db?.moved).toEqual([{ from: 'httpd', to: 'nginx' }]);
  });
  test.each([
    ['from == to', 'moved {\n  from = longrun.nginx\n  to = longrun.nginx\n}\n', 'main.hcl:6:8-6:21 Redundant moved block'],
    ['to missing', 'moved {\n  from = longrun.httpd\n  to = longrun.ngnix\n}\n', 'main.hcl:6:8-6:21 Moved to an undeclared service'],
    ['from still present', 'longrun "httpd" {\n  run = ["x"]\n}\nmoved {\n  from = longrun.httpd\n  to = longrun.nginx\n}\n', 'main.hcl:8:10-8:23 Moved object still exists'],
    ['chain', 'moved {\n  from = longrun.a\n  to = longrun.b\n}\nmoved {\n  from = longrun.b\n  to = longrun.nginx\n}\n', 'main.hcl:6:8-6:17 Chained moved blocks'],
    ['type change', 'moved {\n  from = oneshot.httpd\n  to = longrun.nginx\n}\n', 'main.hcl:6:8-6:21 Invalid moved block'],
  ])('%s', (_n, moved, where) => {
    expect(diags(base + moved)).toEqual([where]);
  });
});

describe('variables and locals', () => {
  const src = 'variable "port" {\n  type = number\n  default = 80\n}\nvariable "pw" {\n  type = string\n  sensitive = true\n}\nlocals {\n  url = "http://localhost:${var.port}"\n}\nlongrun "web" {\n  run = ["web", local.url]\n  env = { PW = var.pw, PORT = var.port }\n}\n';
  test('values from --var, var files and the environment, converted to the declared type', () => {
    const r = compileText({ 'main.hcl': src }, [
      { name: 'port', origin: 'env', raw: '8080', label: 'RCFORM_VAR_port' },
      { name: 'pw', origin: 'cli', raw: 's3cret', label: '--var pw' },
    ]);
    expect(r.diagnostics).toEqual([]);
    const web = r.db?.services['web'];
    expect(web).toMatchObject({ run: { argv: ['web', 'http://localhost:8080'] }, env: { PW: 's3cret', PORT: '8080' }, sensitive_paths: ['env.PW'] });
  });
  test('missing, undeclared and ill-typed variables', () => {
    expect(diags(src)).toEqual(['main.hcl:5:10-5:14 No value for required variable']);
    const r = compileText({ 'main.hcl': src }, [
      { name: 'pw', origin: 'cli', raw: 'x', label: '--var pw' },
      { name: 'port', origin: 'cli', raw: 'eighty', label: '--var port' },
      { name: 'prot', origin: 'cli', raw: '1', label: '--var prot' },
    ]);
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['Invalid value for input variable', 'Value for undeclared variable']);
    expect(r.diagnostics[1]?.detail).toContain('Did you mean "port"?');
  });
  test('a sensitive value that fails a pattern is not shown in the error', () => {
    const r = compileText({ 'main.hcl': 'variable "sig" {\n  default   = "SIGNOPE"\n  sensitive = true\n}\nlongrun "a" {\n  run         = ["x"]\n  down_signal = var.sig\n}\n' });
    expect(r.diagnostics.map(at)).toEqual(['main.hcl:7:17-7:24 Invalid value for "down_signal"']);
    expect(r.diagnostics[0]?.detail).toMatch(/^The value \(sensitive\) is not a signal name/);
    expect(r.diagnostics[0]?.detail).not.toContain('NOPE');
  });
  test('validate leaves required variables unset: what uses them goes unchecked, the rest is checked', () => {
    const files = { 'main.hcl': 'variable "port" {\n  type = number\n}\nlongrun "web" {\n  run        = ["web", "${var.port}"]\n  timeout_up = "5s"\n}\nlongrun "b" {\n  run          = ["x"]\n  timeout_down = "soon"\n}\n' };
    const strict = compileSources(Object.entries(files).map(([filename, source]) => ({ filename, source })));
    expect(strict.diagnostics.map((d) => d.summary)).toEqual(['No value for required variable', 'Invalid value for "timeout_down"']);
    const lenient = compileSources(Object.entries(files).map(([filename, source]) => ({ filename, source })), { allowUnsetVariables: true });
    expect(lenient.diagnostics.map(at)).toEqual(['main.hcl:10:18-10:24 Invalid value for "timeout_down"']);
  });
  test('local cycles and undeclared locals', () => {
    expect(diags('locals {\n  a = local.b\n  b = local.a\n}\nlongrun "x" {\n  run = [local.a]\n}\n')).toEqual(['main.hcl:2:7-2:14 Cycle in local values']);
  });
  test('unused locals are evaluated: each mistake reported once, at its range', () => {
    const src = 'locals {\n  a = 1/0\n  e = local.e\n  z = nosuchfunc()\n}\nlongrun "x" {\n  run = ["x"]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map(at)).toEqual([
      'main.hcl:2:9-2:10 Division by zero',
      'main.hcl:3:7-3:14 Cycle in local values',
      'main.hcl:4:7-4:17 Call to unknown function',
    ]);
    expect(r.diagnostics[1]?.detail).toContain('local.e → local.e');
    expect(r.db).toBeUndefined();
  });
  test('a bad local used many times is reported once', () => {
    const src = 'locals {\n  port = 1/0\n  url = "http://x:${local.port}"\n}\nlongrun "x" {\n  run = ["x", local.url, "${local.port}"]\n  env = { P = local.port }\n}\n';
    expect(diags(src)).toEqual(['main.hcl:2:12-2:13 Division by zero']);
  });
  test('a cycle through several locals is one diagnostic naming all of them, and their other mistakes still count', () => {
    const src = 'locals {\n  x = local.a\n  a = local.b\n  b = local.c\n  c = [local.a, nosuchfunc()]\n}\nlongrun "x" {\n  run = ["x"]\n}\n';
    const r = compileText({ 'main.hcl': src });
    expect(r.diagnostics.map(at)).toEqual(['main.hcl:3:7-3:14 Cycle in local values', 'main.hcl:5:17-5:27 Call to unknown function']);
    expect(r.diagnostics[0]?.detail).toContain('local.a → local.b → local.c → local.a');
    expect(r.diagnostics[0]?.detail).not.toContain('local.x');
  });
  test('a value nested past the limit through a chain of locals is one diagnostic, not a stack overflow', () => {
    const n = 5000;
    const lines = Array.from({ length: n }, (_, i) => `  l${i} = [local.l${i + 1}]`);
    lines.push(`  l${n} = "x"`);
    const r = compileText({ 'main.hcl': `locals {\n${lines.join('\n')}\n}\nlongrun "x" {\n  run = ["x"]\n  description = jsonencode(local.l0)\n}\n` });
    expect(r.diagnostics.map((d) => d.summary)).toEqual(['Value nested too deeply']);
    // l(k) is on line k + 2 and nests n - k + 1 deep: the first past the limit is l(n - MAX_NESTING).
    expect(r.diagnostics[0]?.subject?.start.line).toBe(n - MAX_NESTING + 2);
  });
  test('locals sharing a value are measured once, not once per path', () => {
    const n = 60;
    const lines = Array.from({ length: n }, (_, i) => `  l${i} = [local.l${i + 1}, local.l${i + 1}]`);
    lines.push(`  l${n} = "x"`);
    const r = compileText({ 'main.hcl': `locals {\n${lines.join('\n')}\n}\nlongrun "x" {\n  run = ["x"]\n}\n` });
    expect(r.diagnostics).toEqual([]);
  });
  test('a long chain of locals evaluates without deep recursion', () => {
    const n = 5000;
    const lines = Array.from({ length: n }, (_, i) => (i === n - 1 ? `  l${i} = "end"` : `  l${i} = local.l${i + 1}`));
    const r = compileText({ 'main.hcl': `locals {\n${lines.join('\n')}\n}\nlongrun "x" {\n  run = ["x", local.l0]\n}\n` });
    expect(r.diagnostics).toEqual([]);
    expect(r.db?.services['x']).toMatchObject({ run: { argv: ['x', 'end'] } });
  });
  test('complex variable types parse --var values as HCL', () => {
    const r = compileText({ 'main.hcl': 'variable "ttys" {\n  type = list(string)\n}\nlongrun "getty" {\n  for_each = toset(var.ttys)\n  run = ["agetty", each.value]\n}\n' }, [{ name: 'ttys', origin: 'cli', raw: '["tty1", "tty2"]', label: '--var ttys' }]);
    expect(r.diagnostics).toEqual([]);
    expect(Object.keys(r.db?.services ?? {})).toEqual(['getty@tty1', 'getty@tty2']);
  });
});
