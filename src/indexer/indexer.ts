// The Indexer: a subgraph's mappings over a chain into the store, backfilling from the subgraph's start blocks to
// the head and then following it. The phases live in ./phases: the range pipeline both phases run (ranges.ts:
// fetch, run the mappings, commit with the checkpoint), the backfill (backfill.ts), following the head
// (follow.ts) and reorgs (reorg.ts). This file resolves the options once, prepares the store (deployment and
// mappings changes, a recorded indexing error) and owns the lifecycle and the events (IndexerEvents): "batch"
// carries the changed entities ({ entity, id, block }[]), which the GraphQL server turns into subscription pushes.

import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import { DEFAULTS } from "../defaults";
import type { AccordDeployment } from "../deployments/format";
import { backfill } from "./phases/backfill";
import {
  INDEXING_ERROR_META,
  IndexerCore,
  type IndexerEvents,
  type IndexerMetrics,
  type IndexerProgress,
  type StoredIndexingError,
} from "./phases/core";
import { follow } from "./phases/follow";
import type { EntityModel } from "./schema/model";
import { openStore } from "./store/open";
import type { PgliteThread } from "./store/pglite";
import type { SqlStore } from "./store/store";
import type { Checkpoint } from "./store/types";
import type { EntityChange } from "./store/writer";
import { loadSubgraph, subgraphFingerprint, type SubgraphManifest } from "./subgraph/manifest";
import { defaultSubgraphDir } from "./subgraph/paths";
import { SubgraphRunner } from "./subgraph/runner";
import { ChainReader, type LogRangeOptions } from "./sync/chain";
import { loadDeployment, parseDeployment, type IndexerDeployment } from "./sync/deployment";
import { JsonRpcClient, type RpcClientOptions } from "./sync/rpc";

export {
  INDEXING_ERROR_META,
  ReorgTooDeepError,
  type IndexerEvents,
  type IndexerMetrics,
  type IndexerProgress,
  type ReorgInfo,
  type StoredIndexingError,
} from "./phases/core";

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
  /** Fetch the transactions of blocks with events, for ethereum.Event.transaction's from, to, value, gas, input and
   * nonce (one eth_getBlockByNumber with transactions per such block). Default: false for Accord's own subgraph,
   * whose mappings read only the hash; true for any other. Without them those fields are zero. */
  transactions?: boolean;
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
  /** PGlite shared_buffers (default 16MB). */
  sharedBuffers?: string;
  /** PGlite template cluster for new data directories (see PgliteDriverOptions.template). */
  pgliteTemplate?: string | null;
  /** Where PGlite runs (see PgliteDriverOptions.thread; default this thread). */
  pgliteThread?: PgliteThread;
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

function silentLogger(): Logger {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: pino loads only for the fallback logger, when the caller passes none
  const pino = require("pino") as typeof import("pino");
  return pino({ name: "accord-indexer", level: DEFAULTS.logLevel });
}

function resolveDeployment(d: NonNullable<IndexerOptions["deployment"]>): IndexerDeployment {
  return typeof d === "string" ? loadDeployment(d) : parseDeployment(d);
}

/** Accord's own mappings read no transaction field but the hash; another subgraph's may. */
function fetchesTransactions(options: IndexerOptions): boolean {
  return options.transactions ?? options.subgraph !== undefined;
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

export class Indexer extends EventEmitter<IndexerEvents> {
  readonly store: SqlStore;
  readonly deployment: IndexerDeployment | undefined;
  /** The subgraph, with the deployment's addresses and start blocks. */
  readonly subgraph: SubgraphManifest;
  readonly startBlock: number;
  readonly logger: Logger;
  readonly reader: ChainReader;
  private readonly core: IndexerCore;
  private readonly ownsStore: boolean;
  private runPromise: Promise<void> | undefined;
  private readyPromise: Promise<void> | undefined;
  private prepared = false;

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
    const runner = new SubgraphRunner(this.subgraph, this.logger);
    this.startBlock = runner.startBlock;
    this.reader = new ChainReader(new JsonRpcClient(options.rpcUrl, options.rpc), runner.filter, options.logRange);
    this.core = new IndexerCore(
      store,
      this.reader,
      runner,
      this.logger,
      {
        rpcUrl: options.rpcUrl,
        wsUrl: options.wsUrl,
        startBlock: this.startBlock,
        reorgDepth: options.reorgDepth ?? DEFAULTS.reorgDepth,
        pollMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
        onDeepReorg: options.onDeepReorg ?? "reset",
        toBlock: options.toBlock,
        follow: options.follow !== false && options.toBlock === undefined,
        transactions: fetchesTransactions(options),
        heapHeadroomMiB: options.heapHeadroomMiB ?? DEFAULTS.heapHeadroomMiB,
        gc: options.gc ?? (globalThis as { gc?: () => void }).gc,
        metrics: options.metrics,
        onProgress: options.onProgress,
      },
      this,
    );
  }

  /** "idle" before start(), then "backfill", "follow", and "stopped" or "failed". */
  get phase(): IndexerCore["phase"] {
    return this.core.phase;
  }

  /** Events (triggers) applied since start(). */
  get eventsApplied(): number {
    return this.core.eventsApplied;
  }

  /** Where the time went since start() (ms): fetchMs, waitMs, handleMs (decodeMs + mappingMs + store work), commitMs. */
  get stats(): Readonly<IndexerCore["stats"]> {
    return this.core.stats;
  }

  /** The deterministic error indexing stopped at, if any (`_meta.hasIndexingErrors`). */
  get indexingError(): StoredIndexingError | null {
    return this.core.indexingError;
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
      this.core.stopping = false;
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
          this.core.phase = "stopped";
          ready();
        },
        (error: unknown) => {
          this.core.phase = "failed";
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
    return this.core.heads?.connected ?? false;
  }

  /** Resolves when the indexer stops (stop(), or toBlock / follow: false reached); rejects on a fatal error. */
  done(): Promise<void> {
    return this.runPromise ?? Promise.resolve();
  }

  async stop(): Promise<void> {
    this.core.stopping = true;
    this.core.heads?.stop();
    this.core.wakeUp?.();
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
                                RUN
  //////////////////////////////////////////////////////////////*/

  /** Checks the chain, and clears the store when it holds another deployment's data. */
  private async prepare(): Promise<void> {
    if (this.prepared) return;
    const contracts: Record<string, { address: string; blockNumber: number }> = {};
    for (const source of this.subgraph.dataSources) {
      if (source.address !== null) contracts[source.name] = { address: source.address, blockNumber: source.startBlock };
    }
    await this.core.retrying(() =>
      this.reader.checkDeployment({ chainId: this.deployment?.chainId ?? null, contracts }),
    );
    const chainId = await this.core.retrying(() => this.reader.chainId());
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
    this.core.indexingError = error ? (JSON.parse(error) as StoredIndexingError) : null;
    this.prepared = true;
  }

  private async run(): Promise<void> {
    this.core.resetCounters();
    await this.prepare();
    await backfill(this.core);
    if (this.core.settings.follow && !this.core.stopping) await follow(this.core);
  }
}

/** Opens the store (PGlite, or PostgreSQL with databaseUrl), migrates it, and returns an indexer ready to start(). */
export async function createIndexer(options: IndexerOptions): Promise<Indexer> {
  const depth = options.reorgDepth ?? DEFAULTS.reorgDepth;
  // The entities are the subgraph's: load it first, for its schema.
  const subgraph = resolveSubgraph(options.subgraph);
  // Resolved before `subgraph` becomes the loaded manifest, which would read as "another subgraph".
  options = { ...options, transactions: fetchesTransactions(options), subgraph };
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
      pgliteThread: options.pgliteThread,
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
