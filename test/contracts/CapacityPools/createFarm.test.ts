import { expect } from "chai";
import { ethers } from "hardhat";

import { FARM_SALT, MAX_GRACE_SECONDS, PRICES, deployPoolsFixture, loadPoolsFixture } from "../../helpers/pools";

describe("CapacityPools.createFarm", () => {
  const salt = ethers.id("farm-new");
  const prices = { cu: 101n, su: 202n, ipv4u: 303n };

  it("reverts with CapacityPools_FarmExists for a salt the caller used", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).createFarm(FARM_SALT, prices))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_FarmExists")
      .withArgs(ctx.farmId);
    const farm = await ctx.pools.getFarm(ctx.farmId);
    expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([PRICES.cu, PRICES.su, PRICES.ipv4u]);
  });

  it("stores the farm under farmIdOf(caller, salt), returns its ID and emits FarmCreated", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const farmId = await ctx.pools.farmIdOf(ctx.stranger.address, salt);
    expect(await ctx.pools.connect(ctx.stranger).createFarm.staticCall(salt, prices)).to.equal(farmId);
    const tx = await ctx.pools.connect(ctx.stranger).createFarm(salt, prices);
    await expect(tx).to.emit(ctx.pools, "FarmCreated").withArgs(farmId, ctx.stranger.address, [101n, 202n, 303n]);
    await expect(tx).to.emit(ctx.pools, "FarmGraceLimitSet").withArgs(farmId, MAX_GRACE_SECONDS);
    const farm = await ctx.pools.getFarm(farmId);
    expect(farm.maxGraceSeconds).to.equal(MAX_GRACE_SECONDS);
    expect(farm.provider).to.equal(ctx.stranger.address);
    expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([101n, 202n, 303n]);
  });

  it("creates a different farm for another provider with the same salt", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await ctx.pools.connect(ctx.stranger).createFarm(FARM_SALT, prices);
    const farmId = await ctx.pools.farmIdOf(ctx.stranger.address, FARM_SALT);
    expect(farmId).to.not.equal(ctx.farmId);
    expect((await ctx.pools.getFarm(farmId)).provider).to.equal(ctx.stranger.address);
    expect((await ctx.pools.getFarm(ctx.farmId)).provider).to.equal(ctx.provider.address);
  });

  it("creates a farm with zero prices", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const farmId = await ctx.pools.farmIdOf(ctx.stranger.address, salt);
    await expect(ctx.pools.connect(ctx.stranger).createFarm(salt, { cu: 0n, su: 0n, ipv4u: 0n }))
      .to.emit(ctx.pools, "FarmCreated")
      .withArgs(farmId, ctx.stranger.address, [0n, 0n, 0n]);
    expect((await ctx.pools.getFarm(farmId)).provider).to.equal(ctx.stranger.address);
  });
});
