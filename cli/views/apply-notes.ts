import type { ApplyNote } from '../../operation/apply.js';

// What an apply notes besides its steps, as the operator reads it on stderr.

export function applyNoteText(note: ApplyNote): string {
  switch (note.type) {
    case 'state_write_failed':
      return `Warning: could not update state.json: ${note.message}`;
    case 'oneshot_recovered': {
      const e = note.entry;
      const what = e.found === 'running' ? `was still running (process group ${e.pid}): killed` : e.found === 'ended' ? 'had ended, with an outcome nobody saw' : 'left no process to look for';
      return `Note: ${note.address}: its ${e.direction} was cut off by a crash of apply ${e.interrupted_apply} and ${what}; it may have run partly, and runs again if the plan says so`;
    }
  }
}
