// Who aggregates a task, and when: the reference's "is-leader" and "trigger election" without a cluster. The task's
// on-chain seed orders the quorum's operators at the reference block by keccak256(abi.encode(seed, operator)); the
// k-th in that order holds slot k, the `aggregatorSlot` seconds [createdAt + k·slot, createdAt + (k+1)·slot). Handing
// over is the slot passing: nobody has to agree on it, every node computes the same order from the chain. When every
// operator has had its slot the order starts over (slot k is held by the (k mod n)-th), so until the deadline there
// is always a holder. A node that declines (its operator runs without aggregating, or cannot reach the threshold)
// just does not submit; the next holder takes over when the slot timer says so, with the signatures followers
// already sent it (they send to the holder and the next one in the order).

import { AbiCoder, keccak256 } from "ethers";

/** What the order needs of a task. */
export type OrderedTask = { seed: string; createdAt: bigint | number };

/** A slot of a task's order. */
export type AggregatorSlot = {
  /** Slot number from createdAt (0, 1, …). */
  slot: number;
  /** Index in the order of the operator holding it (slot mod n). */
  index: number;
  operator: string;
  /** Unix seconds the slot starts and ends (exclusive). */
  startsAt: number;
  endsAt: number;
};

/** keccak256(abi.encode(seed, operator)): an operator's place in a task's draw. */
export function drawKey(seed: string, operator: string): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "address"], [seed, operator]));
}

/** The task's aggregators in order: `operators` sorted by their draw key (ties cannot happen for distinct addresses). */
export function aggregatorOrder(seed: string, operators: readonly string[]): string[] {
  return operators
    .map((operator) => ({ operator, key: BigInt(drawKey(seed, operator)) }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((entry) => entry.operator);
}

/** The slot number at `now` (unix seconds): 0 before createdAt. */
export function slotAt(task: OrderedTask, slotSeconds: number, now: number): number {
  if (slotSeconds <= 0) throw new RangeError("slotSeconds must be above 0");
  const elapsed = now - Number(task.createdAt);
  return elapsed <= 0 ? 0 : Math.floor(elapsed / slotSeconds);
}

/** Slot `slot` of the task's order. */
export function slotOf(task: OrderedTask, order: readonly string[], slotSeconds: number, slot: number): AggregatorSlot {
  if (order.length === 0) throw new RangeError("the order is empty");
  const index = slot % order.length;
  const startsAt = Number(task.createdAt) + slot * slotSeconds;
  return { slot, index, operator: order[index], startsAt, endsAt: startsAt + slotSeconds };
}

/** Who holds the aggregator slot at `now`, of `operators` (the quorum's at the reference block, in any order). */
export function aggregatorFor(
  task: OrderedTask,
  operators: readonly string[],
  slotSeconds: number,
  now: number,
): AggregatorSlot {
  return slotOf(task, aggregatorOrder(task.seed, operators), slotSeconds, slotAt(task, slotSeconds, now));
}

/** Whether `operator` holds the slot at `now`. */
export function isAggregator(
  task: OrderedTask,
  operators: readonly string[],
  slotSeconds: number,
  now: number,
  operator: string,
): boolean {
  return aggregatorFor(task, operators, slotSeconds, now).operator.toLowerCase() === operator.toLowerCase();
}

/**
 * Where a follower sends its signature at `now`: the slot holder and the next one in the order (distinct; one when
 * the quorum has one operator), so a takeover never waits for a resend.
 */
export function signatureTargets(
  task: OrderedTask,
  operators: readonly string[],
  slotSeconds: number,
  now: number,
): string[] {
  const order = aggregatorOrder(task.seed, operators);
  const slot = slotAt(task, slotSeconds, now);
  const current = slotOf(task, order, slotSeconds, slot).operator;
  const next = slotOf(task, order, slotSeconds, slot + 1).operator;
  return current === next ? [current] : [current, next];
}
