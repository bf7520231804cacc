// The job escrow's constants, as contracts/JobEscrow.sol and contracts/abstracts/JobStore.sol fix them.

/** The outcome that pays the provider the whole time-priced cost. */
export const MAX_BPS = 10_000;
/** The most keys an oracle set may have. */
export const MAX_ORACLES = 16;
/** The longest time limit a job may have, in seconds (30 days). */
export const MAX_TIME_LIMIT = 30 * 24 * 3600;

/** The EIP-712 domain name and version of JobEscrow (its attestations, and the provider's signed reports). */
export const JOB_ESCROW_EIP712_NAME = "Accord JobEscrow";
export const JOB_ESCROW_EIP712_VERSION = "1";

/**
 * The reference's four outcomes, in basis points of the time-priced cost paid to the provider: withdraw (the job
 * succeeded), refund (it failed), distribute 50 and distribute 75. The escrow takes any value 0..MAX_BPS.
 */
export const OUTCOMES = {
  withdraw: 10_000,
  refund: 0,
  distribute50: 5_000,
  distribute75: 7_500,
} as const;
