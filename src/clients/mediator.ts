// The mediator: finds the disputes it was drawn for and decides them.

import { AgreementState } from "../model";
import { AccordClient, type MediationStepOptions } from "./base";
import { eventsNamed, type AccordTxResult } from "./events";
import type { DealRef, OnChainDeal, OnChainDealTerms } from "./terms";

/** A dispute this mediator was drawn for, still awaiting its decision. Usable as a DealRef. */
export type PendingMediation = OnChainDeal & {
  dealId: `0x${string}`;
  dealCid: string;
  terms: OnChainDealTerms;
  instructionCount: bigint;
  mediatorIndex: number;
  /** The results under dispute: bytes32 digest and CID. */
  resultsId: string;
  resultsCid: string;
  /** When the mediation was requested (the ResultsChecked state began). */
  requestedAt: bigint;
  /** The last second a decision is accepted. */
  deadline: bigint;
  /** True when the deadline has passed: only timeoutMediateResults remains. */
  expired: boolean;
  /** The block of the MediationRequested event. */
  blockNumber: number;
};

export type PendingMediationsOptions = {
  /** First block to scan; default the client's fromBlock. */
  fromBlock?: number;
  /** Include mediations whose deadline has passed (flagged `expired`); default true. */
  includeExpired?: boolean;
};

export class MediatorClient extends AccordClient {
  /**
   * The deals whose MediationRequested named this signer and that are still in ResultsChecked, with
   * everything a decision call needs (terms from DealCreated, instruction count from ResultAdded).
   */
  async getPendingMediations(options: PendingMediationsOptions = {}): Promise<PendingMediation[]> {
    const me = await this.getAddress();
    const market = this.market;
    const logs = await market.queryFilter(
      market.filters.MediationRequested(undefined, me),
      options.fromBlock ?? this.fromBlock,
      "latest",
    );
    const requests = eventsNamed(this.decodeLogs(logs), "MediationRequested");
    const now = await this.latestTimestamp();
    const pending: PendingMediation[] = [];
    const seen = new Set<string>();
    for (const request of requests) {
      if (seen.has(request.dealId)) continue;
      seen.add(request.dealId);
      const record = await this.getDealRecord(request.dealId);
      if (record.state !== AgreementState.ResultsChecked) continue;
      const events = await this.getDealEvents(request.dealId);
      const created = eventsNamed(events, "DealCreated")[0];
      const result = eventsNamed(events, "ResultAdded").pop();
      if (!created || !result) continue; // created before fromBlock: not enough history to act on
      const deadline = record.updatedAt + created.terms.timeouts.mediateResults;
      const expired = now > deadline;
      if (expired && options.includeExpired === false) continue;
      pending.push({
        dealId: request.dealId.toLowerCase() as `0x${string}`,
        dealCid: request.dealCid,
        terms: created.terms,
        instructionCount: result.instructionCount,
        mediatorIndex: request.mediatorIndex,
        resultsId: result.resultsId,
        resultsCid: result.resultsCid,
        requestedAt: record.updatedAt,
        deadline,
        expired,
        blockNumber: request.blockNumber,
      });
    }
    return pending;
  }

  /** The results are correct: settled as an accept, and this mediator is paid the mediation fee. */
  async mediationAcceptResult(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    const mediatorIndex = await this.mediatorIndexOf(resolved, options.mediatorIndex);
    return this.send("mediationAcceptResult", (overrides) =>
      this.market.mediationAcceptResult(resolved.dealId, resolved.terms, instructionCount, mediatorIndex, overrides),
    );
  }

  /**
   * The results are wrong: the job creator gets its payment collateral back plus the provider's results
   * collateral; this mediator is paid the mediation fee.
   */
  async mediationRejectResult(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    const mediatorIndex = await this.mediatorIndexOf(resolved, options.mediatorIndex);
    return this.send("mediationRejectResult", (overrides) =>
      this.market.mediationRejectResult(resolved.dealId, resolved.terms, instructionCount, mediatorIndex, overrides),
    );
  }
}
