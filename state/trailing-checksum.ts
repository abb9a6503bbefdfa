import { createHash } from 'node:crypto';

// State files and plan files end in their own checksum: `sha256:HEX` of the file as written with
// the checksum member left out and the object closed right after the member before it. A reader
// that finds that tail checks it over the bytes it read, which costs far less than re-serialising
// the parsed content, and works for any writer that wrote exactly those bytes.
// Pure: a hash over data the caller already holds.

/**
 * Whether `text` ends in `tail` (a pattern anchored at the end whose first group is the stored
 * checksum) and that checksum is the sha256 of everything before the tail followed by `closing`.
 * With the file's bytes, those are hashed as they are rather than the text encoded again; the
 * tail is ASCII, so it is as long in bytes as in characters.
 */
export function trailingChecksumOk(text: string, stored: string, tail: RegExp, closing: string, bytes?: Uint8Array): boolean {
  const m = tail.exec(text.slice(-128));
  if (!m || m[1] !== stored) return false;
  const length = (m[0] as string).length;
  const h = createHash('sha256');
  if (bytes) h.update(bytes.subarray(0, bytes.length - length));
  else h.update(text.slice(0, text.length - length));
  return `sha256:${h.update(closing).digest('hex')}` === stored;
}
