// The CapacityPools clients, method by method, on Hardhat's in-process network: the provider's farms, nodes and
// workloads, the customer's reservations (built, priced, signed, co-signed by a sponsor, submitted), workloads, top-ups
// and withdrawals, with their events and token balances; reverts as AccordContractError naming the custom error, bad
// input as AccordValidationError naming the field; and pools read as of now by the TypeScript model, equal to the
// contract's own `currentPool` view after time jumps.

import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ZeroAddress } from "ethers";
import {
  AccordClientError,
  CapacityPoolsClient,
  CapacityPoolsCustomerClient,
  CapacityPoolsProviderClient,
  idFromName,
  type PoolView,
  type StoredPool,
} from "../../src/clients";
import { deployAccord, type AccordDeploymentResult } from "../../src/deployments";
import { AccordValidationError, PoolStatus } from "../../src/model";
import { LOW_RUNWAY, MAX_BATCH, NEVER, NEW_POOL } from "../../src/pools";
import { expectContractError, expectError, lower } from "./helpers";

const FUNDS = 10n ** 24n;
const PRICES = { cu: 10n, su: 8n, ipv4u: 6n };
const NODES = [idFromName("node-a"), idFromName("node-b"), idFromName("node-c")];
const OTHER_NODE = idFromName("node-elsewhere");
/** 1 CU and 1.4 SU: 2 cores, 4 GB, 120 GB SSD, 1.2 TB HDD. */
const RESOURCES = { cru: 2, mru: 4, sru: 120, hru: 1200 };
const RATES = { cu: 1000n, su: 1400n, ipv4u: 0n };

type Fixture = AccordDeploymentResult & {
  accounts: {
    provider: HardhatEthersSigner;
    customer: HardhatEthersSigner;
    sponsor: HardhatEthersSigner;
    stranger: HardhatEthersSigner;
  };
  provider: CapacityPoolsProviderClient;
  customer: CapacityPoolsCustomerClient;
  sponsor: CapacityPoolsCustomerClient;
  stranger: CapacityPoolsCustomerClient;
  strangerProvider: CapacityPoolsProviderClient;
  farmId: string;
};

async function poolsFixture(): Promise<Fixture> {
  const deployed = await deployAccord(hre);
  const [, provider, customer, sponsor, stranger] = await hre.ethers.getSigners();
  for (const account of [customer, sponsor, stranger]) {
    await (await deployed.token.transfer(account.address, FUNDS)).wait();
  }
  const { deployment } = deployed;
  const providerClient = await CapacityPoolsProviderClient.fromDeployment(provider, deployment);
  const { farmId } = await providerClient.createFarm(PRICES, { salt: idFromName("farm") });
  await providerClient.declareNodes(farmId, NODES);
  return {
    ...deployed,
    accounts: { provider, customer, sponsor, stranger },
    provider: providerClient,
    customer: await CapacityPoolsCustomerClient.fromDeployment(customer, deployment),
    sponsor: await CapacityPoolsCustomerClient.fromDeployment(sponsor, deployment),
    stranger: await CapacityPoolsCustomerClient.fromDeployment(stranger, deployment),
    strangerProvider: await CapacityPoolsProviderClient.fromDeployment(stranger, deployment),
    farmId,
  };
}

/** 7200 CU·s and 14000 SU·s: two hours of RATES' CU (the binding resource), 10000 s of its SU. */
const CAPACITY = { cus: 7200n, sus: 14_000n, ipv4us: 0n };
const COST = 7200n * PRICES.cu + 14_000n * PRICES.su;

async function withPool(f: Fixture, grace = 600n) {
  const created = await f.customer.createPool({
    farmId: f.farmId,
    ...CAPACITY,
    nodeIds: NODES.slice(0, 2),
    graceSeconds: grace,
  });
  return created.poolId;
}

async function withRunningWorkload(f: Fixture, grace = 600n) {
  const poolId = await withPool(f, grace);
  const workloadId = idFromName("workload-1");
  await f.customer.assignWorkload({ workloadId, poolId, nodeId: NODES[0], resources: RESOURCES });
  const started = await f.provider.startWorkload(workloadId);
  return {
    poolId,
    workloadId,
    startedAt: BigInt((await hre.ethers.provider.getBlock(started.blockNumber))!.timestamp),
  };
}

function expectValidation(error: AccordValidationError, field: string): void {
  expect(error.field, error.message).to.equal(field);
}

/** The fields the contract's view and the model both give. */
function comparable(pool: StoredPool | PoolView) {
  return {
    owner: pool.owner,
    sponsor: pool.sponsor,
    farmId: pool.farmId,
    lastUpdated: pool.lastUpdated,
    emptyAt: pool.emptyAt,
    status: pool.status,
    graceSeconds: pool.graceSeconds,
    nodeCount: pool.nodeCount,
    workloadCount: pool.workloadCount,
    runningCount: pool.runningCount,
    rates: pool.rates,
    cu: pool.cu,
    su: pool.su,
    ipv4u: pool.ipv4u,
  };
}

describe("clients: CapacityPools", function () {
  describe("construction", function () {
    it("connects to the deployment's CapacityPools and its token", async function () {
      const f = await loadFixture(poolsFixture);
      const { CapacityPools, AccordToken } = f.deployment.contracts;
      expect(await f.customer.pools.getAddress()).to.equal(CapacityPools.address);
      expect(f.customer.fromBlock).to.equal(CapacityPools.blockNumber);
      expect(await (await f.customer.getToken()).getAddress()).to.equal(AccordToken.address);
      // Without a token address, the token is the pools' own.
      const bare = new CapacityPoolsClient(f.accounts.customer, { pools: CapacityPools.address });
      expect(await (await bare.getToken()).getAddress()).to.equal(AccordToken.address);
      expect(await bare.tokenBalance()).to.equal(FUNDS);
      expect(() => new CapacityPoolsClient(f.accounts.customer, {}).pools).to.throw(AccordClientError);
      expectValidation(
        expectErrorSync(() => new CapacityPoolsClient(f.accounts.customer, { logRange: 0 }), AccordValidationError),
        "logRange",
      );
    });
  });

  describe("provider: farms and nodes", function () {
    it("creates a farm under farmIdOf(provider, salt), with its prices", async function () {
      const f = await loadFixture(poolsFixture);
      const salt = idFromName("second farm");
      const created = await f.provider.createFarm({ cu: 1, su: "2", ipv4u: 3n }, { salt });
      const expected = await f.pools.farmIdOf(f.accounts.provider.address, salt);
      expect(created.farmId).to.equal(expected.toLowerCase());
      expect(await f.provider.farmIdOf(salt)).to.equal(created.farmId);
      expect(created.get("FarmCreated").args).to.deep.equal({
        farmId: created.farmId,
        provider: lower(f.accounts.provider.address),
        prices: { cu: 1n, su: 2n, ipv4u: 3n },
      });
      expect(await f.provider.getFarm(created.farmId)).to.deep.equal({
        farmId: created.farmId,
        exists: true,
        provider: f.accounts.provider.address,
        prices: { cu: 1n, su: 2n, ipv4u: 3n },
        maxGraceSeconds: 30n * 86_400n,
      });
      expect((await f.provider.getFarm(idFromName("none"))).exists).to.equal(false);
      await expectContractError(f.provider.createFarm(PRICES, { salt }), "CapacityPools_FarmExists");
      // A random salt by default.
      const random = await f.provider.createFarm(PRICES);
      expect(random.farmId).to.equal(await f.provider.farmIdOf(random.salt));
      const farms = await f.provider.listFarms();
      expect(farms.map((farm) => farm.farmId)).to.deep.equal([f.farmId, created.farmId, random.farmId]);
    });

    it("sets prices and declares nodes, only as the farm's provider", async function () {
      const f = await loadFixture(poolsFixture);
      const set = await f.provider.setFarmPrices(f.farmId, { cu: 11, su: 9, ipv4u: 7 });
      expect(set.get("FarmPricesSet").args.prices).to.deep.equal({ cu: 11n, su: 9n, ipv4u: 7n });
      await expectContractError(f.strangerProvider.setFarmPrices(f.farmId, PRICES), "CapacityPools_NotFarmProvider");
      await expectContractError(f.provider.setFarmPrices(idFromName("none"), PRICES), "CapacityPools_FarmNotFound");

      // The farm bounds its pools' grace periods; a reservation asking for more is refused before it is signed.
      const limited = await f.provider.setFarmGraceLimit(f.farmId, 600);
      expect(limited.get("FarmGraceLimitSet").args).to.deep.equal({ farmId: f.farmId, maxGraceSeconds: 600n });
      expect((await f.provider.getFarm(f.farmId)).maxGraceSeconds).to.equal(600n);
      expectValidation(
        await expectError(f.provider.setFarmGraceLimit(f.farmId, 30 * 86_400 + 1), AccordValidationError),
        "maxGraceSeconds",
      );
      await expectContractError(f.strangerProvider.setFarmGraceLimit(f.farmId, 60), "CapacityPools_NotFarmProvider");
      expectValidation(
        await expectError(
          f.customer.buildReservation({ farmId: f.farmId, cus: 1, nodeIds: [NODES[0]], graceSeconds: 601 }),
          AccordValidationError,
        ),
        "graceSeconds",
      );
      await f.customer.buildReservation({ farmId: f.farmId, cus: 1, nodeIds: [NODES[0]], graceSeconds: 600 });

      const declared = await f.provider.declareNodes(f.farmId, [OTHER_NODE]);
      expect(declared.filter("NodeDeclared").map((e) => e.args)).to.deep.equal([
        { nodeId: OTHER_NODE, farmId: f.farmId },
      ]);
      expect(await f.provider.farmOfNode(OTHER_NODE)).to.equal(f.farmId);
      expect(await f.provider.farmOfNode(idFromName("undeclared"))).to.equal(null);
      const again = await expectContractError(
        f.provider.declareNodes(f.farmId, [OTHER_NODE]),
        "CapacityPools_NodeAlreadyDeclared",
      );
      expect(again.args.nodeId).to.equal(OTHER_NODE);
      await expectContractError(
        f.strangerProvider.declareNodes(f.farmId, [idFromName("x")]),
        "CapacityPools_NotFarmProvider",
      );
      expect((await f.provider.listNodes([f.farmId])).map((n) => n.nodeId)).to.deep.equal([...NODES, OTHER_NODE]);
    });

    it("refuses bad input before sending, naming the field", async function () {
      const f = await loadFixture(poolsFixture);
      expectValidation(await expectError(f.provider.createFarm({ cu: -1 }), AccordValidationError), "prices.cu");
      expectValidation(
        await expectError(f.provider.createFarm({ su: 2n ** 128n }), AccordValidationError),
        "prices.su",
      );
      expectValidation(
        await expectError(f.provider.createFarm(PRICES, { salt: "0x12" }), AccordValidationError),
        "salt",
      );
      expectValidation(await expectError(f.provider.setFarmPrices("farm", PRICES), AccordValidationError), "farmId");
      expectValidation(await expectError(f.provider.declareNodes(f.farmId, []), AccordValidationError), "nodeIds");
      const tooMany = Array.from({ length: MAX_BATCH + 1 }, (_, i) => idFromName(`n${i}`));
      expectValidation(await expectError(f.provider.declareNodes(f.farmId, tooMany), AccordValidationError), "nodeIds");
      expectValidation(
        await expectError(f.provider.declareNodes(f.farmId, [OTHER_NODE, OTHER_NODE]), AccordValidationError),
        "nodeIds[1]",
      );
      expectValidation(
        await expectError(f.provider.declareNodes(f.farmId, [NEW_POOL]), AccordValidationError),
        "nodeIds[0]",
      );
      expectValidation(await expectError(f.provider.startWorkload("0x"), AccordValidationError), "workloadId");
      expectValidation(await expectError(f.provider.withdrawEarnings({ to: "nobody" }), AccordValidationError), "to");
      expectValidation(
        await expectError(
          f.provider.withdrawEarnings({ pools: [NEW_POOL.replace(/0$/, "1"), "0x"] }),
          AccordValidationError,
        ),
        "pools[1]",
      );
    });
  });

  describe("customer: reservations", function () {
    it("builds a reservation: defaults, cost, maxCost with slippage, and the contract's digest", async function () {
      const f = await loadFixture(poolsFixture);
      const before = await f.customer.latestTimestamp();
      const prepared = await f.customer.buildReservation(
        { farmId: f.farmId, ...CAPACITY, nodeIds: NODES.slice(0, 2), graceSeconds: 600 },
        { slippageBps: 150 },
      );
      expect(prepared.cost).to.equal(COST);
      expect(prepared.prices).to.deep.equal(PRICES);
      expect(prepared.data.maxCost).to.equal((COST * 10_150n + 9_999n) / 10_000n);
      expect(prepared.data.customer).to.equal(f.accounts.customer.address);
      expect(prepared.data.sponsor).to.equal(ZeroAddress);
      expect(prepared.data.poolId).to.equal(NEW_POOL);
      expect(prepared.data.deadline).to.equal(before + 3600n);
      expect(prepared.data.nonce > 0n).to.equal(true);
      expect(prepared.digest).to.equal((await f.pools.reservationDigest(prepared.data)).toLowerCase());
      expect(await f.pools.reservationCost(prepared.data)).to.equal(prepared.cost);
      expect((await f.customer.quoteReservation(prepared)).cost).to.equal(COST);
      const other = await f.customer.buildReservation({ farmId: f.farmId, cus: 1, nodeIds: [NODES[0]] });
      expect(other.data.nonce).to.not.equal(prepared.data.nonce);
      expect(other.data.maxCost).to.equal(10n);
    });

    it("refuses a bad reservation, naming the field", async function () {
      const f = await loadFixture(poolsFixture);
      const base = { farmId: f.farmId, cus: 10, nodeIds: [NODES[0]] };
      const cases: [Parameters<CapacityPoolsCustomerClient["buildReservation"]>[0], string][] = [
        [{ cus: 1, nodeIds: [NODES[0]] }, "farmId"],
        [{ ...base, farmId: "0x1234" }, "farmId"],
        [{ ...base, farmId: idFromName("no farm") }, "farmId"],
        [{ ...base, nodeIds: ["node"] }, "nodeIds[0]"],
        [{ ...base, nodeIds: [] }, "nodeIds"],
        [{ ...base, nodeIds: [NODES[0], NODES[0]] }, "nodeIds[1]"],
        [{ ...base, graceSeconds: 31n * 86400n }, "graceSeconds"],
        [{ ...base, cus: -1 }, "cus"],
        [{ ...base, sus: 2n ** 64n }, "sus"],
        [{ ...base, sponsor: "0xnope" }, "sponsor"],
        [{ ...base, customer: ZeroAddress }, "customer"],
        [{ ...base, maxCost: 99 }, "maxCost"],
        [{ ...base, deadline: "tomorrow" }, "deadline"],
        [{ poolId: idFromName("no pool"), cus: 1 }, "poolId"],
      ];
      for (const [draft, field] of cases) {
        expectValidation(await expectError(f.customer.buildReservation(draft), AccordValidationError), field);
      }
      expectValidation(
        await expectError(f.customer.buildReservation(base, { slippageBps: -5 }), AccordValidationError),
        "slippageBps",
      );
      const poolId = await withPool(f);
      expectValidation(
        await expectError(f.customer.buildReservation({ poolId, cus: 1, graceSeconds: 5 }), AccordValidationError),
        "graceSeconds",
      );
      expectValidation(
        await expectError(
          f.customer.createPool({ ...base, sponsor: f.accounts.sponsor.address }),
          AccordValidationError,
        ),
        "sponsor",
      );
    });

    it("creates a pool: its events, its ID (the digest), the exact approval and the tokens moved", async function () {
      const f = await loadFixture(poolsFixture);
      const poolsAddress = await f.pools.getAddress();
      const created = await f.customer.createPool({
        farmId: f.farmId,
        ...CAPACITY,
        nodeIds: NODES.slice(0, 2),
        graceSeconds: 600,
      });
      expect(created.created).to.equal(true);
      expect(created.cost).to.equal(COST);
      expect(created.payer).to.equal(f.accounts.customer.address);
      expect(created.approval?.get("Approval").args).to.deep.include({ spender: lower(poolsAddress), value: COST });
      expect(created.get("PoolCreated").args).to.deep.equal({
        poolId: created.poolId,
        owner: lower(f.accounts.customer.address),
        sponsor: ZeroAddress,
        farmId: f.farmId,
        graceSeconds: 600n,
      });
      expect(created.filter("PoolNodeAdded").map((e) => e.args.nodeId)).to.deep.equal(NODES.slice(0, 2));
      expect(created.get("CapacityAdded").args).to.deep.include({ cus: 7200n, sus: 14_000n, ipv4us: 0n, cost: COST });
      const updated = created.get("PoolUpdated").args;
      expect(updated).to.deep.include({ cuBalance: 7_200_000n, suBalance: 14_000_000n, emptyAt: NEVER, value: COST });
      expect(await f.customer.tokenBalance()).to.equal(FUNDS - COST);
      expect(await f.token.balanceOf(poolsAddress)).to.equal(COST);
      expect(await f.customer.allowance()).to.equal(0n);

      const pool = await f.customer.getPool(created.poolId);
      expect(pool).to.deep.include({
        owner: f.accounts.customer.address,
        sponsor: null,
        beneficiary: f.accounts.customer.address,
        farmId: f.farmId,
        status: PoolStatus.Idle,
        statusName: "Idle",
        nodeCount: 2,
        workloadCount: 0,
        runningCount: 0,
        value: COST,
        accrued: 0n,
        runway: null,
        graceEndsAt: null,
      });
      expect(await f.customer.getPoolNodes(created.poolId)).to.deep.equal(NODES.slice(0, 2));
      expect(await f.customer.poolHasNode(created.poolId, NODES[2])).to.equal(false);
      const events = (await f.customer.getPoolEvents(created.poolId)).map((e) => e.eventName);
      expect(events).to.deep.equal(["PoolCreated", "PoolNodeAdded", "PoolNodeAdded", "CapacityAdded", "PoolUpdated"]);
    });

    it("turns reverts into AccordContractError: a used nonce, a cost above maxCost, an expired deadline", async function () {
      const f = await loadFixture(poolsFixture);
      const prepared = await f.customer.buildReservation({ farmId: f.farmId, cus: 100, nodeIds: [NODES[0]] });
      await f.customer.reserve(prepared);
      expect(await f.customer.nonceUsed(prepared.data.nonce)).to.equal(true);
      const used = await expectContractError(f.customer.reserve(prepared), "CapacityPools_NonceUsed");
      expect(used.args.nonce).to.equal(prepared.data.nonce);

      const pricey = await f.customer.buildReservation({ farmId: f.farmId, cus: 100, nodeIds: [NODES[0]] });
      await f.provider.setFarmPrices(f.farmId, { ...PRICES, cu: 11n });
      const above = await expectContractError(f.customer.reserve(pricey), "CapacityPools_CostAboveMax");
      expect(above.args).to.deep.include({ cost: 1100n, maxCost: 1000n });

      const late = await f.customer.buildReservation({ farmId: f.farmId, cus: 1, nodeIds: [NODES[0]] });
      await time.increase(3601);
      await expectContractError(f.customer.reserve(late), "CapacityPools_ReservationExpired");

      const unapproved = await f.customer.buildReservation({ farmId: f.farmId, cus: 1, nodeIds: [NODES[0]] });
      await expectContractError(f.customer.reserve(unapproved, { allowance: "none" }), "ERC20InsufficientAllowance");
      await expectContractError(f.customer.getPool(idFromName("no pool")), "CapacityPools_PoolNotFound");
    });

    it("lets a sponsor co-sign and pay: the pool's unconsumed balance is the sponsor's", async function () {
      const f = await loadFixture(poolsFixture);
      const prepared = await f.customer.buildReservation({
        farmId: f.farmId,
        ...CAPACITY,
        nodeIds: [NODES[0]],
        sponsor: f.accounts.sponsor.address,
      });
      const signed = await f.customer.signReservation(prepared);
      expect(signed.sponsorSignature).to.equal("0x");
      // Only the sponsor co-signs; the customer's signature is needed from anyone else.
      const notSponsor = await expectError(f.customer.signAsSponsor(signed), AccordClientError);
      expect(notSponsor.code).to.equal("NOT_A_PARTY");
      expect((await expectError(f.sponsor.signReservation(prepared), AccordClientError)).code).to.equal("NOT_A_PARTY");
      expectValidation(await expectError(f.stranger.reserve(signed), AccordValidationError), "sponsorSignature");
      expectValidation(
        await expectError(f.sponsor.reserve({ ...signed, customerSignature: "0x" }), AccordValidationError),
        "customerSignature",
      );
      const cosigned = await f.sponsor.signAsSponsor(signed);
      expect(cosigned.customerSignature).to.equal(signed.customerSignature);
      // A forged customer signature is the contract's to refuse.
      const forged = { ...cosigned, customerSignature: cosigned.sponsorSignature };
      const invalid = await expectContractError(f.stranger.reserve(forged), "CapacityPools_InvalidSignature");
      expect(invalid.args.expectedSigner).to.equal(f.accounts.customer.address);

      const before = await f.sponsor.tokenBalance();
      const submitted = await f.sponsor.reserve(cosigned);
      expect(submitted.payer).to.equal(f.accounts.sponsor.address);
      expect(submitted.get("CapacityAdded").args).to.deep.include({
        customer: lower(f.accounts.customer.address),
        payer: lower(f.accounts.sponsor.address),
        cost: COST,
      });
      expect(submitted.poolId).to.equal(prepared.digest);
      expect(await f.sponsor.tokenBalance()).to.equal(before - COST);
      expect(await f.customer.tokenBalance()).to.equal(FUNDS);
      const pool = await f.customer.getPool(submitted.poolId);
      expect(pool.owner).to.equal(f.accounts.customer.address);
      expect(pool.sponsor).to.equal(f.accounts.sponsor.address);
      expect(pool.beneficiary).to.equal(f.accounts.sponsor.address);

      // The unconsumed balance returns to the sponsor, not the owner.
      await expectContractError(f.customer.withdrawUnconsumed(submitted.poolId), "CapacityPools_NotBeneficiary");
      const withdrawn = await f.sponsor.withdrawUnconsumed(submitted.poolId);
      expect(withdrawn.get("UnconsumedWithdrawn").args).to.deep.include({
        beneficiary: lower(f.accounts.sponsor.address),
        amount: COST,
      });
      expect(await f.sponsor.tokenBalance()).to.equal(before);
    });

    it("a third party submits a signed reservation for a paying customer", async function () {
      const f = await loadFixture(poolsFixture);
      const prepared = await f.customer.buildReservation({ farmId: f.farmId, cus: 50, nodeIds: [NODES[1]] });
      const signed = await f.customer.signReservation(prepared);
      await f.customer.ensureAllowance(prepared.cost);
      const submitted = await f.stranger.reserve(signed);
      expect(submitted.approval).to.equal(undefined);
      expect(submitted.payer).to.equal(f.accounts.customer.address);
      expect(await f.customer.tokenBalance()).to.equal(FUNDS - 500n);
      expect(await f.stranger.tokenBalance()).to.equal(FUNDS);
    });

    it("tops a pool up (the farm read from the pool) and cancels nonces", async function () {
      const f = await loadFixture(poolsFixture);
      const poolId = await withPool(f);
      const topped = await f.customer.topUp(poolId, { cus: 100, nodeIds: [NODES[2]] }, { allowance: "unlimited" });
      expect(topped.created).to.equal(false);
      expect(topped.poolId).to.equal(poolId);
      expect(topped.filter("PoolNodeAdded").map((e) => e.args.nodeId)).to.deep.equal([NODES[2]]);
      expect(topped.get("CapacityAdded").args.cost).to.equal(1000n);
      expect(topped.approval?.get("Approval").args.value).to.equal(2n ** 256n - 1n);
      expect((await f.customer.getPool(poolId)).cu.balance).to.equal(7_300_000n);
      // Anyone may top up; only the owner may add nodes.
      await expectContractError(f.stranger.topUp(poolId, { nodeIds: [OTHER_NODE] }), "CapacityPools_NotPoolOwner");
      expect((await f.stranger.topUp(poolId, { sus: 10 })).cost).to.equal(80n);

      const cancelled = await f.customer.cancelNonce(42);
      expect(cancelled.get("NonceCancelled").args).to.deep.equal({
        customer: lower(f.accounts.customer.address),
        nonce: 42n,
      });
      expect(await f.customer.nonceUsed(42n)).to.equal(true);
      await expectContractError(f.customer.cancelNonce(42), "CapacityPools_NonceUsed");
      await expectContractError(f.customer.topUp(poolId, { cus: 1, nonce: 42 }), "CapacityPools_NonceUsed");
      expectValidation(await expectError(f.customer.cancelNonce(-1), AccordValidationError), "nonce");
    });
  });

  describe("workloads", function () {
    it("assigns (rates from computeUnits or given), starts, and lists what is assigned to the provider's nodes", async function () {
      const f = await loadFixture(poolsFixture);
      const poolId = await withPool(f);
      const workloadId = idFromName("w1");
      const assigned = await f.customer.assignWorkload({ workloadId, poolId, nodeId: NODES[0], resources: RESOURCES });
      expect(assigned.rates).to.deep.equal(RATES);
      expect(assigned.get("WorkloadAssigned").args).to.deep.equal({
        workloadId,
        poolId,
        nodeId: NODES[0],
        rates: RATES,
      });
      // The same assignment again is a no-op; other rates under the same ID are refused.
      expect(
        (await f.customer.assignWorkload({ workloadId, poolId, nodeId: NODES[0], rates: RATES })).events,
      ).to.have.length(0);
      await expectContractError(
        f.customer.assignWorkload({ workloadId, poolId, nodeId: NODES[0], rates: { cu: 1 } }),
        "CapacityPools_WorkloadExists",
      );
      await expectContractError(
        f.stranger.assignWorkload({ workloadId: idFromName("w2"), poolId, nodeId: NODES[0], rates: RATES }),
        "CapacityPools_NotPoolOwner",
      );
      await expectContractError(
        f.customer.assignWorkload({ workloadId: idFromName("w2"), poolId, nodeId: NODES[2], rates: RATES }),
        "CapacityPools_NodeNotInPool",
      );
      expectValidation(
        await expectError(
          f.customer.assignWorkload({ workloadId: NEW_POOL, poolId, nodeId: NODES[0], rates: RATES }),
          AccordValidationError,
        ),
        "workloadId",
      );
      expectValidation(
        await expectError(
          f.customer.assignWorkload({
            workloadId: idFromName("w3"),
            poolId,
            nodeId: NODES[0],
            rates: { cu: 2n ** 32n },
          }),
          AccordValidationError,
        ),
        "rates.cu",
      );
      expectValidation(
        await expectError(
          f.customer.assignWorkload({
            workloadId: idFromName("w3"),
            poolId,
            nodeId: NODES[0],
            resources: { cru: -1, mru: 1 },
          }),
          AccordValidationError,
        ),
        "cru",
      );

      const listed = await f.provider.listAssignedWorkloads();
      expect(listed.map((w) => [w.workloadId, w.statusName, w.farmId, w.nodeId])).to.deep.equal([
        [workloadId, "Assigned", f.farmId, NODES[0]],
      ]);
      await expectContractError(f.strangerProvider.startWorkload(workloadId), "CapacityPools_Unauthorized");
      await expectContractError(f.provider.startWorkload(idFromName("nothing")), "CapacityPools_WorkloadNotFound");
      const started = await f.provider.startWorkload(workloadId);
      expect(started.started).to.equal(true);
      expect(started.get("WorkloadStarted").args).to.deep.equal({ workloadId, poolId, nodeId: NODES[0] });
      expect(started.get("PoolStatusChanged").args.status).to.equal(BigInt(PoolStatus.Active));
      expect((await f.provider.startWorkload(workloadId)).started, "idempotent").to.equal(false);
      const workload = await f.provider.getWorkload(workloadId);
      expect(workload).to.deep.include({ exists: true, poolId, nodeId: NODES[0], statusName: "Running", rates: RATES });
      expect(await f.provider.listAssignedWorkloads({ status: ["Assigned"] })).to.deep.equal([]);
      expect((await f.provider.listAssignedWorkloads({ status: ["Running"] })).map((w) => w.workloadId)).to.deep.equal([
        workloadId,
      ]);
      expect((await f.provider.getWorkload(idFromName("nothing"))).exists).to.equal(false);
    });

    it("refuses a start without MIN_RUNWAY of capacity: CapacityPools_InsufficientRunway", async function () {
      const f = await loadFixture(poolsFixture);
      const created = await f.customer.createPool({ farmId: f.farmId, cus: 100, sus: 1000, nodeIds: [NODES[0]] });
      const workloadId = idFromName("hungry");
      await f.customer.assignWorkload({ workloadId, poolId: created.poolId, nodeId: NODES[0], rates: RATES });
      const refused = await expectContractError(
        f.provider.startWorkload(workloadId),
        "CapacityPools_InsufficientRunway",
      );
      expect(refused.args.poolId).to.equal(created.poolId);
      // With more capacity it starts.
      await f.customer.topUp(created.poolId, { cus: 1000 });
      expect((await f.provider.startWorkload(workloadId)).started).to.equal(true);
    });

    it("removes a workload (owner or provider), then the beneficiary withdraws what is left", async function () {
      const f = await loadFixture(poolsFixture);
      const { poolId, workloadId, startedAt } = await withRunningWorkload(f);
      await expectContractError(f.customer.withdrawUnconsumed(poolId), "CapacityPools_PoolBusy");
      await expectContractError(f.stranger.removeWorkload(workloadId), "CapacityPools_Unauthorized");
      await time.increase(99);
      const removed = await f.customer.removeWorkload(workloadId);
      expect(removed.get("WorkloadRemoved").args).to.deep.equal({
        workloadId,
        poolId,
        by: lower(f.accounts.customer.address),
      });
      const accrued = removed.get("Accrued").args.amount;
      const elapsed = BigInt((await hre.ethers.provider.getBlock(removed.blockNumber))!.timestamp) - startedAt;
      // value × consumed / balance for each resource: 10 per CU·s, 8 per SU·s at 1.4 SU.
      expect(accrued).to.equal(10n * elapsed + (112_000n * 1400n * elapsed) / 14_000_000n);
      expect((await f.customer.removeWorkload(workloadId)).events, "a no-op once removed").to.have.length(0);
      const pool = await f.customer.getPool(poolId);
      expect(pool.statusName).to.equal("Idle");
      expect(pool.value).to.equal(COST - accrued);
      // The provider may remove one too (here an assigned one: nothing accrues).
      const other = idFromName("other");
      await f.customer.assignWorkload({ workloadId: other, poolId, nodeId: NODES[1], rates: RATES });
      const byProvider = await f.provider.removeWorkload(other);
      expect(byProvider.get("WorkloadRemoved").args.by).to.equal(lower(f.accounts.provider.address));
      expect(byProvider.find("Accrued")).to.equal(undefined);
      const before = await f.customer.tokenBalance();
      const withdrawn = await f.customer.withdrawUnconsumed(poolId);
      expect(withdrawn.get("UnconsumedWithdrawn").args.amount).to.equal(COST - accrued);
      expect(await f.customer.tokenBalance()).to.equal(before + COST - accrued);
      expect((await f.customer.getPool(poolId)).value).to.equal(0n);
      await expectContractError(f.customer.withdrawUnconsumed(poolId), "CapacityPools_NothingToWithdraw");
      expectValidation(await expectError(f.customer.withdrawUnconsumed(poolId, "me"), AccordValidationError), "to");
    });
  });

  describe("pools as of now, syncing, expiry and earnings", function () {
    it("reads balances as of now by the model, equal to the contract's currentPool view after time jumps", async function () {
      const f = await loadFixture(poolsFixture);
      const { poolId, startedAt } = await withRunningWorkload(f, 600n);
      const emptyAt = startedAt + 7200n;
      const steps = [10, 3000, 600, 3000, 700, 300, 1000];
      const statuses: string[] = [];
      for (const step of steps) {
        await time.increase(step);
        const chain = await f.customer.getChainCurrentPool(poolId);
        // The view ran at a block time of its own (lastUpdated): the model at that time gives the same pool.
        const model = await f.customer.getPool(poolId, { at: chain.lastUpdated });
        expect(comparable(model), `after +${step} s`).to.deep.equal(comparable(chain));
        expect(model.emptyAt).to.equal(emptyAt);
        statuses.push(model.statusName);
        const now = await f.customer.latestTimestamp();
        const current = await f.customer.getPool(poolId);
        expect(current.now).to.equal(now);
        expect(current.runway).to.equal(now < emptyAt ? emptyAt - now : 0n);
        expect(current.graceEndsAt).to.equal(emptyAt + 600n);
        expect(await f.customer.runway(poolId)).to.equal(current.runway);
      }
      expect(statuses).to.deep.equal(["Active", "Active", "RunwayLow", "RunwayLow", "Empty", "Empty", "GraceOver"]);
      expect((await f.customer.poolStatus(poolId)).statusName).to.equal("GraceOver");
      expectValidation(await expectError(f.customer.getPool(poolId, { at: 1n }), AccordValidationError), "at");
      // "Now" read a block before the pool (a block mined between the two reads): the pool as of its own update.
      const stored = await f.customer.getStoredPool(poolId);
      const latest = Object.getOwnPropertyDescriptor(f.customer, "latestTimestamp");
      f.customer.latestTimestamp = () => Promise.resolve(stored!.lastUpdated - 5n);
      try {
        const raced = await f.customer.getPool(poolId);
        expect(raced.now).to.equal(stored!.lastUpdated);
        expect(raced.cu).to.deep.equal(stored!.cu);
      } finally {
        if (latest) Object.defineProperty(f.customer, "latestTimestamp", latest);
        else delete (f.customer as { latestTimestamp?: unknown }).latestTimestamp;
      }
    });

    it("syncPool accrues what the model predicts and emits the status changes", async function () {
      const f = await loadFixture(poolsFixture);
      const { poolId, startedAt } = await withRunningWorkload(f);
      await time.increaseTo(startedAt + 7200n - LOW_RUNWAY - 1n);
      const predicted = await f.customer.getPool(poolId, { at: startedAt + 7200n - LOW_RUNWAY });
      const synced = await f.stranger.syncPool(poolId);
      expect(synced.get("Accrued").args).to.deep.equal({
        poolId,
        provider: lower(f.accounts.provider.address),
        amount: predicted.accrued,
      });
      expect(synced.get("PoolStatusChanged").args).to.deep.include({
        status: BigInt(PoolStatus.RunwayLow),
        emptyAt: startedAt + 7200n,
        graceEndsAt: startedAt + 7800n,
      });
      expect(await f.provider.earnings()).to.equal(predicted.accrued);
      const stored = await f.customer.getStoredPool(poolId);
      expect(comparable(stored!)).to.deep.equal(comparable(predicted));
      await expectContractError(f.stranger.syncPool(idFromName("no pool")), "CapacityPools_PoolNotFound");
    });

    it("closes expired workloads only after the grace period, and the provider withdraws its earnings", async function () {
      const f = await loadFixture(poolsFixture);
      const { poolId, workloadId, startedAt } = await withRunningWorkload(f, 600n);
      // The next block is the grace period's last second: still Empty.
      await time.increaseTo(startedAt + 7200n + 600n - 1n);
      const early = await expectContractError(
        f.stranger.closeExpiredWorkloads([workloadId]),
        "CapacityPools_NotExpired",
      );
      expect(early.args.status).to.equal(PoolStatus.Empty);
      expect(early.message).to.match(/Empty \(3\)/);
      await mine();
      const closed = await f.stranger.closeExpiredWorkloads([workloadId]);
      expect(closed.get("WorkloadExpired").args).to.deep.equal({
        workloadId,
        poolId,
        by: lower(f.accounts.stranger.address),
      });
      expect(closed.filter("PoolStatusChanged").map((e) => Number(e.args.status))).to.deep.include(PoolStatus.Idle);
      await expectContractError(f.stranger.closeExpiredWorkloads([workloadId]), "CapacityPools_InvalidWorkloadStatus");
      expectValidation(await expectError(f.stranger.closeExpiredWorkloads([]), AccordValidationError), "workloadIds");

      // The whole CU was consumed: its value went to the provider; the SU left is the customer's.
      const pool = await f.customer.getPool(poolId);
      expect(pool.cu).to.deep.equal({ balance: 0n, value: 0n });
      const earned = COST - pool.value;
      const before = await f.provider.tokenBalance();
      const withdrawn = await f.provider.withdrawEarnings({ pools: [poolId] });
      expect(withdrawn.amount).to.equal(earned);
      expect(withdrawn.get("EarningsWithdrawn").args).to.deep.include({
        provider: lower(f.accounts.provider.address),
        amount: earned,
      });
      expect(await f.provider.tokenBalance()).to.equal(before + earned);
      expect(await f.provider.earnings()).to.equal(0n);
      await expectContractError(f.provider.withdrawEarnings(), "CapacityPools_NothingToWithdraw");
      expect((await f.provider.getWorkload(workloadId)).statusName).to.equal("Expired");
    });

    it("approves the pools contract (not the market) per AllowanceMode, permit included", async function () {
      const f = await loadFixture(poolsFixture);
      const poolsAddress = lower(await f.pools.getAddress());
      const permit = await f.customer.ensureAllowance(70n, "permit");
      expect(permit?.get("Approval").args).to.deep.include({ spender: poolsAddress, value: 70n });
      expect(await f.customer.allowance()).to.equal(70n);
      expect(await f.customer.ensureAllowance(70n)).to.equal(undefined);
      expect(await f.customer.ensureAllowance(80n, "none")).to.equal(undefined);
      const created = await f.customer.createPool({ farmId: f.farmId, cus: 7, nodeIds: [NODES[0]] });
      expect(created.approval, "70 covers a cost of 70").to.equal(undefined);
      expect(await f.customer.allowance()).to.equal(0n);
    });
  });
});

function expectErrorSync<T extends Error>(action: () => unknown, type: new (...args: never[]) => T): T {
  try {
    action();
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as T;
  }
  expect.fail(`expected a ${type.name}, but nothing was thrown`);
}
