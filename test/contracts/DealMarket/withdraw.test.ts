import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  AgreementState,
  DEFAULT_INSTRUCTION_COUNT,
  createDeal,
  deployBlacklistMarketFixture,
} from "../../helpers/fixtures";
import { expectDeltas } from "../../helpers/assertions";

describe("DealMarket.withdraw", () => {
  /** A market where the provider is owed 1_800_000 it could not receive (blacklisted at acceptResult). */
  async function withDeferred() {
    const ctx = await loadFixture(deployBlacklistMarketFixture);
    const deal = await createDeal(ctx, AgreementState.ResultsSubmitted);
    await ctx.token.setBlacklisted(ctx.resourceProvider.address, true);
    await ctx.market.connect(ctx.jobCreator).acceptResult(deal.dealId, deal.terms, DEFAULT_INSTRUCTION_COUNT);
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(1_800_000n);
    return ctx;
  }

  it("reverts with DealMarket_NothingToWithdraw when the caller has no deferred payout", async () => {
    const ctx = await loadFixture(deployBlacklistMarketFixture);
    await expect(ctx.market.connect(ctx.stranger).withdraw(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_NothingToWithdraw")
      .withArgs(ctx.stranger.address);
  });

  it("does not let another account take a deferred payout", async () => {
    const ctx = await withDeferred();
    await expect(ctx.market.connect(ctx.stranger).withdraw(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_NothingToWithdraw")
      .withArgs(ctx.stranger.address);
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(1_800_000n);
  });

  it("reverts and keeps the deferred payout when `to` cannot receive the token", async () => {
    const ctx = await withDeferred();
    await expect(
      ctx.market.connect(ctx.resourceProvider).withdraw(ctx.resourceProvider.address),
    ).to.be.revertedWithCustomError(ctx.token, "BlacklistERC20Mock_Blacklisted");
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(1_800_000n);
  });

  it("transfers the whole amount to another address, zeroes it and emits Withdrawn", async () => {
    const ctx = await withDeferred();
    const tx = await ctx.market.connect(ctx.resourceProvider).withdraw(ctx.stranger.address);
    await expect(tx)
      .to.emit(ctx.market, "Withdrawn")
      .withArgs(ctx.resourceProvider.address, ctx.stranger.address, 1_800_000n);
    await expectDeltas(tx, ctx, { stranger: 1_800_000n, market: -1_800_000n });
    expect(await ctx.market.deferredPayouts(ctx.resourceProvider.address)).to.equal(0n);
    await expect(ctx.market.connect(ctx.resourceProvider).withdraw(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.market, "DealMarket_NothingToWithdraw")
      .withArgs(ctx.resourceProvider.address);
  });

  it("transfers to the caller itself once it can receive again", async () => {
    const ctx = await withDeferred();
    await ctx.token.setBlacklisted(ctx.resourceProvider.address, false);
    const tx = await ctx.market.connect(ctx.resourceProvider).withdraw(ctx.resourceProvider.address);
    await expect(tx)
      .to.emit(ctx.market, "Withdrawn")
      .withArgs(ctx.resourceProvider.address, ctx.resourceProvider.address, 1_800_000n);
    await expectDeltas(tx, ctx, { resourceProvider: 1_800_000n, market: -1_800_000n });
    expect(await ctx.token.balanceOf(ctx.market)).to.equal(0n);
  });
});
