// What an outcome pays, as JobEscrow's `attest` pays it (contracts/abstracts/JobStore.sol, `quote`): one pure rule
// for the clients, the oracle, the indexer's tests and the property tests.

import { AccordValidationError } from "../model/errors";
import { MAX_BPS } from "./constants";

export type JobQuote = {
  /** The time-priced cost: min(maxPrice, floor(pricePerMinute × runSeconds / 60)). */
  cost: bigint;
  /** floor(cost × bps / 10000), to the provider. */
  payout: bigint;
  /** maxPrice − payout, back to the requester. */
  refund: bigint;
};

/**
 * The cost of `runSeconds` at `pricePerMinute` capped at `maxPrice`, the provider's `bps` share of it and the rest of
 * `maxPrice` refunded, every division rounded down. AccordValidationError (field "bps") above MAX_BPS.
 */
export function quoteJob(terms: {
  maxPrice: bigint;
  pricePerMinute: bigint;
  runSeconds: bigint;
  bps: bigint | number;
}): JobQuote {
  const bps = BigInt(terms.bps);
  if (bps < 0n || bps > BigInt(MAX_BPS)) {
    throw new AccordValidationError("bps", `must be between 0 and ${MAX_BPS}`, { subject: "attestation" });
  }
  const timePriced = (terms.pricePerMinute * terms.runSeconds) / 60n;
  const cost = timePriced < terms.maxPrice ? timePriced : terms.maxPrice;
  const payout = (cost * bps) / BigInt(MAX_BPS);
  return { cost, payout, refund: terms.maxPrice - payout };
}
