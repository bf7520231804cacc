import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  deployReentrantMarketFixture,
  makeTerms,
  nextDealId,
} from "../../helpers/fixtures";

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
      ["mediationAcceptResult", i.encodeFunctionData("mediationAcceptResult", [id, terms, n, 0])],
      ["mediationRejectResult", i.encodeFunctionData("mediationRejectResult", [id, terms, n, 0])],
      ["timeoutAgree", i.encodeFunctionData("timeoutAgree", [id, terms])],
      ["timeoutSubmitResults", i.encodeFunctionData("timeoutSubmitResults", [id, terms])],
      ["timeoutJudgeResults", i.encodeFunctionData("timeoutJudgeResults", [id, terms, n])],
      ["timeoutMediateResults", i.encodeFunctionData("timeoutMediateResults", [id, terms, n, 0])],
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
      expect(await ctx.market.getDealState(dealId), name).to.equal(AgreementState.DealNegotiating);
    }
  });

  it("rejects a call-back during a payout and still settles", async () => {
    const ctx = await setup();
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    const [, data] = reentrantCalls(ctx).find(([name]) => name === "acceptResult")!;
    await ctx.token.arm(await ctx.market.getAddress(), data);
    await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, DEFAULT_INSTRUCTION_COUNT);
    await expectGuarded(ctx);
    expect(await ctx.market.getDealState(deal.dealId)).to.equal(AgreementState.ResultsAccepted);
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
  });
});
