import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Compiling large trees with the real CLI, as an operator would run it: a fresh `node` process per
// run, so the figures include start-up, parsing, checking, compiling and the atomic write.
// Targets (issue 3): 10,000 longruns in under 1 s wall, under 200 MB peak resident memory. For
// scale, s6-rc-compile's time for the same services is in docs/benchmarks.md.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/cli/main.js');
const floor = path.join(root, 'dist/bench/support/compile-floor.js');
const RUNS = 3;

/** A deterministic tree: service i depends on 1 to 3 earlier services, 100 services per file. */
export function generateTree(dir: string, count: number): void {
  let seed = 42;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const perFile = 100;
  for (let start = 0; start < count; start += perFile) {
    let text = '';
    for (let i = start; i < Math.min(count, start + perFile); i++) {
      const deps = new Set<number>();
      if (i > 0) {
        const want = 1 + rand(3);
        for (let k = 0; k < want; k++) deps.add(rand(i));
      }
      const refs = [...deps].map((d) => `longrun.svc-${d}`).join(', ');
      text += `longrun "svc-${i}" {\n`;
      text += `  description = "generated service ${i}"\n`;
      text += `  run         = ["sleep", "${1000 + i}"]\n`;
      if (refs) text += `  depends_on  = [${refs}]\n`;
      text += `  env = {\n    INDEX = "${i}"\n  }\n`;
      text += '}\n\n';
    }
    fs.writeFileSync(path.join(dir, `services-${String(start / perFile).padStart(4, '0')}.hcl`), text);
  }
}

interface Run {
  wallMs: number;
  maxRssMb: number;
}

/** One run of `rcform compile`, or of the floor program (support/compile-floor.ts) on the same tree. */
function compileOnce(dir: string, out: string, program: 'rcform' | 'floor' = 'rcform'): Run {
  // /usr/bin/time reports the child's peak resident set; the wall time is measured around it.
  const useTime = fs.existsSync('/usr/bin/time');
  const args = program === 'rcform' ? [cli, 'compile', dir, '--out', out] : [floor, dir, out];
  const t0 = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', 'RCFORM_MAXRSS_KB=%M', process.execPath, ...args], { encoding: 'utf8' })
    : spawnSync(process.execPath, args, { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${program} failed (exit ${r.status}):\n${r.stderr}`);
  const kb = /RCFORM_MAXRSS_KB=(\d+)/.exec(r.stderr ?? '')?.[1];
  return { wallMs, maxRssMb: kb ? Number(kb) / 1024 : NaN };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-bench-'));
try {
  console.log(`rcform compile, ${RUNS} runs each, median wall time and highest peak RSS (node ${process.version}, ${os.cpus().length} CPUs)`);
  for (const count of [1000, 10000]) {
    const dir = path.join(work, `tree-${count}`);
    fs.mkdirSync(dir);
    generateTree(dir, count);
    const out = path.join(work, `compiled-${count}.json`);
    const runs: Run[] = [];
    const floorRuns: Run[] = [];
    // The floor (support/compile-floor.ts) runs between rcform's runs, so both see the same load.
    for (let i = 0; i < RUNS; i++) {
      runs.push(compileOnce(dir, out));
      if (count === 10000) floorRuns.push(compileOnce(dir, `${out}.floor`, 'floor'));
    }
    const wall = median(runs.map((r) => r.wallMs));
    const rss = Math.max(...runs.map((r) => r.maxRssMb));
    const size = fs.statSync(out).size / (1024 * 1024);
    const target = count === 10000 ? `   (target < 1000 ms, < 200 MB: ${wall < 1000 && rss < 200 ? 'met' : 'NOT met'})` : '';
    console.log(
      `${String(count).padStart(6)} longruns: ${wall.toFixed(0).padStart(5)} ms wall, ${rss.toFixed(1).padStart(6)} MB peak RSS, ` +
        `${size.toFixed(1)} MB database; runs: ${runs.map((r) => r.wallMs.toFixed(0)).join(', ')} ms${target}`,
    );
    if (floorRuns.length > 0) {
      console.log(
        `        floor: ${median(floorRuns.map((r) => r.wallMs)).toFixed(0).padStart(5)} ms wall, ${Math.max(...floorRuns.map((r) => r.maxRssMb)).toFixed(1).padStart(6)} MB peak RSS ` +
          `for a ${(fs.statSync(`${out}.floor`).size / (1024 * 1024)).toFixed(1)} MB database like rcform's, from a program that only reads this tree's shape (no ranges, checks or schemas: bench/support/compile-floor.ts)`,
      );
    }
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
