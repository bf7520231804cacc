import { expect } from "chai";

import {
  GRACE,
  PoolStatus,
  RATES,
  WorkloadStatus,
  assign,
  assignAndStart,
  at,
  createPool,
  defaultAccrual,
  deployPoolsFixture,
  makeReservation,
  paidFor,
  runningPoolFixture,
  sendReservation,
  topUp,
  type RunningFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools grace period", () => {
  /** Two RATES workloads, the second started 1000 s in: CU runs out at startedAt + 5500. */
  async function twoRunningFixture(): Promise<RunningFixture & { second: string }> {
    const ctx = await runningPoolFixture();
    const { id } = await assignAndStart(ctx, ctx.poolId, RATES, { nodeId: ctx.nodes[1], at: ctx.startedAt + 1_000n });
    return { ...ctx, second: id, emptyAt: ctx.startedAt + 5_500n };
  }

  /** The same as runningPoolFixture with no grace period. */
  async function zeroGraceFixture() {
    const ctx = await deployPoolsFixture();
    const { poolId } = await createPool(ctx, { graceSeconds: 0n });
    const { startedAt } = await assignAndStart(ctx, poolId);
    return { ...ctx, poolId, emptyAt: startedAt + 10_000n };
  }

  const CU_ONLY = { sus: 0n, ipv4us: 0n };

  describe("when a running pool reaches emptyAt", () => {
    it("stops accruing, is Empty through the grace period, keeps its workloads, refuses new ones", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.emptyAt + 50n);
      const tx = await ctx.pools.syncPool(ctx.poolId);
      // SU has balance left, but stops with CU: 10_000 s of it, not 10_050.
      await expect(tx)
        .to.emit(ctx.pools, "Accrued")
        .withArgs(ctx.poolId, ctx.provider.address, 70_000n + 15_000n);
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Empty, ctx.emptyAt, ctx.emptyAt + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.status).to.equal(PoolStatus.Empty);
      expect(p.runningCount).to.equal(1n);
      expect([p.cuRate, p.suRate]).to.deep.equal([RATES.cu, RATES.su]);
      expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Running);
      const id = await assign(ctx, ctx.poolId);
      await at(ctx.emptyAt + GRACE);
      await expect(ctx.pools.connect(ctx.provider).startWorkload(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InsufficientRunway")
        .withArgs(ctx.poolId, ctx.emptyAt + GRACE, ctx.emptyAt + GRACE + 121n);
      await at(ctx.emptyAt + GRACE + 1n);
      await expect(ctx.pools.syncPool(ctx.poolId))
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.GraceOver, ctx.emptyAt, ctx.emptyAt + GRACE);
    });
  });

  describe("when topped up within the grace period", () => {
    it("accrues nothing for the dry gap, resumes every workload and accrues again from the top-up", async () => {
      const ctx = await loadPoolsFixture(twoRunningFixture);
      const t1 = ctx.emptyAt + 1_000n;
      await at(t1);
      const t = await topUp(ctx, ctx.poolId, { cus: 10_000n, ...CU_ONLY });
      // From the second start to emptyAt (4500 s): all the CU left (63_000) and SU 4_500_000 of 19_500_000.
      const suPaid = paidFor(58_500n, 4_500_000n, 19_500_000n);
      expect(suPaid).to.equal(13_500n);
      await expect(t.tx)
        .to.emit(ctx.pools, "Accrued")
        .withArgs(ctx.poolId, ctx.provider.address, 63_000n + suPaid);
      // 10_000_000 CU at 2 CU/s: 5000 s; SU 15_000_000 at 1 SU/s: 15_000 s.
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(t1 + 5_000n);
      expect(p.status).to.equal(PoolStatus.Active);
      expect(p.runningCount).to.equal(2n);
      expect([p.cuRate, p.suRate]).to.deep.equal([2n * RATES.cu, 2n * RATES.su]);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(defaultAccrual(1_000n) + 63_000n + suPaid);
      await at(t1 + 1_000n);
      await expect(ctx.pools.syncPool(ctx.poolId))
        .to.emit(ctx.pools, "Accrued")
        .withArgs(ctx.poolId, ctx.provider.address, 14_000n + 3_000n);
    });

    it("emits PoolStatusChanged(Active) for a pool stored Empty, up to exactly emptyAt + grace", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.emptyAt + 10n);
      await ctx.pools.syncPool(ctx.poolId);
      const t1 = ctx.emptyAt + GRACE;
      await at(t1);
      const t = await topUp(ctx, ctx.poolId, { cus: 5_000n, ...CU_ONLY });
      await expect(t.tx).to.not.emit(ctx.pools, "Accrued");
      await expect(t.tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Active, t1 + 5_000n, t1 + 5_000n + GRACE);
      expect((await ctx.pools.getPool(ctx.poolId)).status).to.equal(PoolStatus.Active);
    });
  });

  it("refuses a top-up after the grace period with CapacityPools_GraceOver", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + GRACE + 1n);
    await expect(sendReservation(ctx, makeReservation(ctx, { poolId: ctx.poolId })))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceOver")
      .withArgs(ctx.poolId, ctx.emptyAt + GRACE);
  });

  describe("with no grace period", () => {
    it("resumes the pool on a top-up at emptyAt", async () => {
      const ctx = await loadPoolsFixture(zeroGraceFixture);
      await at(ctx.emptyAt);
      await topUp(ctx, ctx.poolId, { cus: 1_000n, ...CU_ONLY });
      expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(ctx.emptyAt + 1_000n);
    });

    it("refuses a top-up at emptyAt + 1 with CapacityPools_GraceOver(poolId, emptyAt)", async () => {
      const ctx = await loadPoolsFixture(zeroGraceFixture);
      await at(ctx.emptyAt + 1n);
      await expect(sendReservation(ctx, makeReservation(ctx, { poolId: ctx.poolId })))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceOver")
        .withArgs(ctx.poolId, ctx.emptyAt);
    });
  });

  it("keeps emptyAt on a top-up that buys only what does not bind", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + 100n);
    await ctx.pools.syncPool(ctx.poolId);
    await at(ctx.emptyAt + 200n);
    const t = await topUp(ctx, ctx.poolId, { cus: 0n, sus: 1_000n, ipv4us: 1_000n });
    await expect(t.tx).to.not.emit(ctx.pools, "PoolStatusChanged");
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.emptyAt).to.equal(ctx.emptyAt);
    expect(p.status).to.equal(PoolStatus.Empty);
    await at(ctx.emptyAt + GRACE + 1n);
    await expect(sendReservation(ctx, makeReservation(ctx, { poolId: ctx.poolId })))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceOver")
      .withArgs(ctx.poolId, ctx.emptyAt + GRACE);
  });

  it("is not extended by changes that add no runway", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + GRACE - 20n);
    const id = await assign(ctx, ctx.poolId);
    await ctx.pools.connect(ctx.customer).removeWorkload(id);
    expect((await ctx.pools.getPool(ctx.poolId)).emptyAt, "after assign + remove").to.equal(ctx.emptyAt);
    await topUp(ctx, ctx.poolId, { cus: 0n, sus: 0n, ipv4us: 0n, nodeIds: [ctx.nodes[9]] });
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.emptyAt, "after a node-only top-up").to.equal(ctx.emptyAt);
    expect(p.status).to.equal(PoolStatus.Empty);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[9])).to.equal(true);
    await at(ctx.emptyAt + GRACE + 1n);
    await expect(ctx.pools.connect(ctx.stranger).closeExpiredWorkloads([ctx.workloadId]))
      .to.emit(ctx.pools, "WorkloadExpired")
      .withArgs(ctx.workloadId, ctx.poolId, ctx.stranger.address);
  });
  it("resumes only with more than MIN_RUNWAY of runway: a smaller top-up leaves it Empty, its grace running", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + 100n);
    await ctx.pools.syncPool(ctx.poolId); // stored Empty
    // 120 CU·s at 1 CU a second: exactly MIN_RUNWAY, not more.
    const small = await topUp(ctx, ctx.poolId, { cus: 120n, sus: 0n, ipv4us: 0n });
    await expect(small.tx).to.not.emit(ctx.pools, "PoolStatusChanged");
    let p = await ctx.pools.getPool(ctx.poolId);
    expect(p.emptyAt).to.equal(ctx.emptyAt);
    expect(p.status).to.equal(PoolStatus.Empty);
    expect(p.cu.balance).to.equal(120_000n);
    // Nothing is drawn while it stays empty: one more CU·s makes 121 s, and it resumes from that top-up.
    await at(ctx.emptyAt + 500n);
    const more = await topUp(ctx, ctx.poolId, { cus: 1n, sus: 0n, ipv4us: 0n });
    await expect(more.tx).to.not.emit(ctx.pools, "Accrued");
    await expect(more.tx)
      .to.emit(ctx.pools, "PoolStatusChanged")
      .withArgs(ctx.poolId, PoolStatus.RunwayLow, more.at + 121n, more.at + 121n + GRACE);
    p = await ctx.pools.getPool(ctx.poolId);
    expect(p.emptyAt).to.equal(more.at + 121n);
    expect(p.cu.balance).to.equal(121_000n);
  });
});
