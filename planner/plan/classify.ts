import { durationText } from '../../lang/compile/duration.js';
import { redactPaths } from '../../lang/redact.js';
import { changedPaths, topField } from '../changed-paths.js';
import type { ActionReason, ChangeAction, PlanOptions } from '../plan-types.js';
import type { Entry } from './entries.js';

// What each service's change is, from the two definitions, the `lifecycle` annotation, `down`,
// what the engine reports and the operator's holds; and the actions that change takes.

/** Fields whose change needs no process change: the new values apply from the next start. */
const IN_PLACE = new Set(['description', 'essential', 'dependencies', 'timeouts', 'lifecycle', 'down', 'reload_signal']);
/** A oneshot's `down` command only runs when it goes down: changing it needs no re-run of `up`. */
const ONESHOT_IN_PLACE = new Set(['description', 'essential', 'dependencies', 'timeouts', 'down']);

export function classify(
  e: Entry,
  opts: PlanOptions,
  replaceNames: ReadonlySet<string>,
  neededBy: ReadonlyMap<string, string>,
  holds: ReadonlyMap<string, { state: 'up' | 'down'; requested: string }>,
): void {
  const { before, after } = e;
  if (!before && after) {
    e.mode = 'install';
    e.reasons.push({ code: 'new', text: e.afterUp ? 'it is new' : 'it is new (down = true)' });
    return;
  }
  if (before && !after) {
    e.mode = 'remove';
    e.reasons.push(opts.destroy ? { code: 'destroy', text: 'destroy was requested' } : { code: 'gone', text: 'it is no longer in the source' });
    return;
  }
  if (!before || !after) return;
  if (before.type !== after.type) {
    e.mode = 'type';
    e.changed = ['type'];
    e.restartPaths = ['type'];
    e.reasons.push({ code: 'type_changed', text: `its type changed from ${before.type} to ${after.type}` });
    return;
  }
  if (e.absent) {
    e.mode = 'reinstall';
    e.changed = changedPaths(before, after);
    e.reasons.push({ code: 'drift', text: 'the engine does not know it' });
    return;
  }

  e.changed = changedPaths(before, after);
  const inPlace = after.type === 'oneshot' ? ONESHOT_IN_PLACE : IN_PLACE;
  const needsProcess = e.changed.filter((p) => !inPlace.has(topField(p)));
  const renamed = e.oldName !== e.newName;

  if (replaceNames.has(after.name) && e.runningBefore && e.afterUp) {
    e.mode = 'restart';
    e.reasons.push({ code: 'replace_requested', text: 'its replacement was requested (--replace)' });
  } else if (needsProcess.length > 0) {
    // Paths name map keys, and a key can come from a sensitive value.
    const hidden = [...before.sensitive_paths, ...after.sensitive_paths];
    const list = redactPaths(needsProcess, hidden).join(', ');
    if (after.type === 'longrun') {
      const onChange = after.lifecycle?.on_change ?? 'restart';
      const dataOnly = needsProcess.every((p) => topField(p) === 'data');
      if (onChange === 'ignore') {
        e.mode = 'update';
        e.reasons.push({ code: 'lifecycle_ignore', text: `${list} changed and lifecycle.on_change is "ignore"` });
      } else if (onChange === 'reload') {
        e.mode = e.runningBefore && e.afterUp ? 'reload' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'lifecycle_reload', text: `${list} changed and lifecycle.on_change is "reload"` });
      } else if (dataOnly && after.reload_signal) {
        e.mode = e.runningBefore && e.afterUp ? 'reload' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'data_reload', text: `${list} changed and reload_signal is ${after.reload_signal}` });
      } else {
        e.mode = e.runningBefore && e.afterUp ? 'restart' : 'update';
        e.restartPaths = needsProcess;
        e.reasons.push({ code: 'definition_changed', text: `${list} changed` });
      }
    } else {
      e.mode = e.runningBefore && e.afterUp ? 'restart' : 'update';
      e.restartPaths = needsProcess;
      e.reasons.push({ code: 'definition_changed', text: `${list} changed` });
    }
  } else if (e.changed.length > 0) {
    e.mode = 'update';
    const listed = redactPaths(e.changed.filter((p) => p !== 'down'), [...before.sensitive_paths, ...after.sensitive_paths]);
    e.reasons.push(
      listed.length > 0
        ? { code: 'in_place_fields', text: `${listed.join(', ')} changed, which needs no restart` }
        : { code: 'down_flipped', text: `down changed to ${(after as { down?: unknown }).down}` },
    );
  }

  // Whether it runs: `down` flipped, drift corrected, or needed (or no longer) by a dependent.
  if (e.runningBefore !== e.afterUp && e.mode !== 'restart') {
    let r: { code: ActionReason; text: string };
    const hold = holds.get(after.name);
    if (e.drift && e.recordedUp === e.afterUp) {
      r = { code: 'drift', text: `${e.drift.detail}` };
    } else if (hold && (hold.state === 'up') === e.afterUp) {
      r = { code: 'operator_hold', text: `rcform ${hold.state} ${hold.requested} holds it ${hold.state}` };
    } else if (before.type === 'longrun' && after.type === 'longrun' && before.down !== after.down) {
      r = { code: 'down_flipped', text: `down changed to ${after.down}` };
    } else if (e.afterUp && neededBy.has(after.name)) {
      r = { code: 'needed_by_dependent', text: `${after.name} is down = true, but ${neededBy.get(after.name)} needs it` };
    } else if (e.afterUp) {
      // Installed and recorded down, as an apply that failed or was interrupted before its start leaves it.
      r = { code: 'not_running', text: 'it is installed but not running' };
    } else {
      r = { code: 'needed_by_dependent', text: 'it is down = true and nothing that stays up needs it' };
    }
    if (r.code === 'down_flipped') e.reasons = e.reasons.filter((x) => x.code !== 'down_flipped');
    e.reasons.unshift(r);
  }
  if (e.partialRun && (e.after ?? e.before)?.type === 'oneshot') {
    // Said wherever it applies, in every view: oneshots run at least once across a crash, never
    // at most once, so their commands must bear being run again over a partial run.
    const p = e.partialRun;
    const again = p.direction === 'up' ? e.afterUp && !e.runningBefore : !e.afterUp && e.runningBefore;
    e.reasons = e.reasons.filter((r) => r.code !== 'not_running');
    e.reasons.unshift({
      code: 'interrupted_run',
      text: `its ${p.direction} (${p.step_id}) was cut off by a crash of apply ${p.apply_id} at ${p.since}, so it may have run partly${
        again ? `; oneshots run at least once across a crash: apply stops what is left of that run, then runs ${p.direction} again` : ''
      }`,
    });
  }
  if (waitsForReadiness(e)) {
    // s6-rc after a crash runs the start again: it waits for readiness within timeout-up, and
    // does not kill a process that may only be slow to get ready (a database replaying its log).
    // `--replace` restarts it instead, for an operator who knows it is stuck.
    const up = after.timeouts.up_ms;
    const limit = up > 0 ? `within timeout_up (${durationText(up)})` : 'with no limit (timeout_up is not set)';
    e.reasons.unshift({
      code: 'not_ready',
      text: `${e.startIncomplete ? 'its start did not complete: ' : ''}it is starting but not ready; apply waits for its readiness ${limit}`,
    });
  }
  if (renamed) e.reasons.push({ code: 'moved', text: `a moved block renames ${e.oldName} to ${e.newName}` });
}

/** A service left starting and not ready, which stays up and is not restarted: apply waits for it. */
export function waitsForReadiness(e: Entry): boolean {
  return e.notReady && e.runningBefore && e.afterUp && (e.mode === 'none' || e.mode === 'update' || e.mode === 'reload');
}

export function stopsAndStartsAgain(e: Entry): boolean {
  return e.mode === 'restart' || (e.mode === 'type' && e.runningBefore && e.afterUp) || (e.mode === 'reinstall' && e.afterUp);
}

export function actionsOf(e: Entry): ChangeAction[] {
  const renamed = e.oldName !== undefined && e.newName !== undefined && e.oldName !== e.newName;
  const a: ChangeAction[] = [];
  switch (e.mode) {
    case 'install':
      return e.afterUp ? ['install', 'start'] : ['install'];
    case 'remove':
      return e.runningBefore ? ['stop', 'remove'] : ['remove'];
    case 'type':
      if (e.runningBefore) a.push('stop');
      a.push('remove', 'install');
      if (e.afterUp) a.push('start');
      return a;
    case 'reinstall':
      return e.afterUp ? ['install', 'start'] : ['install'];
    default:
  }
  if (renamed) a.push('rename');
  if (e.mode === 'restart') a.push('restart');
  else if (e.mode === 'reload') a.push('reload');
  else {
    if (e.mode === 'update') a.push('update');
    if (e.runningBefore && !e.afterUp) a.push('stop');
    if (!e.runningBefore && e.afterUp) a.push('start');
  }
  if (waitsForReadiness(e)) a.push('start');
  return a;
}

export function reasonText(e: Entry): string {
  return e.reasons.map((r) => r.text).join('; ');
}

