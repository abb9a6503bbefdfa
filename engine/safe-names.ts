import type { CompiledService } from '../lang/compile/compiled-db.js';
import { safeTreePath } from './service-files.js';

// The names an engine turns into paths: service names (service, log and pipe directories), data
// paths (files of the data/ tree), env keys (files of the s6 engine's envdir). Whatever produced them — a
// compile of checked source, or a compiled database or plan file crafted by hand with its checksum
// recomputed — they are checked here, where paths are built, so that none leads out of the
// directory it is meant for (docs/security.md). A checksum detects corruption, not intent.

/** What `rcform validate` accepts for a service name, and the `@` of a template instance. */
const SERVICE_NAME = /^[A-Za-z0-9_.@:+-]+$/;
/** A portable environment variable name (POSIX's portable character set, either case). */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The longest file name Linux file systems take. */
const NAME_MAX = 255;

export function serviceNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !SERVICE_NAME.test(name) || name === '.' || name === '..' || name.length > NAME_MAX) return `${JSON.stringify(name)} is not a valid service name (letters, digits and _ . @ : + -, not . or .., at most ${NAME_MAX} bytes)`;
  return undefined;
}

/** One path segment: no "/", no NUL, not "." or "..", not empty. */
export function fileNameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0') || Buffer.byteLength(name) > NAME_MAX) return `${JSON.stringify(name)} must be a plain file name (no "/", not "." or "..")`;
  return undefined;
}

export function envKeyProblem(key: string): string | undefined {
  if (!ENV_KEY.test(key)) return `env key ${JSON.stringify(key)} is not an environment variable name (a letter or _, then letters, digits or _)`;
  return undefined;
}

/** Every problem with the names `svc` would put in paths, each naming the name; empty when none. */
export function servicePathProblems(svc: CompiledService): string[] {
  const problems: string[] = [];
  const name = serviceNameProblem(svc.name);
  if (name) problems.push(name);
  for (const key of Object.keys(svc.env ?? {})) {
    const p = envKeyProblem(key);
    if (p) problems.push(p);
  }
  if (svc.type !== 'longrun') return problems;
  for (const key of Object.keys(svc.data ?? {})) {
    // A path in the data/ tree, as the language allows it: each segment a plain name, none hidden.
    if (!safeTreePath(key) || key.split('/').some((seg) => Buffer.byteLength(seg) > NAME_MAX)) problems.push(`data file name ${JSON.stringify(key)} must be a plain file name, or such names joined by "/" (none empty, hidden, "." or "..")`);
  }
  return problems;
}
