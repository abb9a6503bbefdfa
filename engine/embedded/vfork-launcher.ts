import { createRequire } from 'node:module';
import { acceptedLaunch, launchFailure, reportExit, type LaunchHandlers, type LaunchSpec, type Launcher } from './spawner.js';

// The supervisor's side of rcform-vfork.node (vfork-launcher.c): services started in the
// supervisor's own process, by a plain call, with no other process to wake (docs/engine.md#spawning).
// The addon keeps one event callback per JavaScript environment, so a process has at most one
// open launcher at a time.

interface Addon {
  setup(onEvent: (kind: number, pid: number, a: number, b: number) => void): void;
  /** uid, gid: -1 for the supervisor's own. */
  launch(file: string, argv: string[], cwd: string, env: string[], slots: string[], uid: number, gid: number): [number, number | string];
  release(): void;
  watched(): number;
}

const EVENT_READY = 1;
const EVENT_DIED = 2;

let loaded: { addon?: Addon; error?: string } | undefined;

/** The addon as built by `npm run build` beside this module, or why it cannot be used here. */
export function loadVforkAddon(): { addon?: Addon; error?: string } {
  if (!loaded) {
    try {
      loaded = { addon: createRequire(import.meta.url)('./rcform-vfork.node') as Addon };
    } catch (err) {
      loaded = { error: (err as Error).message.split('\n')[0] as string };
    }
  }
  return loaded;
}

let current: VforkLauncher | undefined;

export class VforkLauncher implements Launcher {
  private readonly byPid = new Map<number, LaunchHandlers>();
  private open = true;
  readonly stats = { count: 0, ms: 0, execMs: 0 };

  /** The launcher of this process; undefined when the addon was not built or cannot load here. */
  static open(): VforkLauncher | undefined {
    const { addon } = loadVforkAddon();
    if (!addon) return undefined;
    if (current?.open) return current;
    current = new VforkLauncher(addon);
    return current;
  }

  private constructor(private readonly addon: Addon) {
    addon.setup((kind, pid, a, b) => this.onEvent(kind, pid, a, b));
  }

  get alive(): boolean {
    return this.open;
  }

  /** Processes started and not yet seen dead. */
  get watched(): number {
    return this.addon.watched();
  }

  launch(spec: LaunchSpec, handlers: LaunchHandlers): void {
    const c = acceptedLaunch(spec, handlers, this.open ? undefined : 'the launcher is closed');
    if (!c) return;
    const t0 = performance.now();
    const [pid, detail] = this.addon.launch(spec.file, c.argv, spec.cwd, c.env, c.slots, spec.uid ?? -1, spec.gid ?? -1);
    this.stats.count++;
    this.stats.ms += performance.now() - t0;
    if (pid > 0) {
      this.stats.execMs += (detail as number) / 1000;
      this.byPid.set(pid, handlers);
      handlers.spawned(pid);
      return;
    }
    handlers.failed(launchFailure(spec.file, -pid, String(detail)));
  }

  private onEvent(kind: number, pid: number, a: number, b: number): void {
    const h = this.byPid.get(pid);
    if (kind === EVENT_READY) {
      h?.ready();
    } else if (kind === EVENT_DIED) {
      this.byPid.delete(pid);
      reportExit(h, a, b);
    }
  }

  /**
   * Stops watching: the processes run on, and once this process is gone they are adopted by the
   * next supervisor, as after a crash. Nothing more is reported to their handlers.
   */
  close(): void {
    this.open = false;
    this.addon.release();
    this.byPid.clear();
    if (current === this) current = undefined;
  }
}
