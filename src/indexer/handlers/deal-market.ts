// DealMarket events → Deal, DealStateChange, Result, Mediation, Payment and Account entities.
// The subgraph's AssemblyScript mappings implement the same semantics; keep them identical.
//
// A deal's entity ID is the key the market keeps it under and every event names, `dealKey(dealId, jobCreator,
// resourceProvider)`; its CID (the ID people see) is the `cid` field, shared by every record of that deal ID.
// Result and Mediation are keyed by the deal's key too; DealStateChange and Payment by their log.

import { mediatorDrawIndex } from "../../model/deal-key";
import type { EntityRecord } from "../store/types";
import { AGREEMENT_STATES, PAYMENT_DIRECTIONS, PAYMENT_REASONS, type DecodedLog } from "../sync/events";
import { ensureAccount, loadAccount, type HandlerContext } from "./context";
import { cidV0FromDigest, eventId } from "./ids";

/** States in which a deal is still in progress. */
export const OPEN_STATES: ReadonlySet<string> = new Set([
  "DealNegotiating",
  "DealAgreed",
  "ResultsSubmitted",
  "ResultsChecked",
]);
/** States that decide a mediation. */
export const MEDIATION_OUTCOMES: ReadonlySet<string> = new Set([
  "MediationAccepted",
  "MediationRejected",
  "TimeoutMediateResults",
]);

type Ev<N extends DecodedLog["name"]> = Extract<DecodedLog, { name: N }>;

function touch(deal: EntityRecord, ctx: HandlerContext): void {
  deal.updatedAt = ctx.timestamp;
  deal.updatedAtBlock = ctx.blockNumber;
  deal.updatedTx = ctx.log.transactionHash;
}

async function loadDeal(ctx: HandlerContext, event: DecodedLog & { dealKey: string }): Promise<EntityRecord | null> {
  const deal = await ctx.w.get("Deal", event.dealKey);
  if (!deal) ctx.warn(`${event.name} for unknown deal ${event.dealKey}`, event);
  return deal;
}

export async function onDealCreated(ctx: HandlerContext, e: Ev<"DealCreated">): Promise<void> {
  const t = e.terms;
  await ensureAccount(ctx, e.jobCreator);
  await ensureAccount(ctx, e.resourceProvider);
  const deal: EntityRecord = {
    id: e.dealKey,
    cid: cidV0FromDigest(e.dealId),
    dealId: e.dealId,
    market: ctx.log.address,
    jobCreator: e.jobCreator,
    resourceProvider: e.resourceProvider,
    solver: t.solver,
    mediators: [...t.mediators],
    instructionPrice: t.instructionPrice,
    paymentCollateral: t.paymentCollateral,
    resultsCollateralMultiple: t.resultsCollateralMultiple,
    mediationFee: t.mediationFee,
    agreeTimeout: t.agreeTimeout,
    submitResultsTimeout: t.submitResultsTimeout,
    judgeResultsTimeout: t.judgeResultsTimeout,
    mediateResultsTimeout: t.mediateResultsTimeout,
    agreeCollateral: t.agreeCollateral,
    submitResultsCollateral: t.submitResultsCollateral,
    judgeResultsCollateral: t.judgeResultsCollateral,
    mediateResultsCollateral: t.mediateResultsCollateral,
    state: AGREEMENT_STATES[0],
    stateIndex: 0,
    isOpen: true,
    jobCreatorAgreed: false,
    resourceProviderAgreed: false,
    mediator: null,
    instructionCount: null,
    resultsId: null,
    escrow: 0n,
    createdAt: ctx.timestamp,
    createdAtBlock: ctx.blockNumber,
    createdTx: ctx.log.transactionHash,
    agreedAt: null,
    updatedAt: ctx.timestamp,
    updatedAtBlock: ctx.blockNumber,
    updatedTx: ctx.log.transactionHash,
  };
  await ctx.w.set("Deal", deal, ctx.log.blockNumber);
}

export async function onPartyAgreed(ctx: HandlerContext, e: Ev<"PartyAgreed">): Promise<void> {
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  if (e.party === deal.jobCreator) deal.jobCreatorAgreed = true;
  if (e.party === deal.resourceProvider) deal.resourceProviderAgreed = true;
  touch(deal, ctx);
  await ctx.w.set("Deal", deal, ctx.log.blockNumber);
}

export async function onDealStateChange(ctx: HandlerContext, e: Ev<"DealStateChange">): Promise<void> {
  const state = AGREEMENT_STATES[e.state];
  if (state === undefined) {
    ctx.warn(`DealStateChange with unknown state ${e.state}`, e);
    return;
  }
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  deal.state = state;
  deal.stateIndex = e.state;
  deal.isOpen = OPEN_STATES.has(state);
  if (state === "DealAgreed") {
    deal.agreedAt = ctx.timestamp;
    deal.jobCreatorAgreed = true;
    deal.resourceProviderAgreed = true;
  }
  touch(deal, ctx);
  await ctx.w.set("Deal", deal, ctx.log.blockNumber);
  await ctx.w.set(
    "DealStateChange",
    {
      id: eventId(ctx.log.transactionHash, ctx.log.logIndex),
      deal: deal.id,
      state,
      stateIndex: e.state,
      blockNumber: ctx.blockNumber,
      timestamp: ctx.timestamp,
      transactionHash: ctx.log.transactionHash,
    },
    ctx.log.blockNumber,
  );
  if (MEDIATION_OUTCOMES.has(state)) {
    const mediation = await ctx.w.get("Mediation", deal.id as string);
    if (mediation) {
      mediation.outcome = state;
      mediation.decidedAt = ctx.timestamp;
      mediation.decidedTx = ctx.log.transactionHash;
      await ctx.w.set("Mediation", mediation, ctx.log.blockNumber);
    }
  }
}

export async function onResultAdded(ctx: HandlerContext, e: Ev<"ResultAdded">): Promise<void> {
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  const jobCost = (deal.instructionPrice as bigint) * e.instructionCount;
  deal.instructionCount = e.instructionCount;
  deal.resultsId = e.resultsId;
  touch(deal, ctx);
  await ctx.w.set("Deal", deal, ctx.log.blockNumber);
  if (await ctx.w.get("Result", deal.id as string)) return; // immutable; a deal has one result
  await ctx.w.set(
    "Result",
    {
      id: deal.id,
      deal: deal.id,
      resourceProvider: deal.resourceProvider,
      resultsId: e.resultsId,
      resultsCid: cidV0FromDigest(e.resultsId),
      instructionCount: e.instructionCount,
      jobCost,
      resultsCollateral: (deal.resultsCollateralMultiple as bigint) * jobCost,
      blockNumber: ctx.blockNumber,
      timestamp: ctx.timestamp,
      transactionHash: ctx.log.transactionHash,
    },
    ctx.log.blockNumber,
  );
}

/**
 * checkResult, or a draw renewed by drawMediator after 256 unfixed blocks: the mediator is drawn from the hash of
 * this event's block, as the market draws it (`mediatorDrawIndex`, DealHashing.drawIndex). A renewed draw replaces
 * the previous one; when the dispute was requested stays.
 */
export async function onMediationRequested(ctx: HandlerContext, e: Ev<"MediationRequested">): Promise<void> {
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  const mediators = deal.mediators as string[];
  if (mediators.length === 0) {
    ctx.warn(`MediationRequested for deal ${e.dealKey}, which names no mediators`, e);
    return;
  }
  if (e.drawBlock !== ctx.blockNumber) {
    ctx.warn(`MediationRequested draws from block ${e.drawBlock} but was logged in ${ctx.blockNumber}`, e);
  }
  const index = mediatorDrawIndex(ctx.log.blockHash, e.dealKey, mediators.length);
  const mediator = mediators[index];
  const previous = await ctx.w.get("Mediation", deal.id as string);
  const draw = {
    mediator,
    mediatorIndex: index,
    drawBlock: ctx.blockNumber,
    drawBlockHash: ctx.log.blockHash,
    drawFixed: false,
  };
  const mediation: EntityRecord = previous
    ? { ...previous, ...draw, drawCount: (previous.drawCount as number) + 1 }
    : {
        id: deal.id,
        deal: deal.id,
        ...draw,
        drawCount: 1,
        fee: deal.mediationFee,
        requestedAt: ctx.timestamp,
        requestedTx: ctx.log.transactionHash,
        outcome: null,
        decidedAt: null,
        decidedTx: null,
      };
  await ctx.w.set("Mediation", mediation, ctx.log.blockNumber);
  deal.mediator = mediator;
  touch(deal, ctx);
  await ctx.w.set("Deal", deal, ctx.log.blockNumber);
}

/** drawMediator fixed the draw on chain. The event names the mediator the market computed; it wins. */
export async function onMediatorDrawn(ctx: HandlerContext, e: Ev<"MediatorDrawn">): Promise<void> {
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  const mediation = await ctx.w.get("Mediation", deal.id as string);
  if (!mediation) {
    ctx.warn(`MediatorDrawn for deal ${e.dealKey}, which has no mediation`, e);
    return;
  }
  if (mediation.mediator !== e.mediator) {
    ctx.warn(`MediatorDrawn names ${e.mediator}, the indexer drew ${String(mediation.mediator)}`, e);
  }
  Object.assign(mediation, { mediator: e.mediator, mediatorIndex: e.mediatorIndex, drawFixed: true });
  await ctx.w.set("Mediation", mediation, ctx.log.blockNumber);
  if (deal.mediator !== e.mediator) {
    deal.mediator = e.mediator;
    touch(deal, ctx);
    await ctx.w.set("Deal", deal, ctx.log.blockNumber);
  }
}

/** Whose escrow a payment moved: the payer for PaidIn, the owner of refunded funds, the job creator for
 * payouts (job payment, mediation fee), and for a slash the party other than the injured payee. */
export function paymentAccount(direction: string, payee: string, jobCreator: string, resourceProvider: string): string {
  switch (direction) {
    case "PaidOut":
      return jobCreator;
    case "Slashed":
      return payee === jobCreator ? resourceProvider : jobCreator;
    default:
      return payee;
  }
}

export async function onPayment(ctx: HandlerContext, e: Ev<"Payment">): Promise<void> {
  const direction = PAYMENT_DIRECTIONS[e.direction];
  const reason = PAYMENT_REASONS[e.reason];
  if (direction === undefined || reason === undefined) {
    ctx.warn(`Payment with unknown reason ${e.reason} or direction ${e.direction}`, e);
    return;
  }
  const deal = await loadDeal(ctx, e);
  if (!deal) return;
  const accountId = paymentAccount(direction, e.payee, deal.jobCreator as string, deal.resourceProvider as string);
  const block = ctx.log.blockNumber;
  await ctx.w.set(
    "Payment",
    {
      id: eventId(ctx.log.transactionHash, ctx.log.logIndex),
      deal: deal.id,
      payee: e.payee,
      account: accountId,
      amount: e.amount,
      reason,
      direction,
      blockNumber: ctx.blockNumber,
      timestamp: ctx.timestamp,
      transactionHash: ctx.log.transactionHash,
    },
    block,
  );
  const account = await loadAccount(ctx, accountId);
  if (direction === "PaidIn") {
    account.escrowBalance = (account.escrowBalance as bigint) + e.amount;
    account.totalPaidIn = (account.totalPaidIn as bigint) + e.amount;
    deal.escrow = (deal.escrow as bigint) + e.amount;
    await ctx.w.set("Account", account, block);
  } else {
    account.escrowBalance = (account.escrowBalance as bigint) - e.amount;
    deal.escrow = (deal.escrow as bigint) - e.amount;
    const payee = e.payee === accountId ? account : await loadAccount(ctx, e.payee);
    payee.totalReceived = (payee.totalReceived as bigint) + e.amount;
    await ctx.w.set("Account", account, block);
    if (payee !== account) await ctx.w.set("Account", payee, block);
  }
  touch(deal, ctx);
  await ctx.w.set("Deal", deal, block);
}

export async function onPayoutDeferred(ctx: HandlerContext, e: Ev<"PayoutDeferred">): Promise<void> {
  const account = await loadAccount(ctx, e.account);
  account.deferredPayout = (account.deferredPayout as bigint) + e.amount;
  await ctx.w.set("Account", account, ctx.log.blockNumber);
}

export async function onWithdrawn(ctx: HandlerContext, e: Ev<"Withdrawn">): Promise<void> {
  const account = await loadAccount(ctx, e.account);
  account.deferredPayout = (account.deferredPayout as bigint) - e.amount;
  await ctx.w.set("Account", account, ctx.log.blockNumber);
}
