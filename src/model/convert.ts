// From the off-chain model (snake_case, uint64 amounts in whole tokens) to the contracts' structs
// (camelCase, uint256 amounts in wei), as the reference's Convert* functions do.

import { addressRule, isAddress } from "./address";
import { AccordValidationError } from "./errors";
import { indexPath } from "./paths";
import type { DealMembers, DealPricing, DealTimeout, DealTimeouts } from "./types";

/** Solidity `DealMembers { address jobCreator; address resourceProvider; address solver; address[] mediators; }` */
export type DealMembersStruct = {
  jobCreator: `0x${string}`;
  resourceProvider: `0x${string}`;
  solver: `0x${string}`;
  mediators: `0x${string}`[];
};

/** Solidity `DealPricing { uint256 instructionPrice; uint256 paymentCollateral; uint256 resultsCollateralMultiple; uint256 mediationFee; }` */
export type DealPricingStruct = {
  instructionPrice: bigint;
  paymentCollateral: bigint;
  resultsCollateralMultiple: bigint;
  mediationFee: bigint;
};

/** One timeout with its collateral, the unit convertDealTimeouts is assembled from. */
export type DealTimeoutStruct = {
  timeout: bigint;
  collateral: bigint;
};

/**
 * Solidity `DealTimeouts { uint64 agree; uint64 submitResults; uint64 judgeResults; uint64 mediateResults;
 * uint256 agreeCollateral; uint256 submitResultsCollateral; uint256 judgeResultsCollateral; uint256 mediateResultsCollateral; }`
 */
export type DealTimeoutsStruct = {
  agree: bigint;
  submitResults: bigint;
  judgeResults: bigint;
  mediateResults: bigint;
  agreeCollateral: bigint;
  submitResultsCollateral: bigint;
  judgeResultsCollateral: bigint;
  mediateResultsCollateral: bigint;
};

export type ConvertAmountOptions = {
  /**
   * Turns a model amount into the on-chain uint256. Default `etherToWei`, the reference's conversion
   * (whole tokens to wei through a float64, so Go and TS peers put the same numbers on chain).
   * Use `etherToWeiExact` for exact scaling, or `(amount) => amount` when amounts are already in wei.
   */
  toWei?: (amount: bigint) => bigint;
};

const WEI_PER_ETHER = 10n ** 18n;

/**
 * The reference's `EtherToWei(float64(amount))`: the amount rounded to a float64, multiplied by 1e18
 * in 53-bit precision (big.Float, round half to even) and truncated. A JS number multiplication rounds
 * the same way, so this is bit-identical to Go. Exact for amounts up to 2361 (amount × 5^18 < 2^53);
 * most larger amounts come out close to, but not exactly, amount × 10^18 (123456789 does).
 */
export function etherToWei(amount: bigint): bigint {
  return BigInt(Number(amount) * 1e18);
}

/** amount × 10^18, exactly. */
export function etherToWeiExact(amount: bigint): bigint {
  return amount * WEI_PER_ETHER;
}

function requireAddress(value: string, field: string): `0x${string}` {
  if (!isAddress(value)) throw new AccordValidationError(field, addressRule, { subject: "deal members" });
  // One spelling on chain: ethers rejects mixed case whose EIP-55 checksum is wrong.
  return value.toLowerCase() as `0x${string}`;
}

/** Addresses validated (AccordValidationError naming the field otherwise) and lower-cased; nil mediators → []. */
export function convertDealMembers(members: DealMembers): DealMembersStruct {
  return {
    jobCreator: requireAddress(members.job_creator, "job_creator"),
    resourceProvider: requireAddress(members.resource_provider, "resource_provider"),
    solver: requireAddress(members.solver, "solver"),
    mediators: (members.mediators ?? []).map((mediator, i) => requireAddress(mediator, indexPath("mediators", i))),
  };
}

/** Prices and collateral scaled with `toWei`; the results collateral multiple is a ratio and passes as is. */
export function convertDealPricing(pricing: DealPricing, options: ConvertAmountOptions = {}): DealPricingStruct {
  const toWei = options.toWei ?? etherToWei;
  return {
    instructionPrice: toWei(pricing.instruction_price),
    paymentCollateral: toWei(pricing.payment_collateral),
    resultsCollateralMultiple: pricing.results_collateral_multiple,
    mediationFee: toWei(pricing.mediation_fee),
  };
}

/** A timeout in seconds, with its collateral scaled by `toWei`, or 0 when `withCollateral` is false. */
export function convertDealTimeout(
  timeout: DealTimeout,
  withCollateral: boolean,
  options: ConvertAmountOptions = {},
): DealTimeoutStruct {
  const toWei = options.toWei ?? etherToWei;
  return { timeout: timeout.timeout, collateral: withCollateral ? toWei(timeout.collateral) : 0n };
}

export type TimeoutName = keyof DealTimeouts;

/**
 * Which timeouts carry their collateral on chain, as in the reference: the parties post collateral
 * for submitting and judging results; the agree and mediate timeouts carry none.
 */
export const timeoutsWithCollateral: Readonly<Record<TimeoutName, boolean>> = {
  agree: false,
  submit_results: true,
  judge_results: true,
  mediate_results: false,
};

export function convertDealTimeouts(
  timeouts: DealTimeouts,
  options: ConvertAmountOptions & { withCollateral?: Partial<Record<TimeoutName, boolean>> } = {},
): DealTimeoutsStruct {
  const withCollateral = { ...timeoutsWithCollateral, ...options.withCollateral };
  const agree = convertDealTimeout(timeouts.agree, withCollateral.agree, options);
  const submitResults = convertDealTimeout(timeouts.submit_results, withCollateral.submit_results, options);
  const judgeResults = convertDealTimeout(timeouts.judge_results, withCollateral.judge_results, options);
  const mediateResults = convertDealTimeout(timeouts.mediate_results, withCollateral.mediate_results, options);
  return {
    agree: agree.timeout,
    submitResults: submitResults.timeout,
    judgeResults: judgeResults.timeout,
    mediateResults: mediateResults.timeout,
    agreeCollateral: agree.collateral,
    submitResultsCollateral: submitResults.collateral,
    judgeResultsCollateral: judgeResults.collateral,
    mediateResultsCollateral: mediateResults.collateral,
  };
}
