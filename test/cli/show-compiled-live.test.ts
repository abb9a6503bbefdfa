import fs from 'node:fs';
import { afterEach, beforeEach, expect, test } from '@jest/globals';
import { LiveDir } from '../../state/live-dir.js';
import { liveFixture, type LiveFixture } from '../support/apply-harness.js';

// `rcform show compiled --live` notes an apply that did not complete by comparing the live
// database with the current state: the journal folded in, as every other reader sees it, not
// state.json alone (which lags the journal until the next fold).

let fx: LiveFixture;

beforeEach(async () => {
  fx = await liveFixture();
});

afterEach(async () => {
  await fx.close();
});

test('an apply that completed is not reported as incomplete while state.json lags the journal', async () => {
  const db = fx.writeDb('web.json', { web: { type: 'longrun' } });
  const applied = fx.rc(['apply', '--compiled', db, '-auto-approve']);
  expect(applied.code).toBe(0);
  const live = new LiveDir(fx.live);
  const hash = live.current().state.compiled_hash;
  expect(hash).not.toBeNull();

  // state.json as it was before apply's last fold: the journal still holds every record since.
  fs.copyFileSync(live.layout.stateBackup, live.layout.state);
  expect(live.readState().compiled_hash).not.toBe(hash);
  expect(live.current().state.compiled_hash).toBe(hash);

  const shown = fx.rc(['show', 'compiled', '--live', fx.live]);
  expect(shown.code).toBe(0);
  expect(shown.stderr).not.toContain('did not complete');
});
