// TaskManager → Task, TaskResponse, Challenge.
//
// Event order within a transaction (see contracts/interfaces/ITaskManager.sol): createTask logs TaskCreated,
// respondToTask TaskResponded, challengeResponse ResponseChallenged; QuorumMediator.requestVerdict logs its own
// VerdictRequested before the TaskCreated of the task it creates (the verdict is completed from the task's payload
// here: quorum-mediator.ts, linkVerdictTask).
//
// A response names its non-signers; its signers are the rest of the quorum's operators at the task's reference block.
// That operator set is the one of the quorum's checkpoint in force at the reference block (operator-registry.ts keeps
// each checkpoint's members), found when the task is created: the reference block is the block before creation, so it
// is the quorum's latest checkpoint then, or the one before it if the quorum changed earlier in the creation block
// itself (a block has one checkpoint at most). The signers are computed by one pass over that set (a quorum's
// operators: small, bounded by the registry's members, not by anything a submitter chooses).

import { BigInt, Bytes, crypto, ethereum, log } from "@graphprotocol/graph-ts";

import {
  ResponseChallenged as ResponseChallengedEvent,
  TaskCreated as TaskCreatedEvent,
  TaskResponded as TaskRespondedEvent,
} from "../generated/TaskManager/TaskManager";
import { Challenge, QuorumCheckpoint, QuorumVerdict, Task, TaskResponse } from "../generated/schema";
import { loadOrNewQuorum } from "./operator-registry";
import { linkVerdictTask } from "./quorum-mediator";
import {
  TASK_STATUSES,
  TASK_STATUS_CHALLENGED,
  TASK_STATUS_OPEN,
  TASK_STATUS_RESPONDED,
  addressesToBytes,
} from "./shared";

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

function warnUnknown(what: string, id: string, event: ethereum.Event): void {
  log.warning("TaskManager event for unknown {} {} (tx {}, log {})", [
    what,
    id,
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

function loadTask(id: Bytes, event: ethereum.Event): Task | null {
  const task = Task.load(id);
  if (task == null) warnUnknown("task", id.toHexString(), event);
  return task;
}

function touchTask(task: Task, event: ethereum.Event): void {
  task.updatedAt = event.block.timestamp;
  task.updatedAtBlock = event.block.number;
  task.updatedTx = event.transaction.hash;
}

/**
 * The ID of the checkpoint in force at `referenceBlock`, walking back from the quorum's latest (at most one step:
 * only a checkpoint of the creation block itself is later than the reference block).
 */
function checkpointAt(latest: string | null, referenceBlock: BigInt): string | null {
  let id = latest;
  while (id != null) {
    const checkpoint = QuorumCheckpoint.load(id!);
    if (checkpoint == null) return null;
    if (checkpoint.fromBlock.le(referenceBlock)) return id;
    id = checkpoint.previous;
  }
  return null;
}

export function handleTaskCreated(event: TaskCreatedEvent): void {
  const id = event.params.taskId;
  if (Task.load(id) != null) return; // IDs are never reused: the contract refuses to create one twice
  const quorum = loadOrNewQuorum(event.params.quorum, event);
  quorum.taskCount = quorum.taskCount + 1;
  quorum.save();

  const referenceBlock = event.params.referenceBlock;
  const verifier = event.params.verifier;
  const payload = event.params.payload;
  const task = new Task(id);
  task.creator = event.params.creator;
  task.quorum = quorum.id;
  task.thresholdPercent = event.params.thresholdPercent;
  task.referenceBlock = referenceBlock;
  task.quorumCheckpoint = checkpointAt(quorum.latestCheckpoint, referenceBlock);
  task.responseDeadline = event.params.responseDeadline;
  task.verifier = verifier;
  task.challengeable = verifier.toHexString() != ZERO_ADDRESS;
  task.seed = event.params.seed;
  task.payload = payload;
  task.payloadHash = Bytes.fromByteArray(crypto.keccak256(payload));
  task.status = TASK_STATUSES[TASK_STATUS_OPEN];
  task.verdict = null;
  task.createdAt = event.block.timestamp;
  task.createdAtBlock = event.block.number;
  task.createdTx = event.transaction.hash;
  task.respondedAt = null;
  touchTask(task, event);
  const verdict = QuorumVerdict.load(id);
  if (verdict != null) {
    linkVerdictTask(verdict, task);
    verdict.save();
  }
  task.save();
}

export function handleTaskResponded(event: TaskRespondedEvent): void {
  const task = loadTask(event.params.taskId, event);
  if (task == null) return;
  const nonSigners = addressesToBytes(event.params.nonSigners);

  // Signers: the quorum's operators at the reference block but the non-signers.
  const excluded = new Set<string>();
  for (let i = 0; i < nonSigners.length; i++) excluded.add(nonSigners[i].toHexString());
  const signers = new Array<Bytes>();
  const checkpointId = task.quorumCheckpoint;
  if (checkpointId == null) {
    warnUnknown("reference checkpoint of task", task.id.toHexString(), event);
  } else {
    const checkpoint = QuorumCheckpoint.load(checkpointId!);
    if (checkpoint != null) {
      const operators = checkpoint.operators;
      for (let i = 0; i < operators.length; i++) {
        if (!excluded.has(operators[i].toHexString())) signers.push(operators[i]);
      }
    }
  }

  const response = new TaskResponse(task.id);
  response.task = task.id;
  response.quorum = task.quorum;
  response.aggregator = event.params.aggregator;
  response.response = event.params.response;
  response.responseHash = event.params.responseHash;
  response.signedStake = event.params.signedStake;
  response.totalStake = event.params.totalStake;
  response.signers = signers;
  response.nonSigners = nonSigners;
  response.signerCount = signers.length;
  response.nonSignerCount = nonSigners.length;
  response.respondedAt = event.block.timestamp;
  response.blockNumber = event.block.number;
  response.transactionHash = event.transaction.hash;
  response.save();

  task.status = TASK_STATUSES[TASK_STATUS_RESPONDED];
  task.respondedAt = event.block.timestamp;
  touchTask(task, event);
  task.save();
}

export function handleResponseChallenged(event: ResponseChallengedEvent): void {
  const task = loadTask(event.params.taskId, event);
  if (task == null) return;
  const challenge = new Challenge(task.id);
  challenge.task = task.id;
  challenge.challenger = event.params.challenger;
  challenge.timestamp = event.block.timestamp;
  challenge.blockNumber = event.block.number;
  challenge.transactionHash = event.transaction.hash;
  challenge.save();

  task.status = TASK_STATUSES[TASK_STATUS_CHALLENGED];
  touchTask(task, event);
  task.save();
}
