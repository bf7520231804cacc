// `accord index`: run a subgraph's mappings (Accord's, or --subgraph <dir>) over a chain from its start blocks,
// follow the head, serve the GraphQL API.
import type { Command } from "commander";
import { DEFAULTS } from "../../defaults";
import { closeOnSignal, createLogger, peakRssMiB, startIndexing } from "../indexing";
import { ENV_VARS, isTerminal, logFlags, resolveIndex, storeFlags, type IndexFlags } from "../options";

export function registerIndex(program: Command): void {
  const command = program
    .command("index")
    .description("index a deployment's contracts into PGlite (or PostgreSQL) and serve the GraphQL API")
    .requiredOption("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--ws <url>", "websocket JSON-RPC endpoint (eth_subscribe newHeads instead of polling)")
    .option(
      "--deployment <file>",
      "deployment file, or a network name for deployments/<network>.json (required for Accord's subgraph; with " +
        "--subgraph, its contracts override the data sources of the same name)",
    )
    .option(
      "--subgraph <dir>",
      "a built subgraph (graph build's output, or a directory with build/subgraph.yaml) to index instead of Accord's",
    );
  storeFlags(command)
    .option("--to-block <n>", "stop after this block")
    .option("--no-follow", "stop once the backfill reaches the head")
    .option("--no-serve", "index only; no GraphQL API")
    .option("--host <host>", `GraphQL API host (default ${DEFAULTS.host})`)
    .option("--port <port>", `GraphQL API port (default ${DEFAULTS.port})`)
    .option("--max-range <blocks>", "largest eth_getLogs range")
    .option("--initial-range <blocks>", "first eth_getLogs range")
    .option("--target-logs <n>", "logs per eth_getLogs range to aim for")
    .option("--poll <ms>", `head polling interval (default ${DEFAULTS.pollIntervalMs})`)
    .option("--reorg-depth <blocks>", `how far back a reorg may reach (default ${DEFAULTS.reorgDepth})`)
    .option(
      "--heap-headroom <MiB>",
      `during the backfill, a full GC whenever the heap grew this much (env ${ENV_VARS.heapHeadroomMiB}; ` +
        `default ${DEFAULTS.heapHeadroomMiB}; 0 = leave it to V8)`,
    )
    .option("--no-progress", "no progress bar");
  logFlags(command).action(async (flags: IndexFlags) => {
    const settings = resolveIndex(flags, process.env, isTerminal());
    const logger = createLogger(settings.log);
    const started = Date.now();
    const indexing = await startIndexing({
      rpcUrl: settings.rpcUrl,
      wsUrl: settings.wsUrl,
      deployment: settings.deployment,
      subgraph: settings.subgraph,
      databaseUrl: settings.store.databaseUrl,
      dataDir: settings.store.dataDir,
      dbSchema: settings.store.dbSchema,
      pgliteTemplate: settings.store.pgliteTemplate,
      pgliteThread: settings.store.pgliteThread,
      toBlock: settings.toBlock,
      follow: settings.follow,
      pollIntervalMs: settings.pollIntervalMs,
      reorgDepth: settings.reorgDepth,
      heapHeadroomMiB: settings.heapHeadroomMiB,
      logRange: settings.logRange,
      serve: settings.serve,
      host: settings.host,
      port: settings.port,
      progress: settings.progress,
      logger,
    });
    closeOnSignal(() => indexing.close());
    const backfillStarted = Date.now();
    try {
      await indexing.indexer.start();
      await indexing.indexer.done();
    } catch (error) {
      // As on graph-node, a deterministic indexing error leaves the API up (its _meta.hasIndexingErrors is true)
      // while following; a one-off run (--to-block, --no-follow) fails.
      if (
        !(error instanceof Error && error.name === "DeterministicIndexingError") ||
        !indexing.server ||
        !settings.follow
      )
        throw error;
      logger.error("indexing stopped by a deterministic error; the API keeps serving what was indexed before it");
      return;
    }
    // Stopped by --to-block or --no-follow: one JSON line for scripts (benchmarks, tests).
    const checkpoint = await indexing.indexer.store.checkpoint();
    // `seconds` is the indexing itself; opening the store (and migrating it) is `startupSeconds`.
    const seconds = (Date.now() - backfillStarted) / 1000;
    const events = indexing.indexer.eventsApplied;
    process.stdout.write(
      JSON.stringify({
        done: true,
        block: checkpoint?.blockNumber ?? null,
        events,
        seconds,
        startupSeconds: (backfillStarted - started) / 1000,
        eventsPerSecond: seconds > 0 ? events / seconds : 0,
        maxRssMiB: peakRssMiB(),
        stats: indexing.indexer.stats,
      }) + "\n",
    );
    await indexing.close();
  });
}
