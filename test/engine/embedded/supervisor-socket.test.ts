import { afterEach, expect, test } from '@jest/globals';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { cliOperator, endCliOperator, type CliOperator } from '../../support/cli-operator.js';
import { alive } from '../../support/engine-harness.js';

// The supervisor survives its socket being removed or replaced (by hand, by a cleanup of sockets
// in the temp directory): it goes on supervising, listens at its path again, and stops cleanly.

let op: CliOperator | undefined;
const servers: net.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
  if (op) endCliOperator(op);
  op = undefined;
});

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a socket replaced by a directory, a file or another listener: status answers again, the stop is clean', async () => {
  op = cliOperator('embedded', 'rcform-sock-');
  const o = op;
  fs.writeFileSync(path.join(o.root, 'src', 'main.hcl'), 'longrun "keep" {\n  run = ["sleep", "1607"]\n}\n');
  expect(o.rc(['init']).code).toBe(0);
  expect(o.rc(['apply', 'src', '--auto-approve']).code).toBe(0);
  const pid = Number(fs.readFileSync(path.join(o.live, 'engine', 'supervisor.pid'), 'utf8').split(' ')[0]);
  const servicePid = o.status()['keep']?.pid as number;
  const sock = path.join(o.live, 'engine', 'supervise.sock');
  const replacements: [string, () => Promise<void>][] = [
    ['a directory', async () => fs.mkdirSync(sock)],
    ['a file', async () => fs.writeFileSync(sock, 'x', { mode: 0o600 })],
    [
      'another listener',
      async () => {
        const s = net.createServer((c) => c.destroy());
        servers.push(s);
        await new Promise<void>((r) => s.listen(sock, () => r()));
      },
    ],
  ];
  const logFile = path.join(o.live, 'engine', 'supervisor.log');
  const relistens = (): number => (fs.readFileSync(logFile, 'utf8').match(/listening there again/g) ?? []).length;
  for (const [what, replace] of replacements) {
    const before = relistens();
    fs.rmSync(sock, { recursive: true, force: true });
    await replace();
    // Until then a listener of the same user is that user's to run (this one answers nothing).
    await until(`the supervisor to take its socket back from ${what}`, () => relistens() > before);
    await until(`status after the socket was replaced by ${what}`, () => o.rc(['status']).code === 0);
    expect({ what, alive: alive(pid), service: o.status()['keep']?.pid }).toEqual({ what, alive: true, service: servicePid });
  }
  // Replaced again just before the stop: the stop still brings every service down, and exits.
  fs.rmSync(sock, { force: true });
  fs.mkdirSync(sock);
  process.kill(pid, 'SIGTERM');
  await until('the supervisor to exit', () => !alive(pid));
  expect(alive(servicePid)).toBe(false);
  const log = fs.readFileSync(logFile, 'utf8');
  expect(log).toMatch(/supervise\.sock was removed or replaced; listening there again/);
  expect(log).toMatch(/rcform supervisor stopped: every service is down\n$/);
  expect(log).not.toMatch(/Error|    at /);
  // What replaced the socket is left where it was.
  expect(fs.statSync(sock).isDirectory()).toBe(true);
}, 120_000);
