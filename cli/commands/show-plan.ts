import path from 'node:path';
import { CliError, flagBool, write, type Command } from '../command.js';
import { LIVE_FLAG } from '../live-flags.js';
import { renderPlan, VIEW_FLAGS } from '../plan-flags.js';
import { readPlanFile } from '../plan-file-io.js';

// `rcform show PLANFILE`: a saved plan rendered without the source or the live directory — what a
// reviewer or an approval step reads before `rcform apply PLANFILE`. The file's checksum is
// verified first, so what is shown is what apply will execute.

export const showPlanCommand: Command = {
  name: 'show',
  readOnly: true,
  summary: 'Show a saved plan file, or without one the database that is live',
  description: `Renders a plan file as the human plan, --json (schemas/plan.schema.json) or --markdown.
The file is refused if it was altered after it was written. Without PLANFILE, shows the compiled
database live in the live directory (--live, else $RCFORM_LIVE, else the default), as
"rcform show compiled" does with no FILE; for any compiled database, "rcform show compiled FILE".`,
  args: [{ name: 'PLANFILE', optional: true }],
  flags: [...VIEW_FLAGS, LIVE_FLAG],
  async run(ctx) {
    const file = ctx.positionals[0];
    if (file === undefined) {
      if (flagBool(ctx, 'markdown')) throw new CliError('--markdown renders a plan: give a PLANFILE');
      const { showCompiledCommand } = await import('./show-compiled.js');
      return showCompiledCommand.run({ ...ctx, flags: { json: flagBool(ctx, 'json'), ...(ctx.flags['live'] !== undefined ? { live: ctx.flags['live'] } : {}) } });
    }
    const pf = readPlanFile(path.resolve(ctx.io.cwd, file));
    const text = renderPlan(ctx, pf.plan);
    ctx.io.stdout.write(text);
    if (!flagBool(ctx, 'json') && !flagBool(ctx, 'markdown')) {
      const live = pf.live.source === 'live-dir' ? `live directory ${pf.live.live_dir}` : `${pf.live.source === 'state-file' ? 'state file' : 'compiled database'} ${pf.live.file}`;
      write(ctx.io.stdout, `\nPlanned ${pf.created_at} by rcform ${pf.rcform_version} against ${live} (lineage ${pf.live.lineage}, serial ${pf.live.serial}).`);
    }
    return 0;
  },
};
