// `accord dev` (= `npm start`): a local market with live data — an in-process Hardhat network on
// 127.0.0.1:8545 with Accord deployed, the indexer and the GraphQL API on 127.0.0.1:4000, and a demo market
// that keeps driving deals through every path.
import type { Command } from "commander";
import type {} from "@nomicfoundation/hardhat-ethers"; // types hre.ethers
import { closeOnSignal, createLogger, startIndexing } from "../indexing";

export type DevOptions = {
  host: string;
  port: string;
  apiPort: string;
  dataDir: string;
  demo: boolean;
  dealInterval: string;
  logLevel: string;
};

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("local network with Accord deployed, indexer, GraphQL API and a demo market")
    .option("--host <host>", "host of the JSON-RPC node and the API", "127.0.0.1")
    .option("--port <port>", "JSON-RPC port", "8545")
    .option("--api-port <port>", "GraphQL API port", "4000")
    .option("--data-dir <dir>", "PGlite data directory", ".accord/dev-db")
    .option("--no-demo", "no demo market activity")
    .option("--deal-interval <ms>", "pause between demo deals", "1000")
    .option("--log-level <level>", "pino level", process.env.ACCORD_LOG_LEVEL ?? "info")
    .action(async (options: DevOptions) => {
      await runDev(options);
    });
}

export async function runDev(options: DevOptions): Promise<void> {
  const logger = createLogger(options.logLevel);
  // Loaded here, not at the top: every `accord` command loads this module, and ethers, the TypeChain factories
  // and Hardhat are only for `accord dev` (`accord index` should not carry them).
  // Loading Hardhat reads hardhat.config.ts from the working directory: the in-process network, prague.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const hre = require("hardhat") as typeof import("hardhat");
  const { deployAccord } = require("../../deployments") as typeof import("../../deployments");
  const { MarketActivity } = require("../../devnet/activity") as typeof import("../../devnet/activity");
  const { startLocalNode } = require("../../devnet/local-node") as typeof import("../../devnet/local-node");
  /* eslint-enable @typescript-eslint/no-require-imports */
  await hre.run("compile", { quiet: true });
  const node = await startLocalNode({
    provider: hre.network.provider,
    hostname: options.host,
    port: Number(options.port),
  });
  const { deployment, path, token, market } = await deployAccord(hre, { network: "localhost", write: true });

  // A fresh chain every run: start from a fresh index too.
  const fs = await import("node:fs");
  fs.rmSync(options.dataDir, { recursive: true, force: true });
  const indexing = await startIndexing({
    rpcUrl: node.url,
    deployment: path!,
    dataDir: options.dataDir,
    host: options.host,
    port: Number(options.apiPort),
    logger,
  });
  await indexing.indexer.start();

  console.log(`JSON-RPC        ${node.url} (chain ${deployment.chainId})`);
  for (const [name, contract] of Object.entries(deployment.contracts)) {
    console.log(`${name.padEnd(16)}${contract.address} (block ${contract.blockNumber})`);
  }
  console.log(`deployment      ${path}`);
  console.log(`GraphQL         ${indexing.server!.url} (GraphiQL in a browser; subscriptions over SSE and WebSocket)`);
  console.log("Hardhat's default accounts hold ETH; account #0 holds the AccordToken supply.");

  const stopDemo = new AbortController();
  if (options.demo) {
    const [funder, ...others] = await hre.ethers.getSigners();
    const activity = new MarketActivity(
      market,
      token,
      {
        funder,
        jobCreators: others.slice(0, 3),
        resourceProviders: others.slice(3, 6),
        solver: others[6],
        mediators: others.slice(7, 9),
      },
      hre.network.provider as unknown as { send(method: string, params: unknown[]): Promise<unknown> },
    );
    await activity.fund();
    console.log("demo market running: deals through every path (happy, two-step, mediation, timeouts)");
    void activity.runForever({
      intervalMs: Number(options.dealInterval),
      signal: stopDemo.signal,
      onDeal: (path, dealId) => logger.info({ path, dealId }, "demo deal done"),
      onError: (error) => logger.warn({ err: error }, "demo deal failed"),
    });
  }
  closeOnSignal(async () => {
    stopDemo.abort();
    await indexing.close();
    await node.close();
  });
}
