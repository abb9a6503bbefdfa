import { CliError, flagBool, write, type Command } from '../command.js';
import { readCompiledDb } from '../compiled-db-file.js';
import { JSON_FLAG, LIVE_FLAG, liveDirOf } from '../live-flags.js';
import { engineStartHint, openEngine } from '../../engine/open-engine.js';
import { EngineNotRunningError, type ServiceStatus } from '../../engine/engine.js';
import { engineConfigOf } from '../engine-config.js';
import { renderStatus, type StatusRow } from '../views/status-view.js';
import type { CompiledDb } from '../../lang/compile/compiled-db.js';
import { didYouMean } from '../../lang/eval/suggest.js';
import { resolveAddress } from '../../planner/plan/addresses.js';
import { LiveDir } from '../../state/live-dir.js';
import type { State } from '../../state/state-types.js';
import type { FormatVersion } from '../../lang/format-version.js';
import { RUN_STATES } from '../../state/run-state.js';

/** The version of `status --json`'s output. */
export const STATUS_FORMAT_VERSION = '1' satisfies FormatVersion;

export const statusCommand: Command = {
  name: 'status',
  readOnly: true,
  summary: 'Show what the engine is running: per service wanted state, state, pid, restarts, holds',
  description: [
    'Asks the live directory\'s engine (not state.json) for every service it knows: what it wants',
    `(up or down), what the service is (${RUN_STATES.join(', ')}), its pid, since`,
    'when, how many times it was restarted, how it last exited, and whether a restarted supervisor',
    'adopted it. A oneshot whose last run failed is listed as failed, with its error (oneshots run in',
    'the applying process, so the engine only knows the ones that succeeded). Operator holds',
    '(rcform up / down) are shown beside. With ADDRESS..., only those services (a service, its',
    'address, a for_each block or a bundle of the database last applied). Does not start a',
    'supervisor that is not running.',
  ].join('\n'),
  args: [{ name: 'ADDRESS', optional: true, variadic: true }],
  flags: [LIVE_FLAG, JSON_FLAG],
  async run(ctx) {
    const liveDir = liveDirOf(ctx);
    const config = engineConfigOf(liveDir);
    const state = currentState(liveDir);
    let engine;
    try {
      engine = await openEngine(liveDir, config);
    } catch (err) {
      if (err instanceof EngineNotRunningError) throw new CliError(`${err.message}; ${engineStartHint(liveDir, config)}`);
      throw err;
    }
    let status: Record<string, ServiceStatus>;
    try {
      status = await engine.status();
    } finally {
      await engine.close();
    }
    let rows = rowsOf(status, state, liveDir);
    if (ctx.positionals.length > 0) rows = filterRows(rows, ctx.positionals, state, liveDb(liveDir));
    if (flagBool(ctx, 'json')) {
      const services = rows.sort((a, b) => (a.name < b.name ? -1 : 1));
      write(ctx.io.stdout, JSON.stringify({ format_version: STATUS_FORMAT_VERSION, engine: config.kind, services }, null, 2));
    } else ctx.io.stdout.write(renderStatus(rows, new Date(), ctx.positionals.length > 0));
    return 0;
  },
};

/** state.json with the journal folded in (in memory), or null when there is none to read. */
function currentState(liveDir: string): State | null {
  try {
    return new LiveDir(liveDir).current().state;
  } catch {
    return null;
  }
}

function liveDb(liveDir: string): CompiledDb | null {
  const live = new LiveDir(liveDir);
  try {
    return live.hasCompiled() ? readCompiledDb(live.layout.compiled) : null;
  } catch {
    return null;
  }
}

/**
 * The engine's answer, with what only the live directory knows: holds, and oneshots whose last
 * run failed (the engine records a oneshot only once it succeeded), found in the journal.
 */
function rowsOf(status: Record<string, ServiceStatus>, state: State | null, liveDir: string): StatusRow[] {
  const rows: StatusRow[] = Object.values(status).map((s) => ({ ...s }));
  if (!state) return rows;
  const byName = new Map(rows.map((r) => [r.name, r]));
  const lastOneshotUp = new Map<string, { time: string; outcome: string; error?: string }>();
  for (const rec of new LiveDir(liveDir).readJournal().records) {
    if (rec.type === 'step-end' && rec.action === 'oneshot_up') lastOneshotUp.set(rec.service, { time: rec.time, outcome: rec.outcome, ...(rec.error ? { error: rec.error } : {}) });
  }
  for (const [name, ss] of Object.entries(state.services)) {
    if (ss.type !== 'oneshot' || byName.get(name)?.state === 'up') continue;
    const last = lastOneshotUp.get(name);
    if (!last || last.outcome !== 'failed') continue;
    const row: StatusRow = { name, type: 'oneshot', wanted: 'up', state: 'failed', since: last.time, restarts: 0, ...(last.error ? { error: last.error } : {}) };
    byName.set(name, row);
    const i = rows.findIndex((r) => r.name === name);
    if (i >= 0) rows[i] = row;
    else rows.push(row);
  }
  for (const [name, h] of Object.entries(state.holds ?? {})) {
    const row = byName.get(name);
    if (row) row.hold = h;
  }
  return rows;
}

function filterRows(rows: StatusRow[], addresses: readonly string[], state: State | null, db: CompiledDb | null): StatusRow[] {
  const wanted = new Set<string>();
  const known = new Set<string>(rows.map((r) => r.name));
  for (const addr of addresses) {
    const hit = new Set(resolveAddress(addr, db, {}, state?.services ?? {}));
    if (known.has(addr)) hit.add(addr);
    if (hit.size === 0) {
      const names = new Set([...known, ...Object.values(state?.services ?? {}).map((s) => s.address), ...Object.values(db?.bundles ?? {}).map((b) => b.address)]);
      throw new CliError(`${addr}: no service or bundle has this address or name.${didYouMean(addr, names)}`);
    }
    for (const n of hit) wanted.add(n);
  }
  return rows.filter((r) => wanted.has(r.name));
}
