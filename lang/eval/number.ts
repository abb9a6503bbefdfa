// HCL numbers are arbitrary-precision (cty uses big.Float with 512 bits). A decimal with a bigint
// mantissa keeps every literal exact, so `0.1 + 0.2 == 0.3` holds and a 30-digit integer survives
// a round trip into a template. Division is the only inexact operation: it is carried to
// DIVISION_DIGITS significant digits, far beyond anything a service definition needs.

export interface Num {
  /** value = m × 10^exp */
  readonly m: bigint;
  readonly exp: number;
}

const DIVISION_DIGITS = 40;
const TEN = 10n;

function normalize(m: bigint, exp: number): Num {
  if (m === 0n) return { m: 0n, exp: 0 };
  while (m % TEN === 0n) {
    m /= TEN;
    exp++;
  }
  return { m, exp };
}

const NUMBER_RE = /^(-)?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/** Parses HCL number syntax (and the decimal forms tonumber accepts); undefined if not a number. */
export function parseNum(text: string): Num | undefined {
  const m = NUMBER_RE.exec(text.trim());
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const e = m[4] ? Number(m[4]) : 0;
  if (!Number.isSafeInteger(e) || Math.abs(e) > 100000) return undefined;
  let mant = BigInt((m[2] as string) + frac);
  if (m[1]) mant = -mant;
  return normalize(mant, e - frac.length);
}

export function numFromInt(n: number): Num {
  return normalize(BigInt(n), 0);
}

function align(a: Num, b: Num): [bigint, bigint, number] {
  const exp = Math.min(a.exp, b.exp);
  return [a.m * TEN ** BigInt(a.exp - exp), b.m * TEN ** BigInt(b.exp - exp), exp];
}

export function numAdd(a: Num, b: Num): Num {
  const [x, y, exp] = align(a, b);
  return normalize(x + y, exp);
}

export function numSub(a: Num, b: Num): Num {
  const [x, y, exp] = align(a, b);
  return normalize(x - y, exp);
}

export function numMul(a: Num, b: Num): Num {
  return normalize(a.m * b.m, a.exp + b.exp);
}

export function numNeg(a: Num): Num {
  return { m: -a.m, exp: a.exp };
}

/** undefined on division by zero. */
export function numDiv(a: Num, b: Num): Num | undefined {
  if (b.m === 0n) return undefined;
  const digits = (x: bigint): number => (x < 0n ? -x : x).toString().length;
  const scale = Math.max(0, DIVISION_DIGITS - digits(a.m) + digits(b.m));
  const q = (a.m * TEN ** BigInt(scale)) / b.m;
  return normalize(q, a.exp - b.exp - scale);
}

export function numTrunc(a: Num): Num {
  if (a.exp >= 0) return a;
  return normalize(a.m / TEN ** BigInt(-a.exp), 0);
}

export function numFloor(a: Num): Num {
  const t = numTrunc(a);
  return numCmp(t, a) > 0 ? numSub(t, numFromInt(1)) : t;
}

export function numCeil(a: Num): Num {
  const t = numTrunc(a);
  return numCmp(t, a) < 0 ? numAdd(t, numFromInt(1)) : t;
}

/** Remainder with the sign of the dividend, as Go's math/big and cty do. */
export function numMod(a: Num, b: Num): Num | undefined {
  const q = numDiv(a, b);
  if (!q) return undefined;
  return numSub(a, numMul(b, numTrunc(q)));
}

export function numCmp(a: Num, b: Num): number {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function numIsInt(a: Num): boolean {
  return a.exp >= 0;
}

/** Plain decimal notation, never exponent form: what a template interpolation prints. */
export function numToString(a: Num): string {
  if (a.exp >= 0) return (a.m * TEN ** BigInt(a.exp)).toString();
  const neg = a.m < 0n;
  let digits = (neg ? -a.m : a.m).toString();
  const places = -a.exp;
  if (digits.length <= places) digits = '0'.repeat(places - digits.length + 1) + digits;
  const int = digits.slice(0, digits.length - places);
  const frac = digits.slice(digits.length - places);
  return `${neg ? '-' : ''}${int}.${frac}`;
}

export function numToJs(a: Num): number {
  return Number(numToString(a));
}
