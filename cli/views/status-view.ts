import type { ServiceStatus } from '../../engine/engine.js';
import { elapsedText } from '../../lang/compile/duration.js';

// `rcform status` for people: one row per service, in name order.

function ago(since: string, now: Date): string {
  return elapsedText(now.getTime() - new Date(since).getTime());
}

function lastExit(st: ServiceStatus): string {
  if (!st.lastExit) return '-';
  if (st.lastExit.signal) return st.lastExit.signal;
  return st.lastExit.code === null ? 'unknown' : `exit ${st.lastExit.code}`;
}

export function renderStatus(status: Record<string, ServiceStatus>, now: Date): string {
  const rows = Object.values(status).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (rows.length === 0) return 'No services installed.\n';
  const table = [
    ['SERVICE', 'TYPE', 'WANTED', 'STATE', 'PID', 'SINCE', 'RESTARTS', 'LAST EXIT', ''],
    ...rows.map((r) => [r.name, r.type, r.wanted, r.state, r.pid !== undefined ? String(r.pid) : '-', ago(r.since, now), String(r.restarts), lastExit(r), r.adopted ? 'adopted' : r.restartedOnRecovery ? 'restarted on recovery' : '']),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return table.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
