// The input checks the capacity pools' code shares (reservations, the clients, the watcher): each value shaped as the
// contract takes it, or an AccordValidationError naming the field.

import { getAddress } from "ethers";
import { isAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
export const ZERO_BYTES32 = `0x${"0".repeat(64)}`;

/** A 32-byte hex ID, lower-cased; AccordValidationError naming `field` otherwise (and for zero unless allowed). */
export function bytes32Input(
  value: unknown,
  field: string,
  subject: string,
  options: { allowZero?: boolean } = {},
): string {
  if (typeof value !== "string" || !BYTES32.test(value)) {
    throw new AccordValidationError(field, "must be 32 bytes in hex (0x + 64 digits)", { subject });
  }
  const id = value.toLowerCase();
  if (!options.allowZero && id === ZERO_BYTES32) {
    throw new AccordValidationError(field, "must not be zero", { subject });
  }
  return id;
}

/**
 * A whole number in [0, 2^bits) (absent: 0) from a bigint, a safe-integer number or a decimal string;
 * AccordValidationError naming `field` otherwise. `unit` says what it counts, in the rule ("CU·s").
 */
export function uintInput(value: unknown, field: string, bits: number, subject: string, unit?: string): bigint {
  let result: bigint | undefined;
  if (value === undefined) result = 0n;
  else if (typeof value === "bigint") result = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) result = BigInt(value);
  else if (typeof value === "string" && /^\d+$/.test(value.trim())) result = BigInt(value.trim());
  const max = (1n << BigInt(bits)) - 1n;
  if (result === undefined || result < 0n || result > max) {
    throw new AccordValidationError(field, `must be a whole number from 0 to ${max}${unit ? ` (${unit})` : ""}`, {
      subject,
    });
  }
  return result;
}

/**
 * A checksummed address from one in any case (the model takes addresses as peers wrote them, so a mixed-case one
 * with a wrong EIP-55 checksum is not refused); AccordValidationError naming `field` otherwise.
 */
export function addressInput(value: unknown, field: string, subject: string): string {
  if (!isAddress(value)) {
    throw new AccordValidationError(field, "must be a 20-byte hex address (0x followed by 40 hex digits)", { subject });
  }
  return getAddress(value.toLowerCase());
}
