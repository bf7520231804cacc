// The capacity pools of `accord dev`'s live market: a farm whose provider runs `accord pools watch` (its own process,
// restarted if it exits), and customers buying pools of it through the customer client:
//   - a steady pool with workloads starting and stopping (one replaced every CHURN_MS);
//   - a sponsored pool (the sponsor co-signs the reservation and pays; its unconsumed balance is the sponsor's);
//   - every CYCLE_MS, a pool that runs dry into its grace period and is rescued by a top-up (its workload resumes),
//     and one that is left to expire, which the watcher decommissions and closes; their owners then take back what
//     was not consumed.
// The customers are scripted here (the market's agents are not): they stand for people at a dashboard. The chain
// mines a block a second, so chain time follows the wall clock and the runways below are in real seconds.

import path from "node:path";
import type { JsonRpcProvider, Signer } from "ethers";
import type pino from "pino";
import type { AccordToken } from "../../typechain-types";
import { idFromName } from "../clients/pools";
import { CapacityPoolsCustomerClient } from "../clients/pools-customer";
import { CapacityPoolsProviderClient } from "../clients/pools-provider";
import { SerialSigner } from "../clients/serial-signer";
import { PoolStatus } from "../model/types";
import { computeUnits, type ComputedUnits } from "../pools/units";
import { hardhatAccount } from "./accounts";
import { ProcessSupervisor, type MarketProcess } from "./supervisor";

const TOKEN = 10n ** 18n;
const MONTH = 30n * 86_400n;
/** The reference's default prices, 10 / 8 / 6 tokens per CU / SU / IPv4U-month, per unit-second. */
export const DEV_FARM_PRICES = { cu: (10n * TOKEN) / MONTH, su: (8n * TOKEN) / MONTH, ipv4u: (6n * TOKEN) / MONTH };
/** A small container: 2 cores, 4 GB, 100 GB SSD (50 free) → 1 CU and 0.167 SU. */
const CONTAINER = { resources: { cru: 2, mru: 4, sru: 100 }, kind: "container" } as const;
/** A VM with a public address: 4 cores, 8 GB, 200 GB SSD → 2 CU, 0.667 SU, 1 IPv4U. */
const VM = { resources: { cru: 4, mru: 8, sru: 200, ipv4u: 1 }, kind: "vm" } as const;
const NODES = 6;
const CHURN_MS = 90_000;
const CYCLE_MS = 8 * 60_000;
/** Runway bought for the pools that run dry (s): more than the 120 s a workload needs to start. */
const SHORT_RUNWAY = 180n;

export interface PoolsMarketOptions {
  rpcUrl: string;
  deploymentPath: string;
  provider: JsonRpcProvider;
  token: AccordToken;
  /** Holds the token supply; funds the customers. */
  funder: Signer;
  /** Where the watcher keeps its state. */
  dir: string;
  logger: pino.Logger;
  logArgs: string[];
  stdio?: "inherit" | "ignore";
}

export interface PoolsMarket {
  farmId: string;
  processes: MarketProcess[];
  close(): Promise<void>;
}

/** Unit-seconds (whole, rounded up) that `units` (thousandths per second) draw in `seconds`. */
function unitSeconds(units: ComputedUnits, seconds: bigint) {
  const up = (milli: bigint) => (milli * seconds + 999n) / 1000n;
  return { cus: up(units.cu), sus: up(units.su), ipv4us: up(units.ipv4u) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the farm, its watcher and the customers; resolves once the farm, the steady and the sponsored pools exist
 * (the rescue/expiry cycles run on in the background until close).
 */
export async function startPoolsMarket(options: PoolsMarketOptions): Promise<PoolsMarket> {
  const { logger, provider } = options;
  // Accounts: #11 runs the farm, #12-#14 and #16 are customers, #15 sponsors #13's pool. One client per account and
  // one action at a time on each: the clients approve the exact cost of each reservation.
  const [farmer, steadyCustomer, sponsoredCustomer, rescueCustomer, sponsor, expiryCustomer] = [
    11, 12, 13, 14, 15, 16,
  ].map(hardhatAccount);
  for (const wallet of [steadyCustomer, sponsoredCustomer, rescueCustomer, sponsor, expiryCustomer]) {
    await (await options.token.connect(options.funder).transfer(wallet.address, 1_000_000n * TOKEN)).wait();
  }
  const signer = (wallet: typeof farmer) => new SerialSigner(wallet.connect(provider));
  const customerClient = (wallet: typeof farmer) =>
    CapacityPoolsCustomerClient.fromDeployment(signer(wallet), options.deploymentPath);
  const farm = await CapacityPoolsProviderClient.fromDeployment(signer(farmer), options.deploymentPath);
  const { farmId } = await farm.createFarm(DEV_FARM_PRICES, { salt: idFromName("accord-dev-farm") });
  const nodeIds = Array.from({ length: NODES }, (_, i) => idFromName(`accord-dev-node-${i + 1}`));
  await farm.declareNodes(farmId, nodeIds);
  // Workloads of an empty pool sit on the farm's nodes for free: this farm grants at most an hour of grace.
  await farm.setFarmGraceLimit(farmId, 3600n);

  const supervisor = new ProcessSupervisor(options);
  supervisor.supervise(
    "pools-watcher",
    farmer.address,
    [
      "pools",
      "watch",
      "--rpc",
      options.rpcUrl,
      "--deployment",
      options.deploymentPath,
      "--data-dir",
      path.join(options.dir, "pools-watcher"),
      "--farm",
      farmId,
      "--interval",
      "1000",
      "--retry",
      "5000",
      "--withdraw-interval",
      "60000",
    ],
    { ACCORD_PROVIDER_KEY: farmer.privateKey },
  );

  const container = computeUnits(CONTAINER.resources, { kind: CONTAINER.kind });
  const vm = computeUnits(VM.resources, { kind: VM.kind });
  let workloads = 0;
  const nextWorkloadId = (label: string) => idFromName(`accord-dev-workload-${++workloads}-${label}`);
  const node = (i: number) => nodeIds[i % NODES];

  // The steady pool: a day of capacity for a container and a VM; one workload replaced every CHURN_MS.
  const steady = await customerClient(steadyCustomer);
  const day = 86_400n;
  const steadyPool = await steady.createPool({
    farmId,
    ...unitSeconds({ cu: container.cu + vm.cu, su: container.su + vm.su, ipv4u: vm.ipv4u }, day),
    nodeIds: nodeIds.slice(0, 3),
    graceSeconds: 3600n,
  });
  const live: string[] = [];
  for (const [i, shape] of [CONTAINER, VM].entries()) {
    const workloadId = nextWorkloadId("steady");
    await steady.assignWorkload({ workloadId, poolId: steadyPool.poolId, nodeId: node(i), ...shape });
    live.push(workloadId);
  }
  logger.info({ pool: steadyPool.poolId, cost: steadyPool.cost.toString() }, "pools: steady pool bought");

  // The sponsored pool: the customer signs, the sponsor co-signs and pays.
  const sponsored = await customerClient(sponsoredCustomer);
  const prepared = await sponsored.buildReservation(
    {
      farmId,
      sponsor: sponsor.address,
      ...unitSeconds(container, day),
      nodeIds: [node(3)],
      graceSeconds: 600n,
    },
    { slippageBps: 100n },
  );
  const sponsorClient = await customerClient(sponsor);
  const signed = await sponsored.signReservation(prepared);
  const sponsoredPool = await sponsorClient.reserve(await sponsorClient.signAsSponsor(signed));
  await sponsored.assignWorkload({
    workloadId: nextWorkloadId("sponsored"),
    poolId: sponsoredPool.poolId,
    nodeId: node(3),
    ...CONTAINER,
  });
  logger.info({ pool: sponsoredPool.poolId, sponsor: sponsor.address }, "pools: sponsored pool bought");

  let closing = false;
  /** Waits `ms`, or less once closing. */
  const pause = async (ms: number) => {
    for (let waited = 0; waited < ms && !closing; waited += 500) await sleep(500);
  };
  const background: Promise<void>[] = [];
  const loop = (name: string, everyMs: number, body: () => Promise<void>) => {
    background.push(
      (async () => {
        while (!closing) {
          try {
            await body();
          } catch (error) {
            if (!closing) logger.warn({ err: error }, `pools: ${name} failed; trying again`);
          }
          await pause(everyMs);
        }
      })(),
    );
  };
  /** Waits until the pool's status (as of the latest block) is one of `statuses`. */
  const waitFor = async (client: CapacityPoolsCustomerClient, poolId: string, statuses: PoolStatus[]) => {
    while (!closing && !statuses.includes((await client.getPool(poolId)).status)) await pause(1000);
  };

  // Workloads starting and stopping: the oldest steady workload is removed, a new one takes its place.
  let churned = 0;
  loop("churn", CHURN_MS, async () => {
    if (churned++ === 0) return; // let the first ones run a while
    const oldest = live.shift();
    if (oldest) await steady.removeWorkload(oldest);
    const workloadId = nextWorkloadId("steady");
    await steady.assignWorkload({ workloadId, poolId: steadyPool.poolId, nodeId: node(churned % 3), ...CONTAINER });
    live.push(workloadId);
  });

  // Runs dry, is rescued in its grace period, then is given back.
  const rescue = await customerClient(rescueCustomer);
  loop("rescue", CYCLE_MS, async () => {
    const cycle = rescue;
    const pool = await cycle.createPool({
      farmId,
      ...unitSeconds(container, SHORT_RUNWAY),
      nodeIds: [node(4)],
      graceSeconds: 120n,
    });
    const workloadId = nextWorkloadId("rescued");
    await cycle.assignWorkload({ workloadId, poolId: pool.poolId, nodeId: node(4), ...CONTAINER });
    logger.info({ pool: pool.poolId }, "pools: a pool with 3 minutes of capacity (it will run dry)");
    await waitFor(cycle, pool.poolId, [PoolStatus.Empty, PoolStatus.GraceOver]);
    await pause(20_000);
    if (closing) return;
    const topUp = await cycle.topUp(pool.poolId, { ...unitSeconds(container, 240n) });
    logger.info({ pool: pool.poolId, cost: topUp.cost.toString() }, "pools: the empty pool was topped up in grace");
    await waitFor(cycle, pool.poolId, [PoolStatus.Active, PoolStatus.RunwayLow]);
    await pause(60_000);
    if (closing) return;
    await cycle.removeWorkload(workloadId);
    await cycle.withdrawUnconsumed(pool.poolId);
    logger.info({ pool: pool.poolId }, "pools: the rescued pool's workload removed, its unconsumed balance withdrawn");
  });
  // Runs dry and is left to expire: the watcher decommissions and closes its workload after the grace period.
  const expiry = await customerClient(expiryCustomer);
  loop("expiry", CYCLE_MS, async () => {
    const cycle = expiry;
    const pool = await cycle.createPool({
      farmId,
      ...unitSeconds(container, SHORT_RUNWAY - 30n),
      nodeIds: [node(5)],
      graceSeconds: 30n,
    });
    await cycle.assignWorkload({
      workloadId: nextWorkloadId("expiring"),
      poolId: pool.poolId,
      nodeId: node(5),
      ...CONTAINER,
    });
    logger.info({ pool: pool.poolId }, "pools: a pool left to run dry and expire");
    await waitFor(cycle, pool.poolId, [PoolStatus.GraceOver]);
    while (!closing && (await cycle.getPool(pool.poolId)).runningCount > 0) await pause(1000);
    if (closing) return;
    const left = await cycle.getPool(pool.poolId);
    if (left.value > 0n) await cycle.withdrawUnconsumed(pool.poolId);
    logger.info({ pool: pool.poolId, unconsumed: left.value.toString() }, "pools: the expired pool was closed");
  });

  return {
    farmId,
    processes: supervisor.processes,
    close: async () => {
      closing = true;
      await Promise.allSettled(background);
      await supervisor.close();
    },
  };
}
