import type { Command, CompiledBundle, CompiledDb, CompiledService } from '../../lang/compile/compiled-db.js';
import { allDependencies, bundlesContaining, closure, listNames, type Direction } from '../../lang/compile/db-query.js';
import { SENSITIVE_SHORT, hidesKeys, isSensitivePath } from '../../lang/redact.js';

// Human views of a compiled database for `rcform show compiled`. Pure string rendering; the
// command chooses between these and the JSON view. Values that came from sensitive variables are
// never printed here, only marked, as Terraform does in its human output.

export function renderDbSummary(db: CompiledDb): string {
  const lines = [`Compiled database (format ${db.format_version}), hash ${db.hash}`];
  const longruns = listNames(db, 'longruns');
  const oneshots = listNames(db, 'oneshots');
  const bundles = listNames(db, 'bundles');
  const section = (title: string, names: string[], detail: (n: string) => string): void => {
    lines.push('', `${title} (${names.length}):`);
    const width = Math.max(0, ...names.map((n) => n.length));
    for (const n of names) lines.push(`  ${n.padEnd(width)}  ${detail(n)}`.trimEnd());
  };
  const atomicDetail = (n: string): string => {
    const s = db.services[n] as CompiledService;
    const flags = [s.type === 'longrun' && s.down ? 'down' : '', s.essential ? 'essential' : ''].filter(Boolean);
    const deps = s.dependencies.length ? `needs ${s.dependencies.join(', ')}` : 'no dependencies';
    return [`rank ${s.rank}`, deps, ...flags].join('  ');
  };
  section('longruns', longruns, atomicDetail);
  section('oneshots', oneshots, atomicDetail);
  section('bundles', bundles, (n) => {
    const b = db.bundles[n] as CompiledBundle;
    return `${b.contents.join(', ')}${b.essential ? '  essential' : ''}`;
  });
  if (db.moved.length) {
    lines.push('', `moved (${db.moved.length}):`);
    for (const m of db.moved) lines.push(`  ${m.from} -> ${m.to}`);
  }
  return lines.join('\n') + '\n';
}

type Row = [label: string, value: string];

export function renderServiceDetail(db: CompiledDb, s: CompiledService): string {
  const sp = s.sensitive_paths ?? [];
  const hidden = { has: (path: string): boolean => isSensitivePath(path, sp) };
  const text = (path: string, v: string): string => (hidden.has(path) ? SENSITIVE_SHORT : v);
  const rows: Row[] = [['type', s.type], ['address', s.address]];
  if (s.description !== undefined) rows.push(['description', s.description]);
  if (s.type === 'longrun') {
    rows.push(['run', commandText(s.run, hidden.has('run'))]);
    if (s.finish) rows.push(['finish', commandText(s.finish, hidden.has('finish'))]);
    rows.push(['down', String(s.down)]);
  } else {
    rows.push(['up', commandText(s.up, hidden.has('up'))]);
    if (s.down) rows.push(['down', commandText(s.down, hidden.has('down'))]);
  }
  rows.push(['essential', String(s.essential)]);
  if (hidesKeys('env', sp)) rows.push(['env', SENSITIVE_SHORT]);
  else for (const [k, v] of Object.entries(s.env)) rows.push([`env.${k}`, text(`env.${k}`, JSON.stringify(v))]);
  if (s.type === 'longrun' && s.working_dir !== undefined) rows.push(['working_dir', text('working_dir', s.working_dir)]);
  if (s.user !== undefined) rows.push(['user', text('user', s.user)]);
  if (s.group !== undefined) rows.push(['group', text('group', s.group)]);
  if (s.type === 'longrun') {
    if (s.notification_fd !== undefined) rows.push(['notification_fd', String(s.notification_fd)]);
    if (s.lock_fd !== undefined) rows.push(['lock_fd', String(s.lock_fd)]);
    rows.push(
      ['timeout_up', ms(s.timeouts.up_ms)],
      ['timeout_down', ms(s.timeouts.down_ms)],
      ['timeout_kill', ms(s.timeouts.kill_ms)],
      ['timeout_finish', ms(s.timeouts.finish_ms)],
      ['down_signal', s.down_signal],
    );
    if (s.reload_signal !== undefined) rows.push(['reload_signal', s.reload_signal]);
    rows.push(['max_death_tally', String(s.max_death_tally)], ['on_change', s.lifecycle.on_change]);
    if (hidesKeys('data', sp)) rows.push(['data', SENSITIVE_SHORT]);
    else for (const [file, content] of Object.entries(s.data)) rows.push([`data["${file}"]`, text(`data.${file}`, `${Buffer.byteLength(content)} bytes`)]);
    if (s.producer_for !== undefined) rows.push(['producer_for', s.producer_for]);
    if (s.consumer_for.length) rows.push(['consumer_for', s.consumer_for.join(', ')]);
    if (s.pipeline_name !== undefined) rows.push(['pipeline_name', s.pipeline_name]);
  } else {
    rows.push(['timeout_up', ms(s.timeouts.up_ms)], ['timeout_down', ms(s.timeouts.down_ms)]);
    if (s.input) rows.push(['input', `${JSON.stringify(s.input.prompt)}${s.input.secret ? ' (secret)' : ''}`]);
  }
  rows.push(
    ['rank', String(s.rank)],
    ['dependencies', list(s.dependencies)],
    ['all dependencies', list(closure(db, s.name))],
    ['reverse dependencies', list(s.reverse_dependencies)],
    ['all reverse dependencies', list(allDependencies(db, [s.name], 'down').filter((n) => n !== s.name))],
    ['in bundles', list(bundlesContaining(db, s.name))],
    ['definition hash', s.definition_hash],
  );
  return `${s.type} "${s.name}"\n${table(rows)}`;
}

export function renderBundleDetail(db: CompiledDb, b: CompiledBundle): string {
  const rows: Row[] = [['type', 'bundle'], ['address', b.address]];
  if (b.description !== undefined) rows.push(['description', b.description]);
  rows.push(
    ['essential', String(b.essential)],
    ['contents', list(b.contents)],
    ['atomic members', list(b.members)],
    ['all dependencies', list(allDependencies(db, [b.name], 'up'))],
    ['in bundles', list(bundlesContaining(db, b.name))],
  );
  return `bundle "${b.name}"\n${table(rows)}`;
}

/** One name per line, as s6-rc-db prints its answers, so the output feeds shell loops. */
export function renderNames(names: readonly string[]): string {
  return names.map((n) => n + '\n').join('');
}

export function renderCommand(cmd: Command | undefined): string {
  if (!cmd) return '';
  if ('argv' in cmd) return cmd.argv.map(shellQuote).join(' ') + '\n';
  return cmd.script.endsWith('\n') ? cmd.script : cmd.script + '\n';
}

export function directionWord(direction: Direction): string {
  return direction === 'up' ? 'dependencies' : 'reverse dependencies';
}

function commandText(cmd: Command, sensitive: boolean): string {
  if (sensitive) return SENSITIVE_SHORT;
  if ('argv' in cmd) return `[${cmd.argv.map((a) => JSON.stringify(a)).join(', ')}]`;
  const body = cmd.script.replace(/\n$/, '').split('\n');
  return ['script:', ...body.map((l) => `| ${l}`.trimEnd())].join('\n');
}

function table(rows: Row[]): string {
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const pad = ' '.repeat(width + 2);
  return rows
    .map(([label, value]) => {
      const [first, ...rest] = value.split('\n');
      return [`  ${label.padEnd(width)}${first}`, ...rest.map((l) => pad + l)].join('\n');
    })
    .join('\n')
    .concat('\n');
}

function list(names: readonly string[]): string {
  return names.length ? names.join(', ') : '(none)';
}

function ms(n: number): string {
  return n === 0 ? '0 (no limit)' : `${n}ms`;
}

function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
