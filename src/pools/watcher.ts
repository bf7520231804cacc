// A provider's watcher over CapacityPools: it follows the contract's events (eth_getLogs in bounded block ranges from
// a cursor kept on disk) for the provider's farms, and acts on them:
//   - it starts the workloads customers assign to its nodes (startWorkload); one refused because the pool lacks
//     runway ("the pool needs additional capacity") is reported and retried later (at once after a top-up);
//   - it syncs its pools when time has moved their status on (runway low, empty, grace over), so that the contract
//     emits the status change for everyone watching;
//   - when a pool's grace period is over it hands each of the pool's running workloads to a decommission hook (the
//     provider's orchestrator; by default a log line), then closes them with closeExpiredWorkloads in batches of at
//     most MAX_BATCH; a running workload that the owner removed, or that someone else closed, is decommissioned too;
//   - optionally, it withdraws its earnings every so often.
//
// Restarts: every record (the cursor, each pool, each workload) is a file of a Journal (src/agents/journal.ts) written
// whole and atomically, and a workload's decommissioning is written down before the hook runs. Applying events is
// idempotent (pool records keep the position of the last event applied; a workload's status only moves forward), and
// every action first reads what the chain shows, so a watcher killed with kill -9 and started again on the same data
// directory rescans at most one range and repeats nothing the chain would take twice: starting a running workload is
// a no-op on chain, and a closed one is not sent again. The decommission hook runs at least once per workload (again
// after a kill during it), so it must be idempotent.

import { spawn } from "node:child_process";
import type pino from "pino";
import { Journal } from "../agents/journal";
import { AccordContractError } from "../clients/errors";
import { decodeAccordLogs, type AccordLog } from "../clients/events";
import type { CapacityPoolsProviderClient } from "../clients/pools-provider";
import { sameAddress } from "../model/address";
import { AccordValidationError } from "../model/errors";
import { poolStatusNames } from "../model/enums";
import { PoolStatus } from "../model/types";
import { bytes32Input } from "./inputs";
import { MAX_BATCH, NEVER, newPool, poolStatusAt } from "./model";

/*//////////////////////////////////////////////////////////////
                               OPTIONS
//////////////////////////////////////////////////////////////*/

/** Why a workload is decommissioned. */
export type DecommissionReason = "grace-over" | "removed" | "expired";

/** What the decommission hook is told (JSON-safe: integers as decimal strings). */
export type DecommissionRequest = {
  workloadId: string;
  poolId: string;
  nodeId: string;
  farmId: string;
  /** Thousandths of a CU, SU and IPv4U per second. */
  rates: { cu: string; su: string; ipv4u: string };
  reason: DecommissionReason;
};

/** The provider's orchestrator stopping a workload; must be idempotent (it may be called again after a restart). */
export type DecommissionHook = (workload: DecommissionRequest) => Promise<void>;

export type PoolWatcherOptions = {
  /** The provider's client (its signer is the farms' provider). */
  client: CapacityPoolsProviderClient;
  /** Where the watcher's state lives (one process at a time: the directory is locked). */
  dataDir: string;
  /** The farms to watch; default every farm the provider created (and creates). */
  farmIds?: readonly string[];
  /** The first block to scan on a fresh data directory; default the client's fromBlock (the deployment's). */
  fromBlock?: number;
  /** Time between two passes (ms). */
  intervalMs?: number;
  /** Most blocks per eth_getLogs call. */
  maxBlockRange?: number;
  /** Blocks to stay behind the head (reorgs); 0 follows the head. */
  confirmations?: number;
  /** A start refused for lack of runway is tried again after this long (ms), or at once after a top-up. */
  retryMs?: number;
  /** Stops a workload on the provider's side; default: a log line. */
  decommission?: DecommissionHook;
  /** Withdraw the earnings every `everyMs` ms (to `to`, default the provider), syncing the busiest pools first. */
  withdraw?: { everyMs: number; to?: string };
  logger?: pino.Logger;
};

/** What the watcher does when an option is left out. */
export const POOL_WATCHER_DEFAULTS = {
  intervalMs: 2000,
  maxBlockRange: 1000,
  confirmations: 0,
  retryMs: 30_000,
} as const;

export type ResolvedPoolWatcherOptions = {
  client: CapacityPoolsProviderClient;
  dataDir: string;
  farmIds: string[] | undefined;
  fromBlock: number;
  intervalMs: number;
  maxBlockRange: number;
  confirmations: number;
  retryMs: number;
  decommission: DecommissionHook | undefined;
  withdraw: { everyMs: number; to?: string } | undefined;
  logger: pino.Logger | undefined;
};

function count(value: number | undefined, fallback: number, field: string, min: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < min) {
    throw new AccordValidationError(field, `must be a whole number${min > 0 ? " above 0" : ""}`, {
      subject: "pool watcher options",
    });
  }
  return result;
}

/** The watcher's options with every default filled in and every value checked (errors name the option). */
export function resolvePoolWatcherOptions(options: PoolWatcherOptions): ResolvedPoolWatcherOptions {
  const subject = "pool watcher options";
  if (!options.dataDir) throw new AccordValidationError("dataDir", "is required", { subject });
  const farmIds = options.farmIds?.map((farm, i) => bytes32Input(farm, `farmIds[${i}]`, subject, { allowZero: true }));
  if (farmIds && farmIds.length === 0) throw new AccordValidationError("farmIds", "must not be empty", { subject });
  const withdraw = options.withdraw
    ? { ...options.withdraw, everyMs: count(options.withdraw.everyMs, 0, "withdraw.everyMs", 1) }
    : undefined;
  return {
    client: options.client,
    dataDir: options.dataDir,
    farmIds,
    fromBlock: count(options.fromBlock, options.client.fromBlock, "fromBlock", 0),
    intervalMs: count(options.intervalMs, POOL_WATCHER_DEFAULTS.intervalMs, "intervalMs", 1),
    maxBlockRange: count(options.maxBlockRange, POOL_WATCHER_DEFAULTS.maxBlockRange, "maxBlockRange", 1),
    confirmations: count(options.confirmations, POOL_WATCHER_DEFAULTS.confirmations, "confirmations", 0),
    retryMs: count(options.retryMs, POOL_WATCHER_DEFAULTS.retryMs, "retryMs", 0),
    decommission: options.decommission,
    withdraw,
    logger: options.logger,
  };
}

/*//////////////////////////////////////////////////////////////
                           PERSISTED STATE
//////////////////////////////////////////////////////////////*/

/** Where the watcher is: the next block to scan and the farms it watches. */
export type CursorRecord = {
  kind: "cursor";
  nextBlock: number;
  /** The farms watched (with `allFarms`, those found so far). */
  farms: string[];
  /** Every farm of the provider, found from its FarmCreated events (no farmIds option). */
  allFarms: boolean;
  /** When earnings were last withdrawn (ms). */
  lastWithdrawAt?: number;
};

/** One of the provider's pools, as its events left it. */
export type PoolRecord = {
  kind: "pool";
  poolId: string;
  farmId: string;
  owner: string;
  graceSeconds: string;
  emptyAt: string;
  status: PoolStatus;
  /** [block, log index] of the last event applied. */
  at: [number, number];
  /** The status a sync was sent for (not sent again for it until the pool's status changes). */
  syncedFor?: PoolStatus;
};

/** A workload's status on chain, as far as the watcher knows (it only moves forward). */
export type WatchedStatus = "Assigned" | "Running" | "Removed" | "Expired";

/** A workload assigned to one of the provider's nodes. */
export type WorkloadRecord = {
  kind: "workload";
  workloadId: string;
  poolId: string;
  nodeId: string;
  farmId: string;
  rates: { cu: string; su: string; ipv4u: string };
  chain: WatchedStatus;
  assignedBlock: number;
  /** Whether this watcher's transaction started it. */
  startedByWatcher?: boolean;
  /** Starts refused for lack of runway. */
  refusals: number;
  /** Not tried again before this (ms). */
  retryAt?: number;
  lastError?: string;
  /** Refused for a reason no retry mends (not the farm's provider, …). */
  failed?: boolean;
  decommission?: { reason: DecommissionReason; state: "pending" | "done"; at?: number };
};

type WatcherRecord = CursorRecord | PoolRecord | WorkloadRecord;

const RANK: Record<WatchedStatus, number> = { Assigned: 0, Running: 1, Removed: 2, Expired: 2 };

/** What one pass did. */
export type WatcherPass = {
  /** The last block scanned. */
  scannedTo: number;
  started: string[];
  refused: string[];
  synced: string[];
  decommissioned: string[];
  closed: string[];
  withdrawn: bigint;
};

function sameFarms(a: CursorRecord, b: CursorRecord): boolean {
  if (a.allFarms || b.allFarms) return a.allFarms === b.allFarms;
  return a.farms.length === b.farms.length && a.farms.every((farm) => b.farms.includes(farm));
}

const isContractError = (error: unknown, ...names: string[]): error is AccordContractError =>
  error instanceof AccordContractError && names.includes(error.errorName);

/*//////////////////////////////////////////////////////////////
                              THE WATCHER
//////////////////////////////////////////////////////////////*/

export class PoolWatcher {
  readonly options: ResolvedPoolWatcherOptions;
  private journal: Journal<WatcherRecord> | undefined;
  private readonly pending = new Map<string, WatcherRecord>();
  private me = "";
  private poolsAddress = "";
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<WatcherPass | undefined> | undefined;
  private closed = false;

  constructor(options: PoolWatcherOptions) {
    this.options = resolvePoolWatcherOptions(options);
  }

  private get log(): pino.Logger | undefined {
    return this.options.logger;
  }

  private get state(): Journal<WatcherRecord> {
    if (!this.journal) throw new Error("the pool watcher is not open: call open() or start()");
    return this.journal;
  }

  /** Opens the data directory (locking it) and checks the farms; does not start polling. */
  async open(): Promise<void> {
    if (this.journal) return;
    const { client } = this.options;
    this.me = (await client.getAddress()).toLowerCase();
    this.poolsAddress = await client.pools.getAddress();
    for (const farmId of this.options.farmIds ?? []) {
      const farm = await client.getFarm(farmId);
      if (!farm.exists) throw new AccordValidationError("farmIds", `names no farm on chain (${farmId})`);
      if (!sameAddress(farm.provider, this.me)) {
        throw new AccordValidationError("farmIds", `names farm ${farmId} of another provider (${farm.provider})`);
      }
    }
    this.journal = Journal.open<WatcherRecord>(this.options.dataDir);
    const fresh: CursorRecord = {
      kind: "cursor",
      nextBlock: this.options.fromBlock,
      farms: [...(this.options.farmIds ?? [])],
      allFarms: this.options.farmIds === undefined,
    };
    const cursor = this.journal.get("cursor") as CursorRecord | undefined;
    if (!cursor) {
      this.journal.put("cursor", fresh);
    } else if (!sameFarms(cursor, fresh)) {
      // Other farms than last time: their pools may be older than the cursor, so scan again from the start (applying
      // events is idempotent; the records of farms no longer watched are kept but not acted on).
      this.log?.warn(
        { before: cursor.allFarms ? "all" : cursor.farms, now: fresh.allFarms ? "all" : fresh.farms },
        "the farms changed: scanning again",
      );
      this.journal.put("cursor", { ...fresh, lastWithdrawAt: cursor.lastWithdrawAt });
    }
  }

  /** Opens, runs a first pass and keeps passing every intervalMs until close(). */
  async start(): Promise<void> {
    await this.open();
    this.log?.info(
      {
        provider: this.me,
        farms: this.options.farmIds ?? "all",
        nextBlock: this.cursor().nextBlock,
        dataDir: this.options.dataDir,
      },
      "pool watcher ready",
    );
    const loop = async (): Promise<void> => {
      if (this.closed) return;
      await this.runPass();
      if (!this.closed) this.timer = setTimeout(() => void loop(), this.options.intervalMs);
    };
    void loop();
  }

  /** Runs one pass now (after the one in progress, if any); a failure is logged, not thrown. */
  async runPass(): Promise<WatcherPass | undefined> {
    const previous = this.pass ?? Promise.resolve(undefined);
    const run = previous.then(async () => {
      if (this.closed) return undefined;
      try {
        return await this.tick();
      } catch (error) {
        this.log?.warn({ err: error }, "pool watcher pass failed");
        return undefined;
      }
    });
    this.pass = run;
    return run;
  }

  /** One pass: scan every block up to the head (less `confirmations`), then act. Throws what fails. */
  async tick(): Promise<WatcherPass> {
    await this.open();
    const pass: WatcherPass = {
      scannedTo: 0,
      started: [],
      refused: [],
      synced: [],
      decommissioned: [],
      closed: [],
      withdrawn: 0n,
    };
    pass.scannedTo = await this.scan();
    const now = await this.options.client.latestTimestamp();
    await this.startAssigned(pass);
    await this.syncPools(now, pass);
    this.markGraceOver();
    await this.decommissionPending(pass);
    await this.closeExpired(pass);
    await this.withdrawEarnings(pass);
    return pass;
  }

  /** Stops polling, waits for the pass in progress and releases the data directory. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
    this.journal?.close();
    this.journal = undefined;
  }

  /*//////////////////////////////////////////////////////////////
                              STATE READS
  //////////////////////////////////////////////////////////////*/

  cursor(): CursorRecord {
    return this.state.get("cursor") as CursorRecord;
  }

  /** The pools of the farms watched. */
  pools(): PoolRecord[] {
    const farms = this.cursor().farms;
    return this.state.values().filter((r): r is PoolRecord => r.kind === "pool" && farms.includes(r.farmId));
  }

  /** The workloads assigned to the nodes of the farms watched. */
  workloads(): WorkloadRecord[] {
    const farms = this.cursor().farms;
    return this.state.values().filter((r): r is WorkloadRecord => r.kind === "workload" && farms.includes(r.farmId));
  }

  /** Assigned workloads whose start was refused for lack of runway (they are retried). */
  refused(): WorkloadRecord[] {
    return this.workloads().filter((w) => w.chain === "Assigned" && w.refusals > 0 && !w.failed);
  }

  pool(poolId: string): PoolRecord | undefined {
    return this.state.get(`pool-${poolId.toLowerCase()}`) as PoolRecord | undefined;
  }

  workload(workloadId: string): WorkloadRecord | undefined {
    return this.state.get(`workload-${workloadId.toLowerCase()}`) as WorkloadRecord | undefined;
  }

  /*//////////////////////////////////////////////////////////////
                            FOLLOWING EVENTS
  //////////////////////////////////////////////////////////////*/

  /** Scans from the cursor to the head in ranges of maxBlockRange, applying each range's events, then the cursor. */
  private async scan(): Promise<number> {
    const { client, maxBlockRange, confirmations } = this.options;
    const head = (await client.provider.getBlockNumber()) - confirmations;
    let cursor = this.cursor();
    while (cursor.nextBlock <= head && !this.closed) {
      const fromBlock = cursor.nextBlock;
      const toBlock = Math.min(head, fromBlock + maxBlockRange - 1);
      const logs = await client.provider.getLogs({ address: this.poolsAddress, fromBlock, toBlock });
      this.applyAll(decodeAccordLogs(logs, { pools: this.poolsAddress }));
      cursor = { ...this.cursor(), nextBlock: toBlock + 1 };
      // The range's records first, then the cursor past it: killed in between, the range is applied again.
      this.flush();
      this.state.put("cursor", cursor);
    }
    return cursor.nextBlock - 1;
  }

  /**
   * Records what changed: buffered while a range's events are applied (`flush` writes them, before the cursor moves
   * past the range), or written at once with `now` (what an action did, before the next one).
   */
  private put(key: string, record: WatcherRecord, now = false): void {
    if (now) {
      this.pending.delete(key);
      this.state.put(key, record);
      return;
    }
    this.pending.set(key, record);
  }

  private get(key: string): WatcherRecord | undefined {
    return this.pending.get(key) ?? this.state.get(key);
  }

  private flush(): void {
    for (const [key, record] of this.pending) this.state.put(key, record);
    this.pending.clear();
  }

  /** Applies decoded events in order (idempotent), and writes what changed. */
  private applyAll(events: readonly AccordLog[]): void {
    for (const event of events) this.apply(event);
    this.flush();
  }

  private apply(event: AccordLog): void {
    const position: [number, number] = [event.blockNumber, event.logIndex];
    switch (event.eventName) {
      case "FarmCreated": {
        const cursor = this.get("cursor") as CursorRecord;
        if (!cursor.allFarms || event.args.provider !== this.me || cursor.farms.includes(event.args.farmId)) return;
        this.put("cursor", { ...cursor, farms: [...cursor.farms, event.args.farmId] });
        this.log?.info({ farmId: event.args.farmId }, "watching a new farm");
        return;
      }
      case "PoolCreated": {
        const cursor = this.get("cursor") as CursorRecord;
        const key = `pool-${event.args.poolId}`;
        if (!cursor.farms.includes(event.args.farmId) || this.get(key)) return;
        this.put(key, {
          kind: "pool",
          poolId: event.args.poolId,
          farmId: event.args.farmId,
          owner: event.args.owner,
          graceSeconds: event.args.graceSeconds.toString(),
          emptyAt: NEVER.toString(),
          status: PoolStatus.Idle,
          at: position,
        });
        return;
      }
      case "PoolUpdated":
      case "PoolStatusChanged":
      case "CapacityAdded": {
        const pool = this.poolFor(event.args.poolId, position);
        if (!pool) return;
        const next: PoolRecord = { ...pool, at: position };
        if (event.eventName === "PoolUpdated") next.emptyAt = event.args.emptyAt.toString();
        if (event.eventName === "PoolStatusChanged") {
          // A new status: a later sync for any status may be due again (a sync that changed nothing is not repeated).
          next.syncedFor = undefined;
          next.status = Number(event.args.status) as PoolStatus;
          next.emptyAt = event.args.emptyAt.toString();
          this.log?.info(
            { poolId: pool.poolId, status: poolStatusNames[next.status], block: event.blockNumber },
            "pool status changed",
          );
        }
        if (event.eventName === "CapacityAdded") this.retrySoon(pool.poolId);
        this.put(`pool-${pool.poolId}`, next);
        return;
      }
      case "WorkloadAssigned": {
        const key = `workload-${event.args.workloadId}`;
        const pool = this.get(`pool-${event.args.poolId}`) as PoolRecord | undefined;
        if (!pool || this.get(key)) return;
        const { rates } = event.args;
        this.put(key, {
          kind: "workload",
          workloadId: event.args.workloadId,
          poolId: event.args.poolId,
          nodeId: event.args.nodeId,
          farmId: pool.farmId,
          rates: { cu: rates.cu.toString(), su: rates.su.toString(), ipv4u: rates.ipv4u.toString() },
          chain: "Assigned",
          assignedBlock: event.blockNumber,
          refusals: 0,
        });
        this.log?.info({ workloadId: event.args.workloadId, poolId: event.args.poolId }, "workload assigned");
        return;
      }
      case "WorkloadStarted":
        this.advance(event.args.workloadId, "Running");
        return;
      case "WorkloadRemoved":
        this.advance(event.args.workloadId, "Removed");
        this.retrySoon(event.args.poolId);
        return;
      case "WorkloadExpired":
        this.advance(event.args.workloadId, "Expired");
        this.retrySoon(event.args.poolId);
        return;
      default:
        return;
    }
  }

  /** The pool's record, if it is one of ours and `position` is past the last event applied to it. */
  private poolFor(poolId: string, position: [number, number]): PoolRecord | undefined {
    const pool = this.get(`pool-${poolId}`) as PoolRecord | undefined;
    if (!pool) return undefined;
    const [block, index] = pool.at;
    if (position[0] < block || (position[0] === block && position[1] <= index)) return undefined;
    return pool;
  }

  /** Moves a workload's status forward (never back); a running one that ends is to be decommissioned. */
  private advance(workloadId: string, status: WatchedStatus): void {
    const key = `workload-${workloadId}`;
    const workload = this.get(key) as WorkloadRecord | undefined;
    if (!workload || RANK[status] <= RANK[workload.chain]) return;
    const next: WorkloadRecord = { ...workload, chain: status, retryAt: undefined };
    if (workload.chain === "Running" && status !== "Running" && !workload.decommission) {
      next.decommission = { reason: status === "Removed" ? "removed" : "expired", state: "pending" };
    }
    this.put(key, next);
  }

  /** A pool's capacity or rates changed: its refused workloads may start now. */
  private retrySoon(poolId: string): void {
    for (const record of [...this.pending.values(), ...this.state.values()]) {
      if (record.kind !== "workload" || record.poolId !== poolId || record.chain !== "Assigned") continue;
      if (record.retryAt === undefined) continue;
      const key = `workload-${record.workloadId}`;
      this.put(key, { ...(this.get(key) as WorkloadRecord), retryAt: undefined });
    }
  }

  /*//////////////////////////////////////////////////////////////
                                ACTIONS
  //////////////////////////////////////////////////////////////*/

  private async startAssigned(pass: WatcherPass): Promise<void> {
    const { client, retryMs } = this.options;
    const due = this.workloads().filter(
      (w) => w.chain === "Assigned" && !w.failed && (w.retryAt === undefined || w.retryAt <= Date.now()),
    );
    for (const workload of due) {
      if (this.closed) return;
      const key = `workload-${workload.workloadId}`;
      try {
        const result = await client.startWorkload(workload.workloadId);
        this.applyAll(result.events);
        const record = this.state.get(key) as WorkloadRecord;
        if (result.started) {
          this.put(key, { ...record, startedByWatcher: true, lastError: undefined }, true);
          pass.started.push(workload.workloadId);
          this.log?.info(
            { workloadId: workload.workloadId, poolId: workload.poolId, nodeId: workload.nodeId, tx: result.hash },
            "workload started",
          );
        } else {
          // Running already (started before a restart): the chain says so, nothing was sent twice.
          await this.refresh(workload.workloadId);
        }
      } catch (error) {
        if (isContractError(error, "CapacityPools_InsufficientRunway")) {
          const record = this.state.get(key) as WorkloadRecord;
          this.put(
            key,
            { ...record, refusals: record.refusals + 1, retryAt: Date.now() + retryMs, lastError: error.message },
            true,
          );
          pass.refused.push(workload.workloadId);
          this.log?.warn(
            {
              workloadId: workload.workloadId,
              poolId: workload.poolId,
              emptyAt: String(error.args.emptyAt),
              needed: String(error.args.needed),
              refusals: record.refusals + 1,
            },
            "workload refused: the pool needs additional capacity",
          );
        } else if (isContractError(error, "CapacityPools_InvalidWorkloadStatus")) {
          await this.refresh(workload.workloadId);
        } else if (isContractError(error, "CapacityPools_Unauthorized", "CapacityPools_WorkloadNotFound")) {
          // Not this provider's to start (or never assigned): no retry mends that.
          const record = this.state.get(key) as WorkloadRecord;
          this.put(key, { ...record, failed: true, lastError: error.message }, true);
          this.log?.error({ workloadId: workload.workloadId, err: error }, "workload cannot be started");
        } else if (error instanceof AccordContractError) {
          // Anything else may pass later: a pool past its grace may be closed and topped up, an estimate may have
          // run on a state the transaction did not meet (out of gas).
          const record = this.state.get(key) as WorkloadRecord;
          this.put(key, { ...record, retryAt: Date.now() + retryMs, lastError: error.message }, true);
          this.log?.warn(
            { workloadId: workload.workloadId, err: error },
            "starting the workload was refused; retrying later",
          );
        } else {
          this.log?.warn({ workloadId: workload.workloadId, err: error }, "starting the workload failed; retrying");
        }
      }
    }
  }

  /** Brings a workload's record up to the chain's status. */
  private async refresh(workloadId: string): Promise<void> {
    const view = await this.options.client.getWorkload(workloadId);
    if (view.statusName === "Running" || view.statusName === "Removed" || view.statusName === "Expired") {
      this.advance(workloadId, view.statusName);
      this.flush();
    }
  }

  /** The status time has moved a pool to since its last event (the model's rule). */
  private expectedStatus(pool: PoolRecord, now: bigint): PoolStatus {
    if (pool.status === PoolStatus.Idle) return PoolStatus.Idle;
    const model = newPool({
      poolId: pool.poolId,
      owner: pool.owner,
      farmId: pool.farmId,
      graceSeconds: BigInt(pool.graceSeconds),
      now,
    });
    model.emptyAt = BigInt(pool.emptyAt);
    // Not Idle: something runs (the status rules look only at whether anything does).
    model.runningWorkloadIds = new Set(["running"]);
    return poolStatusAt(model, now);
  }

  private async syncPools(now: bigint, pass: WatcherPass): Promise<void> {
    for (const pool of this.pools()) {
      if (this.closed) return;
      const expected = this.expectedStatus(pool, now);
      if (expected === pool.status || pool.syncedFor === expected) continue;
      const key = `pool-${pool.poolId}`;
      this.put(key, { ...pool, syncedFor: expected }, true);
      try {
        const result = await this.options.client.syncPool(pool.poolId);
        this.applyAll(result.events);
        pass.synced.push(pool.poolId);
        this.log?.info(
          {
            poolId: pool.poolId,
            from: poolStatusNames[pool.status],
            to: poolStatusNames[(this.state.get(key) as PoolRecord).status],
            tx: result.hash,
          },
          "pool synced",
        );
      } catch (error) {
        this.put(key, { ...(this.state.get(key) as PoolRecord), syncedFor: undefined }, true);
        this.log?.warn({ poolId: pool.poolId, err: error }, "syncing the pool failed; retrying");
      }
    }
  }

  /** The running workloads of pools past their grace period are to be decommissioned (written before the hook). */
  private markGraceOver(): void {
    const over = new Set(
      this.pools()
        .filter((p) => p.status === PoolStatus.GraceOver)
        .map((p) => p.poolId),
    );
    if (over.size === 0) return;
    for (const workload of this.workloads()) {
      if (!over.has(workload.poolId) || workload.chain !== "Running" || workload.decommission) continue;
      this.put(`workload-${workload.workloadId}`, {
        ...workload,
        decommission: { reason: "grace-over", state: "pending" },
      });
    }
    this.flush();
  }

  private async decommissionPending(pass: WatcherPass): Promise<void> {
    const hook = this.options.decommission;
    for (const workload of this.workloads()) {
      if (this.closed) return;
      if (workload.decommission?.state !== "pending") continue;
      const request: DecommissionRequest = {
        workloadId: workload.workloadId,
        poolId: workload.poolId,
        nodeId: workload.nodeId,
        farmId: workload.farmId,
        rates: workload.rates,
        reason: workload.decommission.reason,
      };
      try {
        if (hook) await hook(request);
        else this.log?.info(request, "decommission this workload (no decommission hook is set)");
      } catch (error) {
        this.log?.error({ workloadId: workload.workloadId, err: error }, "decommissioning failed; retrying");
        continue;
      }
      const key = `workload-${workload.workloadId}`;
      const record = this.state.get(key) as WorkloadRecord;
      this.put(key, { ...record, decommission: { ...record.decommission!, state: "done", at: Date.now() } }, true);
      pass.decommissioned.push(workload.workloadId);
      this.log?.info({ workloadId: workload.workloadId, reason: request.reason }, "workload decommissioned");
    }
  }

  /** Closes the decommissioned workloads of pools past grace, MAX_BATCH at a time, those still running on chain. */
  private async closeExpired(pass: WatcherPass): Promise<void> {
    const { client } = this.options;
    const ready = this.workloads().filter(
      (w) => w.chain === "Running" && w.decommission?.reason === "grace-over" && w.decommission.state === "done",
    );
    for (let i = 0; i < ready.length && !this.closed; i += MAX_BATCH) {
      const batch: string[] = [];
      for (const workload of ready.slice(i, i + MAX_BATCH)) {
        const view = await client.getWorkload(workload.workloadId);
        if (view.statusName === "Running") batch.push(workload.workloadId);
        else await this.refresh(workload.workloadId);
      }
      if (batch.length === 0) continue;
      try {
        const result = await client.closeExpiredWorkloads(batch);
        this.applyAll(result.events);
        pass.closed.push(...batch);
        this.log?.info({ workloadIds: batch, tx: result.hash }, "workloads closed");
      } catch (error) {
        this.log?.warn({ workloadIds: batch, err: error }, "closing expired workloads failed; retrying");
      }
    }
  }

  private async withdrawEarnings(pass: WatcherPass): Promise<void> {
    const { withdraw, client } = this.options;
    if (!withdraw || this.closed) return;
    const cursor = this.cursor();
    if (cursor.lastWithdrawAt !== undefined && Date.now() - cursor.lastWithdrawAt < withdraw.everyMs) return;
    const busy = this.pools()
      .filter((p) => p.status !== PoolStatus.Idle)
      .map((p) => p.poolId)
      .slice(0, MAX_BATCH);
    try {
      const result = await client.withdrawEarnings({ to: withdraw.to, pools: busy });
      this.applyAll(result.events);
      pass.withdrawn = result.amount;
      this.log?.info({ amount: result.amount.toString(), to: result.to, tx: result.hash }, "earnings withdrawn");
    } catch (error) {
      if (!isContractError(error, "CapacityPools_NothingToWithdraw")) {
        this.log?.warn({ err: error }, "withdrawing earnings failed");
        return;
      }
    }
    this.state.put("cursor", { ...this.cursor(), lastWithdrawAt: Date.now() });
  }
}

/*//////////////////////////////////////////////////////////////
                      A COMMAND AS THE HOOK
//////////////////////////////////////////////////////////////*/

/**
 * A decommission hook running a shell command: the workload as JSON on its stdin and in ACCORD_WORKLOAD (and
 * ACCORD_WORKLOAD_ID, ACCORD_POOL_ID, ACCORD_NODE_ID, ACCORD_FARM_ID, ACCORD_DECOMMISSION_REASON). Exit status 0 is
 * done; anything else (or running longer than `timeoutMs`) fails, and the watcher tries again next pass.
 */
export function commandDecommissionHook(
  command: string,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; logger?: pino.Logger } = {},
): DecommissionHook {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return (workload) =>
    new Promise<void>((resolve, reject) => {
      const json = JSON.stringify(workload);
      const child = spawn(command, {
        shell: true,
        stdio: ["pipe", "pipe", "pipe"],
        env: {
          ...(options.env ?? process.env),
          ACCORD_WORKLOAD: json,
          ACCORD_WORKLOAD_ID: workload.workloadId,
          ACCORD_POOL_ID: workload.poolId,
          ACCORD_NODE_ID: workload.nodeId,
          ACCORD_FARM_ID: workload.farmId,
          ACCORD_DECOMMISSION_REASON: workload.reason,
        },
      });
      let output = "";
      const keep = (data: Buffer) => (output = (output + data.toString()).slice(-2000));
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (code === 0) {
          if (output.trim()) options.logger?.debug({ workloadId: workload.workloadId, output }, "decommission command");
          resolve();
        } else {
          reject(new Error(`decommission command exited with ${signal ?? code}: ${output.trim()}`));
        }
      });
      child.stdin.on("error", () => {});
      child.stdin.end(json);
    });
}
