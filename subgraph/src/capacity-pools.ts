// CapacityPools → Farm, Node, Pool, Workload, CapacityPurchase, ReservationNonce, PoolStatusChange, CapacityProvider,
// PoolPayout, Account.
//
// Event order within a transaction (see contracts/CapacityPools.sol and contracts/abstracts/PoolStore.sol; every
// pool action ends in `_save`, which logs PoolStatusChanged when the status changed, then PoolUpdated):
//   createFarm:            FarmCreated
//   setFarmPrices:         FarmPricesSet
//   declareNodes:          NodeDeclared…
//   reserve (creation):    PoolCreated, PoolNodeAdded…, CapacityAdded, [PoolStatusChanged], PoolUpdated
//   reserve (top-up):      [Accrued], PoolNodeAdded…, CapacityAdded, [PoolStatusChanged], PoolUpdated
//   cancelNonce:           NonceCancelled
//   assignWorkload:        WorkloadAssigned                       (the pool's workloadCount moves, unlogged)
//   startWorkload:         [Accrued], WorkloadStarted, [PoolStatusChanged], PoolUpdated
//   removeWorkload:        [Accrued], WorkloadRemoved, [PoolStatusChanged], PoolUpdated
//   closeExpiredWorkloads: per workload: [Accrued], WorkloadExpired, [PoolStatusChanged], PoolUpdated
//   syncPool:              [Accrued], [PoolStatusChanged], PoolUpdated
//   withdrawEarnings:      per pool what syncPool logs, then EarningsWithdrawn
//   withdrawUnconsumed:    [PoolStatusChanged], PoolUpdated, UnconsumedWithdrawn
//
// PoolUpdated carries the pool's balances, rates, emptyAt and total value as saved; the counts of live and running
// workloads are not logged, so they follow from the workload events (a removed or expired workload stopped running
// only if it was running). Nothing here reads the chain: the entities are what the events say.

import { Address, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  Accrued as AccruedEvent,
  CapacityAdded as CapacityAddedEvent,
  EarningsWithdrawn as EarningsWithdrawnEvent,
  FarmCreated as FarmCreatedEvent,
  FarmGraceLimitSet as FarmGraceLimitSetEvent,
  FarmPricesSet as FarmPricesSetEvent,
  NodeDeclared as NodeDeclaredEvent,
  NonceCancelled as NonceCancelledEvent,
  PoolCreated as PoolCreatedEvent,
  PoolNodeAdded as PoolNodeAddedEvent,
  PoolStatusChanged as PoolStatusChangedEvent,
  PoolUpdated as PoolUpdatedEvent,
  UnconsumedWithdrawn as UnconsumedWithdrawnEvent,
  WorkloadAssigned as WorkloadAssignedEvent,
  WorkloadExpired as WorkloadExpiredEvent,
  WorkloadRemoved as WorkloadRemovedEvent,
  WorkloadStarted as WorkloadStartedEvent,
} from "../generated/CapacityPools/CapacityPools";
import {
  CapacityPurchase,
  Farm,
  Node,
  Pool,
  CapacityProvider,
  PoolPayout,
  PoolStatusChange,
  ReservationNonce,
  Workload,
} from "../generated/schema";
import {
  POOL_NEVER,
  POOL_STATUSES,
  POOL_STATUS_IDLE,
  WORKLOAD_STATUSES,
  WORKLOAD_STATUS_ASSIGNED,
  WORKLOAD_STATUS_EXPIRED,
  WORKLOAD_STATUS_REMOVED,
  WORKLOAD_STATUS_RUNNING,
  ensureAccount,
  eventId,
  isEnumIndex,
} from "./shared";

const PAYOUT_ACCRUED = "Accrued";
const PAYOUT_EARNINGS_WITHDRAWN = "EarningsWithdrawn";
const PAYOUT_UNCONSUMED_WITHDRAWN = "UnconsumedWithdrawn";

function warnUnknown(what: string, id: Bytes, event: ethereum.Event): void {
  log.warning("CapacityPools event for unknown {} {} (tx {}, log {})", [
    what,
    id.toHexString(),
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

function loadFarm(id: Bytes, event: ethereum.Event): Farm | null {
  const farm = Farm.load(id);
  if (farm == null) warnUnknown("farm", id, event);
  return farm;
}

function loadPool(id: Bytes, event: ethereum.Event): Pool | null {
  const pool = Pool.load(id);
  if (pool == null) warnUnknown("pool", id, event);
  return pool;
}

function loadWorkload(id: Bytes, event: ethereum.Event): Workload | null {
  const workload = Workload.load(id);
  if (workload == null) warnUnknown("workload", id, event);
  return workload;
}

function touchFarm(farm: Farm, event: ethereum.Event): void {
  farm.updatedAt = event.block.timestamp;
  farm.updatedAtBlock = event.block.number;
  farm.updatedTx = event.transaction.hash;
}

function touchPool(pool: Pool, event: ethereum.Event): void {
  pool.updatedAt = event.block.timestamp;
  pool.updatedAtBlock = event.block.number;
  pool.updatedTx = event.transaction.hash;
}

function touchWorkload(workload: Workload, event: ethereum.Event): void {
  workload.updatedAt = event.block.timestamp;
  workload.updatedAtBlock = event.block.number;
  workload.updatedTx = event.transaction.hash;
}

/** An emptyAt as stored: null for NEVER (type(uint40).max), the pool never empties. */
function emptyAtOrNull(emptyAt: BigInt): BigInt | null {
  if (emptyAt.equals(BigInt.fromU64(POOL_NEVER))) return null;
  return emptyAt;
}

/** emptyAt + graceSeconds, null when the pool never empties. (A nullable BigInt is tested for truth: `== null`
 * would call BigInt's overloaded `==`.) */
function graceEndsAtOrNull(emptyAt: BigInt | null, graceSeconds: BigInt): BigInt | null {
  if (!emptyAt) return null;
  return emptyAt.plus(graceSeconds);
}

/** The ID of a customer's nonce: abi.encodePacked(customer, nonce). */
function nonceId(customer: Address, nonce: BigInt): Bytes {
  return changetype<Bytes>(customer).concat(ethereum.encode(ethereum.Value.fromUnsignedBigInt(nonce))!);
}

/** The provider's record, created (with its account) at zero if it has none; touched, not yet saved. */
function loadOrNewProvider(provider: Address, event: ethereum.Event): CapacityProvider {
  let record = CapacityProvider.load(provider);
  if (record == null) {
    ensureAccount(provider);
    record = new CapacityProvider(provider);
    record.account = provider;
    record.earnings = BigInt.zero();
    record.totalAccrued = BigInt.zero();
    record.totalWithdrawn = BigInt.zero();
    record.createdAt = event.block.timestamp;
  }
  record.updatedAt = event.block.timestamp;
  record.updatedAtBlock = event.block.number;
  record.updatedTx = event.transaction.hash;
  return record;
}

function savePayout(
  event: ethereum.Event,
  kind: string,
  pool: Bytes | null,
  account: Bytes,
  to: Bytes | null,
  amount: BigInt,
): void {
  const payout = new PoolPayout(eventId(event));
  payout.kind = kind;
  payout.pool = pool;
  payout.account = account;
  payout.to = to;
  payout.amount = amount;
  payout.blockNumber = event.block.number;
  payout.timestamp = event.block.timestamp;
  payout.transactionHash = event.transaction.hash;
  payout.save();
}

/*//////////////////////////////////////////////////////////////
                           FARMS AND NODES
//////////////////////////////////////////////////////////////*/

export function handleFarmCreated(event: FarmCreatedEvent): void {
  if (CapacityProvider.load(event.params.provider) == null) loadOrNewProvider(event.params.provider, event).save();
  const prices = event.params.prices;
  const farm = new Farm(event.params.farmId);
  farm.provider = event.params.provider;
  farm.cuPrice = prices.cu;
  farm.suPrice = prices.su;
  farm.ipv4uPrice = prices.ipv4u;
  // FarmGraceLimitSet follows in the same transaction with the limit the farm starts with.
  farm.maxGraceSeconds = BigInt.zero();
  farm.nodeCount = 0;
  farm.poolCount = 0;
  farm.totalAccrued = BigInt.zero();
  farm.createdAt = event.block.timestamp;
  farm.createdAtBlock = event.block.number;
  farm.createdTx = event.transaction.hash;
  touchFarm(farm, event);
  farm.save();
}

export function handleFarmPricesSet(event: FarmPricesSetEvent): void {
  const farm = loadFarm(event.params.farmId, event);
  if (farm == null) return;
  const prices = event.params.prices;
  farm.cuPrice = prices.cu;
  farm.suPrice = prices.su;
  farm.ipv4uPrice = prices.ipv4u;
  touchFarm(farm, event);
  farm.save();
}

export function handleFarmGraceLimitSet(event: FarmGraceLimitSetEvent): void {
  const farm = loadFarm(event.params.farmId, event);
  if (farm == null) return;
  farm.maxGraceSeconds = event.params.maxGraceSeconds;
  touchFarm(farm, event);
  farm.save();
}

export function handleNodeDeclared(event: NodeDeclaredEvent): void {
  const farm = loadFarm(event.params.farmId, event);
  if (farm == null) return;
  if (Node.load(event.params.nodeId) != null) return; // a node belongs to the first farm that declares it
  const node = new Node(event.params.nodeId);
  node.farm = farm.id;
  node.provider = farm.provider;
  node.declaredAt = event.block.timestamp;
  node.declaredAtBlock = event.block.number;
  node.declaredTx = event.transaction.hash;
  node.save();

  farm.nodeCount = farm.nodeCount + 1;
  touchFarm(farm, event);
  farm.save();
}

/*//////////////////////////////////////////////////////////////
                         POOLS AND PURCHASES
//////////////////////////////////////////////////////////////*/

export function handlePoolCreated(event: PoolCreatedEvent): void {
  const farm = loadFarm(event.params.farmId, event);
  if (farm == null) return;
  const owner = event.params.owner;
  const sponsor = event.params.sponsor;
  const sponsored = !sponsor.equals(Address.zero());
  ensureAccount(owner);
  if (sponsored) ensureAccount(sponsor);

  const pool = new Pool(event.params.poolId);
  pool.owner = owner;
  if (sponsored) {
    pool.sponsor = sponsor;
    pool.beneficiary = sponsor;
  } else {
    pool.sponsor = null;
    pool.beneficiary = owner;
  }
  pool.farm = farm.id;
  pool.provider = farm.provider;
  pool.nodes = new Array<Bytes>();
  pool.nodeCount = 0;
  pool.graceSeconds = event.params.graceSeconds;
  pool.cuBalance = BigInt.zero();
  pool.suBalance = BigInt.zero();
  pool.ipv4uBalance = BigInt.zero();
  pool.cuRate = BigInt.zero();
  pool.suRate = BigInt.zero();
  pool.ipv4uRate = BigInt.zero();
  pool.value = BigInt.zero();
  pool.lastUpdated = event.block.timestamp;
  pool.emptyAt = null;
  pool.graceEndsAt = null;
  pool.status = POOL_STATUSES[POOL_STATUS_IDLE];
  pool.runningCount = 0;
  pool.workloadCount = 0;
  pool.purchaseCount = 0;
  pool.totalCusBought = BigInt.zero();
  pool.totalSusBought = BigInt.zero();
  pool.totalIpv4usBought = BigInt.zero();
  pool.totalCost = BigInt.zero();
  pool.totalAccrued = BigInt.zero();
  pool.totalUnconsumedWithdrawn = BigInt.zero();
  pool.createdAt = event.block.timestamp;
  pool.createdAtBlock = event.block.number;
  pool.createdTx = event.transaction.hash;
  touchPool(pool, event);
  pool.save();

  farm.poolCount = farm.poolCount + 1;
  touchFarm(farm, event);
  farm.save();
}

export function handlePoolNodeAdded(event: PoolNodeAddedEvent): void {
  const pool = loadPool(event.params.poolId, event);
  if (pool == null) return;
  const nodeId: Bytes = event.params.nodeId;
  const nodes = pool.nodes;
  for (let i = 0; i < nodes.length; i++) if (nodes[i].equals(nodeId)) return;
  nodes.push(nodeId);
  pool.nodes = nodes;
  pool.nodeCount = nodes.length;
  touchPool(pool, event);
  pool.save();
}

export function handleCapacityAdded(event: CapacityAddedEvent): void {
  const pool = loadPool(event.params.poolId, event);
  if (pool == null) return;
  const customer = event.params.customer;
  const payer = event.params.payer;
  ensureAccount(customer);
  ensureAccount(payer);

  const purchase = new CapacityPurchase(eventId(event));
  purchase.pool = pool.id;
  purchase.customer = customer;
  purchase.payer = payer;
  purchase.nonce = event.params.nonce;
  purchase.cus = event.params.cus;
  purchase.sus = event.params.sus;
  purchase.ipv4us = event.params.ipv4us;
  purchase.cost = event.params.cost;
  // Every reservation logs one CapacityAdded, and the creating one comes first.
  purchase.createdPool = pool.purchaseCount == 0;
  purchase.blockNumber = event.block.number;
  purchase.timestamp = event.block.timestamp;
  purchase.transactionHash = event.transaction.hash;
  purchase.save();

  const id = nonceId(customer, event.params.nonce);
  if (ReservationNonce.load(id) == null) {
    const nonce = new ReservationNonce(id);
    nonce.customer = customer;
    nonce.nonce = event.params.nonce;
    nonce.cancelled = false;
    nonce.purchase = purchase.id;
    nonce.blockNumber = event.block.number;
    nonce.timestamp = event.block.timestamp;
    nonce.transactionHash = event.transaction.hash;
    nonce.save();
  }

  pool.purchaseCount = pool.purchaseCount + 1;
  pool.totalCusBought = pool.totalCusBought.plus(event.params.cus);
  pool.totalSusBought = pool.totalSusBought.plus(event.params.sus);
  pool.totalIpv4usBought = pool.totalIpv4usBought.plus(event.params.ipv4us);
  pool.totalCost = pool.totalCost.plus(event.params.cost);
  touchPool(pool, event);
  pool.save();
}

export function handleNonceCancelled(event: NonceCancelledEvent): void {
  const customer = event.params.customer;
  const id = nonceId(customer, event.params.nonce);
  if (ReservationNonce.load(id) != null) return; // the contract refuses a used nonce
  ensureAccount(customer);
  const nonce = new ReservationNonce(id);
  nonce.customer = customer;
  nonce.nonce = event.params.nonce;
  nonce.cancelled = true;
  nonce.purchase = null;
  nonce.blockNumber = event.block.number;
  nonce.timestamp = event.block.timestamp;
  nonce.transactionHash = event.transaction.hash;
  nonce.save();
}

/** The pool as `_save` wrote it. */
export function handlePoolUpdated(event: PoolUpdatedEvent): void {
  const pool = loadPool(event.params.poolId, event);
  if (pool == null) return;
  const emptyAt = emptyAtOrNull(event.params.emptyAt);
  pool.lastUpdated = event.params.lastUpdated;
  pool.emptyAt = emptyAt;
  pool.graceEndsAt = graceEndsAtOrNull(emptyAt, pool.graceSeconds);
  pool.cuBalance = event.params.cuBalance;
  pool.suBalance = event.params.suBalance;
  pool.ipv4uBalance = event.params.ipv4uBalance;
  pool.cuRate = event.params.cuRate;
  pool.suRate = event.params.suRate;
  pool.ipv4uRate = event.params.ipv4uRate;
  pool.value = event.params.value;
  touchPool(pool, event);
  pool.save();
}

export function handlePoolStatusChanged(event: PoolStatusChangedEvent): void {
  const index = event.params.status;
  if (!isEnumIndex(POOL_STATUSES, index)) {
    log.error("PoolStatusChanged with unknown status {} (tx {})", [
      index.toString(),
      event.transaction.hash.toHexString(),
    ]);
    return;
  }
  const pool = loadPool(event.params.poolId, event);
  if (pool == null) return;
  const status = POOL_STATUSES[index];
  const emptyAt = emptyAtOrNull(event.params.emptyAt);

  const change = new PoolStatusChange(eventId(event));
  change.pool = pool.id;
  change.status = status;
  change.previousStatus = pool.status;
  change.emptyAt = emptyAt;
  // The event's graceEndsAt is NEVER + grace for a pool that never empties.
  change.graceEndsAt = graceEndsAtOrNull(emptyAt, pool.graceSeconds);
  change.blockNumber = event.block.number;
  change.timestamp = event.block.timestamp;
  change.transactionHash = event.transaction.hash;
  change.save();

  pool.status = status;
  touchPool(pool, event);
  pool.save();
}

/*//////////////////////////////////////////////////////////////
                               WORKLOADS
//////////////////////////////////////////////////////////////*/

export function handleWorkloadAssigned(event: WorkloadAssignedEvent): void {
  const pool = loadPool(event.params.poolId, event);
  if (pool == null) return;
  if (Workload.load(event.params.workloadId) != null) return; // IDs are never reused; re-assigning logs nothing
  const rates = event.params.rates;
  const workload = new Workload(event.params.workloadId);
  workload.pool = pool.id;
  workload.node = event.params.nodeId;
  workload.farm = pool.farm;
  workload.provider = pool.provider;
  workload.owner = pool.owner;
  workload.cuRate = rates.cu;
  workload.suRate = rates.su;
  workload.ipv4uRate = rates.ipv4u;
  workload.status = WORKLOAD_STATUSES[WORKLOAD_STATUS_ASSIGNED];
  workload.assignedAt = event.block.timestamp;
  workload.assignedAtBlock = event.block.number;
  workload.assignedTx = event.transaction.hash;
  workload.startedAt = null;
  workload.endedAt = null;
  workload.endedBy = null;
  touchWorkload(workload, event);
  workload.save();

  pool.workloadCount = pool.workloadCount + 1;
  touchPool(pool, event);
  pool.save();
}

export function handleWorkloadStarted(event: WorkloadStartedEvent): void {
  const workload = loadWorkload(event.params.workloadId, event);
  if (workload == null) return;
  const running = WORKLOAD_STATUSES[WORKLOAD_STATUS_RUNNING];
  if (workload.status == running) return;
  workload.status = running;
  workload.startedAt = event.block.timestamp;
  touchWorkload(workload, event);
  workload.save();

  const pool = loadPool(workload.pool, event);
  if (pool == null) return;
  pool.runningCount = pool.runningCount + 1;
  touchPool(pool, event);
  pool.save();
}

/** A live workload removed (WorkloadRemoved) or closed as expired (WorkloadExpired) by `by`. */
function endWorkload(workloadId: Bytes, status: i32, by: Address, event: ethereum.Event): void {
  const workload = loadWorkload(workloadId, event);
  if (workload == null) return;
  const wasRunning = workload.status == WORKLOAD_STATUSES[WORKLOAD_STATUS_RUNNING];
  const wasLive = wasRunning || workload.status == WORKLOAD_STATUSES[WORKLOAD_STATUS_ASSIGNED];
  if (!wasLive) return;
  workload.status = WORKLOAD_STATUSES[status];
  workload.endedAt = event.block.timestamp;
  workload.endedBy = by;
  touchWorkload(workload, event);
  workload.save();

  const pool = loadPool(workload.pool, event);
  if (pool == null) return;
  pool.workloadCount = pool.workloadCount - 1;
  if (wasRunning) pool.runningCount = pool.runningCount - 1;
  touchPool(pool, event);
  pool.save();
}

export function handleWorkloadRemoved(event: WorkloadRemovedEvent): void {
  endWorkload(event.params.workloadId, WORKLOAD_STATUS_REMOVED, event.params.by, event);
}

export function handleWorkloadExpired(event: WorkloadExpiredEvent): void {
  endWorkload(event.params.workloadId, WORKLOAD_STATUS_EXPIRED, event.params.by, event);
}

/*//////////////////////////////////////////////////////////////
                                FUNDS
//////////////////////////////////////////////////////////////*/

export function handleAccrued(event: AccruedEvent): void {
  const amount = event.params.amount;
  const provider = event.params.provider;
  const pool = loadPool(event.params.poolId, event);
  if (pool != null) {
    pool.totalAccrued = pool.totalAccrued.plus(amount);
    touchPool(pool, event);
    pool.save();
    const farm = Farm.load(pool.farm);
    if (farm != null) {
      farm.totalAccrued = farm.totalAccrued.plus(amount);
      touchFarm(farm, event);
      farm.save();
    }
  }
  const record = loadOrNewProvider(provider, event);
  record.earnings = record.earnings.plus(amount);
  record.totalAccrued = record.totalAccrued.plus(amount);
  record.save();
  savePayout(event, PAYOUT_ACCRUED, event.params.poolId, provider, null, amount);
}

export function handleEarningsWithdrawn(event: EarningsWithdrawnEvent): void {
  const amount = event.params.amount;
  const provider = event.params.provider;
  const record = loadOrNewProvider(provider, event);
  record.earnings = record.earnings.minus(amount);
  record.totalWithdrawn = record.totalWithdrawn.plus(amount);
  record.save();
  savePayout(event, PAYOUT_EARNINGS_WITHDRAWN, null, provider, event.params.to, amount);
}

export function handleUnconsumedWithdrawn(event: UnconsumedWithdrawnEvent): void {
  const amount = event.params.amount;
  const pool = loadPool(event.params.poolId, event);
  if (pool != null) {
    pool.totalUnconsumedWithdrawn = pool.totalUnconsumedWithdrawn.plus(amount);
    touchPool(pool, event);
    pool.save();
  }
  ensureAccount(event.params.beneficiary);
  savePayout(
    event,
    PAYOUT_UNCONSUMED_WITHDRAWN,
    event.params.poolId,
    event.params.beneficiary,
    event.params.to,
    amount,
  );
}
