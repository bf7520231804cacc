// graph-ts's BigInt and BigDecimal as graph-node implements them.
//
// BigInt crosses the boundary as little-endian two's complement bytes of any length (graph-ts's own BigInt.fromI32
// makes 4 bytes; the host answers with the shortest form, zero as one 0x00 byte, like num-bigint's
// to_signed_bytes_le). Division truncates toward zero and the remainder takes the dividend's sign (Rust's, and
// JavaScript's, integer semantics); dividing by zero is an error. BigDecimal is digits × 10^exp, normalised after
// every operation to at most 34 significant digits (rounded half up, away from zero) with no trailing zeros in
// `digits`, as graph-node's BigDecimal does.

export class NumberError extends Error {
  override name = "NumberError";
}

/** The little-endian two's complement `bytes[start, start + n)` as a bigint. */
export function fromSignedLE(bytes: Uint8Array, start = 0, n = bytes.length - start): bigint {
  if (n === 0) return 0n;
  const last = bytes[start + n - 1];
  if (n <= 6) {
    // Within 2^48: exact in a double, and far cheaper than BigInt arithmetic per byte.
    let v = 0;
    for (let i = start + n - 1; i >= start; i--) v = v * 256 + bytes[i];
    if (last & 0x80) v -= 2 ** (8 * n);
    return BigInt(v);
  }
  const value = BigInt(
    "0x" +
      Buffer.from(bytes.subarray(start, start + n))
        .reverse()
        .toString("hex"),
  );
  return last & 0x80 ? value - (1n << BigInt(8 * n)) : value;
}

/**
 * The shortest two's complement of `value` as big-endian hex (even length), through one native conversion instead
 * of a BigInt shift per byte: a negative value's width is that of the non-negative `-value - 1`, whose bits it
 * inverts, plus room for the sign bit.
 */
export function signedBEHex(value: bigint): string {
  const negative = value < 0n;
  let hex = (negative ? -value - 1n : value).toString(16);
  if (hex.length % 2 === 1) hex = "0" + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = "00" + hex;
  if (!negative) return hex;
  return ((1n << BigInt(hex.length * 4)) + value).toString(16).padStart(hex.length, "0");
}

export function toSignedLE(value: bigint): Uint8Array {
  if (value >= -128n && value < 128n) return Uint8Array.of(Number(value) & 0xff);
  return Buffer.from(signedBEHex(value), "hex").reverse();
}

/** Unsigned big-endian bytes → bigint (ABI uints, hashes). */
export function fromUnsignedBE(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt("0x" + Buffer.from(bytes).toString("hex"));
}

export function divide(x: bigint, y: bigint): bigint {
  if (y === 0n) throw new NumberError("attempted to divide BigInt `" + x + "` by zero");
  return x / y;
}

export function modulo(x: bigint, y: bigint): bigint {
  if (y === 0n) throw new NumberError("attempted to calculate the remainder of `" + x + "` with a divisor of zero");
  return x % y;
}

const INTEGER = /^[-+]?\d+$/;

export function parseBigInt(text: string): bigint {
  if (!INTEGER.test(text)) throw new NumberError(`\`${text}\` is not a decimal integer`);
  return BigInt(text);
}

/** `0x`-hex of the magnitude (graph-node's bigIntToHex: the sign is dropped, zero is `0x0`). */
export function bigIntToHex(value: bigint): string {
  const magnitude = value < 0n ? -value : value;
  return "0x" + magnitude.toString(16);
}

/*//////////////////////////////////////////////////////////////
                            BIGDECIMAL
//////////////////////////////////////////////////////////////*/

/** digits × 10^exp. */
export interface Decimal {
  digits: bigint;
  exp: bigint;
}

/** Significant digits graph-node keeps. */
export const DECIMAL_PRECISION = 34;
/** graph-node refuses exponents beyond this (BigDecimal's documented range). */
const MAX_EXPONENT = 6144n;
const MIN_EXPONENT = -6143n;

const digitCount = (value: bigint): number => (value < 0n ? -value : value).toString().length;

/** Rounds to DECIMAL_PRECISION significant digits (half up) and strips trailing zeros. */
export function normalize(d: Decimal): Decimal {
  let { digits, exp } = d;
  if (digits === 0n) return { digits: 0n, exp: 0n };
  const excess = digitCount(digits) - DECIMAL_PRECISION;
  if (excess > 0) {
    const divisor = 10n ** BigInt(excess);
    const negative = digits < 0n;
    const magnitude = negative ? -digits : digits;
    let quotient = magnitude / divisor;
    const remainder = magnitude % divisor;
    if (remainder * 2n >= divisor) quotient += 1n;
    digits = negative ? -quotient : quotient;
    exp += BigInt(excess);
  }
  while (digits !== 0n && digits % 10n === 0n) {
    digits /= 10n;
    exp += 1n;
  }
  if (digits === 0n) return { digits: 0n, exp: 0n };
  const adjusted = exp + BigInt(digitCount(digits) - 1);
  if (adjusted > MAX_EXPONENT || adjusted < MIN_EXPONENT) {
    throw new NumberError(`BigDecimal exponent ${adjusted} is out of range [${MIN_EXPONENT}, ${MAX_EXPONENT}]`);
  }
  return { digits, exp };
}

const DECIMAL = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;

export function parseDecimal(text: string): Decimal {
  // Not trimmed: graph-node's BigDecimal::from_str refuses surrounding whitespace.
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === "" && (match[3] ?? "") === "")) {
    throw new NumberError(`\`${text}\` is not a decimal number`);
  }
  const [, sign, whole, fraction = "", exponent = "0"] = match;
  const digits = BigInt((sign === "-" ? "-" : "") + (whole + fraction || "0"));
  return normalize({ digits, exp: BigInt(exponent) - BigInt(fraction.length) });
}

/** Plain decimal notation, no exponent: `-12.5`, `1000`, `0.001`. */
export function decimalToString(d: Decimal): string {
  if (d.digits === 0n) return "0";
  const negative = d.digits < 0n;
  const text = (negative ? -d.digits : d.digits).toString();
  let out: string;
  if (d.exp >= 0n) out = text + "0".repeat(Number(d.exp));
  else {
    const point = text.length + Number(d.exp);
    out = point > 0 ? `${text.slice(0, point)}.${text.slice(point)}` : `0.${"0".repeat(-point)}${text}`;
  }
  return negative ? "-" + out : out;
}

function align(a: Decimal, b: Decimal): [bigint, bigint, bigint] {
  if (a.exp === b.exp) return [a.digits, b.digits, a.exp];
  if (a.exp > b.exp) return [a.digits * 10n ** (a.exp - b.exp), b.digits, b.exp];
  return [a.digits, b.digits * 10n ** (b.exp - a.exp), a.exp];
}

export function decimalPlus(a: Decimal, b: Decimal): Decimal {
  const [x, y, exp] = align(a, b);
  return normalize({ digits: x + y, exp });
}

export function decimalMinus(a: Decimal, b: Decimal): Decimal {
  const [x, y, exp] = align(a, b);
  return normalize({ digits: x - y, exp });
}

export function decimalTimes(a: Decimal, b: Decimal): Decimal {
  return normalize({ digits: a.digits * b.digits, exp: a.exp + b.exp });
}

export function decimalDivide(a: Decimal, b: Decimal): Decimal {
  if (b.digits === 0n) throw new NumberError("attempted to divide BigDecimal `" + decimalToString(a) + "` by zero");
  if (a.digits === 0n) return { digits: 0n, exp: 0n };
  // Enough digits for the precision plus rounding: scale the dividend so the quotient has ≥ 36 digits.
  const shift = BigInt(Math.max(0, DECIMAL_PRECISION + 2 - digitCount(a.digits) + digitCount(b.digits)));
  const digits = (a.digits * 10n ** shift) / b.digits;
  return normalize({ digits, exp: a.exp - b.exp - shift });
}

export function decimalEquals(a: Decimal, b: Decimal): boolean {
  const x = normalize(a);
  const y = normalize(b);
  return x.digits === y.digits && x.exp === y.exp;
}
