import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  BLOCKHASH_WINDOW,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  deadlineOf,
  dealKeyOfTerms,
  deployMarketFixture,
  drawIndexOf,
  drawMediatorFor,
  eventNamesOf,
  inOneBlock,
  makeTerms,
  mediatorOf,
  nextDealId,
  recordDraw,
  withTerms,
  type DealHandle,
} from "../../helpers/fixtures";
import { getAgreementStateString } from "../../../src/model";
import { expectDeltas, expectDraw, expectMinedRevert, expectRecord, termMutations } from "../../helpers/assertions";

describe("DealMarket.drawMediator", () => {
  const setup = () => loadFixture(deployMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const count = DEFAULT_INSTRUCTION_COUNT;

  /** The index the hash of `drawBlock` draws for the deal (the documented formula). */
  async function drawOf(deal: DealHandle, drawBlock: number): Promise<number> {
    const hash = (await ethers.provider.getBlock(drawBlock))!.hash!;
    return drawIndexOf(hash, deal.dealKey, deal.terms.members.mediators.length);
  }

  /** The record a deal has right after checkResult, which drawMediator must leave as it is. */
  async function recordOf(ctx: Ctx, deal: DealHandle) {
    const r = await ctx.market.getDeal(deal.dealKey);
    return { state: Number(r.state) as AgreementState, agreedBy: Number(r.agreedBy), updatedAt: r.updatedAt };
  }

  it("reverts with DealMarket_DealNotFound(dealKey) when the deal does not exist", async () => {
    const ctx = await setup();
    const dealId = nextDealId();
    const terms = makeTerms();
    await expect(ctx.market.connect(ctx.stranger).drawMediator(dealId, terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(dealId, terms));
  });

  it("reverts with DealMarket_DealNotFound(otherKey) when the terms name other parties", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    const other = withTerms(deal.terms, { members: { jobCreator: ctx.stranger.address } });
    await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, other, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DealNotFound")
      .withArgs(dealKeyOfTerms(deal.dealId, other));
  });

  for (const state of [
    AgreementState.ResultsSubmitted,
    AgreementState.MediationAccepted,
    AgreementState.MediationRejected,
    AgreementState.TimeoutMediateResults,
  ]) {
    it(`reverts with DealMarket_InvalidState when the deal is in ${getAgreementStateString(state)}`, async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, state);
      await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, deal.instructionCount))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_InvalidState")
        .withArgs(deal.dealKey, state, AgreementState.ResultsChecked);
    });
  }

  it("reverts with DealMarket_TermsMismatch(dealKey) when any term or the instruction count differs", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsChecked);
    for (const [field, mutated] of termMutations(deal.terms, ctx.stranger.address)) {
      await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, mutated, count), field)
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
        .withArgs(deal.dealKey);
    }
    await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count - 1n))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
      .withArgs(deal.dealKey);
  });

  describe("at the mediate-results deadline", () => {
    it("reverts with DealMarket_DeadlinePassed(dealKey, deadline) one second after it, in the window or beyond it", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      const snapshot = await takeSnapshot();
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
        .withArgs(deal.dealKey, deadline);
      await snapshot.restore();
      // Beyond the 256-block window too: no redraw once only the timeout remains.
      await mine(BLOCKHASH_WINDOW + 1);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
        .withArgs(deal.dealKey, deadline);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: deal.drawBlock, drawn: false, mediatorIndex: 0 });
    });

    it("still fixes the draw at exactly the deadline", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.mediateResults);
      await time.setNextBlockTimestamp(deadline);
      await expect(ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count)).to.emit(
        ctx.market,
        "MediatorDrawn",
      );
    });
  });

  describe("given the draw is fixed", () => {
    it("reverts with DealMarket_MediatorAlreadyDrawn(dealKey, mediator), at once and beyond 256 blocks", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await drawMediatorFor(ctx, deal);
      const mediator = deal.terms.members.mediators[deal.mediatorIndex];
      for (const blocks of [0, BLOCKHASH_WINDOW + 1]) {
        await mine(blocks);
        for (const caller of [ctx.jobCreator, ctx.resourceProvider, ctx.stranger]) {
          await expect(ctx.market.connect(caller).drawMediator(deal.dealId, deal.terms, count))
            .to.be.revertedWithCustomError(ctx.market, "DealMarket_MediatorAlreadyDrawn")
            .withArgs(deal.dealKey, mediator);
        }
      }
      await expectDraw(ctx.market, deal.dealKey, {
        drawBlock: deal.drawBlock,
        drawn: true,
        mediatorIndex: deal.mediatorIndex,
      });
    });
  });

  describe("when called inside the draw block", () => {
    it("reverts with DealMarket_DrawPending(dealKey, drawBlock) for a transaction after checkResult in its block", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const [checked, draw] = await inOneBlock([
        (o) => ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count, o),
        (o) => ctx.market.connect(ctx.resourceProvider).drawMediator(deal.dealId, deal.terms, count, o),
      ]);
      await expectMinedRevert(ctx.market, draw, "DealMarket_DrawPending", [deal.dealKey, BigInt(checked.blockNumber)]);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: checked.blockNumber, drawn: false, mediatorIndex: 0 });
    });

    it("reverts with DealMarket_DrawPending when simulated in the draw block (eth_call while it is the latest)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await expect(ctx.market.connect(ctx.stranger).drawMediator.staticCall(deal.dealId, deal.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawPending")
        .withArgs(deal.dealKey, deal.drawBlock);
    });
  });

  describe("when called within 256 blocks of the draw block", () => {
    it("fixes the draw the block hash gives: MediatorDrawn, drawn = true; no state change, no payment", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const before = await recordOf(ctx, deal);
      const index = await drawOf(deal, deal.drawBlock);
      expect(index).to.equal(deal.mediatorIndex);
      const tx = await ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count);
      expect((await tx.wait())!.blockNumber).to.equal(deal.drawBlock + 1);
      await expect(tx)
        .to.emit(ctx.market, "MediatorDrawn")
        .withArgs(deal.dealKey, deal.terms.members.mediators[index], index);
      expect(eventNamesOf(ctx.market, (await tx.wait())!)).to.deep.equal(["MediatorDrawn"]);
      await expectDeltas(tx, ctx, {});
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: deal.drawBlock, drawn: true, mediatorIndex: index });
      await expectRecord(ctx.market, deal.dealKey, before);
    });

    it("fixes it at exactly drawBlock + 256", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW - 1);
      const tx = await ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count);
      expect((await tx.wait())!.blockNumber).to.equal(deal.drawBlock + BLOCKHASH_WINDOW);
      await expect(tx)
        .to.emit(ctx.market, "MediatorDrawn")
        .withArgs(deal.dealKey, deal.terms.members.mediators[deal.mediatorIndex], deal.mediatorIndex);
    });

    it("fixes the same mediator whoever calls it and whenever in the window (it only records what the hash gave)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const expected = deal.terms.members.mediators[deal.mediatorIndex];
      const callers = [ctx.jobCreator, ctx.resourceProvider, ctx.solver, ...ctx.mediators, ctx.stranger];
      for (const blocks of [0, 99, BLOCKHASH_WINDOW - 1]) {
        const snapshot = await takeSnapshot();
        await mine(blocks);
        for (const caller of callers) {
          const inner = await takeSnapshot();
          await expect(ctx.market.connect(caller).drawMediator(deal.dealId, deal.terms, count))
            .to.emit(ctx.market, "MediatorDrawn")
            .withArgs(deal.dealKey, expected, deal.mediatorIndex);
          await inner.restore();
        }
        await snapshot.restore();
      }
    });

    it("fixes index 0 when there is a single mediator, and any index of 32 mediators", async () => {
      const ctx = await setup();
      const single = await createDeal(ctx, AgreementState.ResultsChecked, {
        terms: makeTerms({ members: { mediators: [ctx.mediators[1].address] } }),
      });
      await expect(ctx.market.connect(ctx.stranger).drawMediator(single.dealId, single.terms, count))
        .to.emit(ctx.market, "MediatorDrawn")
        .withArgs(single.dealKey, ctx.mediators[1].address, 0);
      const mediators = Array.from({ length: 32 }, (_, i) => ethers.getAddress(ethers.toBeHex(1000 + i, 20)));
      const many = await createDeal(ctx, AgreementState.ResultsChecked, {
        terms: makeTerms({ members: { mediators } }),
      });
      expect(many.mediatorIndex).to.be.within(0, 31);
      await expect(ctx.market.connect(ctx.stranger).drawMediator(many.dealId, many.terms, count))
        .to.emit(ctx.market, "MediatorDrawn")
        .withArgs(many.dealKey, mediators[many.mediatorIndex], many.mediatorIndex);
      await expectDraw(ctx.market, many.dealKey, {
        drawBlock: many.drawBlock,
        drawn: true,
        mediatorIndex: many.mediatorIndex,
      });
    });
  });

  describe("when more than 256 blocks have passed and nobody fixed the draw", () => {
    it("draws again from the current block: MediationRequested(dealKey, block), no MediatorDrawn, nothing else moves", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const before = await recordOf(ctx, deal);
      await mine(BLOCKHASH_WINDOW); // the next transaction is in drawBlock + 257
      const tx = await ctx.market.connect(ctx.resourceProvider).drawMediator(deal.dealId, deal.terms, count);
      const receipt = (await tx.wait())!;
      expect(receipt.blockNumber).to.equal(deal.drawBlock + BLOCKHASH_WINDOW + 1);
      await expect(tx).to.emit(ctx.market, "MediationRequested").withArgs(deal.dealKey, receipt.blockNumber);
      expect(eventNamesOf(ctx.market, receipt)).to.deep.equal(["MediationRequested"]);
      await expectDeltas(tx, ctx, {});
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: receipt.blockNumber, drawn: false, mediatorIndex: 0 });
      // The state and its start (the mediate deadline) do not move.
      await expectRecord(ctx.market, deal.dealKey, before);
    });

    it("keeps the new draw pending in its own block and known from the next", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW);
      const [redraw, again, decide] = await inOneBlock([
        (o) => ctx.market.connect(ctx.stranger).drawMediator(deal.dealId, deal.terms, count, o),
        (o) => ctx.market.connect(ctx.jobCreator).drawMediator(deal.dealId, deal.terms, count, o),
        (o) => ctx.market.connect(ctx.mediators[0]).mediationAcceptResult(deal.dealId, deal.terms, count, o),
      ]);
      expect(redraw.status).to.equal(1);
      const pending = [deal.dealKey, BigInt(redraw.blockNumber)];
      await expectMinedRevert(ctx.market, again, "DealMarket_DrawPending", pending);
      await expectMinedRevert(ctx.market, decide, "DealMarket_DrawPending", pending);
      recordDraw(ctx.market, deal, redraw);
      expect(deal.mediatorIndex).to.equal(await drawOf(deal, redraw.blockNumber));
      await mine();
      const [mediator] = await ctx.market.drawnMediator(deal.dealId, deal.terms, count);
      expect(mediator).to.equal((await mediatorOf(deal)).address);
    });

    it("lets the new draw be fixed within 256 blocks of its block, and drawn again after them", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await mine(BLOCKHASH_WINDOW);
      recordDraw(ctx.market, deal, await drawMediatorFor(ctx, deal));
      const second = deal.drawBlock;
      // Unfixed again for 256 blocks: a third draw.
      await mine(BLOCKHASH_WINDOW);
      recordDraw(ctx.market, deal, await drawMediatorFor(ctx, deal, ctx.jobCreator));
      expect(deal.drawBlock).to.equal(second + BLOCKHASH_WINDOW + 1);
      // This one is fixed in time, at exactly its block + 256.
      await mine(BLOCKHASH_WINDOW - 1);
      await expect(ctx.market.connect(ctx.resourceProvider).drawMediator(deal.dealId, deal.terms, count))
        .to.emit(ctx.market, "MediatorDrawn")
        .withArgs(deal.dealKey, deal.terms.members.mediators[deal.mediatorIndex], deal.mediatorIndex);
      await expectDraw(ctx.market, deal.dealKey, {
        drawBlock: deal.drawBlock,
        drawn: true,
        mediatorIndex: deal.mediatorIndex,
      });
    });
  });
});
