import fs from 'node:fs';

/**
 * A whole file as UTF-8 text. Node 20's readFileSync(file, 'utf8') touches about three times the
 * file's size in fresh memory where reading the bytes and decoding them touches two; on a
 * 10-MB state or compiled database that difference is a visible part of a plan's time.
 */
export function readTextFile(file: string): string {
  return readFileText(file).text;
}

/** A file's bytes and their UTF-8 text: for callers that hash the bytes and parse the text. */
export interface FileText {
  bytes: Buffer;
  text: string;
}

/**
 * readTextFile, keeping the bytes: hashing them is much cheaper than hashing the decoded string,
 * which Node encodes back to UTF-8 first (docs/benchmarks.md, "Figures behind the code").
 */
export function readFileText(file: string): FileText {
  const bytes = fs.readFileSync(file);
  return { bytes, text: bytes.toString('utf8') };
}
