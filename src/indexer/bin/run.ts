#!/usr/bin/env node
// Standalone indexer runner: `ts-node src/indexer/bin/run.ts --rpc http://127.0.0.1:8545 --deployment localhost`
// (or node dist/src/indexer/bin/run.js). Backfills, then follows the head until SIGINT/SIGTERM, or stops at
// --to-block / with --no-follow and prints a JSON summary line on stdout.

import { Command } from "commander";
import { createIndexer, type IndexerProgress } from "../index";

interface Flags {
  rpc: string;
  ws?: string;
  deployment: string;
  databaseUrl?: string;
  dataDir?: string;
  dbSchema?: string;
  toBlock?: string;
  follow: boolean;
  maxRange?: string;
  initialRange?: string;
  targetLogs?: string;
  poll?: string;
  reorgDepth?: string;
  logLevel: string;
  progress?: boolean;
  sharedBuffers?: string;
}

async function main(): Promise<void> {
  const program = new Command()
    .name("accord-indexer")
    .requiredOption("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--ws <url>", "websocket endpoint (newHeads)")
    .requiredOption("--deployment <fileOrNetwork>", "deployment file, or a network name for deployments/<network>.json")
    .option("--database-url <url>", "PostgreSQL instead of PGlite", process.env.DATABASE_URL)
    .option("--data-dir <dir>", "PGlite data directory", ".accord/db")
    .option("--db-schema <name>", "SQL schema for the tables", "accord")
    .option("--to-block <n>", "stop after this block")
    .option("--no-follow", "stop after the backfill")
    .option("--max-range <blocks>", "largest eth_getLogs range")
    .option("--initial-range <blocks>", "first eth_getLogs range")
    .option("--target-logs <n>", "logs per range to aim for")
    .option("--poll <ms>", "head polling interval")
    .option("--reorg-depth <blocks>", "how far back a reorg may reach")
    .option("--log-level <level>", "pino level", process.env.ACCORD_LOG_LEVEL ?? "info")
    .option("--progress", "progress bar on stderr")
    .option("--shared-buffers <size>", "PGlite shared_buffers (default 32MB)")
    .parse();
  const flags = program.opts<Flags>();
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pino = require("pino") as typeof import("pino");
  const logger = pino({ name: "accord-indexer", level: flags.logLevel }, pino.destination(2));

  let bar: import("cli-progress").SingleBar | undefined;
  if (flags.progress) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { SingleBar, Presets } = require("cli-progress") as typeof import("cli-progress");
    bar = new SingleBar({ format: "{bar} {value}/{total} blocks | {events} events | {eps} ev/s", stream: process.stderr }, Presets.shades_classic);
  }
  const onProgress = (p: IndexerProgress): void => {
    if (!bar || p.phase !== "backfill") return;
    if (!bar.isActive) bar.start(p.blocksTotal, 0, { events: 0, eps: 0 });
    bar.setTotal(p.blocksTotal);
    bar.update(p.blocksDone, { events: p.events, eps: Math.round(p.eventsPerSecond) });
  };

  const indexer = await createIndexer({
    rpcUrl: flags.rpc,
    wsUrl: flags.ws,
    deployment: flags.deployment,
    databaseUrl: flags.databaseUrl,
    dataDir: flags.dataDir,
    dbSchema: flags.dbSchema,
    sharedBuffers: flags.sharedBuffers,
    toBlock: num(flags.toBlock),
    follow: flags.follow,
    pollIntervalMs: num(flags.poll),
    reorgDepth: num(flags.reorgDepth),
    logRange: { maxRange: num(flags.maxRange), initialRange: num(flags.initialRange), targetLogs: num(flags.targetLogs) },
    logger,
    onProgress,
  });

  let signalled = false;
  const shutdown = (): void => {
    if (signalled) process.exit(1);
    signalled = true;
    void indexer.close().then(() => process.exit(0));
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);

  const started = Date.now();
  await indexer.start();
  bar?.stop();
  await indexer.done();
  const cp = await indexer.store.checkpoint();
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({
      done: true,
      block: cp?.blockNumber ?? null,
      events: indexer.eventsApplied,
      seconds,
      eventsPerSecond: seconds > 0 ? indexer.eventsApplied / seconds : 0,
      maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      memoryMiB: Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 1048576)])),
      stats: indexer.stats,
    }) + "\n",
  );
  await indexer.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`accord-indexer: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
