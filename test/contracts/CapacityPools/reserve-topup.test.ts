import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroAddress } from "ethers";

import {
  CAPACITY,
  GRACE,
  MILLI,
  NEVER,
  PRICES,
  PoolStatus,
  RATES,
  at,
  capacityAddedArgs,
  costOf,
  defaultAccrual,
  eventNames,
  makeReservation,
  poolFixture,
  poolUpdatedArgs,
  runningPoolFixture,
  sendReservation,
  topUp,
  valueOf,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";
import type { ReservationData } from "../../../src/pools/reservation";

describe("CapacityPools.reserve (topping up a pool)", () => {
  const setup = () => loadPoolsFixture(poolFixture);

  async function expectRevert(ctx: PoolsFixture, r: ReservationData, error: string, args?: unknown[]) {
    const assertion = expect(sendReservation(ctx, r)).to.be.revertedWithCustomError(ctx.pools, error);
    if (args) await assertion.withArgs(...args);
    else await assertion;
    expect(await ctx.pools.nonceUsed(r.customer, r.nonce), "the nonce stays unused").to.equal(false);
  }

  it("reverts with CapacityPools_PoolNotFound for an unknown pool", async () => {
    const ctx = await setup();
    const poolId = ethers.id("nope");
    await expectRevert(ctx, makeReservation(ctx, { poolId }), "CapacityPools_PoolNotFound", [poolId]);
  });

  it("reverts with CapacityPools_FarmMismatch for another farm than the pool's", async () => {
    const ctx = await setup();
    await expectRevert(
      ctx,
      makeReservation(ctx, { poolId: ctx.poolId, farmId: ctx.otherFarmId }),
      "CapacityPools_FarmMismatch",
      [ctx.poolId, ctx.otherFarmId],
    );
  });

  it("reverts with CapacityPools_GraceOnTopUp for a grace period on a top-up", async () => {
    const ctx = await setup();
    await expectRevert(
      ctx,
      makeReservation(ctx, { poolId: ctx.poolId, graceSeconds: 1n }),
      "CapacityPools_GraceOnTopUp",
      [ctx.poolId],
    );
  });

  it("reverts with CapacityPools_GraceOver once the grace period of a running pool is over", async () => {
    const ctx = await loadPoolsFixture(runningPoolFixture);
    await at(ctx.emptyAt + GRACE + 1n);
    await expectRevert(ctx, makeReservation(ctx, { poolId: ctx.poolId }), "CapacityPools_GraceOver", [
      ctx.poolId,
      ctx.emptyAt + GRACE,
    ]);
  });

  describe("nodes", () => {
    it("reverts with CapacityPools_NotPoolOwner when anyone but the owner lists nodes", async () => {
      const ctx = await setup();
      for (const nodeIds of [[ctx.nodes[5]], [ctx.nodes[0]]]) {
        await expectRevert(
          ctx,
          makeReservation(ctx, { poolId: ctx.poolId, customer: ctx.stranger.address, nodeIds }),
          "CapacityPools_NotPoolOwner",
          [ctx.poolId, ctx.stranger.address],
        );
      }
    });

    it("reverts with CapacityPools_NodeNotInFarm for a node of another farm", async () => {
      const ctx = await setup();
      await expectRevert(
        ctx,
        makeReservation(ctx, { poolId: ctx.poolId, nodeIds: [ctx.nodes[5], ctx.otherNodes[0]] }),
        "CapacityPools_NodeNotInFarm",
        [ctx.otherNodes[0], ctx.farmId],
      );
      expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[5])).to.equal(false);
    });

    it("reverts with CapacityPools_TooMany beyond 32 nodes in all, and adds up to 32", async () => {
      const ctx = await setup();
      await expectRevert(
        ctx,
        makeReservation(ctx, { poolId: ctx.poolId, nodeIds: ctx.nodes.slice(2, 33) }),
        "CapacityPools_TooMany",
        [33n, 32n],
      );
      await topUp(ctx, ctx.poolId, { nodeIds: ctx.nodes.slice(2, 32) });
      expect((await ctx.pools.getPool(ctx.poolId)).nodeCount).to.equal(32n);
      await expectRevert(
        ctx,
        makeReservation(ctx, { poolId: ctx.poolId, nodeIds: [ctx.nodes[32]] }),
        "CapacityPools_TooMany",
        [33n, 32n],
      );
    });

    it("adds the owner's new nodes with a PoolNodeAdded each, skipping those the pool has or listed twice", async () => {
      const ctx = await setup();
      const nodeIds = [ctx.nodes[0], ctx.nodes[7], ctx.nodes[8], ctx.nodes[7]];
      const t = await topUp(ctx, ctx.poolId, { cus: 0n, sus: 0n, ipv4us: 0n, nodeIds });
      expect(eventNames(ctx.pools, t.receipt)).to.deep.equal([
        "PoolNodeAdded",
        "PoolNodeAdded",
        "CapacityAdded",
        "PoolUpdated",
      ]);
      await expect(t.tx).to.emit(ctx.pools, "PoolNodeAdded").withArgs(ctx.poolId, ctx.nodes[7]);
      await expect(t.tx).to.emit(ctx.pools, "PoolNodeAdded").withArgs(ctx.poolId, ctx.nodes[8]);
      await expect(t.tx).to.not.emit(ctx.token, "Transfer");
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.nodeCount).to.equal(4n);
      expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[7])).to.equal(true);
      expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[8])).to.equal(true);
      expect(p.cu.balance).to.equal(CAPACITY.cus * MILLI);
    });
  });

  it("reverts with CapacityPools_EmptyReservation when nothing is bought or added", async () => {
    const ctx = await setup();
    const nothing = { cus: 0n, sus: 0n, ipv4us: 0n };
    await expectRevert(ctx, makeReservation(ctx, { poolId: ctx.poolId, ...nothing }), "CapacityPools_EmptyReservation");
    await expectRevert(
      ctx,
      makeReservation(ctx, { poolId: ctx.poolId, ...nothing, nodeIds: [ctx.nodes[1], ctx.nodes[0]] }),
      "CapacityPools_EmptyReservation",
    );
    // Any one resource is enough.
    await topUp(ctx, ctx.poolId, { ...nothing, ipv4us: 1n });
    await topUp(ctx, ctx.poolId, { ...nothing, sus: 1n });
    await topUp(ctx, ctx.poolId, { ...nothing, cus: 1n });
    const p = await ctx.pools.getPool(ctx.poolId);
    expect([p.cu.balance, p.su.balance, p.ipv4u.balance]).to.deep.equal([
      (CAPACITY.cus + 1n) * MILLI,
      (CAPACITY.sus + 1n) * MILLI,
      (CAPACITY.ipv4us + 1n) * MILLI,
    ]);
  });

  it("reverts with CapacityPools_CostAboveMax, checked after the top-up rules", async () => {
    const ctx = await setup();
    const amounts = { cus: 1n, sus: 2n, ipv4us: 3n };
    const cost = costOf(amounts);
    await expectRevert(
      ctx,
      makeReservation(ctx, { poolId: ctx.poolId, ...amounts, maxCost: cost - 1n }),
      "CapacityPools_CostAboveMax",
      [cost, cost - 1n],
    );
    await expectRevert(
      ctx,
      makeReservation(ctx, { poolId: ctx.poolId, graceSeconds: 5n, maxCost: 0n }),
      "CapacityPools_GraceOnTopUp",
      [ctx.poolId],
    );
    await topUp(ctx, ctx.poolId, { ...amounts, maxCost: cost });
  });

  it("adds the owner's capacity to an idle pool at the current prices", async () => {
    const ctx = await setup();
    await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, { cu: 1n, su: 20n, ipv4u: 300n });
    const amounts = { cus: 5n, sus: 6n, ipv4us: 7n };
    const cost = 5n + 120n + 2_100n;
    const t = await topUp(ctx, ctx.poolId, amounts);
    await expect(t.tx).to.changeTokenBalances(ctx.token, [ctx.customer, ctx.stranger, ctx.pools], [-cost, 0n, cost]);
    const p = await ctx.pools.getPool(ctx.poolId);
    expect([p.cu.balance, p.su.balance, p.ipv4u.balance]).to.deep.equal([
      (CAPACITY.cus + 5n) * MILLI,
      (CAPACITY.sus + 6n) * MILLI,
      (CAPACITY.ipv4us + 7n) * MILLI,
    ]);
    expect([p.cu.value, p.su.value, p.ipv4u.value]).to.deep.equal([
      CAPACITY.cus * PRICES.cu + 5n,
      CAPACITY.sus * PRICES.su + 120n,
      CAPACITY.ipv4us * PRICES.ipv4u + 2_100n,
    ]);
    expect(p.owner).to.equal(ctx.customer.address);
    expect(p.sponsor).to.equal(ZeroAddress);
    expect(p.graceSeconds).to.equal(GRACE);
    expect(p.lastUpdated).to.equal(t.at);
    expect(p.emptyAt).to.equal(NEVER);
    expect(p.status).to.equal(PoolStatus.Idle);
    expect(await ctx.pools.nonceUsed(ctx.customer.address, t.data.nonce)).to.equal(true);
    expect(eventNames(ctx.pools, t.receipt)).to.deep.equal(["CapacityAdded", "PoolUpdated"]);
    await expect(t.tx)
      .to.emit(ctx.pools, "CapacityAdded")
      .withArgs(...capacityAddedArgs(ctx.poolId, t.data, ctx.customer.address, cost));
    await expect(t.tx)
      .to.emit(ctx.pools, "PoolUpdated")
      .withArgs(...poolUpdatedArgs(ctx.poolId, p));
  });

  it("pulls a third party's top-up from it (or its sponsor) and keeps the pool's owner and sponsor", async () => {
    const ctx = await setup();
    const amounts = { cus: 100n, sus: 0n, ipv4us: 0n };
    const byStranger = await topUp(
      ctx,
      ctx.poolId,
      { ...amounts, customer: ctx.stranger.address },
      {
        submitter: ctx.customer,
      },
    );
    await expect(byStranger.tx).to.changeTokenBalances(
      ctx.token,
      [ctx.stranger, ctx.customer, ctx.pools],
      [-700n, 0n, 700n],
    );
    await expect(byStranger.tx)
      .to.emit(ctx.pools, "CapacityAdded")
      .withArgs(...capacityAddedArgs(ctx.poolId, byStranger.data, ctx.stranger.address, 700n));
    const sponsored = await topUp(ctx, ctx.poolId, {
      ...amounts,
      customer: ctx.stranger.address,
      sponsor: ctx.sponsor.address,
    });
    await expect(sponsored.tx).to.changeTokenBalances(
      ctx.token,
      [ctx.sponsor, ctx.stranger, ctx.customer, ctx.pools],
      [-700n, 0n, 0n, 700n],
    );
    await expect(sponsored.tx)
      .to.emit(ctx.pools, "CapacityAdded")
      .withArgs(...capacityAddedArgs(ctx.poolId, sponsored.data, ctx.sponsor.address, 700n));
    const p = await ctx.pools.getPool(ctx.poolId);
    expect(p.owner).to.equal(ctx.customer.address);
    expect(p.sponsor).to.equal(ZeroAddress);
    expect(p.cu.balance).to.equal((CAPACITY.cus + 200n) * MILLI);
  });

  describe("when workloads run", () => {
    it("syncs first (Accrued), then recomputes emptyAt from now with the new balances", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.startedAt + 1_000n);
      const t = await topUp(ctx, ctx.poolId);
      const accrued = defaultAccrual(1_000n);
      expect(accrued).to.equal(7_000n + 1_500n);
      expect(eventNames(ctx.pools, t.receipt)).to.deep.equal(["Accrued", "CapacityAdded", "PoolUpdated"]);
      await expect(t.tx).to.emit(ctx.pools, "Accrued").withArgs(ctx.poolId, ctx.provider.address, accrued);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(accrued);
      const p = await ctx.pools.getPool(ctx.poolId);
      const cuBalance = 2n * CAPACITY.cus * MILLI - RATES.cu * 1_000n;
      const suBalance = 2n * CAPACITY.sus * MILLI - RATES.su * 1_000n;
      expect(p.cu.balance).to.equal(cuBalance);
      expect(p.su.balance).to.equal(suBalance);
      expect(p.lastUpdated).to.equal(t.at);
      // CU binds: 19_000_000 / 1000 = 19_000 s (SU: 39_500_000 / 500 = 79_000 s).
      expect(p.emptyAt).to.equal(t.at + 19_000n);
      expect(valueOf(p)).to.equal(2n * costOf(CAPACITY) - accrued);
      await expect(t.tx)
        .to.emit(ctx.pools, "PoolUpdated")
        .withArgs(...poolUpdatedArgs(ctx.poolId, p));
    });

    it("emits PoolStatusChanged(Active) when it lifts a RunwayLow pool above LOW_RUNWAY", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.startedAt + 7_000n);
      await expect(ctx.pools.syncPool(ctx.poolId))
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.RunwayLow, ctx.emptyAt, ctx.emptyAt + GRACE);
      const t = await topUp(ctx, ctx.poolId, { cus: 1_000n, sus: 0n, ipv4us: 0n });
      // 1_000 more CU·s at 1 CU/s: CU still binds, 1_000 s later.
      const emptyAt = ctx.emptyAt + 1_000n;
      await expect(t.tx)
        .to.emit(ctx.pools, "PoolStatusChanged")
        .withArgs(ctx.poolId, PoolStatus.Active, emptyAt, emptyAt + GRACE);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.status).to.equal(PoolStatus.Active);
      expect(p.emptyAt).to.equal(emptyAt);
    });

    it("keeps RunwayLow, without a status event, when the top-up leaves LOW_RUNWAY or less", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await at(ctx.startedAt + 8_000n);
      await ctx.pools.syncPool(ctx.poolId);
      await at(ctx.startedAt + 8_000n + 10n);
      const t = await topUp(ctx, ctx.poolId, { cus: 100n, sus: 0n, ipv4us: 0n });
      await expect(t.tx).to.not.emit(ctx.pools, "PoolStatusChanged");
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.status).to.equal(PoolStatus.RunwayLow);
      expect(p.emptyAt).to.equal(ctx.emptyAt + 100n);
    });
  });
});
