import { expect } from "chai";
import { ethers } from "hardhat";
import { MaxUint256, ZeroAddress } from "ethers";

import {
  CAPACITY,
  GRACE,
  MAX_GRACE_SECONDS,
  MILLI,
  NEVER,
  PRICES,
  PoolStatus,
  capacityAddedArgs,
  costOf,
  createPool,
  deployPoolsFixture,
  digestOf,
  eventNames,
  makeReservation,
  poolUpdatedArgs,
  sendReservation,
  signaturesFor,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";
import type { ReservationData } from "../../../src/pools/reservation";

describe("CapacityPools.reserve (creating a pool)", () => {
  const setup = () => loadPoolsFixture(deployPoolsFixture);

  async function expectRevert(ctx: PoolsFixture, r: ReservationData, error: string, args?: unknown[]) {
    const assertion = expect(sendReservation(ctx, r)).to.be.revertedWithCustomError(ctx.pools, error);
    if (args) await assertion.withArgs(...args);
    else await assertion;
    expect(await ctx.pools.nonceUsed(r.customer, r.nonce), "the nonce stays unused").to.equal(false);
    expect((await ctx.pools.getPool(digestOf(ctx, r))).owner, "no pool").to.equal(ZeroAddress);
  }

  it("reverts with CapacityPools_FarmNotFound for an unknown farm", async () => {
    const ctx = await setup();
    const farmId = ethers.id("nope");
    await expectRevert(ctx, makeReservation(ctx, { farmId }), "CapacityPools_FarmNotFound", [farmId]);
  });

  it("reverts with CapacityPools_TooMany for more than 32 nodes", async () => {
    const ctx = await setup();
    await expectRevert(ctx, makeReservation(ctx, { nodeIds: ctx.nodes.slice(0, 33) }), "CapacityPools_TooMany", [
      33n,
      32n,
    ]);
  });

  it("reverts with CapacityPools_EmptyList without nodes", async () => {
    const ctx = await setup();
    await expectRevert(ctx, makeReservation(ctx, { nodeIds: [] }), "CapacityPools_EmptyList");
  });

  it("reverts with CapacityPools_GraceTooLong for a grace above 30 days, and accepts 30 days", async () => {
    const ctx = await setup();
    await expectRevert(
      ctx,
      makeReservation(ctx, { graceSeconds: MAX_GRACE_SECONDS + 1n }),
      "CapacityPools_GraceTooLong",
      [MAX_GRACE_SECONDS + 1n, MAX_GRACE_SECONDS],
    );
    const created = await createPool(ctx, { graceSeconds: MAX_GRACE_SECONDS });
    expect((await ctx.pools.getPool(created.poolId)).graceSeconds).to.equal(MAX_GRACE_SECONDS);
  });

  it("reverts with CapacityPools_GraceTooLong for a grace above the farm's limit, and accepts the limit", async () => {
    const ctx = await setup();
    await ctx.pools.connect(ctx.provider).setFarmGraceLimit(ctx.farmId, 600n);
    await expectRevert(ctx, makeReservation(ctx, { graceSeconds: 601n }), "CapacityPools_GraceTooLong", [601n, 600n]);
    const created = await createPool(ctx, { graceSeconds: 600n });
    expect((await ctx.pools.getPool(created.poolId)).graceSeconds).to.equal(600n);
    // A farm that grants no grace at all.
    await ctx.pools.connect(ctx.provider).setFarmGraceLimit(ctx.farmId, 0n);
    await expectRevert(ctx, makeReservation(ctx, { graceSeconds: 1n }), "CapacityPools_GraceTooLong", [1n, 0n]);
    expect((await ctx.pools.getPool(created.poolId)).graceSeconds, "an earlier pool keeps its grace").to.equal(600n);
  });

  it("reverts with CapacityPools_NodeNotInFarm for another farm's node or an undeclared one", async () => {
    const ctx = await setup();
    for (const node of [ctx.otherNodes[0], ctx.undeclaredNode]) {
      await expectRevert(ctx, makeReservation(ctx, { nodeIds: [ctx.nodes[0], node] }), "CapacityPools_NodeNotInFarm", [
        node,
        ctx.farmId,
      ]);
    }
  });

  it("reverts with CapacityPools_DuplicateNode for a node listed twice", async () => {
    const ctx = await setup();
    const nodeIds = [ctx.nodes[0], ctx.nodes[1], ctx.nodes[0]];
    await expectRevert(ctx, makeReservation(ctx, { nodeIds }), "CapacityPools_DuplicateNode", [ctx.nodes[0]]);
  });

  describe("maxCost", () => {
    it("reverts with CapacityPools_CostAboveMax one token below the cost, and creates at exactly the cost", async () => {
      const ctx = await setup();
      const cost = costOf(CAPACITY);
      await expectRevert(ctx, makeReservation(ctx, { maxCost: cost - 1n }), "CapacityPools_CostAboveMax", [
        cost,
        cost - 1n,
      ]);
      const created = await createPool(ctx, { maxCost: cost });
      await expect(created.tx).to.changeTokenBalances(ctx.token, [ctx.customer, ctx.pools], [-cost, cost]);
    });

    it("reverts with CapacityPools_CostAboveMax at the prices of submission, raised since signing", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { maxCost: costOf(CAPACITY) });
      const [customerSig] = await signaturesFor(ctx, r);
      await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, { ...PRICES, ipv4u: PRICES.ipv4u + 1n });
      await expect(ctx.pools.connect(ctx.stranger).reserve(r, customerSig, "0x"))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_CostAboveMax")
        .withArgs(costOf(CAPACITY) + CAPACITY.ipv4us, costOf(CAPACITY));
    });

    it("is checked after the creation rules", async () => {
      const ctx = await setup();
      await expectRevert(ctx, makeReservation(ctx, { nodeIds: [], maxCost: 0n }), "CapacityPools_EmptyList");
      await expectRevert(
        ctx,
        makeReservation(ctx, { graceSeconds: MAX_GRACE_SECONDS + 1n, maxCost: 0n }),
        "CapacityPools_GraceTooLong",
        [MAX_GRACE_SECONDS + 1n, MAX_GRACE_SECONDS],
      );
      await expectRevert(
        ctx,
        makeReservation(ctx, { nodeIds: [ctx.undeclaredNode], maxCost: 0n }),
        "CapacityPools_NodeNotInFarm",
        [ctx.undeclaredNode, ctx.farmId],
      );
    });
  });

  it("reverts with the token's error when the payer has not approved the pools", async () => {
    const ctx = await setup();
    await ctx.token.connect(ctx.customer).approve(ctx.poolsAddress, 0n);
    const r = makeReservation(ctx);
    await expect(sendReservation(ctx, r))
      .to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance")
      .withArgs(ctx.poolsAddress, 0n, costOf(CAPACITY));
    expect(await ctx.pools.nonceUsed(ctx.customer.address, r.nonce)).to.equal(false);
    expect((await ctx.pools.getPool(digestOf(ctx, r))).owner).to.equal(ZeroAddress);
  });

  describe("when valid, without a sponsor", () => {
    it("creates the pool under the digest and returns it", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const [customerSig] = await signaturesFor(ctx, r);
      expect(await ctx.pools.connect(ctx.stranger).reserve.staticCall(r, customerSig, "0x")).to.equal(digestOf(ctx, r));
    });

    it("stores the pool, uses the nonce and pulls the cost from the customer", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { nodeIds: [ctx.nodes[4], ctx.nodes[2], ctx.nodes[9]] });
      const { poolId, tx, at } = await createPool(ctx, r);
      const cost = costOf(CAPACITY);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.customer, ctx.stranger, ctx.pools], [-cost, 0n, cost]);
      const p = await ctx.pools.getPool(poolId);
      expect(p.owner).to.equal(ctx.customer.address);
      expect(p.sponsor).to.equal(ZeroAddress);
      expect(p.farmId).to.equal(ctx.farmId);
      expect(p.graceSeconds).to.equal(GRACE);
      expect(p.nodeCount).to.equal(3n);
      expect(p.workloadCount).to.equal(0n);
      expect(p.runningCount).to.equal(0n);
      expect(p.lastUpdated).to.equal(at);
      expect(p.emptyAt).to.equal(NEVER);
      expect(p.status).to.equal(PoolStatus.Idle);
      expect([p.cu.balance, p.su.balance, p.ipv4u.balance]).to.deep.equal([
        10_000n * MILLI,
        20_000n * MILLI,
        5_000n * MILLI,
      ]);
      expect([p.cu.value, p.su.value, p.ipv4u.value]).to.deep.equal([70_000n, 60_000n, 55_000n]);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal([0n, 0n, 0n]);
      for (const node of r.nodeIds) expect(await ctx.pools.poolHasNode(poolId, node)).to.equal(true);
      expect(await ctx.pools.poolHasNode(poolId, ctx.nodes[0])).to.equal(false);
      expect(await ctx.pools.nonceUsed(ctx.customer.address, r.nonce)).to.equal(true);
      expect(await ctx.token.balanceOf(ctx.poolsAddress)).to.equal(185_000n);
    });

    it("emits PoolCreated, PoolNodeAdded per node, CapacityAdded and PoolUpdated, in order", async () => {
      const ctx = await setup();
      const { poolId, tx, receipt, data } = await createPool(ctx);
      expect(eventNames(ctx.pools, receipt)).to.deep.equal([
        "PoolCreated",
        "PoolNodeAdded",
        "PoolNodeAdded",
        "CapacityAdded",
        "PoolUpdated",
      ]);
      await expect(tx)
        .to.emit(ctx.pools, "PoolCreated")
        .withArgs(poolId, ctx.customer.address, ZeroAddress, ctx.farmId, GRACE);
      await expect(tx).to.emit(ctx.pools, "PoolNodeAdded").withArgs(poolId, ctx.nodes[0]);
      await expect(tx).to.emit(ctx.pools, "PoolNodeAdded").withArgs(poolId, ctx.nodes[1]);
      await expect(tx)
        .to.emit(ctx.pools, "CapacityAdded")
        .withArgs(...capacityAddedArgs(poolId, data, ctx.customer.address, 185_000n));
      await expect(tx)
        .to.emit(ctx.pools, "PoolUpdated")
        .withArgs(...poolUpdatedArgs(poolId, await ctx.pools.getPool(poolId)));
      await expect(tx).to.not.emit(ctx.pools, "PoolStatusChanged");
      await expect(tx).to.not.emit(ctx.pools, "Accrued");
    });
  });

  it("pulls the cost from the sponsor and records it when there is one", async () => {
    const ctx = await setup();
    const { poolId, tx, data } = await createPool(ctx, { sponsor: ctx.sponsor.address });
    const cost = costOf(CAPACITY);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.customer, ctx.sponsor, ctx.stranger, ctx.pools],
      [0n, -cost, 0n, cost],
    );
    await expect(tx)
      .to.emit(ctx.pools, "PoolCreated")
      .withArgs(poolId, ctx.customer.address, ctx.sponsor.address, ctx.farmId, GRACE);
    await expect(tx)
      .to.emit(ctx.pools, "CapacityAdded")
      .withArgs(...capacityAddedArgs(poolId, data, ctx.sponsor.address, cost));
    const p = await ctx.pools.getPool(poolId);
    expect(p.owner).to.equal(ctx.customer.address);
    expect(p.sponsor).to.equal(ctx.sponsor.address);
  });

  it("creates the pool and moves no tokens when the cost is zero", async () => {
    const ctx = await setup();
    const free = await createPool(ctx, { cus: 0n, sus: 0n, ipv4us: 0n });
    await expect(free.tx).to.not.emit(ctx.token, "Transfer");
    await expect(free.tx)
      .to.emit(ctx.pools, "CapacityAdded")
      .withArgs(...capacityAddedArgs(free.poolId, free.data, ctx.customer.address, 0n));
    const p = await ctx.pools.getPool(free.poolId);
    expect([p.cu.balance, p.su.balance, p.ipv4u.balance]).to.deep.equal([0n, 0n, 0n]);

    const salt = ethers.id("free");
    await ctx.pools.connect(ctx.stranger).createFarm(salt, { cu: 0n, su: 0n, ipv4u: 0n });
    const freeFarm = await ctx.pools.farmIdOf(ctx.stranger.address, salt);
    const node = ethers.id("free-node");
    await ctx.pools.connect(ctx.stranger).declareNodes(freeFarm, [node]);
    const onFreeFarm = await createPool(ctx, { farmId: freeFarm, nodeIds: [node], maxCost: 0n });
    await expect(onFreeFarm.tx).to.not.emit(ctx.token, "Transfer");
    const q = await ctx.pools.getPool(onFreeFarm.poolId);
    expect(q.cu.balance).to.equal(CAPACITY.cus * MILLI);
    expect(q.cu.value).to.equal(0n);
  });

  it("creates pools of 32 nodes, and pools sharing nodes", async () => {
    const ctx = await setup();
    const big = await createPool(ctx, { nodeIds: ctx.nodes.slice(0, 32) });
    expect((await ctx.pools.getPool(big.poolId)).nodeCount).to.equal(32n);
    expect(await ctx.pools.poolHasNode(big.poolId, ctx.nodes[31])).to.equal(true);
    const again = await createPool(ctx, { nodeIds: [ctx.nodes[0]] });
    expect(again.poolId).to.not.equal(big.poolId);
    expect(await ctx.pools.poolHasNode(again.poolId, ctx.nodes[0])).to.equal(true);
  });

  it("creates another pool for the same reservation with another nonce", async () => {
    const ctx = await setup();
    const a = await createPool(ctx);
    const b = await createPool(ctx, { ...a.data, nonce: a.data.nonce + 1n });
    expect(b.poolId).to.not.equal(a.poolId);
    expect((await ctx.pools.getPool(b.poolId)).owner).to.equal(ctx.customer.address);
    expect(await ctx.token.balanceOf(ctx.poolsAddress)).to.equal(2n * costOf(CAPACITY));
  });

  it("reverts when the value bought does not fit a uint128, though within maxCost", async () => {
    const ctx = await setup();
    await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, { cu: 2n ** 127n, su: 0n, ipv4u: 0n });
    const r = makeReservation(ctx, { cus: 2n, sus: 0n, ipv4us: 0n, maxCost: MaxUint256 });
    await expect(sendReservation(ctx, r))
      .to.be.revertedWithCustomError(ctx.pools, "SafeCastOverflowedUintDowncast")
      .withArgs(128n, 2n ** 128n);
  });
});
