import { afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, runProcess } from '../support/cli-harness.js';
import { logGenerations } from '../../engine/embedded/log-file.js';
import { currentLog, engineLayout } from '../../engine/embedded/layout.js';
import { S6Engine } from '../../engine/s6/s6-engine.js';
import { ENGINE_KINDS, warnS6Missing } from '../support/s6-available.js';

// `rcform logs -f` through rotations, on both engines' ways of rotating (the embedded supervisor
// copies and truncates, s6-log renames): every line the service wrote while followed comes out
// exactly once, in order.

warnS6Missing('rcform logs -f on the s6 engine');

// Tiny files, all kept: the log files themselves are the truth the followed output is checked against.
const ENV = { RCFORM_LOG_MAX_BYTES: '4096', RCFORM_LOG_KEEP: '200', CI: 'true' };

let root: string | undefined;
let follower: ChildProcess | undefined;

afterEach(() => {
  if (follower && follower.exitCode === null) follower.kill('SIGKILL');
  follower = undefined;
  if (root) {
    runProcess(['supervise', '--stop', '--live', path.join(root, 'live')], { env: ENV });
    fs.rmSync(root, { recursive: true, force: true });
  }
  root = undefined;
});

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The numbers of the lines, s6-log's TAI64N stamp (in its files, not in rcform logs' output) taken off. */
const numbers = (text: string): number[] =>
  text
    .split('\n')
    .map((l) => l.replace(/^@[0-9a-f]{24} /, ''))
    .filter((l) => l.startsWith('line '))
    .map((l) => Number(l.split(' ')[1]));


describe('rcform logs -f', () => {
  for (const { kind, missing } of ENGINE_KINDS) {
    if (missing) {
      test.skip(`through rotations on the ${kind} engine: skipped, ${missing}`, () => {});
      continue;
    }
    test(`through rotations on the ${kind} engine: every line once, in order`, async () => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-'));
      const live = path.join(root, 'live');
      fs.mkdirSync(path.join(root, 'src'));
      // About 40 bytes a line, 100 a second: a file of a few KiB rotates every second or so.
      const pad = 'x'.repeat(30);
      fs.writeFileSync(
        path.join(root, 'src', 'main.hcl'),
        `longrun "chatty" {\n  run = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo \\"line $i ${pad}\\"; sleep 0.01; done"]\n}\n`,
      );
      const rc = (args: string[]) => runProcess([...args, '--live', live], { cwd: root, env: ENV, timeoutMs: 120_000 });
      expect(rc(['init', '--engine', kind])).toMatchObject({ code: 0 });
      expect(rc(['apply', 'src', '--auto-approve'])).toMatchObject({ code: 0 });
      // The files themselves: this is about how their rotations are followed.
      const current = kind === 's6' ? S6Engine.logFileOf(live, 'chatty') : currentLog(engineLayout(live), 'chatty');
      await until('the first lines', () => fs.existsSync(current) && numbers(fs.readFileSync(current, 'utf8')).length > 0);

      follower = spawn(process.execPath, [CLI, 'logs', 'chatty', '-f', '-n', '1', '--live', live], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      follower.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      // Following from here: the last line is printed before the follow starts.
      await until('the follower started', () => out.includes('\n'));
      const startGens = logGenerations(current).length;
      // Three rotations while followed, and lines after the last.
      await until('three rotations', () => logGenerations(current).length >= startGens + 3);
      const after = numbers(fs.readFileSync(current, 'utf8'));
      await until('lines after the last rotation', () => numbers(fs.readFileSync(current, 'utf8')).length > after.length + 20);
      const exited = new Promise((r) => follower!.once('exit', r));
      follower.kill('SIGINT');
      await exited;

      const followed = numbers(out);
      expect(followed.length).toBeGreaterThan(100);
      // Every line once, in order.
      const disorder = followed.filter((n, k) => k > 0 && n <= (followed[k - 1] as number));
      expect(disorder).toEqual([]);
      // Nothing the log files hold was skipped. (The embedded engine's copy-and-truncate can lose
      // a line written between its two steps from the files; the follower may have read it first.)
      const seen = new Set(followed);
      const first = followed[0] as number;
      const last = followed[followed.length - 1] as number;
      const written = logGenerations(current).flatMap((f) => numbers(fs.readFileSync(f, 'utf8')));
      expect(written.filter((n) => n >= first && n <= last && !seen.has(n))).toEqual([]);
      // s6-log rotates by rename and loses nothing: no gap at all.
      if (kind === 's6') expect(followed.filter((n, k) => k > 0 && n !== (followed[k - 1] as number) + 1)).toEqual([]);
    }, 180_000);
  }
});
