/**
 * Who can choose the mediator? The draw is mediators[keccak256(blockhash(drawBlock), dealKey) % n], drawBlock being
 * the block of checkResult (or of a redraw). These tests show that neither party can pick it:
 *  - a contract-wallet job creator that reverts unless it likes the draw learns nothing in its transaction (the
 *    market answers DrawPending, blockhash(block.number) is zero), so its retries do not steer the outcome;
 *  - the provider (or anyone) only ever fixes the value the block hash already gave;
 *  - an unfixed draw is renewed only after 256 silent blocks, and the renewal is as unknowable as the first.
 * What remains is the block producer's grinding of the draw block's hash (docs/ARCHITECTURE.md).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, takeSnapshot } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash, type TransactionReceipt } from "ethers";

import type { ChoosyJobCreatorMock } from "../../../typechain-types";
import {
  AgreementState,
  BLOCKHASH_WINDOW,
  DEFAULT_INSTRUCTION_COUNT,
  FUNDING,
  createDeal,
  dealKeyOf,
  deployMarketFixture,
  drawIndexOf,
  drawMediatorFor,
  inOneBlock,
  makeTerms,
  mediatorOf,
  nextDealId,
  passDeadline,
  recordDraw,
  resultsIdOf,
  revertDataOf,
  sendMined,
} from "../../helpers/fixtures";
import { expectDeltas, expectDraw } from "../../helpers/assertions";

describe("DealMarket mediator draw: nobody picks the mediator", () => {
  const setup = () => loadFixture(deployMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const count = DEFAULT_INSTRUCTION_COUNT;

  /** A choosy contract-wallet job creator (owned by the fixture's job creator), funded; it approved the market. */
  async function choosy(ctx: Ctx): Promise<ChoosyJobCreatorMock> {
    const mock = await ethers.deployContract("ChoosyJobCreatorMock", [await ctx.market.getAddress()], ctx.jobCreator);
    await ctx.token.connect(ctx.deployer).mint(await mock.getAddress(), FUNDING);
    return mock;
  }

  /** A deal whose job creator is the mock, driven to ResultsSubmitted. */
  async function choosyDeal(ctx: Ctx, mock: ChoosyJobCreatorMock) {
    const dealId = nextDealId();
    const jobCreator = await mock.getAddress();
    const terms = makeTerms({ members: { jobCreator } });
    await mock.connect(ctx.jobCreator).agree(dealId, terms);
    await ctx.market.connect(ctx.resourceProvider).agree(dealId, terms);
    await ctx.market.connect(ctx.resourceProvider).addResult(dealId, terms, resultsIdOf(dealId), count);
    return { dealId, terms, key: dealKeyOf(dealId, jobCreator, ctx.resourceProvider.address) };
  }

  /** What the mock saw in one attempt (from its event if it went ahead, from its revert if not). */
  async function observed(ctx: Ctx, mock: ChoosyJobCreatorMock, receipt: TransactionReceipt, revertData?: string) {
    let seen: { drawnMediatorRevert: string; drawMediatorRevert: string; ownBlockHash: string; guess: string };
    if (receipt.status === 1) {
      const log = receipt.logs
        .map((l) => (l.address === mock.target ? mock.interface.parseLog(l) : null))
        .find((e) => e?.name === "Attempted")!;
      seen = { ...log.args.toObject() } as typeof seen;
    } else {
      const error = mock.interface.parseError(revertData ?? (await revertDataOf(receipt.hash)))!;
      expect(error.name).to.equal("ChoosyJobCreatorMock_Dislikes");
      seen = { ...error.args.toObject() } as typeof seen;
    }
    return {
      ...seen,
      drawnMediatorError: ctx.market.interface.parseError(seen.drawnMediatorRevert),
      drawMediatorError: ctx.market.interface.parseError(seen.drawMediatorRevert),
    };
  }

  describe("given a contract-wallet job creator that disputes only if it likes the mediator", () => {
    it("learns nothing in its transaction, so its retries over many deals and blocks do not pick the mediator", async () => {
      const ctx = await setup();
      const mock = await choosy(ctx);
      const liked = ctx.mediators[0].address;
      const DEALS = 30;
      const RETRIES = 3;
      let attempts = 0;
      const accepted: Array<{ guess: string; drawn: string }> = [];
      for (let d = 0; d < DEALS; d++) {
        const deal = await choosyDeal(ctx, mock);
        const zeroHashGuess = deal.terms.members.mediators[drawIndexOf(ZeroHash, deal.key, 3)];
        for (let retry = 0; retry < RETRIES; retry++) {
          // Each attempt is a transaction of its own block; a refusal reverts it (and its checkResult).
          const { receipt, revertData } = await sendMined((o) =>
            mock.connect(ctx.jobCreator).checkResultIfLiked(deal.dealId, deal.terms, count, liked, o),
          );
          attempts++;
          const seen = await observed(ctx, mock, receipt, revertData);
          // Asking the market in the same transaction fails both ways, and the block's own hash reads as zero.
          for (const error of [seen.drawnMediatorError, seen.drawMediatorError]) {
            expect(error?.name).to.equal("DealMarket_DrawPending");
            expect([...error!.args]).to.deep.equal([deal.key, BigInt(receipt.blockNumber)]);
          }
          expect(seen.ownBlockHash).to.equal(ZeroHash);
          // So every retry, in whatever block, guesses the same: the draw of a zero hash.
          expect(seen.guess).to.equal(zeroHashGuess);
          expect(receipt.status === 1).to.equal(zeroHashGuess === liked);
          if (receipt.status === 1) {
            // What was really drawn comes from the hash of the block, which the transaction could not read.
            await mine();
            const [drawn, index] = await ctx.market.drawnMediator(deal.dealId, deal.terms, count);
            expect(Number(index)).to.equal(drawIndexOf(receipt.blockHash, deal.key, 3));
            accepted.push({ guess: seen.guess, drawn });
            break;
          }
          expect(await ctx.market.getDealState(deal.key)).to.equal(AgreementState.ResultsSubmitted);
        }
      }
      expect(attempts).to.be.greaterThan(DEALS);
      expect(accepted.length, "some deals' zero-hash guess happened to be the liked mediator").to.be.greaterThan(0);
      // It went ahead only when it believed it would get `liked`; the real draw often disagreed.
      expect(accepted.every((a) => a.guess === liked)).to.equal(true);
      const got = accepted.filter((a) => a.drawn === liked).length;
      expect(got, `liked drawn in ${got} of ${accepted.length} accepted disputes`).to.be.lessThan(accepted.length);
    });

    it("can only refuse to dispute; then silence is acceptance and the provider is paid at the judge deadline", async () => {
      const ctx = await setup();
      const mock = await choosy(ctx);
      // A deal whose zero-hash guess is not mediators[0], so the mock always refuses it.
      let deal = await choosyDeal(ctx, mock);
      while (deal.terms.members.mediators[drawIndexOf(ZeroHash, deal.key, 3)] === ctx.mediators[0].address) {
        deal = await choosyDeal(ctx, mock);
      }
      const [refused] = await inOneBlock([
        (o) => mock.connect(ctx.jobCreator).checkResultIfLiked(deal.dealId, deal.terms, count, ctx.mediators[0], o),
      ]);
      expect(refused.status).to.equal(0);
      await passDeadline(ctx.market, deal.key, deal.terms.timeouts.judgeResults);
      const tx = await ctx.market.connect(ctx.resourceProvider).timeoutJudgeResults(deal.dealId, deal.terms, count);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.resourceProvider, mock, ctx.market],
        [600_000n + 1_200_000n + 20_000n, 400_000n, -2_220_000n],
      );
    });

    it("cannot pick a renewed draw either: redrawing and reading it in one transaction fails the same way", async () => {
      const ctx = await setup();
      const mock = await choosy(ctx);
      const deal = await choosyDeal(ctx, mock);
      // The mock disputes whatever it guesses (it "likes" its own guess), then nobody fixes the draw.
      const guess = deal.terms.members.mediators[drawIndexOf(ZeroHash, deal.key, 3)];
      await mock.connect(ctx.jobCreator).checkResultIfLiked(deal.dealId, deal.terms, count, guess);
      await mine(BLOCKHASH_WINDOW);
      const [receipt] = await inOneBlock([
        (o) => mock.connect(ctx.jobCreator).redrawIfLiked(deal.dealId, deal.terms, count, guess, o),
      ]);
      const seen = await observed(ctx, mock, receipt);
      expect(seen.drawnMediatorError?.name).to.equal("DealMarket_DrawPending");
      expect(seen.drawMediatorError?.name).to.equal("DealMarket_DrawPending");
      expect(seen.ownBlockHash).to.equal(ZeroHash);
      // It went ahead on a guess; the renewed draw comes from the hash of its block, which it could not read.
      expect(seen.guess).to.equal(guess);
      expect(receipt.status).to.equal(1);
      await expectDraw(ctx.market, deal.key, { drawBlock: receipt.blockNumber, drawn: false, mediatorIndex: 0 });
      await mine();
      const [, index] = await ctx.market.drawnMediator(deal.dealId, deal.terms, count);
      expect(Number(index)).to.equal(drawIndexOf(receipt.blockHash, deal.key, 3));
    });
  });

  describe("given the provider (or anyone) acting after checkResult", () => {
    it("fixes only what the draw block's hash already gave, whoever calls and whenever within 256 blocks", async () => {
      const ctx = await setup();
      const callers = [ctx.resourceProvider, ctx.jobCreator, ctx.solver, ...ctx.mediators, ctx.stranger];
      for (let d = 0; d < 8; d++) {
        const deal = await createDeal(ctx, AgreementState.ResultsChecked);
        const drawBlockHash = (await ethers.provider.getBlock(deal.drawBlock))!.hash!;
        const expected = drawIndexOf(drawBlockHash, deal.dealKey, 3);
        await mine((d * 37) % BLOCKHASH_WINDOW);
        const caller = callers[d % callers.length];
        await expect(ctx.market.connect(caller).drawMediator(deal.dealId, deal.terms, count))
          .to.emit(ctx.market, "MediatorDrawn")
          .withArgs(deal.dealKey, deal.terms.members.mediators[expected], expected);
      }
    });

    it("cannot re-roll within the window: drawMediator never draws again before drawBlock + 257", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      for (const blocks of [0, BLOCKHASH_WINDOW - 1]) {
        const snapshot = await takeSnapshot();
        await mine(blocks);
        const receipt = await drawMediatorFor(ctx, deal, ctx.resourceProvider);
        expect(receipt.blockNumber - deal.drawBlock).to.be.lessThanOrEqual(BLOCKHASH_WINDOW);
        await expectDraw(ctx.market, deal.dealKey, {
          drawBlock: deal.drawBlock,
          drawn: true,
          mediatorIndex: deal.mediatorIndex,
        });
        await snapshot.restore();
      }
    });

    it("takes no part in the draw block: its transaction there cannot read the draw (DrawPending)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const [checked, fix] = await inOneBlock([
        (o) => ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count, o),
        (o) => ctx.market.connect(ctx.resourceProvider).drawMediator(deal.dealId, deal.terms, count, o),
      ]);
      expect([checked.status, fix.status]).to.deep.equal([1, 0]);
    });
  });

  describe("given nobody fixes the draw for 256 blocks", () => {
    it("renews the draw only then; a draw fixed in time by the drawn mediator is never re-rolled", async () => {
      const ctx = await setup();
      const fixedInTime = await createDeal(ctx, AgreementState.ResultsChecked);
      const silent = await createDeal(ctx, AgreementState.ResultsChecked);
      // The drawn mediator wants its fee: it fixes its draw.
      await drawMediatorFor(ctx, fixedInTime, await mediatorOf(fixedInTime));
      await mine(BLOCKHASH_WINDOW + 1); // the latest block is past silent.drawBlock + 256
      await expect(
        ctx.market.connect(await mediatorOf(silent)).mediationRejectResult(silent.dealId, silent.terms, count),
      )
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawExpired")
        .withArgs(silent.dealKey, silent.drawBlock);
      // The party that dislikes the fixed mediator cannot re-roll it.
      await expect(ctx.market.connect(ctx.jobCreator).drawMediator(fixedInTime.dealId, fixedInTime.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_MediatorAlreadyDrawn")
        .withArgs(fixedInTime.dealKey, fixedInTime.terms.members.mediators[fixedInTime.mediatorIndex]);
      // The silent deal is drawn again, from a block whose hash its caller could not know.
      const redraw = await drawMediatorFor(ctx, silent, ctx.jobCreator);
      await expectDraw(ctx.market, silent.dealKey, { drawBlock: redraw.blockNumber, drawn: false, mediatorIndex: 0 });
      recordDraw(ctx.market, silent, redraw);
      const tx = await ctx.market
        .connect(await mediatorOf(silent))
        .mediationRejectResult(silent.dealId, silent.terms, count);
      const mediators = [0n, 0n, 0n];
      mediators[silent.mediatorIndex] = 50_000n;
      await expectDeltas(tx, ctx, { jobCreator: 2_200_000n, mediators, market: -2_250_000n });
      // And the fixed one still decides, long after its draw block's hash is gone.
      await ctx.market
        .connect(await mediatorOf(fixedInTime))
        .mediationAcceptResult(fixedInTime.dealId, fixedInTime.terms, count);
      expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
    });
  });
});
