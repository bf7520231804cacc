// Helpers shared by the mappings. The embedded indexer (src/indexer) implements the same rules; keep the two
// identical: same IDs, same enum names, same zero-initialised accounts.

import { Address, BigInt, ByteArray, Bytes, ethereum } from "@graphprotocol/graph-ts";

import { Account } from "../generated/schema";

/** AgreementState, in the contract's (and the data model's) index order. */
export const AGREEMENT_STATES: string[] = [
  "DealNegotiating",
  "DealAgreed",
  "ResultsSubmitted",
  "ResultsAccepted",
  "ResultsChecked",
  "MediationAccepted",
  "MediationRejected",
  "TimeoutSubmitResults",
  "TimeoutJudgeResults",
  "TimeoutMediateResults",
  "TimeoutAgree",
];

export const STATE_DEAL_NEGOTIATING: i32 = 0;
export const STATE_DEAL_AGREED: i32 = 1;
export const STATE_RESULTS_SUBMITTED: i32 = 2;
export const STATE_RESULTS_CHECKED: i32 = 4;
export const STATE_MEDIATION_ACCEPTED: i32 = 5;
export const STATE_MEDIATION_REJECTED: i32 = 6;
export const STATE_TIMEOUT_MEDIATE_RESULTS: i32 = 9;

export const PAYMENT_REASONS: string[] = [
  "PaymentCollateral",
  "ResultsCollateral",
  "TimeoutCollateral",
  "JobPayment",
  "MediationFee",
];

export const PAYMENT_DIRECTIONS: string[] = ["PaidIn", "PaidOut", "Refunded", "Slashed"];

export const DIRECTION_PAID_IN: i32 = 0;
export const DIRECTION_PAID_OUT: i32 = 1;
export const DIRECTION_REFUNDED: i32 = 2;
export const DIRECTION_SLASHED: i32 = 3;

/** ServiceType, in bit order of the registry's roles bitmap (bit i = SERVICE_TYPES[i]). */
export const SERVICE_TYPES: string[] = ["Solver", "Mediator", "Directory", "ResourceProvider", "JobCreator"];

/** Whether `index` is a member of the enum `names` (the contract cannot send others; old ABIs could). */
export function isEnumIndex(names: string[], index: i32): boolean {
  return index >= 0 && index < names.length;
}

/** Whether a deal in this state is still active (DealNegotiating, DealAgreed, ResultsSubmitted, ResultsChecked). */
export function isOpenState(index: i32): boolean {
  return (
    index == STATE_DEAL_NEGOTIATING ||
    index == STATE_DEAL_AGREED ||
    index == STATE_RESULTS_SUBMITTED ||
    index == STATE_RESULTS_CHECKED
  );
}

/** Whether this state is a mediation's outcome (MediationAccepted, MediationRejected, TimeoutMediateResults). */
export function isMediationOutcome(index: i32): boolean {
  return (
    index == STATE_MEDIATION_ACCEPTED || index == STATE_MEDIATION_REJECTED || index == STATE_TIMEOUT_MEDIATE_RESULTS
  );
}

const SHA2_256_MULTIHASH_PREFIX = "0x1220";

/** The CIDv0 ("Qm…") of a sha256 digest as the contracts carry it: base58btc of 0x12 0x20 ‖ digest. */
export function cidV0(digest: Bytes): string {
  return ByteArray.fromHexString(SHA2_256_MULTIHASH_PREFIX).concat(digest).toBase58();
}

/** The ID of an entity made from one log: `<transaction hash>-<log index>`. */
export function eventId(event: ethereum.Event): string {
  return event.transaction.hash.toHexString() + "-" + event.logIndex.toString();
}

/** The account of `address`, created with zero balances (not yet saved) if it does not exist. */
export function loadOrNewAccount(address: Bytes): Account {
  let account = Account.load(address);
  if (account == null) {
    account = new Account(address);
    account.escrowBalance = BigInt.zero();
    account.totalPaidIn = BigInt.zero();
    account.totalReceived = BigInt.zero();
    account.deferredPayout = BigInt.zero();
  }
  return account;
}

/** Saves a zero account for `address` unless one exists. */
export function ensureAccount(address: Bytes): void {
  if (Account.load(address) != null) return;
  const account = loadOrNewAccount(address);
  account.save();
}

/** Address[] as Bytes[] (entity fields of type [Bytes!]!). */
export function addressesToBytes(addresses: Array<Address>): Array<Bytes> {
  const out = new Array<Bytes>(addresses.length);
  for (let i = 0; i < addresses.length; i++) out[i] = addresses[i];
  return out;
}
