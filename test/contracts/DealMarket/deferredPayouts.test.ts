import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  deployBlacklistMarketFixture,
  makeTerms,
  mediatorOf,
  passDeadline,
} from "../../helpers/fixtures";
import { expectDeltas, expectRecord } from "../../helpers/assertions";

describe("DealMarket.deferredPayouts", () => {
  const setup = () => loadFixture(deployBlacklistMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const count = DEFAULT_INSTRUCTION_COUNT;

  async function blacklist(ctx: Ctx, ...accounts: Array<{ address: string }>) {
    for (const a of accounts) await ctx.token.setBlacklisted(a.address, true);
  }

  it("defers the provider's payout on acceptResult and still pays the job creator", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    await blacklist(ctx, ctx.resourceProvider);
    const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
    const toProvider = 600_000n + 1_200_000n;
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.resourceProvider.address, toProvider);
    await expect(tx).to.emit(ctx.market, "Payment"); // the step's Payments are still logged
    await expectDeltas(tx, ctx, { jobCreator: 420_000n, market: -420_000n });
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(toProvider);
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(toProvider);
    await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.ResultsAccepted, agreedBy: 3, tx });
  });

  it("defers the job creator's refunds on acceptResult and still pays the provider", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    await blacklist(ctx, ctx.jobCreator);
    const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 420_000n);
    await expectDeltas(tx, ctx, { resourceProvider: 1_800_000n, market: -1_800_000n });
    expect(await ctx.market.deferredPayouts(ctx.jobCreator.address)).to.equal(420_000n);
  });

  for (const fn of ["mediationAcceptResult", "mediationRejectResult"] as const) {
    it(`defers the mediator's fee on ${fn} and still pays the parties`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const mediator = await mediatorOf(deal);
      await blacklist(ctx, mediator);
      const tx = await ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count);
      await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(mediator.address, 50_000n);
      expect(await ctx.market.deferredPayouts(mediator.address)).to.equal(50_000n);
      if (fn === "mediationAcceptResult") {
        await expectDeltas(tx, ctx, { resourceProvider: 1_800_000n, jobCreator: 400_000n, market: -2_200_000n });
      } else {
        await expectDeltas(tx, ctx, { jobCreator: 2_200_000n, market: -2_200_000n });
      }
      expect(await ctx.token.balanceOf(ctx.market)).to.equal(50_000n);
    });
  }

  it("defers the job creator's refund and slashed collateral on mediationRejectResult", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const mediator = await mediatorOf(deal);
    await blacklist(ctx, ctx.jobCreator);
    const tx = await ctx.market.connect(mediator).mediationRejectResult(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 2_200_000n);
    const mediators = [0n, 0n, 0n];
    mediators[deal.mediatorIndex] = 50_000n;
    await expectDeltas(tx, ctx, { mediators, market: -50_000n });
  });

  it("defers the job creator's refund on timeoutAgree", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealNegotiating);
    await blacklist(ctx, ctx.jobCreator);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.agree);
    const tx = await ctx.market.connect(ctx.jobCreator).timeoutAgree(deal.dealId, deal.terms);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 1_020_000n);
    await expectDeltas(tx, ctx, {});
    await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.TimeoutAgree, agreedBy: 1, tx });
  });

  it("defers the job creator's refund and slashed collateral on timeoutSubmitResults", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    await blacklist(ctx, ctx.jobCreator);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.submitResults);
    const tx = await ctx.market.connect(ctx.jobCreator).timeoutSubmitResults(deal.dealId, deal.terms);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 1_050_000n);
    await expectDeltas(tx, ctx, {});
  });

  it("defers the provider's payout on timeoutJudgeResults and still refunds the job creator", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    await blacklist(ctx, ctx.resourceProvider);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    const tx = await ctx.market.connect(ctx.resourceProvider).timeoutJudgeResults(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.resourceProvider.address, 1_820_000n);
    await expectDeltas(tx, ctx, { jobCreator: 400_000n, market: -400_000n });
  });

  it("defers both parties' refunds on timeoutMediateResults", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await blacklist(ctx, ctx.jobCreator, ctx.resourceProvider);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    const tx = await ctx.market.connect(ctx.resourceProvider).timeoutMediateResults(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 1_050_000n);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.resourceProvider.address, 1_200_000n);
    await expectDeltas(tx, ctx, {});
    expect(await ctx.market.deferredPayouts(ctx.jobCreator.address)).to.equal(1_050_000n);
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(1_200_000n);
  });

  it("defers the provider's net refund on addResult when the results collateral is below the timeout collateral", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    await blacklist(ctx, ctx.resourceProvider);
    const tx = await ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, deal.resultsId, 5n);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.resourceProvider.address, 20_000n);
    await expectDeltas(tx, ctx, {});
  });

  it("defers the job creator's net refund on checkResult when the fee is below the judge timeout collateral", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, {
      terms: makeTerms({ pricing: { mediationFee: 5_000n } }),
    });
    await blacklist(ctx, ctx.jobCreator);
    const tx = await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.jobCreator.address, 15_000n);
    await expectDeltas(tx, ctx, {});
  });

  it("defers a payout the same way when the token returns false instead of reverting", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    await ctx.token.setReturnFalse(true);
    await blacklist(ctx, ctx.resourceProvider);
    const tx = await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, count);
    await expect(tx).to.emit(ctx.market, "PayoutDeferred").withArgs(ctx.resourceProvider.address, 1_800_000n);
    await expectDeltas(tx, ctx, { jobCreator: 420_000n, market: -420_000n });
  });

  it("reverts a step that must pull collateral from a blacklisted party", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.DealAgreed);
    await blacklist(ctx, ctx.resourceProvider);
    await expect(
      ctx.market.connect(ctx.resourceProvider).addResult(deal.dealId, deal.terms, deal.resultsId, count),
    ).to.be.revertedWithCustomError(ctx.token, "BlacklistERC20Mock_Blacklisted");
    expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.DealAgreed);
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(0n);
  });

  it("accumulates several failed payouts for the same account", async () => {
    const ctx = await setup();
    const a = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const b = await createDeal(ctx, AgreementState.ResultsSubmitted, { instructionCount: 100n });
    await blacklist(ctx, ctx.resourceProvider);
    await ctx.market.connect(ctx.jobCreator).acceptResult(a.dealId, a.terms, count);
    await ctx.market.connect(ctx.jobCreator).acceptResult(b.dealId, b.terms, 100n);
    // a: 600_000 + 1_200_000; b: 100_000 + 200_000
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(2_100_000n);
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(2_100_000n);
  });
});
