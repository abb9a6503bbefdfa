import fs from 'node:fs';
import path from 'node:path';
import type { FlagSpec } from './args.js';
import { CliError } from './command.js';
import type { CompiledOneshot } from '../lang/compile/compiled-db.js';
import type { Plan } from '../planner/plan-types.js';

// Operators' answers to oneshots with `input { prompt, secret }` (a passphrase to unlock a disk).
// On a terminal they are asked at the step. Without one they come from `--input NAME=@FILE`: a
// file, never a value on the command line, because argv is visible to every user in the process
// list. The answer is held in memory only and reaches the oneshot through its stdin.
//
// The same flag takes Terraform's -input=false, which CI scripts pass to every command: then
// nothing is asked, not even apply's confirmation, and what would need asking fails before
// anything starts. An answer always has "=@" and a boolean never does, so the two cannot be
// mistaken for each other. RCFORM_INPUT=false does the same as -input=false (TF_INPUT's habit).

export const INPUT_FLAG: FlagSpec = {
  name: 'input',
  type: 'list',
  valueName: 'false|NAME=@FILE',
  description: "NAME=@FILE: answer oneshot NAME's input from FILE (repeatable). false: never ask (Terraform's -input=false; RCFORM_INPUT=false)",
};

/** plan and init never ask: they take -input=false so that Terraform habits and CI scripts run as written. */
export const INPUT_ACCEPTED_FLAG: FlagSpec = {
  name: 'input',
  type: 'boolean',
  default: true,
  description: "Accepted for Terraform's -input=false: this command never asks",
};

const BOOL_WORDS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };

export interface InputSources {
  /** Service name → file holding the answer. */
  files: Map<string, string>;
  /** False with -input=false or RCFORM_INPUT=false: nothing may be asked. */
  interactive: boolean;
}

export function parseInputFlags(values: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): InputSources {
  const files = new Map<string, string>();
  const fromEnv = env['RCFORM_INPUT'];
  let interactive = fromEnv === undefined || fromEnv === '' ? true : BOOL_WORDS[fromEnv.toLowerCase()];
  if (interactive === undefined) throw new CliError(`RCFORM_INPUT takes true or false, not "${fromEnv}"`);
  for (const v of values) {
    const b = BOOL_WORDS[v.toLowerCase()];
    if (b !== undefined) {
      interactive = b;
      continue;
    }
    const m = /^([^=]+)=@(.+)$/.exec(v);
    if (!m) {
      throw new CliError(`--input takes NAME=@FILE (the answer is read from FILE; values on the command line would show in the process list) or false, not "${v.replace(/=.*/, '=...')}"`);
    }
    files.set(m[1] as string, path.resolve(cwd, m[2] as string));
  }
  return { files, interactive };
}

/** The oneshots of a plan that will ask for input, in plan order. */
export function inputsNeeded(plan: Plan): CompiledOneshot[] {
  const out: CompiledOneshot[] = [];
  for (const step of plan.steps) {
    if (step.action !== 'oneshot_up') continue;
    const change = plan.resource_changes.find((c) => c.name === step.service);
    const svc = change?.after;
    if (svc?.type === 'oneshot' && svc.input) out.push(svc);
  }
  return out;
}

/** Reads an answer file: one trailing newline is not part of the answer. */
export function readAnswerFile(name: string, file: string): Buffer {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`--input ${name}=@${file}: cannot read the file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return data.at(-1) === 0x0a ? data.subarray(0, data.length - 1) : data;
}

/**
 * Checked before anything starts: every oneshot that needs an answer has one, or can be asked.
 * Returns the answers read from files, by service name.
 */
export function preflightInputs(plan: Plan, sources: InputSources, terminal: boolean): Map<string, Buffer> {
  const canAsk = terminal && sources.interactive;
  const answers = new Map<string, Buffer>();
  const needed = inputsNeeded(plan);
  const known = new Set(needed.map((s) => s.name));
  for (const name of sources.files.keys()) {
    if (!known.has(name)) throw new CliError(`--input ${name}: the plan runs no oneshot named "${name}" that asks for input`);
  }
  const missing: string[] = [];
  for (const svc of needed) {
    const file = sources.files.get(svc.name);
    if (file) answers.set(svc.name, readAnswerFile(svc.name, file));
    else if (!canAsk) missing.push(`${svc.address} ("${svc.input?.prompt}")`);
  }
  if (missing.length > 0) {
    throw new CliError(
      `these oneshots ask the operator for input, and ${sources.interactive ? 'there is no terminal to ask on' : '-input=false forbids asking'}: ${missing.join(', ')}; ` +
        `give each answer in a file with --input NAME=@FILE. Nothing was started.`,
    );
  }
  return answers;
}
