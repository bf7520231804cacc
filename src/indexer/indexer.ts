// The orchestrator: backfill from the deployment blocks to the head, then follow the head.
//
// Each fetched block range becomes one store.batch(): the handlers' writes, the block hashes and the checkpoint
// of the range's last block commit in one transaction, so a crash loses nothing and applies nothing twice (the
// next start resumes after the checkpoint). Reorgs: every range's first block must name the checkpoint as its
// parent, and while idle the checkpoint's hash is re-read; on a mismatch the indexer walks back through the
// stored hashes to the newest block still on the chain (within `reorgDepth`), rolls back to it and re-applies.
// After each commit it emits "batch" with the changed entities ({ entity, id, block }[]), which the GraphQL
// server turns into subscription pushes.

import { EventEmitter } from "node:events";
import { DEFAULTS } from "../defaults";
import type { AccordDeployment } from "../deployments/format";
import type { Logger } from "pino";
import type { EntityModel } from "./schema/model";
import { openStore } from "./store/open";
import type { SqlStore } from "./store/store";
import type { Checkpoint } from "./store/types";
import type { EntityChange } from "./store/writer";
import { ChainReader, type BlockHeader, type LogRangeOptions } from "./sync/chain";
import { loadDeployment, parseDeployment, type IndexerDeployment } from "./sync/deployment";
import type { RawLog } from "./sync/types";
import { HeadWatcher } from "./sync/heads";
import { loadSubgraph, subgraphFingerprint, type SubgraphManifest } from "./subgraph/manifest";
import { DeterministicIndexingError, SubgraphRunner, type TriggerBlock, type TriggerLog } from "./subgraph/runner";
import { defaultSubgraphDir } from "./subgraph/paths";
import { JsonRpcClient, RpcError, RpcTransportError, type RpcClientOptions } from "./sync/rpc";

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

export interface IndexerMetrics {
  events?: { inc(value?: number): void };
  blocks?: { inc(value?: number): void };
}

export interface IndexerOptions {
  /** HTTP JSON-RPC endpoint. */
  rpcUrl: string;
  /** Websocket endpoint: new heads by eth_subscribe instead of polling. */
  wsUrl?: string;
  /** The deployment: the deployment file's content (AccordDeployment), an IndexerDeployment, a file path, or a
   * network name (deployments/<network>.json). Its contracts give the subgraph's data sources of the same name
   * their addresses and start blocks (Accord's subgraph has placeholders); optional for a subgraph whose manifest
   * has its own, which is then indexed on whatever chain rpcUrl serves. */
  deployment?: IndexerDeployment | AccordDeployment | Record<string, unknown> | string;
  /** The built subgraph whose mappings index the chain: a directory holding subgraph.yaml (or build/subgraph.yaml),
   * or a loaded manifest. Default: Accord's own (subgraph/build). Its data sources' addresses and start blocks
   * come from `deployment` by data source name when it names them. */
  subgraph?: string | SubgraphManifest;
  /** PostgreSQL instead of PGlite. */
  databaseUrl?: string;
  /** PGlite data directory (default .accord/db). */
  dataDir?: string;
  /** SQL schema of the tables (default "accord"). */
  dbSchema?: string;
  /** An already open store (not closed by close()). */
  store?: SqlStore;
  model?: EntityModel;
  /** Head polling interval while following (default 250 ms; with a websocket, the fallback poll is 10× that). */
  pollIntervalMs?: number;
  /** How far back a reorg may reach (default 64 blocks). */
  reorgDepth?: number;
  /** A reorg deeper than reorgDepth (or a different chain under the same deployment): reset and re-index
   * ("reset", the default) or fail ("error"). */
  onDeepReorg?: "reset" | "error";
  /** Stop after this block instead of following the head. */
  toBlock?: number;
  /** Follow the head after the backfill (default true). */
  follow?: boolean;
  logRange?: LogRangeOptions;
  rpc?: RpcClientOptions;
  /** Entities kept in memory across batches (default 2,000). */
  cacheSize?: number;
  /** PGlite shared_buffers (default 32MB). */
  sharedBuffers?: string;
  /** PGlite template cluster for new data directories (see PgliteDriverOptions.template). */
  pgliteTemplate?: string | null;
  /** During the backfill, run a full GC after a batch when the JS heap has grown this much since the backfill
   * began (MiB; default 64; 0 = leave it to V8). Needs `gc`. */
  heapHeadroomMiB?: number;
  /** A full garbage collection, for heapHeadroomMiB: default globalThis.gc (node --expose-gc), without which the
   * headroom is not enforced. The library never changes V8's flags itself; `accord index` exposes gc (see
   * src/bin/options.ts). */
  gc?: () => void;
  logger?: Logger;
  onProgress?: (progress: IndexerProgress) => void;
  metrics?: IndexerMetrics;
}

export class ReorgTooDeepError extends Error {
  override name = "ReorgTooDeepError";
}

/** The chain changed while a range was being read; read it again. */
class ChainMovedError extends Error {
  override name = "ChainMovedError";
}

interface FetchedRange {
  from: number;
  to: number;
  logs: TriggerLog[];
  headers: Map<number, BlockHeader>;
}

/** The meta key under which a deterministic indexing error is kept (`_meta.hasIndexingErrors`). */
export const INDEXING_ERROR_META = "indexingError";

/** What a deterministic indexing error left in the store's meta (JSON). */
export interface StoredIndexingError {
  message: string;
  dataSource: string;
  handler: string;
  block: number;
  transaction: string;
  logIndex: number;
}

const quantity = (hex: string | undefined): number => (hex === undefined ? 0 : Number(hex));

function triggerLog(raw: RawLog): TriggerLog {
  return {
    address: raw.address.toLowerCase(),
    topics: raw.topics,
    data: raw.data,
    blockNumber: quantity(raw.blockNumber),
    blockHash: raw.blockHash,
    transactionHash: raw.transactionHash,
    transactionIndex: quantity(raw.transactionIndex),
    logIndex: quantity(raw.logIndex),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A full GC during the backfill, when the JS heap has grown `headroomMiB` past what it was when the backfill
 * began. Most of what a batch allocates (raw logs, records, COPY text) lives long enough to be promoted, and V8
 * lets such garbage pile up to a few hundred MiB before collecting it; with PGlite's ~210 MiB baseline that
 * decides the process's peak RSS. Collecting early keeps the peak well under 400 MiB for about no cost (the live
 * set is small). Returns [start, after batch].
 */
function heapGovernor(headroomMiB: number, gc: (() => void) | undefined): { start(): void; check(): void } {
  const off = { start: () => {}, check: () => {} };
  if (!(headroomMiB > 0) || !gc) return off;
  let limit = Infinity;
  return {
    start() {
      gc();
      limit = process.memoryUsage().heapUsed + headroomMiB * 1024 * 1024;
    },
    check() {
      if (process.memoryUsage().heapUsed > limit) gc();
    },
  };
}

function silentLogger(): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: pino loads only for the fallback logger, when the caller passes none
  const pino = require("pino") as typeof import("pino");
  return pino({ name: "accord-indexer", level: DEFAULTS.logLevel });
}

function resolveDeployment(d: NonNullable<IndexerOptions["deployment"]>): IndexerDeployment {
  return typeof d === "string" ? loadDeployment(d) : parseDeployment(d);
}

function resolveSubgraph(subgraph: IndexerOptions["subgraph"]): SubgraphManifest {
  return typeof subgraph === "object" ? subgraph : loadSubgraph(subgraph ?? defaultSubgraphDir());
}

/** The subgraph with the deployment's addresses and start blocks filled in by data source name. */
function bindSubgraph(manifest: SubgraphManifest, deployment: IndexerDeployment | undefined): SubgraphManifest {
  const dataSources = manifest.dataSources.map((source) => {
    const contract = deployment?.contracts[source.name];
    return contract ? { ...source, address: contract.address, startBlock: contract.blockNumber } : source;
  });
  for (const source of dataSources) {
    if (source.address === "0x0000000000000000000000000000000000000000") {
      throw new Error(
        `data source ${source.name} of ${manifest.dir} has the zero address: give a deployment that names ${source.name}`,
      );
    }
  }
  return { ...manifest, dataSources };
}

export class Indexer extends EventEmitter {
  readonly store: SqlStore;
  readonly deployment: IndexerDeployment | undefined;
  readonly subgraph: SubgraphManifest;
  readonly startBlock: number;
  readonly logger: Logger;
  readonly reader: ChainReader;
  private readonly runner: SubgraphRunner;
  private readonly ownsStore: boolean;
  private readonly reorgDepth: number;
  private readonly pollMs: number;

  private runPromise: Promise<void> | undefined;
  private readyPromise: Promise<void> | undefined;
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private heads: HeadWatcher | undefined;
  private prepared = false;
  private readonly governor: { start(): void; check(): void };

  phase: "idle" | "backfill" | "follow" | "stopped" | "failed" = "idle";
  /** Events applied since start(). */
  eventsApplied = 0;
  /** Where the time went since start() (ms; fetching overlaps with applying during backfill). */
  readonly stats = { batches: 0, fetchMs: 0, waitMs: 0, handleMs: 0, decodeMs: 0, mappingMs: 0, commitMs: 0 };
  private startedAt = 0;
  private target = 0;
  private phaseStart = 0;

  constructor(
    private readonly options: IndexerOptions,
    store: SqlStore,
    ownsStore: boolean,
  ) {
    super();
    this.store = store;
    this.ownsStore = ownsStore;
    this.deployment = options.deployment === undefined ? undefined : resolveDeployment(options.deployment);
    this.logger = options.logger ?? silentLogger();
    this.subgraph = bindSubgraph(resolveSubgraph(options.subgraph), this.deployment);
    this.runner = new SubgraphRunner(this.subgraph, this.logger);
    this.startBlock = this.runner.startBlock;
    this.reorgDepth = options.reorgDepth ?? DEFAULTS.reorgDepth;
    this.pollMs = options.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
    this.governor = heapGovernor(
      options.heapHeadroomMiB ?? DEFAULTS.heapHeadroomMiB,
      options.gc ?? (globalThis as { gc?: () => void }).gc,
    );
    this.reader = new ChainReader(new JsonRpcClient(options.rpcUrl, options.rpc), this.runner.filter, options.logRange);
  }

  /*//////////////////////////////////////////////////////////////
                              LIFECYCLE
  //////////////////////////////////////////////////////////////*/

  /**
   * Starts indexing in the background. Resolves when the backfill has reached the head seen at start (or
   * `toBlock`); rejects if it fails before that. Later failures are emitted as "error" (and reject done()).
   */
  start(): Promise<void> {
    if (!this.runPromise) {
      this.stopping = false;
      let ready!: () => void;
      let fail!: (error: unknown) => void;
      this.readyPromise = new Promise<void>((resolve, reject) => {
        ready = resolve;
        fail = reject;
      });
      this.readyPromise.catch(() => {});
      this.once("backfilled", () => ready());
      this.runPromise = this.run().then(
        () => {
          this.phase = "stopped";
          ready();
        },
        (error: unknown) => {
          this.phase = "failed";
          this.logger.error({ err: error }, "indexer failed");
          fail(error);
          if (this.listenerCount("error") > 0) this.emit("error", error);
          throw error;
        },
      );
      this.runPromise.catch(() => {});
    }
    return this.readyPromise!;
  }

  /** Whether new heads currently arrive over the websocket (wsUrl given and subscribed). */
  get newHeadsConnected(): boolean {
    return this.heads?.connected ?? false;
  }

  /** Resolves when the indexer stops (stop(), or toBlock / follow: false reached); rejects on a fatal error. */
  done(): Promise<void> {
    return this.runPromise ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.heads?.stop();
    this.heads = undefined;
    this.wakeUp?.();
    try {
      await this.runPromise;
    } catch {
      // reported through start() / done() / "error"
    }
    this.runPromise = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    if (this.ownsStore) await this.store.close();
  }

  /** Resolves once the checkpoint is at or past `block`. */
  async waitForBlock(block: number, timeoutMs = 60_000): Promise<Checkpoint> {
    const cp = await this.store.checkpoint();
    if (cp && cp.blockNumber >= block) return cp;
    return new Promise<Checkpoint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off("checkpoint", onCheckpoint);
        reject(new Error(`timeout waiting for block ${block}`));
      }, timeoutMs);
      const onCheckpoint = (c: Checkpoint): void => {
        if (c.blockNumber >= block) {
          clearTimeout(timer);
          this.off("checkpoint", onCheckpoint);
          resolve(c);
        }
      };
      this.on("checkpoint", onCheckpoint);
    });
  }

  /** The change feed as an async iterator: one array per committed batch (or rollback). */
  changes(): AsyncIterableIterator<EntityChange[]> {
    const queue: EntityChange[][] = [];
    let waiting: ((r: IteratorResult<EntityChange[]>) => void) | undefined;
    let finished = false;
    const onBatch = (changes: EntityChange[]): void => {
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value: changes, done: false });
      } else if (queue.length >= 1000) {
        queue[queue.length - 1] = queue[queue.length - 1].concat(changes);
      } else queue.push(changes);
    };
    this.on("batch", onBatch);
    const finish = (): IteratorResult<EntityChange[]> => {
      finished = true;
      this.off("batch", onBatch);
      waiting?.({ value: undefined, done: true });
      waiting = undefined;
      return { value: undefined, done: true };
    };
    return {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: () => Promise.resolve(finish()),
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /*//////////////////////////////////////////////////////////////
                                LOOP
  //////////////////////////////////////////////////////////////*/

  private async prepare(): Promise<void> {
    if (this.prepared) return;
    const chainId = await this.retrying(() => this.reader.chainId());
    if (this.deployment && chainId !== this.deployment.chainId) {
      throw new Error(
        `the node at ${this.options.rpcUrl} is chain ${chainId}, the deployment is for chain ${this.deployment.chainId}`,
      );
    }
    const fingerprint = subgraphFingerprint(chainId, this.subgraph);
    const stored = await this.store.getMeta("deployment");
    if (stored !== fingerprint) {
      if (stored !== null || (await this.store.checkpoint()) !== null) {
        this.logger.warn({ previous: stored, current: fingerprint }, "deployment changed: re-indexing from scratch");
        await this.store.reset();
        await this.store.setMeta(INDEXING_ERROR_META, "");
      }
      await this.store.setMeta("deployment", fingerprint);
    }
    const mappings = this.subgraph.fingerprint;
    const indexedWith = await this.store.getMeta("mappings");
    if (indexedWith !== null && indexedWith !== mappings && (await this.store.checkpoint()) !== null) {
      // As after a fix on graph-node: indexing resumes at the checkpoint, with the new mappings.
      this.logger.warn(
        { previous: indexedWith, current: mappings },
        "the subgraph's mappings changed; resuming with them",
      );
    }
    if (indexedWith !== mappings) await this.store.setMeta("mappings", mappings);
    const error = await this.store.getMeta(INDEXING_ERROR_META);
    this.indexingError = error ? (JSON.parse(error) as StoredIndexingError) : null;
    this.prepared = true;
  }

  private async run(): Promise<void> {
    this.startedAt = Date.now();
    this.eventsApplied = 0;
    Object.assign(this.stats, {
      batches: 0,
      fetchMs: 0,
      waitMs: 0,
      handleMs: 0,
      decodeMs: 0,
      mappingMs: 0,
      commitMs: 0,
    });
    Object.assign(this.runner.stats, { mappingMs: 0, decodeMs: 0, triggers: 0, reruns: 0 });
    await this.prepare();
    const follow = this.options.follow !== false && this.options.toBlock === undefined;

    this.phase = "backfill";
    this.phaseStart = (await this.store.checkpoint())?.blockNumber ?? this.startBlock - 1;
    this.target = await this.retrying(() => this.reader.head());
    if (this.options.toBlock !== undefined) this.target = Math.min(this.target, this.options.toBlock);
    const cp0 = await this.store.checkpoint();
    this.logger.info(
      { from: cp0 ? cp0.blockNumber + 1 : this.startBlock, to: this.target, resumed: cp0 !== null },
      "backfill starting",
    );
    this.governor.start();
    await this.retrying(() => this.syncTo(this.target));
    const cp = await this.store.checkpoint();
    this.logger.info(
      {
        block: cp?.blockNumber,
        events: this.eventsApplied,
        seconds: (Date.now() - this.startedAt) / 1000,
        ...this.stats,
      },
      "backfill done",
    );
    this.phase = "follow";
    this.emit("backfilled", cp);
    if (!follow) return;
    // The backfill bulk-loaded the tables: give the planner statistics before queries arrive.
    await this.store.analyze();

    if (this.options.wsUrl) {
      this.heads = new HeadWatcher(this.options.wsUrl, {
        onError: (error) => this.logger.debug({ err: error }, "newHeads websocket error"),
      });
      this.heads.on("head", () => this.wakeUp?.());
      this.heads.on("open", () => this.logger.debug("newHeads subscription open"));
      this.heads.start();
    }
    while (!this.stopping) {
      await this.idle();
      if (this.stopping) break;
      await this.retrying(async () => {
        const checkpoint = await this.store.checkpoint();
        let head: number;
        if (checkpoint) {
          const r = await this.reader.headAndHeader(checkpoint.blockNumber);
          head = r.head;
          if (!r.header || r.header.hash !== checkpoint.blockHash) {
            await this.handleReorg();
          }
        } else head = await this.reader.head();
        this.target = head;
        await this.syncTo(head);
      });
    }
  }

  /** Waits for the poll interval, or for a newHeads notification (with a slower fallback poll). */
  private idle(): Promise<void> {
    const ms = this.heads?.connected ? this.pollMs * 10 : this.pollMs;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        done();
      };
    });
  }

  /** Retries transport-level failures (RPC down, the chain moving under a read) until stopped. */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    let delay = 100;
    for (;;) {
      try {
        return await fn();
      } catch (error) {
        const transient =
          error instanceof RpcTransportError || error instanceof RpcError || error instanceof ChainMovedError;
        if (!transient || this.stopping) throw error;
        this.logger.warn({ err: error }, `transient failure, retrying in ${delay} ms`);
        await sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /** Indexes up to `target`: fetch a range, check it continues the checkpoint, apply it; repeat. */
  async syncTo(target: number): Promise<void> {
    let next: { from: number; promise: Promise<FetchedRange> } | undefined;
    try {
      while (!this.stopping) {
        const cp = await this.store.checkpoint();
        const from = cp ? cp.blockNumber + 1 : this.startBlock;
        if (from > target) return;
        const waitStart = Date.now();
        const range = next && next.from === from ? await next.promise : await this.fetchRange(from, target);
        this.stats.waitMs += Date.now() - waitStart;
        next = undefined;
        const first = range.headers.get(from)!;
        if (cp && first.parentHash !== cp.blockHash) {
          await this.handleReorg();
          continue;
        }
        // Read the next range while this one is written (backfill: the store and the node work in parallel).
        if (range.to < target && !this.stopping) {
          const promise = this.fetchRange(range.to + 1, target);
          promise.catch(() => {});
          next = { from: range.to + 1, promise };
        }
        try {
          await this.apply(range);
        } catch (error) {
          if (error instanceof DeterministicIndexingError) await this.halt(range, error);
          throw error;
        }
      }
    } finally {
      next?.promise.catch(() => {});
    }
  }

  private async fetchRange(from: number, target: number): Promise<FetchedRange> {
    const started = Date.now();
    try {
      return await this.fetchRangeUntimed(from, target);
    } finally {
      this.stats.fetchMs += Date.now() - started;
    }
  }

  private async fetchRangeUntimed(from: number, target: number): Promise<FetchedRange> {
    const { to, logs: raw } = await this.reader.logs(from, target);
    const logs = raw.filter((log) => !log.removed).map(triggerLog);
    const numbers = new Set<number>([from, to]);
    for (const log of logs) numbers.add(log.blockNumber);
    // Near the head every block is kept (reorg walk-back needs them); far behind only what the entities need.
    const dense = Math.max(from, target - this.reorgDepth + 1);
    for (let n = dense; n <= to; n++) numbers.add(n);
    const fetched = await this.reader.headers([...numbers]);
    const headers = new Map<number, BlockHeader>();
    for (const [n, h] of fetched) {
      if (!h) throw new ChainMovedError(`block ${n} is gone`);
      headers.set(n, h);
    }
    for (const log of logs) {
      const h = headers.get(log.blockNumber);
      if (h && h.hash !== log.blockHash) throw new ChainMovedError(`block ${log.blockNumber} changed while reading`);
    }
    for (let n = dense + 1; n <= to; n++) {
      if (headers.get(n)!.parentHash !== headers.get(n - 1)!.hash)
        throw new ChainMovedError(`block ${n} changed while reading`);
    }
    logs.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
    return { from, to, logs, headers };
  }

  private async apply(range: FetchedRange): Promise<void> {
    const last = range.headers.get(range.to)!;
    const checkpoint: Checkpoint = { blockNumber: range.to, blockHash: last.hash, timestamp: last.timestamp };
    const started = Date.now();
    let handled = started;
    let triggers = 0;
    const changes = await this.store.batchWithChanges(checkpoint, async (w) => {
      w.recordBlocks(
        [...range.headers.values()].map((h) => ({ number: h.number, hash: h.hash, parent: h.parentHash })),
      );
      triggers = await this.runner.run(w, range.logs, range.headers as ReadonlyMap<number, TriggerBlock>);
      handled = Date.now();
    });
    this.stats.batches++;
    this.stats.handleMs += handled - started;
    this.stats.commitMs += Date.now() - handled;
    this.stats.mappingMs = Math.round(this.runner.stats.mappingMs);
    this.stats.decodeMs = Math.round(this.runner.stats.decodeMs);
    if (this.phase === "backfill") this.governor.check();
    this.eventsApplied += triggers;
    this.options.metrics?.events?.inc(triggers);
    this.options.metrics?.blocks?.inc(range.to - range.from + 1);
    this.logger.debug({ from: range.from, to: range.to, events: triggers, changes: changes.length }, "batch committed");
    if (this.indexingError && range.to >= this.indexingError.block) {
      this.logger.info({ block: this.indexingError.block }, "indexed past the block of the last indexing error");
      this.indexingError = null;
      await this.store.setMeta(INDEXING_ERROR_META, "");
    }
    this.emit("checkpoint", checkpoint);
    if (changes.length > 0) this.emit("batch", changes, checkpoint);
    this.reportProgress(checkpoint.blockNumber);
  }

  /**
   * A mapping failed deterministically: commit the blocks of the range before the failing one, record the error
   * (`_meta.hasIndexingErrors`), and stop there. A restart (after a fix) retries from that block.
   */
  private async halt(range: FetchedRange, error: DeterministicIndexingError): Promise<void> {
    if (error.block > range.from) {
      const to = error.block - 1;
      let headers = new Map([...range.headers].filter(([n]) => n <= to));
      if (!headers.has(to)) {
        const fetched = await this.reader.headers([to]);
        const header = fetched.get(to);
        if (!header) throw new ChainMovedError(`block ${to} is gone`);
        headers = new Map([...headers, [to, header]]);
      }
      await this.apply({ from: range.from, to, logs: range.logs.filter((l) => l.blockNumber <= to), headers });
    }
    const record: StoredIndexingError = {
      message: error.message,
      dataSource: error.dataSource,
      handler: error.handler,
      block: error.block,
      transaction: error.transaction,
      logIndex: error.logIndex,
    };
    await this.store.setMeta(INDEXING_ERROR_META, JSON.stringify(record));
    this.indexingError = record;
    this.logger.error(
      { handler: `${error.dataSource}.${error.handler}`, block: error.block, tx: error.transaction, err: error.cause },
      `deterministic indexing error: ${error.message}; indexing stopped at block ${error.block}`,
    );
    this.emit("indexingError", record);
  }

  /** The deterministic error indexing stopped at, if any (until a batch passes its block). */
  indexingError: StoredIndexingError | null = null;

  private reportProgress(block: number): void {
    const elapsedMs = Date.now() - this.startedAt;
    const phase = this.phase === "follow" ? "follow" : "backfill";
    const total = Math.max(0, this.target - this.phaseStart);
    const progress: IndexerProgress = {
      phase,
      block,
      startBlock: this.startBlock,
      targetBlock: this.target,
      blocksDone: Math.min(total, Math.max(0, block - this.phaseStart)),
      blocksTotal: total,
      events: this.eventsApplied,
      eventsPerSecond: elapsedMs > 0 ? (this.eventsApplied * 1000) / elapsedMs : 0,
      elapsedMs,
    };
    this.emit("progress", progress);
    this.options.onProgress?.(progress);
  }

  /** Walks back to the newest stored block that is still on the chain and rolls back to it. */
  private async handleReorg(): Promise<void> {
    const cp = await this.store.checkpoint();
    if (!cp) return;
    const stored = await this.store.blockHashes(0);
    const windowStart = cp.blockNumber - this.reorgDepth;
    const numbers = [...stored.keys()].filter((n) => n <= cp.blockNumber).sort((a, b) => b - a);
    const candidates = numbers.filter((n) => n >= windowStart);
    const older = numbers.find((n) => n < windowStart);
    if (older !== undefined) candidates.push(older);
    const canonical = candidates.length ? await this.reader.headers(candidates) : new Map<number, BlockHeader | null>();
    const ancestor = candidates.find((n) => canonical.get(n)?.hash === stored.get(n));
    if (ancestor === undefined) {
      const whole = windowStart < this.startBlock;
      if (!whole && this.options.onDeepReorg === "error") {
        throw new ReorgTooDeepError(
          `no block of the last ${this.reorgDepth} below ${cp.blockNumber} is on the chain any more`,
        );
      }
      this.logger.warn(
        { from: cp.blockNumber },
        whole ? "reorg reaches before the deployment: re-indexing" : "reorg deeper than reorgDepth: re-indexing",
      );
      await this.store.reset();
      const info: ReorgInfo = { from: cp.blockNumber, to: this.startBlock - 1, reset: true };
      this.emit("reorg", info);
      return;
    }
    const header = canonical.get(ancestor)!;
    const changes = await this.store.rollbackWithChanges({
      blockNumber: ancestor,
      blockHash: header.hash,
      timestamp: header.timestamp,
    });
    this.logger.warn({ from: cp.blockNumber, to: ancestor, entities: changes.length }, "reorg: rolled back");
    const info: ReorgInfo = { from: cp.blockNumber, to: ancestor, reset: false };
    this.emit("reorg", info);
    this.emit("checkpoint", { blockNumber: ancestor, blockHash: header.hash, timestamp: header.timestamp });
    if (changes.length > 0) this.emit("batch", changes, await this.store.checkpoint());
  }
}

/** Opens the store (PGlite, or PostgreSQL with databaseUrl), migrates it, and returns an indexer ready to start(). */
export async function createIndexer(options: IndexerOptions): Promise<Indexer> {
  const depth = options.reorgDepth ?? DEFAULTS.reorgDepth;
  // The entities are the subgraph's: load it first, for its schema.
  const subgraph = resolveSubgraph(options.subgraph);
  options = { ...options, subgraph };
  let store = options.store;
  const owns = !store;
  if (!store) {
    store = await openStore({
      databaseUrl: options.databaseUrl,
      dataDir: options.dataDir,
      schema: options.dbSchema,
      model: options.model ?? subgraph.model,
      cacheSize: options.cacheSize,
      sharedBuffers: options.sharedBuffers,
      pgliteTemplate: options.pgliteTemplate,
      blockHashRetention: Math.max(256, depth * 2),
    });
  }
  try {
    return new Indexer(options, store, owns);
  } catch (error) {
    if (owns) await store.close();
    throw error;
  }
}
