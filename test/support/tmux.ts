import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './engine-harness.js';

// A real terminal for tests of what a person sees: a private tmux server (its own socket, so
// tests never touch anyone's sessions or each other's) running one command in a pane of a given
// size, read back with capture-pane: the screen, or the whole scrollback with it.

export const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;
if (!HAS_TMUX) process.stderr.write('\n*** tmux is not installed: the tests on a real terminal are SKIPPED (apt-get install tmux) ***\n');

export interface Terminal {
  /** What is on the screen now. */
  screen(): string;
  /** The scrollback and the screen, oldest line first, trailing blank lines dropped; with `colour`, its escape sequences. */
  history(colour?: boolean): string;
  /** Keys as tmux send-keys takes them (`Enter`, `C-c`); `literal` sends text as typed. */
  keys(...keys: string[]): void;
  literal(text: string): void;
  /**
   * Waits for text on the screen and returns that screen (a later capture may catch the terminal
   * in the middle of a redraw); a timeout shows the screen.
   */
  waitFor(what: string, text: string | RegExp, timeoutMs?: number): Promise<string>;
  close(): void;
}

export function openTerminal(cmd: string, cols: number, rows: number): Terminal {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rcform-tmux-'));
  const socket = path.join(dir, 'socket');
  const conf = path.join(dir, 'tmux.conf');
  // A scrollback long enough for every line a test prints; no status line, so the pane has
  // exactly the rows asked for. The command runs under bash whatever the user's login shell: a
  // Ctrl-C that rcform handles ends a non-interactive dash too (bash waits for its child and goes
  // on when the child exits on its own), and the tests read what the shell prints after it.
  fs.writeFileSync(conf, 'set -g history-limit 100000\nset -g status off\nset -g default-terminal xterm-256color\nset -g default-shell /bin/bash\n');
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  tmux('-f', conf, 'new-session', '-d', '-s', 'main', '-x', String(cols), '-y', String(rows), cmd);
  const screen = (): string => tmux('capture-pane', '-p', '-t', 'main');
  const t: Terminal = {
    screen,
    history: (colour = false) => tmux('capture-pane', '-p', '-J', ...(colour ? ['-e'] : []), '-S', '-', '-E', '-', '-t', 'main').replace(/\n+$/, '\n'),
    keys: (...keys) => void tmux('send-keys', '-t', 'main', ...keys),
    literal: (text) => void tmux('send-keys', '-t', 'main', '-l', text),
    async waitFor(what, text, timeoutMs = 60_000) {
      const has = (): string | undefined => {
        const now = screen();
        return (typeof text === 'string' ? now.includes(text) : text.test(now)) ? now : undefined;
      };
      try {
        return await waitFor(what, has, timeoutMs);
      } catch (err) {
        throw new Error(`${(err as Error).message}; the screen:\n${screen()}`);
      }
    },
    close() {
      spawnSync('tmux', ['-S', socket, 'kill-server']);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return t;
}
