// The channel services' errors: each an AccordError carrying its machine-readable part.

import { AccordError } from "../model/errors";
import type { ChannelRule } from "./rules";

/** The channel cannot cover a voucher: `shortfall` more must be added first. */
export class InsufficientChannelFundsError extends AccordError {
  override name = "InsufficientChannelFundsError";
  constructor(
    readonly channelId: string,
    /** What the new voucher would need beyond the channel's balance. */
    readonly shortfall: bigint,
  ) {
    super(`channel ${channelId} is ${shortfall} short of covering the voucher: add funds`);
  }
}

/** A voucher was refused: `rule` names the contract check it fails (as PaymentChannels would revert). */
export class VoucherRejectedError extends AccordError {
  override name = "VoucherRejectedError";
  constructor(
    readonly rule: ChannelRule | "NotPayee" | "AmountDecreased" | "SecretUnknown" | "SettlingSoon",
    detail: string,
  ) {
    super(`voucher refused (${rule}): ${detail}`);
  }
}

/** The manager knows no such channel, or it cannot take more vouchers. */
export class ChannelUnavailableError extends AccordError {
  override name = "ChannelUnavailableError";
  constructor(
    readonly channelId: string,
    detail: string,
  ) {
    super(`channel ${channelId}: ${detail}`);
  }
}
