import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, MaxUint256, ZeroAddress, ZeroHash, keccak256 } from "ethers";

import * as model from "../../../src/pools/model";
import {
  CAPACITY,
  FARM_SALT,
  GRACE,
  LOW_RUNWAY,
  MAX_BATCH,
  MAX_GRACE_SECONDS,
  MAX_NODES_PER_POOL,
  MAX_WORKLOADS_PER_POOL,
  MILLI,
  MIN_RUNWAY,
  NEVER,
  PRICES,
  PoolStatus,
  RATES,
  RUNWAY,
  WorkloadStatus,
  assign,
  createPool,
  deployPoolsFixture,
  digestOf,
  makeReservation,
  mineAt,
  paidFor,
  poolFixture,
  ratesTuple,
  runningPoolFixture,
  start,
  valueOf,
  loadPoolsFixture,
} from "../../helpers/pools";
import type { ReservationData } from "../../../src/pools/reservation";

describe("CapacityPools views", () => {
  describe("constructor", () => {
    it("reverts with CapacityPools_ZeroAddressToken for the zero address", async () => {
      const factory = await ethers.getContractFactory("CapacityPools");
      await expect(factory.deploy(ZeroAddress)).to.be.revertedWithCustomError(
        factory,
        "CapacityPools_ZeroAddressToken",
      );
    });

    it("exposes the token and the EIP-712 domain", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      expect(await ctx.pools.token()).to.equal(await ctx.token.getAddress());
      const domain = await ctx.pools.eip712Domain();
      expect(domain.name).to.equal("Accord CapacityPools");
      expect(domain.version).to.equal("1");
      expect(domain.chainId).to.equal(ctx.chainId);
      expect(domain.verifyingContract).to.equal(ctx.poolsAddress);
    });
  });

  it("exposes the bounds and constants the TypeScript model uses", async () => {
    const { pools } = await loadPoolsFixture(deployPoolsFixture);
    expect(await pools.MAX_NODES_PER_POOL()).to.equal(32n);
    expect(await pools.MAX_WORKLOADS_PER_POOL()).to.equal(64n);
    expect(await pools.MAX_BATCH()).to.equal(32n);
    expect(await pools.MAX_GRACE_SECONDS()).to.equal(30n * 86_400n);
    expect(await pools.MIN_RUNWAY()).to.equal(120n);
    expect(await pools.LOW_RUNWAY()).to.equal(3_600n);
    expect(await pools.NEVER()).to.equal(2n ** 40n - 1n);
    expect([MAX_NODES_PER_POOL, MAX_WORKLOADS_PER_POOL, MAX_BATCH]).to.deep.equal([
      model.MAX_NODES_PER_POOL,
      model.MAX_WORKLOADS_PER_POOL,
      model.MAX_BATCH,
    ]);
    expect([MAX_GRACE_SECONDS, MIN_RUNWAY, LOW_RUNWAY, NEVER]).to.deep.equal([
      model.MAX_GRACE_SECONDS,
      model.MIN_RUNWAY,
      model.LOW_RUNWAY,
      model.NEVER,
    ]);
  });

  describe("farmIdOf", () => {
    it("is keccak256(abi.encode(provider, salt)) and differs per provider and salt", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const coder = AbiCoder.defaultAbiCoder();
      const expected = keccak256(coder.encode(["address", "bytes32"], [ctx.provider.address, FARM_SALT]));
      expect(await ctx.pools.farmIdOf(ctx.provider.address, FARM_SALT)).to.equal(expected);
      expect(ctx.farmId).to.equal(expected);
      const other = await ctx.pools.farmIdOf(ctx.stranger.address, FARM_SALT);
      expect(other).to.equal(keccak256(coder.encode(["address", "bytes32"], [ctx.stranger.address, FARM_SALT])));
      expect(other).to.not.equal(expected);
      expect(await ctx.pools.farmIdOf(ctx.provider.address, ZeroHash)).to.not.equal(expected);
    });
  });

  describe("getFarm and farmOfNode", () => {
    it("return zero for an unknown farm or node", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const farm = await ctx.pools.getFarm(ethers.id("nope"));
      expect(farm.provider).to.equal(ZeroAddress);
      expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([0n, 0n, 0n]);
      expect(await ctx.pools.farmOfNode(ctx.undeclaredNode)).to.equal(ZeroHash);
    });

    it("return the provider, the prices and the farm of each declared node", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const farm = await ctx.pools.getFarm(ctx.farmId);
      expect(farm.provider).to.equal(ctx.provider.address);
      expect([farm.prices.cu, farm.prices.su, farm.prices.ipv4u]).to.deep.equal([PRICES.cu, PRICES.su, PRICES.ipv4u]);
      expect(await ctx.pools.farmOfNode(ctx.nodes[0])).to.equal(ctx.farmId);
      expect(await ctx.pools.farmOfNode(ctx.nodes[39])).to.equal(ctx.farmId);
      expect(await ctx.pools.farmOfNode(ctx.otherNodes[1])).to.equal(ctx.otherFarmId);
    });
  });

  describe("getPool", () => {
    it("returns an all-zero pool for an unknown ID", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const p = await ctx.pools.getPool(ethers.id("nope"));
      expect(p.owner).to.equal(ZeroAddress);
      expect(p.lastUpdated).to.equal(0n);
      expect(p.emptyAt).to.equal(0n);
      expect(p.farmId).to.equal(ZeroHash);
      expect(valueOf(p)).to.equal(0n);
    });

    it("returns the pool as of its last update, not drawn down since", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await mineAt(ctx.startedAt + 500n);
      const p = await ctx.pools.getPool(ctx.poolId);
      expect(p.owner).to.equal(ctx.customer.address);
      expect(p.sponsor).to.equal(ZeroAddress);
      expect(p.farmId).to.equal(ctx.farmId);
      expect(p.graceSeconds).to.equal(GRACE);
      expect(p.nodeCount).to.equal(2n);
      expect(p.workloadCount).to.equal(1n);
      expect(p.runningCount).to.equal(1n);
      expect(p.lastUpdated).to.equal(ctx.startedAt);
      expect(p.emptyAt).to.equal(ctx.emptyAt);
      expect(p.status).to.equal(PoolStatus.Active);
      expect(p.cu.balance).to.equal(CAPACITY.cus * MILLI);
      expect(p.cu.value).to.equal(CAPACITY.cus * PRICES.cu);
      expect([p.cuRate, p.suRate, p.ipv4uRate]).to.deep.equal(ratesTuple(RATES));
    });
  });

  describe("currentPool", () => {
    it("reverts with CapacityPools_PoolNotFound for an unknown ID", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const id = ethers.id("nope");
      await expect(ctx.pools.currentPool(id))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_PoolNotFound")
        .withArgs(id);
    });

    it("returns the stored pool with lastUpdated = now when nothing runs", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      await mineAt(ctx.created.at + 1_000n);
      const stored = await ctx.pools.getPool(ctx.poolId);
      const current = await ctx.pools.currentPool(ctx.poolId);
      expect(current.lastUpdated).to.equal(ctx.created.at + 1_000n);
      expect(current.status).to.equal(PoolStatus.Idle);
      expect(current.emptyAt).to.equal(NEVER);
      expect(current.cu).to.deep.equal(stored.cu);
      expect(current.su).to.deep.equal(stored.su);
      expect(current.ipv4u).to.deep.equal(stored.ipv4u);
    });

    it("draws a running pool down to now, without writing, and gives the status now", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const t = 1_001n;
      await mineAt(ctx.startedAt + t);
      const c = await ctx.pools.currentPool(ctx.poolId);
      expect(c.lastUpdated).to.equal(ctx.startedAt + t);
      expect(c.emptyAt).to.equal(ctx.emptyAt);
      expect(c.status).to.equal(PoolStatus.Active);
      expect(c.cu.balance).to.equal(CAPACITY.cus * MILLI - RATES.cu * t);
      expect(c.su.balance).to.equal(CAPACITY.sus * MILLI - RATES.su * t);
      expect(c.ipv4u.balance).to.equal(CAPACITY.ipv4us * MILLI);
      expect(c.cu.value).to.equal(70_000n - 7n * t);
      // ⌊60_000 × 500 × 1001 / 20_000_000⌋ = ⌊1501.5⌋ = 1501 paid out of the SU value.
      expect(c.su.value).to.equal(60_000n - 1_501n);
      expect(c.ipv4u.value).to.equal(CAPACITY.ipv4us * PRICES.ipv4u);
      const stored = await ctx.pools.getPool(ctx.poolId);
      expect(stored.lastUpdated).to.equal(ctx.startedAt);
      expect(stored.cu.balance).to.equal(CAPACITY.cus * MILLI);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
    });

    it("gives RunwayLow, Empty and GraceOver as time passes, the stored status staying Active", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      const cases: Array<[bigint, number]> = [
        [ctx.emptyAt - LOW_RUNWAY - 1n, PoolStatus.Active],
        [ctx.emptyAt - LOW_RUNWAY, PoolStatus.RunwayLow],
        [ctx.emptyAt - 1n, PoolStatus.RunwayLow],
        [ctx.emptyAt, PoolStatus.Empty],
        [ctx.emptyAt + GRACE, PoolStatus.Empty],
        [ctx.emptyAt + GRACE + 1n, PoolStatus.GraceOver],
      ];
      for (const [ts, status] of cases) {
        await mineAt(ts);
        expect((await ctx.pools.currentPool(ctx.poolId)).status, `status at ${ts - ctx.startedAt}s`).to.equal(status);
      }
      expect((await ctx.pools.getPool(ctx.poolId)).status).to.equal(PoolStatus.Active);
    });

    it("draws down only to emptyAt when now is past it", async () => {
      const ctx = await loadPoolsFixture(runningPoolFixture);
      await mineAt(ctx.emptyAt + 777n);
      const c = await ctx.pools.currentPool(ctx.poolId);
      expect(c.lastUpdated).to.equal(ctx.emptyAt + 777n);
      expect(c.cu.balance).to.equal(0n);
      expect(c.cu.value).to.equal(0n);
      expect(c.su.balance).to.equal(CAPACITY.sus * MILLI - RATES.su * RUNWAY);
      expect(c.su.value).to.equal(
        CAPACITY.sus * PRICES.su - paidFor(CAPACITY.sus * PRICES.su, RATES.su * RUNWAY, CAPACITY.sus * MILLI),
      );
    });
  });

  it("poolHasNode is true for the pool's nodes only", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[0])).to.equal(true);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[1])).to.equal(true);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[2])).to.equal(false);
    const other = await createPool(ctx, { nodeIds: [ctx.nodes[2]] });
    expect(await ctx.pools.poolHasNode(other.poolId, ctx.nodes[2])).to.equal(true);
    expect(await ctx.pools.poolHasNode(other.poolId, ctx.nodes[0])).to.equal(false);
    expect(await ctx.pools.poolHasNode(ctx.poolId, ctx.nodes[2])).to.equal(false);
  });

  describe("getWorkload", () => {
    it("returns status None and zeros for an unknown workload", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const w = await ctx.pools.getWorkload(ethers.id("nope"));
      expect(w.status).to.equal(WorkloadStatus.None);
      expect(w.poolId).to.equal(ZeroHash);
      expect(w.nodeId).to.equal(ZeroHash);
      expect(w.startedAt).to.equal(0n);
    });

    it("returns pool, node, rates, status and startedAt (zero until started)", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const rates = { cu: 1n, su: 2n, ipv4u: 3n };
      const id = await assign(ctx, ctx.poolId, rates, { nodeId: ctx.nodes[1] });
      let w = await ctx.pools.getWorkload(id);
      expect(w.poolId).to.equal(ctx.poolId);
      expect(w.nodeId).to.equal(ctx.nodes[1]);
      expect([w.rates.cu, w.rates.su, w.rates.ipv4u]).to.deep.equal([1n, 2n, 3n]);
      expect(w.status).to.equal(WorkloadStatus.Assigned);
      expect(w.startedAt).to.equal(0n);
      const startedAt = await start(ctx, id);
      w = await ctx.pools.getWorkload(id);
      expect(w.status).to.equal(WorkloadStatus.Running);
      expect(w.startedAt).to.equal(startedAt);
    });
  });

  it("earnings is zero before any accrual; nonceUsed is true only for the customer's used nonce", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
    expect(await ctx.pools.nonceUsed(ctx.customer.address, ctx.created.data.nonce)).to.equal(true);
    expect(await ctx.pools.nonceUsed(ctx.customer.address, ctx.created.data.nonce + 1n)).to.equal(false);
    expect(await ctx.pools.nonceUsed(ctx.stranger.address, ctx.created.data.nonce)).to.equal(false);
  });

  describe("reservationCost", () => {
    it("prices each resource at the farm's current prices", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const r = makeReservation(ctx, { cus: 13n, sus: 17n, ipv4us: 19n });
      expect(await ctx.pools.reservationCost(r)).to.equal(13n * 7n + 17n * 3n + 19n * 11n);
      expect(await ctx.pools.reservationCost({ ...r, cus: 0n, sus: 0n })).to.equal(19n * 11n);
      await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, { cu: 100n, su: 0n, ipv4u: 1n });
      expect(await ctx.pools.reservationCost(r)).to.equal(13n * 100n + 19n);
      const other = makeReservation(ctx, { farmId: ctx.otherFarmId, cus: 1n, sus: 1n, ipv4us: 1n });
      expect(await ctx.pools.reservationCost(other)).to.equal(2n + 1n + 5n);
    });

    it("is zero for an unknown farm", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      expect(await ctx.pools.reservationCost(makeReservation(ctx, { farmId: ethers.id("nope") }))).to.equal(0n);
    });

    it("does not overflow at the maximum amounts and prices", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const maxPrice = 2n ** 128n - 1n;
      const maxAmount = 2n ** 64n - 1n;
      await ctx.pools.connect(ctx.provider).setFarmPrices(ctx.farmId, { cu: maxPrice, su: maxPrice, ipv4u: maxPrice });
      const r = makeReservation(ctx, { cus: maxAmount, sus: maxAmount, ipv4us: maxAmount });
      expect(await ctx.pools.reservationCost(r)).to.equal(3n * maxAmount * maxPrice);
    });
  });

  describe("reservationDigest", () => {
    it("equals the TypeScript reservationDigest", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const variants: Array<[string, ReservationData]> = [
        ["creation", makeReservation(ctx)],
        ["top-up", makeReservation(ctx, { poolId: ctx.poolId })],
        ["sponsor", makeReservation(ctx, { sponsor: ctx.sponsor.address })],
        ["no nodes", makeReservation(ctx, { nodeIds: [] })],
        ["32 nodes", makeReservation(ctx, { nodeIds: ctx.nodes.slice(0, 32) })],
        [
          "maxima",
          makeReservation(ctx, {
            cus: 2n ** 64n - 1n,
            sus: 2n ** 64n - 1n,
            ipv4us: 2n ** 64n - 1n,
            graceSeconds: 2n ** 32n - 1n,
            maxCost: MaxUint256,
            nonce: MaxUint256,
            deadline: MaxUint256,
          }),
        ],
      ];
      for (const [name, r] of variants) {
        expect(await ctx.pools.reservationDigest(r), name).to.equal(digestOf(ctx, r));
      }
    });

    it("changes with every field", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const base = makeReservation(ctx, { sponsor: ctx.sponsor.address });
      const baseDigest = await ctx.pools.reservationDigest(base);
      const changes: Array<[string, Partial<ReservationData>]> = [
        ["poolId", { poolId: ctx.poolId }],
        ["customer", { customer: ctx.stranger.address }],
        ["sponsor", { sponsor: ZeroAddress }],
        ["farmId", { farmId: ctx.otherFarmId }],
        ["cus", { cus: base.cus + 1n }],
        ["sus", { sus: base.sus + 1n }],
        ["ipv4us", { ipv4us: base.ipv4us + 1n }],
        ["nodeIds (one more)", { nodeIds: [...base.nodeIds, ctx.nodes[2]] }],
        ["nodeIds (reordered)", { nodeIds: [...base.nodeIds].reverse() }],
        ["graceSeconds", { graceSeconds: base.graceSeconds + 1n }],
        ["maxCost", { maxCost: 1n }],
        ["nonce", { nonce: base.nonce + 1n }],
        ["deadline", { deadline: base.deadline + 1n }],
      ];
      const seen = new Set([baseDigest]);
      for (const [name, change] of changes) {
        const r = { ...base, ...change };
        const digest = await ctx.pools.reservationDigest(r);
        expect(digest, name).to.equal(digestOf(ctx, r));
        expect(seen.has(digest), `${name} changes the digest`).to.equal(false);
        seen.add(digest);
      }
    });

    it("is the ID of the pool the reservation creates", async () => {
      const ctx = await loadPoolsFixture(deployPoolsFixture);
      const r = makeReservation(ctx);
      const digest = await ctx.pools.reservationDigest(r);
      const created = await createPool(ctx, r);
      expect(created.poolId).to.equal(digest);
      expect((await ctx.pools.getPool(digest)).owner).to.equal(ctx.customer.address);
    });
  });
});
