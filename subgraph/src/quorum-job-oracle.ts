// QuorumJobOracle → QuorumAttestationRequest.
//
// Event order within a transaction (see contracts/QuorumJobOracle.sol):
//   requestAttestation: AttestationRequested, then the task's TaskCreated (TaskManager)
//   applyAttestation:   AttestationApplied, then the escrow's JobAttested and its payouts (JobEscrow)
//
// The request's ID is its task's ID, so `task` names TaskManager's Task of that ID: it resolves once TaskCreated,
// logged next in the same transaction, is indexed (when the oracle's TaskManager is the indexed one).

import { ethereum, log } from "@graphprotocol/graph-ts";

import {
  AttestationApplied as AttestationAppliedEvent,
  AttestationRequested as AttestationRequestedEvent,
} from "../generated/QuorumJobOracle/QuorumJobOracle";
import { EscrowJob, QuorumAttestationRequest } from "../generated/schema";

function warnUnknown(id: string, event: ethereum.Event): void {
  log.warning("QuorumJobOracle event for unknown attestation request {} (tx {}, log {})", [
    id,
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

export function handleAttestationRequested(event: AttestationRequestedEvent): void {
  const id = event.params.taskId;
  if (QuorumAttestationRequest.load(id) != null) return; // a task ID is created once
  const request = new QuorumAttestationRequest(id);
  request.oracle = event.address;
  request.jobId = event.params.jobId;
  // Only a job of the indexed escrow.
  request.job = EscrowJob.load(event.params.jobId) != null ? event.params.jobId : null;
  request.task = id;
  request.attempt = event.params.attempt.toI32();
  request.applied = false;
  request.aggregator = null;
  request.unset("bps"); // a nullable Int has no null setter
  request.runSeconds = null;
  request.requestedAt = event.block.timestamp;
  request.requestedAtBlock = event.block.number;
  request.requestedTx = event.transaction.hash;
  request.appliedAt = null;
  request.appliedTx = null;
  request.save();
}

export function handleAttestationApplied(event: AttestationAppliedEvent): void {
  const request = QuorumAttestationRequest.load(event.params.taskId);
  if (request == null) {
    warnUnknown(event.params.taskId.toHexString(), event);
    return;
  }
  request.applied = true;
  request.aggregator = event.params.aggregator;
  request.bps = event.params.bps;
  request.runSeconds = event.params.runSeconds;
  request.appliedAt = event.block.timestamp;
  request.appliedTx = event.transaction.hash;
  request.save();
}
