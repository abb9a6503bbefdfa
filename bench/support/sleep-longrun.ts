import type { CompiledLongrun } from '../../lang/compile/compiled-db.js';

// The service every engine benchmark supervises: `sleep`, up as soon as it is spawned, so what is
// measured is the supervisor's and rcform's own cost. Derived fields are left for the caller.
export function sleepLongrun(name: string, dependencies: string[] = []): CompiledLongrun {
  return {
    type: 'longrun',
    name,
    address: `longrun.${name}`,
    essential: false,
    dependencies: [...dependencies].sort(),
    reverse_dependencies: [],
    rank: 0,
    definition_hash: name,
    sensitive_paths: [],
    run: { argv: ['sleep', '3600'] },
    down: false,
    env: {},
    timeouts: { up_ms: 0, down_ms: 0, kill_ms: 5000, finish_ms: 5000 },
    down_signal: 'SIGTERM',
    max_death_tally: 100,
    data: {},
    consumer_for: [],
    lifecycle: { on_change: 'restart' },
  };
}
