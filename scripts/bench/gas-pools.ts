// Gas of every CapacityPools path, for `npm run bench:gas` (scripts/bench/gas.ts writes it under `capacityPools`).
// Each scenario starts from one snapshot: the contract deployed, a farm with 64 declared nodes, the customer and
// the sponsor holding tokens and having approved the pools (approvals excluded). "Sync-heavy" scenarios run on a
// pool holding MAX_WORKLOADS_PER_POOL running workloads, to show that a pool's work per action does not grow with
// its workloads (the rates are summed, so a sync is O(1)). The reference keeps its pools in a database, so there
// is no reference figure to set beside these.
import hre from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import { AccordToken__factory, CapacityPools__factory, type CapacityPools } from "../../typechain-types";
import {
  MAX_BATCH,
  MAX_NODES_PER_POOL,
  MAX_WORKLOADS_PER_POOL,
  RESERVATION_TYPES,
  capacityPoolsDomain,
  parseReservationData,
  type ReservationInput,
} from "../../src/pools";

const { ethers, network } = hre;

export interface GasStep {
  name: string;
  gas: number;
}

const TOKEN = 10n ** 18n;
const PRICES = { cu: 10n ** 12n, su: 8n * 10n ** 11n, ipv4u: 6n * 10n ** 11n };
const RATES = { cu: 1000n, su: 250n, ipv4u: 0n };

export async function benchCapacityPools(
  token: string,
  deployer: Signer,
  signers: { customer: Signer; sponsor: Signer; provider: Signer; submitter: Signer },
): Promise<{ deployGas: number; scenarios: Record<string, { total: number; transactions: GasStep[] }> }> {
  const factory = new CapacityPools__factory(deployer);
  const contract = await factory.deploy(token);
  const deployGas = Number((await contract.deploymentTransaction()!.wait())!.gasUsed);
  const address = await contract.getAddress();
  const pools = contract as CapacityPools;
  const tokenContract = AccordToken__factory.connect(token, deployer);
  const { customer, sponsor, provider, submitter } = signers;
  for (const payer of [customer, sponsor]) {
    await (await tokenContract.transfer(await payer.getAddress(), 1_000_000n * TOKEN)).wait();
    await (await tokenContract.connect(payer).approve(address, ethers.MaxUint256)).wait();
  }
  const domain = capacityPoolsDomain((await ethers.provider.getNetwork()).chainId, address);
  const customerAddress = await customer.getAddress();
  const sponsorAddress = await sponsor.getAddress();
  const providerAddress = await provider.getAddress();
  const nodeIds = Array.from({ length: 2 * MAX_NODES_PER_POOL }, (_, i) => ethers.id(`node-${i}`));

  const as = (signer: Signer) => pools.connect(signer);
  const run = async (steps: GasStep[], name: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = await (await tx).wait();
    steps.push({ name, gas: Number(receipt!.gasUsed) });
  };
  const farmId = await pools.farmIdOf(providerAddress, ethers.ZeroHash);
  const setupSteps: GasStep[] = [];
  await run(setupSteps, "createFarm", as(provider).createFarm(ethers.ZeroHash, PRICES));
  await run(setupSteps, "setFarmGraceLimit", as(provider).setFarmGraceLimit(farmId, 7 * 86_400));
  await run(setupSteps, `declareNodes (${MAX_BATCH})`, as(provider).declareNodes(farmId, nodeIds.slice(0, MAX_BATCH)));
  await run(setupSteps, `declareNodes (${MAX_BATCH})`, as(provider).declareNodes(farmId, nodeIds.slice(MAX_BATCH)));

  let nonce = 0n;
  const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  /** Signs a reservation (the sponsor too, if named) and returns what `reserve` takes. */
  const reservation = async (fields: Partial<ReservationInput>, by: Signer) => {
    const data = parseReservationData({
      customer: customerAddress,
      farmId,
      cus: 100_000n,
      sus: 100_000n,
      nodeIds: [nodeIds[0]],
      graceSeconds: 3600n,
      maxCost: 10n ** 30n,
      nonce: ++nonce,
      deadline: (await now()) + 3600n,
      ...fields,
    });
    const sign = async (signer: Signer, address: string) =>
      by === signer || address === ethers.ZeroAddress ? "0x" : signer.signTypedData(domain, RESERVATION_TYPES, data);
    return [data, await sign(customer, customerAddress), await sign(sponsor, data.sponsor)] as const;
  };
  const reserve = async (steps: GasStep[], name: string, fields: Partial<ReservationInput>, by: Signer = customer) => {
    const args = await reservation(fields, by);
    const poolId = await as(by).reserve.staticCall(...args);
    await run(steps, name, as(by).reserve(...args));
    return poolId;
  };
  let workloadCounter = 0;
  const assign = async (steps: GasStep[], poolId: string, node = nodeIds[0]) => {
    const workloadId = ethers.id(`workload-${++workloadCounter}`);
    await run(steps, "assignWorkload", as(customer).assignWorkload(workloadId, poolId, node, RATES));
    return workloadId;
  };
  const start = (steps: GasStep[], workloadId: string) =>
    run(steps, "startWorkload", as(provider).startWorkload(workloadId));
  const advance = async (seconds: bigint) => {
    await network.provider.send("evm_increaseTime", [Number(seconds)]);
    await network.provider.send("evm_mine", []);
  };
  /** A pool with `count` running workloads (their setup not counted). */
  const busyPool = async (count: number, fields: Partial<ReservationInput> = {}) => {
    const poolId = await reserve([], "", { cus: 10_000_000n, sus: 10_000_000n, ...fields });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = await assign([], poolId);
      await start([], id);
      ids.push(id);
    }
    return { poolId, ids };
  };

  const scenarios: Record<string, (steps: GasStep[]) => Promise<void>> = {
    farmSetup: async (steps) => {
      steps.push(...setupSteps);
      await run(steps, "setFarmPrices", as(provider).setFarmPrices(farmId, PRICES));
    },
    createPool: async (steps) => {
      await reserve(steps, "reserve: create (customer submits)", {});
    },
    createPoolSubmittedByAnyone: async (steps) => {
      await reserve(steps, "reserve: create (a third party submits)", {}, submitter);
    },
    createPoolSponsored: async (steps) => {
      await reserve(steps, "reserve: create, sponsored (both signatures)", { sponsor: sponsorAddress }, submitter);
    },
    createPoolMaxNodes: async (steps) => {
      await reserve(steps, `reserve: create with ${MAX_NODES_PER_POOL} nodes`, {
        nodeIds: nodeIds.slice(0, MAX_NODES_PER_POOL),
      });
    },
    topUp: async (steps) => {
      const poolId = await reserve([], "", {});
      await reserve(steps, "reserve: top-up", { poolId, graceSeconds: 0n, nodeIds: [] });
    },
    topUpAddingNode: async (steps) => {
      const poolId = await reserve([], "", {});
      await reserve(steps, "reserve: top-up adding a node", { poolId, graceSeconds: 0n, nodeIds: [nodeIds[1]] });
    },
    workloadLifecycle: async (steps) => {
      const poolId = await reserve([], "", {});
      const id = await assign(steps, poolId);
      await start(steps, id);
      await advance(600n);
      await run(steps, "syncPool", as(submitter).syncPool(poolId));
      await advance(600n);
      await run(steps, "removeWorkload (running)", as(customer).removeWorkload(id));
    },
    removeAssignedWorkload: async (steps) => {
      const poolId = await reserve([], "", {});
      const id = await assign([], poolId);
      await run(steps, "removeWorkload (assigned)", as(customer).removeWorkload(id));
    },
    syncHeavyStart: async (steps) => {
      const { poolId } = await busyPool(MAX_WORKLOADS_PER_POOL - 1);
      const id = await assign(steps, poolId);
      await start(steps, id);
    },
    syncHeavySync: async (steps) => {
      const { poolId } = await busyPool(MAX_WORKLOADS_PER_POOL);
      await advance(600n);
      await run(steps, `syncPool (${MAX_WORKLOADS_PER_POOL} running)`, as(submitter).syncPool(poolId));
    },
    syncHeavyTopUp: async (steps) => {
      const { poolId } = await busyPool(MAX_WORKLOADS_PER_POOL);
      await advance(600n);
      await reserve(steps, `reserve: top-up (${MAX_WORKLOADS_PER_POOL} running)`, {
        poolId,
        graceSeconds: 0n,
        nodeIds: [],
      });
    },
    syncHeavyRemove: async (steps) => {
      const { ids } = await busyPool(MAX_WORKLOADS_PER_POOL);
      await advance(600n);
      await run(steps, `removeWorkload (${MAX_WORKLOADS_PER_POOL} running)`, as(customer).removeWorkload(ids[0]));
    },
    closeExpired: async (steps) => {
      // A pool that runs dry and outlives its grace with MAX_BATCH workloads: anyone closes them in one call.
      const { ids } = await busyPool(MAX_BATCH, { cus: 1_000n * BigInt(MAX_BATCH), graceSeconds: 60n });
      await advance(2_000n);
      await run(steps, `closeExpiredWorkloads (${MAX_BATCH})`, as(submitter).closeExpiredWorkloads(ids));
    },
    withdrawEarnings: async (steps) => {
      const { poolId } = await busyPool(1);
      await advance(3600n);
      await run(steps, "withdrawEarnings (1 pool synced)", as(provider).withdrawEarnings(providerAddress, [poolId]));
    },
    withdrawEarningsManyPools: async (steps) => {
      const ids: string[] = [];
      for (let i = 0; i < MAX_BATCH; i++) ids.push((await busyPool(1)).poolId);
      await advance(3600n);
      await run(
        steps,
        `withdrawEarnings (${MAX_BATCH} pools synced)`,
        as(provider).withdrawEarnings(providerAddress, ids),
      );
    },
    withdrawUnconsumed: async (steps) => {
      const { poolId, ids } = await busyPool(1);
      await advance(3600n);
      await run(steps, "removeWorkload (running)", as(customer).removeWorkload(ids[0]));
      await run(steps, "withdrawUnconsumed", as(customer).withdrawUnconsumed(poolId, customerAddress));
    },
  };

  const results: Record<string, { total: number; transactions: GasStep[] }> = {};
  let snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  for (const [name, scenario] of Object.entries(scenarios)) {
    await network.provider.send("evm_revert", [snapshot]);
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    nonce = 1000n * BigInt(Object.keys(results).length + 1);
    const steps: GasStep[] = [];
    await scenario(steps);
    results[name] = { total: steps.reduce((sum, s) => sum + s.gas, 0), transactions: steps };
  }
  return { deployGas, scenarios: results };
}
