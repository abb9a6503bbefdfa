import type { ServiceStatus } from '../../engine/engine.js';
import { elapsedText } from '../../lang/compile/duration.js';
import type { Hold } from '../../state/state-types.js';

// `rcform status` for people: one row per service, in name order.

/** The engine's answer for a service, with what the live directory adds. */
export interface StatusRow extends Omit<ServiceStatus, 'state'> {
  state: ServiceStatus['state'];
  /** An operator hold (rcform up / down) on it. */
  hold?: Hold;
  /** A failed oneshot's error, from the journal. */
  error?: string;
}

function ago(since: string, now: Date): string {
  return elapsedText(now.getTime() - new Date(since).getTime());
}

function lastExit(st: StatusRow): string {
  if (!st.lastExit) return '-';
  if (st.lastExit.signal) return st.lastExit.signal;
  return st.lastExit.code === null ? 'unknown' : `exit ${st.lastExit.code}`;
}

function note(r: StatusRow): string {
  const parts: string[] = [];
  if (r.hold) parts.push(`held ${r.hold.state} (${r.hold.requested})`);
  if (r.error) parts.push(r.error);
  if (r.adopted) parts.push('adopted');
  else if (r.restartedOnRecovery) parts.push('restarted on recovery');
  return parts.join('; ');
}

export function renderStatus(status: Record<string, ServiceStatus> | StatusRow[], now: Date, filtered = false): string {
  const rows = (Array.isArray(status) ? [...status] : Object.values(status)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (rows.length === 0) return filtered ? 'No such services are installed.\n' : 'No services installed.\n';
  const table = [
    ['SERVICE', 'TYPE', 'WANTED', 'STATE', 'PID', 'SINCE', 'RESTARTS', 'LAST EXIT', ''],
    ...rows.map((r) => [r.name, r.type, r.wanted, r.state, r.pid !== undefined ? String(r.pid) : '-', ago(r.since, now), String(r.restarts), lastExit(r), note(r)]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
