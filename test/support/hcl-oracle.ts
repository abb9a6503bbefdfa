import fs from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import type { Range } from '../../lang/hcl/range.js';

// The oracle: hashicorp/hcl (v2.10) and hcl2json, compiled to JavaScript with GopherJS in the npm
// package hcl2-parser. Its exported parseToString returns errors as empty objects (GopherJS
// drops the Go error value when it crosses into JavaScript), so this loader evaluates the same
// bundle with one extra export that calls the same Go function and keeps the error's message:
// hcl's diagnostics, with their ranges. The bundle itself is not modified on disk.

export interface OracleDiagnostic {
  summary: string;
  start: { line: number; column: number };
  end: { line: number; column: number };
}

export interface OracleResult {
  /** hcl2json's JSON text when the file parsed and converted. */
  json?: string;
  /** Parse diagnostics when hcl rejected the file. */
  diagnostics?: OracleDiagnostic[];
  /** hcl2json failed after a successful parse (or panicked). */
  conversionError?: string;
}

type RawParse = (src: string) => [string, string | null];

let raw: RawParse | undefined;

function load(): RawParse {
  if (raw) return raw;
  const require = createRequire(import.meta.url);
  const file = require.resolve('hcl2-parser');
  const hook = '$module.exports.parseToString=$externalize(E,G);';
  const src = fs.readFileSync(file, 'utf8');
  if (!src.includes(hook)) throw new Error(`hcl2-parser's bundle has changed shape: ${hook} not found in ${file}`);
  const patched = src.replace(hook, hook + '$module.exports.parseWithMessage=function(s){var r=E(s);return [r[0],$interfaceIsEqual(r[1],$ifaceNil)?null:r[1].Error()];};');
  const mod: { exports: Record<string, unknown> } = { exports: {} };
  const fn = vm.runInThisContext(`(function(module, exports, require) {${patched}\n})`, { filename: file }) as (
    m: typeof mod, e: typeof mod.exports, r: NodeJS.Require) => void;
  fn(mod, mod.exports, require);
  raw = mod.exports['parseWithMessage'] as RawParse;
  return raw;
}

// hcl.Range.String(): "file:L,C-C2" on one line, "file:L,C-L2,C2" across lines; the file name is
// empty here. Diagnostics are printed as "<range>: <summary>; <detail>", space-separated.
const DIAG = /(?:^|[\s[]):(\d+),(\d+)-(?:(\d+),)?(\d+): ([^;]+);/g;

export function oracleParse(source: string): OracleResult {
  let r: [string, string | null];
  try {
    r = load()(source);
  } catch (e) {
    return { conversionError: `panic: ${(e as Error).message}` };
  }
  const [json, message] = r;
  if (message === null) return { json };
  if (!message.startsWith('parse config:')) return { conversionError: message };
  const diagnostics: OracleDiagnostic[] = [];
  for (const m of message.matchAll(DIAG)) {
    const line = Number(m[1]);
    diagnostics.push({
      summary: m[5]!,
      start: { line, column: Number(m[2]) },
      end: { line: m[3] !== undefined ? Number(m[3]) : line, column: Number(m[4]) },
    });
  }
  return { diagnostics };
}

/**
 * The oracle on exact bytes. Its Go strings are JavaScript strings of one character per byte
 * (GopherJS), so the bytes go in that way and its JSON comes back that way, to be read as UTF-8;
 * oracleParse hands a JavaScript string over as it is, which is the same thing only for ASCII.
 */
export function oracleParseBytes(bytes: Uint8Array): OracleResult {
  const r = oracleParse(Buffer.from(bytes).toString('latin1'));
  if (r.json !== undefined) r.json = Buffer.from(r.json, 'latin1').toString('utf8');
  return r;
}

export function sameStartAndEnd(r: Range, d: OracleDiagnostic): boolean {
  return r.start.line === d.start.line && r.start.column === d.start.column && r.end.line === d.end.line && r.end.column === d.end.column;
}
