// Oracle sets: who attests a job's outcome, fixed when the job is opened and agreed to by the provider on accept.
// Either m-of-n keys (signers strictly increasing by address, 1 ≤ threshold ≤ n ≤ MAX_ORACLES) or one oracle
// contract (no signers, threshold 0: e.g. the operator quorum's QuorumJobOracle). A job stores only the set's hash.

import { AbiCoder, keccak256, ZeroAddress } from "ethers";
import { AccordValidationError } from "../model/errors";
import { addressInput } from "../pools/inputs";
import { MAX_ORACLES } from "./constants";

/** `OracleSet` as the contract takes it. */
export type OracleSet = { signers: string[]; threshold: number; oracleContract: string };

const SUBJECT = "oracle set";

function fail(field: string, rule: string): never {
  throw new AccordValidationError(field, rule, { subject: SUBJECT });
}

const byAddress = (a: string, b: string): number => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

/**
 * The m-of-n set of `signers` (addresses, or anything with an `address`), sorted as the contract requires. Throws
 * AccordValidationError for a repeated signer, a threshold outside 1..n or more than MAX_ORACLES keys.
 */
export function keyOracleSet(signers: ReadonlyArray<string | { address: string }>, threshold: number): OracleSet {
  const addresses = signers
    .map((signer, i) => addressInput(typeof signer === "string" ? signer : signer.address, `signers[${i}]`, SUBJECT))
    .sort(byAddress);
  return parseOracleSet({ signers: addresses, threshold, oracleContract: ZeroAddress });
}

/** The set that is the oracle contract `address` alone (it calls `attestByOracle`). */
export function contractOracleSet(address: string): OracleSet {
  return { signers: [], threshold: 0, oracleContract: addressInput(address, "oracleContract", SUBJECT) };
}

/** Checks a set the way `open` does (JobEscrow_InvalidOracleSet), naming the field; addresses are checksummed. */
export function parseOracleSet(input: {
  signers: readonly string[];
  threshold: number | bigint;
  oracleContract?: string;
}): OracleSet {
  if (input === null || typeof input !== "object") fail("", "must be {signers, threshold, oracleContract}");
  if (!Array.isArray(input.signers)) fail("signers", "must be a list of addresses");
  const signers = input.signers.map((signer, i) => addressInput(signer, `signers[${i}]`, SUBJECT));
  const threshold = Number(input.threshold);
  if (!Number.isSafeInteger(threshold) || threshold < 0) fail("threshold", "must be a whole number ≥ 0");
  const oracleContract =
    input.oracleContract === undefined ? ZeroAddress : addressInput(input.oracleContract, "oracleContract", SUBJECT);
  if (oracleContract !== ZeroAddress) {
    if (signers.length !== 0) fail("signers", "must be empty when the set is an oracle contract");
    if (threshold !== 0) fail("threshold", "must be 0 when the set is an oracle contract");
    return { signers, threshold, oracleContract };
  }
  if (signers.length === 0) fail("signers", "must name at least one key (or give an oracleContract)");
  if (signers.length > MAX_ORACLES) fail("signers", `may hold at most ${MAX_ORACLES} keys`);
  for (let i = 1; i < signers.length; i++) {
    if (byAddress(signers[i - 1], signers[i]) >= 0) {
      fail(`signers[${i}]`, "must be strictly greater than the signer before it (sorted, no repeats)");
    }
  }
  if (threshold < 1 || threshold > signers.length) fail("threshold", `must be between 1 and ${signers.length}`);
  return { signers, threshold, oracleContract };
}

/** Whether the set is an oracle contract (attestByOracle) rather than keys (attest). */
export function isContractOracleSet(set: OracleSet): boolean {
  return set.oracleContract !== ZeroAddress;
}

/** The commitment a job stores: keccak256(abi.encode(signers, threshold, oracleContract)) (the contract's hashOracleSet). */
export function hashOracleSet(set: OracleSet): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["address[]", "uint8", "address"],
      [set.signers, set.threshold, set.oracleContract],
    ),
  );
}
