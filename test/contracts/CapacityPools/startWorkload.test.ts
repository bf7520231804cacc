import { expect } from "chai";
import { ethers } from "hardhat";

import {
  CAPACITY,
  GRACE,
  MILLI,
  NEVER,
  PoolStatus,
  RATES,
  WorkloadStatus,
  assign,
  assignAndStart,
  at,
  createPool,
  defaultAccrual,
  eventNames,
  mined,
  now,
  poolFixture,
  poolUpdatedArgs,
  runningPoolFixture,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.startWorkload", () => {
  const setup = () => loadPoolsFixture(poolFixture);
  const CU_ONLY = { cu: 1_000n, su: 0n, ipv4u: 0n };

  /** A pool with `cus` CU·s only, and a CU_ONLY workload assigned to it. */
  async function cuPool(ctx: PoolsFixture, cus: bigint) {
    const { poolId } = await createPool(ctx, { cus, sus: 0n, ipv4us: 0n });
    const id = await assign(ctx, poolId, CU_ONLY);
    return { poolId, id };
  }

  it("reverts with CapacityPools_WorkloadNotFound for an unknown workload", async () => {
    const ctx = await setup();
    const id = ethers.id("nope");
    await expect(ctx.pools.connect(ctx.provider).startWorkload(id))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_WorkloadNotFound")
      .withArgs(id);
  });

  it("reverts with CapacityPools_Unauthorized for anyone but the farm's provider", async () => {
    const ctx = await setup();
    const id = await assign(ctx, ctx.poolId);
    for (const caller of [ctx.customer, ctx.stranger, ctx.otherProvider]) {
      await expect(ctx.pools.connect(caller).startWorkload(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_Unauthorized")
        .withArgs(id, caller.address);
    }
    expect((await ctx.pools.getWorkload(id)).status).to.equal(WorkloadStatus.Assigned);
  });

  it("changes nothing for a running workload", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.startedAt + 100n);
    const receipt = await mined(ctx.pools.connect(ctx.provider).startWorkload(ctx.workloadId));
    expect(eventNames(ctx.pools, receipt)).to.deep.equal([]);
    const w = await ctx.pools.getWorkload(ctx.workloadId);
    expect(w.startedAt).to.equal(ctx.startedAt);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.runningCount).to.equal(1n);
    expect(p.cuRate).to.equal(RATES.cu);
    expect(p.lastUpdated).to.equal(ctx.startedAt);
  });

  it("reverts with CapacityPools_InvalidWorkloadStatus for a removed or expired workload", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const removed = await assign(ctx, ctx.poolId);
    await ctx.pools.connect(ctx.customer).removeWorkload(removed);
    await expect(ctx.pools.connect(ctx.provider).startWorkload(removed))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidWorkloadStatus")
      .withArgs(removed, WorkloadStatus.Removed);
    await at(ctx.emptyAt + GRACE + 1n);
    await ctx.pools.closeExpiredWorkloads([ctx.workloadId]);
    await expect(ctx.pools.connect(ctx.provider).startWorkload(ctx.workloadId))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidWorkloadStatus")
      .withArgs(ctx.workloadId, WorkloadStatus.Expired);
  });

  describe("runway", () => {
    it("reverts with CapacityPools_InsufficientRunway at exactly 120 s of runway", async () => {
      const ctx = await setup();
      const { poolId, id } = await cuPool(ctx, 120n);
      const t = (await now()) + 30n;
      await at(t);
      await expect(ctx.pools.connect(ctx.provider).startWorkload(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InsufficientRunway")
        .withArgs(poolId, t + 120n, t + 121n);
      expect((await ctx.pools.getWorkload(id)).status).to.equal(WorkloadStatus.Assigned);
      expect((await ctx.pools.getPool(poolId)).runningCount).to.equal(0n);
    });

    it("starts at 121 s of runway, RunwayLow", async () => {
      const ctx = await setup();
      const { poolId, id } = await cuPool(ctx, 121n);
      const t = (await now()) + 30n;
      await at(t);
      await expect(ctx.pools.connect(ctx.provider).startWorkload(id))
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(poolId, PoolStatus.RunwayLow, t + 121n, t + 121n + GRACE);
      const p = await ctx.pools.getPool(poolId);
      expect(p.emptyAt).to.equal(t + 121n);
      expect(p.status).to.equal(PoolStatus.RunwayLow);
    });

    it("counts the rates of the workloads already running", async () => {
      const ctx = await setup();
      const { poolId, id } = await cuPool(ctx, 1_000n);
      const t0 = (await now()) + 30n;
      await at(t0);
      await ctx.pools.connect(ctx.provider).startWorkload(id);
      // 1_000_000 milli-CU·s at 1 CU/s until t0 + 1000. At t0 + 500: 500_000 left; at 2 CU/s, 250 s.
      const second = await assign(ctx, poolId, { cu: 1_000n, su: 0n, ipv4u: 0n });
      const third = await assign(ctx, poolId, { cu: 3_000n, su: 0n, ipv4u: 0n });
      await at(t0 + 500n);
      await ctx.pools.connect(ctx.provider).startWorkload(second);
      expect((await ctx.pools.getPool(poolId)).emptyAt).to.equal(t0 + 750n);
      // At 5 CU/s the 500_000 - 2_000 × 1 left last 99 s: not enough.
      await at(t0 + 501n);
      await expect(ctx.pools.connect(ctx.provider).startWorkload(third))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InsufficientRunway")
        .withArgs(poolId, t0 + 501n + 99n, t0 + 501n + 121n);
    });

    it("reverts with emptyAt = now when a resource the workload draws on is empty", async () => {
      const ctx = await setup();
      const { poolId } = await createPool(ctx, { cus: 1_000n, sus: 0n, ipv4us: 0n });
      const id = await assign(ctx, poolId, { cu: 1n, su: 1n, ipv4u: 0n });
      const t = (await now()) + 30n;
      await at(t);
      await expect(ctx.pools.connect(ctx.provider).startWorkload(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InsufficientRunway")
        .withArgs(poolId, t, t + 121n);
    });
  });

  it("reverts with CapacityPools_GraceOver in a pool past its grace period, even with runway for it", async () => {
    const ctx = await setup();
    // A drains SU (200 s of it), B draws CU (10,000 s): the pool empties when SU runs out.
    const { poolId } = await createPool(ctx, { cus: 10_000n, sus: 200n, ipv4us: 0n });
    const { id: a } = await assignAndStart(ctx, poolId, { cu: 0n, su: 1_000n, ipv4u: 0n });
    const first = (await ctx.pools.getPool(poolId)).emptyAt;
    const { id: b } = await assignAndStart(ctx, poolId, CU_ONLY);
    const emptyAt = (await ctx.pools.getPool(poolId)).emptyAt;
    expect(emptyAt).to.equal(first);
    await at(emptyAt + GRACE + 1n);
    // Removing A leaves B, which alone has CU for thousands of seconds: the pool keeps its emptyAt (its workloads
    // expire together), and a new CU workload must not revive it either.
    await ctx.pools.connect(ctx.customer).removeWorkload(a);
    const p = await ctx.pools.getPool(poolId);
    expect([p.emptyAt, p.status, p.runningCount]).to.deep.equal([emptyAt, BigInt(PoolStatus.GraceOver), 1n]);
    const w = await assign(ctx, poolId, CU_ONLY);
    await expect(ctx.pools.connect(ctx.provider).startWorkload(w))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceOver")
      .withArgs(poolId, emptyAt + GRACE);
    expect((await ctx.pools.getWorkload(w)).status).to.equal(WorkloadStatus.Assigned);
    expect((await ctx.pools.getWorkload(b)).status).to.equal(WorkloadStatus.Running);
  });

  describe("when the pool keeps enough runway", () => {
    it("starts the first workload: rates, running count, emptyAt, status, events", async () => {
      const ctx = await setup();
      const id = await assign(ctx, ctx.poolId, RATES, { nodeId: ctx.nodes[1] });
      const t = (await now()) + 30n;
      await at(t);
      const tx = await ctx.pools.connect(ctx.provider).startWorkload(id);
      const receipt = await mined(tx);
      expect(eventNames(ctx.pools, receipt)).to.deep.equal(["WorkloadStarted", "PoolStatusChanged", "PoolUpdated"]);
      await expect(tx).to.emit(ctx.pools, "WorkloadStarted").withArgs(id, ctx.poolId, ctx.nodes[1]);
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Active, t + 10_000n, t + 10_000n + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      await expect(tx)
        .to.emit(ctx.pools, "PoolUpdated")
        .withArgs(...poolUpdatedArgs(ctx.poolId, p));
      expect(p.lastUpdated).to.equal(t);
      expect(p.emptyAt).to.equal(t + 10_000n);
      expect(p.status).to.equal(PoolStatus.Active);
      expect(p.runningCount).to.equal(1n);
      expect(p.workloadCount).to.equal(1n);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([RATES.cu, RATES.su, RATES.ipv4u]);
      expect(p.cu.balance).to.equal(CAPACITY.cus * MILLI);
      const w = await ctx.pools.getWorkload(id);
      expect(w.status).to.equal(WorkloadStatus.Running);
      expect(w.startedAt).to.equal(t);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
    });

    it("syncs first when others run: Accrued, and emptyAt from the summed rates", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const id = await assign(ctx, ctx.poolId, { cu: 0n, su: 1_500n, ipv4u: 1_000n }, { nodeId: ctx.nodes[1] });
      await at(ctx.startedAt + 2_000n);
      const tx = await ctx.pools.connect(ctx.provider).startWorkload(id);
      expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal(["Accrued", "WorkloadStarted", "PoolUpdated"]);
      const accrued = defaultAccrual(2_000n);
      await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, accrued);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(accrued);
      const p = await ctx.pools.getPool(ctx.poolId);
      // CU: 8_000_000 / 1000 = 8000 s; SU: 19_000_000 / 2000 = 9500 s; IPv4U: 5_000_000 / 1000 = 5000 s.
      expect(p.emptyAt).to.equal(ctx.startedAt + 2_000n + 5_000n);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([1_000n, 2_000n, 1_000n]);
      expect(p.runningCount).to.equal(2n);
      expect(p.status).to.equal(PoolStatus.Active);
    });

    it("starts a workload with zero rates: emptyAt NEVER, Active", async () => {
      const ctx = await setup();
      const { startedAt } = await assignAndStart(ctx, ctx.poolId, { cu: 0n, su: 0n, ipv4u: 0n });
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Active);
      expect(p.runningCount).to.equal(1n);
      expect(p.lastUpdated).to.equal(startedAt);
    });
  });
});
