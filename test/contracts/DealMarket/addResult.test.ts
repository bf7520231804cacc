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
  resultsCollateral,
  resultsIdOf,
} from "../../helpers/fixtures";
import { describeDealGuards } from "./guards.shared";
import { expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";

describe("DealMarket.addResult", () => {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;
  const resultsId = resultsIdOf("addResult");

  describeDealGuards({
    action: "addResult",
    expected: AgreementState.DealAgreed,
    wrongStates: [AgreementState.DealNegotiating, AgreementState.ResultsSubmitted, AgreementState.TimeoutSubmitResults],
    caller: "resourceProvider",
    unauthorized: ["jobCreator", "solver", "mediator", "stranger"],
    args: () => [resultsId, count],
  });

  it("reverts with DealMarket_DeadlinePassed one second after the submit-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.submitResults);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
      .withArgs(deal.dealKey, deadline);
  });

  it("accepts the results at exactly the submit-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.submitResults);
    await time.setNextBlockTimestamp(deadline);
    await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count);
    await expectRecord(ctx.market, deal.dealKey, {
      state: AgreementState.ResultsSubmitted,
      agreedBy: 3,
      updatedAt: deadline,
    });
  });

  describe("when the provider submits in time", () => {
    it("moves the deal to ResultsSubmitted and emits ResultAdded and DealStateChange", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count);
      await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.ResultsSubmitted, agreedBy: 3, tx });
      await expect(tx).to.emit(ctx.market, "ResultAdded").withArgs(deal.dealKey, resultsId, count);
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.ResultsSubmitted);
    });

    it("escrows the results collateral and refunds the submit timeout collateral (net pull)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      const rc = resultsCollateral(deal.terms, count); // 2 × 1_000 × 600 = 1_200_000
      const stc = deal.terms.timeouts.submitResultsCollateral;
      expect(rc).to.equal(1_200_000n);
      const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count);
      await expectDeltas(tx, ctx, { resourceProvider: stc - rc, market: rc - stc });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.PaidIn],
        [ctx.resourceProvider.address, stc, Reason.TimeoutCollateral, Dir.Refunded],
      ]);
    });

    it("pays the provider the difference when the results collateral is below the timeout collateral", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      const small = 5n; // rc = 2 × 1_000 × 5 = 10_000 < 30_000
      const rc = resultsCollateral(deal.terms, small);
      const stc = deal.terms.timeouts.submitResultsCollateral;
      expect(rc).to.be.lessThan(stc);
      const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, small);
      await expectDeltas(tx, ctx, { resourceProvider: stc - rc, market: rc - stc });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.PaidIn],
        [ctx.resourceProvider.address, stc, Reason.TimeoutCollateral, Dir.Refunded],
      ]);
    });

    it("moves nothing when the results collateral equals the timeout collateral", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      const equal = 15n; // 2 × 1_000 × 15 = 30_000
      expect(resultsCollateral(deal.terms, equal)).to.equal(deal.terms.timeouts.submitResultsCollateral);
      const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, equal);
      await expectDeltas(tx, ctx, {});
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, 30_000n, Reason.ResultsCollateral, Dir.PaidIn],
        [ctx.resourceProvider.address, 30_000n, Reason.TimeoutCollateral, Dir.Refunded],
      ]);
    });

    for (const [name, terms, n] of [
      ["zero instructions", () => makeTerms(), 0n],
      ["a zero multiple", () => makeTerms({ pricing: { resultsCollateralMultiple: 0n } }), count],
      ["a zero instruction price", () => makeTerms({ pricing: { instructionPrice: 0n } }), count],
    ] as const) {
      it(`only refunds the timeout collateral when the results collateral is zero (${name})`, async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.DealAgreed, { terms: terms() });
        const stc = deal.terms.timeouts.submitResultsCollateral;
        const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, n);
        await expectDeltas(tx, ctx, { resourceProvider: stc, market: -stc });
        await expectPayments(ctx.market, tx, deal.dealKey, [
          [ctx.resourceProvider.address, stc, Reason.TimeoutCollateral, Dir.Refunded],
        ]);
        await expect(tx).to.emit(ctx.market, "ResultAdded").withArgs(deal.dealKey, resultsId, n);
      });
    }

    it("only pulls the results collateral when the submit timeout collateral is zero", async () => {
      const ctx = await setup();
      const terms = makeTerms({ timeouts: { submitResultsCollateral: 0n } });
      const deal = await createDeal(ctx, AgreementState.DealAgreed, { terms });
      const rc = resultsCollateral(terms, count);
      const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count);
      await expectDeltas(tx, ctx, { resourceProvider: -rc, market: rc });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.PaidIn],
      ]);
    });

    it("reverts and leaves the deal in DealAgreed when the provider cannot pay the results collateral", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealAgreed);
      await ctx.token.connect(ctx.resourceProvider).approve(await ctx.market.getAddress(), 0n);
      await expect(
        ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, resultsId, count),
      ).to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance");
      expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.DealAgreed);
    });

    it("commits the instruction count: accepting with another count reverts with DealMarket_TermsMismatch", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      for (const other of [0n, count - 1n, count + 1n]) {
        await expect(ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, other))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
          .withArgs(deal.dealKey);
      }
      await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
    });
  });
});
