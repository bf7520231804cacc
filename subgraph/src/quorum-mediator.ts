// QuorumMediator → QuorumVerdict, QuorumFeeCredit.
//
// Event order within a transaction (see contracts/interfaces/IQuorumMediator.sol):
//   applyVerdict:    the market's events (DealStateChange, Payment…), VerdictApplied
//   withdraw:        Withdrawn
//
//   requestVerdict:  VerdictRequested, then the task's TaskCreated (TaskManager)
//
// VerdictRequested names the deal by its ID, not by the key the market keeps it under (the key needs the parties):
// the task's payload, abi.encode(dealId, jobCreator, resourceProvider, instructionCount, termsHash), starts with
// abi.encode(dealId, jobCreator, resourceProvider), whose keccak256 is the key (DealHashing.dealKey). The task is
// logged after VerdictRequested, so task-manager.ts completes the verdict (linkVerdictTask) when it indexes the task.

import { BigInt, Bytes, crypto, ethereum, log } from "@graphprotocol/graph-ts";

import {
  VerdictApplied as VerdictAppliedEvent,
  VerdictRequested as VerdictRequestedEvent,
  Withdrawn as WithdrawnEvent,
} from "../generated/QuorumMediator/QuorumMediator";
import { Deal, QuorumFeeCredit, QuorumVerdict, Task } from "../generated/schema";

/** Bytes of abi.encode(dealId, jobCreator, resourceProvider): three 32-byte words. */
const DEAL_KEY_PREIMAGE_BYTES = 96;

function warnUnknown(what: string, id: string, event: ethereum.Event): void {
  log.warning("QuorumMediator event for unknown {} {} (tx {}, log {})", [
    what,
    id,
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

/** The fee credit of `account`, created at zero (not yet saved) if it has none; touched. */
function loadOrNewCredit(account: Bytes, event: ethereum.Event): QuorumFeeCredit {
  let credit = QuorumFeeCredit.load(account);
  if (credit == null) {
    credit = new QuorumFeeCredit(account);
    credit.amount = BigInt.zero();
    credit.totalCredited = BigInt.zero();
    credit.totalWithdrawn = BigInt.zero();
    credit.creditCount = 0;
    credit.withdrawalCount = 0;
    credit.lastWithdrawnTo = null;
    credit.createdAt = event.block.timestamp;
  }
  credit.updatedAt = event.block.timestamp;
  credit.updatedAtBlock = event.block.number;
  credit.updatedTx = event.transaction.hash;
  return credit;
}

/**
 * Fills in what a verdict learns from its task's payload (the deal's key, and the deal when the indexed market holds
 * it) and links the task to the verdict. Called by whichever of VerdictRequested and TaskCreated is indexed second.
 */
export function linkVerdictTask(verdict: QuorumVerdict, task: Task): void {
  const payload = task.payload;
  if (payload.length >= DEAL_KEY_PREIMAGE_BYTES) {
    const dealKey = Bytes.fromByteArray(
      crypto.keccak256(Bytes.fromUint8Array(payload.subarray(0, DEAL_KEY_PREIMAGE_BYTES))),
    );
    verdict.dealKey = dealKey;
    // Only a deal of the indexed market: a mediator of another market's deals references none.
    verdict.deal = Deal.load(dealKey) != null ? dealKey : null;
  }
  task.verdict = verdict.id;
}

/** The mediator logs VerdictRequested just before it creates the task (TaskCreated, indexed by task-manager.ts). */
export function handleVerdictRequested(event: VerdictRequestedEvent): void {
  const id = event.params.taskId;
  if (QuorumVerdict.load(id) != null) return; // a task ID is created once
  const verdict = new QuorumVerdict(id);
  verdict.mediator = event.address;
  verdict.task = id;
  verdict.dealId = event.params.dealId;
  verdict.dealKey = null;
  verdict.deal = null;
  verdict.attempt = event.params.attempt.toI32();
  verdict.applied = false;
  verdict.unset("accepted"); // a nullable Boolean has no null setter
  verdict.fee = null;
  verdict.aggregator = null;
  verdict.credit = null;
  verdict.requestedAt = event.block.timestamp;
  verdict.requestedAtBlock = event.block.number;
  verdict.requestedTx = event.transaction.hash;
  verdict.appliedAt = null;
  verdict.appliedTx = null;
  // Should the task have been logged first, link it now.
  const task = Task.load(id);
  if (task != null) {
    linkVerdictTask(verdict, task);
    task.save();
  }
  verdict.save();
}

export function handleVerdictApplied(event: VerdictAppliedEvent): void {
  const verdict = QuorumVerdict.load(event.params.taskId);
  if (verdict == null) {
    warnUnknown("verdict", event.params.taskId.toHexString(), event);
    return;
  }
  const fee = event.params.fee;
  const aggregator = event.params.aggregator;
  const credit = loadOrNewCredit(aggregator, event);
  credit.amount = credit.amount.plus(fee);
  credit.totalCredited = credit.totalCredited.plus(fee);
  credit.creditCount = credit.creditCount + 1;
  credit.save();

  verdict.applied = true;
  verdict.accepted = event.params.accepted;
  verdict.fee = fee;
  verdict.aggregator = aggregator;
  verdict.credit = credit.id;
  verdict.appliedAt = event.block.timestamp;
  verdict.appliedTx = event.transaction.hash;
  verdict.save();
}

export function handleWithdrawn(event: WithdrawnEvent): void {
  const amount = event.params.amount;
  const credit = loadOrNewCredit(event.params.account, event);
  // The contract pays out the whole credit and zeroes it.
  credit.amount = credit.amount.minus(amount);
  credit.totalWithdrawn = credit.totalWithdrawn.plus(amount);
  credit.withdrawalCount = credit.withdrawalCount + 1;
  credit.lastWithdrawnTo = event.params.to;
  credit.save();
}
