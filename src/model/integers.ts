// Integer kinds of the Go reference and the checks shared by the encoder and the validator, so that
// both accept and reject exactly the same values with the same wording.

export type IntegerKind = "int" | "uint8" | "uint64";

export const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

const ranges: Record<IntegerKind, readonly [bigint, bigint]> = {
  int: [INT64_MIN, INT64_MAX],
  uint8: [0n, 255n],
  uint64: [0n, UINT64_MAX],
};

export const integerRules: Record<IntegerKind, string> = {
  int: "must be a signed 64-bit integer",
  uint8: "must be an unsigned 8-bit integer (0 to 255)",
  uint64: "must be an unsigned 64-bit integer (0 to 18446744073709551615)",
};

/** Go `int` fields are JS numbers: values a number cannot hold exactly are refused rather than rounded. */
export const safeIntRule =
  "must be an integer between -(2^53 - 1) and 2^53 - 1 (a Go int that a JS number holds exactly)";

/**
 * The rule a value breaks as a Go integer of `kind`, or undefined when it is one.
 * Numbers count only when they are safe integers: a number past 2^53 may already have been rounded
 * (by JSON.parse, say), so it cannot be trusted to be the integer that was meant.
 */
export function integerViolation(value: bigint | number, kind: IntegerKind): string | undefined {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      return Number.isInteger(value)
        ? `${integerRules[kind]}; a number beyond 2^53 may have lost precision, pass a bigint`
        : integerRules[kind];
    }
    value = BigInt(value);
  }
  const [min, max] = ranges[kind];
  return value < min || value > max ? integerRules[kind] : undefined;
}
