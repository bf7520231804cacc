// Backfill benchmark: a synthetic market history (two-step agreement, results, accept: 17 events per deal,
// spread over BENCH_BLOCKS blocks) on the in-process Hardhat network, served over HTTP, indexed by the standalone
// runner in a child process (so its time and peak RSS are its own).
//
//   BENCH_EVENTS=100000 BENCH_BLOCKS=10000 npx hardhat run test/indexer/bench/backfill.ts
//   (BENCH_DATABASE_URL=postgres://… to index into PostgreSQL instead of PGlite)

import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { deployAccord, hre, makeTerms, newDealId, startRpcServer, tmpDir } from "../helpers/chain";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 10_000);
const EVENTS_PER_DEAL = 17;

async function main(): Promise<void> {
  const provider = hre.network.provider;
  const accord = await deployAccord();
  const market = accord.market;
  const marketAddress = await market.getAddress();
  const pairs: [string, string][] = [];
  for (let i = 1; i + 1 <= 8; i += 2) pairs.push([await accord.signers[i]!.getAddress(), await accord.signers[i + 1]!.getAddress()]);
  const solver = await accord.signers[9]!.getAddress();

  const deals = Math.ceil(EVENTS / EVENTS_PER_DEAL);
  const schedule: { from: string; data: string }[][] = Array.from({ length: BLOCKS }, () => []);
  for (let i = 0; i < deals; i++) {
    const [jc, rp] = pairs[i % pairs.length]!;
    const terms = makeTerms(jc, rp, solver, [solver], BigInt(1 + (i % 50)));
    const dealId = newDealId();
    const start = Math.min(BLOCKS - 4, Math.floor((i * (BLOCKS - 4)) / deals));
    const calls: [string, string, unknown[]][] = [
      [jc, "agree", [dealId, terms]],
      [rp, "agree", [dealId, terms]],
      [rp, "addResult", [dealId, terms, dealId, 10n]],
      [jc, "acceptResult", [dealId, terms, 10n]],
    ];
    const iface = market.interface as unknown as { encodeFunctionData(fn: string, args: unknown[]): string };
    calls.forEach(([from, fn, args], step) => schedule[start + step]!.push({ from, data: iface.encodeFunctionData(fn, args) }));
  }

  const t0 = Date.now();
  await provider.send("evm_setAutomine", [false]);
  for (let b = 0; b < BLOCKS; b++) {
    for (const tx of schedule[b]!) {
      await provider.send("eth_sendTransaction", [{ from: tx.from, to: marketAddress, data: tx.data, gas: "0x7a120" }]);
    }
    await provider.send("evm_mine", []);
    if (b % 1000 === 999) process.stderr.write(`generated ${b + 1}/${BLOCKS} blocks (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  }
  await provider.send("evm_setAutomine", [true]);
  const head = Number(await provider.send("eth_blockNumber", []));
  const logs = (await provider.send("eth_getLogs", [
    { fromBlock: "0x" + accord.deployment.dealMarket.blockNumber.toString(16), toBlock: "latest", address: marketAddress },
  ])) as unknown[];
  process.stderr.write(`chain: ${head} blocks, ${logs.length} market events, generated in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);

  const rpc = await startRpcServer();
  if (process.env.BENCH_HOLD) {
    // Keep serving the generated chain (for repeated indexer runs against it); prints the deployment file.
    const file = path.join(tmpDir("bench-hold"), "deployment.json");
    fs.writeFileSync(file, JSON.stringify(accord.file));
    process.stderr.write(`serving ${rpc.url}, deployment ${file}\n`);
    await new Promise(() => {});
  }
  if (process.env.BENCH_NODE_ONLY) {
    // How fast the node alone serves what a backfill reads (over HTTP, from this process).
    const post = async (body: unknown) => (await fetch(rpc.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).text();
    let t = Date.now();
    const text = await post({ jsonrpc: "2.0", id: 1, method: "eth_getLogs", params: [{ fromBlock: "0x1", toBlock: "latest", address: [marketAddress] }] });
    process.stderr.write(`eth_getLogs all: ${Date.now() - t} ms, ${(text.length / 1e6).toFixed(1)} MB\n`);
    for (const size of [100, 1000]) {
      t = Date.now();
      for (let b = 1; b <= head; b += size) {
        await post(Array.from({ length: Math.min(size, head - b + 1) }, (_, i) => ({ jsonrpc: "2.0", id: i, method: "eth_getBlockByNumber", params: ["0x" + (b + i).toString(16), false] })));
      }
      process.stderr.write(`${head} headers in batches of ${size}: ${Date.now() - t} ms\n`);
    }
  }
  const dir = tmpDir("bench");
  const deploymentFile = path.join(dir, "deployment.json");
  fs.writeFileSync(deploymentFile, JSON.stringify(accord.file));
  const benchSchema = `accord_bench_${process.pid}`;
  const target = process.env.BENCH_DATABASE_URL
    ? ["--database-url", process.env.BENCH_DATABASE_URL, "--db-schema", benchSchema]
    : ["--data-dir", path.join(dir, "db")];
  const env: NodeJS.ProcessEnv = { ...process.env, ACCORD_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "warn" };
  delete env.DATABASE_URL;
  const started = Date.now();
  const child = spawn(
    "/usr/bin/time",
    [
      "-f",
      "wall %e s, peak RSS %M KiB (largest process of the tree)",
      process.execPath,
      // BENCH_RUNNER=dist/src/indexer/bin/run.js: the compiled runner (no ts-node in the process)
      ...(process.env.BENCH_RUNNER ? [process.env.BENCH_RUNNER] : ["-r", "ts-node/register/transpile-only", "src/indexer/bin/run.ts"]),
      "--rpc", rpc.url, "--deployment", deploymentFile, ...target, "--no-follow"],
    { cwd: path.resolve(__dirname, "../../.."), env, stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const summary = JSON.parse(out.trim().split("\n").pop() ?? "{}") as { events: number; seconds: number; eventsPerSecond: number; maxRssMiB: number };
  process.stderr.write(
    `indexer exit ${code}: ${summary.events} events in ${summary.seconds?.toFixed(2)} s = ${Math.round(summary.eventsPerSecond)} events/s ` +
      `(process total ${((Date.now() - started) / 1000).toFixed(1)} s), indexer peak RSS ${summary.maxRssMiB} MiB\n`,
  );
  await rpc.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (process.env.BENCH_DATABASE_URL) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require("pg") as typeof import("pg");
    const client = new Client({ connectionString: process.env.BENCH_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${benchSchema}" CASCADE`);
    await client.end();
  }
}

// `hardhat test` loads every file under test/: run only when executed directly.
if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
