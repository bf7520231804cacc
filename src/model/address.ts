// Addresses in the model are strings as peers wrote them (any hex case, no checksum required, as the
// reference's go-ethereum HexToAddress takes them); this is the one check every module applies.

const addressPattern = /^0x[0-9a-fA-F]{40}$/;

export const addressRule = "must be a 20-byte hex address (0x followed by 40 hex digits)";

/** True for `0x` followed by 40 hex digits, in any case (EIP-55 checksums are not enforced). */
export function isAddress(value: unknown): value is `0x${string}` {
  return typeof value === "string" && addressPattern.test(value);
}

/**
 * Whether two addresses are the same, in any case: ASCII case-insensitive equality, without allocating lower-cased
 * copies (the solver compares addresses for every pair it considers).
 */
export function sameAddress(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}
