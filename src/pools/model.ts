// The capacity-pool rules in integers: the reference's Pool and its operations (SyncCurrentCapacity, AddCapacity,
// AddWorkload, RemoveWorkload, AllowedInPool, empty-at) with Accord's changes (accrual stops at emptyAt, a grace
// period, consumption paid to the farm). contracts/libraries/PoolMath.sol is the same arithmetic in Solidity;
// the property tests hold the two equal after every step. Clients use it to show balances as of now.
//
// Units: balances are milli-unit-seconds (a reservation of 1 CU·s adds 1000), rates milli-units per second
// (1 CU = 1000, as computeUnits returns), values and prices in the token's smallest unit.

import { PoolStatus } from "../model/types";

/** `emptyAt` of a pool that never empties: the largest uint40, as the contract stores it. */
export const NEVER = (1n << 40n) - 1n;
/** Thousandths per unit. */
export const MILLI = 1000n;
/** A started workload needs `now + MIN_RUNWAY < emptyAt` (the reference's 120 s). */
export const MIN_RUNWAY = 120n;
/** Runway at or below which a running pool is RunwayLow. */
export const LOW_RUNWAY = 3600n;
/** The contract's bounds (ICapacityPools). */
export const MAX_NODES_PER_POOL = 32;
export const MAX_WORKLOADS_PER_POOL = 64;
export const MAX_BATCH = 32;
export const MAX_GRACE_SECONDS = 30n * 86400n;

/** One resource of a pool: milli-unit-seconds left as of `lastUpdated`, and the tokens paid for them. */
export type ResourceBalance = { balance: bigint; value: bigint };

/** Thousandths of a CU, SU and IPv4U per second. */
export type WorkloadRates = { cu: bigint; su: bigint; ipv4u: bigint };

/** The reference's Pool, in integers (its JSON names in the comments), with Accord's fields. */
export type Pool = {
  /** pool_id: the creating reservation's EIP-712 digest. */
  poolId: string;
  /** customer_tid: the only account that assigns workloads. */
  owner: string;
  /** sponsor_tid: who paid for the pool (null: nobody); the unconsumed balance is theirs. */
  sponsor: string | null;
  farmId: string;
  /** node_ids. */
  nodeIds: string[];
  /** cus / sus / ipv4us with what they are worth. */
  cu: ResourceBalance;
  su: ResourceBalance;
  ipv4u: ResourceBalance;
  /** last_updated (unix seconds). */
  lastUpdated: bigint;
  /** active_cu / active_su / active_ipv4: the running workloads' summed rates. */
  rates: WorkloadRates;
  /** empty_at; NEVER when no rate binds. Moves only when rates or balances change. */
  emptyAt: bigint;
  graceSeconds: bigint;
  /** active_workload_ids (running) and the assigned ones not started yet. */
  runningWorkloadIds: Set<string>;
  workloadCount: number;
  /** The status as of the last change. */
  status: PoolStatus;
};

/** A pool with no capacity, nodes or workloads, created at `now`. */
export function newPool(fields: {
  poolId: string;
  owner: string;
  sponsor?: string | null;
  farmId: string;
  graceSeconds?: bigint;
  now: bigint;
}): Pool {
  return {
    poolId: fields.poolId,
    owner: fields.owner,
    sponsor: fields.sponsor ?? null,
    farmId: fields.farmId,
    nodeIds: [],
    cu: { balance: 0n, value: 0n },
    su: { balance: 0n, value: 0n },
    ipv4u: { balance: 0n, value: 0n },
    lastUpdated: fields.now,
    rates: { cu: 0n, su: 0n, ipv4u: 0n },
    emptyAt: NEVER,
    graceSeconds: fields.graceSeconds ?? 0n,
    runningWorkloadIds: new Set(),
    workloadCount: 0,
    status: PoolStatus.Idle,
  };
}

function consume(resource: ResourceBalance, used: bigint): bigint {
  if (used === 0n) return 0n;
  if (used > resource.balance) throw new RangeError("drawn below zero: emptyAt is past the runway");
  const paid = used === resource.balance ? resource.value : (resource.value * used) / resource.balance;
  resource.balance -= used;
  resource.value -= paid;
  return paid;
}

/**
 * SyncCurrentCapacity: each balance −= rate × elapsed, counting time up to `emptyAt` only (nothing accrues after
 * it), `lastUpdated = now`. Returns what the consumption is worth (accrued to the farm's provider).
 */
export function syncCurrentCapacity(pool: Pool, now: bigint): bigint {
  const end = pool.emptyAt < now ? pool.emptyAt : now;
  let earned = 0n;
  if (end > pool.lastUpdated) {
    const elapsed = end - pool.lastUpdated;
    earned =
      consume(pool.cu, pool.rates.cu * elapsed) +
      consume(pool.su, pool.rates.su * elapsed) +
      consume(pool.ipv4u, pool.rates.ipv4u * elapsed);
  }
  pool.lastUpdated = now;
  return earned;
}

/** empty-at: `now + min(balance / rate)` over the resources with a non-zero rate; NEVER if none binds. */
export function computeEmptyAt(pool: Pool, now: bigint): bigint {
  let runway: bigint | undefined;
  for (const key of ["cu", "su", "ipv4u"] as const) {
    const rate = pool.rates[key];
    if (rate === 0n) continue;
    const seconds = pool[key].balance / rate;
    if (runway === undefined || seconds < runway) runway = seconds;
  }
  if (runway === undefined || runway >= NEVER - now) return NEVER;
  return now + runway;
}

/** The last second in which a top-up still resumes an empty pool's workloads. */
export function graceEndsAt(pool: Pool): bigint {
  return pool.emptyAt + pool.graceSeconds;
}

/** The status at `now` of a pool synced to `now`. */
export function poolStatusAt(pool: Pool, now: bigint): PoolStatus {
  if (pool.runningWorkloadIds.size === 0) return PoolStatus.Idle;
  if (pool.emptyAt === NEVER) return PoolStatus.Active;
  if (now < pool.emptyAt) return pool.emptyAt - now <= LOW_RUNWAY ? PoolStatus.RunwayLow : PoolStatus.Active;
  if (now <= graceEndsAt(pool)) return PoolStatus.Empty;
  return PoolStatus.GraceOver;
}

/**
 * Recomputes `emptyAt` after a change, except past grace with workloads running (they expire together), and in
 * an empty pool the change leaves with no more than MIN_RUNWAY of runway (it stays empty as of its `emptyAt`: the
 * grace period runs on; resuming needs what a new workload needs).
 */
export function reschedule(pool: Pool, now: bigint): void {
  const status = poolStatusAt(pool, now);
  if (status === PoolStatus.GraceOver) return;
  const next = computeEmptyAt(pool, now);
  if (status === PoolStatus.Empty && next <= now + MIN_RUNWAY) return;
  pool.emptyAt = next;
}

/** AllowedInPool: whether workloads on `nodeId` may draw on the pool. */
export function allowedInPool(pool: Pool, nodeId: string): boolean {
  const wanted = nodeId.toLowerCase();
  return pool.nodeIds.some((id) => id.toLowerCase() === wanted);
}

/** The pool as a sync at `now` would leave it (a copy): what a client shows as the current balances. */
export function currentPool(pool: Pool, now: bigint): Pool & { accrued: bigint } {
  const copy = clonePool(pool);
  const accrued = syncCurrentCapacity(copy, now);
  copy.status = poolStatusAt(copy, now);
  return Object.assign(copy, { accrued });
}

/** Seconds of runway left at `now` (null: never empties; 0: empty). */
export function runwayAt(pool: Pool, now: bigint): bigint | null {
  if (pool.emptyAt === NEVER || pool.runningWorkloadIds.size === 0) return null;
  return pool.emptyAt > now ? pool.emptyAt - now : 0n;
}

export function clonePool(pool: Pool): Pool {
  return {
    ...pool,
    nodeIds: [...pool.nodeIds],
    cu: { ...pool.cu },
    su: { ...pool.su },
    ipv4u: { ...pool.ipv4u },
    rates: { ...pool.rates },
    runningWorkloadIds: new Set(pool.runningWorkloadIds),
  };
}

/** The pool's unconsumed value in tokens, as of `lastUpdated`. */
export function poolValue(pool: Pool): bigint {
  return pool.cu.value + pool.su.value + pool.ipv4u.value;
}

/**
 * AddCapacity: sync, add the bought unit-seconds (whole units, so × MILLI) at the prices paid, recompute
 * emptyAt. Returns what the sync accrued.
 */
export function addCapacity(
  pool: Pool,
  amounts: { cus: bigint; sus: bigint; ipv4us: bigint },
  prices: { cu: bigint; su: bigint; ipv4u: bigint },
  now: bigint,
): bigint {
  const earned = syncCurrentCapacity(pool, now);
  pool.cu.balance += amounts.cus * MILLI;
  pool.cu.value += amounts.cus * prices.cu;
  pool.su.balance += amounts.sus * MILLI;
  pool.su.value += amounts.sus * prices.su;
  pool.ipv4u.balance += amounts.ipv4us * MILLI;
  pool.ipv4u.value += amounts.ipv4us * prices.ipv4u;
  reschedule(pool, now);
  return earned;
}

/** The pool cannot keep a new workload running for MIN_RUNWAY seconds ("pool needs additional capacity"). */
export class InsufficientRunwayError extends Error {
  override name = "InsufficientRunwayError";
  constructor(
    readonly poolId: string,
    readonly emptyAt: bigint,
    readonly needed: bigint,
  ) {
    super(`pool ${poolId} needs additional capacity: it would empty at ${emptyAt}, a new workload needs ${needed}`);
  }
}

/** The pool's grace period is over: its workloads are being decommissioned, and no new one may start. */
export class GraceOverError extends Error {
  override name = "GraceOverError";
  constructor(
    readonly poolId: string,
    readonly graceEndsAt: bigint,
  ) {
    super(`pool ${poolId} is past its grace period (it ended at ${graceEndsAt})`);
  }
}

/**
 * AddWorkload (a provider starting a workload): idempotent for a running id; sync, refuse in a pool past its grace
 * period, add the rates, recompute, and refuse (nothing changed) unless `now + MIN_RUNWAY < emptyAt`. Returns what
 * the sync accrued.
 */
export function addWorkload(pool: Pool, id: string, rates: WorkloadRates, now: bigint): bigint {
  if (pool.runningWorkloadIds.has(id)) return 0n;
  const trial = clonePool(pool);
  const earned = syncCurrentCapacity(trial, now);
  if (poolStatusAt(trial, now) === PoolStatus.GraceOver) throw new GraceOverError(pool.poolId, graceEndsAt(trial));
  trial.rates = {
    cu: trial.rates.cu + rates.cu,
    su: trial.rates.su + rates.su,
    ipv4u: trial.rates.ipv4u + rates.ipv4u,
  };
  trial.runningWorkloadIds.add(id);
  trial.emptyAt = computeEmptyAt(trial, now);
  if (now + MIN_RUNWAY >= trial.emptyAt)
    throw new InsufficientRunwayError(pool.poolId, trial.emptyAt, now + MIN_RUNWAY + 1n);
  Object.assign(pool, trial);
  return earned;
}

/** RemoveWorkload: an id that is not running is a no-op; sync, subtract the rates, recompute. */
export function removeWorkload(pool: Pool, id: string, rates: WorkloadRates, now: bigint): bigint {
  if (!pool.runningWorkloadIds.has(id)) return 0n;
  const earned = syncCurrentCapacity(pool, now);
  pool.rates = { cu: pool.rates.cu - rates.cu, su: pool.rates.su - rates.su, ipv4u: pool.rates.ipv4u - rates.ipv4u };
  pool.runningWorkloadIds.delete(id);
  reschedule(pool, now);
  return earned;
}
