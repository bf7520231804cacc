// `accord dev`: a local market to build against — an in-process Hardhat network on 127.0.0.1:8545 with
// Accord deployed and the deployment file written for the clients and the indexer.
import type { Command } from "commander";
import type {} from "@nomicfoundation/hardhat-ethers"; // types hre.ethers
import { deployAccord } from "../../deployments";
import { startLocalNode } from "../../devnet/local-node";

export type DevOptions = { host: string; port: string };

export function registerDev(program: Command): void {
  program
    .command("dev")
    .description("run a local Hardhat network on 127.0.0.1:8545 with Accord deployed")
    .option("--host <host>", "JSON-RPC host", "127.0.0.1")
    .option("--port <port>", "JSON-RPC port", "8545")
    .action(async (options: DevOptions) => {
      await runDev(options);
    });
}

export async function runDev(options: DevOptions): Promise<void> {
  // Loading Hardhat reads hardhat.config.ts from the working directory: the in-process network, prague.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as typeof import("hardhat");
  await hre.run("compile", { quiet: true });
  const node = await startLocalNode({
    provider: hre.network.provider,
    hostname: options.host,
    port: Number(options.port),
  });
  const { deployment, path } = await deployAccord(hre, { network: "localhost", write: true });
  console.log(`JSON-RPC  ${node.url} (chain ${deployment.chainId})`);
  for (const [name, contract] of Object.entries(deployment.contracts)) {
    console.log(`${name.padEnd(16)}${contract.address} (block ${contract.blockNumber})`);
  }
  console.log(`deployment file: ${path}`);
  console.log("Hardhat's default accounts are funded with ETH; account #0 holds the AccordToken supply.");
  const stop = async () => {
    await node.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
