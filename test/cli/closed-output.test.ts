import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import { CLI, PROJECT_ROOT } from '../support/cli-harness.js';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import type { ServiceSpec } from '../support/compiled-fixture.js';
import { alive } from '../support/engine-harness.js';
import { readJournal } from '../../state/journal.js';
import { readState } from '../../state/state-file.js';

// `rcform ... | head -1`: the reader goes away before rcform has written. The pipe here is real and
// its read end is closed before the child writes anything, so the first write fails with EPIPE
// whatever the size of the output or the load on the machine.

interface Closed {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runWithStdoutClosed(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Closed> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...argv], {
      cwd: opts.cwd ?? PROJECT_ROOT,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

let fx: LiveFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
}, 60_000);

test('a read-only command whose stdout is closed ends quietly, as a closed pipe ends other tools', async () => {
  const graph = await runWithStdoutClosed(['graph', path.join(PROJECT_ROOT, 'examples/web-stack')]);
  expect(graph.stderr).toBe('');
  expect(graph.code).toBe(141);
  const help = await runWithStdoutClosed(['--help']);
  expect(help.stderr).toBe('');
  expect(help.code).toBe(141);
}, 60_000);

test('apply -json whose stdout is closed runs the whole plan: services up, state and journal true, its own exit status', async () => {
  fx = await liveFixture();
  const specs: Record<string, ServiceSpec> = {};
  // A chain, so that steps run one after another and output is written between them.
  for (let i = 0; i < 6; i++) specs[`s${i}`] = { type: 'longrun', run: { argv: ['sleep', '1000'] }, ...(i ? { deps: [`s${i - 1}`] } : {}) };
  specs['done'] = { type: 'oneshot', deps: ['s5'], up: { script: `#!/bin/sh\necho ran > ${fx.root}/oneshot-ran\n` } };
  const dbFile = fx.writeDb('v1.json', specs);
  const planned = fx.rc(['plan', '--compiled', dbFile, '--out', 'p.plan']);
  expect(planned.code).toBe(0);

  const r = await runWithStdoutClosed(['apply', 'p.plan', '-json'], { cwd: fx.root, env: { RCFORM_LIVE: fx.live } });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);

  const st = await fx.status();
  for (let i = 0; i < 6; i++) expect(alive(st[`s${i}`]?.pid)).toBe(true);
  expect(fs.readFileSync(path.join(fx.root, 'oneshot-ran'), 'utf8')).toBe('ran\n');
  const state = readState(fx.live);
  expect(Object.keys(state.services).sort()).toEqual(['done', 's0', 's1', 's2', 's3', 's4', 's5']);
  const { records } = readJournal(fx.live);
  expect(records.filter((x) => x.type === 'step-end' && x.outcome === 'ok')).toHaveLength(14);
  expect(state.journal_seq).toBe(records.at(-1)?.seq);
  expect(fs.existsSync(path.join(fx.live, 'state.lock'))).toBe(false);
}, 120_000);

test('a failing apply with its stdout closed still exits with its own status', async () => {
  fx = await liveFixture();
  const dbFile = fx.writeDb('v1.json', { bad: { type: 'oneshot', up: { script: '#!/bin/sh\nexit 3\n' } } });
  expect(fx.rc(['plan', '--compiled', dbFile, '--out', 'p.plan']).code).toBe(0);
  const r = await runWithStdoutClosed(['apply', 'p.plan'], { cwd: fx.root, env: { RCFORM_LIVE: fx.live } });
  expect(r.code).toBe(1);
  expect(r.stderr).not.toMatch(/EPIPE|node:events/);
  expect(readJournal(fx.live).records.some((x) => x.type === 'step-end' && x.service === 'bad' && x.outcome !== 'ok')).toBe(true);
}, 120_000);
