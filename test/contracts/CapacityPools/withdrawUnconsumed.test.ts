import { expect } from "chai";
import { ethers } from "hardhat";

import {
  CAPACITY,
  MILLI,
  NEVER,
  PoolStatus,
  WorkloadStatus,
  assign,
  assignAndStart,
  at,
  costOf,
  createPool,
  defaultAccrual,
  eventNames,
  mined,
  poolFixture,
  poolUpdatedArgs,
  runningPoolFixture,
  topUp,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.withdrawUnconsumed", () => {
  it("reverts with CapacityPools_PoolNotFound for an unknown pool", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const id = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.customer).withdrawUnconsumed(id, ctx.customer.address))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolNotFound")
      .withArgs(id);
  });

  it("reverts with CapacityPools_NotBeneficiary for anyone but the owner of an unsponsored pool", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    for (const caller of [ctx.stranger, ctx.provider, ctx.sponsor]) {
      await expect(ctx.pools.connect(caller).withdrawUnconsumed(ctx.poolId, caller.address))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotBeneficiary")
        .withArgs(ctx.poolId, caller.address);
    }
  });

  it("reverts with CapacityPools_NotBeneficiary for anyone but the sponsor of a sponsored pool, the owner too", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const { poolId } = await createPool(ctx, { sponsor: ctx.sponsor.address });
    for (const caller of [ctx.customer, ctx.stranger]) {
      await expect(ctx.pools.connect(caller).withdrawUnconsumed(poolId, caller.address))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotBeneficiary")
        .withArgs(poolId, caller.address);
    }
    const tx = await ctx.pools.connect(ctx.sponsor).withdrawUnconsumed(poolId, ctx.sponsor.address);
    await expect(tx)
      .to.emit(ctx.pools, "UnconsumedWithdrawn")
      .withArgs(poolId, ctx.sponsor.address, ctx.sponsor.address, costOf(CAPACITY));
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.pools, ctx.sponsor, ctx.customer],
      [-costOf(CAPACITY), costOf(CAPACITY), 0n],
    );
  });

  it("reverts with CapacityPools_PoolBusy while a workload runs", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await expect(ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.customer.address))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolBusy")
      .withArgs(ctx.poolId, 1n);
    await assignAndStart(ctx, ctx.poolId);
    await expect(ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.customer.address))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolBusy")
      .withArgs(ctx.poolId, 2n);
  });

  it("reverts with CapacityPools_NothingToWithdraw for a pool that holds nothing", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const { poolId } = await createPool(ctx, { cus: 0n, sus: 0n, ipv4us: 0n });
    await expect(ctx.pools.connect(ctx.customer).withdrawUnconsumed(poolId, ctx.customer.address))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NothingToWithdraw")
      .withArgs(ctx.customer.address);
    await ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.customer.address);
    await expect(ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.customer.address))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NothingToWithdraw")
      .withArgs(ctx.customer.address);
  });

  it("pays the owner what is left after consumption and top-ups by others, and empties the pool", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const extra = { cus: 0n, sus: 0n, ipv4us: 100n };
    // At an even second, so that the two syncs' roundings down add up to one sync's.
    await at(ctx.startedAt + 10n);
    await topUp(ctx, ctx.poolId, { ...extra, customer: ctx.stranger.address }, { submitter: ctx.stranger });
    const assigned = await assign(ctx, ctx.poolId);
    await at(ctx.startedAt + 4_000n);
    await ctx.pools.connect(ctx.provider).removeWorkload(ctx.workloadId);
    const consumed = defaultAccrual(4_000n);
    const amount = costOf(CAPACITY) + costOf(extra) - consumed;
    const tx = await ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.sponsor.address);
    const receipt = await mined(tx);
    expect(eventNames(ctx.pools, receipt)).to.deep.equal(["PoolUpdated", "UnconsumedWithdrawn"]);
    await expect(tx)
      .to.emit(ctx.pools, "UnconsumedWithdrawn")
      .withArgs(ctx.poolId, ctx.customer.address, ctx.sponsor.address, amount);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.pools, ctx.sponsor, ctx.customer, ctx.stranger],
      [-amount, amount, 0n, 0n],
    );
    const p = await ctx.pools.getPool(ctx.poolId);
    await expect(tx)
      .to.emit(ctx.pools, "PoolUpdated")
      .withArgs(...poolUpdatedArgs(ctx.poolId, p));
    expect([p.cu.balance, p.su.balance, p.ipv4u.balance]).to.deep.equal([0n, 0n, 0n]);
    expect([p.cu.value, p.su.value, p.ipv4u.value]).to.deep.equal([0n, 0n, 0n]);
    expect(p.lastUpdated).to.equal(BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp));
    expect(p.emptyAt).to.equal(NEVER);
    expect(p.status).to.equal(PoolStatus.Idle);
    expect(p.nodeCount).to.equal(2n);
    expect(p.workloadCount).to.equal(1n);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[1])).to.equal(true);
    expect((await ctx.pools.getWorkload(assigned)).status).to.equal(WorkloadStatus.Assigned);
    // The provider's share is untouched and the pools hold exactly it.
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(consumed);
    expect(await ctx.token.balanceOf(ctx.poolsAddress)).to.equal(consumed);
  });

  it("lets the pool be topped up and used again", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    await ctx.pools.connect(ctx.customer).withdrawUnconsumed(ctx.poolId, ctx.customer.address);
    await topUp(ctx, ctx.poolId, { cus: 500n, sus: 0n, ipv4us: 0n });
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.cu.balance).to.equal(500n * MILLI);
    expect(p.cu.value).to.equal(3_500n);
    const { startedAt } = await assignAndStart(ctx, ctx.poolId, { cu: 1_000n, su: 0n, ipv4u: 0n });
    expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(startedAt + 500n);
  });
});
