import type { Command } from '../command.js';

// The command list, in the order `rcform --help` shows it. Each command's module is loaded only
// when that command runs (or help lists them all): a command's module pulls in what it needs, and
// loading every command's dependencies cost each run of any one of them a hundred-odd modules.
// One per line, so that areas adding commands in parallel do not conflict; the name here must be
// the command's own (test/cli/commands-index.test.ts checks).

export interface CommandEntry {
  /** One or more words, as in Command.name. */
  name: string;
  load(): Promise<Command>;
}

export const commandEntries: readonly CommandEntry[] = [
  { name: 'init', load: async () => (await import('./init.js')).initCommand },
  { name: 'validate', load: async () => (await import('./validate.js')).validateCommand },
  { name: 'compile', load: async () => (await import('./compile.js')).compileCommand },
  { name: 'plan', load: async () => (await import('./plan.js')).planCommand },
  { name: 'apply', load: async () => (await import('./apply.js')).applyCommand },
  { name: 'destroy', load: async () => (await import('./apply.js')).destroyCommand },
  { name: 'diff', load: async () => (await import('./diff.js')).diffCommand },
  { name: 'show', load: async () => (await import('./show-plan.js')).showPlanCommand },
  { name: 'show compiled', load: async () => (await import('./show-compiled.js')).showCompiledCommand },
  { name: 'graph', load: async () => (await import('./graph.js')).graphCommand },
  { name: 'import s6-rc', load: async () => (await import('./import-s6rc.js')).importS6rcCommand },
  { name: 'export s6-rc', load: async () => (await import('./export-s6rc.js')).exportS6rcCommand },
  { name: 'state list', load: async () => (await import('./state-list.js')).stateListCommand },
  { name: 'state show', load: async () => (await import('./state-show.js')).stateShowCommand },
  { name: 'state mv', load: async () => (await import('./state-mv.js')).stateMvCommand },
  { name: 'state rm', load: async () => (await import('./state-rm.js')).stateRmCommand },
  { name: 'state pull', load: async () => (await import('./state-pull.js')).statePullCommand },
  { name: 'force-unlock', load: async () => (await import('./force-unlock.js')).forceUnlockCommand },
  { name: 'up', load: async () => (await import('./hold.js')).upCommand },
  { name: 'down', load: async () => (await import('./hold.js')).downCommand },
  { name: 'release', load: async () => (await import('./hold.js')).releaseCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'logs', load: async () => (await import('./logs.js')).logsCommand },
  { name: 'supervise', load: async () => (await import('./supervise.js')).superviseCommand },
  { name: 'fmt', load: async () => (await import('./fmt.js')).fmtCommand },
  { name: 'version', load: async () => (await import('./version.js')).versionCommand },
  { name: 'completion', load: async () => (await import('./completion.js')).completionCommand },
];

/** Every command, loaded: for the full help, and for tests that look at all of them. */
export async function loadCommands(entries: readonly CommandEntry[] = commandEntries): Promise<Command[]> {
  // One after another: they share most of their modules, and loading is synchronous work anyway.
  const out: Command[] = [];
  for (const e of entries) out.push(await e.load());
  return out;
}
