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
  paidFor,
  poolFixture,
  poolUpdatedArgs,
  runningPoolFixture,
  PRICES,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.removeWorkload", () => {
  it("does nothing for an unknown workload, whoever calls", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    for (const caller of [ctx.stranger, ctx.customer]) {
      const receipt = await mined(ctx.pools.connect(caller).removeWorkload(ethers.id("nope")));
      expect(eventNames(ctx.pools, receipt)).to.deep.equal([]);
    }
  });

  it("reverts with CapacityPools_Unauthorized for anyone but the owner and the provider", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const sponsored = await createPool(ctx, { sponsor: ctx.sponsor.address });
    const inSponsored = await assign(ctx, sponsored.poolId);
    const removed = await assign(ctx, ctx.poolId);
    await ctx.pools.connect(ctx.customer).removeWorkload(removed);
    for (const [id, caller] of [
      [ctx.workloadId, ctx.stranger],
      [ctx.workloadId, ctx.otherProvider],
      [inSponsored, ctx.sponsor],
      [removed, ctx.stranger],
    ] as const) {
      await expect(ctx.pools.connect(caller).removeWorkload(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_Unauthorized")
        .withArgs(id, caller.address);
    }
    expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Running);
  });

  it("does nothing for a removed or expired workload", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const removed = await assign(ctx, ctx.poolId);
    await ctx.pools.connect(ctx.provider).removeWorkload(removed);
    await at(ctx.emptyAt + GRACE + 1n);
    await ctx.pools.closeExpiredWorkloads([ctx.workloadId]);
    const before = await ctx.pools.getPool(ctx.poolId);
    for (const id of [removed, ctx.workloadId]) {
      for (const caller of [ctx.customer, ctx.provider]) {
        const receipt = await mined(ctx.pools.connect(caller).removeWorkload(id));
        expect(eventNames(ctx.pools, receipt)).to.deep.equal([]);
      }
    }
    expect((await ctx.pools.getWorkload(removed)).status).to.equal(WorkloadStatus.Removed);
    expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Expired);
    expect((await ctx.pools.getPool(ctx.poolId)).workloadCount).to.equal(before.workloadCount);
  });

  it("removes an assigned workload: Removed, uncounted, WorkloadRemoved and PoolUpdated", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const byOwner = await assign(ctx, ctx.poolId);
    const byProvider = await assign(ctx, ctx.poolId);
    for (const [caller, workload, left] of [
      [ctx.customer, byOwner, 1n],
      [ctx.provider, byProvider, 0n],
    ] as const) {
      const tx = await ctx.pools.connect(caller).removeWorkload(workload);
      expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal(["WorkloadRemoved", "PoolUpdated"]);
      await expect(tx).to.emit(ctx.pools, "WorkloadRemoved").withArgs(workload, ctx.poolId, caller.address);
      const p = await ctx.pools.getPool(ctx.poolId);
      await expect(tx)
        .to.emit(ctx.pools, "PoolUpdated")
        .withArgs(...poolUpdatedArgs(ctx.poolId, p));
      expect((await ctx.pools.getWorkload(workload)).status).to.equal(WorkloadStatus.Removed);
      expect(p.workloadCount).to.equal(left);
      expect(p.runningCount).to.equal(0n);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Idle);
    }
  });

  describe("a running workload", () => {
    it("syncs, subtracts its rates and makes the pool Idle when it was the last (the owner removes it)", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.startedAt + 3_001n);
      const tx = await ctx.pools.connect(ctx.customer).removeWorkload(ctx.workloadId);
      expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal([
        "Accrued",
        "WorkloadRemoved",
        "PoolStatusChanged",
        "PoolUpdated",
      ]);
      const accrued = defaultAccrual(3_001n);
      expect(accrued).to.equal(7n * 3_001n + 4_501n);
      await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, accrued);
      await expect(tx).to.emit(ctx.pools, "WorkloadRemoved").withArgs(ctx.workloadId, ctx.poolId, ctx.customer.address);
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Idle, NEVER, NEVER + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Idle);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([0n, 0n, 0n]);
      expect(p.runningCount).to.equal(0n);
      expect(p.workloadCount).to.equal(0n);
      expect(p.lastUpdated).to.equal(ctx.startedAt + 3_001n);
      expect(p.cu.balance).to.equal(CAPACITY.cus * MILLI - 3_001n * RATES.cu);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(accrued);
      expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Removed);
    });

    it("recomputes emptyAt from the others' rates when others run (the provider removes it)", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const { id } = await assignAndStart(ctx, ctx.poolId, RATES, { at: ctx.startedAt + 1_000n });
      // From startedAt + 1000 at 2 CU/s: 9_000_000 left, empty at startedAt + 5500.
      expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(ctx.startedAt + 5_500n);
      await at(ctx.startedAt + 2_000n);
      const tx = await ctx.pools.connect(ctx.provider).removeWorkload(id);
      await expect(tx).to.emit(ctx.pools, "WorkloadRemoved").withArgs(id, ctx.poolId, ctx.provider.address);
      await expect(tx).to.not.emit(ctx.pools, "PoolStatusChanged");
      const p = await ctx.pools.getPool(ctx.poolId);
      // 7_000_000 left at 1 CU/s.
      expect(p.cu.balance).to.equal(7_000_000n);
      expect(p.emptyAt).to.equal(ctx.startedAt + 2_000n + 7_000n);
      expect([p.cuRate, p.suRate]).to.deep.equal([RATES.cu, RATES.su]);
      expect(p.runningCount).to.equal(1n);
      expect(p.status).to.equal(PoolStatus.Active);
    });
  });

  describe("in an Empty pool", () => {
    it("resumes the others when the removed workload drained the exhausted resource", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const t0 = (await now()) + 30n;
      const cuOnly = await assignAndStart(ctx, ctx.poolId, { cu: 1_000n, su: 0n, ipv4u: 0n }, { at: t0 });
      await assignAndStart(ctx, ctx.poolId, { cu: 0n, su: 1_000n, ipv4u: 0n }, { at: t0 + 10n });
      // CU runs out first: 10_000_000 at 1 CU/s from t0 → t0 + 10_000 (SU: 20_000 s from t0 + 10).
      const emptyAt = t0 + 10_000n;
      expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(emptyAt);
      await at(emptyAt + 100n);
      await expect(ctx.pools.syncPool(ctx.poolId))
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Empty, emptyAt, emptyAt + GRACE);
      await at(emptyAt + 500n);
      const tx = await ctx.pools.connect(ctx.customer).removeWorkload(cuOnly.id);
      // The sync at emptyAt + 100 accrued up to emptyAt: nothing is left to accrue for the dry gap.
      await expect(tx).to.not.emit(ctx.pools, "Accrued");
      // Since the second start (t0 + 10, which accrued the first 10 s of CU), up to emptyAt only: the rest of
      // the CU, all its value, and SU for 9_990 s of 20_000 s.
      const cuPaid = 70_000n - 7n * 10n;
      const suPaid = paidFor(CAPACITY.sus * PRICES.su, 9_990n * 1_000n, CAPACITY.sus * MILLI);
      expect(suPaid).to.equal(29_970n);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(70n + cuPaid + suPaid);
      const suLeft = CAPACITY.sus * MILLI - 9_990n * 1_000n;
      const resumed = emptyAt + 500n + suLeft / 1_000n;
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Active, resumed, resumed + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(resumed);
      expect(p.su.balance).to.equal(suLeft);
      // The SU workload draws again from the removal on.
      await at(emptyAt + 600n);
      await expect(ctx.pools.syncPool(ctx.poolId))
        .to.emit(ctx.pools, "Accrued")
        .withArgs(ctx.poolId, ctx.provider.address, paidFor(p.su.value, 100n * 1_000n, suLeft));
    });

    it("leaves emptyAt (and the grace period) where it was when the others still draw on the exhausted resource", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const { id } = await assignAndStart(ctx, ctx.poolId, RATES, { at: ctx.startedAt + 1_000n });
      const emptyAt = ctx.startedAt + 5_500n;
      await at(emptyAt + 100n);
      const tx = await ctx.pools.connect(ctx.customer).removeWorkload(id);
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Empty, emptyAt, emptyAt + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(emptyAt);
      expect(p.status).to.equal(PoolStatus.Empty);
      expect(p.runningCount).to.equal(1n);
      await at(emptyAt + GRACE + 1n);
      await expect(ctx.pools.closeExpiredWorkloads([ctx.workloadId]))
        .to.emit(ctx.pools, "WorkloadExpired")
        .withArgs(ctx.workloadId, ctx.poolId, ctx.deployer.address);
    });
  });

  describe("in a pool past its grace period", () => {
    it("keeps emptyAt and GraceOver while others run, and makes the pool Idle with the last", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const { id } = await assignAndStart(ctx, ctx.poolId, RATES, { at: ctx.startedAt + 1_000n });
      const emptyAt = ctx.startedAt + 5_500n;
      await at(emptyAt + GRACE + 1n);
      const first = await ctx.pools.connect(ctx.provider).removeWorkload(id);
      await expect(first)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.GraceOver, emptyAt, emptyAt + GRACE);
      let p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(emptyAt);
      expect(p.status).to.equal(PoolStatus.GraceOver);
      expect(p.runningCount).to.equal(1n);
      const last = await ctx.pools.connect(ctx.provider).removeWorkload(ctx.workloadId);
      await expect(last)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Idle, NEVER, NEVER + GRACE);
      await expect(last).to.not.emit(ctx.pools, "Accrued");
      p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Idle);
      expect(p.runningCount).to.equal(0n);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([0n, 0n, 0n]);
    });
  });
});
