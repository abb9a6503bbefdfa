import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm run build` compiles rcform-spawner (spawner.c) beside the compiled supervisor. Without a
// C compiler the build goes on and the supervisor spawns with Node, correct but slower: the
// warning says so. CI installs one (.ci/run).

const here = path.dirname(fileURLToPath(import.meta.url));
const source = path.resolve(here, '../../../engine/embedded/spawner.c');
const out = path.join(here, 'rcform-spawner');
const cc = process.env['CC'] ?? 'cc';
const r = spawnSync(cc, ['-O2', '-Wall', '-o', out, source], { encoding: 'utf8' });
if (r.status !== 0) {
  process.stderr.write(
    `warning: could not build ${out} with ${cc} (${r.error ? r.error.message : r.stderr.trim()}); ` +
      'the embedded supervisor will start services with Node\'s spawn(), which is slower (docs/engine.md#spawning)\n',
  );
}
