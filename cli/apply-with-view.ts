import { write, type CommandContext } from './command.js';
import { twoStageInterrupt } from './interrupt.js';
import { applyNoteText } from './views/apply-notes.js';
import type { ApplyView } from './views/apply-view.js';
import { applyPlan } from '../operation/apply.js';
import type { ApplyResult } from '../operation/apply-events.js';
import type { PlanFile } from '../planner/plan-file.js';
import type { LiveDir } from '../state/live-dir.js';

// apply, destroy, up and down run the same operation behind one of apply's views.

export interface ViewedApply {
  live: LiveDir;
  planFile: PlanFile;
  checkFresh: boolean;
  parallelism: number;
  /** Answers given with --input; the others are asked at their step, by the view. */
  answers: Map<string, Buffer>;
  compiledJson?: Uint8Array | undefined;
  recordLiveDb?: boolean;
}

/**
 * Runs the apply operation behind a view: its events to the view, its notes to stderr, Ctrl-C as
 * the two-stage interrupt once the steps run. The view is
 * closed (empty) when the apply fails to run; otherwise the caller closes it with a summary.
 */
export async function executeWithView(ctx: CommandContext, view: ApplyView, o: ViewedApply): Promise<ApplyResult> {
  const ctrlC = twoStageInterrupt();
  view.onInterrupt?.(() => ctrlC.press());
  try {
    return await applyPlan({
      live: o.live,
      planFile: o.planFile,
      checkFresh: o.checkFresh,
      parallelism: o.parallelism,
      answer: async (svc, step) => o.answers.get(svc.name) ?? (await view.ask(svc, step)),
      onEvent: (ev) => {
        // Until the steps run, Ctrl-C ends rcform as it ends any command: nothing has started.
        if (ev.type === 'apply_start') ctrlC.arm();
        view.event(ev);
      },
      onNote: (note) => write(ctx.io.stderr, applyNoteText(note)),
      stop: ctrlC.stop,
      interrupt: ctrlC.interrupt,
      ...(o.compiledJson !== undefined ? { compiledJson: o.compiledJson } : {}),
      ...(o.recordLiveDb !== undefined ? { recordLiveDb: o.recordLiveDb } : {}),
    });
  } catch (err) {
    await view.close('');
    throw err;
  } finally {
    ctrlC.dispose();
  }
}
