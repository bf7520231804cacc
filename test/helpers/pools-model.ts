/**
 * A model of the CapacityPools contract for the property tests: farms, the node → farm map, pools with their node
 * sets, workloads, the providers' earnings, used nonces and the token balances (and allowances to the contract) of
 * the accounts involved.
 *
 * It is written from ICapacityPools' NatSpec, on top of the pure pool arithmetic of `src/pools/model.ts` (sync,
 * empty-at, status, reschedule, AddCapacity, AddWorkload, RemoveWorkload, AllowedInPool), which it imports rather
 * than re-implements. Each method mirrors one contract function: it takes the caller (`sender`) and the block
 * time (`now`) where the contract reads them, and where the contract reverts it throws a `ContractRevert` whose
 * `.name` is the contract's custom error name (`CapacityPools_PoolNotFound`, or the token's `ERC20…` errors),
 * leaving the model unchanged (every method is atomic). Signatures are inputs: `reserve` takes whether the
 * customer's and the sponsor's signatures are valid (the contract accepts a missing signature from a signer
 * that submits the reservation itself, and so does the model).
 *
 * The checks come in the order ICapacityPools documents; where it documents none, in the contract's order.
 * `reserve`: deadline, customer, nonce, signatures, farm, the node list's bound (a calldata check), then creation
 * (at least one node, grace ≤ MAX_GRACE_SECONDS, then each node the farm's and listed once: the NatSpec names the
 * nodes before the grace, the contract checks the grace first, and the model follows the contract) or top-up (the
 * pool, its farm, no grace, not past grace with workloads running, nodes added only by the owner and within
 * bounds, something bought or added), then cost ≤ maxCost, then the payment.
 *
 * Addresses and IDs are kept in lower case; the views (`getPool`, `getWorkload`, `getFarm`) return the contract's
 * struct shapes with lower-case strings and bigints, ready to compare with what the contract returns.
 */
import { AbiCoder, ZeroAddress, ZeroHash, keccak256, type TypedDataDomain } from "ethers";

import { PoolStatus, WorkloadStatus } from "../../src/model";
import {
  GraceOverError,
  InsufficientRunwayError,
  MAX_BATCH,
  MAX_GRACE_SECONDS,
  MAX_NODES_PER_POOL,
  MAX_WORKLOADS_PER_POOL,
  addCapacity,
  addWorkload,
  allowedInPool,
  clonePool,
  currentPool,
  graceEndsAt,
  newPool,
  poolStatusAt,
  poolValue,
  removeWorkload as removeRunningWorkload,
  syncCurrentCapacity,
  type Pool,
  type WorkloadRates,
} from "../../src/pools/model";
import {
  NEW_POOL,
  capacityPoolsDomain,
  reservationCost,
  reservationDigest,
  type ReservationData,
} from "../../src/pools/reservation";

const UINT256_MAX = (1n << 256n) - 1n;

/** A revert the model predicts: `.name` is the custom error's name, `.args` its arguments. */
export class ContractRevert extends Error {
  readonly args: readonly unknown[];
  constructor(name: string, args: readonly unknown[] = []) {
    super(`${name}(${args.map((a) => String(a)).join(", ")})`);
    this.name = name;
    this.args = args;
  }
}

function revert(name: string, ...args: unknown[]): never {
  throw new ContractRevert(name, args);
}

/** A farm's prices, in token units per unit-second of each resource. */
export type Prices = { cu: bigint; su: bigint; ipv4u: bigint };

export type ModelFarm = { provider: string; prices: Prices; maxGraceSeconds: bigint };

export type ModelWorkload = {
  poolId: string;
  nodeId: string;
  rates: WorkloadRates;
  status: WorkloadStatus;
  startedAt: bigint;
};

/** `getPool`'s struct, as the model has it (lower-case strings, bigints; all zero for no pool). */
export type PoolView = {
  owner: string;
  lastUpdated: bigint;
  emptyAt: bigint;
  status: bigint;
  sponsor: string;
  graceSeconds: bigint;
  nodeCount: bigint;
  workloadCount: bigint;
  runningCount: bigint;
  farmId: string;
  cuRate: bigint;
  suRate: bigint;
  ipv4uRate: bigint;
  cu: { balance: bigint; value: bigint };
  su: { balance: bigint; value: bigint };
  ipv4u: { balance: bigint; value: bigint };
};

/** `getWorkload`'s struct, as the model has it. */
export type WorkloadView = {
  poolId: string;
  nodeId: string;
  rates: { cu: bigint; su: bigint; ipv4u: bigint };
  status: bigint;
  startedAt: bigint;
};

/** Whether each signature of a reservation is valid (`sponsor` is ignored when there is no sponsor). */
export type SignatureValidity = { customer: boolean; sponsor: boolean };

/** What a successful `reserve` did. */
export type ReserveOutcome = { poolId: string; created: boolean; cost: bigint; payer: string };

type State = {
  farms: Map<string, ModelFarm>;
  farmOfNode: Map<string, string>;
  pools: Map<string, Pool>;
  workloads: Map<string, ModelWorkload>;
  earnings: Map<string, bigint>;
  nonces: Set<string>;
  balances: Map<string, bigint>;
  allowances: Map<string, bigint>;
};

const lower = (value: string) => value.toLowerCase();
const isLive = (status: WorkloadStatus) => status === WorkloadStatus.Assigned || status === WorkloadStatus.Running;
const sameRates = (a: WorkloadRates, b: WorkloadRates) => a.cu === b.cu && a.su === b.su && a.ipv4u === b.ipv4u;
const nonceKey = (customer: string, nonce: bigint) => `${lower(customer)}:${nonce}`;

function cloneState(s: State): State {
  return {
    farms: new Map([...s.farms].map(([k, f]) => [k, { ...f, prices: { ...f.prices } }])),
    farmOfNode: new Map(s.farmOfNode),
    pools: new Map([...s.pools].map(([k, p]) => [k, clonePool(p)])),
    workloads: new Map([...s.workloads].map(([k, w]) => [k, { ...w, rates: { ...w.rates } }])),
    earnings: new Map(s.earnings),
    nonces: new Set(s.nonces),
    balances: new Map(s.balances),
    allowances: new Map(s.allowances),
  };
}

export class CapacityPoolsModel {
  /** The contract's address (lower case): its token balance is tracked under it. */
  readonly address: string;
  readonly domain: TypedDataDomain;
  private s: State;

  /**
   * @param address The CapacityPools contract's address (the EIP-712 domain's verifying contract).
   * @param chainId The chain's ID (the EIP-712 domain's).
   * @param accounts The token balance and allowance to the contract of every account that may pay or be paid.
   */
  constructor(
    address: string,
    chainId: bigint,
    accounts: Iterable<{ account: string; balance: bigint; allowance: bigint }> = [],
  ) {
    this.address = lower(address);
    this.domain = capacityPoolsDomain(chainId, address);
    this.s = {
      farms: new Map(),
      farmOfNode: new Map(),
      pools: new Map(),
      workloads: new Map(),
      earnings: new Map(),
      nonces: new Set(),
      balances: new Map(),
      allowances: new Map(),
    };
    for (const { account, balance, allowance } of accounts) {
      this.s.balances.set(lower(account), balance);
      this.s.allowances.set(lower(account), allowance);
    }
    if (!this.s.balances.has(this.address)) this.s.balances.set(this.address, 0n);
  }

  /** An independent copy (for trying a step without committing it). */
  clone(): CapacityPoolsModel {
    const copy = Object.create(CapacityPoolsModel.prototype) as CapacityPoolsModel;
    Object.assign(copy, { address: this.address, domain: this.domain, s: cloneState(this.s) });
    return copy;
  }

  /** Runs `change` on the state; if it throws, the state is as before. */
  private atomically<T>(change: () => T): T {
    const saved = cloneState(this.s);
    try {
      return change();
    } catch (error) {
      this.s = saved;
      throw error;
    }
  }

  /*//////////////////////////////////////////////////////////////
                                VIEWS
  //////////////////////////////////////////////////////////////*/

  farmIdOf(provider: string, salt: string): string {
    return lower(keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [provider, salt])));
  }

  getFarm(farmId: string): ModelFarm {
    const farm = this.s.farms.get(lower(farmId));
    return farm
      ? { ...farm, prices: { ...farm.prices } }
      : { provider: ZeroAddress, prices: { cu: 0n, su: 0n, ipv4u: 0n }, maxGraceSeconds: 0n };
  }

  farmOfNode(nodeId: string): string {
    return this.s.farmOfNode.get(lower(nodeId)) ?? ZeroHash;
  }

  /** The model's pool (the pure model's `Pool`), or undefined. Do not mutate it. */
  pool(poolId: string): Pool | undefined {
    return this.s.pools.get(lower(poolId));
  }

  /** The IDs of the pools created so far, in creation order. */
  poolIds(): string[] {
    return [...this.s.pools.keys()];
  }

  workload(workloadId: string): ModelWorkload | undefined {
    return this.s.workloads.get(lower(workloadId));
  }

  getPool(poolId: string): PoolView {
    const pool = this.s.pools.get(lower(poolId));
    return pool ? viewOf(pool) : emptyPoolView();
  }

  /** `currentPool`: the pool as a sync at `now` would leave it, without writing. */
  currentPool(poolId: string, now: bigint): PoolView {
    const pool = this.s.pools.get(lower(poolId));
    if (!pool) revert("CapacityPools_PoolNotFound", poolId);
    return viewOf(currentPool(pool, now));
  }

  poolHasNode(poolId: string, nodeId: string): boolean {
    const pool = this.s.pools.get(lower(poolId));
    return pool !== undefined && allowedInPool(pool, nodeId);
  }

  getWorkload(workloadId: string): WorkloadView {
    const w = this.s.workloads.get(lower(workloadId));
    if (!w) {
      return { poolId: ZeroHash, nodeId: ZeroHash, rates: { cu: 0n, su: 0n, ipv4u: 0n }, status: 0n, startedAt: 0n };
    }
    return {
      poolId: w.poolId,
      nodeId: w.nodeId,
      rates: { ...w.rates },
      status: BigInt(w.status),
      startedAt: w.startedAt,
    };
  }

  earnings(provider: string): bigint {
    return this.s.earnings.get(lower(provider)) ?? 0n;
  }

  /** Every provider's unpaid earnings. */
  allEarnings(): Map<string, bigint> {
    return new Map(this.s.earnings);
  }

  nonceUsed(customer: string, nonce: bigint): boolean {
    return this.s.nonces.has(nonceKey(customer, nonce));
  }

  balanceOf(account: string): bigint {
    return this.s.balances.get(lower(account)) ?? 0n;
  }

  allowanceOf(account: string): bigint {
    return this.s.allowances.get(lower(account)) ?? 0n;
  }

  /** What the contract owes: every pool's unconsumed value plus every provider's unpaid earnings. */
  owed(): bigint {
    let total = 0n;
    for (const pool of this.s.pools.values()) total += poolValue(pool);
    for (const amount of this.s.earnings.values()) total += amount;
    return total;
  }

  reservationDigest(r: ReservationData): string {
    return lower(reservationDigest(r, this.domain));
  }

  /** The reservation's cost at its farm's current prices (zero prices for no farm). */
  reservationCost(r: Pick<ReservationData, "farmId" | "cus" | "sus" | "ipv4us">): bigint {
    return reservationCost(r, this.getFarm(r.farmId).prices);
  }

  /*//////////////////////////////////////////////////////////////
                                FARMS
  //////////////////////////////////////////////////////////////*/

  createFarm(sender: string, salt: string, prices: Prices): string {
    return this.atomically(() => {
      const farmId = this.farmIdOf(sender, salt);
      if (this.s.farms.has(farmId)) revert("CapacityPools_FarmExists", farmId);
      this.s.farms.set(farmId, { provider: lower(sender), prices: { ...prices }, maxGraceSeconds: MAX_GRACE_SECONDS });
      return farmId;
    });
  }

  setFarmPrices(sender: string, farmId: string, prices: Prices): void {
    this.atomically(() => {
      const farm = this.requireFarmProvider(sender, farmId);
      farm.prices = { ...prices };
    });
  }

  setFarmGraceLimit(sender: string, farmId: string, maxGraceSeconds: bigint): void {
    this.atomically(() => {
      const farm = this.requireFarmProvider(sender, farmId);
      if (maxGraceSeconds > MAX_GRACE_SECONDS) revert("CapacityPools_GraceTooLong", maxGraceSeconds, MAX_GRACE_SECONDS);
      farm.maxGraceSeconds = maxGraceSeconds;
    });
  }

  declareNodes(sender: string, farmId: string, nodeIds: readonly string[]): void {
    this.atomically(() => {
      this.requireFarmProvider(sender, farmId);
      if (nodeIds.length === 0) revert("CapacityPools_EmptyList");
      requireAtMost(nodeIds.length, MAX_BATCH);
      for (const raw of nodeIds) {
        const nodeId = lower(raw);
        if (nodeId === ZeroHash) revert("CapacityPools_ZeroNodeId");
        const owner = this.s.farmOfNode.get(nodeId);
        if (owner !== undefined) revert("CapacityPools_NodeAlreadyDeclared", nodeId, owner);
        this.s.farmOfNode.set(nodeId, lower(farmId));
      }
    });
  }

  /*//////////////////////////////////////////////////////////////
                             RESERVATIONS
  //////////////////////////////////////////////////////////////*/

  reserve(sender: string, r: ReservationData, signatures: SignatureValidity, now: bigint): ReserveOutcome {
    return this.atomically(() => {
      const customer = lower(r.customer);
      const sponsor = lower(r.sponsor);
      const farmId = lower(r.farmId);
      if (now > r.deadline) revert("CapacityPools_ReservationExpired", r.deadline);
      if (customer === ZeroAddress) revert("CapacityPools_ZeroAddressCustomer");
      if (this.nonceUsed(customer, r.nonce)) revert("CapacityPools_NonceUsed", customer, r.nonce);
      const digest = this.reservationDigest(r);
      if (lower(sender) !== customer && !signatures.customer) revert("CapacityPools_InvalidSignature", customer);
      if (sponsor !== ZeroAddress && lower(sender) !== sponsor && !signatures.sponsor) {
        revert("CapacityPools_InvalidSignature", sponsor);
      }
      const farm = this.s.farms.get(farmId);
      if (!farm) revert("CapacityPools_FarmNotFound", farmId);
      requireAtMost(r.nodeIds.length, MAX_NODES_PER_POOL);
      this.s.nonces.add(nonceKey(customer, r.nonce));

      const creates = lower(r.poolId) === NEW_POOL;
      let pool: Pool;
      if (creates) {
        // At least one node, the grace period, then each node: the farm's, and not listed twice.
        if (r.nodeIds.length === 0) revert("CapacityPools_EmptyList");
        const maxGrace = this.s.farms.get(lower(r.farmId))!.maxGraceSeconds;
        if (r.graceSeconds > maxGrace) revert("CapacityPools_GraceTooLong", r.graceSeconds, maxGrace);
        pool = newPool({
          poolId: digest,
          owner: customer,
          sponsor: sponsor === ZeroAddress ? null : sponsor,
          farmId,
          graceSeconds: r.graceSeconds,
          now,
        });
        for (const raw of r.nodeIds) {
          const nodeId = lower(raw);
          if (this.farmOfNode(nodeId) !== farmId) revert("CapacityPools_NodeNotInFarm", nodeId, farmId);
          if (allowedInPool(pool, nodeId)) revert("CapacityPools_DuplicateNode", nodeId);
          pool.nodeIds.push(nodeId);
        }
      } else {
        const poolId = lower(r.poolId);
        const existing = this.s.pools.get(poolId);
        if (!existing) revert("CapacityPools_PoolNotFound", poolId);
        pool = existing;
        if (farmId !== pool.farmId) revert("CapacityPools_FarmMismatch", poolId, farmId);
        if (r.graceSeconds !== 0n) revert("CapacityPools_GraceOnTopUp", poolId);
        this.accrue(pool, syncCurrentCapacity(pool, now));
        if (poolStatusAt(pool, now) === PoolStatus.GraceOver) {
          revert("CapacityPools_GraceOver", poolId, graceEndsAt(pool));
        }
        if (r.nodeIds.length !== 0 && customer !== pool.owner) revert("CapacityPools_NotPoolOwner", poolId, customer);
        let added = 0;
        for (const raw of r.nodeIds) {
          const nodeId = lower(raw);
          if (this.farmOfNode(nodeId) !== farmId) revert("CapacityPools_NodeNotInFarm", nodeId, farmId);
          if (!allowedInPool(pool, nodeId)) {
            pool.nodeIds.push(nodeId);
            added += 1;
          }
        }
        requireAtMost(pool.nodeIds.length, MAX_NODES_PER_POOL);
        if (added === 0 && r.cus === 0n && r.sus === 0n && r.ipv4us === 0n) revert("CapacityPools_EmptyReservation");
      }

      const cost = reservationCost(r, farm.prices);
      if (cost > r.maxCost) revert("CapacityPools_CostAboveMax", cost, r.maxCost);

      this.accrue(pool, addCapacity(pool, { cus: r.cus, sus: r.sus, ipv4us: r.ipv4us }, farm.prices, now));
      this.save(pool, now);
      const payer = sponsor === ZeroAddress ? customer : sponsor;
      if (cost !== 0n) this.pull(payer, cost);
      return { poolId: pool.poolId, created: creates, cost, payer };
    });
  }

  cancelNonce(sender: string, nonce: bigint): void {
    this.atomically(() => {
      if (this.nonceUsed(sender, nonce)) revert("CapacityPools_NonceUsed", lower(sender), nonce);
      this.s.nonces.add(nonceKey(sender, nonce));
    });
  }

  /*//////////////////////////////////////////////////////////////
                              WORKLOADS
  //////////////////////////////////////////////////////////////*/

  assignWorkload(sender: string, workloadId: string, poolId: string, nodeId: string, rates: WorkloadRates): void {
    this.atomically(() => {
      const id = lower(workloadId);
      const pid = lower(poolId);
      const node = lower(nodeId);
      if (id === ZeroHash) revert("CapacityPools_ZeroWorkloadId");
      const pool = this.requirePool(pid);
      if (lower(sender) !== pool.owner) revert("CapacityPools_NotPoolOwner", pid, lower(sender));
      const existing = this.s.workloads.get(id);
      if (existing) {
        // Idempotent: the same live workload again changes nothing.
        if (isLive(existing.status) && existing.poolId === pid && existing.nodeId === node) {
          if (sameRates(existing.rates, rates)) return;
        }
        revert("CapacityPools_WorkloadExists", id);
      }
      if (!allowedInPool(pool, node)) revert("CapacityPools_NodeNotInPool", pid, node);
      requireAtMost(pool.workloadCount + 1, MAX_WORKLOADS_PER_POOL);
      this.s.workloads.set(id, {
        poolId: pid,
        nodeId: node,
        rates: { ...rates },
        status: WorkloadStatus.Assigned,
        startedAt: 0n,
      });
      pool.workloadCount += 1;
    });
  }

  startWorkload(sender: string, workloadId: string, now: bigint): void {
    this.atomically(() => {
      const id = lower(workloadId);
      const w = this.s.workloads.get(id);
      if (!w) revert("CapacityPools_WorkloadNotFound", id);
      const pool = this.s.pools.get(w.poolId)!;
      if (lower(sender) !== this.s.farms.get(pool.farmId)!.provider) {
        revert("CapacityPools_Unauthorized", id, lower(sender));
      }
      if (w.status === WorkloadStatus.Running) return;
      if (w.status !== WorkloadStatus.Assigned) revert("CapacityPools_InvalidWorkloadStatus", id, w.status);
      try {
        this.accrue(pool, addWorkload(pool, id, w.rates, now));
      } catch (error) {
        if (error instanceof InsufficientRunwayError) {
          revert("CapacityPools_InsufficientRunway", pool.poolId, error.emptyAt, error.needed);
        }
        if (error instanceof GraceOverError) revert("CapacityPools_GraceOver", pool.poolId, error.graceEndsAt);
        throw error;
      }
      w.status = WorkloadStatus.Running;
      w.startedAt = now;
      this.save(pool, now);
    });
  }

  removeWorkload(sender: string, workloadId: string, now: bigint): void {
    this.atomically(() => {
      const id = lower(workloadId);
      const w = this.s.workloads.get(id);
      if (!w) return; // RemoveWorkload of an unknown id is a no-op
      const pool = this.s.pools.get(w.poolId)!;
      const caller = lower(sender);
      if (caller !== pool.owner && caller !== this.s.farms.get(pool.farmId)!.provider) {
        revert("CapacityPools_Unauthorized", id, caller);
      }
      if (!isLive(w.status)) return;
      this.accrue(pool, syncCurrentCapacity(pool, now));
      // An assigned workload draws nothing: taking it out changes no rate (RemoveWorkload of it is a no-op).
      this.accrue(pool, removeRunningWorkload(pool, id, w.rates, now));
      pool.workloadCount -= 1;
      w.status = WorkloadStatus.Removed;
      this.save(pool, now);
    });
  }

  /** Anyone may call it (`_sender` is not checked). */
  closeExpiredWorkloads(_sender: string, workloadIds: readonly string[], now: bigint): void {
    this.atomically(() => {
      if (workloadIds.length === 0) revert("CapacityPools_EmptyList");
      requireAtMost(workloadIds.length, MAX_BATCH);
      for (const raw of workloadIds) {
        const id = lower(raw);
        const w = this.s.workloads.get(id);
        const status = w?.status ?? WorkloadStatus.None;
        if (!w || status !== WorkloadStatus.Running) revert("CapacityPools_InvalidWorkloadStatus", id, status);
        const pool = this.s.pools.get(w.poolId)!;
        this.accrue(pool, syncCurrentCapacity(pool, now));
        const poolStatus = poolStatusAt(pool, now);
        if (poolStatus !== PoolStatus.GraceOver) revert("CapacityPools_NotExpired", pool.poolId, poolStatus);
        this.accrue(pool, removeRunningWorkload(pool, id, w.rates, now));
        pool.workloadCount -= 1;
        w.status = WorkloadStatus.Expired;
        this.save(pool, now);
      }
    });
  }

  /*//////////////////////////////////////////////////////////////
                            SYNC AND FUNDS
  //////////////////////////////////////////////////////////////*/

  /** Anyone may call it (`_sender` is not checked). */
  syncPool(_sender: string, poolId: string, now: bigint): void {
    this.atomically(() => {
      const pool = this.requirePool(lower(poolId));
      this.accrue(pool, syncCurrentCapacity(pool, now));
      this.save(pool, now);
    });
  }

  /** Returns the amount withdrawn. */
  withdrawEarnings(sender: string, to: string, poolIds: readonly string[], now: bigint): bigint {
    return this.atomically(() => {
      requireAtMost(poolIds.length, MAX_BATCH);
      for (const poolId of poolIds) {
        const pool = this.requirePool(lower(poolId));
        this.accrue(pool, syncCurrentCapacity(pool, now));
        this.save(pool, now);
      }
      const provider = lower(sender);
      const amount = this.earnings(provider);
      if (amount === 0n) revert("CapacityPools_NothingToWithdraw", provider);
      this.s.earnings.set(provider, 0n);
      this.push(to, amount);
      return amount;
    });
  }

  /** Returns the amount withdrawn. */
  withdrawUnconsumed(sender: string, poolId: string, to: string, now: bigint): bigint {
    return this.atomically(() => {
      const pid = lower(poolId);
      const pool = this.requirePool(pid);
      const beneficiary = pool.sponsor ?? pool.owner;
      if (lower(sender) !== beneficiary) revert("CapacityPools_NotBeneficiary", pid, lower(sender));
      if (pool.runningWorkloadIds.size !== 0) revert("CapacityPools_PoolBusy", pid, pool.runningWorkloadIds.size);
      const amount = poolValue(pool);
      if (amount === 0n) revert("CapacityPools_NothingToWithdraw", lower(sender));
      // Nothing runs, so nothing is drawn: the sync only moves lastUpdated.
      this.accrue(pool, syncCurrentCapacity(pool, now));
      pool.cu = { balance: 0n, value: 0n };
      pool.su = { balance: 0n, value: 0n };
      pool.ipv4u = { balance: 0n, value: 0n };
      this.save(pool, now);
      this.push(to, amount);
      return amount;
    });
  }

  /*//////////////////////////////////////////////////////////////
                              INTERNALS
  //////////////////////////////////////////////////////////////*/

  private requireFarmProvider(sender: string, farmId: string): ModelFarm {
    const farm = this.s.farms.get(lower(farmId));
    if (!farm) revert("CapacityPools_FarmNotFound", lower(farmId));
    if (farm.provider !== lower(sender)) revert("CapacityPools_NotFarmProvider", lower(farmId), lower(sender));
    return farm;
  }

  private requirePool(poolId: string): Pool {
    const pool = this.s.pools.get(poolId);
    if (!pool) revert("CapacityPools_PoolNotFound", poolId);
    return pool;
  }

  /** Credits what a sync consumed to the farm's provider. */
  private accrue(pool: Pool, earned: bigint): void {
    if (earned === 0n) return;
    const provider = this.s.farms.get(pool.farmId)!.provider;
    this.s.earnings.set(provider, this.earnings(provider) + earned);
  }

  /** Stores the pool with its status as of `now`. */
  private save(pool: Pool, now: bigint): void {
    pool.status = poolStatusAt(pool, now);
    this.s.pools.set(pool.poolId, pool);
  }

  /** `token.transferFrom(payer, this, amount)` as an OpenZeppelin ERC20 does it. */
  private pull(payer: string, amount: bigint): void {
    const allowance = this.allowanceOf(payer);
    if (allowance < amount) revert("ERC20InsufficientAllowance", this.address, allowance, amount);
    const balance = this.balanceOf(payer);
    if (balance < amount) revert("ERC20InsufficientBalance", lower(payer), balance, amount);
    if (allowance !== UINT256_MAX) this.s.allowances.set(lower(payer), allowance - amount);
    this.s.balances.set(lower(payer), balance - amount);
    this.s.balances.set(this.address, this.balanceOf(this.address) + amount);
  }

  /** `token.transfer(to, amount)` from the contract. */
  private push(to: string, amount: bigint): void {
    if (lower(to) === ZeroAddress) revert("ERC20InvalidReceiver", ZeroAddress);
    const balance = this.balanceOf(this.address);
    if (balance < amount) revert("ERC20InsufficientBalance", this.address, balance, amount);
    this.s.balances.set(this.address, balance - amount);
    this.s.balances.set(lower(to), this.balanceOf(to) + amount);
  }
}

function requireAtMost(count: number, max: number): void {
  if (count > max) revert("CapacityPools_TooMany", BigInt(count), BigInt(max));
}

function viewOf(pool: Pool): PoolView {
  return {
    owner: pool.owner,
    lastUpdated: pool.lastUpdated,
    emptyAt: pool.emptyAt,
    status: BigInt(pool.status),
    sponsor: pool.sponsor ?? ZeroAddress,
    graceSeconds: pool.graceSeconds,
    nodeCount: BigInt(pool.nodeIds.length),
    workloadCount: BigInt(pool.workloadCount),
    runningCount: BigInt(pool.runningWorkloadIds.size),
    farmId: pool.farmId,
    cuRate: pool.rates.cu,
    suRate: pool.rates.su,
    ipv4uRate: pool.rates.ipv4u,
    cu: { ...pool.cu },
    su: { ...pool.su },
    ipv4u: { ...pool.ipv4u },
  };
}

function emptyPoolView(): PoolView {
  const zero = { balance: 0n, value: 0n };
  return {
    owner: ZeroAddress,
    lastUpdated: 0n,
    emptyAt: 0n,
    status: 0n,
    sponsor: ZeroAddress,
    graceSeconds: 0n,
    nodeCount: 0n,
    workloadCount: 0n,
    runningCount: 0n,
    farmId: ZeroHash,
    cuRate: 0n,
    suRate: 0n,
    ipv4uRate: 0n,
    cu: { ...zero },
    su: { ...zero },
    ipv4u: { ...zero },
  };
}

/** A contract `Pool` struct (typechain's output) in the model's shape, for comparing. */
export function poolViewOf(p: PoolView): PoolView {
  return {
    owner: lower(p.owner),
    lastUpdated: p.lastUpdated,
    emptyAt: p.emptyAt,
    status: p.status,
    sponsor: lower(p.sponsor),
    graceSeconds: p.graceSeconds,
    nodeCount: p.nodeCount,
    workloadCount: p.workloadCount,
    runningCount: p.runningCount,
    farmId: lower(p.farmId),
    cuRate: p.cuRate,
    suRate: p.suRate,
    ipv4uRate: p.ipv4uRate,
    cu: { balance: p.cu.balance, value: p.cu.value },
    su: { balance: p.su.balance, value: p.su.value },
    ipv4u: { balance: p.ipv4u.balance, value: p.ipv4u.value },
  };
}

/** A contract `Workload` struct in the model's shape. */
export function workloadViewOf(w: {
  poolId: string;
  nodeId: string;
  rates: { cu: bigint; su: bigint; ipv4u: bigint };
  status: bigint;
  startedAt: bigint;
}): WorkloadView {
  return {
    poolId: lower(w.poolId),
    nodeId: lower(w.nodeId),
    rates: { cu: w.rates.cu, su: w.rates.su, ipv4u: w.rates.ipv4u },
    status: w.status,
    startedAt: w.startedAt,
  };
}
