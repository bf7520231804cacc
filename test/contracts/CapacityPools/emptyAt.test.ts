import { expect } from "chai";

import {
  MILLI,
  NEVER,
  PoolStatus,
  type RatesT,
  assign,
  assignAndStart,
  at,
  createPool,
  deployPoolsFixture,
  now,
  poolFixture,
  runningPoolFixture,
  start,
  topUp,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools emptyAt", () => {
  const setup = () => loadPoolsFixture(deployPoolsFixture);

  /** A pool with the given capacity and one workload at `rates` started at a known second; its emptyAt. */
  async function started(
    ctx: PoolsFixture,
    capacity: { cus: bigint; sus: bigint; ipv4us: bigint },
    rates: RatesT,
    startAt?: bigint,
  ) {
    const { poolId } = await createPool(ctx, capacity);
    const t = startAt ?? (await now()) + 30n;
    const { startedAt } = await assignAndStart(ctx, poolId, rates, { at: t });
    const p = await ctx.pools.getPool(poolId);
    return { poolId, startedAt, emptyAt: p.emptyAt, status: p.status, p };
  }

  describe("when no rate is non-zero", () => {
    it("is NEVER for an idle pool", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Idle);
    });

    it("is NEVER with zero-rate workloads running, which draw nothing", async () => {
      const ctx = await setup();
      const s = await started(ctx, { cus: 0n, sus: 0n, ipv4us: 0n }, { cu: 0n, su: 0n, ipv4u: 0n });
      expect(s.emptyAt).to.equal(NEVER);
      expect(s.status).to.equal(PoolStatus.Active);
      await at(s.startedAt + 1_000_000n);
      await expect(ctx.pools.syncPool(s.poolId)).to.not.emit(ctx.pools, "Accrued");
      expect((await ctx.pools.getPool(s.poolId)).status).to.equal(PoolStatus.Active);
    });
  });

  it("never binds on a resource with a zero rate, even with a zero balance", async () => {
    const ctx = await setup();
    const s = await started(ctx, { cus: 0n, sus: 1_000n, ipv4us: 0n }, { cu: 0n, su: 1_000n, ipv4u: 0n });
    expect(s.emptyAt).to.equal(s.startedAt + 1_000n);
  });

  it("takes the minimum over the resources with rates: each binds in turn", async () => {
    const ctx = await setup();
    const rates = { cu: 1_000n, su: 2_000n, ipv4u: 4_000n };
    // Runways 1000 × cus / 1000, 1000 × sus / 2000, 1000 × ipv4us / 4000.
    const cases: Array<[{ cus: bigint; sus: bigint; ipv4us: bigint }, bigint]> = [
      [{ cus: 500n, sus: 2_000n, ipv4us: 4_000n }, 500n],
      [{ cus: 1_000n, sus: 1_400n, ipv4us: 4_000n }, 700n],
      [{ cus: 1_000n, sus: 2_000n, ipv4us: 1_200n }, 300n],
    ];
    for (const [capacity, runway] of cases) {
      const s = await started(ctx, capacity, rates);
      expect(
        s.emptyAt,
        JSON.stringify(capacity, (_, v: unknown) => String(v)),
      ).to.equal(s.startedAt + runway);
    }
  });

  it("rounds down, leaving the remainder in the pool unpaid", async () => {
    const ctx = await setup();
    const s = await started(ctx, { cus: 1_000n, sus: 0n, ipv4us: 0n }, { cu: 3_000n, su: 0n, ipv4u: 0n });
    expect(s.emptyAt).to.equal(s.startedAt + 333n);
    await at(s.emptyAt + 5n);
    await ctx.pools.syncPool(s.poolId);
    const p = await ctx.pools.getPool(s.poolId);
    // 1_000_000 − 333 × 3000 = 1000 milli-CU·s left, worth ⌈7000 × 1000 / 1_000_000⌉ of the 7000 paid.
    expect(p.cu.balance).to.equal(1_000n);
    expect(p.cu.value).to.equal(7_000n - (7_000n * 999_000n) / 1_000_000n);
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(6_993n);
    expect(p.status).to.equal(PoolStatus.Empty);
  });

  describe("when the runway does not fit a uint40", () => {
    /** A start second T with NEVER − T a multiple of 1000, ahead of now; k = (NEVER − T) / 1000. */
    async function boundary() {
      const k = (NEVER - ((await now()) + 100n)) / MILLI;
      return { k, t: NEVER - k * MILLI };
    }
    const ONE_MILLI_CU = { cu: 1n, su: 0n, ipv4u: 0n };

    it("is NEVER at exactly NEVER − now of runway, and NEVER − 1 at one second less", async () => {
      const ctx = await setup();
      const { k, t } = await boundary();
      const exact = await started(ctx, { cus: k, sus: 0n, ipv4us: 0n }, ONE_MILLI_CU, t);
      expect(exact.emptyAt).to.equal(NEVER);
      expect(exact.status).to.equal(PoolStatus.Active);
      // At t + 999, NEVER − now is 1000 (k − 1) + 1: a runway of 1000 (k − 1) seconds fits, just.
      const earlier = await started(ctx, { cus: k - 1n, sus: 0n, ipv4us: 0n }, ONE_MILLI_CU, t + 999n);
      expect(earlier.emptyAt).to.equal(NEVER - 1n);
      expect(earlier.status).to.equal(PoolStatus.Active);
    });

    it("still draws a NEVER pool down, and gives it a finite emptyAt when a faster workload starts", async () => {
      const ctx = await setup();
      const s = await started(ctx, { cus: 2_000_000_000n, sus: 0n, ipv4us: 0n }, ONE_MILLI_CU);
      expect(s.emptyAt).to.equal(NEVER);
      await at(s.startedAt + 1_000n);
      await ctx.pools.syncPool(s.poolId);
      const p = await ctx.pools.getPool(s.poolId);
      expect(p.cu.balance).to.equal(2_000_000_000n * MILLI - 1_000n);
      expect(p.emptyAt).to.equal(NEVER);
      const id = await assign(ctx, s.poolId, { cu: 999n, su: 0n, ipv4u: 0n });
      await at(s.startedAt + 2_000n);
      await start(ctx, id);
      // (2e12 − 2000) / 1000 = 1_999_999_998 s.
      expect((await ctx.pools.getPool(s.poolId)).emptyAt).to.equal(s.startedAt + 2_000n + 1_999_999_998n);
    });
  });

  it("is not moved by syncs, and recomputed to the same value by a change that adds no runway", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    for (const dt of [5n, 777n, 5_000n, 9_999n]) {
      await at(ctx.startedAt + dt);
      await ctx.pools.syncPool(ctx.poolId);
      expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(ctx.emptyAt);
    }
    await topUp(ctx, ctx.poolId, { cus: 0n, sus: 1n, ipv4us: 0n });
    expect((await ctx.pools.getPool(ctx.poolId)).emptyAt).to.equal(ctx.emptyAt);
  });
});
