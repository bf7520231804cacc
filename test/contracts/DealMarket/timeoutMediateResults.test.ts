import { expect } from "chai";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  BLOCKHASH_WINDOW,
  DEFAULT_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  dealKeyOfTerms,
  deadlineOf,
  deployMarketFixture,
  drawMediatorFor,
  makeTerms,
  mediatorOf,
  nextDealId,
  passDeadline,
  withTerms,
  type DealHandle,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDeltas, expectDraw, expectPayments, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.timeoutMediateResults", () => {
  const setup = () => loadFixture(deployMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const count = DEFAULT_INSTRUCTION_COUNT;

  /** Checks a successful claim: the deal timed out, the draw is cleared, everyone got its escrow back. */
  async function expectRefunded(ctx: Ctx, deal: DealHandle, tx: Parameters<typeof expectDeltas>[0], fee: bigint) {
    const n = deal.instructionCount;
    const rc = 2n * 1_000n * n;
    const pc = 1_000_000n;
    await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.TimeoutMediateResults, agreedBy: 3, tx });
    await expect(tx)
      .to.emit(ctx.market, "DealStateChange")
      .withArgs(deal.dealKey, AgreementState.TimeoutMediateResults);
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
      deal.dealKey,
      expected.filter(([, a]) => a > 0n),
    );
    await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
  }

  it("reverts with DealMarket_DealNotFound(dealKey) when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    const terms = makeTerms();
    await expect(ctx.market.connect(ctx.jobCreator).timeoutMediateResults(dealId, terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(dealId, terms));
  });

  it("reverts with DealMarket_DealNotFound(otherKey) when the terms name other parties", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    const other = withTerms(deal.terms, { members: { resourceProvider: ctx.stranger.address } });
    await expect(ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, other, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(deal.dealId, other));
  });

  for (const state of [
    AgreementState.ResultsSubmitted,
    AgreementState.MediationAccepted,
    AgreementState.TimeoutMediateResults,
  ]) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      await expect(
        ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, deal.terms, deal.instructionCount),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, state, AgreementState.ResultsChecked);
    });
  }

  it("reverts with DealMarket_TermsMismatch(dealKey) when any term or the instruction count differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    const call = (terms = deal.terms, n = count) =>
      ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, terms, n);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(call(mutated), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
    await expect(call(deal.terms, count + 1n))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealKey);
  });

  it("reverts with DealMarket_Unauthorized(dealKey, caller) when the caller is a mediator, the solver or a stranger", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    for (const caller of [...ctx.mediators, ctx.solver, ctx.stranger]) {
      await expect(ctx.market.connect(caller).timeoutMediateResults(deal.dealId, deal.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
        .withArgs(deal.dealKey, caller.address);
    }
  });

  it("reverts with DealMarket_DeadlineNotPassed(dealKey, deadline) at exactly the mediate-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    await time.setNextBlockTimestamp(deadline);
    await expect(ctx.market.connect(ctx.resourceProvider).timeoutMediateResults(deal.dealId, deal.terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlineNotPassed")
      .withArgs(deal.dealKey, deadline);
  });

  it("counts the deadline from checkResult: a redraw does not move it", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
    await mine(BLOCKHASH_WINDOW);
    await drawMediatorFor(ctx, deal);
    expect(await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults)).to.equal(deadline);
    await time.setNextBlockTimestamp(deadline + 1n);
    await ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, deal.terms, count);
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
        const deadline = await deadlineOf(ctx.market, deal.dealKey, terms.timeouts.mediateResults);
        await time.setNextBlockTimestamp(deadline + 1n);
        const tx = await ctx.market.connect(ctx[who]).timeoutMediateResults(deal.dealId, deal.terms, n);
        expect((await ctx.market.getDeal(deal.dealKey)).updatedAt).to.equal(deadline + 1n);
        await expectRefunded(ctx, deal, tx, fee);
      });
    }

    describe("whatever the draw", () => {
      it("is claimable while the draw is computed from the draw block's hash (not fixed, within 256 blocks)", async () => {
        const ctx = await setup();
        const terms = makeTerms({ timeouts: { mediateResults: 30n } });
        const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms });
        await passDeadline(ctx.market, deal.dealKey, terms.timeouts.mediateResults);
        const tx = await ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, terms, count);
        expect((await tx.wait())!.blockNumber - deal.drawBlock).to.be.lessThanOrEqual(BLOCKHASH_WINDOW);
        await expectRefunded(ctx, deal, tx, terms.pricing.mediationFee);
      });

      it("is claimable once the draw is fixed", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.ResultsChecked);
        await drawMediatorFor(ctx, deal, await mediatorOf(deal));
        await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
        const tx = await ctx.market.connect(ctx.resourceProvider).timeoutMediateResults(deal.dealId, deal.terms, count);
        await expectRefunded(ctx, deal, tx, deal.terms.pricing.mediationFee);
      });

      it("is claimable when the draw expired unfixed (nobody can mediate any more)", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.ResultsChecked);
        await mine(BLOCKHASH_WINDOW + 1); // the latest block is drawBlock + 257
        await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, count)).to.be.revertedWithCustomError(
          ctx.market,
          "DealMarket_DrawExpired",
        );
        await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
        const tx = await ctx.market.connect(ctx.jobCreator).timeoutMediateResults(deal.dealId, deal.terms, count);
        await expectRefunded(ctx, deal, tx, deal.terms.pricing.mediationFee);
      });

      it("is claimable after a redraw, which is refused once the deadline passed", async () => {
        const ctx = await setup();
        const deal = await createDeal(ctx, AgreementState.ResultsChecked);
        await mine(BLOCKHASH_WINDOW + 1);
        const redraw = await (
          await ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count)
        ).wait();
        expect(
          redraw!.logs.map((l) => ctx.market.interface.parseLog(l)?.name).filter((n) => n !== undefined),
        ).to.deep.equal(["MediationRequested"]);
        const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
        await passDeadline(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
        await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
          .withArgs(deal.dealKey, deadline);
        const claim = await ctx.market
          .connect(ctx.resourceProvider)
          .timeoutMediateResults(deal.dealId, deal.terms, count);
        await expect(claim)
          .to.emit(ctx.market, "DealStateChange")
          .withArgs(deal.dealKey, AgreementState.TimeoutMediateResults);
        await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.TimeoutMediateResults, agreedBy: 3 });
        await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
        expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
      });
    });

    it("ends the deal: the mediator can no longer decide, nor anyone draw", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.TimeoutMediateResults, {
        mediationTimeoutCaller: "resourceProvider",
      });
      const mediator = await mediatorOf(deal);
      for (const fn of ["mediationAcceptResult", "mediationRejectResult", "drawMediator"] as const) {
        await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
          .withArgs(deal.dealKey, AgreementState.TimeoutMediateResults, AgreementState.ResultsChecked);
      }
    });
  });
});
