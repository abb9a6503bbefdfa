import { createRequire } from 'node:module';
import type net from 'node:net';

// Who is at the other end of the supervisor's socket (rcform-peercred.node, peer-cred.c). Without
// the addon (no C compiler at build time) nobody can be asked, and the socket's owner and mode
// and its owner-only directory are the only guard: the callers say so rather than pretend.

export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

interface Addon {
  peer(fd: number): Partial<PeerCred> & { errno?: number };
}

let loaded: { addon?: Addon; error?: string } | undefined;

export function loadPeerCredAddon(): { addon?: Addon; error?: string } {
  if (!loaded) {
    try {
      loaded = { addon: createRequire(import.meta.url)('./rcform-peercred.node') as Addon };
    } catch (err) {
      loaded = { error: (err as Error).message.split('\n')[0] as string };
    }
  }
  return loaded;
}

/**
 * The credentials of the process at the other end of a connected Unix socket, as the kernel
 * recorded them at connect (or listen); `unknown` says why they cannot be had.
 */
export function peerCredOf(sock: net.Socket): { cred: PeerCred } | { unknown: string } {
  const { addon, error } = loadPeerCredAddon();
  if (!addon) return { unknown: `rcform-peercred.node is not available (${error})` };
  // Node keeps a connected pipe's descriptor on its handle; there is no public accessor.
  const fd = (sock as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return { unknown: 'the socket has no descriptor' };
  const r = addon.peer(fd);
  if (r.errno !== undefined || r.uid === undefined) return { unknown: `SO_PEERCRED failed (errno ${r.errno})` };
  return { cred: { pid: r.pid as number, uid: r.uid, gid: r.gid as number } };
}
