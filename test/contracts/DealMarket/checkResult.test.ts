import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroHash } from "ethers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  deadlineOf,
  deployMarketFixture,
  drawIndexOf,
  inOneBlock,
  makeTerms,
  mediatorIndexFrom,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { describeDealGuards } from "./guards.shared";
import { expectDeltas, expectDraw, expectMinedRevert, expectPayments, expectRecord } from "../../helpers/assertions";

describe("DealMarket.checkResult", () => {
  const setup = () => loadFixture(deployMarketFixture);
  const count = DEFAULT_INSTRUCTION_COUNT;

  describeDealGuards({
    action: "checkResult",
    expected: AgreementState.ResultsSubmitted,
    wrongStates: [AgreementState.DealAgreed, AgreementState.ResultsChecked, AgreementState.TimeoutJudgeResults],
    caller: "jobCreator",
    unauthorized: ["resourceProvider", "solver", "mediator", "stranger"],
    args: (deal) => [deal.instructionCount],
    mismatchedArgs: (deal) => [[deal.instructionCount - 1n]],
  });

  it("reverts with DealMarket_DeadlinePassed one second after the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
      .withArgs(deal.dealKey, deadline);
  });

  it("disputes at exactly the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealKey, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline);
    await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
    await expectRecord(ctx.market, deal.dealKey, {
      state: AgreementState.ResultsChecked,
      agreedBy: 3,
      updatedAt: deadline,
    });
  });

  describe("when the job creator disputes in time", () => {
    it("moves the deal to ResultsChecked and requests a draw from the hash of this block", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const tx = await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
      const receipt = (await tx.wait())!;
      await expect(tx).to.emit(ctx.market, "MediationRequested").withArgs(deal.dealKey, receipt.blockNumber);
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealKey, AgreementState.ResultsChecked);
      await expect(tx).not.to.emit(ctx.market, "MediatorDrawn");
      await expectRecord(ctx.market, deal.dealKey, { state: AgreementState.ResultsChecked, agreedBy: 3, tx });
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: receipt.blockNumber, drawn: false, mediatorIndex: 0 });
    });

    it("draws mediators[keccak256(abi.encode(blockhash(drawBlock), dealKey)) % n], known off chain from the event's block hash", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const receipt = (await (
        await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count)
      ).wait())!;
      const block = await ethers.provider.getBlock(receipt.blockNumber);
      expect(receipt.blockHash).to.equal(block!.hash);
      const index = drawIndexOf(receipt.blockHash, deal.dealKey, 3);
      expect(mediatorIndexFrom(ctx.market, receipt, 3)).to.equal(index);
      // On chain from the next block on.
      await mine();
      const [mediator, mediatorIndex] = await ctx.market.drawnMediator(deal.dealId, deal.terms, count);
      expect([mediator, Number(mediatorIndex)]).to.deep.equal([deal.terms.members.mediators[index], index]);
    });

    it("keeps the draw unknown to every transaction of its block (DrawPending; blockhash(block.number) is zero there)", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const [checked, draw] = await inOneBlock([
        (o) => ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count, o),
        (o) => ctx.market.connect(ctx.resourceProvider).drawMediator(deal.dealId, deal.terms, count, o),
      ]);
      expect(checked.status).to.equal(1);
      await expectMinedRevert(ctx.market, draw, "DealMarket_DrawPending", [deal.dealKey, BigInt(checked.blockNumber)]);
      // What a transaction of the draw block could compute instead is the draw of a zero hash, not the draw.
      expect(ZeroHash).to.not.equal(checked.blockHash);
      await expect(ctx.market.drawnMediator(deal.dealId, deal.terms, count))
        .to.be.revertedWithCustomError(ctx.market, "DealMarket_DrawPending")
        .withArgs(deal.dealKey, checked.blockNumber);
    });

    it("can draw every mediator (block hashes vary)", async () => {
      const ctx = await setup();
      const drawn = new Set<number>();
      for (let i = 0; i < 40 && drawn.size < 3; i++) {
        const deal = await createDeal(ctx, AgreementState.ResultsChecked);
        expect(deal.mediatorIndex).to.equal(drawIndexOf(deal.receipt!.blockHash, deal.dealKey, 3));
        drawn.add(deal.mediatorIndex);
      }
      expect([...drawn].sort()).to.deep.equal([0, 1, 2]);
    });

    it("draws index 0 when there is a single mediator", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { mediators: [ctx.mediators[2].address] } });
      for (let i = 0; i < 3; i++) {
        const deal = await createDeal(ctx, AgreementState.ResultsChecked, { terms });
        await mine();
        const [mediator, index] = await ctx.market.drawnMediator(deal.dealId, terms, count);
        expect([mediator, index]).to.deep.equal([ctx.mediators[2].address, 0n]);
      }
    });

    // [name, mediationFee, judgeResultsCollateral]
    const cases: Array<[string, bigint, bigint]> = [
      ["the fee exceeds the judge timeout collateral", 50_000n, 20_000n],
      ["the fee is below the judge timeout collateral", 5_000n, 20_000n],
      ["the fee is zero", 0n, 20_000n],
      ["the judge timeout collateral is zero", 50_000n, 0n],
      ["both are zero", 0n, 0n],
    ];
    for (const [name, fee, jtc] of cases) {
      it(`escrows the fee and refunds the judge timeout collateral when ${name}`, async () => {
        const ctx = await setup();
        const terms = makeTerms({ pricing: { mediationFee: fee }, timeouts: { judgeResultsCollateral: jtc } });
        const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { terms });
        const tx = await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
        await expectDeltas(tx, ctx, { jobCreator: jtc - fee, market: fee - jtc });
        const expected: PaymentTuple[] = [
          [ctx.jobCreator.address, fee, Reason.MediationFee, Dir.PaidIn],
          [ctx.jobCreator.address, jtc, Reason.TimeoutCollateral, Dir.Refunded],
        ];
        await expectPayments(
          ctx.market,
          tx,
          deal.dealKey,
          expected.filter(([, a]) => a > 0n),
        );
      });
    }

    it("reverts and leaves the deal in ResultsSubmitted when the job creator cannot pay the fee", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      await ctx.token.connect(ctx.jobCreator).approve(await ctx.market.getAddress(), 0n);
      await expect(
        ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count),
      ).to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance");
      expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.ResultsSubmitted);
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
    });
  });
});
