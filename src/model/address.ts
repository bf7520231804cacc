// Addresses in the model are strings as peers wrote them (any hex case, no checksum required, as the
// reference's go-ethereum HexToAddress takes them); this is the one check every module applies.

const addressPattern = /^0x[0-9a-fA-F]{40}$/;

export const addressRule = "must be a 20-byte hex address (0x followed by 40 hex digits)";

/** True for `0x` followed by 40 hex digits, in any case (EIP-55 checksums are not enforced). */
export function isAddress(value: unknown): value is `0x${string}` {
  return typeof value === "string" && addressPattern.test(value);
}
