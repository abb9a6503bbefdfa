import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { hasErrors } from '../../../lang/diagnostic.js';
import { parseHcl } from '../../../lang/hcl/parser.js';
import { HclJsonConversionError, toHclJson, type JsonValue } from '../../../lang/hcl/to-json.js';
import { sharedDir } from '../../support/shared-data.js';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { sameStartAndEnd, type OracleResult } from '../../support/hcl-oracle.js';

// Every real-world file must parse to the same JSON as the reference implementation (hcl2-parser),
// and every file it rejects must be rejected with the same diagnostics (summary and range, in
// order). Normalisation: object keys are sorted, numbers compare as doubles (both sides go
// through JSON.parse / Number), and "$${" is compared as "${" (hcl2json emits template literals
// unescaped, so the two spellings are indistinguishable in its output).

const CORPUS = sharedDir('hcl/real-world', 'HCL conformance against hcl2-parser') as string;

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

function normalise(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    const o: { [k: string]: JsonValue } = {};
    for (const k of Object.keys(v).sort()) o[k.replaceAll('$${', '${')] = normalise(v[k]!);
    return o;
  }
  if (typeof v === 'string') return v.replaceAll('$${', '${');
  return v;
}

const WORKER = fileURLToPath(new URL('../../support/hcl-oracle-worker.js', import.meta.url));

/** The oracle's verdict on every file, computed in two worker threads (it takes about a minute). */
async function oracleAll(files: string[]): Promise<Map<string, OracleResult>> {
  const shares = [files.filter((_, i) => i % 2 === 0), files.filter((_, i) => i % 2 === 1)];
  const parts = await Promise.all(shares.map((share) => new Promise<[string, OracleResult][]>((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { files: share } });
    w.once('message', (m: [string, OracleResult][]) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`oracle worker exited with ${code}`));
    });
  })));
  return new Map(parts.flat());
}

(CORPUS ? describe : describe.skip)('real-world corpus against hcl2-parser', () => {
  test('same JSON for accepted files, same diagnostics for rejected ones', async () => {
    const files = listFiles(CORPUS);
    expect(files.length).toBe(1586);
    const verdicts = await oracleAll(files);
    let agreed = 0;
    let rejectedByBoth = 0;
    let unconvertibleByBoth = 0;
    const disagreements: string[] = [];
    for (const file of files) {
      const rel = path.relative(CORPUS, file);
      const source = fs.readFileSync(file, 'utf8');
      const oracle = verdicts.get(file)!;
      const mine = parseHcl(source, rel);
      if (oracle.diagnostics) {
        if (!hasErrors(mine.diagnostics)) {
          disagreements.push(`${rel}: oracle rejects (${oracle.diagnostics.map((d) => d.summary).join('; ')}), we accept`);
          continue;
        }
        const ours = mine.diagnostics.map((d) => `${d.subject!.start.line},${d.subject!.start.column}-${d.subject!.end.line},${d.subject!.end.column} ${d.summary}`);
        const theirs = oracle.diagnostics.map((d) => `${d.start.line},${d.start.column}-${d.end.line},${d.end.column} ${d.summary}`);
        const first = mine.diagnostics[0]!;
        if (!sameStartAndEnd(first.subject!, oracle.diagnostics[0]!) || ours.join('\n') !== theirs.join('\n')) {
          disagreements.push(`${rel}: diagnostics differ\n  oracle: ${theirs.join(' | ')}\n  ours:   ${ours.join(' | ')}`);
          continue;
        }
        rejectedByBoth++;
        continue;
      }
      if (hasErrors(mine.diagnostics)) {
        const d = mine.diagnostics[0]!;
        disagreements.push(`${rel}: oracle accepts, we reject: ${d.summary} at ${d.subject?.start.line}:${d.subject?.start.column}`);
        continue;
      }
      let ours: JsonValue;
      try {
        ours = toHclJson(mine.file);
      } catch (e) {
        if (!(e instanceof HclJsonConversionError)) throw e;
        if (oracle.conversionError !== undefined) unconvertibleByBoth++;
        else disagreements.push(`${rel}: oracle converts, we do not: ${e.message}`);
        continue;
      }
      if (oracle.conversionError !== undefined) {
        disagreements.push(`${rel}: we convert, the oracle does not: ${oracle.conversionError}`);
        continue;
      }
      const a = JSON.stringify(normalise(JSON.parse(oracle.json!) as JsonValue));
      const b = JSON.stringify(normalise(ours));
      if (a === b) {
        agreed++;
      } else {
        let i = 0;
        while (a[i] === b[i]) i++;
        disagreements.push(`${rel}: JSON differs at offset ${i}\n  oracle: …${a.slice(Math.max(0, i - 60), i + 80)}\n  ours:   …${b.slice(Math.max(0, i - 60), i + 80)}`);
      }
    }
    process.stdout.write(
      `real-world conformance: ${agreed} agreed, ${disagreements.length} disagreed, ${rejectedByBoth} rejected by both` +
        (unconvertibleByBoth ? `, ${unconvertibleByBoth} unconvertible by both` : '') + ` (of ${files.length})\n`,
    );
    expect(disagreements).toEqual([]);
    expect(agreed + rejectedByBoth + unconvertibleByBoth).toBe(files.length);
  }, 600_000);
});
