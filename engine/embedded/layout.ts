import path from 'node:path';
import { liveLayout } from '../../state/live-layout.js';

// Where the embedded supervisor keeps things, all under the live directory's engine area
// (docs/engine.md). The whole area is 0700: the socket in it is the supervisor's control plane.

export interface EngineLayout {
  root: string;
  socket: string;
  /** pid and start time of the running supervisor: one supervisor per live directory. */
  pidFile: string;
  /** The detached supervisor's own stdout/stderr. */
  supervisorLog: string;
  services: string;
  logs: string;
  pipes: string;
  oneshots: string;
  /** Which oneshots are up (Engine.setOneshotState). */
  oneshotState: string;
  /** Held open by the supervisor, its helpers and every launch until its exec (launch-guard.ts). */
  launchGuard: string;
  /**
   * The launch records (launch-record.ts): the supervisor's own directory, not the service's,
   * which belongs to the service's account when it has one: a record it could write or replace
   * by a symlink would have root adopt, signal or write where that account chose.
   */
  launches: string;
}

export function engineLayout(liveDir: string): EngineLayout {
  const root = liveLayout(liveDir).engine;
  return {
    root,
    socket: path.join(root, 'supervise.sock'),
    pidFile: path.join(root, 'supervisor.pid'),
    supervisorLog: path.join(root, 'supervisor.log'),
    services: path.join(root, 'services'),
    logs: path.join(root, 'logs'),
    pipes: path.join(root, 'pipes'),
    oneshots: path.join(root, 'oneshots'),
    oneshotState: path.join(root, 'oneshots.json'),
    launchGuard: path.join(root, 'launches.fifo'),
    launches: path.join(root, 'launches'),
  };
}

export interface ServicePaths {
  dir: string;
  definition: string;
  /** pid, start time, wanted state, counters: what a restarted supervisor adopts from. */
  status: string;
  data: string;
  /** The envdir of the service's environment (engine/service-files.ts). */
  env: string;
  /** What lock_fd locks, as s6-supervise's supervise/service-lock. */
  lock: string;
  runScript: string;
  finishScript: string;
  /** The last launch of run and of finish, written by the process itself (launch-record.ts). */
  runRecord: string;
  finishRecord: string;
}

export function servicePaths(layout: EngineLayout, name: string): ServicePaths {
  const dir = path.join(layout.services, name);
  return {
    dir,
    definition: path.join(dir, 'definition.json'),
    status: path.join(dir, 'status.json'),
    data: path.join(dir, 'data'),
    env: path.join(dir, 'env'),
    lock: path.join(dir, 'service-lock'),
    runScript: path.join(dir, 'run'),
    finishScript: path.join(dir, 'finish'),
    runRecord: path.join(layout.launches, `${name}.run`),
    finishRecord: path.join(layout.launches, `${name}.finish`),
  };
}

export function logDir(layout: EngineLayout, name: string): string {
  return path.join(layout.logs, name);
}

export function currentLog(layout: EngineLayout, name: string): string {
  return path.join(layout.logs, name, 'current');
}

/** The FIFO a consumer reads its producers' output from. */
export function pipePath(layout: EngineLayout, consumer: string): string {
  return path.join(layout.pipes, `${consumer}.fifo`);
}
