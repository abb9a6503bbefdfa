import { CliError, flagBool, write, type Command } from '../command.js';
import { LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, withLockedState } from '../live-flags.js';
import { EngineNotRunningError } from '../../engine/engine.js';
import { openEngine } from '../../engine/open-engine.js';
import type { CompiledService } from '../../lang/compile/compiled-db.js';
import { findByAddress, formatAddress, parseAddress } from '../../lang/address.js';
import { isUp } from '../../state/run-state.js';
import type { ServiceState, State } from '../../state/state-types.js';

const NAME_RE = /^([A-Za-z_][A-Za-z0-9_-]*)(?:@([^"\\/]+))?$/;

export const stateMvCommand: Command = {
  name: 'state mv',
  summary: 'Rename a service in the state and the engine, without restarting it',
  description: [
    'Renames FROM to TO, as a `moved` block would, but at once: the state entry (and the names other',
    'entries use for it) and, when the engine has the service, the engine\'s copy — a longrun keeps',
    'its process, a oneshot keeps its up/down state. TO is an address of the same type',
    '(longrun.frontend, longrun.getty["tty2"]) or a service name. Afterwards, rename the service in',
    'the source too, or the next plan will rename it back.',
  ].join('\n'),
  args: [{ name: 'FROM' }, { name: 'TO' }],
  flags: [LIVE_FLAG, LOCK_FLAG, LOCK_TIMEOUT_FLAG, { name: 'dry-run', type: 'boolean', description: 'Show what would be moved, change nothing' }],
  async run(ctx) {
    const [fromText, toText] = ctx.positionals as [string, string];
    return withLockedState(ctx, 'state mv', async (state, live) => {
      const entry = findByAddress(state.services, fromText);
      if (!entry) throw new CliError(`no service "${fromText}" in the live state at ${live.root}; nothing was moved`);
      const from = entry.definition.name;
      const target = resolveTarget(toText, entry.type);
      if (target.name === from) throw new CliError(`"${fromText}" and "${toText}" are the same service; nothing was moved`);
      const clash = state.services[target.name] ?? Object.values(state.services).find((s) => s.address === target.address);
      if (clash) throw new CliError(`${clash.address} already exists in the live state; nothing was moved`);

      write(ctx.io.stdout, `${flagBool(ctx, 'dry-run') ? 'Would move' : 'Move'} "${entry.address}" to "${target.address}"`);
      if (flagBool(ctx, 'dry-run')) return 0;

      const next = renamed(state, from, target.name, target.address);
      const moved = next.services[target.name] as ServiceState;
      let engine;
      try {
        engine = await openEngine(live.root, state.engine);
      } catch (err) {
        if (!(err instanceof EngineNotRunningError)) throw err;
        // Its services may still run, to be adopted under their old names: renaming only the
        // state would leave the two disagreeing.
        throw new CliError(`the ${state.engine.kind} engine of ${live.root} is not running, so the service cannot be renamed in it (${err.message}); start it with "rcform init --live ${live.root}", then retry; nothing was moved`);
      }
      try {
        const status = await engine.status();
        const running = status[from];
        if (running) {
          if (moved.definition.type === 'longrun') {
            await engine.rename(from, target.name, moved.definition);
          } else {
            const up = isUp(running.state);
            await engine.setOneshotState(moved.definition, up);
            await engine.setOneshotState(entry.definition, false);
          }
        }
      } finally {
        await engine.close();
      }
      const written = live.writeState(next);
      write(ctx.io.stdout, `Successfully moved 1 service (serial ${written.serial}).`);
      return 0;
    });
  },
};

function resolveTarget(text: string, type: ServiceState['type']): { name: string; address: string } {
  const parsed = parseAddress(text, ['longrun', 'oneshot']);
  if (parsed) {
    if (parsed.type !== type) throw new CliError(`cannot move a ${type} to ${text}: the type cannot change; nothing was moved`);
    return { name: parsed.name, address: parsed.address };
  }
  const m = NAME_RE.exec(text);
  if (!m) throw new CliError(`"${text}" is neither an address (${type}.NAME or ${type}.NAME["KEY"]) nor a service name; nothing was moved`);
  const [, base, key] = m as unknown as [string, string, string | undefined];
  return { name: text, address: formatAddress(type, base, key) };
}

/** The state with `from` renamed, including the names other entries use for it. */
function renamed(state: State, from: string, to: string, address: string): State {
  const swap = (names: string[]) => names.map((n) => (n === from ? to : n)).sort();
  const services: Record<string, ServiceState> = {};
  for (const [name, e] of Object.entries(state.services)) {
    const def = { ...e.definition } as CompiledService;
    def.dependencies = swap(def.dependencies);
    def.reverse_dependencies = swap(def.reverse_dependencies);
    if (def.type === 'longrun') {
      if (def.producer_for === from) def.producer_for = to;
      def.consumer_for = def.consumer_for.map((n) => (n === from ? to : n));
    }
    if (name === from) {
      def.name = to;
      def.address = address;
      services[to] = { ...e, address, definition: def };
    } else {
      services[name] = { ...e, definition: def };
    }
  }
  return { ...state, services };
}
