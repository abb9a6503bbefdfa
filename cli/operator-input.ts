import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './command.js';
import type { CompiledOneshot } from '../lang/compile/compiled-db.js';
import type { Plan } from '../planner/plan-types.js';

// Operators' answers to oneshots with `input { prompt, secret }` (a passphrase to unlock a disk).
// On a terminal they are asked at the step. Without one they come from `--input NAME=@FILE`: a
// file, never a value on the command line, because argv is visible to every user in the process
// list. The answer is held in memory only and reaches the oneshot through its stdin.

export interface InputSources {
  /** Service name → file holding the answer. */
  files: Map<string, string>;
}

export function parseInputFlags(values: readonly string[], cwd: string): InputSources {
  const files = new Map<string, string>();
  for (const v of values) {
    const m = /^([^=]+)=@(.+)$/.exec(v);
    if (!m) {
      throw new CliError(`--input takes NAME=@FILE (the answer is read from FILE; values on the command line would show in the process list), not "${v.replace(/=.*/, '=...')}"`);
    }
    files.set(m[1] as string, path.resolve(cwd, m[2] as string));
  }
  return { files };
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
export function preflightInputs(plan: Plan, sources: InputSources, canAsk: boolean): Map<string, Buffer> {
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
      `these oneshots ask the operator for input, and there is no terminal to ask on: ${missing.join(', ')}; ` +
        `give each answer in a file with --input NAME=@FILE. Nothing was started.`,
    );
  }
  return answers;
}
