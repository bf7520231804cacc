// The capacity pools' provider: creates farms and sets their prices, declares its nodes, starts the workloads
// customers assign to them (charging starts), removes them, syncs pools, withdraws its earnings, and lists what is
// assigned to its nodes from the pools' events (bounded eth_getLogs ranges).

import { AbiCoder, keccak256 } from "ethers";
import { randomBytes } from "node:crypto";
import { AccordValidationError } from "../model/errors";
import type { WorkloadStatusName } from "../model/types";
import { MAX_BATCH, MAX_GRACE_SECONDS } from "../pools";
import type { AccordTxResult } from "./events";
import {
  addressInput,
  batchInput,
  bytes32Input,
  CapacityPoolsClient,
  parsePrices,
  uintInput,
  type BlockRange,
  type FarmView,
  type PricesInput,
  type WorkloadView,
} from "./pools";

/** createFarm's transaction, with the new farm's ID. */
export type CreateFarmTxResult = AccordTxResult & { farmId: string; salt: string };

/** startWorkload's transaction; `started` false when the workload was running already (a no-op, no event). */
export type StartWorkloadTxResult = AccordTxResult & { started: boolean };

/** withdrawEarnings' transaction, with the amount withdrawn. */
export type WithdrawEarningsTxResult = AccordTxResult & { amount: bigint; to: string };

/** A workload assigned to one of the provider's nodes: where its assignment was logged, and its status now. */
export type AssignedWorkload = WorkloadView & {
  farmId: string;
  blockNumber: number;
  transactionHash: string;
};

export type ListAssignedWorkloadsOptions = BlockRange & {
  /** The farms whose nodes to look at; default every farm the signer created (from FarmCreated). */
  farmIds?: readonly string[];
  /** Only workloads in these statuses now (e.g. ["Assigned"]); default all. */
  status?: readonly WorkloadStatusName[];
};

/** Topic lists are OR-ed by the node; keep each query's list short. */
const TOPIC_LIST_SIZE = 64;

export class CapacityPoolsProviderClient extends CapacityPoolsClient {
  /** A farm's ID: keccak256(abi.encode(provider, salt)), provider default the signer (computed here). */
  async farmIdOf(salt: string, provider?: string): Promise<string> {
    const who = provider === undefined ? await this.getAddress() : addressInput(provider, "provider", "farm");
    const value = bytes32Input(salt, "salt", "farm", { allowZero: true });
    return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [who, value]));
  }

  /**
   * Creates a farm with its prices (token units per CU·s, SU·s, IPv4U·s); the signer is its provider. `salt`
   * (default random) makes the ID: AccordContractError CapacityPools_FarmExists for a salt used before.
   */
  async createFarm(prices: PricesInput, options: { salt?: string } = {}): Promise<CreateFarmTxResult> {
    const checked = parsePrices(prices);
    const salt =
      options.salt === undefined
        ? `0x${randomBytes(32).toString("hex")}`
        : bytes32Input(options.salt, "salt", "farm", { allowZero: true });
    const result = await this.send("createFarm", (overrides) => this.pools.createFarm(salt, checked, overrides));
    return Object.assign(result, { farmId: result.get("FarmCreated").args.farmId, salt });
  }

  /** Sets the farm's prices for capacity bought from now on (what was bought keeps its prices). */
  async setFarmPrices(farmId: string, prices: PricesInput): Promise<AccordTxResult> {
    const id = bytes32Input(farmId, "farmId", "farm");
    const checked = parsePrices(prices);
    return this.send("setFarmPrices", (overrides) => this.pools.setFarmPrices(id, checked, overrides));
  }

  /**
   * Sets the longest grace period the farm's new pools may have (at most MAX_GRACE_SECONDS, 30 days): their
   * workloads stay on its nodes, free, while their pool is empty. Pools created earlier keep theirs.
   */
  async setFarmGraceLimit(farmId: string, maxGraceSeconds: bigint | number | string): Promise<AccordTxResult> {
    const id = bytes32Input(farmId, "farmId", "farm");
    const seconds = uintInput(maxGraceSeconds, "maxGraceSeconds", 32, "farm");
    if (seconds > MAX_GRACE_SECONDS) {
      throw new AccordValidationError("maxGraceSeconds", `must be at most ${MAX_GRACE_SECONDS} (30 days)`, {
        subject: "farm",
      });
    }
    return this.send("setFarmGraceLimit", (overrides) => this.pools.setFarmGraceLimit(id, seconds, overrides));
  }

  /** Declares 1 to MAX_BATCH nodes as the farm's (a node belongs to the first farm that declares it, for good). */
  async declareNodes(farmId: string, nodeIds: readonly string[]): Promise<AccordTxResult> {
    const id = bytes32Input(farmId, "farmId", "farm");
    const nodes = batchInput(nodeIds, "nodeIds", "declareNodes");
    const seen = new Set<string>();
    nodes.forEach((node, i) => {
      if (seen.has(node))
        throw new AccordValidationError(`nodeIds[${i}]`, "is listed twice", { subject: "declareNodes" });
      seen.add(node);
    });
    return this.send("declareNodes", (overrides) => this.pools.declareNodes(id, nodes, overrides));
  }

  /**
   * Starts an assigned workload on one of the farm's nodes: it draws on the pool from now on. A running workload is
   * a no-op (`started` false). AccordContractError CapacityPools_InsufficientRunway when the pool would keep no
   * more than MIN_RUNWAY seconds with it ("the pool needs additional capacity").
   */
  async startWorkload(workloadId: string): Promise<StartWorkloadTxResult> {
    const id = bytes32Input(workloadId, "workloadId", "workload");
    const result = await this.send("startWorkload", (overrides) => this.pools.startWorkload(id, overrides));
    return Object.assign(result, { started: result.find("WorkloadStarted") !== undefined });
  }

  /**
   * Withdraws the signer's earnings to `to` (default: the signer), after syncing up to MAX_BATCH pools (so that their
   * consumption up to now is counted). AccordContractError CapacityPools_NothingToWithdraw when there is none.
   */
  async withdrawEarnings(options: { to?: string; pools?: readonly string[] } = {}): Promise<WithdrawEarningsTxResult> {
    const to = options.to === undefined ? await this.getAddress() : addressInput(options.to, "to", "withdrawal");
    const pools = options.pools ?? [];
    if (pools.length > MAX_BATCH) {
      throw new AccordValidationError("pools", `may list at most ${MAX_BATCH} pools`, { subject: "withdrawEarnings" });
    }
    const ids = pools.map((pool, i) => bytes32Input(pool, `pools[${i}]`, "withdrawEarnings"));
    const result = await this.send("withdrawEarnings", (overrides) => this.pools.withdrawEarnings(to, ids, overrides));
    return Object.assign(result, { amount: result.get("EarningsWithdrawn").args.amount, to });
  }

  /*//////////////////////////////////////////////////////////////
                         FROM THE POOLS' EVENTS
  //////////////////////////////////////////////////////////////*/

  /** The farms `provider` (default: the signer) created, with their current prices. */
  async listFarms(options: BlockRange & { provider?: string } = {}): Promise<FarmView[]> {
    const who =
      options.provider === undefined ? await this.getAddress() : addressInput(options.provider, "provider", "farms");
    const topic = this.pools.interface.getEvent("FarmCreated").topicHash;
    const owner = AbiCoder.defaultAbiCoder().encode(["address"], [who]);
    const events = await this.scanPoolLogs([topic, null, owner], options);
    const ids: string[] = [];
    for (const event of events) if (event.eventName === "FarmCreated") ids.push(event.args.farmId);
    return Promise.all(ids.map((id) => this.getFarm(id)));
  }

  /** The nodes the farms declared, in declaration order. */
  async listNodes(farmIds: readonly string[], range: BlockRange = {}): Promise<{ nodeId: string; farmId: string }[]> {
    const farms = farmIds.map((farm, i) => bytes32Input(farm, `farmIds[${i}]`, "nodes"));
    const topic = this.pools.interface.getEvent("NodeDeclared").topicHash;
    const nodes: { nodeId: string; farmId: string }[] = [];
    for (let i = 0; i < farms.length; i += TOPIC_LIST_SIZE) {
      const events = await this.scanPoolLogs([topic, null, farms.slice(i, i + TOPIC_LIST_SIZE)], range);
      for (const event of events) {
        if (event.eventName === "NodeDeclared") nodes.push({ nodeId: event.args.nodeId, farmId: event.args.farmId });
      }
    }
    return nodes;
  }

  /**
   * The workloads assigned to the provider's nodes (of `farmIds`, default all its farms), found from NodeDeclared and
   * WorkloadAssigned events in bounded eth_getLogs ranges, each with its status now (`getWorkload`).
   */
  async listAssignedWorkloads(options: ListAssignedWorkloadsOptions = {}): Promise<AssignedWorkload[]> {
    const farmIds = options.farmIds ?? (await this.listFarms(options)).map((farm) => farm.farmId);
    const nodes = await this.listNodes(farmIds, options);
    const farmOf = new Map(nodes.map((node) => [node.nodeId, node.farmId]));
    const nodeIds = [...farmOf.keys()];
    const topic = this.pools.interface.getEvent("WorkloadAssigned").topicHash;
    const found: { workloadId: string; nodeId: string; blockNumber: number; transactionHash: string }[] = [];
    for (let i = 0; i < nodeIds.length; i += TOPIC_LIST_SIZE) {
      const events = await this.scanPoolLogs([topic, null, null, nodeIds.slice(i, i + TOPIC_LIST_SIZE)], options);
      for (const event of events) {
        if (event.eventName !== "WorkloadAssigned") continue;
        found.push({
          workloadId: event.args.workloadId,
          nodeId: event.args.nodeId,
          blockNumber: event.blockNumber,
          transactionHash: event.transactionHash,
        });
      }
    }
    found.sort((a, b) => a.blockNumber - b.blockNumber);
    const workloads = await Promise.all(
      found.map(async (entry) => ({
        ...(await this.getWorkload(entry.workloadId)),
        farmId: farmOf.get(entry.nodeId)!,
        blockNumber: entry.blockNumber,
        transactionHash: entry.transactionHash,
      })),
    );
    return options.status ? workloads.filter((w) => options.status!.includes(w.statusName)) : workloads;
  }
}
