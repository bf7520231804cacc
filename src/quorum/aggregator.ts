// Aggregation: every node collects the signatures it is sent, grouped by response hash, whether or not it holds the
// task's aggregator slot (so it can take over when the holder goes silent). When it holds the slot and one response
// has reached the threshold at the reference block (signed stake × 100 ≥ total × thresholdPercent) it submits
// `respondToTask` with the QuorumSignature built from them. A revert saying the task is no longer open (someone else
// responded first) or past its deadline ends the task here; any other failure is retried after `retryMs` while the
// node still holds the slot. Each attempt is written down before it is sent, and its outcome after.

import type { Logger } from "pino";
import { AccordContractError } from "../clients/errors";
import type { TaskManagerClient } from "../clients/quorum";
import { aggregatorFor } from "./aggregator-order";
import { decodeG1, encodeG1 } from "./bls";
import type { OperatorSet, QuorumMember } from "./operator-set";
import type { OperatorNodeState, TaskRecord } from "./state";

/** Test-only misbehaviour of an aggregator. */
export type AggregatorFaults = {
  /** Wait this long after the threshold is reached before submitting (a slow aggregator, to be killed meanwhile). */
  submitDelayMs?: number;
  /** Submit a wrong aggregate signature (the right one doubled): a byzantine aggregator the contract must refuse. */
  corruptAggregate?: boolean;
};

export type AggregatorOptions = {
  me: string;
  tasks: TaskManagerClient;
  state: OperatorNodeState;
  operatorSet: OperatorSet;
  slotSeconds: number;
  logger: Logger;
  /** False: collect and serve signatures but never submit (an operator that declines every slot). */
  enabled?: boolean;
  retryMs?: number;
  faults?: AggregatorFaults;
  /** Unix seconds now (the slot clock); default the wall clock. */
  now?: () => number;
};

/** The response with the most signed stake, if it reaches the threshold. */
export function readyResponse(
  record: Pick<TaskRecord, "collected" | "task">,
  members: readonly QuorumMember[],
):
  { responseHash: string; response: string; operators: string[]; signedStake: bigint; totalStake: bigint } | undefined {
  const stakes = new Map(members.map((member) => [member.operator.toLowerCase(), member.stake]));
  const totalStake = members.reduce((sum, member) => sum + member.stake, 0n);
  const groups = new Map<string, { response: string; operators: string[]; signedStake: bigint }>();
  for (const [operator, entry] of Object.entries(record.collected)) {
    const stake = stakes.get(operator);
    if (stake === undefined) continue;
    const group = groups.get(entry.responseHash) ?? { response: entry.response, operators: [], signedStake: 0n };
    group.operators.push(operator);
    group.signedStake += stake;
    groups.set(entry.responseHash, group);
  }
  let best: ReturnType<typeof readyResponse>;
  for (const [responseHash, group] of groups) {
    if (group.signedStake * 100n < totalStake * BigInt(record.task.thresholdPercent)) continue;
    if (!best || group.signedStake > best.signedStake) best = { responseHash, ...group, totalStake };
  }
  return best;
}

export class Aggregator {
  readonly #inFlight = new Set<string>();
  readonly #lastAttempt = new Map<string, number>();
  readonly #readySince = new Map<string, number>();

  constructor(private readonly options: AggregatorOptions) {}

  #now(): number {
    return this.options.now ? this.options.now() : Date.now() / 1000;
  }

  /** Submits the task's response if this node holds the slot and a response is ready; never throws. */
  async maybeSubmit(taskId: string): Promise<void> {
    if (this.options.enabled === false || this.#inFlight.has(taskId)) return;
    this.#inFlight.add(taskId);
    try {
      await this.#maybeSubmit(taskId);
    } catch (error) {
      this.options.logger.warn({ err: error, taskId }, "aggregation failed");
    } finally {
      this.#inFlight.delete(taskId);
    }
  }

  async #maybeSubmit(taskId: string): Promise<void> {
    const { state, operatorSet, tasks, logger, me } = this.options;
    const record = state.get(taskId);
    if (!record || record.done || record.outcome) return;
    const task = record.task;
    const now = this.#now();
    if (now > task.responseDeadline) return;
    const members = await operatorSet.membersAt(task.quorum, task.referenceBlock);
    if (members.length === 0) return;
    const slot = aggregatorFor(
      task,
      members.map((member) => member.operator),
      this.options.slotSeconds,
      now,
    );
    if (slot.operator.toLowerCase() !== me.toLowerCase()) return;
    const ready = readyResponse(record, members);
    if (!ready) return;
    const wall = Date.now();
    const delay = this.options.faults?.submitDelayMs ?? 0;
    if (delay > 0) {
      const since = this.#readySince.get(taskId) ?? wall;
      this.#readySince.set(taskId, since);
      if (wall - since < delay) return;
    }
    const last = this.#lastAttempt.get(taskId);
    if (last !== undefined && wall - last < (this.options.retryMs ?? 1000)) return;
    this.#lastAttempt.set(taskId, wall);

    const built = await tasks.buildQuorumSignature(
      task,
      ready.operators.map((operator) => ({
        operator,
        signature: decodeG1(record.collected[operator].signature),
      })),
      members,
    );
    if (this.options.faults?.corruptAggregate) {
      built.signature.signature = encodeG1(decodeG1(built.signature.signature).double());
    }
    const submission = { at: wall, responseHash: ready.responseHash, signers: built.signers.length };
    state.addSubmission(taskId, submission);
    logger.info(
      { taskId, slot: slot.slot, signers: built.signers.length, nonSigners: built.nonSigners.length },
      "submitting the task's response",
    );
    try {
      const result = await tasks.respondToTask(taskId, ready.response, built.signature);
      const current = state.get(taskId)!;
      state.update(taskId, {
        submissions: [...current.submissions.slice(0, -1), { ...submission, hash: result.hash }],
        outcome: {
          status: "Responded",
          aggregator: me,
          responseHash: ready.responseHash,
          transactionHash: result.hash,
        },
        done: true,
      });
      logger.info({ taskId, tx: result.hash, gasUsed: String(result.gasUsed) }, "submitted the task's response");
    } catch (error) {
      const name = error instanceof AccordContractError ? error.errorName : undefined;
      const current = state.get(taskId)!;
      state.update(taskId, {
        submissions: [...current.submissions.slice(0, -1), { ...submission, error: name ?? (error as Error).message }],
      });
      if (name === "TaskManager_TaskNotOpen") {
        // Someone else's response landed first: nothing left to do here (the TaskResponded scan records it).
        logger.info({ taskId }, "another aggregator responded first");
        return;
      }
      if (name === "TaskManager_DeadlinePassed") {
        state.update(taskId, { outcome: { status: "Expired" }, done: true });
        return;
      }
      logger.warn({ taskId, error: name ?? (error as Error).message }, "the response was refused");
    }
  }
}
