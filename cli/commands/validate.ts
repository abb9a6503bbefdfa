import { CliError, flagBool, write, type Command } from '../command.js';
import { errorDiag } from '../../lang/diagnostic.js';
import { SOURCE_FLAGS, loadAndCompile } from '../load-source.js';
import { colorFor, renderDiagnostics } from '../views/diagnostics-human.js';
import { validateJson } from '../views/diagnostics-json.js';

// `rcform validate`: everything compile checks, all errors in one run, nothing written.

export const validateCommand: Command = {
  name: 'validate',
  readOnly: true,
  summary: 'Check the service definitions in DIR: syntax, attributes, references, cycles',
  description: `Reads every *.hcl file in DIR (default: the current directory) and reports every problem
at once: syntax errors, unknown or invalid attributes, unknown references, dependency and bundle
cycles, duplicate or invalid names, up services that need a down one, inconsistent pipelines and
moved blocks that make no sense. Unknown users and groups are checked later, by plan and apply.

--json prints the result in the shape of "terraform validate -json".
Exit status: 0 when valid, 1 otherwise.`,
  args: [{ name: 'DIR', optional: true }],
  flags: [{ name: 'json', type: 'boolean', description: 'Print the result as JSON (the shape of terraform validate -json)' }, ...SOURCE_FLAGS],
  async run(ctx) {
    let r: ReturnType<typeof loadAndCompile>;
    try {
      r = loadAndCompile(ctx, undefined, { allowUnsetVariables: true });
    } catch (err) {
      // A JSON consumer (an editor, a CI annotator) reads stdout only and expects its shape
      // whatever went wrong: a missing or empty directory is one more diagnostic, without a range.
      if (!(err instanceof CliError) || !flagBool(ctx, 'json')) throw err;
      write(ctx.io.stdout, JSON.stringify(validateJson([errorDiag(err.message, undefined)], {}), null, 2));
      return 1;
    }
    const errors = r.diagnostics.filter((d) => d.severity === 'error').length;
    if (flagBool(ctx, 'json')) {
      write(ctx.io.stdout, JSON.stringify(validateJson(r.diagnostics, r.sources), null, 2));
      return errors === 0 ? 0 : 1;
    }
    if (r.diagnostics.length) {
      const stream = errors ? ctx.io.stderr : ctx.io.stdout;
      write(stream, renderDiagnostics(r.diagnostics, r.sources, { color: colorFor(ctx.io, stream) }));
    }
    if (errors === 0) {
      const n = r.db ? Object.keys(r.db.services).length + Object.keys(r.db.bundles).length : 0;
      write(ctx.io.stdout, `Success! The configuration is valid (${n} service${n === 1 ? '' : 's'} and bundles).`);
      return 0;
    }
    return 1;
  },
};
