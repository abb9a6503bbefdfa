// Source bytes → text for the scanner, keeping what hcl needs to see of bytes that are not UTF-8.
//
// A decoder that replaces them with U+FFFD (Node's 'utf8') makes a broken file look valid: hcl
// rejects it with "Invalid character encoding" at the byte, and fmt would write the replacement
// characters back over the user's bytes. Here each such byte becomes a lone surrogate
// (U+DC80–U+DCFF, as Python's "surrogateescape"), which no real text contains and the scanner
// reports where it stands.
//
// "Such bytes" are the ones hcl's scanner rejects, which is a structural test: a lead byte
// C0–DF, E0–EF or F0–F7 followed by one, two or three continuation bytes passes even when it
// encodes an overlong form, a surrogate or a code point above U+10FFFF, and hcl then reads each
// of its bytes as U+FFFD (as Go converts such strings). Everything else that is not ASCII is a
// bad byte: stray continuation bytes, F8–FF, and sequences cut short.

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    return decodeLoosely(bytes);
  }
}

function decodeLoosely(bytes: Uint8Array): string {
  const out: string[] = [];
  let runStart = 0;
  const flush = (end: number): void => {
    if (end > runStart) out.push(strict.decode(bytes.subarray(runStart, end)));
  };
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const len = b >= 0xc0 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf7 ? 4 : 0;
    let ok = len > 0 && i + len <= bytes.length;
    for (let k = 1; ok && k < len; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (!ok) {
      flush(i);
      out.push(String.fromCharCode(0xdc00 | b));
      runStart = ++i;
      continue;
    }
    if (!isValidSequence(bytes, i, len)) {
      flush(i);
      out.push('\ufffd'.repeat(len));
      runStart = i + len;
    }
    i += len;
  }
  flush(bytes.length);
  return out.join('');
}

function isValidSequence(bytes: Uint8Array, i: number, len: number): boolean {
  try {
    strict.decode(bytes.subarray(i, i + len));
    return true;
  } catch {
    return false;
  }
}
