import { expect } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { LaunchSpec } from '../../engine/embedded/spawner.js';

// What either launcher must do for a service with `user` and `group` (checked as root, the only
// one who can switch accounts): run it with that uid and gid and no supplementary groups (as
// Node's spawn() does), after opening its descriptors as the supervisor, so that a file the
// account cannot open (a script in a private directory) still reaches it by descriptor.

export const NOBODY = 65534;

/**
 * Runs fn with a supplementary group (4, adm) added to this process's, so that a launcher which
 * let its own groups through to the service would be seen doing it; restores them after.
 */
export function withExtraGroup<T>(fn: () => T): T {
  const before = process.getgroups?.() ?? [];
  process.setgroups?.([...new Set([...before, 4])]);
  try {
    return fn();
  } finally {
    process.setgroups?.(before);
  }
}

export function accountProbe(dir: string): { spec: Partial<LaunchSpec> & { args: string[] }; check(): void } {
  const secret = path.join(dir, 'private', 'secret');
  fs.mkdirSync(path.dirname(secret), { mode: 0o700 });
  fs.writeFileSync(secret, 'handed over\n', { mode: 0o600 });
  const out = path.join(dir, 'as-nobody.log');
  return {
    spec: {
      uid: NOBODY,
      gid: NOBODY,
      args: ['-c', `id -u; id -g; id -G; cat <&3; cat ${secret} 2>/dev/null || echo denied`],
      stdio: [{ kind: 'r', path: '/dev/null' }, { kind: 'a', path: out }, { kind: 'a', path: out }, { kind: 'r', path: secret }],
    },
    check(): void {
      expect(fs.readFileSync(out, 'utf8').split('\n')).toEqual([String(NOBODY), String(NOBODY), String(NOBODY), 'handed over', 'denied', '']);
    },
  };
}
