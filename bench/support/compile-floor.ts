import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { closureIntervals, closureItems } from '../../lang/compile/closures.js';
import { COMPILED_FORMAT_VERSION } from '../../lang/compile/compiled-db.js';
import { graphOrder } from '../../lang/compile/graph-order.js';
import { scanTokens, T } from '../../lang/hcl/scanner.js';

// The least that any compiler running on Node must do for the trees compile.bench.ts generates,
// run as its own process as `rcform compile` is: read and scan the files, take each service's
// attributes straight from the tokens, order the graph, build every closure, and write the same
// 10 MB database (the same members, sorted keys, one definition hash per service, a hash of the
// whole, written with fsync and rename). Left out is everything the real compiler must do on
// top: source ranges, diagnostics, expressions, schemas, checks, canonical ordering of keys it
// did not build. It reads only the generated shape (`longrun "NAME" { attr = literal ... }`) and
// is no HCL parser: it exists to show how far the target is from what Node can do at all here.
//
// Usage: node compile-floor.js DIR OUT

const [dir, out] = process.argv.slice(2) as [string, string];

interface Decl {
  name: string;
  cfg: Record<string, unknown>;
}

function decodeFile(src: string, filename: string, into: Decl[]): void {
  const { types, starts, ends, count } = scanTokens(src, filename);
  let i = 0;
  const skip = (): void => {
    while (i < count && (types[i] === T.Newline || types[i] === T.Comment)) i++;
  };
  const text = (k: number): string => src.slice(starts[k] as number, ends[k] as number);
  const quoted = (): string => {
    i++;
    const s = types[i] === T.QuotedLit ? text(i++) : '';
    i++;
    return s;
  };
  const value = (): unknown => {
    skip();
    switch (types[i]) {
      case T.OQuote:
        return quoted();
      case T.OBrack: {
        i++;
        const list: unknown[] = [];
        for (;;) {
          skip();
          if (types[i] === T.CBrack) return i++, list;
          list.push(value());
          skip();
          if (types[i] === T.Comma) i++;
        }
      }
      case T.OBrace: {
        i++;
        const obj: Record<string, unknown> = {};
        for (;;) {
          skip();
          if (types[i] === T.CBrace) return i++, obj;
          const k = text(i++);
          skip();
          i++;
          obj[k] = value();
        }
      }
      case T.Ident: {
        let s = text(i++);
        while (types[i] === T.Dot) {
          s += '.' + text(i + 1);
          i += 2;
        }
        return { ref: s };
      }
      default:
        throw new Error(`${filename}: not the generated shape at offset ${starts[i]}`);
    }
  };
  for (;;) {
    skip();
    if (types[i] === T.EOF) return;
    i++;
    skip();
    const name = quoted();
    skip();
    i++;
    const cfg: Record<string, unknown> = {};
    for (;;) {
      skip();
      if (types[i] === T.CBrace) {
        i++;
        break;
      }
      const k = text(i++);
      skip();
      i++;
      cfg[k] = value();
    }
    into.push({ name, cfg });
  }
}

const decls: Decl[] = [];
for (const f of fs.readdirSync(dir).sort()) decodeFile(fs.readFileSync(path.join(dir, f), 'utf8'), f, decls);
decls.sort((a, b) => (a.name < b.name ? -1 : 1));
const index = new Map(decls.map((d, k) => [d.name, k]));
const refs = (d: Decl): { ref: string }[] => (d.cfg['depends_on'] as { ref: string }[] | undefined) ?? [];
const deps = decls.map((d) => [...new Set(refs(d).map((r) => index.get(r.ref.slice('longrun.'.length)) as number))].sort((a, b) => a - b));
const { order, positionOf: position, reverse: rev, rank } = graphOrder(deps);
const intervals = closureIntervals(order.map((k) => (deps[k] as number[]).map((d) => position[d] as number)));
const orderNames = order.map((k) => (decls[k] as Decl).name);

const services: Record<string, unknown> = {};
const closures: Record<string, unknown> = {};
decls.forEach((d, k) => {
  const c = d.cfg;
  const timeouts = { down_ms: 0, finish_ms: 5000, kill_ms: 0, up_ms: 0 };
  const hashed = { consumer_for: [], data: {}, down_signal: 'SIGTERM', env: c['env'] ?? {}, max_death_tally: 100, run: { argv: c['run'] }, timeouts, type: 'longrun' };
  services[d.name] = {
    address: `longrun.${d.name}`,
    consumer_for: [],
    data: {},
    definition_hash: createHash('sha256').update(JSON.stringify(hashed)).digest('hex'),
    dependencies: (deps[k] as number[]).map((x) => (decls[x] as Decl).name),
    description: c['description'],
    down: false,
    down_signal: 'SIGTERM',
    env: hashed.env,
    essential: false,
    lifecycle: { on_change: 'restart' },
    max_death_tally: 100,
    name: d.name,
    rank: rank[k],
    reverse_dependencies: (rev[k] as number[]).map((x) => (decls[x] as Decl).name).sort(),
    run: hashed.run,
    sensitive_paths: [],
    timeouts,
    type: 'longrun',
  };
  closures[d.name] = closureItems(intervals, position[k] as number, orderNames);
});
const body = JSON.stringify({ bundles: {}, closures, format_version: COMPILED_FORMAT_VERSION, moved: [], order: orderNames, services });
const hash = createHash('sha256').update(body).digest('hex');
const tmp = `${out}.tmp`;
const fd = fs.openSync(tmp, 'w');
fs.writeSync(fd, body.slice(0, -1));
fs.writeSync(fd, `,"hash":"${hash}"}\n`);
fs.fsyncSync(fd);
fs.closeSync(fd);
fs.renameSync(tmp, out);
