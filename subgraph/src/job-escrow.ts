// JobEscrow → EscrowJob, OracleSet, EscrowAccount.
//
// Event order within a transaction (see contracts/JobEscrow.sol):
//   open:                 JobOpened (then the token's transfer in)
//   attest/attestByOracle: JobAttested, then per party a transfer or PayoutDeferred
//   refund*:              JobRefunded, then a transfer or PayoutDeferred
//   withdraw:             Withdrawn
//
// A job is stored as getJob has it. The contract fixes completedAt at attestation when the provider never reported
// (acceptedAt + timeLimit, the time limit passing); a refund of an unattested job leaves it as it was.

import { Address, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  JobAccepted as JobAcceptedEvent,
  JobAttested as JobAttestedEvent,
  JobCompleted as JobCompletedEvent,
  JobOpened as JobOpenedEvent,
  JobRefunded as JobRefundedEvent,
  PayoutDeferred as PayoutDeferredEvent,
  Withdrawn as WithdrawnEvent,
} from "../generated/JobEscrow/JobEscrow";
import { EscrowAccount, EscrowJob, Machine, OracleSet } from "../generated/schema";
import {
  JOB_STATUSES,
  JOB_STATUS_ACCEPTED,
  JOB_STATUS_ATTESTED,
  JOB_STATUS_COMPLETED,
  JOB_STATUS_OPEN,
  JOB_STATUS_REFUNDED,
  REFUND_REASONS,
  addressesToBytes,
  isEnumIndex,
} from "./shared";

function touch(job: EscrowJob, event: ethereum.Event): void {
  job.updatedAt = event.block.timestamp;
  job.updatedAtBlock = event.block.number;
}

function loadJob(id: Bytes, event: ethereum.Event): EscrowJob | null {
  const job = EscrowJob.load(id);
  if (job == null) {
    log.warning("JobEscrow event for unknown job {} (tx {}, log {})", [
      id.toHexString(),
      event.transaction.hash.toHexString(),
      event.logIndex.toString(),
    ]);
  }
  return job;
}

/** The escrow account of `address`, created at zero (not yet saved) if it has none; touched. */
function loadOrNewAccount(address: Bytes, event: ethereum.Event): EscrowAccount {
  let account = EscrowAccount.load(address);
  if (account == null) {
    account = new EscrowAccount(address);
    account.deferredPayout = BigInt.zero();
    account.totalDeferred = BigInt.zero();
    account.totalWithdrawn = BigInt.zero();
    account.deferralCount = 0;
    account.withdrawalCount = 0;
    account.lastWithdrawnTo = null;
  }
  account.updatedAt = event.block.timestamp;
  account.updatedAtBlock = event.block.number;
  return account;
}

export function handleJobOpened(event: JobOpenedEvent): void {
  const params = event.params;
  const oracleHash = params.oracleHash;
  if (OracleSet.load(oracleHash) == null) {
    const set = new OracleSet(oracleHash);
    const oracle = params.oracle;
    const isContract = !oracle.oracleContract.equals(Address.zero());
    set.kind = "KeySet";
    set.signers = addressesToBytes(oracle.signers);
    set.threshold = oracle.threshold;
    set.oracleContract = null;
    if (isContract) {
      set.kind = "Contract";
      set.oracleContract = oracle.oracleContract;
    }
    set.save();
  }
  const job = new EscrowJob(params.jobId);
  job.requester = params.requester;
  job.provider = params.provider;
  job.machineId = params.machineId;
  // Only a machine of the indexed registry: an escrow of another registry references none.
  job.machine = Machine.load(params.machineId) != null ? params.machineId : null;
  job.salt = params.salt;
  job.timeLimit = params.timeLimit.toI32();
  job.maxPrice = params.maxPrice;
  job.pricePerMinute = params.pricePerMinute;
  job.oracleSet = oracleHash;
  job.status = JOB_STATUSES[JOB_STATUS_OPEN];
  job.openedAt = event.block.timestamp;
  job.openedAtBlock = event.block.number;
  job.acceptedAt = BigInt.zero();
  job.completedAt = BigInt.zero();
  job.reportedRunSeconds = BigInt.zero();
  job.bps = 0;
  job.runSeconds = BigInt.zero();
  job.payout = null;
  job.refund = null;
  job.refundReason = null;
  job.attestedAt = null;
  job.refundedAt = null;
  touch(job, event);
  job.save();
}

export function handleJobAccepted(event: JobAcceptedEvent): void {
  const job = loadJob(event.params.jobId, event);
  if (job == null) return;
  job.status = JOB_STATUSES[JOB_STATUS_ACCEPTED];
  job.acceptedAt = event.block.timestamp;
  touch(job, event);
  job.save();
}

export function handleJobCompleted(event: JobCompletedEvent): void {
  const job = loadJob(event.params.jobId, event);
  if (job == null) return;
  job.status = JOB_STATUSES[JOB_STATUS_COMPLETED];
  job.completedAt = event.block.timestamp;
  job.reportedRunSeconds = event.params.runSeconds;
  touch(job, event);
  job.save();
}

export function handleJobAttested(event: JobAttestedEvent): void {
  const job = loadJob(event.params.jobId, event);
  if (job == null) return;
  if (job.completedAt.isZero()) job.completedAt = job.acceptedAt.plus(BigInt.fromI32(job.timeLimit));
  job.status = JOB_STATUSES[JOB_STATUS_ATTESTED];
  job.bps = event.params.bps;
  job.runSeconds = event.params.runSeconds;
  job.payout = event.params.payout;
  job.refund = event.params.refund;
  job.attestedAt = event.block.timestamp;
  touch(job, event);
  job.save();
}

export function handleJobRefunded(event: JobRefundedEvent): void {
  const job = loadJob(event.params.jobId, event);
  if (job == null) return;
  job.status = JOB_STATUSES[JOB_STATUS_REFUNDED];
  job.refund = event.params.amount;
  const reason = event.params.reason;
  job.refundReason = isEnumIndex(REFUND_REASONS, reason) ? REFUND_REASONS[reason] : null;
  job.refundedAt = event.block.timestamp;
  touch(job, event);
  job.save();
}

export function handlePayoutDeferred(event: PayoutDeferredEvent): void {
  const account = loadOrNewAccount(event.params.account, event);
  account.deferredPayout = account.deferredPayout.plus(event.params.amount);
  account.totalDeferred = account.totalDeferred.plus(event.params.amount);
  account.deferralCount = account.deferralCount + 1;
  account.save();
}

export function handleWithdrawn(event: WithdrawnEvent): void {
  const account = loadOrNewAccount(event.params.account, event);
  // The contract pays out the whole deferred balance and zeroes it.
  account.deferredPayout = account.deferredPayout.minus(event.params.amount);
  account.totalWithdrawn = account.totalWithdrawn.plus(event.params.amount);
  account.withdrawalCount = account.withdrawalCount + 1;
  account.lastWithdrawnTo = event.params.to;
  account.save();
}
