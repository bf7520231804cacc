import { expect } from "chai";
import { ethers } from "hardhat";

import {
  CAPACITY,
  GRACE,
  LOW_RUNWAY,
  MILLI,
  PRICES,
  PoolStatus,
  RATES,
  at,
  blockTime,
  defaultAccrual,
  eventNames,
  mined,
  paidFor,
  poolFixture,
  poolUpdatedArgs,
  runningPoolFixture,
  valueOf,
  type RunningFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.syncPool", () => {
  async function syncAt(ctx: RunningFixture, ts: bigint) {
    await at(ts);
    const tx = await ctx.pools.connect(ctx.stranger).syncPool(ctx.poolId);
    return { tx, receipt: await mined(tx) };
  }

  it("reverts with CapacityPools_PoolNotFound for an unknown pool", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const id = ethers.id("nope");
    await expect(ctx.pools.syncPool(id))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolNotFound")
      .withArgs(id);
  });

  it("only moves lastUpdated when nothing runs", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const before = await ctx.pools.getPool(ctx.poolId);
    const tx = await ctx.pools.connect(ctx.stranger).syncPool(ctx.poolId);
    const receipt = await mined(tx);
    expect(eventNames(ctx.pools, receipt)).to.deep.equal(["PoolUpdated"]);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.lastUpdated).to.equal(await blockTime(receipt));
    expect(p.lastUpdated).to.be.greaterThan(before.lastUpdated);
    expect(p.cu).to.deep.equal(before.cu);
    expect(p.su).to.deep.equal(before.su);
    expect(p.emptyAt).to.equal(before.emptyAt);
    await expect(tx)
      .to.emit(ctx.pools, "PoolUpdated")
      .withArgs(...poolUpdatedArgs(ctx.poolId, p));
  });

  describe("when workloads run", () => {
    it("draws the balances down and accrues to the provider, to the wei, whoever calls", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const t = 1_234n;
      const { tx, receipt } = await syncAt(ctx, ctx.startedAt + t);
      expect(eventNames(ctx.pools, receipt)).to.deep.equal(["Accrued", "PoolUpdated"]);
      // CU: 70_000 × 1_234_000 / 10_000_000 = 8638; SU: ⌊60_000 × 617_000 / 20_000_000⌋ = ⌊1851⌋ = 1851.
      const amount = 8_638n + 1_851n;
      expect(defaultAccrual(t)).to.equal(amount);
      await expect(tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, amount);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(amount);
      expect(await ctx.pools.earnings(ctx.stranger.address)).to.equal(0n);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.lastUpdated).to.equal(ctx.startedAt + t);
      expect(p.emptyAt).to.equal(ctx.emptyAt);
      expect(p.cu.balance).to.equal(CAPACITY.cus * MILLI - RATES.cu * t);
      expect(p.su.balance).to.equal(CAPACITY.sus * MILLI - RATES.su * t);
      expect(p.ipv4u.balance).to.equal(CAPACITY.ipv4us * MILLI);
      expect([p.cu.value, p.su.value, p.ipv4u.value]).to.deep.equal([70_000n - 8_638n, 60_000n - 1_851n, 55_000n]);
      await expect(tx)
        .to.emit(ctx.pools, "PoolUpdated")
        .withArgs(...poolUpdatedArgs(ctx.poolId, p));
    });

    it("pays no more in steps than at once, and exactly the whole CU value at emptyAt", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      let total = 0n;
      let cu = { balance: CAPACITY.cus * MILLI, value: CAPACITY.cus * PRICES.cu };
      let su = { balance: CAPACITY.sus * MILLI, value: CAPACITY.sus * PRICES.su };
      let last = ctx.startedAt;
      for (const t of [333n, 1_001n, 4_567n, 9_999n, 10_000n]) {
        const { tx } = await syncAt(ctx, ctx.startedAt + t);
        const elapsed = ctx.startedAt + t - last;
        const cuPaid = paidFor(cu.value, RATES.cu * elapsed, cu.balance);
        const suPaid = paidFor(su.value, RATES.su * elapsed, su.balance);
        cu = { balance: cu.balance - RATES.cu * elapsed, value: cu.value - cuPaid };
        su = { balance: su.balance - RATES.su * elapsed, value: su.value - suPaid };
        last = ctx.startedAt + t;
        total += cuPaid + suPaid;
        await expect(tx)
          .to.emit(ctx.pools, "Accrued")
          .withArgs(ctx.poolId, ctx.provider.address, cuPaid + suPaid);
      }
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.cu.balance).to.equal(0n);
      expect(p.cu.value).to.equal(0n);
      expect(p.su.value).to.equal(su.value);
      expect(total).to.equal(await ctx.pools.earnings(ctx.provider.address));
      expect(total).to.be.at.most(defaultAccrual(10_000n));
      expect(total + valueOf(p)).to.equal(185_000n);
    });

    it("accrues only up to emptyAt, and nothing on a later sync", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const { tx } = await syncAt(ctx, ctx.emptyAt + 500n);
      await expect(tx)
        .to.emit(ctx.pools, "Accrued")
        .withArgs(ctx.poolId, ctx.provider.address, defaultAccrual(10_000n));
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.lastUpdated).to.equal(ctx.emptyAt + 500n);
      expect(p.su.balance).to.equal(CAPACITY.sus * MILLI - RATES.su * 10_000n);
      const again = await syncAt(ctx, ctx.emptyAt + 900n);
      expect(eventNames(ctx.pools, again.receipt)).to.deep.equal(["PoolUpdated"]);
      const q = await ctx.pools.getPool(ctx.poolId);
      expect(q.su).to.deep.equal(p.su);
      expect(q.lastUpdated).to.equal(ctx.emptyAt + 900n);
    });
  });

  describe("status events", () => {
    it("emits RunwayLow at LOW_RUNWAY left (not one second before), then Empty, then GraceOver", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const graceEndsAt = ctx.emptyAt + GRACE;
      const steps: Array<[bigint, number | null]> = [
        [ctx.emptyAt - LOW_RUNWAY - 1n, null],
        [ctx.emptyAt - LOW_RUNWAY, PoolStatus.RunwayLow],
        [ctx.emptyAt - 1n, null],
        [ctx.emptyAt, PoolStatus.Empty],
        [graceEndsAt, null],
        [graceEndsAt + 1n, PoolStatus.GraceOver],
        [graceEndsAt + 2n, null],
      ];
      for (const [ts, status] of steps) {
        const { tx, receipt } = await syncAt(ctx, ts);
        if (status === null) {
          await expect(tx, `no event at ${ts - ctx.startedAt}`).to.not.emit(ctx.pools, "PoolStatusChanged");
        } else {
          await expect(tx)
            .to.emit(ctx.pools, "PoolStatusChanged")
            .withArgs(ctx.poolId, status, ctx.emptyAt, graceEndsAt);
          const names = eventNames(ctx.pools, receipt);
          expect(names.indexOf("PoolStatusChanged")).to.equal(names.indexOf("PoolUpdated") - 1);
          expect((await ctx.pools.getPool(ctx.poolId)).status).to.equal(status);
        }
      }
    });

    it("emits a single event with the status now when steps are skipped", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const { tx, receipt } = await syncAt(ctx, ctx.emptyAt + GRACE + 100n);
      expect(eventNames(ctx.pools, receipt)).to.deep.equal(["Accrued", "PoolStatusChanged", "PoolUpdated"]);
      await expect(tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.GraceOver, ctx.emptyAt, ctx.emptyAt + GRACE);
    });
  });
});
