import type { Plan } from '../../planner/plan-types.js';
import { db, longrun, oneshot, planned, stateOf, statusOf } from './plan-fixtures.js';

// One plan holding every kind of change the views must render: the golden files of the human,
// JSON and Markdown views are made from it.
export function everyKindOfChange(): Plan {
  const before = [
    longrun('db', { env: { PGPASSWORD: 'hunter2', PGPORT: '5432' }, sensitive_paths: ['env.PGPASSWORD'] }),
    longrun('api', { dependencies: ['db'], run: { argv: ['/usr/bin/api', '--port', '8080'] } }),
    longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'worker_processes 1;\nevents {}\nhttp {\n  server { listen 80; }\n}\n' } }),
    longrun('metrics', { lifecycle: { on_change: 'ignore' } }),
    longrun('legacy'),
    longrun('spare', { down: true }),
    longrun('cron'),
    longrun('backup', { down: true }),
    longrun('proxy', { run: { argv: ['/usr/bin/haproxy', '-f', '/etc/haproxy.cfg'] } }),
    longrun('worker', { run: { argv: ['/usr/bin/worker'] } }),
    longrun('queue'),
    longrun('agent', { description: 'old agent' }),
    oneshot('mount', { up: { script: '#!/bin/sh\nset -e\nmount -a\n' } }),
  ];
  const after = [
    longrun('db', { env: { PGPASSWORD: 'correct horse', PGPORT: '5433' }, sensitive_paths: ['env.PGPASSWORD'] }),
    longrun('api', { dependencies: ['db'], run: { argv: ['/usr/bin/api', '--port', '8080'] } }),
    longrun('nginx', { reload_signal: 'SIGHUP', data: { 'nginx.conf': 'worker_processes 4;\nevents {}\nhttp {\n  server { listen 80; }\n}\n' } }),
    longrun('metrics', { lifecycle: { on_change: 'ignore' }, run: { argv: ['/usr/bin/metrics', '--v2'] } }),
    longrun('cron', { down: true }),
    longrun('backup', { down: false }),
    longrun('edge', { run: { argv: ['/usr/bin/haproxy', '-f', '/etc/haproxy.cfg'] } }),
    oneshot('worker', { up: { argv: ['/usr/bin/worker', '--once'] } }),
    longrun('queue'),
    longrun('agent', { description: 'the monitoring agent', timeouts: { up_ms: 20000, down_ms: 5000, kill_ms: 1000, finish_ms: 5000 } }),
    longrun('cache', { env: { SIZE: '64m' }, dependencies: ['db'] }),
    longrun('debug', { down: true, run: { script: '#!/bin/sh\nexec sleep infinity\n' } }),
    oneshot('mount', { up: { script: '#!/bin/sh\nset -eu\nmount -a\n' } }),
  ];
  const state = stateOf(db(before));
  return planned({
    compiled: db(after, [{ from: 'proxy', to: 'edge' }]),
    state,
    observed: statusOf(state, { queue: 'failed' }),
    options: { replace: [] },
  });
}
