import { createHash } from 'node:crypto';
import { sha256Hex } from '../sha256.js';
import type { CheckedModel } from '../config/check.js';
import type { ServiceDecl } from '../config/model.js';
import { canonicalJson } from './canonical-json.js';
import { closureIntervals, closureItems, type ClosureItem } from './closures.js';
import { graphOrder } from './graph-order.js';
import { COMPILED_FORMAT_VERSION, LONGRUN_HASHED_FIELDS, ONESHOT_HASHED_FIELDS, type Command, type CompiledBundle, type CompiledDb, type CompiledLongrun, type CompiledOneshot, type CompiledService } from './compiled-db.js';
import { durationMs } from './duration.js';
import { loadSchema } from '../../schemas/index.js';

// The checked model → the compiled database: each service's direct edges, reverse edges and
// rank, a topological order of all services, and every service's full dependency closure (as
// s6-rc-db's all-dependencies would list it) over that order, so that readers need not walk the
// graph: closures.ts says how they are kept linear in size on long chains.

/** s6's defaults, so an unset attribute and its default compile to the same database. */
export const DEFAULTS = {
  down_signal: 'SIGTERM',
  max_death_tally: 100,
  timeout_ms: 0,
  timeout_finish_ms: 5000,
  on_change: 'restart',
} as const;

// Sorted, so that the picked object is canonical as built (canonical-json.ts).
const LONGRUN_PICK = [...LONGRUN_HASHED_FIELDS].sort();
const ONESHOT_PICK = [...ONESHOT_HASHED_FIELDS].sort();

export function definitionHash(s: CompiledService): string {
  const fields: readonly string[] = s.type === 'longrun' ? LONGRUN_PICK : ONESHOT_PICK;
  const picked: Record<string, unknown> = {};
  for (const f of fields) picked[f] = (s as unknown as Record<string, unknown>)[f];
  return sha256Hex(canonicalJson(picked));
}

/** sha256 of the canonical JSON of the database without its `hash` field. */
export function dbHash(db: Omit<CompiledDb, 'hash'> | CompiledDb): string {
  const { hash: _hash, ...rest } = db as CompiledDb;
  return sha256Hex(canonicalJson(rest));
}

let schemaDigest: string | undefined;

/**
 * What a compiled database's `schema` holds: the sha256 of the canonical JSON of
 * schemas/compiled.schema.json as this rcform has it. A reader with the same schema can trust a
 * file whose hash verifies over its bytes (verifiedHash) without validating it again: it is
 * byte for byte what this compiler wrote, and the compiler writes only what the schema allows.
 */
export function compiledSchemaDigest(): string {
  schemaDigest ??= sha256Hex(canonicalJson(loadSchema('compiled.schema.json')));
  return schemaDigest;
}

// `hash` follows `format_version` in the sorted keys, and the version is a known constant.
const HASH_MEMBER = Buffer.from(`"format_version":${JSON.stringify(COMPILED_FORMAT_VERSION)},"hash":"`);

/**
 * The hash a compiled database file was written with, if its bytes are exactly what encodeDb
 * writes for it: the file without the `hash` member (and the final newline) hashes to that
 * member's value. Otherwise (edited, reformatted, truncated, another writer) undefined. Hashing
 * the bytes costs far less than validating the parsed database against its schema.
 */
export function verifiedHash(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = b.indexOf(HASH_MEMBER);
  if (at < 0 || b.length < 2 || b[b.length - 1] !== 0x0a || b[b.length - 2] !== 0x7d) return undefined;
  const from = at + HASH_MEMBER.length;
  const claimed = b.toString('latin1', from, from + 64);
  // Inside a JSON string every quote is escaped, so the marker can only be a member's key.
  if (!/^[0-9a-f]{64}$/.test(claimed) || b.toString('latin1', from + 64, from + 66) !== '",') return undefined;
  const h = createHash('sha256');
  h.update(b.subarray(0, from - '"hash":"'.length));
  h.update(b.subarray(from + 66, b.length - 1));
  return h.digest('hex') === claimed ? claimed : undefined;
}

/**
 * The database with its hash, and the bytes of its file, from one serialisation. The hash is over
 * the canonical JSON without `hash` and the file is the canonical JSON with it: they differ only
 * by that member, so every other member is serialised once and both are made from the same text.
 *
 * The text comes in pieces of about PIECE characters: the large members (services, closures) are
 * serialised entry by entry, which is the same canonical text as the whole object (its keys are
 * sorted here), so no multi-megabyte string is built, and hashing and writing each piece converts
 * it to UTF-8 in a small buffer the allocator reuses. Whole members, several megabytes each, would
 * take fresh memory three times over (the text, and its UTF-8 for the hash and for the write), and
 * fresh memory is what costs most (docs/benchmarks.md, "The machine").
 */
export function encodeDb(body: Omit<CompiledDb, 'hash'>): { db: CompiledDb; text: string; chunks: string[] } {
  const keys = [...Object.keys(body), 'hash'].sort() as (keyof CompiledDb)[];
  const h = createHash('sha256');
  const pieces = new PieceWriter();
  // The hash is the only member that depends on the others, so its place is kept and filled last.
  // It never comes first (`bundles` sorts before it), so every other member opens the same way in
  // the hashed text as in the file.
  let hashPiece = -1;
  keys.forEach((k, i) => {
    const head = `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`;
    if (k === 'hash') {
      hashPiece = pieces.cut();
      pieces.add(head);
      pieces.cut();
      return;
    }
    pieces.add(head, h);
    serialiseInto(body[k], pieces, h);
  });
  pieces.add('}', h);
  const chunks = pieces.done();
  const hash = h.digest('hex');
  chunks[hashPiece] = `${chunks[hashPiece] as string}${JSON.stringify(hash)}`;
  chunks.push('\n');
  return {
    db: { ...body, hash },
    chunks,
    get text(): string {
      return chunks.join('');
    },
  };
}

/** Pieces of about this many characters; small enough that converting one reuses the same memory. */
const PIECE = 64 * 1024;

/** Collects text into pieces of about PIECE characters, feeding a hash with what it is given. */
class PieceWriter {
  private readonly pieces: string[] = [];
  private parts: string[] = [];
  private size = 0;

  add(text: string, h?: { update(s: string): unknown }): void {
    h?.update(text);
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= PIECE) this.cut();
  }

  /** Ends the current piece; returns the index the next piece will have. */
  cut(): number {
    if (this.parts.length > 0) {
      this.pieces.push(this.parts.join(''));
      this.parts = [];
      this.size = 0;
    }
    return this.pieces.length;
  }

  done(): string[] {
    this.cut();
    return this.pieces;
  }
}

/** A record of many entries is written entry by entry (keys sorted, as canonical JSON has them). */
function serialiseInto(value: unknown, pieces: PieceWriter, h: { update(s: string): unknown }): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    pieces.add(canonicalJson(value), h);
    return;
  }
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
  if (keys.length === 0) {
    pieces.add('{}', h);
    return;
  }
  keys.forEach((k, i) => {
    pieces.add(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`, h);
    pieces.add(canonicalJson(rec[k]), h);
  });
  pieces.add('}', h);
}

function command(v: unknown): Command {
  return Array.isArray(v) ? { argv: v as string[] } : { script: v as string };
}

function ms(v: unknown, dflt: number): number {
  return typeof v === 'string' ? (durationMs(v) ?? dflt) : dflt;
}

function signal(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  return v.startsWith('SIG') ? v : `SIG${v}`;
}

// Objects of the database are built with their keys in sorted order, so that serialising them
// canonically needs no reordering (canonical-json.ts checks, and reorders what is not).

function stringMap(v: unknown): Record<string, string> {
  if (!v || typeof v !== 'object') return {};
  const m = v as Record<string, string>;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k] as string;
  return out;
}

/**
 * The object without its undefined members, keys sorted, as a fresh object: deleting them instead
 * would put each of 10,000 services into V8's dictionary mode, which retained three times the
 * memory.
 */
function opt<T extends object>(o: T): T {
  const out = {} as T;
  for (const k of sortedKeys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

// The objects given to opt come from a few literals, each always with the same keys in the same
// order: their sorted keys are worked out once per shape, not sorted again for every service.
const sortedKeyCache = new Map<string, string[]>();

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  const shape = keys.join('\n');
  let sorted = sortedKeyCache.get(shape);
  if (!sorted) {
    sorted = [...keys].sort();
    sortedKeyCache.set(shape, sorted);
  }
  return sorted;
}

type Graph = Pick<CompiledService, 'dependencies' | 'reverse_dependencies' | 'rank'>;

/** One longrun or oneshot, normalised; the fields both types share are filled in one place. */
function compileService(s: ServiceDecl, m: CheckedModel, graph: Graph): CompiledService {
  const c = s.config;
  const base = {
    name: s.name,
    address: s.address,
    description: c['description'] as string | undefined,
    essential: c['essential'] === true,
    ...graph,
    definition_hash: '',
    sensitive_paths: [...s.sensitivePaths].sort(),
    env: stringMap(c['env']),
    user: c['user'] as string | undefined,
    group: c['group'] as string | undefined,
  };
  const up_ms = ms(c['timeout_up'], DEFAULTS.timeout_ms);
  const down_ms = ms(c['timeout_down'], DEFAULTS.timeout_ms);
  if (s.type === 'oneshot') {
    const input = c['input'] as { prompt: string; secret?: boolean } | undefined;
    return opt<CompiledOneshot>({
      type: 'oneshot',
      ...base,
      up: command(c['up']),
      down: c['down'] === undefined ? undefined : command(c['down']),
      timeouts: { down_ms, up_ms },
      input: input ? { prompt: input.prompt, secret: input.secret === true } : undefined,
    });
  }
  return opt<CompiledLongrun>({
    type: 'longrun',
    ...base,
    run: command(c['run']),
    finish: c['finish'] === undefined ? undefined : command(c['finish']),
    down: c['down'] === true,
    working_dir: c['working_dir'] as string | undefined,
    notification_fd: c['notification_fd'] as number | undefined,
    lock_fd: c['lock_fd'] as number | undefined,
    timeouts: { down_ms, finish_ms: ms(c['timeout_finish'], DEFAULTS.timeout_finish_ms), kill_ms: ms(c['timeout_kill'], DEFAULTS.timeout_ms), up_ms },
    down_signal: signal(c['down_signal']) ?? DEFAULTS.down_signal,
    reload_signal: signal(c['reload_signal']),
    max_death_tally: typeof c['max_death_tally'] === 'number' ? c['max_death_tally'] : DEFAULTS.max_death_tally,
    data: stringMap(c['data']),
    producer_for: m.producerFor.get(s.name),
    consumer_for: [...(m.consumerFor.get(s.name) ?? [])].sort(),
    pipeline_name: c['pipeline_name'] as string | undefined,
    lifecycle: { on_change: ((c['lifecycle'] as { on_change?: string } | undefined)?.on_change ?? DEFAULTS.on_change) as CompiledLongrun['lifecycle']['on_change'] },
  });
}

/** The database and the bytes of its file, in pieces (see encodeDb). */
export function compileChecked(m: CheckedModel): { db: CompiledDb; chunks: string[] } {
  const atomic: ServiceDecl[] = [];
  const bundleDecls: ServiceDecl[] = [];
  for (const s of m.byName.values()) (s.type === 'bundle' ? bundleDecls : atomic).push(s);
  atomic.sort((a, b) => (a.name < b.name ? -1 : 1));
  bundleDecls.sort((a, b) => (a.name < b.name ? -1 : 1));

  // Bundle members, memoised; bundles form a DAG here (check.ts rejected cycles).
  const members = new Map<string, string[]>();
  const membersOf = (name: string): string[] => {
    const done = members.get(name);
    if (done) return done;
    const set = new Set<string>();
    for (const e of m.edges.get(name) ?? []) {
      if (m.byName.get(e.to)?.type === 'bundle') for (const x of membersOf(e.to)) set.add(x);
      else set.add(e.to);
    }
    const out = [...set].sort();
    members.set(name, out);
    return out;
  };

  const n = atomic.length;
  const idx = new Map<string, number>();
  atomic.forEach((s, i) => idx.set(s.name, i));
  const deps: number[][] = atomic.map((s) => {
    const set = new Set<number>();
    for (const e of m.edges.get(s.name) ?? []) {
      if (m.byName.get(e.to)?.type === 'bundle') for (const x of membersOf(e.to)) set.add(idx.get(x) as number);
      else set.add(idx.get(e.to) as number);
    }
    return [...set].sort((a, b) => a - b);
  });

  // Closures over positions in the topological order, which the database stores as `order`.
  const { order, positionOf, reverse: rev, rank } = graphOrder(deps);
  const orderNames = order.map((i) => (atomic[i] as ServiceDecl).name);
  const intervals = closureIntervals(order.map((i) => (deps[i] as number[]).map((d) => positionOf[d] as number)));

  const services: Record<string, CompiledService> = {};
  const closures: Record<string, ClosureItem[]> = {};
  for (let i = 0; i < n; i++) {
    const s = atomic[i] as ServiceDecl;
    // rev[i] was filled in increasing index order, so it is already sorted by name.
    const svc = compileService(s, m, {
      dependencies: (deps[i] as number[]).map((d) => (atomic[d] as ServiceDecl).name),
      reverse_dependencies: (rev[i] as number[]).map((d) => (atomic[d] as ServiceDecl).name),
      rank: rank[i] as number,
    });
    svc.definition_hash = definitionHash(svc);
    services[s.name] = svc;
    closures[s.name] = closureItems(intervals, positionOf[i] as number, orderNames);
  }

  const bundles: Record<string, CompiledBundle> = {};
  for (const b of bundleDecls) {
    bundles[b.name] = opt({
      type: 'bundle',
      name: b.name,
      address: b.address,
      description: b.config['description'] as string | undefined,
      essential: b.config['essential'] === true,
      contents: [...new Set((m.edges.get(b.name) ?? []).map((e) => e.to))].sort(),
      members: membersOf(b.name),
    });
  }

  // s6-rc-compile propagates a bundle's flag-essential to every service the bundle stands for,
  // nested bundles included: those are the services `s6-rc -d` will not stop.
  for (const b of bundleDecls) {
    if (b.config['essential'] !== true) continue;
    for (const name of membersOf(b.name)) (services[name] as CompiledService).essential = true;
  }

  const { db, chunks } = encodeDb({ format_version: COMPILED_FORMAT_VERSION, schema: compiledSchemaDigest(), services, order: orderNames, closures, bundles, moved: m.moved });
  return { db, chunks };
}

/** The bytes of a compiled database file: canonical JSON and a final newline. */
export function serializeDb(db: CompiledDb): string {
  return canonicalJson(db) + '\n';
}
