import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceStatus } from '../../engine/engine.js';
import type { EngineKind } from '../../state/state-types.js';
import { runProcess, type CliResult } from './cli-harness.js';
import { alive, killGroups } from './engine-harness.js';

// An operator at a terminal: the real CLI run in a directory of its own (the HCL in src/), with a
// live directory of its own on one engine, and every pid `status` ever showed remembered so that
// teardown leaves no process behind whatever a scenario did.

export interface CliOperator {
  kind: EngineKind;
  /** The working directory of every command; the HCL lives in src/. */
  root: string;
  live: string;
  pids: Set<number>;
  rc(args: string[]): CliResult;
  status(): Record<string, ServiceStatus>;
}

/** A fresh directory under the system's temp dir, named with `prefix`. */
export function cliOperator(kind: EngineKind, prefix: string): CliOperator {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const live = path.join(root, 'live');
  fs.mkdirSync(path.join(root, 'src'));
  const pids = new Set<number>();
  const rc = (args: string[]): CliResult => runProcess(args, { cwd: root, env: { RCFORM_LIVE: live, CI: 'true' }, timeoutMs: 180_000 });
  return {
    kind,
    root,
    live,
    pids,
    rc,
    status() {
      const r = rc(['status', '--json']);
      if (r.code !== 0) throw new Error(`status: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      const out: Record<string, ServiceStatus> = {};
      for (const s of (JSON.parse(r.stdout) as { services: ServiceStatus[] }).services) {
        out[s.name] = s;
        if (s.pid) pids.add(s.pid);
      }
      return out;
    },
  };
}

/** Every process a scenario started is gone when it ends, whatever it left behind, and so is its directory. */
export function endCliOperator(o: CliOperator): void {
  try {
    o.status();
  } catch {
    // the engine may be gone already
  }
  o.rc(['supervise', '--stop']);
  killGroups([...o.pids].filter(alive));
  fs.rmSync(o.root, { recursive: true, force: true });
}
