import { expect } from "chai";
import { ethers } from "hardhat";

import {
  CAPACITY,
  PRICES,
  costOf,
  deployPoolsFixture,
  makeReservation,
  poolFixture,
  topUp,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.setFarmPrices", () => {
  const prices = { cu: 70n, su: 30n, ipv4u: 110n };

  it("reverts with CapacityPools_FarmNotFound for an unknown farm", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const farmId = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.provider).setFarmPrices(farmId, prices))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_FarmNotFound")
      .withArgs(farmId);
  });

  it("reverts with CapacityPools_NotFarmProvider for anyone but the farm's provider", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    for (const caller of [ctx.stranger, ctx.otherProvider, ctx.customer]) {
      await expect(ctx.pools.connect(caller).setFarmPrices(ctx.farmId, prices))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotFarmProvider")
        .withArgs(ctx.farmId, caller.address);
    }
    const farm = await ctx.pools.getFarm(ctx.farmId);
    expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([PRICES.cu, PRICES.su, PRICES.ipv4u]);
  });

  it("stores the prices and emits FarmPricesSet", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    await expect(ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, prices))
      .to.emit(ctx.pools, "FarmPricesSet")
      .withArgs(ctx.farmId, [70n, 30n, 110n]);
    const farm = await ctx.pools.getFarm(ctx.farmId);
    expect(farm.provider).to.equal(ctx.provider.address);
    expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([70n, 30n, 110n]);
    const other = await ctx.pools.getFarm(ctx.otherFarmId);
    expect(other.prices.cu).to.equal(2n);
  });

  it("prices later reservations at the new prices and keeps the value of capacity bought earlier", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, prices);
    const amounts = { cus: 100n, sus: 0n, ipv4us: 0n };
    expect(await ctx.pools.reservationCost(makeReservation(ctx, amounts))).to.equal(7_000n);
    const before = await ctx.pools.getPool(ctx.poolId);
    expect(before.cu.value).to.equal(CAPACITY.cus * PRICES.cu);
    const t = await topUp(ctx, ctx.poolId, amounts, { submitter: ctx.customer });
    await expect(t.tx).to.changeTokenBalances(ctx.token, [ctx.customer, ctx.pools], [-7_000n, 7_000n]);
    const after = await ctx.pools.getPool(ctx.poolId);
    expect(after.cu.value).to.equal(CAPACITY.cus * PRICES.cu + 100n * 70n);
    expect(after.su.value).to.equal(CAPACITY.sus * PRICES.su);
    expect(after.ipv4u.value).to.equal(CAPACITY.ipv4us * PRICES.ipv4u);
    expect(costOf(amounts, prices)).to.equal(7_000n);
  });
});
