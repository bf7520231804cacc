// `accord index`: backfill the Accord contracts of a deployment, follow the head, serve the GraphQL API.
import type { Command } from "commander";
import { closeOnSignal, createLogger, peakRssMiB, startIndexing } from "../indexing";

type IndexFlags = {
  rpc: string;
  ws?: string;
  deployment: string;
  databaseUrl?: string;
  dataDir: string;
  dbSchema: string;
  toBlock?: string;
  follow: boolean;
  serve: boolean;
  host: string;
  port: string;
  maxRange?: string;
  initialRange?: string;
  targetLogs?: string;
  poll?: string;
  reorgDepth?: string;
  logLevel: string;
  progress: boolean;
};

const num = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

export function registerIndex(program: Command): void {
  program
    .command("index")
    .description("index a deployment's contracts into PGlite (or PostgreSQL) and serve the GraphQL API")
    .requiredOption("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--ws <url>", "websocket JSON-RPC endpoint (eth_subscribe newHeads instead of polling)")
    .requiredOption("--deployment <file>", "deployment file, or a network name for deployments/<network>.json")
    .option("--database <url>", "PostgreSQL URL instead of the embedded PGlite (default: $DATABASE_URL)")
    .option("--data-dir <dir>", "PGlite data directory", ".accord/db")
    .option("--db-schema <name>", "SQL schema of the tables", "accord")
    .option("--to-block <n>", "stop after this block")
    .option("--no-follow", "stop once the backfill reaches the head")
    .option("--no-serve", "index only; no GraphQL API")
    .option("--host <host>", "GraphQL API host", "127.0.0.1")
    .option("--port <port>", "GraphQL API port", "4000")
    .option("--max-range <blocks>", "largest eth_getLogs range")
    .option("--initial-range <blocks>", "first eth_getLogs range")
    .option("--target-logs <n>", "logs per eth_getLogs range to aim for")
    .option("--poll <ms>", "head polling interval")
    .option("--reorg-depth <blocks>", "how far back a reorg may reach")
    .option("--log-level <level>", "pino level", process.env.ACCORD_LOG_LEVEL ?? "info")
    .option("--no-progress", "no progress bar")
    .action(async (flags: IndexFlags & { database?: string }) => {
      const logger = createLogger(flags.logLevel);
      const started = Date.now();
      const indexing = await startIndexing({
        rpcUrl: flags.rpc,
        wsUrl: flags.ws,
        deployment: flags.deployment,
        databaseUrl: flags.database ?? process.env.DATABASE_URL,
        dataDir: flags.dataDir,
        dbSchema: flags.dbSchema,
        toBlock: num(flags.toBlock),
        follow: flags.follow,
        pollIntervalMs: num(flags.poll),
        reorgDepth: num(flags.reorgDepth),
        logRange: {
          maxRange: num(flags.maxRange),
          initialRange: num(flags.initialRange),
          targetLogs: num(flags.targetLogs),
        },
        serve: flags.serve,
        host: flags.host,
        port: num(flags.port),
        progress: flags.progress && process.stderr.isTTY,
        logger,
      });
      closeOnSignal(indexing.close);
      const backfillStarted = Date.now();
      await indexing.indexer.start();
      await indexing.indexer.done();
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
