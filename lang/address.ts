// Service addresses, in one place: how the source, the compiled database, the state, plans and
// operators write a service. `longrun.web`, `bundle.net`, and for instance `tty1` of
// `longrun "getty" { for_each = ... }` the address `longrun.getty["tty1"]` and the name
// `getty@tty1` (the name is what s6-rc and the engines know it by). `longrun.getty` without a key
// is the whole for_each block, as Terraform reads a resource address without its index.

export const ADDRESS_KINDS = ['longrun', 'oneshot', 'bundle'] as const;
export type AddressKind = (typeof ADDRESS_KINDS)[number];

export interface ParsedAddress {
  type: AddressKind;
  /** The block's label: `getty`. */
  label: string;
  /** The for_each key: `tty1`. */
  key?: string;
  /** The service name the address stands for: `getty@tty1`. */
  name: string;
  address: string;
}

/** The name of a for_each instance (`getty@tty1`), or of a block without for_each (`getty`). */
export function instanceName(label: string, key: string | undefined): string {
  return key === undefined ? label : `${label}@${key}`;
}

/** `longrun.getty["tty1"]`; `longrun.getty` without a key; the bare kind without a label (an unfinished reference). */
export function formatAddress(type: string, label: string | undefined, key?: string): string {
  let s = type;
  if (label !== undefined) s += '.' + label;
  if (key !== undefined) s += `[${JSON.stringify(key)}]`;
  return s;
}

const ADDRESS_RE = /^(longrun|oneshot|bundle)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\["([^"\\/]+)"\])?$/;

/** An address as an operator types it, of one of `kinds`; undefined for anything else (a bare name). */
export function parseAddress(text: string, kinds: readonly AddressKind[] = ADDRESS_KINDS): ParsedAddress | undefined {
  const m = ADDRESS_RE.exec(text);
  if (!m) return undefined;
  const [, type, label, key] = m as unknown as [string, AddressKind, string, string | undefined];
  if (!kinds.includes(type)) return undefined;
  return { type, label, ...(key !== undefined ? { key } : {}), name: instanceName(label, key), address: text };
}

/** `longrun.getty` for `longrun.getty["tty1"]`; undefined for an address without a key. */
export function blockAddress(address: string): string | undefined {
  const i = address.indexOf('[');
  return i < 0 ? undefined : address.slice(0, i);
}

/** What an address or name given for one service stands for: its address, its name, or its whole for_each block. */
export function meansService(target: string, s: { address: string; name: string }): boolean {
  return s.address === target || s.name === target || blockAddress(s.address) === target;
}

/**
 * A listing's filter (`state list FILTER`): `longrun` matches every longrun, `longrun.getty`
 * every getty instance, an address or a name itself.
 */
export function matchesFilter(filter: string, s: { address: string; name: string }): boolean {
  const a = s.address;
  return a === filter || a.startsWith(filter + '.') || a.startsWith(filter + '[') || s.name === filter;
}

/** The entry `text` means, by its name (the key of `entries`) or else its address. */
export function findByAddress<T extends { address: string }>(entries: Readonly<Record<string, T>>, text: string): T | undefined {
  if (Object.hasOwn(entries, text)) return entries[text];
  return Object.values(entries).find((s) => s.address === text);
}
