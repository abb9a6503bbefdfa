import fs from 'node:fs';
import path from 'node:path';
import { CliError, flagString, write, type Command } from '../command.js';
import { parseHcl } from '../../lang/hcl/parser.js';
import { compileFiles } from '../../lang/compile/compile-files.js';
import { hasErrors } from '../../lang/diagnostic.js';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../../lang/compile/graph.js';

// `rcform graph`: compile the tree in memory and print its dependency graph. The rendering is the
// pure lang/compile/graph.ts, so the same tree always prints the same text.

export const graphCommand: Command = {
  name: 'graph',
  readOnly: true,
  summary: 'Print the dependency graph of a source tree as Graphviz DOT or Mermaid',
  description: `Edges point from a service to what it needs (app -> db). Longruns are boxes, oneshots
ellipses, bundles folders with dashed edges to their contents; a pipeline is a dotted edge from
producer to consumer; down longruns are dashed, essential services bold. Output is in name
order, so it diffs cleanly.

  rcform graph examples/web-stack | dot -Tsvg > web-stack.svg
  rcform graph --format mermaid`,
  args: [{ name: 'DIR', optional: true }],
  flags: [{ name: 'format', type: 'string', valueName: 'dot|mermaid', default: 'dot', description: 'Output format' }],
  async run(ctx) {
    const format = flagString(ctx, 'format') ?? 'dot';
    if (!GRAPH_FORMATS.includes(format as GraphFormat)) throw new CliError(`--format takes dot or mermaid, not "${format}"`);
    const shown = ctx.positionals[0] ?? '.';
    const dir = path.resolve(ctx.io.cwd, shown);
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((f) => f.endsWith('.hcl')).sort();
    } catch {
      throw new CliError(`cannot read directory ${shown}`);
    }
    if (names.length === 0) throw new CliError(`no .hcl files in ${shown}`);
    const parsed = names.map((n) => parseHcl(fs.readFileSync(path.join(dir, n), 'utf8'), path.join(shown, n)));
    const parseDiags = parsed.flatMap((p) => p.diagnostics);
    const result = hasErrors(parseDiags) ? { diagnostics: parseDiags, db: undefined } : compileFiles(parsed.map((p) => p.file));
    const diags = [...(hasErrors(parseDiags) ? [] : parseDiags), ...result.diagnostics];
    for (const d of diags) {
      const at = d.subject ? `${d.subject.filename}:${d.subject.start.line},${d.subject.start.column}: ` : '';
      write(ctx.io.stderr, `${d.severity === 'error' ? 'Error' : 'Warning'}: ${at}${d.summary}${d.detail ? ` — ${d.detail}` : ''}`);
    }
    if (!result.db) return 1;
    ctx.io.stdout.write(renderGraph(result.db, format as GraphFormat));
    return 0;
  },
};
