// What the phases share: the store, the chain reader and the subgraph runner, the settings resolved from the
// options, the counters, the retry policy and the events the Indexer emits.

import type { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { SqlStore } from "../store/store";
import type { Checkpoint } from "../store/types";
import type { EntityChange } from "../store/writer";
import type { ChainReader } from "../sync/chain";
import type { HeadWatcher } from "../sync/heads";
import { isRetryable, retryDelayMs } from "../sync/rpc-errors";
import type { SubgraphRunner } from "../subgraph/runner";

export interface IndexerProgress {
  phase: "backfill" | "follow";
  /** The last committed block. */
  block: number;
  startBlock: number;
  /** The block the current phase aims at (the head when it began, or the latest head seen). */
  targetBlock: number;
  blocksDone: number;
  blocksTotal: number;
  /** Events applied since start(). */
  events: number;
  /** Average since start(). */
  eventsPerSecond: number;
  elapsedMs: number;
}

export interface ReorgInfo {
  /** The checkpoint before the reorg. */
  from: number;
  /** The common ancestor rolled back to (startBlock - 1 when everything was reset). */
  to: number;
  reset: boolean;
}

/** What a deterministic indexing error left in the store's meta (JSON under INDEXING_ERROR_META). */
export interface StoredIndexingError {
  message: string;
  dataSource: string;
  handler: string;
  block: number;
  transaction: string;
  logIndex: number;
}

/** The meta key under which a deterministic indexing error is kept (`_meta.hasIndexingErrors`). */
export const INDEXING_ERROR_META = "indexingError";

/** The Indexer's events and their arguments. */
export interface IndexerEvents {
  /** A batch (or a rollback) committed: the entity versions it changed. */
  batch: [changes: EntityChange[], checkpoint: Checkpoint | null];
  checkpoint: [checkpoint: Checkpoint];
  progress: [progress: IndexerProgress];
  reorg: [info: ReorgInfo];
  /** The backfill reached its target; following begins (if it does). */
  backfilled: [checkpoint: Checkpoint | null];
  /** A mapping failed deterministically; indexing stopped at its block. */
  indexingError: [error: StoredIndexingError];
  error: [error: unknown];
}

export interface IndexerMetrics {
  events?: { inc(value?: number): void };
  blocks?: { inc(value?: number): void };
}

/** The options the phases read, resolved once (src/indexer/indexer.ts). */
export interface IndexerSettings {
  rpcUrl: string;
  wsUrl?: string;
  startBlock: number;
  reorgDepth: number;
  pollMs: number;
  onDeepReorg: "reset" | "error";
  toBlock?: number;
  follow: boolean;
  /** Fetch the transactions of blocks with events (ethereum.Event.transaction's from, to, value, gas, input). */
  transactions: boolean;
  /** Full GCs during the backfill past this heap growth (MiB; 0 = off), with `gc`. */
  heapHeadroomMiB: number;
  gc?: () => void;
  metrics?: IndexerMetrics;
  onProgress?: (progress: IndexerProgress) => void;
}

/** The chain changed while a range was being read; read it again. */
export class ChainMovedError extends Error {
  override name = "ChainMovedError";
}

export class ReorgTooDeepError extends Error {
  override name = "ReorgTooDeepError";
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class IndexerCore {
  phase: "idle" | "backfill" | "follow" | "stopped" | "failed" = "idle";
  stopping = false;
  /** Events applied since start(). */
  eventsApplied = 0;
  /** Where the time went since start() (ms; fetching overlaps with applying during the backfill). */
  readonly stats = {
    batches: 0,
    fetchMs: 0,
    waitMs: 0,
    handleMs: 0,
    decodeMs: 0,
    mappingMs: 0,
    commitMs: 0,
    reruns: 0,
  };
  startedAt = 0;
  /** The block the current phase aims at. */
  target = 0;
  /** The checkpoint when the current phase began. */
  phaseStart = 0;
  /** The deterministic error indexing stopped at, if any (until a batch passes its block). */
  indexingError: StoredIndexingError | null = null;
  /** Wakes the follower's idle wait (stop(), newHeads). */
  wakeUp: (() => void) | undefined;
  /** The follower's newHeads subscription, while it has one. */
  heads: HeadWatcher | undefined;
  /** Called after each committed batch (the backfill's heap governor). */
  onBatchCommitted: (() => void) | undefined;

  constructor(
    readonly store: SqlStore,
    readonly reader: ChainReader,
    readonly runner: SubgraphRunner,
    readonly logger: Logger,
    readonly settings: IndexerSettings,
    private readonly emitter: EventEmitter<IndexerEvents>,
  ) {}

  emit<K extends keyof IndexerEvents>(event: K, ...args: IndexerEvents[K]): void {
    (this.emitter.emit as (event: K, ...args: IndexerEvents[K]) => boolean)(event, ...args);
  }

  resetCounters(): void {
    this.startedAt = Date.now();
    this.eventsApplied = 0;
    for (const key of Object.keys(this.stats) as (keyof IndexerCore["stats"])[]) this.stats[key] = 0;
    Object.assign(this.runner.stats, { mappingMs: 0, decodeMs: 0, triggers: 0, reruns: 0 });
  }

  /**
   * Runs `fn` until it succeeds, backing off after failures that a later attempt may not have (the node
   * unreachable, rate limits, timeouts: sync/rpc-errors.ts; the chain moving under a read). Anything else (a
   * permanent RPC error, a wrong deployment, a deterministic indexing error, a store error) is thrown at once.
   */
  async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const transient = isRetryable(error) || error instanceof ChainMovedError;
        if (!transient || this.stopping) throw error;
        const delay = retryDelayMs(error, attempt);
        this.logger.warn({ err: error }, `transient failure, retrying in ${delay} ms`);
        await sleep(delay);
      }
    }
  }

  reportProgress(block: number): void {
    const elapsedMs = Date.now() - this.startedAt;
    const phase = this.phase === "follow" ? "follow" : "backfill";
    const total = Math.max(0, this.target - this.phaseStart);
    const progress: IndexerProgress = {
      phase,
      block,
      startBlock: this.settings.startBlock,
      targetBlock: this.target,
      blocksDone: Math.min(total, Math.max(0, block - this.phaseStart)),
      blocksTotal: total,
      events: this.eventsApplied,
      eventsPerSecond: elapsedMs > 0 ? (this.eventsApplied * 1000) / elapsedMs : 0,
      elapsedMs,
    };
    this.emit("progress", progress);
    this.settings.onProgress?.(progress);
  }
}
