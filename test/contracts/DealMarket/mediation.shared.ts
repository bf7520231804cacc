/**
 * Tests shared by mediationAcceptResult and mediationRejectResult: the same guards (missing deal, wrong state,
 * mismatched terms), the draw (pending in its block, expired after 256 blocks unfixed, computed or fixed, renewed)
 * and who may decide, and until when.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import type { Overrides } from "ethers";

import {
  AgreementState,
  BLOCKHASH_WINDOW,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  dealKeyOfTerms,
  deadlineOf,
  deployMarketFixture,
  drawMediatorFor,
  inOneBlock,
  makeTerms,
  mediatorOf,
  nextDealId,
  recordDraw,
  withTerms,
  type DealHandle,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDraw, expectMinedRevert, expectRecord, termMutations } from "../../helpers/assertions";

export type MediationFn = "mediationAcceptResult" | "mediationRejectResult";

export function describeMediationGuards(fn: MediationFn, wrongStates: AgreementState[], outcome: AgreementState): void {
  const setup = () => loadFixture(deployMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const count = DEFAULT_INSTRUCTION_COUNT;
  const decide = (ctx: Ctx, caller: HardhatEthersSigner, deal: DealHandle, overrides: Overrides = {}) =>
    ctx.market.connect(caller)[fn](deal.dealId, deal.terms, deal.instructionCount, overrides);
  /** Every fixture account but the deal's drawn mediator. */
  const notDrawn = (ctx: Ctx, deal: DealHandle) => [
    ...ctx.mediators.filter((_, j) => j !== deal.mediatorIndex),
    ctx.jobCreator,
    ctx.resourceProvider,
    ctx.solver,
    ctx.stranger,
  ];

  it("reverts with DealMarket_DealNotFound(dealKey) when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    const terms = makeTerms();
    await expect(ctx.market.connect(ctx.mediators[0])[fn](dealId, terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(dealId, terms));
  });

  it("reverts with DealMarket_DealNotFound(otherKey) when the terms name other parties", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const swapped = withTerms(deal.terms, {
      members: { jobCreator: ctx.resourceProvider.address, resourceProvider: ctx.jobCreator.address },
    });
    await expect(ctx.market.connect(await mediatorOf(deal))[fn](deal.dealId, swapped, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(deal.dealId, swapped));
  });

  for (const state of wrongStates) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      const caller = ctx.mediators[Math.max(deal.mediatorIndex, 0)];
      await expect(decide(ctx, caller, deal))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, state, AgreementState.ResultsChecked);
    });
  }

  it("reverts with DealMarket_TermsMismatch(dealKey) when any term or the instruction count differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const mediator = await mediatorOf(deal);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(ctx.market.connect(mediator)[fn](deal.dealId, mutated, count), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
    await expect(ctx.market.connect(mediator)[fn](deal.dealId, deal.terms, count + 1n))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealKey);
  });

  describe("given the draw is pending (inside the draw block)", () => {
    it("reverts with DealMarket_DrawPending(dealKey, drawBlock) for a transaction in checkResult's block, whoever sends it", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const callers = [...ctx.mediators, ctx.stranger];
      const receipts = await inOneBlock([
        (o) => ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, deal.instructionCount, o),
        ...callers.map((c) => (o: Overrides) => decide(ctx, c, deal, o)),
      ]);
      expect(receipts[0].status, "checkResult").to.equal(1);
      const drawBlock = receipts[0].blockNumber;
      for (const receipt of receipts.slice(1)) {
        await expectMinedRevert(ctx.market, receipt, "DealMarket_DrawPending", [deal.dealKey, BigInt(drawBlock)]);
      }
      await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.ResultsChecked, agreedBy: 3 });
    });

    it("reverts with DealMarket_DrawPending when simulated in the draw block (eth_call while it is the latest)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      expect(await ethers.provider.getBlockNumber()).to.equal(deal.drawBlock);
      await expect(
        ctx.market.connect(await mediatorOf(deal))[fn].staticCall(deal.dealId, deal.terms, deal.instructionCount),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawPending")
        .withArgs(deal.dealKey, deal.drawBlock);
    });
  });

  describe("given the draw is not fixed and the draw block's hash is older than 256 blocks", () => {
    it("reverts with DealMarket_DrawExpired(dealKey, drawBlock) for every mediator, the one drawn included", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW); // the next transaction is in drawBlock + 257
      for (const mediator of ctx.mediators) {
        await expect(decide(ctx, mediator, deal))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawExpired")
          .withArgs(deal.dealKey, deal.drawBlock);
      }
    });

    it("lets only the mediator of the new draw decide once drawMediator drew again", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW);
      const receipt = await drawMediatorFor(ctx, deal, ctx.resourceProvider);
      recordDraw(ctx.market, deal, receipt);
      for (const caller of notDrawn(ctx, deal)) {
        await expect(decide(ctx, caller, deal))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
          .withArgs(deal.dealKey, caller.address);
      }
      const tx = await decide(ctx, await mediatorOf(deal), deal);
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, outcome);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });
  });

  describe("given the draw is computed from the draw block's hash (not fixed, within 256 blocks)", () => {
    it("reverts with DealMarket_Unauthorized(dealKey, caller) when the caller is not the drawn mediator", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      for (const caller of notDrawn(ctx, deal)) {
        await expect(decide(ctx, caller, deal))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
          .withArgs(deal.dealKey, caller.address);
      }
    });

    it("lets the drawn mediator decide in the very next block", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const tx = await decide(ctx, await mediatorOf(deal), deal);
      expect((await tx.wait())!.blockNumber).to.equal(deal.drawBlock + 1);
      await expectRecord(ctx.market, deal.dealKey, { state: outcome, agreedBy: 3, tx });
    });

    it("lets the drawn mediator decide at exactly drawBlock + 256", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW - 1);
      const tx = await decide(ctx, await mediatorOf(deal), deal);
      expect((await tx.wait())!.blockNumber).to.equal(deal.drawBlock + BLOCKHASH_WINDOW);
      await expectRecord(ctx.market, deal.dealKey, { state: outcome, agreedBy: 3, tx });
    });

    it("reverts with DealMarket_DeadlinePassed(dealKey, deadline) one second after the mediate-results deadline", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(decide(ctx, await mediatorOf(deal), deal))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
        .withArgs(deal.dealKey, deadline);
    });

    it("decides at exactly the mediate-results deadline, clears the draw and emits no MediatorDrawn", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      await time.setNextBlockTimestamp(deadline);
      const tx = await decide(ctx, await mediatorOf(deal), deal);
      await expectRecord(ctx.market, deal.dealKey, { state: outcome, agreedBy: 3, updatedAt: deadline });
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, outcome);
      await expect(tx).not.to.emit(ctx.market, "MediatorDrawn");
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });
  });

  describe("given the draw is fixed (drawMediator)", () => {
    it("reverts with DealMarket_Unauthorized(dealKey, caller) when the caller is not the drawn mediator", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await drawMediatorFor(ctx, deal);
      await mine(BLOCKHASH_WINDOW + 1);
      for (const caller of notDrawn(ctx, deal)) {
        await expect(decide(ctx, caller, deal))
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_Unauthorized")
          .withArgs(deal.dealKey, caller.address);
      }
    });

    it("lets the drawn mediator decide long after the draw block's hash is gone, and clears the draw", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await drawMediatorFor(ctx, deal, await mediatorOf(deal));
      await mine(3 * BLOCKHASH_WINDOW);
      const tx = await decide(ctx, await mediatorOf(deal), deal);
      await expectRecord(ctx.market, deal.dealKey, { state: outcome, agreedBy: 3, tx });
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });
  });
}
