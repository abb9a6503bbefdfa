import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { CLI } from '../support/cli-harness.js';
import { waitFor } from '../support/engine-harness.js';

// The real program on a real pseudo-terminal (tmux): the confirmation, the live Ink view, a secret
// asked at its step and typed without echo, and the final summary.

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
if (!hasTmux) console.warn('\n*** apply-tty: tmux is not installed; the pseudo-terminal test is SKIPPED (apt-get install tmux) ***\n');
const maybe = hasTmux ? test : test.skip;

let fx: LiveFixture;
let session: string;
beforeEach(async () => {
  fx = await liveFixture();
  session = `rcform-${process.pid}-${Date.now()}`;
}, 60_000);
afterEach(async () => {
  spawnSync('tmux', ['kill-session', '-t', session]);
  await fx.close();
}, 60_000);

const screen = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', session], { encoding: 'utf8' });

/** Waits for text on the screen; on timeout the error shows the screen, to see what went wrong. */
async function waitForScreen(what: string, text: string): Promise<void> {
  try {
    await waitFor(what, () => screen().includes(text), 30_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; the screen:\n${screen()}`);
  }
}

maybe(`apply on a terminal: confirm with "yes", answer a secret unseen, watch it finish (tmux)`, async () => {
  const file = fx.writeDb('db.json', {
    web: { type: 'longrun' },
    unlock: { type: 'oneshot', deps: ['web'], input: { prompt: 'Passphrase:', secret: true }, up: { script: `#!/bin/sh\ncat > ${fx.root}/answer\n` } },
  });
  const cmd = `cd ${fx.root} && env -u CI RCFORM_LIVE=${fx.live} ${process.execPath} ${CLI} apply --compiled ${file}; echo "EXIT=$?"; sleep 60`;
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '40', cmd]);
  await waitForScreen('the confirmation question', 'Enter a value:');
  expect(screen()).toContain('# longrun.web will be installed and started');
  execFileSync('tmux', ['send-keys', '-t', session, 'yes', 'Enter']);
  await waitForScreen('the passphrase question', 'oneshot.unlock: Passphrase:');
  execFileSync('tmux', ['send-keys', '-t', session, '-l', 'open-sesame-42']);
  await new Promise((r) => setTimeout(r, 300));
  expect(screen()).not.toContain('open-sesame-42');
  execFileSync('tmux', ['send-keys', '-t', session, 'Enter']);
  await waitForScreen('the end of the apply', 'EXIT=');
  const text = screen();
  expect(text).toContain('EXIT=0');
  expect(text).toContain('✓ longrun.web: start');
  expect(text).toContain('✓ oneshot.unlock: oneshot_up');
  expect(text).toContain('Apply complete!');
  expect(text).not.toContain('open-sesame-42');
  expect(fs.readFileSync(path.join(fx.root, 'answer'), 'utf8')).toBe('open-sesame-42');
}, 120_000);
