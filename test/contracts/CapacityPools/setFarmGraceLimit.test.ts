import { expect } from "chai";
import { ethers } from "hardhat";

import { MAX_GRACE_SECONDS, deployPoolsFixture, loadPoolsFixture } from "../../helpers/pools";

describe("CapacityPools.setFarmGraceLimit", () => {
  it("reverts with CapacityPools_FarmNotFound for an unknown farm", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const farmId = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.provider).setFarmGraceLimit(farmId, 60n))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_FarmNotFound")
      .withArgs(farmId);
  });

  it("reverts with CapacityPools_NotFarmProvider for anyone but the farm's provider", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    for (const caller of [ctx.stranger, ctx.otherProvider, ctx.customer]) {
      await expect(ctx.pools.connect(caller).setFarmGraceLimit(ctx.farmId, 60n))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotFarmProvider")
        .withArgs(ctx.farmId, caller.address);
    }
    expect((await ctx.pools.getFarm(ctx.farmId)).maxGraceSeconds).to.equal(MAX_GRACE_SECONDS);
  });

  it("reverts with CapacityPools_GraceTooLong above 30 days", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).setFarmGraceLimit(ctx.farmId, MAX_GRACE_SECONDS + 1n))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceTooLong")
      .withArgs(MAX_GRACE_SECONDS + 1n, MAX_GRACE_SECONDS);
  });

  it("stores the limit, emits FarmGraceLimitSet and leaves other farms alone", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    for (const seconds of [600n, 0n, MAX_GRACE_SECONDS]) {
      await expect(ctx.pools.connect(ctx.provider).setFarmGraceLimit(ctx.farmId, seconds))
        .to.emit(ctx.pools, "FarmGraceLimitSet")
        .withArgs(ctx.farmId, seconds);
      expect((await ctx.pools.getFarm(ctx.farmId)).maxGraceSeconds).to.equal(seconds);
    }
    await ctx.pools.connect(ctx.provider).setFarmGraceLimit(ctx.farmId, 60n);
    expect((await ctx.pools.getFarm(ctx.otherFarmId)).maxGraceSeconds).to.equal(MAX_GRACE_SECONDS);
  });
});
