import type { Command, CompiledService } from '../../lang/compile/compiled-db.js';
import { SENSITIVE, hidesKeys, isSensitivePath } from '../../lang/redact.js';

// A service definition as the attributes a plan shows, in the order an operator reads them:
// commands first, then environment, data files, dependencies and the rest. Derived fields
// (closure, rank, hashes) are not shown: they change only when a shown field does.

export { SENSITIVE };

export interface Attribute {
  /** The dotted path, as in ResourceChange.changed_paths: `run`, `env.PORT`, `data.nginx.conf`. */
  path: string;
  /** How a person reads it: `run`, `env.PORT`, `data["nginx.conf"]`. */
  label: string;
  /** `list`: argv items, each JSON-quoted; `text`: a script or file, line by line; `scalar`: one value. */
  kind: 'list' | 'text' | 'scalar';
  value: string | string[];
  sensitive: boolean;
}

const HIDDEN = new Set(['type', 'name', 'address', 'closure', 'reverse_dependencies', 'rank', 'definition_hash', 'sensitive_paths']);
const COMMANDS = ['run', 'finish', 'up'];

export const isSensitive = isSensitivePath;

function commandAttr(path: string, cmd: Command, sensitive: boolean): Attribute {
  if ('argv' in cmd) return { path, label: path, kind: 'list', value: cmd.argv.map((a) => JSON.stringify(a)), sensitive };
  return { path, label: path, kind: 'text', value: splitLines(cmd.script), sensitive };
}

export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** A value as the source would write it: `["a", "b"]`, `{ prompt = "…", secret = true }`. */
export function literal(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    return `{ ${keys.map((k) => `${/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k) ? k : JSON.stringify(k)} = ${literal((v as Record<string, unknown>)[k])}`).join(', ')} }`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function attributesOf(svc: CompiledService): Map<string, Attribute> {
  const out = new Map<string, Attribute>();
  const sp = svc.sensitive_paths ?? [];
  const rec = svc as unknown as Record<string, unknown>;
  const add = (a: Attribute) => out.set(a.path, a);
  const scalar = (path: string, v: unknown) =>
    add({ path, label: path, kind: 'scalar', value: literal(v), sensitive: isSensitive(path, sp) });

  for (const k of COMMANDS) if (rec[k]) add(commandAttr(k, rec[k] as Command, isSensitive(k, sp)));
  if (svc.type === 'oneshot' && svc.down) add(commandAttr('down', svc.down, isSensitive('down', sp)));
  // A map whose keys came from a sensitive value is one attribute: its keys are not shown either.
  if (hidesKeys('env', sp)) add({ path: 'env', label: 'env', kind: 'scalar', value: SENSITIVE, sensitive: true });
  else for (const k of Object.keys(svc.env).sort()) scalar(`env.${k}`, svc.env[k]);
  if (svc.type === 'longrun' && hidesKeys('data', sp)) add({ path: 'data', label: 'data', kind: 'scalar', value: SENSITIVE, sensitive: true });
  else if (svc.type === 'longrun') {
    for (const f of Object.keys(svc.data).sort()) {
      const path = `data.${f}`;
      add({ path, label: `data[${JSON.stringify(f)}]`, kind: 'text', value: splitLines(svc.data[f] as string), sensitive: isSensitive(path, sp) });
    }
  }
  scalar('dependencies', svc.dependencies);
  for (const k of Object.keys(svc.timeouts).sort()) scalar(`timeouts.${k}`, (svc.timeouts as unknown as Record<string, number>)[k]);
  if (svc.type === 'longrun') scalar('lifecycle.on_change', svc.lifecycle.on_change);
  for (const k of Object.keys(rec).sort()) {
    if (HIDDEN.has(k) || COMMANDS.includes(k) || k === 'env' || k === 'data' || k === 'timeouts' || k === 'dependencies' || k === 'lifecycle') continue;
    if (k === 'down' && svc.type === 'oneshot') continue;
    if (rec[k] === undefined) continue;
    scalar(k, rec[k]);
  }
  return out;
}

/** The attribute a changed path belongs to (`lifecycle` → `lifecycle.on_change`, `input.prompt` → `input`). */
export function attributePathOf(changedPath: string, attrs: Map<string, Attribute>): string {
  if (attrs.has(changedPath)) return changedPath;
  for (const p of attrs.keys()) if (p.startsWith(changedPath + '.')) return p;
  const dot = changedPath.indexOf('.');
  return dot < 0 ? changedPath : changedPath.slice(0, dot);
}
