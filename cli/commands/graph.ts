import { CliError, flagString, write, type Command } from '../command.js';
import { SOURCE_FLAGS, loadAndCompile } from '../load-source.js';
import { colorFor, renderDiagnostics } from '../views/diagnostics-human.js';
import { GRAPH_FORMATS, renderGraph, type GraphFormat } from '../../lang/compile/graph.js';

// `rcform graph`: compile the tree in memory and print its dependency graph. The rendering is the
// pure lang/compile/graph.ts, so the same tree always prints the same text. The tree is read as
// validate reads it (variables, diagnostics with snippets): a tree that validates also graphs.

export const graphCommand: Command = {
  name: 'graph',
  readOnly: true,
  summary: 'Print the dependency graph of a source tree as Graphviz DOT or Mermaid',
  description: `Edges point from a service to what it needs (app -> db). Longruns are boxes, oneshots
ellipses, bundles folders with dashed edges to their contents; a pipeline is a dotted edge from
producer to consumer; down longruns are dashed, essential services bold. Output is in name
order, so it diffs cleanly.

  rcform graph examples/web-stack | dot -Tsvg > web-stack.svg
  rcform graph --format mermaid
  rcform graph examples/boot --var 'ttys=["tty1","tty2"]'`,
  args: [{ name: 'DIR', optional: true }],
  flags: [{ name: 'format', type: 'string', valueName: 'dot|mermaid', values: ['dot', 'mermaid'], default: 'dot', description: 'Output format' }, ...SOURCE_FLAGS],
  async run(ctx) {
    const format = flagString(ctx, 'format') ?? 'dot';
    if (!GRAPH_FORMATS.includes(format as GraphFormat)) throw new CliError(`--format takes dot or mermaid, not "${format}"`);
    const r = loadAndCompile(ctx);
    if (r.diagnostics.length) write(ctx.io.stderr, renderDiagnostics(r.diagnostics, r.sources, { color: colorFor(ctx.io, ctx.io.stderr) }));
    if (!r.db) return 1;
    ctx.io.stdout.write(renderGraph(r.db, format as GraphFormat));
    return 0;
  },
};
