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
  mediatorOf,
  nextDealId,
  passDeadline,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDeltas, expectPayments, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.timeoutMediateResults", () => {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;

  it("reverts with DealMarket_DealNotFound when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    await expect(ctx.market.connect(ctx.jobCreator).timeoutMediateResults(dealId, makeTerms(), count, 0))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealId);
  });

  for (const state of [
    AgreementState.ResultsSubmitted,
    AgreementState.MediationAccepted,
    AgreementState.TimeoutMediateResults,
  ]) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
      const index = Math.max(deal.mediatorIndex, 0);
      await expect(
        ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, deal.terms, deal.instructionCount, index),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealId, state, AgreementState.ResultsChecked);
    });
  }

  it("reverts with DealMarket_TermsMismatch when any term, the instruction count or the mediator index differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
    const i = deal.mediatorIndex;
    const call = (terms = deal.terms, n = count, index = i) =>
      ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, terms, n, index);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(call(mutated), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealId);
    }
    await expect(call(deal.terms, count + 1n)).to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch");
    await expect(call(deal.terms, count, (i + 1) % 3)).to.be.revertedWithCustomError(
      ctx.market,
      "DealMarket_TermsMismatch",
    );
  });

  it("reverts with DealMarket_Unauthorized when the caller is the mediator, the solver or a stranger", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await passDeadline(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
    for (const caller of [await mediatorOf(deal), ctx.solver, ctx.stranger]) {
      await expect(ctx.market.connect(caller).timeoutMediateResults(deal.dealId, deal.terms, count, deal.mediatorIndex))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealId, caller.address);
    }
  });

  it("reverts with DealMarket_DeadlineNotPassed at exactly the mediate-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.mediateResults);
    await time.setNextBlockTimestamp(deadline);
    await expect(
      ctx.market
        .connect(ctx.resourceProvider)
        .timeoutMediateResults(deal.dealId, deal.terms, count, deal.mediatorIndex),
    )
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealId, deadline);
  });

  describe("when a party claims one second after the deadline", () => {
    // [name, caller, mediationFee, instructionCount]
    const cases: Array<[string, "jobCreator" | "resourceProvider", bigint, bigint]> = [
      ["the job creator claims", "jobCreator", 50_000n, count],
      ["the provider claims", "resourceProvider", 50_000n, count],
      ["the fee is zero", "jobCreator", 0n, count],
      ["the results collateral is zero", "resourceProvider", 50_000n, 0n],
    ];
    for (const [name, who, fee, n] of cases) {
      it(`refunds everyone and pays the mediator nothing when ${name}`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ pricing: { mediationFee: fee } });
        const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms, instructionCount: n });
        const deadline = await deadlineOf(ctx.market, deal.dealId, terms.timeouts.mediateResults);
        await time.setNextBlockTimestamp(deadline + 1n);
        const rc = 2n * 1_000n * n;
        const pc = 1_000_000n;
        const tx = await ctx.market
          .connect(ctx[who])
          .timeoutMediateResults(deal.dealId, deal.terms, n, deal.mediatorIndex);
        await expectRecord(ctx.market, deal.dealId, {
          state: AgreementState.TimeoutMediateResults,
          agreedBy: 3,
          updatedAt: deadline + 1n,
        });
        await expect(tx)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealId, AgreementState.TimeoutMediateResults);
        await expectDeltas(tx, ctx, {
          jobCreator: pc + fee,
          resourceProvider: rc,
          mediators: [0n, 0n, 0n],
          market: -(pc + fee + rc),
        });
        const expected: PaymentTuple[] = [
          [ctx.jobCreator.address, pc, Reason.PaymentCollateral, Dir.Refunded],
          [ctx.jobCreator.address, fee, Reason.MediationFee, Dir.Refunded],
          [ctx.resourceProvider.address, rc, Reason.ResultsCollateral, Dir.Refunded],
        ];
        await expectPayments(
          ctx.market,
          tx,
          deal.dealId,
          expected.filter(([, a]) => a > 0n),
        );
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    }

    it("ends the deal: the mediator can no longer decide", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutMediateResults, {
        mediationTimeoutCaller: "resourceProvider",
      });
      const mediator = await mediatorOf(deal);
      for (const fn of ["mediationAcceptResult", "mediationRejectResult"] as const) {
        await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count, deal.mediatorIndex))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
          .withArgs(deal.dealId, AgreementState.TimeoutMediateResults, AgreementState.ResultsChecked);
      }
    });
  });
});
