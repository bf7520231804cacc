// The mediator: learns which disputes it was drawn for and decides them.
//
// checkResult records a draw block; the mediator is `mediators[mediatorDrawIndex(hash of that block, dealKey, n)]`.
// Off chain that is known as soon as the block exists (the MediationRequested log carries its block hash); on chain
// from the next block on, for 256 blocks, or for good once someone fixes it with drawMediator.

import { AgreementState, bytes32ToCid } from "../model";
import { AccordClient, BLOCKHASH_WINDOW, sameAddress, type MediationStepOptions } from "./base";
import { dealTermsOf, drawnMediatorOf, eventsNamed, type AccordLogOf, type AccordTxResult } from "./events";
import type { DealRef, OnChainDeal, OnChainDealTerms } from "./terms";

/** A dispute this mediator was drawn for, still awaiting its decision. Usable as a DealRef. */
export type PendingMediation = OnChainDeal & {
  dealId: `0x${string}`;
  dealCid: string;
  /** The record's key (the ID and the parties). */
  dealKey: `0x${string}`;
  terms: OnChainDealTerms;
  instructionCount: bigint;
  /** This mediator's index among the terms' mediators. */
  mediatorIndex: number;
  /** The block whose hash drew this mediator (of the latest MediationRequested), and that hash. */
  drawBlock: number;
  drawBlockHash: string;
  /** True once the draw is fixed on chain (MediatorDrawn). */
  drawFixed: boolean;
  /**
   * Unfixed and older than 256 blocks: the chain no longer knows the hash, so a decision reverts
   * DealMarket_DrawExpired; `drawMediator` draws again from a new block (possibly someone else).
   */
  drawExpired: boolean;
  /** The results under dispute: bytes32 digest and CID. */
  resultsId: string;
  resultsCid: string;
  /** When the mediation was requested (the ResultsChecked state began; redraws do not move it). */
  requestedAt: bigint;
  /** The last second a decision is accepted. */
  deadline: bigint;
  /** True when the deadline has passed: only timeoutMediateResults remains. */
  expired: boolean;
};

export type PendingMediationsOptions = {
  /** First block to scan; default the client's fromBlock. */
  fromBlock?: number;
  /** Include mediations whose deadline has passed (flagged `expired`); default true. */
  includeExpired?: boolean;
};

export class MediatorClient extends AccordClient {
  /**
   * The deals under mediation (still in ResultsChecked) whose draw names this signer, with everything a
   * decision call needs (terms from DealCreated, instruction count from ResultAdded, all found by key). The
   * draw is read from the latest MediationRequested log's block hash (or the MediatorDrawn that fixed it).
   */
  async getPendingMediations(options: PendingMediationsOptions = {}): Promise<PendingMediation[]> {
    const me = await this.getAddress();
    const market = this.market;
    const logs = await market.queryFilter(
      market.filters.MediationRequested(),
      options.fromBlock ?? this.fromBlock,
      "latest",
    );
    const keys = [...new Set(eventsNamed(this.decodeLogs(logs), "MediationRequested").map((e) => e.args.dealKey))];
    const [now, latest] = await Promise.all([this.latestTimestamp(), this.provider.getBlockNumber()]);
    const pending: PendingMediation[] = [];
    for (const key of keys) {
      const mediation = await this.getPendingMediation(key, { mediator: me, now, latest });
      if (!mediation || (mediation.expired && options.includeExpired === false)) continue;
      pending.push(mediation);
    }
    return pending;
  }

  /**
   * One deal's dispute, if it is still under mediation (ResultsChecked) and its draw names `mediator` (default this
   * signer; a contract mediator such as the QuorumMediator is named by its address): what `getPendingMediations`
   * lists for it. `now` (the latest block's timestamp) and `latest` (its number) are read when not given.
   */
  async getPendingMediation(
    dealKey: string,
    at: { mediator?: string; now?: bigint; latest?: number } = {},
  ): Promise<PendingMediation | undefined> {
    const key = dealKey as `0x${string}`;
    const mediatorAddress = at.mediator ?? (await this.getAddress());
    const record = await this.getDealRecord(key);
    if (record.state !== AgreementState.ResultsChecked) return undefined;
    const events = await this.getDealEvents(key);
    const created = eventsNamed(events, "DealCreated")[0];
    const result = eventsNamed(events, "ResultAdded").pop();
    const request = eventsNamed(events, "MediationRequested").pop();
    if (!created || !result || !request) return undefined; // created before fromBlock: not enough history to act on
    const terms = dealTermsOf(created);
    if (!terms.members.mediators.some((m) => sameAddress(m, mediatorAddress))) return undefined;
    const fixed = eventsNamed(events, "MediatorDrawn").find((e) => isAfter(e, request));
    const { mediator, mediatorIndex } = fixed
      ? { mediator: fixed.args.mediator, mediatorIndex: Number(fixed.args.mediatorIndex) }
      : drawnMediatorOf(request, terms);
    if (!sameAddress(mediator, mediatorAddress)) return undefined;
    const now = at.now ?? (await this.latestTimestamp());
    const latest = at.latest ?? (await this.provider.getBlockNumber());
    const drawBlock = Number(request.args.drawBlock);
    const deadline = record.updatedAt + terms.timeouts.mediateResults;
    return {
      dealId: created.args.dealId,
      dealCid: bytes32ToCid(created.args.dealId),
      dealKey: key,
      terms,
      instructionCount: result.args.instructionCount,
      mediatorIndex,
      drawBlock,
      drawBlockHash: request.blockHash,
      drawFixed: fixed !== undefined,
      drawExpired: fixed === undefined && latest + 1 - drawBlock > BLOCKHASH_WINDOW,
      resultsId: result.args.resultsId,
      resultsCid: bytes32ToCid(result.args.resultsId),
      requestedAt: record.updatedAt,
      deadline,
      expired: now > deadline,
    };
  }

  /**
   * Whether this signer is the deal's drawn mediator, worked out off chain from the draw block's hash
   * (`computeDrawnMediator`): usable right after checkResult's block, before the chain can read it.
   */
  async isDrawnMediator(deal: DealRef): Promise<boolean> {
    const draw = await this.computeDrawnMediator(deal);
    return sameAddress(draw.mediator, await this.getAddress());
  }

  /**
   * Fixes the draw on chain (anyone may; the drawn mediator does it to keep its fee past the 256 blocks of
   * kept hashes). Emits MediatorDrawn; if the draw had expired unfixed, draws again instead (MediationRequested,
   * a new draw block). Reverts DealMarket_DrawPending inside the draw block, DealMarket_MediatorAlreadyDrawn
   * once fixed.
   */
  async drawMediator(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("drawMediator", (overrides) =>
      this.market.drawMediator(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }

  /**
   * The results are correct: settled as an accept, and this mediator is paid the mediation fee. Only the
   * drawn mediator (DealMarket_Unauthorized otherwise), from the block after the draw on.
   */
  async mediationAcceptResult(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("mediationAcceptResult", (overrides) =>
      this.market.mediationAcceptResult(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }

  /**
   * The results are wrong: the job creator gets its payment collateral back plus the provider's results
   * collateral; this mediator is paid the mediation fee. Only the drawn mediator.
   */
  async mediationRejectResult(deal: DealRef, options: MediationStepOptions = {}): Promise<AccordTxResult> {
    const resolved = await this.resolveDeal(deal);
    const instructionCount = await this.instructionCountOf(resolved, options.instructionCount);
    return this.send("mediationRejectResult", (overrides) =>
      this.market.mediationRejectResult(resolved.dealId, resolved.terms, instructionCount, overrides),
    );
  }
}

function isAfter(
  event: Pick<AccordLogOf<"MediatorDrawn">, "blockNumber" | "logIndex">,
  than: Pick<AccordLogOf<"MediationRequested">, "blockNumber" | "logIndex">,
): boolean {
  return (
    event.blockNumber > than.blockNumber || (event.blockNumber === than.blockNumber && event.logIndex > than.logIndex)
  );
}
