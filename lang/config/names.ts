import { instanceName } from '../address.js';

// Service names become directory names in the live directory and in s6's scan directory, so the
// rules are s6-rc's (no `/`, no newline, no reserved prefix) narrowed to a safe character set:
// letters, digits, `_`, `.` and `-`, not starting with `.` or `-` (no `..`, no option-like names).
// `@` is reserved for for_each instances: `getty@tty1` is instance `tty1` of block `getty`.

export const MAX_NAME_LENGTH = 200;
const LABEL_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const KEY_RE = /^[A-Za-z0-9_.-]+$/;
const RESERVED_PREFIXES = ['s6rc-', 's6-rc-'];

/** Why a block label is not a valid service name, or undefined if it is. */
export function labelProblem(label: string): string | undefined {
  if (label === '') return 'A service name cannot be empty.';
  if (label.includes('/')) return `"${label}" contains "/": a service name is a directory name and cannot contain a slash.`;
  if (/[\n\r]/.test(label)) return 'A service name cannot contain a newline.';
  if (label.includes('@')) return `"${label}" contains "@", which is reserved for for_each instances (NAME@KEY).`;
  for (const p of RESERVED_PREFIXES) if (label.startsWith(p)) return `"${label}" starts with "${p}", a prefix s6-rc reserves for itself.`;
  if (label.length > MAX_NAME_LENGTH) return `A service name can be at most ${MAX_NAME_LENGTH} characters long.`;
  if (!LABEL_RE.test(label)) return `"${label}" is not a valid service name: use letters, digits, "_", "." and "-", not starting with "." or "-".`;
  return undefined;
}

/** Why a for_each key cannot be part of an instance name, or undefined if it can. */
export function keyProblem(key: string, label: string): string | undefined {
  if (key === '') return 'A for_each key cannot be empty: it becomes part of the instance name NAME@KEY.';
  const rules = 'A key becomes part of the instance name NAME@KEY, a directory name: use only letters, digits, "_", "." and "-".';
  if (key.includes('/')) return `The for_each key "${key}" contains "/". ${rules}`;
  if (!KEY_RE.test(key)) return `The for_each key "${key}" is not valid in an instance name. ${rules}`;
  // The limit is on the name that is used, the instance's, not only on the block's label.
  const length = instanceName(label, key).length;
  if (length > MAX_NAME_LENGTH) return `The instance name ${label}@KEY would be ${length} characters long; a service name can be at most ${MAX_NAME_LENGTH}.`;
  return undefined;
}
