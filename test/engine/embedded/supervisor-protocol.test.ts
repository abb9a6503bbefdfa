import { afterEach, expect, test } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Io } from '../../../cli/command.js';
import { runCli } from '../../../cli/run.js';
import { EmbeddedEngine, SupervisorProtocolError } from '../../../engine/embedded/client.js';
import { PROTOCOL_VERSION } from '../../../engine/embedded/protocol.js';
import { cliOperator, endCliOperator, type CliOperator } from '../../support/cli-operator.js';
import { alive } from '../../support/engine-harness.js';

// A detached supervisor outlives an upgrade of rcform: the client and the supervisor agree on a
// protocol version before anything else goes over the socket, and a mismatch is a clear error
// naming both versions and how to restart the supervisor.

let op: CliOperator | undefined;
const servers: net.Server[] = [];
afterEach(async () => {
  // Before the operator's teardown, whose commands would otherwise talk to a fake in this process.
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  if (op) endCliOperator(op);
  op = undefined;
});

/** Sends lines on a fresh connection and collects one reply per line. */
async function exchange(sock: string, lines: object[]): Promise<Record<string, unknown>[]> {
  const c = net.createConnection(sock);
  const replies: Record<string, unknown>[] = [];
  let buf = '';
  c.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    c.on('error', reject);
    c.on('connect', () => c.write(lines.map((l) => JSON.stringify(l) + '\n').join('')));
    c.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        replies.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        buf = buf.slice(nl + 1);
      }
      if (replies.length === lines.length) resolve();
    });
  });
  c.destroy();
  return replies;
}

/** A stand-in for a supervisor of another rcform on the live directory's socket: it records what it is asked. */
async function fakeSupervisor(sock: string, answer: (req: { id: number; op: string }) => object): Promise<string[]> {
  const asked: string[] = [];
  const server = net.createServer((c) => {
    let buf = '';
    c.setEncoding('utf8');
    c.on('error', () => {});
    c.on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const req = JSON.parse(buf.slice(0, nl)) as { id: number; op: string };
        buf = buf.slice(nl + 1);
        asked.push(req.op);
        c.write(JSON.stringify(answer(req)) + '\n');
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(sock, () => r()));
  fs.chmodSync(sock, 0o600);
  return asked;
}

async function rcformIn(live: string, args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const err = new PassThrough();
  err.on('data', (c) => (stderr += c));
  const io: Io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: err, env: { ...process.env, RCFORM_LIVE: live }, cwd: process.cwd(), color: false };
  return { code: await runCli(args, io), stderr };
}

test('the supervisor reads no request before a hello in its own protocol; the restart the mismatch error gives works', async () => {
  op = cliOperator('embedded', 'rcform-proto-');
  fs.writeFileSync(path.join(op.root, 'src', 'main.hcl'), 'longrun "keep" {\n  run = ["sleep", "1611"]\n}\n');
  expect(op.rc(['init']).code).toBe(0);
  expect(op.rc(['apply', 'src', '--auto-approve']).code).toBe(0);
  const sock = path.join(op.live, 'engine', 'supervise.sock');
  const pid = Number(fs.readFileSync(path.join(op.live, 'engine', 'supervisor.pid'), 'utf8').split(' ')[0]);

  const [early] = await exchange(sock, [{ id: 1, op: 'shutdown' }]);
  expect(early).toEqual({ id: 1, ok: false, protocol: PROTOCOL_VERSION, pid, error: `this supervisor (pid ${pid}) speaks protocol ${PROTOCOL_VERSION} and reads a request only after a hello naming it; nothing was done` });
  const [other, after] = await exchange(sock, [{ id: 1, op: 'hello', protocol: PROTOCOL_VERSION + 1 }, { id: 2, op: 'shutdown' }]);
  expect(other).toEqual({ id: 1, ok: false, protocol: PROTOCOL_VERSION, pid, error: `this supervisor (pid ${pid}) speaks protocol ${PROTOCOL_VERSION}, not protocol ${PROTOCOL_VERSION + 1}` });
  expect(after).toMatchObject({ id: 2, ok: false });
  // The shutdowns were never read: it still supervises, and answers a client that agrees.
  const [hello, status] = await exchange(sock, [{ id: 1, op: 'hello', protocol: PROTOCOL_VERSION }, { id: 2, op: 'status' }]);
  expect(hello).toEqual({ id: 1, ok: true, result: { protocol: PROTOCOL_VERSION, pid } });
  expect(status).toMatchObject({ id: 2, ok: true, result: { keep: { state: 'up' } } });

  // The restart SupervisorProtocolError's hint gives: kill PID, then init; the service comes back.
  const before = op.status()['keep']?.pid;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (alive(pid) || (before !== undefined && alive(before))) {
    if (Date.now() > deadline) throw new Error('the supervisor did not stop on SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(op.rc(['init']).code).toBe(0);
  const back = op.status()['keep'];
  expect(back).toMatchObject({ wanted: 'up' });
  expect(alive(back?.pid)).toBe(true);
  expect(back?.pid).not.toBe(before);
}, 120_000);

test('a supervisor speaking another protocol: nothing but the hello is sent, and the error names both versions and the restart', async () => {
  op = cliOperator('embedded', 'rcform-proto-');
  const live = op.live;
  expect(op.rc(['init']).code).toBe(0);
  expect(op.rc(['supervise', '--stop']).code).toBe(0);
  const sock = path.join(live, 'engine', 'supervise.sock');
  const asked = await fakeSupervisor(sock, (req) =>
    req.op === 'hello' ? { id: req.id, ok: false, protocol: PROTOCOL_VERSION + 6, pid: 4242, error: `this supervisor (pid 4242) speaks protocol ${PROTOCOL_VERSION + 6}` } : { id: req.id, ok: true, result: {} },
  );

  const err = await EmbeddedEngine.connect(live).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SupervisorProtocolError);
  expect(err).toMatchObject({ supervisorProtocol: PROTOCOL_VERSION + 6, clientProtocol: PROTOCOL_VERSION, pid: 4242, kind: 'environment' });

  for (const args of [['status'], ['plan', '--destroy']]) {
    const r = await rcformIn(live, args);
    expect({ args, code: r.code }).toEqual({ args, code: 1 });
    expect(r.stderr).toContain(`Error: the supervisor of ${live} (pid 4242) speaks protocol ${PROTOCOL_VERSION + 6}, and this rcform speaks protocol ${PROTOCOL_VERSION}: it was started by another version of rcform; nothing was sent to it`);
    expect(r.stderr).toContain(`Restart it with this rcform: stop it with "kill 4242"`);
    expect(r.stderr).toContain(`"rcform init --live ${live}"`);
    expect(r.stderr).not.toContain('internal error');
  }
  expect(new Set(asked)).toEqual(new Set(['hello']));
}, 120_000);

test('a supervisor from before protocol versions is named as such, with its pid', async () => {
  op = cliOperator('embedded', 'rcform-proto-');
  const live = op.live;
  expect(op.rc(['init']).code).toBe(0);
  expect(op.rc(['supervise', '--stop']).code).toBe(0);
  // What such a supervisor says: hello is an unknown request; ping has always answered its pid.
  const asked = await fakeSupervisor(path.join(live, 'engine', 'supervise.sock'), (req) =>
    req.op === 'ping' ? { id: req.id, ok: true, result: { pid: 5151 } } : { id: req.id, ok: false, error: `unknown request ${req.op}` },
  );
  const r = await rcformIn(live, ['status']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`Error: the supervisor of ${live} (pid 5151) speaks a protocol from before protocol versions, and this rcform speaks protocol ${PROTOCOL_VERSION}`);
  expect(r.stderr).toContain('"kill 5151"');
  expect(new Set(asked)).toEqual(new Set(['hello', 'ping']));
}, 120_000);
