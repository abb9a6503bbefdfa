import type { ServiceState, State } from './state-types.js';

// Service addresses as operators type them: `longrun.web`, `oneshot.mount["data"]`. A for_each
// instance's service name is `base@key`, as the compiler names it (lang/compile/compiled-db.ts).

export interface ParsedAddress {
  type: 'longrun' | 'oneshot';
  /** The service name the address stands for. */
  name: string;
  address: string;
}

const ADDRESS_RE = /^(longrun|oneshot)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\["([^"\\/]+)"\])?$/;

export function parseAddress(text: string): ParsedAddress | undefined {
  const m = ADDRESS_RE.exec(text);
  if (!m) return undefined;
  const [, type, base, key] = m as unknown as [string, 'longrun' | 'oneshot', string, string | undefined];
  return { type, name: key === undefined ? base : `${base}@${key}`, address: text };
}

/** The entry an operator means by `text`: its address, or its service name. */
export function findService(state: State, text: string): ServiceState | undefined {
  const byName = state.services[text];
  if (byName) return byName;
  return Object.values(state.services).find((s) => s.address === text);
}

/** `longrun` matches every longrun, `longrun.getty` every getty instance, a full address itself. */
export function addressMatches(entry: ServiceState, filter: string): boolean {
  const a = entry.address;
  return a === filter || a.startsWith(filter + '.') || a.startsWith(filter + '[') || entry.definition.name === filter;
}
