import type { JournalRecord, ServiceChange } from './journal-types.js';
import type { ServiceState, State } from './state-types.js';

// Folding the journal into state: pure, so apply can call it at the end and at intervals, and
// recovery after a crash can call it with whatever the journal holds. Applying the same records
// twice is harmless: records at or below the state's journal_seq are skipped.

export function foldJournal(state: State, records: readonly JournalRecord[]): State {
  const since = state.journal_seq ?? 0;
  const todo = records.filter((r) => r.seq > since).sort((a, b) => a.seq - b.seq);
  if (todo.length === 0) return state;
  let services: Record<string, ServiceState> | undefined;
  let compiledHash = state.compiled_hash;
  for (const rec of todo) {
    if (rec.type === 'step-end' || rec.type === 'refresh') {
      const change = rec.type === 'refresh' || rec.outcome === 'ok' ? rec.change : undefined;
      if (change) {
        services ??= { ...state.services };
        applyChange(services, rec.service, change);
      }
      // The run's end was seen, whatever it was: not partial any more.
      const run = (services ?? state.services)[rec.service]?.partial_run;
      if (rec.type === 'step-end' && run && run.step_id === rec.step_id && run.apply_id === rec.apply_id) {
        services ??= { ...state.services };
        const { partial_run: _, ...rest } = services[rec.service] as ServiceState;
        services[rec.service] = rest;
      }
    } else if (rec.type === 'step-start' && (rec.action === 'oneshot_up' || rec.action === 'oneshot_down')) {
      services ??= { ...state.services };
      const entry = services[rec.service];
      if (entry) services[rec.service] = { ...entry, partial_run: { direction: rec.action === 'oneshot_up' ? 'up' : 'down', apply_id: rec.apply_id, step_id: rec.step_id, since: rec.time } };
    } else if (rec.type === 'oneshot-spawned' || rec.type === 'oneshot-recovered') {
      services ??= { ...state.services };
      const entry = services[rec.service];
      const run = entry?.partial_run;
      if (entry && run && run.step_id === rec.step_id && run.apply_id === (rec.type === 'oneshot-spawned' ? rec.apply_id : rec.interrupted_apply)) {
        services[rec.service] =
          rec.type === 'oneshot-spawned'
            ? { ...entry, partial_run: { ...run, pid: rec.pid, ...(rec.starttime !== undefined ? { starttime: rec.starttime } : {}) } }
            : { ...entry, partial_run: { ...run, found: rec.found } };
      }
    } else if (rec.type === 'apply-end' && rec.outcome === 'ok' && rec.compiled_hash !== undefined) {
      compiledHash = rec.compiled_hash;
    }
  }
  return {
    ...state,
    services: services ?? state.services,
    compiled_hash: compiledHash,
    journal_seq: (todo.at(-1) as JournalRecord).seq,
  };
}

function applyChange(services: Record<string, ServiceState>, name: string, change: ServiceChange): void {
  switch (change.op) {
    case 'put': {
      // A definition change does not change what runs: keep the latest observation unless the
      // record brings its own (an observe record folded earlier is newer than the step's base).
      const prev = services[name]?.observed;
      services[name] = change.entry.observed || !prev ? change.entry : { ...change.entry, observed: prev };
      return;
    }
    case 'remove':
      delete services[name];
      return;
    case 'rename': {
      const entry = change.entry ?? services[name];
      delete services[name];
      if (entry) services[change.to] = entry;
      return;
    }
    case 'observe': {
      const entry = services[name];
      // A service not in state (a stop of something already forgotten) has nothing to record.
      if (!entry) return;
      services[name] = { ...entry, observed: change.observed, ...(change.desired ? { desired: change.desired } : {}) };
      return;
    }
  }
}
