import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';
import { CLI } from '../support/cli-harness.js';
import { HAS_TMUX, openTerminal, type Terminal } from '../support/tmux.js';

// The real program on a real pseudo-terminal (tmux): the confirmation, the live Ink view, a secret
// asked at its step and typed without echo, and the final summary.

const maybe = HAS_TMUX ? test : test.skip;

let fx: LiveFixture;
let term: Terminal | undefined;
beforeEach(async () => {
  fx = await liveFixture();
}, 60_000);
afterEach(async () => {
  term?.close();
  term = undefined;
  await fx.close();
}, 60_000);

maybe(`apply on a terminal: confirm with "yes", answer a secret unseen, watch it finish (tmux)`, async () => {
  const file = fx.writeDb('db.json', {
    web: { type: 'longrun' },
    unlock: { type: 'oneshot', deps: ['web'], input: { prompt: 'Passphrase:', secret: true }, up: { script: `#!/bin/sh\ncat > ${fx.root}/answer\nIFS= read -r line < ${fx.root}/answer && echo "read: $line" > ${fx.root}/read\n` } },
  });
  const cmd = `cd ${fx.root} && env -u CI RCFORM_LIVE=${fx.live} ${process.execPath} ${CLI} apply --compiled ${file}; echo "EXIT=$?"; sleep 60`;
  term = openTerminal(cmd, 120, 40);
  await term.waitFor('the confirmation question', 'Enter a value:');
  expect(term.screen()).toContain('# longrun.web will be installed and started');
  term.keys('yes', 'Enter');
  await term.waitFor('the passphrase question', 'oneshot.unlock: Passphrase:');
  term.literal('open-sesame-42');
  await new Promise((r) => setTimeout(r, 300));
  expect(term.screen()).not.toContain('open-sesame-42');
  term.keys('Enter');
  await term.waitFor('the end of the apply', 'EXIT=');
  const text = term.history();
  expect(text).toContain('EXIT=0');
  expect(text).toContain('✓ longrun.web: start');
  expect(text).toContain('✓ oneshot.unlock: up');
  expect(text).toContain('Apply complete!');
  expect(text).not.toContain('open-sesame-42');
  // The answer arrives as a line, as typed: `read` gets it whole.
  expect(fs.readFileSync(path.join(fx.root, 'answer'), 'utf8')).toBe('open-sesame-42\n');
  expect(fs.readFileSync(path.join(fx.root, 'read'), 'utf8')).toBe('read: open-sesame-42\n');
}, 120_000);
