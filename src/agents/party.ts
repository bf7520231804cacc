// What the two parties' agents share: taking a proposal (checked, remembered, then signed over to the solver), and
// finding the deal they agreed to when the indexer reports it.

import type { PartyClient } from "../clients/party";
import type { Deal } from "../model/types";
import { verifyProposedDeal } from "../solver/deal";
import type { NoticeView, SolverApiClient } from "../solver/client";
import type { AgentRuntime, DealRecord, IndexedDeal } from "./runtime";

export interface PartyContext {
  runtime: AgentRuntime;
  client: PartyClient;
  solver: SolverApiClient;
  /** Whether this side's offer in the deal is one this agent posted (and still stands behind). */
  ownsOffer(deal: Deal): boolean;
}

/**
 * A proposal the solver made for this party: signed only if it is exactly what the two offers make
 * (verifyProposedDeal: the ID, the provider's pricing and timeouts for the module, the members) and this side's offer
 * is the agent's own. The deal is remembered before the signature leaves, so a restart knows what it signed.
 * Returns false when it refused.
 */
export async function signProposal(ctx: PartyContext, notice: NoticeView): Promise<boolean> {
  const proposal = notice.proposal;
  if (!proposal) return false;
  const { deal, deadline } = proposal;
  const log = ctx.runtime.logger.child({ deal: deal.id });
  try {
    await verifyProposedDeal(deal);
  } catch (error) {
    log.warn({ err: error }, "refused a proposal that is not what the offers make");
    return false;
  }
  if (!ctx.ownsOffer(deal)) {
    // E.g. a job offer the solver returned to the book after the job creator agreed on chain elsewhere.
    log.info("declined a proposal for an offer this agent no longer stands behind");
    return false;
  }
  ctx.runtime.remember(deal, { step: "signing" });
  const signed = await ctx.client.signAgreement(deal, { deadline });
  const state = await ctx.solver.signProposal(deal.id, signed.signature);
  ctx.runtime.journal.update(deal.id, { step: "signed" });
  log.info({ deadline: String(deadline), state }, "signed the proposal's agreement");
  return true;
}

/**
 * The journal record of a deal the indexer reports, with its key and state updated; made from the solver's copy of
 * the deal (checked against its ID) if the agent never saw the proposal. Undefined if no copy checks out.
 */
export async function recordOf(
  runtime: AgentRuntime,
  solver: SolverApiClient,
  indexed: IndexedDeal,
): Promise<DealRecord | undefined> {
  let record = runtime.journal.get(indexed.cid);
  if (!record) {
    const proposal = await solver.proposal(indexed.cid);
    if (!proposal) return undefined;
    await verifyProposedDeal(proposal.deal);
    record = runtime.remember(proposal.deal);
  }
  if (record.dealKey !== indexed.id || record.chainState !== indexed.state) {
    record = runtime.journal.update(indexed.cid, { dealKey: indexed.id, chainState: indexed.state });
  }
  return record;
}

/**
 * Proposals the agent signed that never became deals on chain: asks the solver what became of each (after a restart
 * that missed its notices) and closes those it dropped or failed.
 */
export async function settleProposals(
  runtime: AgentRuntime,
  solver: SolverApiClient,
  keep: (record: DealRecord) => boolean = () => false,
): Promise<void> {
  for (const record of runtime.journal.values()) {
    if (record.done || record.dealKey || keep(record)) continue;
    const proposal = await solver.proposal(record.dealId);
    if (!proposal || proposal.state === "dropped" || proposal.state === "failed") {
      runtime.journal.update(record.dealId, { done: true, step: proposal?.state ?? "unknown" });
    } else if (proposal.dealKey) {
      runtime.journal.update(record.dealId, { dealKey: proposal.dealKey });
    }
  }
}
