import { expect } from "chai";
import { ethers } from "hardhat";

import {
  GRACE,
  MAX_BATCH,
  PoolStatus,
  RATES,
  assignAndStart,
  at,
  createPool,
  defaultAccrual,
  eventNames,
  mined,
  runningPoolFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.withdrawEarnings", () => {
  const setup = () => loadPoolsFixture(runningPoolFixture);

  it("reverts with CapacityPools_TooMany for more than 32 pools", async () => {
    const ctx = await setup();
    const ids = Array.from({ length: MAX_BATCH + 1 }, () => ctx.poolId);
    await expect(ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.provider.address, ids))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_TooMany")
      .withArgs(33n, 32n);
  });

  it("reverts with CapacityPools_PoolNotFound for an unknown pool", async () => {
    const ctx = await setup();
    const id = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.provider.address, [ctx.poolId, id]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolNotFound")
      .withArgs(id);
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
  });

  it("reverts with CapacityPools_NothingToWithdraw when the caller has nothing accrued", async () => {
    const ctx = await setup();
    await at(ctx.startedAt + 100n);
    for (const [caller, pools] of [
      [ctx.stranger, []],
      [ctx.provider, []],
      [ctx.otherProvider, [ctx.poolId]],
      [ctx.customer, [ctx.poolId]],
    ] as const) {
      await expect(ctx.pools.connect(caller).withdrawEarnings(caller.address, [...pools]))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NothingToWithdraw")
        .withArgs(caller.address);
    }
  });

  it("pays what earlier syncs accrued when no pools are named", async () => {
    const ctx = await setup();
    await at(ctx.startedAt + 500n);
    await ctx.pools.syncPool(ctx.poolId);
    const amount = defaultAccrual(500n);
    expect(amount).to.equal(3_500n + 750n);
    const tx = await ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.stranger.address, []);
    expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal(["EarningsWithdrawn"]);
    await expect(tx)
      .to.emit(ctx.pools, "EarningsWithdrawn")
      .withArgs(ctx.provider.address, ctx.stranger.address, amount);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.pools, ctx.stranger, ctx.provider], [-amount, amount, 0n]);
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
  });

  it("syncs the named pools first and pays the total to the wei, once", async () => {
    const ctx = await setup();
    const other = await createPool(ctx, { nodeIds: [ctx.nodes[3]] });
    const second = await assignAndStart(ctx, other.poolId, RATES, {
      nodeId: ctx.nodes[3],
      at: ctx.startedAt + 100n,
    });
    await at(ctx.startedAt + 2_000n);
    const tx = await ctx.pools
      .connect(ctx.provider)
      .withdrawEarnings(ctx.provider.address, [ctx.poolId, other.poolId, ctx.poolId]);
    const first = defaultAccrual(2_000n);
    const secondAmount = defaultAccrual(ctx.startedAt + 2_000n - second.startedAt);
    expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal([
      "Accrued",
      "PoolUpdated",
      "Accrued",
      "PoolUpdated",
      "PoolUpdated",
      "EarningsWithdrawn",
    ]);
    await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, first);
    await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(other.poolId, ctx.provider.address, secondAmount);
    await expect(tx)
      .to.emit(ctx.pools, "EarningsWithdrawn")
      .withArgs(ctx.provider.address, ctx.provider.address, first + secondAmount);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.pools, ctx.provider],
      [-(first + secondAmount), first + secondAmount],
    );
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
    expect((await ctx.pools.getPool(ctx.poolId)).lastUpdated).to.equal(ctx.startedAt + 2_000n);
    expect((await ctx.pools.getPool(other.poolId)).lastUpdated).to.equal(ctx.startedAt + 2_000n);
    await expect(ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.provider.address, []))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NothingToWithdraw")
      .withArgs(ctx.provider.address);
  });

  it("emits the status events of the pools it syncs", async () => {
    const ctx = await setup();
    await at(ctx.emptyAt + GRACE + 1n);
    const tx = await ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.provider.address, [ctx.poolId]);
    await expect(tx)
      .to.emit(ctx.pools, "PoolStatusChanged")
      .withArgs(ctx.poolId, PoolStatus.GraceOver, ctx.emptyAt, ctx.emptyAt + GRACE);
    await expect(tx)
      .to.emit(ctx.pools, "EarningsWithdrawn")
      .withArgs(ctx.provider.address, ctx.provider.address, defaultAccrual(10_000n));
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.pools, ctx.provider], [-85_000n, 85_000n]);
  });
});
