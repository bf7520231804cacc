// What both roles of CapacityPools share: the contract, the pool's token and allowances towards the pools contract,
// the EIP-712 domain, the reads (farms, pools as of now through the integer model, workloads, earnings), the calls
// anyone may make (syncPool, closeExpiredWorkloads) and bounded event scans. The customer's and the provider's
// clients (pools-customer.ts, pools-provider.ts) build on it.

import {
  getAddress,
  id as keccakUtf8,
  MaxUint256,
  ZeroAddress,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";
import {
  AccordToken__factory,
  CapacityPools__factory,
  type AccordToken,
  type CapacityPools,
} from "../../typechain-types";
import type { PoolStructOutput } from "../../typechain-types/contracts/CapacityPools";
import type { AccordDeployment, DeploymentPathOptions } from "../deployments";
import { AccordValidationError } from "../model/errors";
import { addressInput, bytes32Input, uintInput, ZERO_BYTES32 } from "../pools/inputs";
import { poolStatusNames, workloadStatusNames } from "../model/enums";
import {
  WorkloadStatus,
  type PoolStatus,
  type PoolStatusName,
  type WorkloadStatus as WorkloadStatusValue,
  type WorkloadStatusName,
} from "../model/types";
import {
  capacityPoolsDomain,
  currentPool as modelCurrentPool,
  MAX_BATCH,
  NEVER,
  reservationDigest,
  runwayAt,
  type Pool as ModelPool,
  type ReservationData,
  type WorkloadRates,
} from "../pools";
import {
  AccordClient,
  AccordClientError,
  loadClientDeployment,
  type AccordClientOptions,
  type AllowanceMode,
  type PermitSignature,
} from "./base";
import { decodeAccordLogs, type AccordLog, type AccordTxResult } from "./events";

/** Most blocks one eth_getLogs call of an event scan covers, by default. */
export const DEFAULT_LOG_RANGE = 5000;

export type CapacityPoolsClientOptions = AccordClientOptions & {
  /** CapacityPools address. */
  pools?: string;
  /** Most blocks per eth_getLogs call in event scans; default DEFAULT_LOG_RANGE. */
  logRange?: number;
};

export type PoolsFromDeploymentOptions = Omit<CapacityPoolsClientOptions, "market" | "registry" | "token" | "pools"> &
  DeploymentPathOptions & {
    /** Also check that the contracts have code. Default false. */
    checkCode?: boolean;
  };

/** A farm's prices: token units per unit-second of CU, SU and IPv4U. */
export type Prices = { cu: bigint; su: bigint; ipv4u: bigint };

/** Prices as bigint, safe-integer numbers or decimal strings; a missing one is 0. */
export type PricesInput = {
  cu?: bigint | number | string;
  su?: bigint | number | string;
  ipv4u?: bigint | number | string;
};

/** Workload rates (thousandths of a unit per second) as bigint, safe-integer numbers or decimal strings. */
export type RatesInput = {
  cu?: bigint | number | string;
  su?: bigint | number | string;
  ipv4u?: bigint | number | string;
};

/** A farm as CapacityPools keeps it. */
export type FarmView = {
  farmId: string;
  /** False when no provider created it (then provider is the zero address and the prices zero). */
  exists: boolean;
  provider: string;
  prices: Prices;
  /** The longest grace period its new pools may have (seconds). */
  maxGraceSeconds: bigint;
};

/** One resource of a pool: milli-unit-seconds left and the tokens paid for them. */
export type ResourceBalanceView = { balance: bigint; value: bigint };

/** A pool as CapacityPools stores it: balances as of `lastUpdated` (`getPool`). */
export type StoredPool = {
  poolId: string;
  owner: string;
  /** null: no sponsor. */
  sponsor: string | null;
  /** Who the unconsumed balance returns to: the sponsor, else the owner. */
  beneficiary: string;
  farmId: string;
  lastUpdated: bigint;
  /** NEVER (2^40 − 1) when no rate binds. */
  emptyAt: bigint;
  status: PoolStatus;
  statusName: PoolStatusName;
  graceSeconds: bigint;
  nodeCount: number;
  /** Live (assigned or running) workloads. */
  workloadCount: number;
  runningCount: number;
  /** The running workloads' summed rates (milli-units per second). */
  rates: WorkloadRates;
  cu: ResourceBalanceView;
  su: ResourceBalanceView;
  ipv4u: ResourceBalanceView;
};

/** A pool as a sync at `now` would leave it: what to show as its current balances. */
export type PoolView = StoredPool & {
  /** The time the balances are as of (the latest block's timestamp, unless another was asked). */
  now: bigint;
  /** What the consumption since the stored `lastUpdated` is worth: accrues to the provider at the next sync. */
  accrued: bigint;
  /** The unconsumed value in tokens, as of `now`. */
  value: bigint;
  /** Seconds of runway left (null: never empties, or nothing runs; 0: empty). */
  runway: bigint | null;
  /** The last second in which a top-up still resumes the workloads (null: the pool never empties). */
  graceEndsAt: bigint | null;
};

/** A workload as CapacityPools keeps it. */
export type WorkloadView = {
  workloadId: string;
  /** False for an ID never assigned (then every other field is zero). */
  exists: boolean;
  poolId: string;
  nodeId: string;
  rates: WorkloadRates;
  status: WorkloadStatusValue;
  statusName: WorkloadStatusName;
  /** When it started (0: not started). */
  startedAt: bigint;
};

/** A block range of an event scan (both ends included; toBlock default the latest block). */
export type BlockRange = { fromBlock?: number; toBlock?: number };

type PoolsClientConstructor<T> = new (signer: Signer, options: CapacityPoolsClientOptions) => T;

export { addressInput, bytes32Input, uintInput } from "../pools/inputs";

/*//////////////////////////////////////////////////////////////
                        INPUT CHECKS (NAMED FIELDS)
//////////////////////////////////////////////////////////////*/

/** Prices checked as the contract's uint128s. */
export function parsePrices(prices: PricesInput, field = "prices"): Prices {
  if (typeof prices !== "object" || prices === null) {
    throw new AccordValidationError(field, "must be an object { cu, su, ipv4u }", { subject: "farm prices" });
  }
  return {
    cu: uintInput(prices.cu, `${field}.cu`, 128, "farm prices"),
    su: uintInput(prices.su, `${field}.su`, 128, "farm prices"),
    ipv4u: uintInput(prices.ipv4u, `${field}.ipv4u`, 128, "farm prices"),
  };
}

/** Workload rates checked as the contract's uint32s (thousandths of a unit per second). */
export function parseRates(rates: RatesInput, field = "rates"): WorkloadRates {
  if (typeof rates !== "object" || rates === null) {
    throw new AccordValidationError(field, "must be an object { cu, su, ipv4u }", { subject: "workload" });
  }
  return {
    cu: uintInput(rates.cu, `${field}.cu`, 32, "workload"),
    su: uintInput(rates.su, `${field}.su`, 32, "workload"),
    ipv4u: uintInput(rates.ipv4u, `${field}.ipv4u`, 32, "workload"),
  };
}

/** A list of 1 to MAX_BATCH non-zero IDs (what the contract's list arguments take). */
export function batchInput(ids: readonly string[], field: string, subject: string): string[] {
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new AccordValidationError(field, "must list at least one ID", { subject });
  }
  if (ids.length > MAX_BATCH) throw new AccordValidationError(field, `may list at most ${MAX_BATCH} IDs`, { subject });
  return ids.map((id, i) => bytes32Input(id, `${field}[${i}]`, subject));
}

/**
 * A 32-byte ID from a name: keccak256 of its UTF-8 bytes. Farms' node IDs and workload IDs are any non-zero 32
 * bytes; this is a convenient way to make them from an orchestrator's own names ("node-7", a deployment's UUID).
 */
export function idFromName(name: string): string {
  if (typeof name !== "string" || name === "") {
    throw new AccordValidationError("name", "must be a non-empty string", { subject: "ID" });
  }
  return keccakUtf8(name);
}

/*//////////////////////////////////////////////////////////////
                         CHAIN ↔ MODEL CONVERSION
//////////////////////////////////////////////////////////////*/

/** The contract's Pool struct (getPool, currentPool) as a StoredPool. */
export function storedPoolOf(poolId: string, raw: PoolStructOutput): StoredPool {
  const status = Number(raw.status) as PoolStatus;
  const sponsor = raw.sponsor === ZeroAddress ? null : getAddress(raw.sponsor);
  return {
    poolId: poolId.toLowerCase(),
    owner: getAddress(raw.owner),
    sponsor,
    beneficiary: sponsor ?? getAddress(raw.owner),
    farmId: raw.farmId.toLowerCase(),
    lastUpdated: raw.lastUpdated,
    emptyAt: raw.emptyAt,
    status,
    statusName: poolStatusNames[status],
    graceSeconds: raw.graceSeconds,
    nodeCount: Number(raw.nodeCount),
    workloadCount: Number(raw.workloadCount),
    runningCount: Number(raw.runningCount),
    rates: { cu: raw.cuRate, su: raw.suRate, ipv4u: raw.ipv4uRate },
    cu: { balance: raw.cu.balance, value: raw.cu.value },
    su: { balance: raw.su.balance, value: raw.su.value },
    ipv4u: { balance: raw.ipv4u.balance, value: raw.ipv4u.value },
  };
}

/**
 * A stored pool as the TypeScript model's Pool (src/pools/model.ts), for its operations. The contract keeps only
 * counts of nodes and running workloads: pass their IDs when known; otherwise `nodeIds` is empty and
 * `runningWorkloadIds` holds `runningCount` placeholders ("running:0", …), which is all the model's status and runway
 * rules look at.
 */
export function toModelPool(
  stored: StoredPool,
  known: { nodeIds?: readonly string[]; runningWorkloadIds?: readonly string[] } = {},
): ModelPool {
  const running = known.runningWorkloadIds ?? Array.from({ length: stored.runningCount }, (_, i) => `running:${i}`);
  return {
    poolId: stored.poolId,
    owner: stored.owner,
    sponsor: stored.sponsor,
    farmId: stored.farmId,
    nodeIds: [...(known.nodeIds ?? [])],
    cu: { ...stored.cu },
    su: { ...stored.su },
    ipv4u: { ...stored.ipv4u },
    lastUpdated: stored.lastUpdated,
    rates: { ...stored.rates },
    emptyAt: stored.emptyAt,
    graceSeconds: stored.graceSeconds,
    runningWorkloadIds: new Set(running),
    workloadCount: stored.workloadCount,
    status: stored.status,
  };
}

/** The pool as a sync at `now` would leave it, by the TypeScript model (`currentPool`, `runwayAt`). */
export function poolViewAt(stored: StoredPool, now: bigint): PoolView {
  const synced = modelCurrentPool(toModelPool(stored), now);
  const status = synced.status;
  return {
    ...stored,
    lastUpdated: synced.lastUpdated,
    status,
    statusName: poolStatusNames[status],
    cu: { ...synced.cu },
    su: { ...synced.su },
    ipv4u: { ...synced.ipv4u },
    now,
    accrued: synced.accrued,
    value: synced.cu.value + synced.su.value + synced.ipv4u.value,
    runway: runwayAt(synced, now),
    graceEndsAt: stored.emptyAt === NEVER ? null : stored.emptyAt + stored.graceSeconds,
  };
}

/*//////////////////////////////////////////////////////////////
                               THE CLIENT
//////////////////////////////////////////////////////////////*/

/**
 * The part of the CapacityPools clients both roles share. Transactions return AccordTxResult with the pools' events
 * decoded; reverts are AccordContractError naming the custom error (CapacityPools_…); bad arguments are
 * AccordValidationError naming the field, thrown before anything is sent. `allowance()` and `ensureAllowance()` are
 * towards the pools contract here (not the market).
 */
export class CapacityPoolsClient extends AccordClient {
  declare readonly options: Readonly<CapacityPoolsClientOptions>;
  readonly logRange: number;

  #pools: CapacityPools | undefined;
  #token: Promise<AccordToken> | undefined;
  #tokenAddress: string | undefined;

  constructor(signer: Signer, options: CapacityPoolsClientOptions = {}) {
    super(signer, options);
    this.logRange = options.logRange ?? DEFAULT_LOG_RANGE;
    if (!Number.isSafeInteger(this.logRange) || this.logRange < 1) {
      throw new AccordValidationError("logRange", "must be a whole number of blocks above 0", {
        subject: "client options",
      });
    }
    if (options.pools) this.#pools = CapacityPools__factory.connect(options.pools, signer);
    if (options.token) {
      this.#tokenAddress = options.token;
      this.#token = Promise.resolve(AccordToken__factory.connect(options.token, signer));
    }
  }

  /**
   * A client on the CapacityPools of a deployment (an object, a network name or a file path), checked against the
   * signer's chain. Event scans start at the CapacityPools deployment block.
   */
  static override async fromDeployment<T extends AccordClient>(
    this: PoolsClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: PoolsFromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const { AccordToken, CapacityPools, DealMarket, ServiceRegistry } = loaded.contracts;
    return new this(signer, {
      fromBlock: CapacityPools.blockNumber,
      ...clientOptions,
      pools: CapacityPools.address,
      market: DealMarket.address,
      registry: ServiceRegistry.address,
      token: AccordToken.address,
    });
  }

  get pools(): CapacityPools {
    if (!this.#pools) {
      throw new AccordClientError("NOT_CONFIGURED", "no CapacityPools address was given to this client");
    }
    return this.#pools;
  }

  /** The pools' token (from the options, else `pools.token()`). */
  override getToken(): Promise<AccordToken> {
    this.#token ??= this.read("token", () => this.pools.token()).then((address) => {
      this.#tokenAddress = address;
      return AccordToken__factory.connect(address, this.signer);
    });
    return this.#token;
  }

  /** Decodes the Accord events (the pools' included) among a receipt's logs. */
  override decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, {
      pools: this.options.pools,
      market: this.options.market,
      registry: this.options.registry,
      token: this.#tokenAddress,
    });
  }

  /** The EIP-712 domain reservations are signed in. */
  async domain(): Promise<TypedDataDomain> {
    return capacityPoolsDomain(await this.getChainId(), await this.pools.getAddress());
  }

  /** The reservation's EIP-712 digest (the ID of a pool it creates), computed here. */
  async reservationDigest(data: ReservationData): Promise<string> {
    return reservationDigest(data, await this.domain());
  }

  /*//////////////////////////////////////////////////////////////
                       ALLOWANCE (TOWARDS THE POOLS)
  //////////////////////////////////////////////////////////////*/

  /** What CapacityPools may pull from the signer. */
  override async allowance(): Promise<bigint> {
    const token = await this.getToken();
    return token.allowance(await this.getAddress(), await this.pools.getAddress());
  }

  /**
   * Makes sure CapacityPools may pull `amount` from the signer: nothing when the allowance covers it (or mode is
   * "none"), else approves the amount ("exact") or 2^256 − 1 ("unlimited"), or signs and submits a permit.
   */
  override async ensureAllowance(
    amount: bigint,
    mode: AllowanceMode = this.allowanceMode,
  ): Promise<AccordTxResult | undefined> {
    if (mode === "none" || amount === 0n) return undefined;
    if ((await this.allowance()) >= amount) return undefined;
    if (mode === "permit") return this.submitPermit(await this.signPermit(amount));
    const token = await this.getToken();
    const spender = await this.pools.getAddress();
    const value = mode === "unlimited" ? MaxUint256 : amount;
    return this.send("approve", (overrides) => token.approve(spender, value, overrides));
  }

  /** An EIP-2612 permit for CapacityPools (or `spender`) to pull `value` from the signer. */
  override async signPermit(
    value: bigint,
    options: { deadline?: bigint; spender?: string } = {},
  ): Promise<PermitSignature> {
    return super.signPermit(value, { ...options, spender: options.spender ?? (await this.pools.getAddress()) });
  }

  /*//////////////////////////////////////////////////////////////
                                  READS
  //////////////////////////////////////////////////////////////*/

  async getFarm(farmId: string): Promise<FarmView> {
    const id = bytes32Input(farmId, "farmId", "farm");
    const farm = await this.read("getFarm", () => this.pools.getFarm(id));
    return {
      farmId: id,
      exists: farm.provider !== ZeroAddress,
      provider: getAddress(farm.provider),
      prices: { cu: farm.prices.cu, su: farm.prices.su, ipv4u: farm.prices.ipv4u },
      maxGraceSeconds: farm.maxGraceSeconds,
    };
  }

  /** The farm that declared the node (null: none). */
  async farmOfNode(nodeId: string): Promise<string | null> {
    const id = bytes32Input(nodeId, "nodeId", "node");
    const farmId = (await this.read("farmOfNode", () => this.pools.farmOfNode(id))).toLowerCase();
    return farmId === ZERO_BYTES32 ? null : farmId;
  }

  /** The pool as stored, balances as of its `lastUpdated` (undefined: no such pool). */
  async getStoredPool(poolId: string): Promise<StoredPool | undefined> {
    const id = bytes32Input(poolId, "poolId", "pool");
    const raw = await this.read("getPool", () => this.pools.getPool(id));
    return raw.owner === ZeroAddress ? undefined : storedPoolOf(id, raw);
  }

  /**
   * The pool with its balances, status and runway as of now (the latest block's timestamp, or `at`), computed by the
   * TypeScript model from the stored pool: what the contract's `currentPool` view returns, plus the accrual, the
   * value, the runway and the grace end. AccordContractError CapacityPools_PoolNotFound for an unknown pool.
   */
  async getPool(poolId: string, options: { at?: bigint } = {}): Promise<PoolView> {
    const id = bytes32Input(poolId, "poolId", "pool");
    const [stored, now] = await Promise.all([this.getStoredPool(id), options.at ?? this.latestTimestamp()]);
    if (!stored) {
      // The contract's view names the error.
      await this.read("currentPool", () => this.pools.currentPool(id));
      throw new AccordClientError("NOT_FOUND", `no pool ${id}`);
    }
    if (now < stored.lastUpdated) {
      // The two reads run side by side: a block mined between them leaves the pool newer than "latest" was.
      if (options.at === undefined) return poolViewAt(stored, stored.lastUpdated);
      throw new AccordValidationError("at", `must not be before the pool's last update (${stored.lastUpdated})`, {
        subject: "pool read",
      });
    }
    return poolViewAt(stored, now);
  }

  /** The contract's own `currentPool` view (a sync at the calling block's time, not written). */
  async getChainCurrentPool(poolId: string): Promise<StoredPool> {
    const id = bytes32Input(poolId, "poolId", "pool");
    return storedPoolOf(id, await this.read("currentPool", () => this.pools.currentPool(id)));
  }

  /** The pool's status now. */
  async poolStatus(poolId: string): Promise<{ status: PoolStatus; statusName: PoolStatusName }> {
    const { status, statusName } = await this.getPool(poolId);
    return { status, statusName };
  }

  /** Seconds of runway the pool has left now (null: never empties, or nothing runs; 0: empty). */
  async runway(poolId: string): Promise<bigint | null> {
    return (await this.getPool(poolId)).runway;
  }

  /** Whether the node is one of the pool's. */
  async poolHasNode(poolId: string, nodeId: string): Promise<boolean> {
    const pool = bytes32Input(poolId, "poolId", "pool");
    const node = bytes32Input(nodeId, "nodeId", "pool");
    return this.read("poolHasNode", () => this.pools.poolHasNode(pool, node));
  }

  async getWorkload(workloadId: string): Promise<WorkloadView> {
    const id = bytes32Input(workloadId, "workloadId", "workload");
    const raw = await this.read("getWorkload", () => this.pools.getWorkload(id));
    const status = Number(raw.status) as WorkloadStatusValue;
    return {
      workloadId: id,
      exists: status !== WorkloadStatus.None,
      poolId: raw.poolId.toLowerCase(),
      nodeId: raw.nodeId.toLowerCase(),
      rates: { cu: raw.rates.cu, su: raw.rates.su, ipv4u: raw.rates.ipv4u },
      status,
      statusName: workloadStatusNames[status],
      startedAt: raw.startedAt,
    };
  }

  /** What `provider` (default: the signer) accrued from synced pools and has not withdrawn. */
  async earnings(provider?: string): Promise<bigint> {
    const who = provider === undefined ? await this.getAddress() : addressInput(provider, "provider", "earnings");
    return this.read("earnings", () => this.pools.earnings(who));
  }

  /** Whether `customer` (default: the signer) used or cancelled the nonce. */
  async nonceUsed(nonce: bigint | number | string, customer?: string): Promise<boolean> {
    const value = uintInput(nonce, "nonce", 256, "nonce");
    const who = customer === undefined ? await this.getAddress() : addressInput(customer, "customer", "nonce");
    return this.read("nonceUsed", () => this.pools.nonceUsed(who, value));
  }

  /*//////////////////////////////////////////////////////////////
                         CALLS ANYONE MAY MAKE
  //////////////////////////////////////////////////////////////*/

  /** Syncs the pool now: accrues its consumption and emits its status change (runway low, empty, grace over). */
  async syncPool(poolId: string): Promise<AccordTxResult> {
    const id = bytes32Input(poolId, "poolId", "pool");
    return this.send("syncPool", (overrides) => this.pools.syncPool(id, overrides));
  }

  /** Closes running workloads of pools past their grace period (1 to MAX_BATCH IDs). */
  async closeExpiredWorkloads(workloadIds: readonly string[]): Promise<AccordTxResult> {
    const ids = batchInput(workloadIds, "workloadIds", "closeExpiredWorkloads");
    return this.send("closeExpiredWorkloads", (overrides) => this.pools.closeExpiredWorkloads(ids, overrides));
  }

  /**
   * Removes a workload (assigned or running): the pool's owner or the farm's provider may. An unknown or ended
   * workload is a no-op (no event).
   */
  async removeWorkload(workloadId: string): Promise<AccordTxResult> {
    const id = bytes32Input(workloadId, "workloadId", "workload");
    return this.send("removeWorkload", (overrides) => this.pools.removeWorkload(id, overrides));
  }

  /*//////////////////////////////////////////////////////////////
                                EVENTS
  //////////////////////////////////////////////////////////////*/

  /**
   * The pools' decoded events matching `topics` in a block range, read with eth_getLogs at most `logRange` blocks
   * at a time, in chain order.
   */
  async scanPoolLogs(topics: (string | string[] | null)[], range: BlockRange = {}): Promise<AccordLog[]> {
    const address = await this.pools.getAddress();
    const fromBlock = range.fromBlock ?? this.fromBlock;
    const toBlock = range.toBlock ?? (await this.provider.getBlockNumber());
    const events: AccordLog[] = [];
    for (let start = fromBlock; start <= toBlock; start += this.logRange) {
      const end = Math.min(toBlock, start + this.logRange - 1);
      const logs = await this.provider.getLogs({ address, topics, fromBlock: start, toBlock: end });
      events.push(...decodeAccordLogs(logs, { pools: address }));
    }
    return events;
  }

  /** Every event of one pool (its own, and its workloads'), in chain order. */
  async getPoolEvents(poolId: string, range: BlockRange = {}): Promise<AccordLog[]> {
    const id = bytes32Input(poolId, "poolId", "pool");
    const [own, workloads] = await Promise.all([
      this.scanPoolLogs([null, id], range),
      this.scanPoolLogs([null, null, id], range),
    ]);
    const poolEvents = own.filter((event) => "poolId" in event.args && event.args.poolId === id);
    const workloadEvents = workloads.filter(
      (event) => "workloadId" in event.args && "poolId" in event.args && event.args.poolId === id,
    );
    return [...poolEvents, ...workloadEvents].sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
  }

  /** The pool's nodes, from its PoolNodeAdded events. */
  async getPoolNodes(poolId: string, range: BlockRange = {}): Promise<string[]> {
    const events = await this.getPoolEvents(poolId, range);
    const nodes: string[] = [];
    for (const event of events) {
      if (event.eventName === "PoolNodeAdded" && !nodes.includes(event.args.nodeId)) nodes.push(event.args.nodeId);
    }
    return nodes;
  }
}
