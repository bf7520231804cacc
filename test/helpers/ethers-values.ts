// ethers' decoded values in src/abi's decoder's representation (plain arrays, lower-case hex, bigint), for comparing
// the two: the decoder's tests and its benchmark.

import { Result } from "ethers";

export function plain(value: unknown): unknown {
  if (value instanceof Result) return value.toArray().map(plain);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "string" && /^0x[0-9a-fA-F]*$/.test(value)) return value.toLowerCase();
  if (typeof value === "number") return BigInt(value);
  return value;
}
