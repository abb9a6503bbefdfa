import type { Socket } from 'node:net';
import type { ServiceSideRequest, SpawnedMessage } from '../service-side-requests.js';

// The control protocol on the supervisor's socket: one JSON object per line each way. Requests
// carry an id; the reply to a transition comes when the transition is done, so several requests
// may be in flight on one connection and replies may come back out of order.
//
// A detached supervisor outlives an upgrade of rcform, so the two may not speak the same protocol.
// A connection's first request is `hello` with the client's PROTOCOL_VERSION; the supervisor
// answers it with its own and its pid, and refuses every other request on a connection that has
// not agreed. A supervisor from before versions answers `hello` as an unknown request.

/**
 * Bumped whenever a request or reply changes shape or meaning, the service-side requests
 * (engine/service-side-requests.ts) included: the s6 oneshot runner serves them too.
 */
export const PROTOCOL_VERSION = 2;

export type Request =
  | { id: number; op: 'hello'; protocol: number }
  | { id: number; op: 'ping' }
  | { id: number; op: 'install' | 'update'; svc: unknown }
  | { id: number; op: 'rename'; from: string; to: string; svc: unknown }
  | { id: number; op: 'uninstall' | 'reload'; name: string }
  | { id: number; op: 'start' | 'stop'; name: string; timeoutMs: number }
  | { id: number; op: 'oneshot'; svc: unknown; up: boolean }
  | { id: number; op: 'status' }
  | { id: number; op: 'stats' }
  | { id: number; op: 'shutdown' }
  | ServiceSideRequest;

export type Reply = { id: number; ok: true; result?: unknown } | { id: number; ok: false; error: string; service?: string; protocol?: number; pid?: number } | SpawnedMessage;

/** The answer to a `hello`; a refusal is `ok: false` with the supervisor's `protocol` and `pid`. */
export interface Hello {
  protocol: number;
  pid: number;
}

/** What a supervisor from before protocol versions says to `hello`. */
export const UNVERSIONED_HELLO_ERROR = 'unknown request hello';

/** Calls `onLine` for each complete line received on `sock`. */
export function onLines(sock: Socket, onLine: (line: string) => void): void {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
  });
}
