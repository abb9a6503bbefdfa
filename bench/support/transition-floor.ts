import { fork } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PATH } from '../../engine/engine.js';
import { Spawner, spawnerBinary } from '../../engine/embedded/spawner.js';

// The least a serial transition costs on this machine in any design that meets issue 6: a
// supervisor process that outlives apply and is the parent of the services, and an apply process
// that appends a step's record to its journal before anything that depends on it starts. Two
// Node processes and nothing else: the "supervisor" has each service vforked and execed by
// rcform's own helper (rcform-spawner, as the embedded supervisor does), replies one JSON line, and rewrites a status file; the "apply" sends one JSON line
// per start, one at a time, and writes a journal line before and after each. No plan, no state,
// no views, no checks: what rcform does on top of this is what apply.bench.ts's chain shows
// beyond it.
//
// Usage: node transition-floor.js DIR COUNT PROGRAM [ARG...]   (DIR: made, and removed after)
//   prints one JSON line: { perTransitionMs, execMs } (execMs: the kernel's vfork + exec per start,
//   as the helper times it, the same figure the chain benchmark subtracts)

const me = fileURLToPath(import.meta.url);

function serve(sock: string, dir: string, argv: string[]): void {
  const binary = spawnerBinary();
  if (!binary) throw new Error('rcform-spawner is not built (npm run build)');
  const spawner = new Spawner(binary, () => {});
  const server = net.createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, nl)) as { id: number; op: 'start' | 'stats'; name: string };
        buf = buf.slice(nl + 1);
        if (req.op === 'stats') {
          conn.write(`${JSON.stringify({ id: req.id, execMs: spawner.stats.execMs / Math.max(1, spawner.stats.count) })}\n`);
          continue;
        }
        const log = path.join(dir, `${req.name}.log`);
        // The environment the embedded supervisor gives a service with no `env` of its own.
        const spec = { file: argv[0] as string, args: argv.slice(1), cwd: '/', env: { PATH: DEFAULT_PATH }, stdio: [{ kind: 'r' as const, path: '/dev/null' }, { kind: 'a' as const, path: log }, { kind: 'a' as const, path: log }] };
        spawner.launch(spec, {
          spawned(pid) {
            conn.write(`${JSON.stringify({ id: req.id, pid })}\n`);
            setImmediate(() => fs.writeFileSync(path.join(dir, `${req.name}.status`), JSON.stringify({ pid, state: 'up' })));
          },
          failed(message) {
            throw new Error(`launch failed: ${message}`);
          },
          ready() {},
          exited() {},
          orphaned() {},
        });
      }
    });
  });
  server.listen(sock, () => process.send?.('listening'));
}

async function run(dir: string, count: number, argv: string[]): Promise<void> {
  fs.mkdirSync(dir);
  // As rcform does since its install makes them: no inode to allocate on the chain's path.
  for (let i = 0; i < count; i++) fs.closeSync(fs.openSync(path.join(dir, `s${i}.log`), 'a'));
  const sock = path.join(dir, 'sock');
  const supervisor = fork(me, ['serve', sock, dir, ...argv], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => supervisor.once('message', resolve));
  const conn = net.connect(sock);
  conn.setEncoding('utf8');
  const journal = fs.openSync(path.join(dir, 'journal'), 'a');
  const waiting = new Map<number, (reply: { pid?: number; execMs?: number }) => void>();
  let buf = '';
  conn.on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const reply = JSON.parse(buf.slice(0, nl)) as { id: number; pid?: number; execMs?: number };
      buf = buf.slice(nl + 1);
      waiting.get(reply.id)?.(reply);
      waiting.delete(reply.id);
    }
  });
  const request = (id: number, op: string, name = ''): Promise<{ pid?: number; execMs?: number }> =>
    new Promise((resolve) => {
      waiting.set(id, resolve);
      conn.write(`${JSON.stringify({ id, op, name })}\n`);
    });
  const record = (type: string, i: number): void => {
    fs.writeSync(journal, `${JSON.stringify({ seq: 2 * i + (type === 'step-end' ? 1 : 0), type, step: `start s${i}`, time: new Date().toISOString() })}\n`);
  };
  const pids: number[] = [];
  try {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const started = request(i, 'start', `s${i}`);
      record('step-start', i);
      pids.push((await started).pid as number);
      record('step-end', i);
    }
    const perTransitionMs = (performance.now() - t0) / count;
    const { execMs } = await request(count, 'stats');
    process.stdout.write(`${JSON.stringify({ perTransitionMs, execMs })}\n`);
  } finally {
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    conn.destroy();
    supervisor.kill('SIGKILL');
    fs.closeSync(journal);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const [mode, ...rest] = process.argv.slice(2);
if (mode === 'serve') serve(rest[0] as string, rest[1] as string, rest.slice(2));
else await run(mode as string, Number(rest[0]), rest.slice(1));
