import { expect } from "chai";

import { PoolStatus } from "../../src/model";
import {
  GraceOverError,
  InsufficientRunwayError,
  LOW_RUNWAY,
  MILLI,
  MIN_RUNWAY,
  NEVER,
  addCapacity,
  addWorkload,
  allowedInPool,
  clonePool,
  computeEmptyAt,
  currentPool,
  graceEndsAt,
  newPool,
  poolStatusAt,
  poolValue,
  removeWorkload,
  reschedule,
  runwayAt,
  syncCurrentCapacity,
  type Pool,
  type WorkloadRates,
} from "../../src/pools/model";

const T0 = 1_700_000_000n;
const FARM = `0x${"fa".repeat(32)}`;
const NODE_A = `0x${"0a".repeat(32)}`;
const NODE_B = `0x${"0b".repeat(32)}`;
const ONE_CU = { cu: 1000n, su: 0n, ipv4u: 0n };
const FREE = { cu: 0n, su: 0n, ipv4u: 0n };

/** A pool created at T0 with `cus`/`sus`/`ipv4us` whole unit-seconds bought at the given prices. */
function poolWith(
  amounts: { cus?: bigint; sus?: bigint; ipv4us?: bigint },
  prices = { cu: 1n, su: 1n, ipv4u: 1n },
  graceSeconds = 0n,
): Pool {
  const pool = newPool({ poolId: "0x01", owner: "0xowner", farmId: FARM, graceSeconds, now: T0 });
  pool.nodeIds.push(NODE_A);
  addCapacity(pool, { cus: amounts.cus ?? 0n, sus: amounts.sus ?? 0n, ipv4us: amounts.ipv4us ?? 0n }, prices, T0);
  return pool;
}

/**
 * A pool with one workload, `w1`, drawing since T0 (1 token per unit-second of each resource). Set up directly
 * rather than with AddWorkload, so that it may have less than MIN_RUNWAY left, as a pool that ran down has.
 */
function running(amounts: { cus?: bigint; sus?: bigint; ipv4us?: bigint }, rates: WorkloadRates, grace = 0n): Pool {
  const pool = poolWith(amounts, { cu: 1n, su: 1n, ipv4u: 1n }, grace);
  pool.rates = { ...rates };
  pool.runningWorkloadIds.add("w1");
  pool.workloadCount = 1;
  pool.emptyAt = computeEmptyAt(pool, T0);
  pool.status = poolStatusAt(pool, T0);
  return pool;
}

describe("pools/model", () => {
  describe("newPool", () => {
    it("is idle, never empties and holds nothing", () => {
      const pool = newPool({ poolId: "0x01", owner: "0xowner", farmId: FARM, now: T0 });
      expect(pool.status).to.equal(PoolStatus.Idle);
      expect(pool.emptyAt).to.equal(NEVER);
      expect(pool.lastUpdated).to.equal(T0);
      expect(pool.sponsor).to.equal(null);
      expect(pool.graceSeconds).to.equal(0n);
      expect(poolValue(pool)).to.equal(0n);
      expect(poolStatusAt(pool, T0 + 10n ** 6n)).to.equal(PoolStatus.Idle);
      expect(NEVER).to.equal(2n ** 40n - 1n);
    });
  });

  describe("SyncCurrentCapacity (lazy)", () => {
    it("draws each balance down by rate × elapsed and moves lastUpdated, only when called", () => {
      const pool = running({ cus: 100n, sus: 100n, ipv4us: 100n }, { cu: 1000n, su: 500n, ipv4u: 250n });
      // Nothing moves until a sync: the balances are as of lastUpdated.
      expect(pool.cu.balance).to.equal(100n * MILLI);
      syncCurrentCapacity(pool, T0 + 10n);
      expect(pool.cu.balance).to.equal(100_000n - 10_000n);
      expect(pool.su.balance).to.equal(100_000n - 5_000n);
      expect(pool.ipv4u.balance).to.equal(100_000n - 2_500n);
      expect(pool.lastUpdated).to.equal(T0 + 10n);
    });

    it("leaves the same balances after several syncs as after one, and never moves emptyAt", () => {
      const once = running({ cus: 100n, sus: 30n }, { cu: 1000n, su: 700n, ipv4u: 0n });
      const often = clonePool(once);
      const emptyAt = once.emptyAt;
      syncCurrentCapacity(once, T0 + 40n);
      for (const t of [1n, 7n, 13n, 29n, 40n]) syncCurrentCapacity(often, T0 + t);
      expect([often.cu.balance, often.su.balance]).to.deep.equal([once.cu.balance, once.su.balance]);
      expect(once.emptyAt).to.equal(emptyAt);
      expect(often.emptyAt).to.equal(emptyAt);
    });

    it("returns what the consumption is worth, and nothing without rates", () => {
      const pool = running({ cus: 100n }, ONE_CU);
      expect(syncCurrentCapacity(pool, T0 + 10n)).to.equal(10n); // 10 CU·s at 1 token each
      const idle = poolWith({ cus: 100n });
      expect(syncCurrentCapacity(idle, T0 + 50n)).to.equal(0n);
      expect(idle.cu).to.deep.equal({ balance: 100_000n, value: 100n });
      expect(idle.lastUpdated).to.equal(T0 + 50n);
    });

    it("stops accruing at emptyAt: balances are not drawn below zero, later syncs draw nothing", () => {
      const pool = running({ cus: 5n, sus: 100n }, { cu: 1000n, su: 1000n, ipv4u: 0n }, 60n);
      expect(pool.emptyAt).to.equal(T0 + 5n);
      const earned = syncCurrentCapacity(pool, T0 + 100n);
      // CU ran out at T0 + 5; SU was drawn for those 5 seconds only.
      expect(pool.cu).to.deep.equal({ balance: 0n, value: 0n });
      expect(pool.su).to.deep.equal({ balance: 95_000n, value: 95n });
      expect(earned).to.equal(5n + 5n);
      expect(pool.lastUpdated).to.equal(T0 + 100n);
      expect(syncCurrentCapacity(pool, T0 + 1_000n)).to.equal(0n);
      expect(pool.su.balance).to.equal(95_000n);
    });

    it("stops at emptyAt between two syncs too (counting from lastUpdated)", () => {
      const pool = running({ cus: 10n }, ONE_CU);
      syncCurrentCapacity(pool, T0 + 4n);
      expect(syncCurrentCapacity(pool, T0 + 60n)).to.equal(6n);
      expect(pool.cu.balance).to.equal(0n);
    });
  });

  describe("pay-out: value × consumed / balance", () => {
    it("rounds each draw down and pays the whole remaining value when the balance runs out", () => {
      // 3 CU·s bought for 10 tokens: the draws pay 10·1000/3000 = 3, then 7·1000/2000 = 3, then the last 4.
      const pool = running({ cus: 3n }, ONE_CU);
      pool.cu.value = 10n;
      expect(syncCurrentCapacity(pool, T0 + 1n)).to.equal(3n);
      expect(pool.cu).to.deep.equal({ balance: 2000n, value: 7n });
      expect(syncCurrentCapacity(pool, T0 + 2n)).to.equal(3n);
      expect(pool.cu).to.deep.equal({ balance: 1000n, value: 4n });
      expect(syncCurrentCapacity(pool, T0 + 3n)).to.equal(4n);
      expect(pool.cu).to.deep.equal({ balance: 0n, value: 0n });
    });

    it("never pays more than was paid in, however the draws are split", () => {
      for (const step of [1n, 2n, 3n, 7n, 50n]) {
        const pool = running({ cus: 7n, sus: 11n }, { cu: 333n, su: 1000n, ipv4u: 0n });
        pool.cu.value = 13n;
        pool.su.value = 17n;
        const paidIn = poolValue(pool);
        let paid = 0n;
        for (let t = step; t <= 60n; t += step) paid += syncCurrentCapacity(pool, T0 + t);
        paid += syncCurrentCapacity(pool, T0 + 60n);
        expect(paid + poolValue(pool), `step ${step}`).to.equal(paidIn);
        expect(paid).to.be.at.most(paidIn);
      }
    });

    it("keeps what a partly drawn resource is worth exact: value × consumed / balance", () => {
      const pool = running({ sus: 9n }, { cu: 0n, su: 250n, ipv4u: 0n });
      pool.su.value = 1_000n;
      // 3 s × 250 = 750 of 9000: 1000 × 750 / 9000 = 83.33… → 83.
      expect(syncCurrentCapacity(pool, T0 + 3n)).to.equal(83n);
      expect(pool.su).to.deep.equal({ balance: 8_250n, value: 917n });
    });
  });

  describe("empty-at", () => {
    it("never empties without a non-zero rate", () => {
      const pool = poolWith({ cus: 10n });
      expect(computeEmptyAt(pool, T0)).to.equal(NEVER);
      addWorkload(pool, "free", FREE, T0);
      expect(pool.emptyAt).to.equal(NEVER);
      expect(poolStatusAt(pool, T0 + 10n ** 9n)).to.equal(PoolStatus.Active);
    });

    it("is not bound by a resource with a zero rate, even an empty one", () => {
      const pool = poolWith({ sus: 100n }); // no CU at all
      pool.rates = { cu: 0n, su: 500n, ipv4u: 0n };
      expect(computeEmptyAt(pool, T0)).to.equal(T0 + 200n);
    });

    it("is the minimum over the resources of balance / rate, rounded down", () => {
      const pool = poolWith({ cus: 5n, sus: 9n, ipv4us: 1_000n });
      pool.rates = { cu: 1000n, su: 500n, ipv4u: 1000n };
      expect(computeEmptyAt(pool, T0)).to.equal(T0 + 5n); // min(5, 18, 1000)
      pool.rates = { cu: 100n, su: 500n, ipv4u: 1000n };
      expect(computeEmptyAt(pool, T0)).to.equal(T0 + 18n); // min(50, 18, 1000)
      pool.cu.balance = 1_999n;
      pool.rates = { cu: 1000n, su: 0n, ipv4u: 0n };
      expect(computeEmptyAt(pool, T0)).to.equal(T0 + 1n); // 1.999 s → 1
    });

    it("is NEVER when the runway does not fit a uint40", () => {
      const pool = poolWith({ cus: 2n ** 60n });
      pool.rates = { cu: 1n, su: 0n, ipv4u: 0n };
      expect(computeEmptyAt(pool, T0)).to.equal(NEVER);
    });
  });

  describe("AddCapacity", () => {
    it("syncs first, then adds whole unit-seconds (× 1000) at the prices paid and recomputes emptyAt", () => {
      const pool = running({ cus: 100n }, ONE_CU);
      expect(pool.emptyAt).to.equal(T0 + 100n);
      const accrued = addCapacity(pool, { cus: 50n, sus: 2n, ipv4us: 0n }, { cu: 3n, su: 5n, ipv4u: 7n }, T0 + 40n);
      expect(accrued).to.equal(40n);
      expect(pool.lastUpdated).to.equal(T0 + 40n);
      expect(pool.cu).to.deep.equal({ balance: 60_000n + 50_000n, value: 60n + 150n });
      expect(pool.su).to.deep.equal({ balance: 2_000n, value: 10n });
      expect(pool.ipv4u).to.deep.equal({ balance: 0n, value: 0n });
      expect(pool.emptyAt).to.equal(T0 + 40n + 110n);
    });

    it("resumes an empty pool within its grace: it draws again from the top-up on, nothing for the gap", () => {
      const pool = running({ cus: 10n }, ONE_CU, 100n);
      expect(poolStatusAt(pool, T0 + 50n)).to.equal(PoolStatus.Empty);
      expect(addCapacity(pool, { cus: 5_000n, sus: 0n, ipv4us: 0n }, { cu: 1n, su: 0n, ipv4u: 0n }, T0 + 50n)).to.equal(
        10n,
      );
      expect(pool.emptyAt).to.equal(T0 + 50n + 5_000n);
      expect(poolStatusAt(pool, T0 + 50n)).to.equal(PoolStatus.Active);
    });

    it("leaves an empty pool's emptyAt (and grace) where it was when it buys no runway", () => {
      const pool = running({ cus: 10n, sus: 10n }, ONE_CU, 100n);
      const graceEnd = graceEndsAt(pool);
      // Nothing at all, SU the workload does not use, or less than a second of CU: still empty since T0 + 10.
      for (const amounts of [
        { cus: 0n, sus: 0n, ipv4us: 0n },
        { cus: 0n, sus: 500n, ipv4us: 0n },
      ]) {
        addCapacity(pool, amounts, { cu: 1n, su: 1n, ipv4u: 1n }, T0 + 60n);
        expect(pool.emptyAt).to.equal(T0 + 10n);
        expect(graceEndsAt(pool)).to.equal(graceEnd);
        expect(poolStatusAt(pool, T0 + 60n)).to.equal(PoolStatus.Empty);
      }
      pool.cu.balance = 999n; // as if 0.999 CU·s were left
      reschedule(pool, T0 + 70n);
      expect(pool.emptyAt).to.equal(T0 + 10n);
      expect(poolStatusAt(pool, graceEnd + 1n)).to.equal(PoolStatus.GraceOver);
    });
    it("resumes an empty pool only with more than MIN_RUNWAY of runway (what a new workload needs)", () => {
      const pool = running({ cus: 10n, sus: 10n }, ONE_CU, 600n);
      // 120 CU·s at 1 CU a second is MIN_RUNWAY exactly: the pool stays empty as of T0 + 10, nothing is drawn.
      addCapacity(pool, { cus: MIN_RUNWAY, sus: 0n, ipv4us: 0n }, { cu: 1n, su: 1n, ipv4u: 1n }, T0 + 60n);
      expect(pool.emptyAt).to.equal(T0 + 10n);
      expect(poolStatusAt(pool, T0 + 60n)).to.equal(PoolStatus.Empty);
      expect(syncCurrentCapacity(pool, T0 + 90n)).to.equal(0n);
      // One more CU·s: 121 s, and it resumes from this top-up on.
      addCapacity(pool, { cus: 1n, sus: 0n, ipv4us: 0n }, { cu: 1n, su: 1n, ipv4u: 1n }, T0 + 100n);
      expect(pool.emptyAt).to.equal(T0 + 100n + MIN_RUNWAY + 1n);
      expect(poolStatusAt(pool, T0 + 100n)).to.equal(PoolStatus.RunwayLow);
    });
  });

  describe("AddWorkload", () => {
    it("syncs, adds the rates, records the workload and recomputes emptyAt", () => {
      const pool = poolWith({ cus: 1_000n, sus: 1_000n });
      addWorkload(pool, "w1", ONE_CU, T0);
      const accrued = addWorkload(pool, "w2", { cu: 1000n, su: 500n, ipv4u: 0n }, T0 + 100n);
      expect(accrued).to.equal(100n);
      expect(pool.rates).to.deep.equal({ cu: 2000n, su: 500n, ipv4u: 0n });
      expect([...pool.runningWorkloadIds]).to.deep.equal(["w1", "w2"]);
      expect(pool.emptyAt).to.equal(T0 + 100n + 450n); // 900 CU·s at 2 per second
    });

    it("is idempotent for a running id: nothing changes, nothing accrues", () => {
      const pool = running({ cus: 1_000n }, ONE_CU);
      const before = clonePool(pool);
      expect(addWorkload(pool, "w1", { cu: 5000n, su: 5000n, ipv4u: 5000n }, T0 + 10n)).to.equal(0n);
      expect(pool).to.deep.equal(before);
    });

    it(`is refused under ${MIN_RUNWAY} s of runway ("pool needs additional capacity"), with nothing changed`, () => {
      // 120 CU·s at 1 CU: emptyAt = now + 120, and now + 120 < emptyAt does not hold.
      const pool = poolWith({ cus: 120n });
      const before = clonePool(pool);
      let error: unknown;
      try {
        addWorkload(pool, "w1", ONE_CU, T0 + 5n);
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(InsufficientRunwayError);
      const refusal = error as InsufficientRunwayError;
      expect(refusal.name).to.equal("InsufficientRunwayError");
      expect(refusal.poolId).to.equal(pool.poolId);
      expect(refusal.emptyAt).to.equal(T0 + 5n + 120n);
      expect(refusal.needed).to.equal(T0 + 5n + MIN_RUNWAY + 1n);
      expect(refusal.message).to.contain("needs additional capacity");
      expect(pool).to.deep.equal(before); // not even synced
    });

    it("accepts exactly 121 s of runway", () => {
      const pool = poolWith({ cus: 121n });
      addWorkload(pool, "w1", ONE_CU, T0);
      expect(pool.emptyAt).to.equal(T0 + 121n);
    });

    it("refuses a workload whose added rates leave too little runway for the pool", () => {
      const pool = running({ cus: 1_000n, ipv4us: 100n }, ONE_CU);
      const before = clonePool(pool);
      expect(() => addWorkload(pool, "w2", { cu: 0n, su: 0n, ipv4u: 1000n }, T0 + 1n)).to.throw(
        InsufficientRunwayError,
      );
      expect(pool).to.deep.equal(before);
      // An SU rate on a pool without SU: no runway at all.
      expect(() => addWorkload(pool, "w3", { cu: 0n, su: 1n, ipv4u: 0n }, T0 + 1n)).to.throw(InsufficientRunwayError);
    });
    it("refuses a workload in a pool past its grace period, with nothing changed", () => {
      const pool = running({ cus: 10n, sus: 1_000n }, ONE_CU, 5n);
      const before = clonePool(pool);
      expect(() => addWorkload(pool, "w2", { cu: 0n, su: 1n, ipv4u: 0n }, T0 + 16n))
        .to.throw(GraceOverError)
        .with.property("graceEndsAt", T0 + 15n);
      expect(pool).to.deep.equal(before);
    });
  });

  describe("RemoveWorkload", () => {
    it("is a no-op for an unknown (or not running) id: no sync either", () => {
      const pool = running({ cus: 1_000n }, ONE_CU);
      const before = clonePool(pool);
      expect(removeWorkload(pool, "unknown", ONE_CU, T0 + 500n)).to.equal(0n);
      expect(pool).to.deep.equal(before);
    });

    it("syncs, subtracts the rates, forgets the id and recomputes emptyAt", () => {
      const pool = running({ cus: 1_000n }, ONE_CU);
      addWorkload(pool, "w2", { cu: 1000n, su: 0n, ipv4u: 0n }, T0);
      expect(pool.emptyAt).to.equal(T0 + 500n);
      expect(removeWorkload(pool, "w2", { cu: 1000n, su: 0n, ipv4u: 0n }, T0 + 100n)).to.equal(200n);
      expect(pool.rates).to.deep.equal(ONE_CU);
      expect([...pool.runningWorkloadIds]).to.deep.equal(["w1"]);
      expect(pool.emptyAt).to.equal(T0 + 100n + 800n);
      removeWorkload(pool, "w1", ONE_CU, T0 + 200n);
      expect(pool.emptyAt).to.equal(NEVER);
      expect(poolStatusAt(pool, T0 + 200n)).to.equal(PoolStatus.Idle);
    });

    it("leaves a pool past its grace as it is while workloads still run (they expire together)", () => {
      const pool = poolWith({ cus: 1_000n }, { cu: 1n, su: 1n, ipv4u: 1n }, 5n);
      addWorkload(pool, "w1", ONE_CU, T0);
      addWorkload(pool, "w2", ONE_CU, T0);
      expect(pool.emptyAt).to.equal(T0 + 500n);
      expect(poolStatusAt(pool, T0 + 600n)).to.equal(PoolStatus.GraceOver);
      // w2 alone would have 0 s left too, but even so emptyAt stays: the pool does not come back by shrinking.
      removeWorkload(pool, "w1", ONE_CU, T0 + 600n);
      expect(pool.emptyAt).to.equal(T0 + 500n);
      expect(poolStatusAt(pool, T0 + 600n)).to.equal(PoolStatus.GraceOver);
      // The last one out: no rate binds any more.
      removeWorkload(pool, "w2", ONE_CU, T0 + 601n);
      expect(pool.emptyAt).to.equal(NEVER);
      expect(poolStatusAt(pool, T0 + 601n)).to.equal(PoolStatus.Idle);
    });

    it("resumes the others when a workload leaves an empty pool in its grace and the rest can draw again", () => {
      // w1 draws CU 1000 and SU 500, w2 SU 500 only: CU ran out at T0 + 10, there is plenty of SU.
      const pool = running({ cus: 10n, sus: 10_000n }, { cu: 1000n, su: 1000n, ipv4u: 0n }, 100n);
      pool.runningWorkloadIds.add("w2");
      expect(pool.emptyAt).to.equal(T0 + 10n);
      expect(poolStatusAt(pool, T0 + 50n)).to.equal(PoolStatus.Empty);
      removeWorkload(pool, "w1", { cu: 1000n, su: 500n, ipv4u: 0n }, T0 + 50n);
      // w2's SU 500 is left, and the 9 990 SU·s left at T0 + 10 last it 19 980 s from now.
      expect(pool.rates).to.deep.equal({ cu: 0n, su: 500n, ipv4u: 0n });
      expect(pool.emptyAt).to.equal(T0 + 50n + 19_980n);
      expect(poolStatusAt(pool, T0 + 50n)).to.equal(PoolStatus.Active);
    });
  });

  describe("AllowedInPool", () => {
    it("allows the pool's nodes only, in any hex case", () => {
      const pool = poolWith({});
      expect(allowedInPool(pool, NODE_A)).to.equal(true);
      expect(allowedInPool(pool, NODE_A.toUpperCase().replace("0X", "0x"))).to.equal(true);
      expect(allowedInPool(pool, NODE_B)).to.equal(false);
      pool.nodeIds.push(NODE_B.toUpperCase().replace("0X", "0x"));
      expect(allowedInPool(pool, NODE_B)).to.equal(true);
    });
  });

  describe("status and grace boundaries", () => {
    // 10 000 CU·s at 1 CU: emptyAt = T0 + 10 000; grace 300 s.
    const pool = running({ cus: 10_000n }, ONE_CU, 300n);
    const E = T0 + 10_000n;
    const at = (t: bigint) => poolStatusAt(currentPool(pool, t), t);

    it("is Active with more than an hour of runway, RunwayLow at 3600 s and below", () => {
      expect(pool.emptyAt).to.equal(E);
      expect(at(E - LOW_RUNWAY - 1n)).to.equal(PoolStatus.Active);
      expect(at(E - LOW_RUNWAY)).to.equal(PoolStatus.RunwayLow);
      expect(at(E - 1n)).to.equal(PoolStatus.RunwayLow);
    });

    it("is Empty from emptyAt through emptyAt + grace inclusive, GraceOver after", () => {
      expect(graceEndsAt(pool)).to.equal(E + 300n);
      expect(at(E)).to.equal(PoolStatus.Empty);
      expect(at(E + 300n)).to.equal(PoolStatus.Empty);
      expect(at(E + 301n)).to.equal(PoolStatus.GraceOver);
    });

    it("with no grace, is Empty at emptyAt only", () => {
      const p = running({ cus: 200n }, ONE_CU, 0n);
      expect(poolStatusAt(p, T0 + 200n)).to.equal(PoolStatus.Empty);
      expect(poolStatusAt(p, T0 + 201n)).to.equal(PoolStatus.GraceOver);
    });

    it("is Idle without running workloads, whatever the time", () => {
      const idle = poolWith({ cus: 1n });
      expect(poolStatusAt(idle, T0 + 10n ** 7n)).to.equal(PoolStatus.Idle);
    });

    it("reports the runway left", () => {
      expect(runwayAt(pool, E - 10n)).to.equal(10n);
      expect(runwayAt(pool, E + 10n)).to.equal(0n);
      expect(runwayAt(poolWith({ cus: 1n }), T0)).to.equal(null);
    });
  });

  describe("currentPool", () => {
    it("returns the pool as a sync now would leave it, with what it accrued and its status", () => {
      const pool = running({ cus: 5_000n }, ONE_CU);
      const now = pool.emptyAt - 100n;
      const current = currentPool(pool, now);
      expect(current.cu.balance).to.equal(100_000n);
      expect(current.accrued).to.equal(4_900n);
      expect(current.lastUpdated).to.equal(now);
      expect(current.status).to.equal(PoolStatus.RunwayLow);
      const synced = clonePool(pool);
      syncCurrentCapacity(synced, now);
      expect(current.cu).to.deep.equal(synced.cu);
    });

    it("does not mutate its input", () => {
      const pool = running({ cus: 5_000n, sus: 10n }, { cu: 1000n, su: 1n, ipv4u: 0n });
      const before = clonePool(pool);
      const current = currentPool(pool, T0 + 10_000n);
      current.nodeIds.push(NODE_B);
      current.runningWorkloadIds.add("other");
      current.cu.balance = 1n;
      expect(pool).to.deep.equal(before);
    });
  });
});
