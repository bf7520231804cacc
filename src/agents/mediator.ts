// The mediator's agent: the indexer pushes the deals it is drawn for (dealChanged on Deal.mediator, which the indexer
// works out from the draw block's hash as the market does); for each it re-runs the job with its own executor and
// compares the results' CID and instruction count with what the provider submitted, then accepts or rejects on chain.
// The verdict is written to the journal before it is sent.

import type pino from "pino";
import { AgreementState } from "../model/types";
import { AccordContractError } from "../clients/errors";
import type { MediatorClient } from "../clients/mediator";
import { bytes32ToCid } from "../model/cid";
import type { ExecutionResult, Executor } from "../executor";
import type { Deal } from "../model/types";
import type { SolverApiClient } from "../solver/client";
import { recordOf } from "./party";
import { AgentRuntime, FINAL_STATES, type DealRecord, type IndexedDeal } from "./runtime";

export interface MediatorPolicy {
  /** The share of disputes it never decides (0-1): the parties claim timeoutMediateResults. */
  silent?: number;
}

export interface MediatorAgentOptions {
  client: MediatorClient;
  /** Where the deals' documents are read (the solver that made them). */
  solver: SolverApiClient;
  indexerUrl: string;
  dataDir: string;
  executor: Executor;
  logger: pino.Logger;
  policy?: MediatorPolicy;
  random?: () => number;
  tickMs?: number;
}

/**
 * A mediator's judgement of a deal: re-runs its job with `executor` and accepts when the results' CID and instruction
 * count are the ones submitted. Shared with the operator quorum's deal-mediation task type (src/quorum/task-types.ts).
 */
export async function judgeDeal(
  executor: Executor,
  deal: Deal,
  submitted: { resultsId: string; instructionCount: string | null },
): Promise<{ verdict: "accept" | "reject"; run: ExecutionResult }> {
  const run = await executor.run(deal.job_offer, { dealId: deal.id });
  const same = run.resultsId === submitted.resultsId && String(run.instructionCount) === submitted.instructionCount;
  return { verdict: same ? "accept" : "reject", run };
}

export class MediatorAgent {
  readonly runtime: AgentRuntime;
  private readonly random: () => number;

  constructor(private readonly options: MediatorAgentOptions) {
    this.runtime = new AgentRuntime({
      client: options.client,
      indexerUrl: options.indexerUrl,
      dealField: "mediator",
      dataDir: options.dataDir,
      logger: options.logger,
      tickMs: options.tickMs,
    });
    this.random = options.random ?? Math.random;
  }

  async start(): Promise<void> {
    await this.runtime.start({ onDeal: (deal) => this.onDeal(deal), onTick: (record) => this.onTick(record) });
  }

  async close(): Promise<void> {
    this.options.solver.close();
    await this.runtime.close();
  }

  private async onDeal(indexed: IndexedDeal): Promise<void> {
    const record = await recordOf(this.runtime, this.options.solver, indexed);
    if (!record || record.done) return;
    if (FINAL_STATES.has(indexed.state)) {
      this.runtime.journal.update(record.dealId, { done: true });
      return;
    }
    if (indexed.state !== "ResultsChecked" || indexed.mediator?.toLowerCase() !== this.runtime.me) return;
    await this.mediate(record, indexed);
  }

  private async mediate(record: DealRecord, indexed: IndexedDeal): Promise<void> {
    const deal = this.runtime.dealOf(record);
    const log = this.runtime.logger.child({ deal: record.dealId, dealKey: indexed.id });
    let step = record.step;
    if (step !== "accept" && step !== "reject" && step !== "silent" && step !== "decided") {
      if (this.random() < (this.options.policy?.silent ?? 0)) {
        step = "silent";
      } else {
        log.info({ module: deal.job_offer.module.name }, "re-running the job");
        const submitted = { resultsId: bytes32ToCid(indexed.resultsId!), instructionCount: indexed.instructionCount };
        const { verdict, run } = await judgeDeal(this.options.executor, deal, submitted);
        step = verdict;
        log.info(
          {
            mine: { resultsId: run.resultsId, instructionCount: String(run.instructionCount) },
            submitted,
            verdict: step,
          },
          "compared the results",
        );
        this.runtime.journal.update(record.dealId, {
          resultsId: run.resultsId,
          instructionCount: String(run.instructionCount),
        });
      }
      this.runtime.journal.update(record.dealId, { step });
    }
    if (step === "silent") {
      log.info("staying silent on this dispute (policy)");
      return;
    }
    if (step === "decided") return;
    await this.send(record.dealId, step as "accept" | "reject", log);
  }

  private async send(dealId: string, verdict: "accept" | "reject", log: pino.Logger): Promise<void> {
    const record = this.runtime.journal.get(dealId)!;
    const deal = this.runtime.dealOf(record);
    if ((await this.options.client.getDealState(deal)) !== AgreementState.ResultsChecked) return;
    try {
      const sent =
        verdict === "accept"
          ? await this.options.client.mediationAcceptResult(deal)
          : await this.options.client.mediationRejectResult(deal);
      this.runtime.journal.update(dealId, { step: "decided" });
      log.info(
        { verdict, tx: sent.hash },
        verdict === "accept" ? "mediation: results accepted" : "mediation: results rejected",
      );
    } catch (error) {
      // An unfixed draw older than 256 blocks must be drawn again; the indexer then reports the new mediator.
      if (error instanceof AccordContractError && error.errorName === "DealMarket_DrawExpired") {
        await this.options.client.drawMediator(deal);
        log.info("the draw had expired: drawn again");
        return;
      }
      throw error;
    }
  }

  /** A verdict written down but not sent (a restart, a failed transaction) is sent again. */
  private async onTick(record: DealRecord): Promise<void> {
    if (record.chainState !== "ResultsChecked") return;
    if (record.step !== "accept" && record.step !== "reject") return;
    await this.send(record.dealId, record.step, this.runtime.logger.child({ deal: record.dealId }));
  }
}
