// CapacityPools through the embedded indexer: a history on a real CapacityPools (farms, nodes, EIP-712 reservations
// with and without a sponsor, top-ups by the owner and by a third party, workloads assigned, started, removed and
// closed as expired, time jumps through RunwayLow, Empty and GraceOver with syncPool, a top-up within the grace
// period, withdrawals) indexed by a follower. The entities must equal the contract's own state field by field
// (getFarm, farmOfNode, getPool, poolHasNode, getWorkload, earnings, nonceUsed, the token balance it holds), the event
// records those derived independently from the logs (ethers' decoding), and the two questions users ask must be
// answered by the GraphQL API with standard filters. A backfill of the finished chain stores the same versions, and
// a reorg of pool activity leaves what a fresh index of the final chain holds.

import { expect } from "chai";
import pino from "pino";
import type { Signer, TransactionReceipt } from "ethers";
import { createIndexer, type EntityRecord, type Indexer, type SqlStore } from "../../src/indexer";
import { poolStatusNames, workloadStatusNames } from "../../src/model/enums";
import { NEVER } from "../../src/pools/model";
import { createServer, type AccordServer } from "../../src/server/server";
import {
  deployAccord,
  ethers,
  headBlock,
  hre,
  increaseTime,
  startRpcServer,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { id32, PoolDriver } from "./helpers/pools";
import { pglite, STORE_KINDS } from "./helpers/stores";
import { graphqlData } from "./helpers/graphql";

const silent = pino({ level: "silent" });
const ZERO = "0x0000000000000000000000000000000000000000";

async function all(store: SqlStore, entity: string): Promise<EntityRecord[]> {
  const out: EntityRecord[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await store.find({ entity, first: 1000, skip });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

const lower = (x: unknown): string => String(x).toLowerCase();
const orNull = (emptyAt: bigint): bigint | null => (emptyAt === NEVER ? null : emptyAt);

async function latestTimestamp(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** The pools-contract logs of `receipts`, decoded by ethers, in chain order, with their blocks' timestamps. */
async function poolLogs(accord: Accord, receipts: TransactionReceipt[]) {
  const address = lower(await accord.pools.getAddress());
  const timestamps = new Map<number, bigint>();
  const out = [];
  const logs = receipts
    .flatMap((r) => r.logs)
    .filter((l) => lower(l.address) === address)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const log of logs) {
    if (!timestamps.has(log.blockNumber))
      timestamps.set(log.blockNumber, BigInt((await ethers.provider.getBlock(log.blockNumber))!.timestamp));
    const parsed = accord.pools.interface.parseLog(log)!;
    out.push({
      name: parsed.name,
      args: parsed.args,
      id: `${lower(log.transactionHash)}-${log.index}`,
      block: {
        blockNumber: BigInt(log.blockNumber),
        timestamp: timestamps.get(log.blockNumber)!,
        transactionHash: lower(log.transactionHash),
      },
    });
  }
  return out;
}

interface History {
  farms: string[];
  nodes: string[];
  pools: Record<string, string>;
  workloads: string[];
  customer: string;
  providers: { main: string; other: string };
  /** Every account that took part (not the receiver, which withdrawals only pay to). */
  accounts: string[];
  /** (customer, nonce) pairs used or cancelled. */
  nonces: { customer: string; nonce: bigint }[];
  /** The contract's status of pool1 after each step, to show the history went through every status. */
  pool1Statuses: string[];
}

/** The history: see the file's comment. Asserts on the contract as it goes that each step did what it is for. */
async function runHistory(d: PoolDriver): Promise<History> {
  const { pools } = d;
  const signers = d.accord.signers;
  const [, customer, provider, customer2, other, , , sponsor, receiver, third] = signers as Signer[] & {
    length: 10;
  };
  const addr = async (s: Signer) => lower(await s.getAddress());
  await d.approve([customer, customer2, sponsor, third]);
  const nonces: History["nonces"] = [];
  const statusOf = async (poolId: string) => poolStatusNames[Number((await pools.getPool(poolId)).status)];
  const pool1Statuses: string[] = [];

  // Farms: farm A (provider) whose prices change before anything is bought, farm B (another provider).
  const farmA = await d.createFarm(provider, "farm A", { cu: 3n, su: 2n, ipv4u: 5n });
  const farmB = await d.createFarm(other, "farm B", { cu: 1n, su: 1n, ipv4u: 1n });
  await d.send(pools.connect(provider).setFarmPrices(farmA, { cu: 4n, su: 2n, ipv4u: 6n }));
  await d.send(pools.connect(other).setFarmGraceLimit(farmB, 7 * 86_400));
  const [n1, n2, n3, n4] = ["n1", "n2", "n3", "n4"].map(id32);
  await d.declareNodes(provider, farmA, [n1, n2, n3]);
  await d.declareNodes(other, farmB, [n4]);

  const reserve = async (options: Parameters<PoolDriver["reserve"]>[0]) => {
    const result = await d.reserve(options);
    nonces.push({ customer: result.data.customer.toLowerCase(), nonce: result.data.nonce });
    return result;
  };

  // Pool 1: the customer's, on farm A's n1 and n2, with a grace period; submitted by a third party.
  const { poolId: pool1 } = await reserve({
    customer,
    submitter: third,
    input: { farmId: farmA, cus: 21_600n, sus: 10_000n, ipv4us: 10_000n, nodeIds: [n1, n2], graceSeconds: 600n },
  });
  expect(lower((await pools.getPool(pool1)).owner)).to.equal(await addr(customer));
  pool1Statuses.push(await statusOf(pool1));
  // Pool 2: the second customer's, paid by a sponsor (both sign; the customer submits without its own signature).
  const { poolId: pool2 } = await reserve({
    customer: customer2,
    sponsor,
    input: { farmId: farmA, cus: 36_000n, nodeIds: [n3] },
  });
  // A cancelled nonce.
  const cancelled = d.nextNonce(await addr(customer));
  await d.send(pools.connect(customer).cancelNonce(cancelled));
  nonces.push({ customer: await addr(customer), nonce: cancelled });

  const [w1, w2, w3, w4, w5, w6, w7, w8] = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"].map(id32);
  await d.assign(customer, w1, pool1, n1, { cu: 1000n, su: 500n, ipv4u: 0n });
  await d.assign(customer, w2, pool1, n2, { cu: 2000n, su: 0n, ipv4u: 1000n });
  await d.assign(customer, w3, pool1, n1, { cu: 10n, su: 10n, ipv4u: 10n });
  await d.assign(customer, w1, pool1, n1, { cu: 1000n, su: 500n, ipv4u: 0n }); // idempotent: logs nothing
  await d.remove(customer, w3); // removed before it started
  await d.start(provider, w1);
  pool1Statuses.push(await statusOf(pool1)); // Active
  await d.start(provider, w2);
  await d.start(provider, w2); // idempotent for a running workload
  await d.assign(customer2, w4, pool2, n3, { cu: 1000n, su: 0n, ipv4u: 0n });
  await d.start(provider, w4);
  // A third party tops pool 2 up (its contribution returns to the pool's beneficiary, the sponsor).
  await reserve({ customer: third, input: { poolId: pool2, farmId: farmA, cus: 1_000n } });

  // Pool 1 runs low, then empty; a top-up within the grace period (adding n3) resumes it; then its grace ends.
  await increaseTime(4_000);
  await d.sync(third, pool1);
  pool1Statuses.push(await statusOf(pool1)); // RunwayLow
  await increaseTime(3_300);
  await d.sync(third, pool1);
  pool1Statuses.push(await statusOf(pool1)); // Empty
  await reserve({
    customer,
    input: { poolId: pool1, farmId: farmA, cus: 21_600n, ipv4us: 10_000n, nodeIds: [n3] },
  });
  pool1Statuses.push(await statusOf(pool1)); // Active
  await increaseTime(8_000);
  await d.sync(third, pool1);
  pool1Statuses.push(await statusOf(pool1)); // GraceOver
  await d.send(pools.connect(third).closeExpiredWorkloads([w1, w2]));
  pool1Statuses.push(await statusOf(pool1)); // Idle
  await d.send(pools.connect(customer).withdrawUnconsumed(pool1, await addr(receiver)));

  // Pool 2: the provider removes its workload; the provider withdraws (syncing both pools); the sponsor withdraws.
  await d.remove(provider, w4);
  await d.send(pools.connect(provider).withdrawEarnings(await addr(receiver), [pool1, pool2]));
  await d.send(pools.connect(sponsor).withdrawUnconsumed(pool2, await addr(sponsor)));

  // Pool 3: the customer's on farm B, ten days of runway; one workload running, one only assigned.
  const { poolId: pool3 } = await reserve({
    customer,
    input: { farmId: farmB, cus: 432_000n, nodeIds: [n4], graceSeconds: 3_600n },
  });
  await d.assign(customer, w5, pool3, n4, { cu: 500n, su: 0n, ipv4u: 0n });
  await d.assign(customer, w6, pool3, n4, { cu: 1n, su: 0n, ipv4u: 0n });
  await d.start(other, w5);
  // Pool 5: runs out after 300 s and is synced empty (a day's grace keeps it Empty).
  const { poolId: pool5 } = await reserve({
    customer,
    input: { farmId: farmA, cus: 300n, nodeIds: [n1], graceSeconds: 86_400n },
  });
  await d.assign(customer, w7, pool5, n1, { cu: 1000n, su: 0n, ipv4u: 0n });
  await d.start(provider, w7);
  await increaseTime(400);
  await d.sync(third, pool5);
  expect(await statusOf(pool5)).to.equal("Empty");
  // Pool 4: half an hour of runway: RunwayLow from the start.
  const { poolId: pool4 } = await reserve({ customer, input: { farmId: farmA, cus: 1_800n, nodeIds: [n2] } });
  await d.assign(customer, w8, pool4, n2, { cu: 1000n, su: 0n, ipv4u: 0n });
  await d.start(provider, w8);
  expect(await statusOf(pool4)).to.equal("RunwayLow");
  // The other provider withdraws what pool 3 has consumed so far.
  await d.send(pools.connect(other).withdrawEarnings(await addr(other), [pool3]));

  return {
    farms: [farmA, farmB],
    nodes: [n1, n2, n3, n4],
    pools: { pool1, pool2, pool3, pool4, pool5 },
    workloads: [w1, w2, w3, w4, w5, w6, w7, w8],
    customer: await addr(customer),
    providers: { main: await addr(provider), other: await addr(other) },
    accounts: await Promise.all([customer, provider, customer2, other, sponsor, third].map(addr)),
    nonces,
    pool1Statuses,
  };
}

describe("indexer: CapacityPools", function () {
  this.timeout(300_000);

  let rpc: RpcServer;
  let accord: Accord;
  let driver: PoolDriver;
  let history: History;
  let follower: Indexer;
  let store: SqlStore;
  let cleanup: () => Promise<void>;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord();
    driver = new PoolDriver(accord);
    const opened = await pglite.open();
    store = opened.store;
    cleanup = opened.cleanup;
    // From the deployment file's content, as `accord index --deployment <file>` reads it.
    follower = await createIndexer({
      rpcUrl: rpc.url,
      deployment: accord.file,
      store,
      pollIntervalMs: 10,
      logger: silent,
    });
    await follower.start();
    history = await runHistory(driver);
    await follower.waitForBlock(await headBlock());
  });

  after(async () => {
    await follower?.close();
    await cleanup?.();
    await rpc?.close();
  });

  it("indexes the CapacityPools data source from the deployment file", () => {
    const source = follower.subgraph.dataSources.find((s) => s.name === "CapacityPools")!;
    expect(source, "data source CapacityPools").to.not.equal(undefined);
    expect(source.address).to.equal(accord.deployment.contracts.CapacityPools.address);
    expect(source.startBlock).to.equal(accord.deployment.contracts.CapacityPools.blockNumber);
  });

  it("went through every pool status, on the contract", () => {
    expect(history.pool1Statuses).to.deep.equal([
      "Idle",
      "Active",
      "RunwayLow",
      "Empty",
      "Active",
      "GraceOver",
      "Idle",
    ]);
  });

  it("has the farms and nodes the contract has (getFarm, farmOfNode)", async () => {
    const farms = await all(store, "Farm");
    expect(farms.map((f) => f.id).sort()).to.deep.equal([...history.farms].sort());
    for (const id of history.farms) {
      const farm = (await store.get("Farm", id))!;
      const onChain = await accord.pools.getFarm(id);
      expect(farm, id).to.include({
        provider: lower(onChain.provider),
        cuPrice: onChain.prices.cu,
        suPrice: onChain.prices.su,
        ipv4uPrice: onChain.prices.ipv4u,
        maxGraceSeconds: onChain.maxGraceSeconds,
      });
    }
    expect(new Set(farms.map((f) => f.maxGraceSeconds)).size, "a farm's own limit and the default").to.equal(2);
    const nodes = await all(store, "Node");
    expect(nodes.map((n) => n.id).sort()).to.deep.equal([...history.nodes].sort());
    for (const node of nodes) {
      const farmId = lower(await accord.pools.farmOfNode(node.id as string));
      expect(node.farm, String(node.id)).to.equal(farmId);
      expect(node.provider).to.equal(lower((await accord.pools.getFarm(farmId)).provider));
    }
    for (const farm of farms) {
      expect(farm.nodeCount).to.equal(nodes.filter((n) => n.farm === farm.id).length);
      const pools = await store.find({ entity: "Pool", where: { farm: farm.id as string } });
      expect(farm.poolCount).to.equal(pools.length);
      expect(farm.totalAccrued).to.equal(pools.reduce((sum, p) => sum + (p.totalAccrued as bigint), 0n));
    }
    expect((await store.get("Farm", history.farms[0]))!.cuPrice, "the new price").to.equal(4n);
  });

  it("has every pool as getPool has it, field by field", async () => {
    const pools = await all(store, "Pool");
    expect(pools.map((p) => p.id).sort()).to.deep.equal(Object.values(history.pools).sort());
    for (const pool of pools) {
      const id = pool.id as string;
      const p = await accord.pools.getPool(id);
      const farm = await accord.pools.getFarm(p.farmId);
      const sponsor = lower(p.sponsor) === ZERO ? null : lower(p.sponsor);
      const emptyAt = orNull(p.emptyAt);
      expect(pool, id).to.include({
        owner: lower(p.owner),
        sponsor,
        beneficiary: sponsor ?? lower(p.owner),
        farm: lower(p.farmId),
        provider: lower(farm.provider),
        graceSeconds: p.graceSeconds,
        nodeCount: Number(p.nodeCount),
        workloadCount: Number(p.workloadCount),
        runningCount: Number(p.runningCount),
        cuBalance: p.cu.balance,
        suBalance: p.su.balance,
        ipv4uBalance: p.ipv4u.balance,
        cuRate: p.cuRate,
        suRate: p.suRate,
        ipv4uRate: p.ipv4uRate,
        value: p.cu.value + p.su.value + p.ipv4u.value,
        lastUpdated: p.lastUpdated,
        emptyAt,
        graceEndsAt: emptyAt === null ? null : emptyAt + p.graceSeconds,
        status: poolStatusNames[Number(p.status)],
      });
      const nodes = pool.nodes as string[];
      expect(nodes).to.have.length(Number(p.nodeCount));
      for (const node of nodes) expect(await accord.pools.poolHasNode(id, node), `${id} has ${node}`).to.equal(true);
      // What was paid in is what it holds, what it paid out as consumed and what was withdrawn.
      expect(pool.value, id).to.equal(
        (pool.totalCost as bigint) - (pool.totalAccrued as bigint) - (pool.totalUnconsumedWithdrawn as bigint),
      );
    }
    const { pool1, pool2 } = history.pools;
    expect((await store.get("Pool", pool1))!.nodes).to.deep.equal(["n1", "n2", "n3"].map(id32));
    expect((await store.get("Pool", pool1))!.emptyAt, "an idle pool never empties").to.equal(null);
    expect((await store.get("Pool", pool2))!.sponsor).to.not.equal(null);
  });

  it("has every workload as getWorkload has it, with the farm's provider and the pool's owner", async () => {
    const workloads = await all(store, "Workload");
    expect(workloads.map((w) => w.id).sort()).to.deep.equal([...history.workloads].sort());
    for (const workload of workloads) {
      const id = workload.id as string;
      const w = await accord.pools.getWorkload(id);
      const p = await accord.pools.getPool(w.poolId);
      const status = workloadStatusNames[Number(w.status)];
      expect(workload, id).to.include({
        pool: lower(w.poolId),
        node: lower(w.nodeId),
        farm: lower(p.farmId),
        provider: lower((await accord.pools.getFarm(p.farmId)).provider),
        owner: lower(p.owner),
        cuRate: w.rates.cu,
        suRate: w.rates.su,
        ipv4uRate: w.rates.ipv4u,
        status,
        startedAt: w.startedAt === 0n ? null : w.startedAt,
      });
      expect(workload.endedAt === null, `${id} ended`).to.equal(status === "Assigned" || status === "Running");
    }
    const statuses = new Set(workloads.map((w) => w.status));
    expect(statuses).to.deep.equal(new Set(["Assigned", "Running", "Removed", "Expired"]));
    const [, , w3, w4] = history.workloads;
    expect((await store.get("Workload", w3))!).to.include({ startedAt: null, endedBy: history.customer });
    expect((await store.get("Workload", w4))!.endedBy).to.equal(history.providers.main);
  });

  it("has each provider's earnings as the contract holds them, and the contract's token balance", async () => {
    let earnings = 0n;
    for (const address of history.accounts) {
      expect(await store.get("Account", address), address).to.not.equal(null);
      const onChain = await accord.pools.earnings(address);
      const record = await store.get("CapacityProvider", address);
      expect(record?.earnings ?? 0n, `earnings of ${address}`).to.equal(onChain);
      if (record) {
        expect(record.account).to.equal(address);
        expect(record.earnings).to.equal((record.totalAccrued as bigint) - (record.totalWithdrawn as bigint));
      }
      earnings += onChain;
    }
    // One per farm provider; accruals and withdrawals add up to the payouts.
    const records = await all(store, "CapacityProvider");
    expect(records.map((r) => r.id).sort()).to.deep.equal([history.providers.main, history.providers.other].sort());
    const payouts = await all(store, "PoolPayout");
    for (const record of records) {
      const sum = (kind: string) =>
        payouts
          .filter((p) => p.kind === kind && p.account === record.id)
          .reduce((s, p) => s + (p.amount as bigint), 0n);
      expect(record.totalWithdrawn, String(record.id)).to.be.greaterThan(0n);
      expect(record.totalAccrued).to.equal(sum("Accrued"));
      expect(record.totalWithdrawn).to.equal(sum("EarningsWithdrawn"));
    }
    let value = 0n;
    for (const pool of await all(store, "Pool")) value += pool.value as bigint;
    const held = await accord.token.balanceOf(await accord.pools.getAddress());
    expect(value + earnings, "CapacityPools' balance = the pools' value + the providers' earnings").to.equal(held);
  });

  it("has every purchase, status change, payout and nonce the logs describe", async () => {
    const logs = await poolLogs(accord, driver.receipts);
    const expected = new Map<string, Map<string, EntityRecord>>(
      ["CapacityPurchase", "PoolStatusChange", "PoolPayout", "ReservationNonce"].map((e) => [e, new Map()]),
    );
    const put = (entity: string, record: EntityRecord) => expected.get(entity)!.set(String(record.id), record);
    const purchases = new Map<string, number>();
    const statuses = new Map<string, string>();
    const graces = new Map<string, bigint>();
    for (const { name, args: a, id, block } of logs) {
      switch (name) {
        case "PoolCreated":
          graces.set(lower(a.poolId), a.graceSeconds as bigint);
          break;
        case "CapacityAdded": {
          const pool = lower(a.poolId);
          const n = purchases.get(pool) ?? 0;
          purchases.set(pool, n + 1);
          put("CapacityPurchase", {
            id,
            pool,
            customer: lower(a.customer),
            payer: lower(a.payer),
            nonce: a.nonce as bigint,
            cus: a.cus as bigint,
            sus: a.sus as bigint,
            ipv4us: a.ipv4us as bigint,
            cost: a.cost as bigint,
            createdPool: n === 0,
            ...block,
          });
          put("ReservationNonce", {
            id: lower(ethers.solidityPacked(["address", "uint256"], [a.customer, a.nonce])),
            customer: lower(a.customer),
            nonce: a.nonce as bigint,
            cancelled: false,
            purchase: id,
            ...block,
          });
          break;
        }
        case "NonceCancelled":
          put("ReservationNonce", {
            id: lower(ethers.solidityPacked(["address", "uint256"], [a.customer, a.nonce])),
            customer: lower(a.customer),
            nonce: a.nonce as bigint,
            cancelled: true,
            purchase: null,
            ...block,
          });
          break;
        case "PoolStatusChanged": {
          const pool = lower(a.poolId);
          const emptyAt = orNull(a.emptyAt as bigint);
          const status = poolStatusNames[Number(a.status)];
          if (emptyAt !== null) expect(a.graceEndsAt).to.equal(emptyAt + graces.get(pool)!);
          put("PoolStatusChange", {
            id,
            pool,
            status,
            previousStatus: statuses.get(pool) ?? "Idle",
            emptyAt,
            graceEndsAt: emptyAt === null ? null : (a.graceEndsAt as bigint),
            ...block,
          });
          statuses.set(pool, status);
          break;
        }
        case "Accrued":
          put("PoolPayout", {
            id,
            kind: "Accrued",
            pool: lower(a.poolId),
            account: lower(a.provider),
            to: null,
            amount: a.amount as bigint,
            ...block,
          });
          break;
        case "EarningsWithdrawn":
          put("PoolPayout", {
            id,
            kind: "EarningsWithdrawn",
            pool: null,
            account: lower(a.provider),
            to: lower(a.to),
            amount: a.amount as bigint,
            ...block,
          });
          break;
        case "UnconsumedWithdrawn":
          put("PoolPayout", {
            id,
            kind: "UnconsumedWithdrawn",
            pool: lower(a.poolId),
            account: lower(a.beneficiary),
            to: lower(a.to),
            amount: a.amount as bigint,
            ...block,
          });
          break;
        default:
          break;
      }
    }
    for (const [entity, records] of expected) {
      const rows = await all(store, entity);
      const byId = new Map(rows.map((r) => [String(r.id), r]));
      expect([...byId.keys()].sort(), `${entity} ids`).to.deep.equal([...records.keys()].sort());
      for (const [id, record] of records) expect(byId.get(id), `${entity} ${id}`).to.deep.equal(record);
    }
    // Every event of the contract was logged at least once by the history.
    const events: string[] = [];
    accord.pools.interface.forEachEvent((event) => events.push(event.name));
    expect(new Set(logs.map((l) => l.name))).to.deep.equal(new Set(events.filter((e) => e !== "EIP712DomainChanged")));
    // Every nonce the history used or cancelled is one the contract marks used.
    const nonces = await all(store, "ReservationNonce");
    expect(nonces).to.have.length(history.nonces.length);
    for (const { customer, nonce } of history.nonces) {
      expect(await accord.pools.nonceUsed(customer, nonce)).to.equal(true);
      expect(
        nonces.some((n) => n.customer === customer && n.nonce === nonce),
        `${customer} ${nonce}`,
      ).to.equal(true);
    }
    // Purchases, accruals and withdrawals add up per pool.
    for (const pool of await all(store, "Pool")) {
      const own = (entity: string, kind?: string) =>
        [...expected.get(entity)!.values()].filter((r) => r.pool === pool.id && (!kind || r.kind === kind));
      const sum = (records: EntityRecord[], field: string) => records.reduce((s, r) => s + (r[field] as bigint), 0n);
      expect(pool.totalCost).to.equal(sum(own("CapacityPurchase"), "cost"));
      expect(pool.totalCusBought).to.equal(sum(own("CapacityPurchase"), "cus"));
      expect(pool.purchaseCount).to.equal(own("CapacityPurchase").length);
      expect(pool.totalAccrued).to.equal(sum(own("PoolPayout", "Accrued"), "amount"));
      expect(pool.totalUnconsumedWithdrawn).to.equal(sum(own("PoolPayout", "UnconsumedWithdrawn"), "amount"));
    }
  });

  it("references only entities that exist (accounts included)", async () => {
    const model = store.model;
    for (const entity of model.entities) {
      for (const field of entity.fields.filter((f) => f.kind === "entity" && !f.derivedFrom)) {
        for (const record of await all(store, entity.name)) {
          const value = record[field.name];
          const ids = value === null ? [] : field.list ? (value as string[]) : [value as string];
          for (const id of ids) {
            expect(await store.get(field.type, id), `${entity.name} ${String(record.id)}.${field.name}`).to.not.equal(
              null,
            );
          }
        }
      }
    }
  });

  it("keeps history: pool 1 read as of each status change has that status", async () => {
    const changes = await store.find({
      entity: "PoolStatusChange",
      where: { pool: history.pools.pool1 },
      orderBy: "blockNumber",
    });
    expect(changes.map((c) => c.status)).to.deep.equal(["Active", "RunwayLow", "Empty", "Active", "GraceOver", "Idle"]);
    for (const change of changes) {
      const asOf = (await store.get("Pool", history.pools.pool1, Number(change.blockNumber)))!;
      expect(asOf.status).to.equal(change.status);
      expect(asOf.emptyAt).to.equal(change.emptyAt);
    }
  });

  describe("over GraphQL", () => {
    let server: AccordServer;
    const gql = (query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, query, variables);

    before(async () => {
      server = await createServer({ store, port: 0, logger: silent });
    });
    after(async () => server?.close());

    // "Which of my pools empty within the hour?" A pool that never empties has a null emptyAt, which no comparison
    // matches; one that already ran out is Empty (or GraceOver) once synced.
    const POOLS_EMPTYING_SOON = `query PoolsEmptyingSoon($me: String!, $soon: BigInt!) {
  pools(where: { owner: $me, emptyAt_lt: $soon, status_in: [Active, RunwayLow] }, orderBy: emptyAt) {
    id
    status
    emptyAt
    graceEndsAt
    cuBalance
    cuRate
    lastUpdated
  }
}`;

    it("answers “pools of this customer that empty within an hour”", async () => {
      const now = await latestTimestamp();
      const soon = now + 3600n;
      const { pools } = (await gql(POOLS_EMPTYING_SOON, { me: history.customer, soon: String(soon) })) as {
        pools: { id: string; status: string; emptyAt: string | null }[];
      };
      // What the contract says: the customer's pools with a running workload that empty before `soon`.
      const want: string[] = [];
      for (const id of Object.values(history.pools)) {
        const p = await accord.pools.getPool(id);
        const status = poolStatusNames[Number(p.status)];
        if (lower(p.owner) === history.customer && p.emptyAt !== NEVER && p.emptyAt < soon)
          if (status === "Active" || status === "RunwayLow") want.push(id);
      }
      expect(want).to.deep.equal([history.pools.pool4]);
      expect(pools.map((p) => p.id)).to.deep.equal(want);
      expect(pools[0]).to.include({ status: "RunwayLow" });
      expect(BigInt(pools[0].emptyAt!) > now).to.equal(true);

      // Without the status filter the pool that already ran out shows too; idle pools (null emptyAt) never do.
      const { pools: any } = (await gql(
        `query($me: String!, $soon: BigInt!) { pools(where: { owner: $me, emptyAt_lt: $soon }, orderBy: emptyAt) { id status emptyAt } }`,
        { me: history.customer, soon: String(soon) },
      )) as { pools: { id: string; status: string; emptyAt: string | null }[] };
      expect(any.map((p) => p.id)).to.deep.equal([history.pools.pool5, history.pools.pool4]);
      expect(any.every((p) => p.emptyAt !== null)).to.equal(true);
      const { pools: mine } = (await gql(`query($me: String!) { pools(where: { owner: $me }) { id emptyAt } }`, {
        me: history.customer,
      })) as { pools: { id: string; emptyAt: string | null }[] };
      expect(mine.find((p) => p.id === history.pools.pool1)!.emptyAt, "pool 1 is idle").to.equal(null);
      expect(mine).to.have.length(4);
    });

    const WORKLOADS_ON_MY_NODES = `query WorkloadsOnMyNodes($me: String!) {
  workloads(where: { provider: $me }, orderBy: assignedAt) {
    id
    status
    node { id }
    pool { id owner { id } }
    cuRate
    suRate
    ipv4uRate
    startedAt
    endedAt
  }
}`;

    it("answers “workloads on my nodes”", async () => {
      for (const provider of [history.providers.main, history.providers.other]) {
        const { workloads } = (await gql(WORKLOADS_ON_MY_NODES, { me: provider })) as {
          workloads: { id: string; status: string; node: { id: string }; pool: { owner: { id: string } } }[];
        };
        const want: string[] = [];
        for (const id of history.workloads) {
          const w = await accord.pools.getWorkload(id);
          const farm = await accord.pools.getFarm(await accord.pools.farmOfNode(w.nodeId));
          if (lower(farm.provider) === provider) want.push(id);
        }
        expect(want.length).to.be.greaterThan(0);
        expect(workloads.map((w) => w.id).sort(), provider).to.deep.equal(want.sort());
        for (const w of workloads) {
          const onChain = await accord.pools.getWorkload(w.id);
          expect(w.status).to.equal(workloadStatusNames[Number(onChain.status)]);
          expect(w.node.id).to.equal(lower(onChain.nodeId));
        }
      }
      // The live ones only, through the provider's account, with its earnings.
      const { account } = (await gql(
        `query($me: ID!) { account(id: $me) {
          workloadsAsProvider(where: { status_in: [Assigned, Running] }, orderBy: id) { id status }
          capacityProvider { earnings totalAccrued totalWithdrawn }
          farms { id }
        } }`,
        { me: history.providers.other },
      )) as {
        account: {
          workloadsAsProvider: { id: string; status: string }[];
          capacityProvider: { earnings: string };
          farms: { id: string }[];
        };
      };
      expect(BigInt(account.capacityProvider.earnings)).to.equal(await accord.pools.earnings(history.providers.other));
      expect(account.farms).to.deep.equal([{ id: history.farms[1] }]);
      const [, , , , w5, w6] = history.workloads;
      expect(account.workloadsAsProvider).to.deep.equal(
        [
          { id: w5, status: "Running" },
          { id: w6, status: "Assigned" },
        ].sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
    });

    it("serves a pool with its nodes, workloads, purchases, status changes and payouts", async () => {
      const { pool } = (await gql(
        `query($id: ID!) { pool(id: $id) {
          id owner { id } sponsor { id } beneficiary { id } farm { id provider { id } } nodes { id pools { id } }
          workloads(orderBy: assignedAt) { id status }
          purchases(orderBy: blockNumber) { createdPool customer { id } payer { id } cost }
          statusChanges(orderBy: blockNumber) { previousStatus status }
          payouts(orderBy: blockNumber) { kind amount to }
        } }`,
        { id: history.pools.pool2 },
      )) as { pool: Record<string, unknown> };
      expect(pool.sponsor).to.deep.equal(pool.beneficiary);
      expect((pool.nodes as { pools: { id: string }[] }[])[0].pools.map((p) => p.id)).to.include(history.pools.pool1);
      const purchases = pool.purchases as { createdPool: boolean; customer: { id: string }; payer: { id: string } }[];
      expect(purchases.map((p) => p.createdPool)).to.deep.equal([true, false]);
      expect(purchases[0].payer).to.deep.equal(pool.sponsor);
      expect(purchases[1].payer).to.deep.equal(purchases[1].customer);
      expect(pool.statusChanges).to.deep.equal([
        { previousStatus: "Idle", status: "Active" },
        { previousStatus: "Active", status: "Idle" },
      ]);
      const kinds = (pool.payouts as { kind: string }[]).map((p) => p.kind);
      expect(kinds[kinds.length - 1]).to.equal("UnconsumedWithdrawn");
      expect(kinds).to.include("Accrued");
    });
  });

  for (const kind of STORE_KINDS) {
    it(`a backfill of the finished chain (${kind.name}) stores exactly the follower's versions`, async () => {
      const { store: fresh, cleanup: done } = await kind.open();
      try {
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store: fresh,
          follow: false,
          toBlock: (await store.checkpoint())!.blockNumber,
          logger: silent,
          logRange: { initialRange: 3, maxRange: 20 },
        });
        await indexer.start();
        await indexer.done();
        expect(await fresh.digest()).to.equal(await store.digest());
        expect(await fresh.counts()).to.deep.equal(await store.counts());
        await indexer.close();
      } finally {
        await done();
      }
    });
  }
});

describe("indexer: CapacityPools reorgs", function () {
  this.timeout(300_000);

  it("rolls back orphaned pool activity and equals a fresh index of the final chain", async () => {
    const rpc = await startRpcServer();
    const { store, cleanup } = await pglite.open();
    let follower: Indexer | undefined;
    try {
      const accord = await deployAccord();
      const d = new PoolDriver(accord);
      const [, customer, provider] = accord.signers;
      await d.approve([customer]);
      const farm = await d.createFarm(provider, "reorg farm", { cu: 2n, su: 1n, ipv4u: 1n });
      await d.declareNodes(provider, farm, [id32("r1")]);
      const { poolId } = await d.reserve({ customer, input: { farmId: farm, cus: 100_000n, nodeIds: [id32("r1")] } });
      follower = await createIndexer({
        rpcUrl: rpc.url,
        deployment: accord.deployment,
        store,
        pollIntervalMs: 20,
        logger: silent,
      });
      await follower.start();
      await d.assign(customer, id32("rw1"), poolId, id32("r1"), { cu: 1000n, su: 0n, ipv4u: 0n });
      await follower.waitForBlock(await headBlock());

      const snap = (await hre.network.provider.send("evm_snapshot", [])) as string;
      await d.start(provider, id32("rw1"));
      await increaseTime(50);
      await d.sync(customer, poolId);
      await follower.waitForBlock(await headBlock());
      expect((await store.get("Workload", id32("rw1")))!.status).to.equal("Running");
      expect((await store.get("Pool", poolId))!.status).to.equal("Active");

      expect(await hre.network.provider.send("evm_revert", [snap])).to.equal(true);
      await d.remove(customer, id32("rw1"));
      for (let i = 0; i < 4; i++) await hre.network.provider.send("evm_mine", []);
      await follower.waitForBlock(await headBlock());
      await new Promise((resolve) => setTimeout(resolve, 100));
      await follower.waitForBlock(await headBlock());

      expect((await store.get("Workload", id32("rw1")))!).to.include({ status: "Removed", startedAt: null });
      expect((await store.get("Pool", poolId))!).to.include({ status: "Idle", runningCount: 0, workloadCount: 0 });
      expect(await store.find({ entity: "PoolPayout" })).to.deep.equal([]);
      await follower.stop();

      const { store: fresh, cleanup: done } = await pglite.open();
      try {
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store: fresh,
          follow: false,
          logger: silent,
        });
        await indexer.start();
        await indexer.done();
        expect(await store.digest()).to.equal(await fresh.digest());
        await indexer.close();
      } finally {
        await done();
      }
    } finally {
      await follower?.close();
      await cleanup();
      await rpc.close();
    }
  });
});
