import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, setPrevRandao, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, keccak256 } from "ethers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  PaymentDirection as Dir,
  PaymentReason as Reason,
  createDeal,
  deadlineOf,
  deployMarketFixture,
  makeTerms,
  mediatorIndexFrom,
  type PaymentTuple,
} from "../../helpers/fixtures";
import { describeDealGuards } from "./guards.shared";
import { expectDeltas, expectPayments, expectRecord } from "../../helpers/assertions";

/** The documented draw: keccak256(abi.encode(prevrandao, dealId)) % mediators.length. */
function expectedDraw(prevrandao: bigint, dealId: string, mediators: number): number {
  const hash = keccak256(AbiCoder.defaultAbiCoder().encode(["uint256", "bytes32"], [prevrandao, dealId]));
  return Number(BigInt(hash) % BigInt(mediators));
}

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
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline + 1n);
    await expect(ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_DeadlinePassed")
      .withArgs(deal.dealId, deadline);
  });

  it("disputes at exactly the judge-results deadline", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const deadline = await deadlineOf(ctx.market, deal.dealId, deal.terms.timeouts.judgeResults);
    await time.setNextBlockTimestamp(deadline);
    await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
    await expectRecord(ctx.market, deal.dealId, {
      state: AgreementState.ResultsChecked,
      agreedBy: 3,
      updatedAt: deadline,
    });
  });

  describe("when the job creator disputes in time", () => {
    it("moves the deal to ResultsChecked and draws the mediator from prevrandao", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      const prevrandao = 123_456_789n;
      await setPrevRandao(prevrandao);
      const tx = await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count);
      const blockNumber = ethers.toQuantity((await tx.wait())!.blockNumber);
      const block = await ethers.provider.send("eth_getBlockByNumber", [blockNumber, false]);
      expect(BigInt(block.mixHash), "the block's prevrandao").to.equal(prevrandao);
      const index = expectedDraw(prevrandao, deal.dealId, 3);
      await expect(tx)
        .to.emit(ctx.market, "MediationRequested")
        .withArgs(deal.dealId, deal.terms.members.mediators[index], index);
      await expect(tx).to.emit(ctx.market, "DealStateChange").withArgs(deal.dealId, AgreementState.ResultsChecked);
      await expectRecord(ctx.market, deal.dealId, { state: AgreementState.ResultsChecked, agreedBy: 3, tx });
    });

    it("can draw every mediator as prevrandao varies", async () => {
      const ctx = await setup();
      const drawn = new Set<number>();
      for (let seed = 1n; seed <= 30n && drawn.size < 3; seed++) {
        const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
        await setPrevRandao(seed * 7919n);
        const receipt = await (
          await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count)
        ).wait();
        const index = mediatorIndexFrom(ctx.market, receipt!);
        expect(index).to.equal(expectedDraw(seed * 7919n, deal.dealId, 3));
        drawn.add(index);
      }
      expect([...drawn].sort()).to.deep.equal([0, 1, 2]);
    });

    it("draws index 0 when there is a single mediator", async () => {
      const ctx = await setup();
      const terms = makeTerms({ members: { mediators: [ctx.mediators[2].address] } });
      for (let i = 0; i < 3; i++) {
        const deal = await createDeal(ctx, AgreementState.ResultsSubmitted, { terms });
        await expect(ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, count))
          .to.emit(ctx.market, "MediationRequested")
          .withArgs(deal.dealId, ctx.mediators[2].address, 0);
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
          deal.dealId,
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
      expect(await ctx.market.getDealState(deal.dealId)).to.equal(AgreementState.ResultsSubmitted);
    });

    it("commits the mediator index: the mediator cannot act under another index", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      const mediator = ctx.mediators[deal.mediatorIndex];
      for (let other = 0; other < 3; other++) {
        if (other === deal.mediatorIndex) continue;
        await expect(
          ctx.market.connect(ctx.mediators[other]).mediationAcceptResult(deal.dealId, deal.terms, count, other),
        )
          .to.be.revertedWithCustomError(ctx.market, "DealMarket_TermsMismatch")
          .withArgs(deal.dealId);
      }
      await ctx.market.connect(mediator).mediationAcceptResult(deal.dealId, deal.terms, count, deal.mediatorIndex);
    });
  });
});
