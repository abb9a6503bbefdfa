import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { EmbeddedEngine } from '../../engine/embedded/client.js';
import type { ServiceStatus } from '../../engine/engine.js';
import { startEngine } from '../../engine/open-engine.js';
import { createStateFile, newState } from '../../state/state-file.js';
import { buildDb, type ServiceSpec } from './compiled-fixture.js';
import { runProcess, type CliResult } from './cli-harness.js';
import { alive, killGroups } from './engine-harness.js';

// A real live directory with a real embedded supervisor, for apply's end-to-end tests, and
// compiled databases whose hashes change with their definitions (as the compiler's do).

export interface LiveFixture {
  root: string;
  live: string;
  rc(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): CliResult;
  writeDb(name: string, specs: Record<string, ServiceSpec>, moved?: { from: string; to: string }[]): string;
  status(): Promise<Record<string, ServiceStatus>>;
  close(): Promise<void>;
}

export async function liveFixture(): Promise<LiveFixture> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-apply-'));
  const live = path.join(root, 'live');
  fs.mkdirSync(live, { mode: 0o700 });
  createStateFile(live, newState({ kind: 'embedded' }));
  await startEngine(live, { kind: 'embedded' });
  const pids = new Set<number>();
  const fixture: LiveFixture = {
    root,
    live,
    rc: (args, opts = {}) => runProcess([...args], { cwd: root, env: { RCFORM_LIVE: live, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}), timeoutMs: opts.timeoutMs ?? 60_000 }),
    writeDb(name, specs, moved = []) {
      const file = path.join(root, name);
      fs.writeFileSync(file, JSON.stringify(hashed(buildDb(specs, {}, moved)), null, 2));
      return file;
    },
    async status() {
      const e = await EmbeddedEngine.connect(live);
      try {
        const st = await e.status();
        for (const s of Object.values(st)) if (s.pid) pids.add(s.pid);
        return st;
      } finally {
        await e.close();
      }
    },
    async close() {
      try {
        await fixture.status();
        const e = await EmbeddedEngine.connect(live);
        await e.shutdown().catch(() => undefined);
        await e.close();
      } catch {
        // already gone
      }
      killGroups([...pids].filter(alive));
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return fixture;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Definition hashes over the definition itself, so an edit is a change, as with the real compiler. */
export function hashed(db: CompiledDb): CompiledDb {
  for (const s of Object.values(db.services)) {
    const { definition_hash: _h, reverse_dependencies: _r, rank: _k, ...def } = s;
    s.definition_hash = sha(JSON.stringify(def));
  }
  db.hash = sha(JSON.stringify({ ...db, hash: undefined }));
  return db;
}

export function readJsonLines(dir: string): string {
  return fs
    .readdirSync(dir)
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}
