// Profiling aid: generates the bench:indexer chain once and serves it over HTTP until killed, so that
// `accord index --no-follow` can be run (and profiled) against it repeatedly.
//   BENCH_CHAIN_PORT=8600 npx hardhat run scripts/bench/chain-server.ts
import fs from "node:fs";
import hre from "hardhat";
import { startLocalNode } from "../../src/devnet/local-node";
import { benchChain } from "./indexer";

async function main(): Promise<void> {
  const { deployment } = await benchChain();
  const port = Number(process.env.BENCH_CHAIN_PORT ?? 8600);
  const node = await startLocalNode({ provider: hre.network.provider, port });
  const file = process.env.BENCH_CHAIN_DEPLOYMENT ?? "/tmp/bench-deployment.json";
  fs.writeFileSync(file, JSON.stringify(deployment));
  console.log(`serving ${node.url}; deployment ${file}`);
  await new Promise(() => undefined);
}

void main();
