import fs from 'node:fs';

// Loaded with `node --import` into a benchmarked process: at exit, writes the process's peak
// resident set size (KiB) and CPU time (µs) to the file named by RCFORM_BENCH_USAGE_FILE, so a
// benchmark can measure the real CLI without changing it.
const out = process.env['RCFORM_BENCH_USAGE_FILE'];
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    fs.writeFileSync(out, JSON.stringify({ maxRSS: u.maxRSS, cpu: u.userCPUTime + u.systemCPUTime }));
  });
}
