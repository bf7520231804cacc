import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  deadlineOf,
  deployMarketFixture,
  makeTerms,
  nextDealId,
  passDeadline,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDeltas, expectPayments, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.timeoutSubmitResults", () => {
  const setup = () => loadFixture(deployMarketFixture);

  it("reverts with DealMarket_DealNotFound when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    await expect(ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(dealId, makeTerms()))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealId);
  });

  for (const state of [
    AgreementState.DealNegotiating,
    AgreementState.ResultsSubmitted,
    AgreementState.TimeoutSubmitResults,
  ]) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.submitResults);
      await expect(ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealId, state, AgreementState.DealAgreed);
    });
  }

  it("reverts with DealMarket_TermsMismatch when any term differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.submitResults);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, mutated), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealId);
    }
  });

  for (const who of ["resourceProvider", "solver", "mediator", "stranger"] as const) {
    it(`reverts with DealMarket_Unauthorized when the caller is the ${who}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.submitResults);
      const caller = who === "mediator" ? ctx.mediators[0] : ctx[who];
      await expect(ctx.market.connect(caller).timeoutSubmitResults(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealId, caller.address);
    });
  }

  it("reverts with DealMarket_DeadlineNotPassed at exactly the submit-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.submitResults);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealId, deadline);
  });

  describe("when the job creator claims one second after the deadline", () => {
    for (const [name, stc] of [
      ["with a submit-results timeout collateral", 30_000n],
      ["with a zero submit-results timeout collateral", 0n],
    ] as const) {
      it(`refunds the job creator and slashes the provider's timeout collateral to it (${name})`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ timeouts: { submitResultsCollateral: stc } });
        const deal = await createDeal(ctx, AgreementState.DealAgreed, { terms });
        const deadline = await deadlineOf(ctx.market, deal.dealId, terms.timeouts.submitResults);
        await time.setNextBlockTimestamp(deadline + 1n);
        const tx = await ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms);
        await expectRecord(ctx.market, deal.dealId, {
          state: AgreementState.TimeoutSubmitResults,
          agreedBy: 3,
          updatedAt: deadline + 1n,
        });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealId, AgreementState.TimeoutSubmitResults);
        const total = 1_000_000n + 20_000n + stc;
        await expectDeltas(tx, ctx, { jobCreator: total, resourceProvider: 0n, market: -total });
        const expected: PaymentTuple[] = [
          [ctx.jobCreator.address, 1_000_000n, Reason.PaymentCollateral, Dir.Refunded],
          [ctx.jobCreator.address, 20_000n, Reason.TimeoutCollateral, Dir.Refunded],
          [ctx.jobCreator.address, stc, Reason.TimeoutCollateral, Dir.Slashed],
        ];
        await expectPayments(ctx.market, tx, deal.dealId, expected.filter(([, a]) => a > 0n));
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    }

    it("ends the deal: the provider can no longer add results", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutSubmitResults);
      await expect(
        ctx.market
          .connect(ctx.resourceProvider)
          .addResult(deal.dealId, deal.terms, deal.resultsId, DEFAULT_INSTRUCTION_COUNT),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealId, AgreementState.TimeoutSubmitResults, AgreementState.DealAgreed);
    });
  });
});
