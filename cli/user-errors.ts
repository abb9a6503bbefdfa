import type { UserError } from '../lang/user-error.js';
import { NoDefaultLiveDirError } from '../state/live-dir.js';
import { DefaultLiveDirSymlinkError, LiveDirTrustError } from '../state/live-trust.js';
import { LockHeldByLiveProcessError, LockHeldError, NoLiveDirError } from '../state/lock.js';
import { StateNotFoundError } from '../state/state-file.js';
import { SupervisorProtocolError } from '../engine/embedded/client.js';
import { NotALiveDirPlanError, PreflightError } from '../operation/apply.js';
import { OtherSourceError } from '../operation/plan.js';
import { LiveUnknownError } from '../operation/refresh.js';
import { stepVerb } from './views/apply-words.js';

// The one place a user error becomes what the operator reads: the layer that found it states the
// fact, and this adds which command or flag helps, where one does. cli/run.ts prints it.

export function userErrorText(err: UserError): string {
  if (err instanceof LiveUnknownError) {
    const start = `start it with ${err.start} (it brings back the services that were up)`;
    return err.purpose === 'plan' ? `${err.message}; ${start}, then plan again; or plan from the state alone with --refresh=false` : `${err.message}; ${start}, then plan again; nothing was done`;
  }
  if (err instanceof OtherSourceError) return `${err.message}. Give this project a live directory of its own (--live DIR or RCFORM_LIVE), or pass --allow-other-source to plan it against this one anyway`;
  if (err instanceof NotALiveDirPlanError) return `${err.message}: it can be reviewed with "rcform show", not applied`;
  // The step as a person names it (apply's views say "up", not "oneshot_up").
  if (err instanceof PreflightError) return `nothing was started: ${err.problems.map((p) => `${p.address} (step ${stepVerb(p.step)}): ${p.problem}`).join('; ')}`;
  if (err instanceof NoLiveDirError) return `${err.message}; run "rcform init --live ${err.dir}" first`;
  if (err instanceof StateNotFoundError) return `${err.message}; run "rcform init --live ${err.liveDir}" first`;
  if (err instanceof DefaultLiveDirSymlinkError) return `refusing the live directory: ${err.message}: remove it, or give the directory with --live`;
  if (err instanceof LiveDirTrustError) return `refusing the live directory: ${err.message}`;
  if (err instanceof NoDefaultLiveDirError) return `${err.message}; give one with --live DIR or RCFORM_LIVE`;
  if (err instanceof LockHeldError) return `${err.message}\nWait for it to finish, or retry with --lock-timeout=DURATION to wait for it.`;
  if (err instanceof LockHeldByLiveProcessError) {
    return `${err.message}\nIts lock ends with it: stop that operation (Ctrl-C where it runs, or kill ${err.info.PID}), or wait for it, with --lock-timeout=DURATION on the next command.`;
  }
  if (err instanceof SupervisorProtocolError) {
    // Not "rcform supervise --stop": that asks over the very protocol the two do not share.
    return `${err.message}\nRestart it with this rcform: stop it with "kill ${err.pid ?? '<its pid, in ' + err.liveDir + '/engine/supervisor.pid>'}" (SIGTERM: its clean stop, every service goes down), then "rcform init --live ${err.liveDir}" starts this version's supervisor, which brings back the services that were up.`;
  }
  return err.message;
}
