import { afterEach, describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { cliOperator, endCliOperator, type CliOperator } from '../support/cli-operator.js';
import { longrun } from '../support/longrun-fixture.js';
import { oneshot } from '../support/engine-harness.js';
import { runOneshot } from '../../engine/oneshot-runner.js';
import { openEngine } from '../../engine/open-engine.js';
import { encodePlanFileBytes, type PlanFile } from '../../planner/plan-file.js';
import { ENGINE_KINDS, warnS6Missing } from '../support/s6-available.js';

// A compiled database whose hash verifies is not thereby trusted (docs/security.md): names from a
// crafted one (hash recomputed) that would lead a path out of its directory are refused before
// anything is written, by apply and again by each engine where it builds the path.

let op: CliOperator | undefined;
afterEach(async () => {
  if (op) await endCliOperator(op);
  op = undefined;
});

/** Every file or directory under `dir` whose name starts with "escape". */
function escapes(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.name.startsWith('escape')) out.push(p);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(p);
    }
  };
  walk(dir);
  return out;
}

/** `file` with `from` replaced by `to` everywhere, its hash recomputed as compile computes it. */
function craft(file: string, from: string, to: string, out: string): void {
  const text = fs.readFileSync(file, 'utf8').split(from).join(to);
  const m = /"hash":"([0-9a-f]{64})",/.exec(text) as RegExpExecArray;
  const without = text.slice(0, m.index) + text.slice(m.index + m[0].length, text.length - 1);
  const hash = createHash('sha256').update(without).digest('hex');
  fs.writeFileSync(out, text.replace(m[1] as string, hash));
}

for (const { kind, missing } of ENGINE_KINDS) {
  const maybe = missing ? test.skip : test;
  describe(`${kind}${missing ? ` — SKIPPED: ${missing}` : ''}`, () => {
    if (missing) warnS6Missing(`crafted names (${kind})`);

    maybe.each([
      ['a data key', '"nginx.conf"', '"../../../../../escape-data"', /data file name "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/escape-data" must be a plain file name/],
      ['an env key', '"TOKEN"', '"../../../../../escape-env"', /env key "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/escape-env" is not an environment variable name/],
      ['a service name', '"web"', '"../../../escape-name"', /"\.\.\/\.\.\/\.\.\/escape-name" is not a valid service name/],
    ])('%s leading out of its directory, hash recomputed: apply refuses it before anything is written', (_what, from, to, message) => {
      op = cliOperator(kind, 'rcform-crafted-');
      fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), 'longrun "web" {\n  run  = ["sleep", "1603"]\n  env  = { TOKEN = "t" }\n  data = { "nginx.conf" = "x" }\n}\n');
      expect(op.rc(['init', '--engine', kind]).code).toBe(0);
      expect(op.rc(['compile', 'src', '--out', 'db.json']).code).toBe(0);
      craft(path.join(op.root, 'db.json'), from, to, path.join(op.root, 'crafted.json'));
      const r = op.rc(['apply', '--compiled', 'crafted.json', '--auto-approve']);
      expect(r.stderr).toMatch(/^Error: nothing was started: /);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
      expect(escapes(op.root)).toEqual([]);
      expect(JSON.parse(op.rc(['status', '--json']).stdout).services).toEqual([]);
    }, 120_000);

    maybe('a crafted plan file (checksum recomputed) with such a data key is refused before anything is written', () => {
      op = cliOperator(kind, 'rcform-crafted-');
      fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), 'longrun "web" {\n  run  = ["sleep", "1603"]\n  data = { "nginx.conf" = "x" }\n}\n');
      expect(op.rc(['init', '--engine', kind]).code).toBe(0);
      expect(op.rc(['plan', 'src', '--out', 'web.plan']).code).toBe(0);
      const text = fs.readFileSync(path.join(op.root, 'web.plan'), 'utf8').split('"nginx.conf"').join('"../../../../../escape-plan"');
      const { checksum: _drop, ...content } = JSON.parse(text) as PlanFile & { checksum: string };
      fs.writeFileSync(path.join(op.root, 'crafted.plan'), encodePlanFileBytes(content as PlanFile));
      expect(op.rc(['show', 'crafted.plan']).code).toBe(0);
      const r = op.rc(['apply', 'crafted.plan']);
      expect(r.stderr).toMatch(/^Error: nothing was started: longrun\.web \(step [^)]+\): data file name "\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/escape-plan" must be a plain file name/);
      expect(r.code).toBe(1);
      expect(escapes(op.root)).toEqual([]);
    }, 120_000);

    maybe('the engine and the oneshot runner refuse such names themselves, writing nothing; logs reads nothing outside', async () => {
      op = cliOperator(kind, 'rcform-crafted-');
      expect(op.rc(['init', '--engine', kind]).code).toBe(0);
      const engine = await openEngine(op.live, { kind });
      try {
        for (const svc of [
          longrun('../../../escape-name', { run: { argv: ['sleep', '1604'] } }),
          longrun('web', { run: { argv: ['sleep', '1604'] }, env: { '../../../../../escape-env': 'x' } }),
          longrun('web', { run: { argv: ['sleep', '1604'] }, env: { 'A=B': 'x' } }),
          longrun('web', { run: { argv: ['sleep', '1604'] }, data: { '../../../../../escape-data': 'x' } }),
        ]) {
          await expect(engine.install(svc)).rejects.toThrow(/refused before anything was written/);
        }
        await expect(runOneshot(oneshot('../../../escape-oneshot', { up: { argv: ['true'] } }), 'up', { logFile: path.join(op.root, 'unused'), timeoutMs: 5000 })).rejects.toThrow(/refused before anything was run: "\.\.\/\.\.\/\.\.\/escape-oneshot" is not a valid service name/);
        expect(escapes(op.root)).toEqual([]);
        expect(await engine.status()).toEqual({});
        // Nor is a log read from outside the engine's logs.
        fs.mkdirSync(path.join(op.root, 'outside'));
        fs.writeFileSync(path.join(op.root, 'outside', 'current'), 'not a log of rcform\n');
        const logs = op.rc(['logs', '../../../outside']);
        expect(logs).toMatchObject({ code: 1, stdout: '' });
        expect(logs.stderr).toMatch(/"\.\.\/\.\.\/\.\.\/outside" is not a valid service name/);
      } finally {
        await engine.close();
      }
    }, 120_000);
  });
}
