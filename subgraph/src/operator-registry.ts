// OperatorRegistry → Operator, QuorumMembership, Quorum, QuorumCheckpoint, BondWithdrawal.
//
// Event order within a transaction (see contracts/interfaces/IOperatorRegistry.sol):
//   register:        OperatorRegistered, then per quorum QuorumJoined and QuorumUpdated
//   increaseBond:    BondIncreased, then QuorumUpdated per quorum of the operator
//   setUrl:          OperatorUrlUpdated
//   joinQuorum:      QuorumJoined, QuorumUpdated
//   leaveQuorum:     QuorumLeft, QuorumUpdated
//   startUnbonding:  QuorumLeft and QuorumUpdated per quorum, then UnbondingStarted
//   withdrawBond:    BondWithdrawn
//
// A quorum's members are kept here from QuorumJoined / QuorumLeft (the registry's events carry no member list), and
// every checkpoint records the members in force from its block: that is the operator set a task whose reference
// block falls in the checkpoint's range is checked against, which task-manager.ts needs to name a response's signers.
// The contract overwrites a block's checkpoint when the quorum changes again in the same block (QuorumUpdated is then
// logged again with the same fromBlock): the entity of that block is updated in place, as on chain. A membership
// change refreshes the member list of its block's checkpoint too, so the order of QuorumJoined / QuorumLeft and
// QuorumUpdated within a block does not matter. The loops below run over one operator's memberships (at most
// MAX_QUORUMS) or one quorum's members.

import { BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  BondIncreased as BondIncreasedEvent,
  BondWithdrawn as BondWithdrawnEvent,
  OperatorRegistered as OperatorRegisteredEvent,
  OperatorUrlUpdated as OperatorUrlUpdatedEvent,
  QuorumJoined as QuorumJoinedEvent,
  QuorumLeft as QuorumLeftEvent,
  QuorumUpdated as QuorumUpdatedEvent,
  UnbondingStarted as UnbondingStartedEvent,
} from "../generated/OperatorRegistry/OperatorRegistry";
import { BondWithdrawal, Operator, Quorum, QuorumCheckpoint, QuorumMembership } from "../generated/schema";
import {
  OPERATOR_STATUSES,
  OPERATOR_STATUS_ACTIVE,
  OPERATOR_STATUS_UNBONDING,
  OPERATOR_STATUS_WITHDRAWN,
  eventId,
} from "./shared";

/** The encoding of the G2 point at infinity (EIP-2537: 256 zero bytes): an empty quorum's aggregate key. */
const G2_INFINITY_BYTES = 256;

function warnUnknown(what: string, id: string, event: ethereum.Event): void {
  log.warning("OperatorRegistry event for unknown {} {} (tx {}, log {})", [
    what,
    id,
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

/** A quorum's ID: its number in decimal. */
export function quorumId(quorum: i32): string {
  return quorum.toString();
}

/** A checkpoint's ID: the quorum's number, "-", the block it took effect in. */
export function checkpointId(quorum: i32, fromBlock: BigInt): string {
  return quorumId(quorum) + "-" + fromBlock.toString();
}

/** The quorum, created empty (not yet saved) if no event named it before; touched. */
export function loadOrNewQuorum(number: i32, event: ethereum.Event): Quorum {
  const id = quorumId(number);
  let quorum = Quorum.load(id);
  if (quorum == null) {
    quorum = new Quorum(id);
    quorum.number = number;
    quorum.operatorCount = 0;
    quorum.totalStake = BigInt.zero();
    quorum.apkHash = Bytes.fromHexString("0x" + "00".repeat(32));
    quorum.apk = Bytes.fromHexString("0x" + "00".repeat(G2_INFINITY_BYTES));
    quorum.members = [];
    quorum.latestCheckpoint = null;
    quorum.checkpointCount = 0;
    quorum.taskCount = 0;
  }
  quorum.updatedAt = event.block.timestamp;
  quorum.updatedAtBlock = event.block.number;
  quorum.updatedTx = event.transaction.hash;
  return quorum;
}

function loadOperator(id: Bytes, event: ethereum.Event): Operator | null {
  const operator = Operator.load(id);
  if (operator == null) warnUnknown("operator", id.toHexString(), event);
  return operator;
}

function touchOperator(operator: Operator, event: ethereum.Event): void {
  operator.updatedAt = event.block.timestamp;
  operator.updatedAtBlock = event.block.number;
  operator.updatedTx = event.transaction.hash;
}

/** `list` without the entries equal to `id`. */
function withoutId(list: Array<string>, id: string): Array<string> {
  const out = new Array<string>();
  for (let i = 0; i < list.length; i++) if (list[i] != id) out.push(list[i]);
  return out;
}

/** `list` without the entries equal to `id` (Bytes). */
function withoutBytes(list: Array<Bytes>, id: Bytes): Array<Bytes> {
  const out = new Array<Bytes>();
  for (let i = 0; i < list.length; i++) if (!list[i].equals(id)) out.push(list[i]);
  return out;
}

/**
 * A membership change in the quorum's current block: if that block already has a checkpoint (QuorumUpdated logged
 * before the change within the block), its operators become the quorum's members now, as the block's last state.
 */
function refreshBlockCheckpoint(quorum: Quorum, event: ethereum.Event): void {
  const latest = quorum.latestCheckpoint;
  if (latest == null) return;
  const checkpoint = QuorumCheckpoint.load(latest!);
  if (checkpoint == null || !checkpoint.fromBlock.equals(event.block.number)) return;
  checkpoint.operators = quorum.members;
  checkpoint.save();
}

/*//////////////////////////////////////////////////////////////
                              OPERATORS
//////////////////////////////////////////////////////////////*/

export function handleOperatorRegistered(event: OperatorRegisteredEvent): void {
  const id = event.params.operator;
  let operator = Operator.load(id);
  if (operator == null) {
    operator = new Operator(id);
    operator.registrationCount = 0;
    operator.totalWithdrawn = BigInt.zero();
  }
  operator.keyHash = event.params.keyHash;
  operator.publicKey = event.params.publicKey;
  operator.bond = event.params.bond;
  // The registry stores the bitmap at once; the QuorumJoined events that follow add the quorums one by one.
  operator.quorumBitmap = event.params.quorums;
  operator.quorums = [];
  operator.activeMemberships = [];
  operator.status = OPERATOR_STATUSES[OPERATOR_STATUS_ACTIVE];
  operator.url = event.params.url;
  operator.unbondingEndsAt = null;
  operator.registrationCount = operator.registrationCount + 1;
  operator.registeredAt = event.block.timestamp;
  operator.registeredAtBlock = event.block.number;
  operator.registeredTx = event.transaction.hash;
  touchOperator(operator, event);
  operator.save();
}

export function handleBondIncreased(event: BondIncreasedEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  operator.bond = event.params.bond;
  touchOperator(operator, event);
  operator.save();
}

export function handleOperatorUrlUpdated(event: OperatorUrlUpdatedEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  operator.url = event.params.url;
  touchOperator(operator, event);
  operator.save();
}

export function handleUnbondingStarted(event: UnbondingStartedEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  // Its QuorumLeft events came first: it is in no quorum now.
  operator.status = OPERATOR_STATUSES[OPERATOR_STATUS_UNBONDING];
  operator.bond = event.params.bond;
  operator.unbondingEndsAt = event.params.unbondingEndsAt;
  touchOperator(operator, event);
  operator.save();
}

export function handleBondWithdrawn(event: BondWithdrawnEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  const amount = event.params.amount;
  operator.status = OPERATOR_STATUSES[OPERATOR_STATUS_WITHDRAWN];
  // The registry pays the whole bond out, keeps none, and zeroes unbondingEndsAt.
  operator.bond = BigInt.zero();
  operator.unbondingEndsAt = null;
  operator.totalWithdrawn = operator.totalWithdrawn.plus(amount);
  touchOperator(operator, event);
  operator.save();

  const withdrawal = new BondWithdrawal(eventId(event));
  withdrawal.operator = operator.id;
  withdrawal.to = event.params.to;
  withdrawal.amount = amount;
  withdrawal.blockNumber = event.block.number;
  withdrawal.timestamp = event.block.timestamp;
  withdrawal.transactionHash = event.transaction.hash;
  withdrawal.save();
}

/*//////////////////////////////////////////////////////////////
                             MEMBERSHIPS
//////////////////////////////////////////////////////////////*/

export function handleQuorumJoined(event: QuorumJoinedEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  const number = event.params.quorum;
  const quorum = loadOrNewQuorum(number, event);

  const membership = new QuorumMembership(eventId(event));
  membership.operator = operator.id;
  membership.quorum = quorum.id;
  membership.active = true;
  membership.joinedAt = event.block.timestamp;
  membership.joinedAtBlock = event.block.number;
  membership.joinedTx = event.transaction.hash;
  membership.leftAt = null;
  membership.leftAtBlock = null;
  membership.leftTx = null;
  membership.save();

  const memberships = operator.activeMemberships;
  memberships.push(membership.id);
  operator.activeMemberships = memberships;
  const quorums = withoutId(operator.quorums, quorum.id);
  quorums.push(quorum.id);
  operator.quorums = quorums;
  operator.quorumBitmap = operator.quorumBitmap | (1 << number);
  touchOperator(operator, event);
  operator.save();

  const members = withoutBytes(quorum.members, operator.id);
  members.push(operator.id);
  quorum.members = members;
  quorum.save();
  refreshBlockCheckpoint(quorum, event);
}

export function handleQuorumLeft(event: QuorumLeftEvent): void {
  const operator = loadOperator(event.params.operator, event);
  if (operator == null) return;
  const number = event.params.quorum;
  const quorum = loadOrNewQuorum(number, event);

  // Its stint in this quorum: one of its active memberships (at most MAX_QUORUMS).
  const active = operator.activeMemberships;
  const remaining = new Array<string>();
  for (let i = 0; i < active.length; i++) {
    const membership = QuorumMembership.load(active[i]);
    if (membership == null) continue;
    if (membership.quorum != quorum.id) {
      remaining.push(active[i]);
      continue;
    }
    membership.active = false;
    membership.leftAt = event.block.timestamp;
    membership.leftAtBlock = event.block.number;
    membership.leftTx = event.transaction.hash;
    membership.save();
  }
  operator.activeMemberships = remaining;
  operator.quorums = withoutId(operator.quorums, quorum.id);
  operator.quorumBitmap = operator.quorumBitmap & ~(1 << number);
  touchOperator(operator, event);
  operator.save();

  quorum.members = withoutBytes(quorum.members, operator.id);
  quorum.save();
  refreshBlockCheckpoint(quorum, event);
}

/*//////////////////////////////////////////////////////////////
                              QUORUMS
//////////////////////////////////////////////////////////////*/

export function handleQuorumUpdated(event: QuorumUpdatedEvent): void {
  const number = event.params.quorum;
  const fromBlock = event.params.fromBlock;
  const quorum = loadOrNewQuorum(number, event);

  const id = checkpointId(number, fromBlock);
  let checkpoint = QuorumCheckpoint.load(id);
  if (checkpoint == null) {
    checkpoint = new QuorumCheckpoint(id);
    checkpoint.quorum = quorum.id;
    checkpoint.index = quorum.checkpointCount;
    checkpoint.fromBlock = fromBlock;
    checkpoint.previous = quorum.latestCheckpoint;
    checkpoint.writeCount = 0;
    quorum.checkpointCount = quorum.checkpointCount + 1;
  }
  // A second write in the same block overwrites the block's checkpoint, as the contract does.
  checkpoint.operatorCount = event.params.operatorCount.toI32();
  checkpoint.totalStake = event.params.totalStake;
  checkpoint.apkHash = event.params.apkHash;
  checkpoint.apk = event.params.apk;
  checkpoint.operators = quorum.members;
  checkpoint.writeCount = checkpoint.writeCount + 1;
  checkpoint.timestamp = event.block.timestamp;
  checkpoint.transactionHash = event.transaction.hash;
  checkpoint.save();

  quorum.operatorCount = checkpoint.operatorCount;
  quorum.totalStake = event.params.totalStake;
  quorum.apkHash = event.params.apkHash;
  quorum.apk = event.params.apk;
  quorum.latestCheckpoint = id;
  quorum.save();
}
