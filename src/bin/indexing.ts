// What `accord index` and `accord dev` share: the indexer, the GraphQL API on its store, one metrics
// registry for both, a progress bar while backfilling, and an orderly stop.
import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import type { Indexer, IndexerProgress, StoreReader } from "../indexer";
import type { AccordServer } from "../server";
import type { PgliteThread } from "../indexer/store/pglite";
import { exposeGc, type LogSettings } from "./options";

export type IndexingOptions = {
  rpcUrl: string;
  wsUrl?: string;
  /** A deployment file, a network name (deployments/<network>.json), or the file's content. */
  deployment?: string | Record<string, unknown>;
  /** A built subgraph's directory (default Accord's). */
  subgraph?: string;
  databaseUrl?: string;
  dataDir?: string;
  dbSchema?: string;
  pgliteTemplate?: string | null;
  pgliteThread?: PgliteThread;
  toBlock?: number;
  follow?: boolean;
  pollIntervalMs?: number;
  reorgDepth?: number;
  /** Full GCs during the backfill to keep the heap within this many MiB of its start (0 = off); when above 0,
   * V8's gc is exposed for this process (see exposeGc). */
  heapHeadroomMiB?: number;
  logRange?: { maxRange?: number; initialRange?: number; targetLogs?: number };
  /** Serve the GraphQL API on the indexer's store (default true). */
  serve?: boolean;
  host?: string;
  port?: number;
  /** /ready answers 200 while the checkpoint is within this many blocks of the head. */
  maxHeadLag?: number;
  progress?: boolean;
  logger: Logger;
};

export type Indexing = {
  indexer: Indexer;
  server?: AccordServer;
  close(): Promise<void>;
};

export async function startIndexing(options: IndexingOptions): Promise<Indexing> {
  // Loaded here, not at the top: `accord dev` should not pay for them before it needs them.
  /* eslint-disable @typescript-eslint/no-require-imports -- deferred loading, see above */
  const { createIndexer } = require("../indexer") as typeof import("../indexer");
  const { Registry, collectDefaultMetrics } = require("prom-client") as typeof import("prom-client");
  const server = options.serve === false ? undefined : (require("../server") as typeof import("../server"));
  /* eslint-enable @typescript-eslint/no-require-imports */
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const indexer = await createIndexer({
    rpcUrl: options.rpcUrl,
    wsUrl: options.wsUrl,
    deployment: options.deployment,
    subgraph: options.subgraph,
    databaseUrl: options.databaseUrl,
    dataDir: options.dataDir,
    dbSchema: options.dbSchema,
    pgliteTemplate: options.pgliteTemplate,
    pgliteThread: options.pgliteThread,
    toBlock: options.toBlock,
    follow: options.follow,
    pollIntervalMs: options.pollIntervalMs,
    reorgDepth: options.reorgDepth,
    heapHeadroomMiB: options.heapHeadroomMiB,
    gc: options.heapHeadroomMiB === undefined || options.heapHeadroomMiB > 0 ? exposeGc() : undefined,
    logRange: options.logRange,
    logger: options.logger,
    metrics: server?.indexerMetrics(registry),
    onProgress: options.progress ? progressBar() : undefined,
  });

  let api: AccordServer | undefined;
  if (server) {
    api = await server.createServer({
      store: indexer.store,
      model: indexer.subgraph.model,
      hasIndexingErrors: () => indexer.indexingError !== null,
      changes: indexer,
      registry,
      host: options.host,
      port: options.port,
      maxHeadLag: options.maxHeadLag,
      headLag: () => headLag(options.rpcUrl, indexer.store),
      logger: options.logger,
    });
  }
  return {
    indexer,
    server: api,
    async close() {
      if (api) await api.close();
      await indexer.close();
    },
  };
}

/** Blocks between the node's head and the last indexed block (/ready and the head-lag gauge). */
export async function headLag(rpcUrl: string, store: StoreReader): Promise<number> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
  });
  const { result } = (await response.json()) as { result: string };
  const checkpoint = await store.checkpoint();
  return Number(BigInt(result)) - (checkpoint?.blockNumber ?? -1);
}

/** A cli-progress bar on stderr while backfilling. */
function progressBar(): (progress: IndexerProgress) => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- cli-progress only when a bar is shown
  const { SingleBar, Presets } = require("cli-progress") as typeof import("cli-progress");
  const bar = new SingleBar(
    { format: "backfill {bar} {value}/{total} blocks | {events} events | {eps} events/s", stream: process.stderr },
    Presets.shades_classic,
  );
  return (progress) => {
    if (progress.phase !== "backfill") {
      if (bar.isActive) bar.stop();
      return;
    }
    if (!bar.isActive) bar.start(progress.blocksTotal, 0, { events: 0, eps: 0 });
    bar.setTotal(progress.blocksTotal);
    bar.update(progress.blocksDone, { events: progress.events, eps: Math.round(progress.eventsPerSecond) });
    if (progress.blocksDone >= progress.blocksTotal) bar.stop();
  };
}

/** Stops `close` on SIGINT/SIGTERM (a second signal exits at once). */
export function closeOnSignal(close: () => Promise<void>): void {
  let signalled = false;
  const onSignal = () => {
    if (signalled) process.exit(1);
    signalled = true;
    void close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/**
 * This process's peak resident set size in MiB. On Linux it is the address space's high-water mark (VmHWM in
 * /proc/self/status). Not process.resourceUsage().maxRSS: Linux carries ru_maxrss across fork and exec, so in a
 * process spawned by a larger one (the benchmark spawns `accord index` from a Hardhat process holding a 10,000-block
 * chain, ~1 GiB) it reports the parent's peak, not ours. Elsewhere maxRSS is the best there is.
 */
export function peakRssMiB(): number {
  if (process.platform === "linux") {
    try {
      const status = readFileSync("/proc/self/status", "utf8");
      const kib = /^VmHWM:\s*(\d+)\s*kB/m.exec(status);
      if (kib) return Math.round(Number(kib[1]) / 1024);
    } catch {
      // no procfs: fall through
    }
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Logs (pino) on stderr, so stdout stays for results: JSON lines, or pino-pretty's coloured lines for a terminal
 * (src/bin/options.ts resolveLog decides). Both write synchronously, so nothing is lost on process.exit().
 */
export function createLogger(settings: LogSettings): Logger {
  /* eslint-disable @typescript-eslint/no-require-imports -- pino-pretty is loaded only on a terminal */
  const pino = require("pino") as typeof import("pino");
  if (settings.format === "pretty") {
    const pretty = require("pino-pretty") as typeof import("pino-pretty");
    const stream = pretty({
      destination: 2,
      sync: true,
      colorize: true,
      translateTime: "SYS:HH:MM:ss.l",
      ignore: "pid,hostname,name",
      singleLine: true,
    });
    return pino({ name: "accord", level: settings.level }, stream);
  }
  /* eslint-enable @typescript-eslint/no-require-imports */
  return pino({ name: "accord", level: settings.level }, pino.destination(2));
}
