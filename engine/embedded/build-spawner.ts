import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// `npm run build` compiles the embedded supervisor's way of starting services beside it,
// rcform-spawner (spawner.c: a helper process that vforks them); the state lock's rcform-lock.node
// (state/lock.c: fcntl locks, required); and the s6 engine's rcform-s6.node (engine/s6/fifo.c:
// mkfifo, for listening to s6-supervise's events without a process per transition). Without a C compiler, or without Node's headers,
// the build goes on and the supervisor falls back as far as it must, down to Node's spawn(),
// correct but slower: the warnings say so. CI installs a compiler (.ci/run); Node's headers come
// with Node (<prefix>/include/node).

const here = path.dirname(fileURLToPath(import.meta.url));
const sources = path.resolve(here, '../../../engine/embedded');
const s6Sources = path.resolve(here, '../../../engine/s6');
const cc = process.env['CC'] ?? 'cc';

// -z now: every symbol bound at load, so that no vfork child, running in its launcher's memory,
// ever runs the dynamic linker's lazy binding on a first call.
function compile(args: string[], out: string, consequence: string): boolean {
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wl,-z,now', ...args, '-o', out], { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`warning: could not build ${out} with ${cc} (${r.error ? r.error.message : r.stderr.trim()}); ${consequence} (docs/engine.md#spawning)\n`);
    return false;
  }
  return true;
}

compile([path.join(sources, 'spawner.c')], path.join(here, 'rcform-spawner'), "without it the embedded supervisor starts services with Node's spawn(), which is slower");
// The addons' N-API symbols are Node's own: they resolve when Node loads them.
const nodeInclude = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
compile(['-shared', '-fPIC', `-I${nodeInclude}`, path.join(s6Sources, 'fifo.c')], path.resolve(here, '../s6/rcform-s6.node'), 'the s6 engine makes its event FIFOs with a mkfifo process, one fork more per transition');
// The state lock has no fallback: without rcform-lock.node nothing can take it, so the build fails.
if (!compile(['-shared', '-fPIC', `-I${nodeInclude}`, path.resolve(here, '../../../state/lock.c')], path.resolve(here, '../../state/rcform-lock.node'), 'no command can take the state lock')) process.exitCode = 1;
compile(['-shared', '-fPIC', `-I${nodeInclude}`, path.join(sources, 'peer-cred.c')], path.join(here, 'rcform-peercred.node'), "the embedded supervisor and its clients cannot ask who is at the other end of its socket, and rely on the socket's owner and the 0700 directory alone");
