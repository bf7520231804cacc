import { expect } from "chai";
import { ethers } from "hardhat";

import {
  GRACE,
  MAX_BATCH,
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
  makeReservation,
  mined,
  poolUpdatedArgs,
  runningPoolFixture,
  sendReservation,
  topUp,
  type RunningFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.closeExpiredWorkloads", () => {
  /** The running fixture with a second workload on node 1 started 1000 s in: empty at startedAt + 5500. */
  async function twoRunningFixture(): Promise<RunningFixture & { second: string }> {
    const ctx = await runningPoolFixture();
    const { id } = await assignAndStart(ctx, ctx.poolId, RATES, { nodeId: ctx.nodes[1], at: ctx.startedAt + 1_000n });
    return { ...ctx, second: id, emptyAt: ctx.startedAt + 5_500n };
  }

  it("reverts with CapacityPools_EmptyList for an empty list", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await expect(ctx.pools.closeExpiredWorkloads([])).to.be.revertedWithCustomError(
      ctx.pools,
      "CapacityPools_EmptyList",
    );
  });

  it("reverts with CapacityPools_TooMany for more than 32 IDs", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const ids = Array.from({ length: MAX_BATCH + 1 }, () => ctx.workloadId);
    await expect(ctx.pools.closeExpiredWorkloads(ids))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_TooMany")
      .withArgs(33n, 32n);
  });

  it("reverts with CapacityPools_InvalidWorkloadStatus for an ID that is not running, closing none", async () => {
    const ctx = await loadPoolsFixture(twoRunningFixture);
    const unknown = ethers.id("nope");
    const assigned = await assign(ctx, ctx.poolId);
    const removed = await assign(ctx, ctx.poolId);
    await ctx.pools.connect(ctx.customer).removeWorkload(removed);
    await at(ctx.emptyAt + GRACE + 1n);
    for (const [id, status] of [
      [unknown, WorkloadStatus.None],
      [assigned, WorkloadStatus.Assigned],
      [removed, WorkloadStatus.Removed],
    ] as const) {
      await expect(ctx.pools.closeExpiredWorkloads([ctx.workloadId, id]))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidWorkloadStatus")
        .withArgs(id, status);
    }
    await expect(ctx.pools.closeExpiredWorkloads([ctx.workloadId, ctx.workloadId]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidWorkloadStatus")
      .withArgs(ctx.workloadId, WorkloadStatus.Expired);
    expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Running);
    await ctx.pools.closeExpiredWorkloads([ctx.workloadId]);
    await expect(ctx.pools.closeExpiredWorkloads([ctx.workloadId]))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidWorkloadStatus")
      .withArgs(ctx.workloadId, WorkloadStatus.Expired);
  });

  it("reverts with CapacityPools_NotExpired until the grace period is over", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    const cases: Array<[bigint, number]> = [
      [ctx.startedAt + 10n, PoolStatus.Active],
      [ctx.emptyAt - 10n, PoolStatus.RunwayLow],
      [ctx.emptyAt, PoolStatus.Empty],
      [ctx.emptyAt + GRACE, PoolStatus.Empty],
    ];
    for (const [ts, status] of cases) {
      await at(ts);
      await expect(ctx.pools.connect(ctx.stranger).closeExpiredWorkloads([ctx.workloadId]))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NotExpired")
        .withArgs(ctx.poolId, status);
    }
    expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Running);
  });

  it("lets anyone close the last workload: Expired, accrued up to emptyAt only, pool Idle", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + GRACE + 1n);
    const tx = await ctx.pools.connect(ctx.stranger).closeExpiredWorkloads([ctx.workloadId]);
    expect(eventNames(ctx.pools, await mined(tx))).to.deep.equal([
      "Accrued",
      "WorkloadExpired",
      "PoolStatusChanged",
      "PoolUpdated",
    ]);
    await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, defaultAccrual(10_000n));
    await expect(tx).to.emit(ctx.pools, "WorkloadExpired").withArgs(ctx.workloadId, ctx.poolId, ctx.stranger.address);
    await expect(tx)
      .to.emit(ctx.pools, "PoolStatusChanged")
      .withArgs(ctx.poolId, PoolStatus.Idle, NEVER, NEVER + GRACE);
    const p = await ctx.pools.getPool(ctx.poolId);
    await expect(tx)
      .to.emit(ctx.pools, "PoolUpdated")
      .withArgs(...poolUpdatedArgs(ctx.poolId, p));
    expect(p.status).to.equal(PoolStatus.Idle);
    expect(p.emptyAt).to.equal(NEVER);
    expect(p.runningCount).to.equal(0n);
    expect(p.workloadCount).to.equal(0n);
    expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([0n, 0n, 0n]);
    expect(p.cu.balance).to.equal(0n);
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(70_000n + 15_000n);
    expect((await ctx.pools.getWorkload(ctx.workloadId)).status).to.equal(WorkloadStatus.Expired);
    // Idle again, the pool takes top-ups.
    await topUp(ctx, ctx.poolId);
  });

  it("expires a pool's workloads together: emptyAt stays and top-ups are refused until the last is closed", async () => {
    const ctx = await loadPoolsFixture(twoRunningFixture);
    await at(ctx.emptyAt + GRACE + 1n);
    const first = await ctx.pools.closeExpiredWorkloads([ctx.second]);
    expect(eventNames(ctx.pools, await mined(first))).to.deep.equal([
      "Accrued",
      "WorkloadExpired",
      "PoolStatusChanged",
      "PoolUpdated",
    ]);
    await expect(first)
      .to.emit(ctx.pools, "PoolStatusChanged")
      .withArgs(ctx.poolId, PoolStatus.GraceOver, ctx.emptyAt, ctx.emptyAt + GRACE);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.emptyAt).to.equal(ctx.emptyAt);
    expect(p.status).to.equal(PoolStatus.GraceOver);
    expect(p.runningCount).to.equal(1n);
    expect([p.cuRate, p.suRate]).to.deep.equal([RATES.cu, RATES.su]);
    // The SU left would last the other workload, but closing one does not revive the pool.
    expect(p.su.balance).to.be.greaterThan(0n);
    await expect(sendReservation(ctx, makeReservation(ctx, { poolId: ctx.poolId })))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_GraceOver")
      .withArgs(ctx.poolId, ctx.emptyAt + GRACE);
    const last = await ctx.pools.closeExpiredWorkloads([ctx.workloadId]);
    expect(eventNames(ctx.pools, await mined(last))).to.deep.equal([
      "WorkloadExpired",
      "PoolStatusChanged",
      "PoolUpdated",
    ]);
    expect((await ctx.pools.getPool(ctx.poolId)).status).to.equal(PoolStatus.Idle);
    await topUp(ctx, ctx.poolId);
  });

  it("closes the workloads of several pools in one call", async () => {
    const ctx = await loadPoolsFixture(twoRunningFixture);
    const other = await createPool(ctx, { cus: 1_000n, sus: 0n, ipv4us: 0n });
    const { id, startedAt } = await assignAndStart(ctx, other.poolId, { cu: 1_000n, su: 0n, ipv4u: 0n });
    const otherEmptyAt = startedAt + 1_000n;
    await at(ctx.emptyAt + GRACE + 1n);
    expect(otherEmptyAt + GRACE).to.be.lessThan(ctx.emptyAt + GRACE + 1n);
    const tx = await ctx.pools.closeExpiredWorkloads([ctx.workloadId, id, ctx.second]);
    await expect(tx).to.emit(ctx.pools, "WorkloadExpired").withArgs(ctx.workloadId, ctx.poolId, ctx.deployer.address);
    await expect(tx).to.emit(ctx.pools, "WorkloadExpired").withArgs(id, other.poolId, ctx.deployer.address);
    await expect(tx).to.emit(ctx.pools, "WorkloadExpired").withArgs(ctx.second, ctx.poolId, ctx.deployer.address);
    expect((await ctx.pools.getPool(ctx.poolId)).status).to.equal(PoolStatus.Idle);
    expect((await ctx.pools.getPool(other.poolId)).status).to.equal(PoolStatus.Idle);
    for (const w of [ctx.workloadId, id, ctx.second]) {
      expect((await ctx.pools.getWorkload(w)).status).to.equal(WorkloadStatus.Expired);
    }
  });

  it("closes MAX_BATCH workloads in one call", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await ctx.pools.connect(ctx.customer).removeWorkload(ctx.workloadId);
    const rates = { cu: 10n, su: 0n, ipv4u: 0n };
    const ids: string[] = [];
    for (let i = 0; i < MAX_BATCH; i++) ids.push((await assignAndStart(ctx, ctx.poolId, rates)).id);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.runningCount).to.equal(32n);
    await at(p.emptyAt + GRACE + 1n);
    const receipt = await mined(ctx.pools.closeExpiredWorkloads(ids));
    const names = eventNames(ctx.pools, receipt);
    expect(names.filter((n) => n === "WorkloadExpired")).to.have.lengthOf(32);
    expect(names.filter((n) => n === "PoolUpdated")).to.have.lengthOf(32);
    const q = await ctx.pools.getPool(ctx.poolId);
    expect(q.runningCount).to.equal(0n);
    expect(q.status).to.equal(PoolStatus.Idle);
    // Dry: less CU is left than the 32 workloads draw in a second.
    expect(q.cu.balance).to.be.lessThan(32n * rates.cu);
  });
});
