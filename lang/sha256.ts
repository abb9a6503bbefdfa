import { hash } from 'node:crypto';

/**
 * sha256 of a string's UTF-8 bytes, in hex. crypto.hash() rather than createHash(): compile hashes
 * one definition per service, and the one-shot call makes no Hash object per call, which on
 * inputs this small is most of the cost (docs/benchmarks.md, "Figures behind the code").
 */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}
