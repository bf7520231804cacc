import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroHash } from "ethers";

import {
  GRACE,
  MAX_WORKLOADS_PER_POOL,
  PoolStatus,
  RATES,
  WorkloadStatus,
  assign,
  at,
  createPool,
  eventNames,
  mined,
  nextWorkloadId,
  poolFixture,
  ratesTuple,
  runningPoolFixture,
  start,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.assignWorkload", () => {
  const setup = () => loadPoolsFixture(poolFixture);

  it("reverts with CapacityPools_ZeroWorkloadId for a zero ID", async () => {
    const ctx = await setup();
    await expect(
      ctx.pools.connect(ctx.customer).assignWorkload(ZeroHash, ctx.poolId, ctx.nodes[0], RATES),
    ).to.be.revertedWithCustomError(ctx.pools, "CapacityPools_ZeroWorkloadId");
  });

  it("reverts with CapacityPools_PoolNotFound for an unknown pool", async () => {
    const ctx = await setup();
    const poolId = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.customer).assignWorkload(nextWorkloadId(), poolId, ctx.nodes[0], RATES))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolNotFound")
      .withArgs(poolId);
  });

  it("reverts with CapacityPools_NotPoolOwner for anyone but the owner", async () => {
    const ctx = await setup();
    const sponsored = await createPool(ctx, { sponsor: ctx.sponsor.address });
    for (const [poolId, caller] of [
      [ctx.poolId, ctx.stranger],
      [ctx.poolId, ctx.provider],
      [sponsored.poolId, ctx.sponsor],
    ] as const) {
      await expect(ctx.pools.connect(caller).assignWorkload(nextWorkloadId(), poolId, ctx.nodes[0], RATES))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotPoolOwner")
        .withArgs(poolId, caller.address);
    }
  });

  describe("when the ID is in use", () => {
    it("changes nothing for the same pool, node and rates while assigned or running", async () => {
      const ctx = await setup();
      const id = await assign(ctx, ctx.poolId);
      const again = () => ctx.pools.connect(ctx.customer).assignWorkload(id, ctx.poolId, ctx.nodes[0], RATES);
      const receipt = await mined(again());
      expect(eventNames(ctx.pools, receipt)).to.deep.equal([]);
      expect((await ctx.pools.getPool(ctx.poolId)).workloadCount).to.equal(1n);
      const startedAt = await start(ctx, id);
      const receipt2 = await mined(again());
      expect(eventNames(ctx.pools, receipt2)).to.deep.equal([]);
      const w = await ctx.pools.getWorkload(id);
      expect(w.status).to.equal(WorkloadStatus.Running);
      expect(w.startedAt).to.equal(startedAt);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.workloadCount).to.equal(1n);
      expect(p.runningCount).to.equal(1n);
    });

    it("reverts with CapacityPools_WorkloadExists for other parameters", async () => {
      const ctx = await setup();
      const other = await createPool(ctx);
      const id = await assign(ctx, ctx.poolId);
      const variants: Array<[string, string, typeof RATES]> = [
        [ctx.poolId, ctx.nodes[1], RATES],
        [ctx.poolId, ctx.nodes[0], { ...RATES, cu: RATES.cu + 1n }],
        [ctx.poolId, ctx.nodes[0], { ...RATES, su: RATES.su + 1n }],
        [ctx.poolId, ctx.nodes[0], { ...RATES, ipv4u: RATES.ipv4u + 1n }],
        [other.poolId, ctx.nodes[0], RATES],
      ];
      for (const [poolId, nodeId, rates] of variants) {
        await expect(ctx.pools.connect(ctx.customer).assignWorkload(id, poolId, nodeId, rates))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_WorkloadExists")
          .withArgs(id);
      }
    });

    it("reverts with CapacityPools_WorkloadExists for a removed or expired workload", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const removed = await assign(ctx, ctx.poolId);
      await ctx.pools.connect(ctx.customer).removeWorkload(removed);
      await at(ctx.emptyAt + GRACE + 1n);
      await ctx.pools.closeExpiredWorkloads([ctx.workloadId]);
      expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Expired);
      for (const id of [removed, ctx.workloadId]) {
        await expect(ctx.pools.connect(ctx.customer).assignWorkload(id, ctx.poolId, ctx.nodes[0], RATES))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_WorkloadExists")
          .withArgs(id);
      }
    });
  });

  it("reverts with CapacityPools_NodeNotInPool for a node that is not the pool's", async () => {
    const ctx = await setup();
    for (const node of [ctx.nodes[2], ctx.otherNodes[0], ctx.undeclaredNode]) {
      await expect(ctx.pools.connect(ctx.customer).assignWorkload(nextWorkloadId(), ctx.poolId, node, RATES))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NodeNotInPool")
        .withArgs(ctx.poolId, node);
    }
  });

  it("reverts with CapacityPools_TooMany beyond 64 live workloads, and accepts one after a removal", async () => {
    const ctx = await setup();
    const ids: string[] = [];
    for (let i = 0; i < MAX_WORKLOADS_PER_POOL; i++) ids.push(await assign(ctx, ctx.poolId, RATES));
    expect((await ctx.pools.getPool(ctx.poolId)).workloadCount).to.equal(64n);
    await expect(ctx.pools.connect(ctx.customer).assignWorkload(nextWorkloadId(), ctx.poolId, ctx.nodes[0], RATES))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_TooMany")
      .withArgs(65n, 64n);
    // Assigning a live one again is still idempotent at the bound.
    await ctx.pools.connect(ctx.customer).assignWorkload(ids[0], ctx.poolId, ctx.nodes[0], RATES);
    await ctx.pools.connect(ctx.customer).removeWorkload(ids[5]);
    expect((await ctx.pools.getPool(ctx.poolId)).workloadCount).to.equal(63n);
    await assign(ctx, ctx.poolId);
    expect((await ctx.pools.getPool(ctx.poolId)).workloadCount).to.equal(64n);
  });

  it("stores a new workload Assigned, counts it, draws nothing and emits WorkloadAssigned only", async () => {
    const ctx = await setup();
    const before = await ctx.pools.getPool(ctx.poolId);
    const id = nextWorkloadId();
    const rates = { cu: 3n, su: 5n, ipv4u: 1_000n };
    const tx = await ctx.pools.connect(ctx.customer).assignWorkload(id, ctx.poolId, ctx.nodes[1], rates);
    await expect(tx).to.emit(ctx.pools, "WorkloadAssigned").withArgs(id, ctx.poolId, ctx.nodes[1], ratesTuple(rates));
    expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal(["WorkloadAssigned"]);
    const w = await ctx.pools.getWorkload(id);
    expect(w.poolId).to.equal(ctx.poolId);
    expect(w.nodeId).to.equal(ctx.nodes[1]);
    expect([w.rates.cu, w.rates.su, w.rates.ipv4u]).to.deep.equal([3n, 5n, 1_000n]);
    expect(w.status).to.equal(WorkloadStatus.Assigned);
    expect(w.startedAt).to.equal(0n);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.workloadCount).to.equal(1n);
    expect(p.runningCount).to.equal(0n);
    expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([0n, 0n, 0n]);
    expect(p.status).to.equal(PoolStatus.Idle);
    expect(p.lastUpdated).to.equal(before.lastUpdated);
    expect(p.emptyAt).to.equal(before.emptyAt);
    expect(p.cu).to.deep.equal(before.cu);
  });
});
