import { spawnSync } from 'node:child_process';
import type { EngineKind } from '../../state/state-types.js';

// The s6 half of the engine tests needs the real s6 programs. Where they are missing the tests are
// skipped LOUDLY, with the reason in the test names and a banner, never passed silently.

const REQUIRED = ['s6-svscan', 's6-supervise', 's6-svc', 's6-svwait', 's6-svstat', 's6-svscanctl', 's6-envdir', 's6-svdt-clear'];

function probe(): string | null {
  const missing = REQUIRED.filter((p) => spawnSync('sh', ['-c', `command -v ${p}`], { stdio: 'ignore' }).status !== 0);
  return missing.length ? `s6 is not installed (missing ${missing.join(', ')}; apt-get install s6)` : null;
}

/** Why s6 tests cannot run here, or null when they can. */
export const S6_MISSING: string | null = probe();

export function warnS6Missing(suite: string): void {
  if (!S6_MISSING) return;
  const bar = '!'.repeat(78);
  // Straight to stderr: jest shows no console output of a suite whose every test is skipped.
  process.stderr.write(`\n${bar}\n!! ${suite}: SKIPPED — ${S6_MISSING}\n${bar}\n`);
}

/** Both engines, for tests run against each: `missing` says why one cannot run here (s6 not installed). */
export const ENGINE_KINDS: readonly { kind: EngineKind; missing: string | null }[] = [
  { kind: 'embedded', missing: null },
  { kind: 's6', missing: S6_MISSING },
];
