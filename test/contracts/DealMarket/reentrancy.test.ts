import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  dealKeyOfTerms,
  deployReentrantMarketFixture,
  makeTerms,
  mediatorOf,
  nextDealId,
  type DealHandle,
} from "../../helpers/fixtures";
import { expectDraw } from "../../helpers/assertions";

describe("DealMarket re-entrancy", () => {
  const setup = () => loadFixture(deployReentrantMarketFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const GUARD_ERROR = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

  /** Calldata for each guarded function (arguments that would otherwise be plausible). */
  function reentrantCalls(ctx: Ctx): Array<[string, string]> {
    const i = ctx.market.interface;
    const terms = makeTerms();
    const id = nextDealId();
    const n = DEFAULT_INSTRUCTION_COUNT;
    return [
      ["agree", i.encodeFunctionData("agree", [id, terms])],
      ["agreeWithSignatures", i.encodeFunctionData("agreeWithSignatures", [id, terms, 2n ** 40n, "0x", "0x"])],
      ["addResult", i.encodeFunctionData("addResult", [id, terms, id, n])],
      ["acceptResult", i.encodeFunctionData("acceptResult", [id, terms, n])],
      ["checkResult", i.encodeFunctionData("checkResult", [id, terms, n])],
      ["mediationAcceptResult", i.encodeFunctionData("mediationAcceptResult", [id, terms, n])],
      ["mediationRejectResult", i.encodeFunctionData("mediationRejectResult", [id, terms, n])],
      ["timeoutAgree", i.encodeFunctionData("timeoutAgree", [id, terms])],
      ["timeoutSubmitResults", i.encodeFunctionData("timeoutSubmitResults", [id, terms])],
      ["timeoutJudgeResults", i.encodeFunctionData("timeoutJudgeResults", [id, terms, n])],
      ["timeoutMediateResults", i.encodeFunctionData("timeoutMediateResults", [id, terms, n])],
      ["withdraw", i.encodeFunctionData("withdraw", [ctx.stranger.address])],
    ];
  }

  async function expectGuarded(ctx: Ctx) {
    expect(await ctx.token.reentered(), "the hook ran").to.equal(true);
    expect(await ctx.token.reentrySucceeded(), "the re-entrant call succeeded").to.equal(false);
    expect(await ctx.token.reentryReturnData()).to.equal(GUARD_ERROR);
  }

  it("rejects a call-back into every guarded function during a collateral pull", async () => {
    const ctx = await setup();
    for (const [name, data] of reentrantCalls(ctx)) {
      await ctx.token.arm(await ctx.market.getAddress(), data);
      const dealId = nextDealId();
      await ctx.market.connect(ctx.jobCreator).agree(dealId, makeTerms());
      await expectGuarded(ctx);
      expect(await ctx.market.getDealState(dealKeyOfTerms(dealId, makeTerms())), name).to.equal(
        AgreementState.DealNegotiating,
      );
    }
  });

  it("rejects a call-back during a payout and still settles", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const [, data] = reentrantCalls(ctx).find(([name]) => name === "acceptResult")!;
    await ctx.token.arm(await ctx.market.getAddress(), data);
    await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, DEFAULT_INSTRUCTION_COUNT);
    await expectGuarded(ctx);
    expect(await ctx.market.getDealState(deal.dealKey)).to.equal(AgreementState.ResultsAccepted);
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
  });

  describe("drawMediator (moves no tokens, so it takes no guard)", () => {
    const drawCall = (ctx: Ctx, deal: DealHandle) =>
      ctx.market.interface.encodeFunctionData("drawMediator", [deal.dealId, deal.terms, deal.instructionCount]);

    it("is pending when re-entered during checkResult's fee pull: the draw block is the current block", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
      await ctx.token.arm(await ctx.market.getAddress(), drawCall(ctx, deal));
      const tx = await ctx.market.connect(ctx.jobCreator).checkResult(deal.dealId, deal.terms, deal.instructionCount);
      const receipt = (await tx.wait())!;
      expect(await ctx.token.reentered()).to.equal(true);
      expect(await ctx.token.reentrySucceeded()).to.equal(false);
      expect(await ctx.token.reentryReturnData()).to.equal(
        ctx.market.interface.encodeErrorResult("DealMarket_DrawPending", [deal.dealKey, receipt.blockNumber]),
      );
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: receipt.blockNumber, drawn: false, mediatorIndex: 0 });
    });

    it("finds the deal settled when re-entered during a mediation payout", async () => {
      const ctx = await setup();
      const deal = await createDeal(ctx, AgreementState.ResultsChecked);
      await ctx.token.arm(await ctx.market.getAddress(), drawCall(ctx, deal));
      await ctx.market
        .connect(await mediatorOf(deal))
        .mediationAcceptResult(deal.dealId, deal.terms, deal.instructionCount);
      expect(await ctx.token.reentrySucceeded()).to.equal(false);
      expect(await ctx.token.reentryReturnData()).to.equal(
        ctx.market.interface.encodeErrorResult("DealMarket_InvalidState", [
          deal.dealKey,
          AgreementState.MediationAccepted,
          AgreementState.ResultsChecked,
        ]),
      );
      await expectDraw(ctx.market, deal.dealKey, { drawBlock: 0, drawn: false, mediatorIndex: 0 });
      expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
    });
  });
});
