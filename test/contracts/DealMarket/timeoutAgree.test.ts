import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  dealKeyOfTerms,
  deadlineOf,
  deployMarketFixture,
  makeTerms,
  nextDealId,
  passDeadline,
  withTerms,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDeltas, expectPayments, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.timeoutAgree", () => {
  const setup = () => loadFixture(deployMarketFixture);

  it("reverts with DealMarket_DealNotFound(dealKey) when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    const terms = makeTerms();
    await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(dealId, terms))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(dealId, terms));
  });

  it("reverts with DealMarket_DealNotFound(otherKey) when the terms name other parties", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealNegotiating);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
    const swapped = withTerms(deal.terms, {
      members: { jobCreator: ctx.resourceProvider.address, resourceProvider: ctx.jobCreator.address },
    });
    await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, swapped))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(deal.dealId, swapped));
  });

  for (const state of [AgreementState.DealAgreed, AgreementState.TimeoutAgree]) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
      await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, state, AgreementState.DealNegotiating);
    });
  }

  it("reverts with DealMarket_TermsMismatch when any term differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealNegotiating);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, mutated), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
  });

  for (const who of ["solver", "mediator", "stranger"] as const) {
    it(`reverts with DealMarket_Unauthorized when the caller is the ${who}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating);
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
      const caller = who === "mediator" ? ctx.mediators[0] : ctx[who];
      await expect(ctx.market.connect(caller).timeoutAgree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealKey, caller.address);
    });
  }

  for (const [agreed, other] of [
    ["jobCreator", "resourceProvider"],
    ["resourceProvider", "jobCreator"],
  ] as const) {
    it(`reverts with DealMarket_Unauthorized when the ${other} (who has not agreed) claims`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: agreed });
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
      await expect(ctx.market.connect(ctx[other]).timeoutAgree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealKey, ctx[other].address);
    });
  }

  it("reverts with DealMarket_DeadlineNotPassed at exactly the agree deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealNegotiating);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, deal.terms))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealKey, deadline);
  });

  describe("when the party that agreed claims one second after the deadline", () => {
    it("refunds the job creator's payment and judge-results timeout collateral", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: "jobCreator" });
      const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
      await time.setNextBlockTimestamp(deadline + 1n);
      const tx = await ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, deal.terms);
      await expectRecord(ctx.market, deal.dealKey, {
        state: AgreementState.TimeoutAgree,
        agreedBy: 1,
        updatedAt: deadline + 1n,
      });
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.TimeoutAgree);
      await expectDeltas(tx, ctx, { jobCreator: 1_020_000n, market: -1_020_000n });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.jobCreator.address, 1_000_000n, Reason.PaymentCollateral, Dir.Refunded],
        [ctx.jobCreator.address, 20_000n, Reason.TimeoutCollateral, Dir.Refunded],
      ]);
    });

    it("refunds the provider's submit-results timeout collateral", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.DealNegotiating, { firstParty: "resourceProvider" });
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
      const tx = await ctx.market.connect(ctx.resourceProvider).timeoutAgree(deal.dealId, deal.terms);
      await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.TimeoutAgree, agreedBy: 2, tx });
      await expectDeltas(tx, ctx, { resourceProvider: 30_000n, market: -30_000n });
      await expectPayments(ctx.market, tx, deal.dealKey, [
        [ctx.resourceProvider.address, 30_000n, Reason.TimeoutCollateral, Dir.Refunded],
      ]);
    });

    it("moves no tokens and emits no Payment when the escrow was zero", async () => {
      const ctx = await setup();
      const terms = makeTerms({
        pricing: { paymentCollateral: 0n },
        timeouts: { judgeResultsCollateral: 0n, submitResultsCollateral: 0n },
      });
      for (const first of ["jobCreator", "resourceProvider"] as const) {
        const deal = await createDeal(ctx, AgreementState.DealNegotiating, { terms, firstParty: first });
        await passDeadline(ctx.market, deal.dealKey, terms.timeouts.agree);
        const tx = await ctx.market.connect(ctx[first]).timeoutAgree(deal.dealId, terms);
        await expect(tx).not.to.emit(ctx.market, "Payment");
        await expectDeltas(tx, ctx, {});
        expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.TimeoutAgree);
      }
    });

    it("ends the deal: the other party can no longer agree", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutAgree);
      await expect(ctx.market.connect(ctx.resourceProvider).agree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, AgreementState.TimeoutAgree, AgreementState.DealNegotiating);
      await expect(ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, deal.terms))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, AgreementState.TimeoutAgree, AgreementState.DealNegotiating);
    });
  });
});
