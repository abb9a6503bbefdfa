import type { CompiledService } from '../../lang/compile/compiled-db.js';
import { objectDiag, type Diagnostic } from '../../lang/diagnostic.js';
import type { ActionReason, ChangeAction, ResourceChange } from '../plan-types.js';
import { reasonText } from './classify.js';
import type { Entry } from './entries.js';

/** Whether the entry's service runs now and is stopped by the plan, for a while or for good. */
export function stops(e: Entry): boolean {
  return e.runningBefore && (!e.afterUp || e.mode === 'restart' || e.mode === 'remove' || e.mode === 'type');
}

/** An essential service the plan would stop or restart, unless --allow-essential: s6-rc's `essential` flag. */
export function essentialRefusal(e: Entry, allowEssential: boolean): Diagnostic | null {
  const def = e.before as CompiledService;
  if (!def.essential || allowEssential) return null;
  const verb = e.mode === 'restart' ? 'restart' : 'stop';
  return objectDiag(`${def.address} is essential: this plan would ${verb} it (${reasonText(e)}); use --allow-essential to allow it`, { service: def.address });
}

export function resourceChange(e: Entry, actions: ChangeAction[]): ResourceChange {
  const first = e.reasons[0] as { code: ActionReason; text: string };
  const change: ResourceChange = {
    address: (e.after ?? e.before)?.address as string,
    name: e.key,
    type: (e.after ?? e.before)?.type as 'longrun' | 'oneshot',
    actions,
    action_reason: first.code,
    reason: reasonText(e),
    before: e.before,
    after: e.after,
    before_state: e.before ? (e.runningBefore ? 'up' : 'down') : null,
    after_state: e.after ? (e.afterUp ? 'up' : 'down') : null,
    changed_paths: e.changed,
    restart_paths: e.restartPaths,
  };
  if (e.oldName !== undefined && e.newName !== undefined && e.oldName !== e.newName) {
    change.previous_name = e.oldName;
    change.previous_address = (e.before as CompiledService).address;
  }
  if (e.causedBy) change.caused_by = e.causedBy;
  return change;
}
