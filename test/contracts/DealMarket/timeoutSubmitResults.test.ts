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
  type PaymentTuple,
} from "../../helpers/fixtures";
import { describeDealGuards } from "./guards.shared";
import { expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";

describe("DealMarket.timeoutSubmitResults", () => {
  const setup = () => loadFixture(deployMarketFixture);

  describeDealGuards({
    action: "timeoutSubmitResults",
    expected: AgreementState.DealAgreed,
    wrongStates: [AgreementState.DealNegotiating, AgreementState.ResultsSubmitted, AgreementState.TimeoutSubmitResults],
    caller: "jobCreator",
    unauthorized: ["resourceProvider", "solver", "mediator", "stranger"],
    args: () => [],
    claimAfter: "submitResults",
  });

  it("reverts with DealMarket_DeadlineNotPassed at exactly the submit-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.submitResults);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealKey, deadline);
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
        const deadline = await deadlineOf(ctx.market, deal.dealKey, terms.timeouts.submitResults);
        await time.setNextBlockTimestamp(deadline + 1n);
        const tx = await ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms);
        await expectRecord(ctx.market, deal.dealKey, {
          state: AgreementState.TimeoutSubmitResults,
          agreedBy: 3,
          updatedAt: deadline + 1n,
        });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealKey, AgreementState.TimeoutSubmitResults);
        const total = 1_000_000n + 20_000n + stc;
        await expectDeltas(tx, ctx, { jobCreator: total, resourceProvider: 0n, market: -total });
        const expected: PaymentTuple[] = [
          [ctx.jobCreator.address, 1_000_000n, Reason.PaymentCollateral, Dir.Refunded],
          [ctx.jobCreator.address, 20_000n, Reason.TimeoutCollateral, Dir.Refunded],
          [ctx.jobCreator.address, stc, Reason.TimeoutCollateral, Dir.Slashed],
        ];
        await expectPayments(
          ctx.market,
          tx,
          deal.dealKey,
          expected.filter(([, a]) => a > 0n),
        );
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
        .withArgs(deal.dealKey, AgreementState.TimeoutSubmitResults, AgreementState.DealAgreed);
    });
  });
});
