// Settling a job whose oracle is the operator quorum (QuorumJobOracle), from the provider's side (or anyone's): ask
// for an attestation, wait for the quorum's response to become final, apply it. A task that expired unanswered (or
// was challenged) is asked again while the job can still be attested; losing a race to another caller (the contract's
// AttestationPending, or the job already attested) is fine. Every step rereads the chain first, so calling it again
// after a crash picks up where the chain is.

import type { Logger } from "pino";
import { AccordContractError } from "../clients/errors";
import type { JobEscrowClient } from "../clients/escrow";
import { decodeAccordLogs, eventsNamed } from "../clients/events";
import type { TaskManagerClient } from "../clients/quorum";
import { AccordError } from "../model/errors";

export class QuorumSettlementError extends AccordError {
  override name = "QuorumSettlementError";
}

export type QuorumSettlement = {
  outcome: "attested" | "refunded" | "unattestable";
  taskId?: string;
  bps?: number;
  runSeconds?: bigint;
  attempts: number;
};

export type SettleByQuorumOptions = {
  escrow: JobEscrowClient;
  tasks: TaskManagerClient;
  jobId: string;
  pollMs?: number;
  /** Give up after this long (ms); default 10 minutes. */
  timeoutMs?: number;
  logger?: Logger;
  signal?: AbortSignal;
};

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** The response bytes the quorum's aggregator submitted for a task (its TaskResponded event). */
async function responseOf(tasks: TaskManagerClient, taskId: string): Promise<string | undefined> {
  const address = await tasks.tasks.getAddress();
  const logs = await tasks.provider.getLogs({
    address,
    topics: [tasks.tasks.interface.getEvent("TaskResponded").topicHash, taskId],
    fromBlock: tasks.fromBlock,
    toBlock: "latest",
  });
  const responded = eventsNamed(decodeAccordLogs(logs, { tasks: address }), "TaskResponded").find(
    (event) => event.args.taskId.toLowerCase() === taskId.toLowerCase(),
  );
  return responded?.args.response;
}

const lostRace = (error: unknown): boolean =>
  error instanceof AccordContractError &&
  ["QuorumJobOracle_AttestationPending", "JobEscrow_InvalidState"].includes(error.errorName);

export async function settleByQuorum(options: SettleByQuorumOptions): Promise<QuorumSettlement> {
  const { escrow, tasks, jobId, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  while (!options.signal?.aborted) {
    const job = await escrow.getJob(jobId);
    const { taskId, attempts } = await escrow.quorumAttestationTask(jobId);
    if (job.statusName === "Attested")
      return { outcome: "attested", taskId, bps: job.bps, runSeconds: job.runSeconds, attempts };
    if (job.statusName === "Refunded") return { outcome: "refunded", taskId, attempts };
    const facts = await escrow.jobFacts(jobId);
    const task = attempts > 0 ? await tasks.getTask(taskId) : undefined;
    if (!task || task.statusName === "Expired" || task.statusName === "Challenged") {
      if (!facts.attestable) {
        if (job.statusName === "Accepted" && facts.completesAt > (await escrow.latestTimestamp())) {
          // Not completed yet (running, not reported): wait.
        } else {
          return { outcome: "unattestable", taskId: task?.taskId, attempts };
        }
      } else {
        try {
          const requested = await escrow.requestQuorumAttestation(jobId);
          logger?.info({ jobId, taskId: requested.taskId, attempt: attempts }, "quorum attestation requested");
        } catch (error) {
          if (!lostRace(error)) throw error;
        }
      }
    } else if (task.statusName === "Responded" && (await tasks.isFinal(task.taskId))) {
      const response = await responseOf(tasks, task.taskId);
      if (!response) throw new QuorumSettlementError(`task ${task.taskId} is final but has no TaskResponded event`);
      try {
        const applied = await escrow.applyQuorumAttestation(jobId, response);
        const args = applied.get("AttestationApplied").args;
        logger?.info({ jobId, taskId: task.taskId, bps: args.bps }, "quorum attestation applied");
        return {
          outcome: "attested",
          taskId: task.taskId,
          bps: Number(args.bps),
          runSeconds: args.runSeconds,
          attempts,
        };
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
      continue;
    }
    if (Date.now() > deadline) throw new QuorumSettlementError(`job ${jobId}: no quorum attestation in time`);
    await sleep(pollMs, options.signal);
  }
  throw new QuorumSettlementError(`job ${jobId}: settlement aborted`);
}
