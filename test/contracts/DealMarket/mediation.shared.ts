/** Revert-path tests shared by mediationAcceptResult and mediationRejectResult (same guards). */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  deadlineOf,
  deployMarketFixture,
  makeTerms,
  mediatorOf,
  nextDealId,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectRecord, termMutations } from "../../helpers/assertions";

export type MediationFn = "mediationAcceptResult" | "mediationRejectResult";

export function describeMediationGuards(fn: MediationFn, wrongStates: AgreementState[], outcome: AgreementState): void {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;

  it("reverts with DealMarket_DealNotFound when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    await expect(ctx.market.connect(ctx.mediators[0])[fn](dealId, makeTerms(), count, 0))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealId);
  });

  for (const state of wrongStates) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      const index = Math.max(deal.mediatorIndex, 0);
      await expect(ctx.market.connect(ctx.mediators[index])[fn](deal.dealId, deal.terms, deal.instructionCount, index))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealId, state, AgreementState.ResultsChecked);
    });
  }

  it("reverts with DealMarket_TermsMismatch when any term, the instruction count or the mediator index differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const mediator = await mediatorOf(deal);
    const i = deal.mediatorIndex;
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(ctx.market.connect(mediator)[fn](deal.dealId, mutated, count, i), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealId);
    }
    await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count + 1n, i))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealId);
    await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count, (i + 1) % 3))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealId);
    // An index beyond the mediators is a mismatch too, not an out-of-bounds panic.
    await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count, 200))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealId);
  });

  it("reverts with DealMarket_Unauthorized when the caller is not the drawn mediator", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const others = ctx.mediators.filter((_, j) => j !== deal.mediatorIndex);
    for (const caller of [...others, ctx.jobCreator, ctx.resourceProvider, ctx.solver, ctx.stranger]) {
      await expect(ctx.market.connect(caller)[fn](deal.dealId, deal.terms, count, deal.mediatorIndex))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealId, caller.address);
    }
  });

  it("reverts with DealMarket_DeadlinePassed one second after the mediate-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(ctx.market.connect(await mediatorOf(deal))[fn](deal.dealId, deal.terms, count, deal.mediatorIndex))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
      .withArgs(deal.dealId, deadline);
  });

  it("decides at exactly the mediate-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
    await time.setNextBlockTimestamp(deadline);
    const tx = await ctx.market.connect(await mediatorOf(deal))[fn](deal.dealId, deal.terms, count, deal.mediatorIndex);
    await expectRecord(ctx.market, deal.dealId, { state: outcome, agreedBy: 3, updatedAt: deadline });
    await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealId, outcome);
  });
}
