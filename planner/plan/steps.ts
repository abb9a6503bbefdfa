import type { CompiledService } from '../../lang/compile/compiled-db.js';
import type { PlanStep, StepAction } from '../plan-types.js';
import type { StepGraph } from '../step-graph.js';
import { waitsForReadiness } from './classify.js';
import type { Entry } from './entries.js';
import { walk } from './graph.js';

/** Each service's steps, chained in the order they run; its stop and start steps are noted for the ordering edges. */
export class StepsOf {
  readonly stopStepOfOld = new Map<string, string>();
  readonly startStepOfNew = new Map<string, string>();

  constructor(readonly graph: StepGraph) {}

  add(e: Entry, stopping: boolean, reason: string): void {
    const { graph, stopStepOfOld, startStepOfNew } = this;
    const before = e.before;
    const after = e.after;
    const chain: string[] = [];
    const step = (action: StepAction, svc: CompiledService, extra: Partial<PlanStep> = {}): void => {
      const timeout =
        action === 'stop' || action === 'oneshot_down' ? svc.timeouts.down_ms : action === 'start' || action === 'oneshot_up' ? svc.timeouts.up_ms : 0;
      const id = graph.add({ id: `${action}:${svc.name}`, action, service: svc.name, address: svc.address, reason, timeout_ms: timeout, ...extra });
      chain.push(id);
      if (action === 'stop' || action === 'oneshot_down') stopStepOfOld.set(svc.name, id);
      if (action === 'start' || action === 'oneshot_up') startStepOfNew.set(svc.name, id);
    };
    const stopKind = (s: CompiledService): StepAction => (s.type === 'oneshot' ? 'oneshot_down' : 'stop');
    const startKind = (s: CompiledService): StepAction => (s.type === 'oneshot' ? 'oneshot_up' : 'start');
  
    if (stopping && before) step(stopKind(before), before);
    switch (e.mode) {
      case 'remove':
        step('uninstall', before as CompiledService);
        break;
      case 'type':
        step('uninstall', before as CompiledService);
        step('install', after as CompiledService);
        break;
      case 'install':
      case 'reinstall':
        step('install', after as CompiledService);
        break;
      default: {
        if (!after) break;
        const renamed = e.oldName !== e.newName;
        if (renamed) step('rename', after, { from: e.oldName as string });
        else if (e.changed.length > 0) step('update', after);
        if (e.mode === 'reload') step('reload', after);
      }
    }
    if (after && e.afterUp && (!e.runningBefore || stopping || e.mode === 'reinstall' || waitsForReadiness(e))) step(startKind(after), after);
    for (let i = 1; i < chain.length; i++) graph.edge(chain[i - 1] as string, chain[i] as string);
  }

  /**
   * Orders the steps across services. Stops: dependents first, following the graph that is
   * running now. Starts: dependencies first, following the graph being applied.
   */
  order(oldReverse: ReadonlyMap<string, readonly string[]>, newSvcs: Record<string, CompiledService>): void {
    const { graph, stopStepOfOld, startStepOfNew } = this;
    for (const [name, id] of stopStepOfOld) {
      walk(name, (n) => oldReverse.get(n), (n) => {
        const dep = stopStepOfOld.get(n);
        if (dep === undefined) return false;
        graph.edge(dep, id);
        return true;
      });
    }
    for (const [name, id] of startStepOfNew) {
      walk(name, (n) => newSvcs[n]?.dependencies, (n) => {
        const dep = startStepOfNew.get(n);
        if (dep === undefined) return false;
        graph.edge(dep, id);
        return true;
      });
    }
  }
}
