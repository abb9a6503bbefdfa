import { readJournal, type JournalProblem } from './journal.js';
import { foldJournal } from './journal-fold.js';
import { readState, writeState } from './state-file.js';
import type { State } from './state-types.js';

// After a crash, state.json lags behind the journal by whatever the dead apply did since its last
// fold. Call with the lock held, before planning or applying: it brings state.json up to date.

export interface Recovered {
  state: State;
  /** Records folded in now (0 when state.json was already up to date). */
  folded: number;
  /** Torn or unreadable journal lines, for the operator. */
  problems: JournalProblem[];
}

export function recoverState(liveDir: string): Recovered {
  const state = readState(liveDir);
  const { records, problems } = readJournal(liveDir, state.journal_seq ?? 0);
  if (records.length === 0) return { state, folded: 0, problems };
  const written = writeState(liveDir, foldJournal(state, records));
  return { state: written, folded: records.length, problems };
}
