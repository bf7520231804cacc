// `accord dev` (= `npm start`): a live local market — an in-process Hardhat network on 127.0.0.1:8545 with Accord
// deployed, the indexer and the GraphQL API on 127.0.0.1:4000, and the market itself (src/devnet/market.ts): the
// solver on 127.0.0.1:4100, nine agents and four operator nodes, each its own `accord` process, whose decisions take
// deals down every path.
//
// It runs from the built package with its runtime dependencies only: the network is Hardhat's core provider built
// from a fixed configuration (src/devnet/local-node.ts; no hardhat.config.ts, no plugins), the contracts are
// deployed with the TypeChain factories (their bytecode comes from the build) by ethers signers over the node's
// JSON-RPC endpoint, and nothing is compiled at run time.
import fs from "node:fs";
import net from "node:net";
import type { Command } from "commander";
import { DEFAULTS } from "../../defaults";
import { closeOnSignal, createLogger, startIndexing } from "../indexing";
import { DEV_DEFAULTS, isTerminal, logFlags, resolveDev, type DevFlags, type DevSettings } from "../options";

export function registerDev(program: Command): void {
  const command = program
    .command("dev")
    .description("local network with Accord deployed, indexer, GraphQL API and a demo market")
    .option("--host <host>", `host of the JSON-RPC node and the API (default ${DEFAULTS.host})`)
    .option("--port <port>", `JSON-RPC port (default ${DEV_DEFAULTS.rpcPort})`)
    .option("--api-port <port>", `GraphQL API port (default ${DEFAULTS.port})`)
    .option("--data-dir <dir>", `PGlite data directory, emptied at start (default ${DEV_DEFAULTS.dataDir})`)
    .option("--pglite-template <dir>", 'PGlite template cluster, or "off" (as for accord index)')
    .option("--pglite-thread <thread>", "worker or main (as for accord index)")
    .option("--no-market", "no solver and agents: the chain, the indexer and the API only")
    .option("--solver-port <port>", `the market's solver API port (default ${DEV_DEFAULTS.solverPort})`);
  logFlags(command).action(async (flags: DevFlags) => {
    await runDev(resolveDev(flags, process.env, isTerminal()));
  });
}

/** Fails early, with a message, if host:port is taken (before anything is started or deleted). */
async function assertPortFree(host: string, port: number, what: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE"
          ? new Error(`${what} port ${host}:${port} is in use (another accord dev or hardhat node?); stop it first`)
          : error,
      );
    });
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** A port free on `host` now (for the market's oracles, whose URLs the operators are started with). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** The market's deals by state, from the indexer: what the live market has shown so far. */
async function logDealSummary(url: string, logger: ReturnType<typeof createLogger>): Promise<void> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ deals(first: 1000) { state } }" }),
    });
    const { data } = (await response.json()) as { data?: { deals: { state: string }[] } };
    const byState: Record<string, number> = {};
    for (const { state } of data?.deals ?? []) byState[state] = (byState[state] ?? 0) + 1;
    logger.info({ deals: byState }, "market so far");
  } catch (error) {
    logger.warn({ err: error }, "deal summary failed");
  }
}

export async function runDev(settings: DevSettings): Promise<void> {
  const logger = createLogger(settings.log);
  // Loaded here, not at the top: every `accord` command loads this module, and ethers, the TypeChain factories
  // and Hardhat are only for `accord dev` (`accord index` should not carry them).
  /* eslint-disable @typescript-eslint/no-require-imports -- deferred loading, see above */
  const { JsonRpcProvider, Network } = require("ethers") as typeof import("ethers");
  const { deployAccord } = require("../../deployments") as typeof import("../../deployments");
  const { DEV_AGGREGATOR_SLOT, startLiveMarket } =
    require("../../devnet/market") as typeof import("../../devnet/market");
  const { startPoolsMarket } = require("../../devnet/pools") as typeof import("../../devnet/pools");
  const { startEscrowMarket } = require("../../devnet/escrow") as typeof import("../../devnet/escrow");
  const { DEV_ACCEPTANCE_TIMEOUT, DEV_ATTESTATION_WINDOW, ORACLE_ACCOUNTS } =
    require("../../devnet/escrow-jobs") as typeof import("../../devnet/escrow-jobs");
  const { LOCAL_NETWORK, startLocalNode } =
    require("../../devnet/local-node") as typeof import("../../devnet/local-node");
  /* eslint-enable @typescript-eslint/no-require-imports */

  await assertPortFree(settings.host, settings.rpcPort, "JSON-RPC");
  await assertPortFree(settings.host, settings.apiPort, "GraphQL API");
  if (settings.market) await assertPortFree(settings.host, settings.solverPort, "solver API");

  // A block a second besides one per transaction: the market's deadlines are read from the latest block.
  const node = await startLocalNode({ hostname: settings.host, port: settings.rpcPort, intervalMiningMs: 1000 });
  let market: Awaited<ReturnType<typeof startLiveMarket>> | undefined;
  let pools: Awaited<ReturnType<typeof startPoolsMarket>> | undefined;
  let escrow: Awaited<ReturnType<typeof startEscrowMarket>> | undefined;
  let indexing: Awaited<ReturnType<typeof startIndexing>> | undefined;
  const provider = new JsonRpcProvider(node.url, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 250,
  });
  const close = async () => {
    await escrow?.close();
    await pools?.close();
    await market?.close();
    await indexing?.close();
    provider.destroy();
    await node.close();
  };
  try {
    // Hardhat's default accounts, unlocked on the node: #0 deploys (and holds the token supply).
    const signers = await provider.listAccounts();
    const { deployment, path, token } = await deployAccord(signers[0], {
      network: "localhost",
      write: true,
      // Short aggregator slots: the market's operator quorum answers (and replaces a silent aggregator) in seconds.
      aggregatorSlot: DEV_AGGREGATOR_SLOT,
      acceptanceTimeout: DEV_ACCEPTANCE_TIMEOUT,
      attestationWindow: DEV_ATTESTATION_WINDOW,
    });

    // A fresh chain every run: start from a fresh index too (the lock file of a killed run is taken over).
    fs.rmSync(settings.store.dataDir, { recursive: true, force: true });
    indexing = await startIndexing({
      rpcUrl: node.url,
      deployment: path!,
      dataDir: settings.store.dataDir,
      dbSchema: settings.store.dbSchema,
      pgliteTemplate: settings.store.pgliteTemplate,
      pgliteThread: settings.store.pgliteThread,
      heapHeadroomMiB: settings.heapHeadroomMiB,
      host: settings.host,
      port: settings.apiPort,
      logger,
    });
    await indexing.indexer.start();

    console.log(`JSON-RPC        ${node.url} (chain ${deployment.chainId})`);
    for (const [name, contract] of Object.entries(deployment.contracts)) {
      console.log(`${name.padEnd(16)}${contract.address} (block ${contract.blockNumber})`);
    }
    console.log(`deployment      ${path}`);
    console.log(
      `GraphQL         ${indexing.server!.url} (GraphiQL in a browser; subscriptions over SSE and WebSocket)`,
    );
    console.log("Hardhat's default accounts hold ETH; account #0 holds the AccordToken supply.");

    if (settings.market) {
      const oraclePorts: number[] = [];
      for (const _ of ORACLE_ACCOUNTS) oraclePorts.push(await freePort(settings.host));
      const oracleUrls = oraclePorts.map((port) => `http://${settings.host}:${port}`);
      market = await startLiveMarket({
        jobReportUrls: oracleUrls,
        rpcUrl: node.url,
        deploymentPath: path!,
        indexerUrl: indexing.server!.url,
        token,
        funder: signers[0],
        dir: settings.marketDir,
        host: settings.host,
        solverPort: settings.solverPort,
        logger,
        logArgs: ["--log-level", settings.log.level, "--log-format", settings.log.format],
      });
      console.log(`solver          ${market.solverUrl}`);
      pools = await startPoolsMarket({
        rpcUrl: node.url,
        deploymentPath: path!,
        provider,
        token,
        funder: signers[0],
        dir: settings.marketDir,
        logger,
        logArgs: ["--log-level", settings.log.level, "--log-format", settings.log.format],
      });
      console.log(`capacity farm   ${pools.farmId} (6 nodes; its watcher runs as \`accord pools watch\`)`);
      escrow = await startEscrowMarket({
        rpcUrl: node.url,
        deploymentPath: path!,
        provider,
        token,
        funder: signers[0],
        dir: settings.marketDir,
        host: settings.host,
        oraclePorts,
        logger,
        logArgs: ["--log-level", settings.log.level, "--log-format", settings.log.format],
      });
      for (const machine of escrow.machines) console.log(`machine         ${machine.machineId} ${machine.name}`);
      for (const url of escrow.oracleUrls) console.log(`oracle          ${url}`);
      console.log(
        "market running: 4 providers (one sometimes wrong, one sometimes silent), 3 job creators, 2 mediators " +
          "and a quorum of 4 operators (the QuorumMediator, a square task every 30 s); " +
          "capacity pools: a steady one, a sponsored one, and every 8 minutes one rescued in grace and one expiring; " +
          `${escrow.machines.length} machines onboarded in the MachineRegistry; escrowed jobs every 40 s with every ` +
          "outcome (10000, 0, 7500, 5000 attested 2-of-3 by 3 oracles, one by the operator quorum, and both refunds)",
      );
      const summary = setInterval(() => void logDealSummary(indexing!.server!.url, logger), 60_000);
      summary.unref();
    }
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  closeOnSignal(close);
}
