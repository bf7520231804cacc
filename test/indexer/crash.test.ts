// Crash safety: the indexer runs in a child process (`accord index`) over a backfill and is killed with
// SIGKILL at random points, several times, then restarted to the end. Its final state (every entity version with
// its block range, and the checkpoint) must equal an uninterrupted run's: nothing lost, nothing applied twice.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import pino from "pino";
import { createIndexer, openStore, type OpenStoreOptions } from "../../src/indexer";
import {
  deployAccord,
  headBlock,
  makeTerms,
  newDealId,
  startRpcServer,
  tmpDir,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { id32, PoolDriver } from "./helpers/pools";
import { freshPgliteDir, pglite, STORE_KINDS } from "./helpers/stores";

const silent = pino({ level: "silent" });
const ROOT = path.resolve(__dirname, "../..");
const KILLS = 4;

interface Child {
  process: ChildProcess;
  started: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function runChild(args: string[], env: NodeJS.ProcessEnv): Child {
  // The `accord index` command, as an operator runs it (without the API: this test is about the index).
  const child = spawn(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", "src/bin/accord.ts", "index", "--no-serve", "--no-progress", ...args],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let markStarted: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes("backfill starting")) markStarted();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) =>
      child.on("exit", (code, signal) => {
        markStarted();
        resolve({ code, signal, stdout, stderr });
      }),
  );
  return { process: child, started, exited };
}

async function history(accord: Accord, deals: number): Promise<void> {
  const [, jc, rp, solver, m1] = accord.signers;
  const addrs = await Promise.all([jc, rp, solver, m1].map((s) => s.getAddress()));
  // Capacity pools alongside the deals: a farm of the provider's; every 15 deals a pool of the job creator's with a
  // running workload, synced a few deals later.
  const pools = new PoolDriver(accord);
  await pools.approve([jc]);
  const farm = await pools.createFarm(rp, "crash farm", { cu: 1n, su: 1n, ipv4u: 1n });
  const node = id32("crash node");
  await pools.declareNodes(rp, farm, [node]);
  let pool = "";
  for (let i = 0; i < deals; i++) {
    const terms = makeTerms(addrs[0], addrs[1], addrs[2], [addrs[3]], BigInt(i + 1));
    const dealId = newDealId();
    await (await accord.market.connect(jc).agree(dealId, terms)).wait();
    await (await accord.market.connect(rp).agree(dealId, terms)).wait();
    if (i % 3 === 0) await (await accord.market.connect(rp).addResult(dealId, terms, dealId, BigInt(i))).wait();
    if (i % 15 === 0) {
      ({ poolId: pool } = await pools.reserve({
        customer: jc,
        input: { farmId: farm, cus: 100_000n, nodeIds: [node] },
      }));
      const workload = id32(`crash workload ${i}`);
      await pools.assign(jc, workload, pool, node, { cu: 1000n, su: 0n, ipv4u: 0n });
      await pools.start(rp, workload);
    } else if (i % 15 === 7) await pools.sync(solver, pool);
  }
}

describe("indexer: crash safety (kill -9 a child indexer)", function () {
  this.timeout(600_000);
  let rpc: RpcServer;
  let accord: Accord;
  let deploymentFile: string;
  let expectedDigest: string;
  let head: number;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord();
    await history(accord, 90);
    head = await headBlock();
    const dir = tmpDir("crash");
    deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(accord.file));
    // The uninterrupted run, in-process.
    const { store, cleanup } = await pglite.open();
    try {
      const indexer = await createIndexer({
        rpcUrl: rpc.url,
        deployment: accord.deployment,
        store,
        toBlock: head,
        logger: silent,
      });
      await indexer.start();
      await indexer.done();
      expectedDigest = await store.digest();
    } finally {
      await cleanup();
    }
  });
  after(async () => {
    await rpc?.close();
    if (deploymentFile) fs.rmSync(path.dirname(deploymentFile), { recursive: true, force: true });
  });

  for (const kind of STORE_KINDS) {
    it(`resumes from its checkpoint after each SIGKILL and ends identical to an uninterrupted run (${kind.name})`, async () => {
      const env: NodeJS.ProcessEnv = { ...process.env, ACCORD_LOG_LEVEL: "info" };
      delete env.DATABASE_URL;
      let storeOptions: OpenStoreOptions;
      let target: string[];
      if (kind.name !== "postgres") {
        const dataDir = await freshPgliteDir();
        const thread = kind.name === "pglite" ? "main" : "worker";
        storeOptions = { dataDir, pgliteThread: thread };
        target = ["--data-dir", dataDir, "--pglite-thread", thread];
      } else {
        const schema = `accord_crash_${randomBytes(4).toString("hex")}`;
        storeOptions = { databaseUrl: process.env.DATABASE_URL, schema };
        target = ["--database", process.env.DATABASE_URL!, "--db-schema", schema];
      }
      const args = [
        "--rpc",
        rpc.url,
        "--deployment",
        deploymentFile,
        ...target,
        "--to-block",
        String(head),
        "--initial-range",
        "1",
        "--max-range",
        "3",
      ];
      const checkpoints: number[] = [];
      try {
        for (let i = 0; i < KILLS; i++) {
          const child = runChild(args, env);
          await child.started;
          await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 400)));
          child.process.kill("SIGKILL");
          const exit = await child.exited;
          expect(exit.signal === "SIGKILL" || exit.code === 0, exit.stderr.slice(-2000)).to.equal(true);
          // What survived is a consistent prefix: reopening recovers it (PGlite replays its WAL).
          const store = await openStore(storeOptions);
          checkpoints.push((await store.checkpoint())?.blockNumber ?? -1);
          await store.close();
        }
        const last = runChild(args, env);
        const exit = await last.exited;
        expect(exit.code, exit.stderr.slice(-2000)).to.equal(0);
        const summary = JSON.parse(exit.stdout.trim().split("\n").pop()!) as { done: boolean; block: number };
        expect(summary).to.include({ done: true, block: head });

        // Progress accumulated across the kills (each restart resumed rather than starting over).
        expect(
          checkpoints.filter((c) => c > accord.deployment.contracts.DealMarket.blockNumber && c < head).length,
          String(checkpoints),
        ).to.be.greaterThan(0);
        for (let i = 1; i < checkpoints.length; i++) expect(checkpoints[i]).to.be.at.least(checkpoints[i - 1]);

        const store = await openStore(storeOptions);
        try {
          expect((await store.checkpoint())!.blockNumber).to.equal(head);
          expect(await store.digest()).to.equal(expectedDigest);
          // The deployment file's CapacityPools was indexed too.
          expect((await store.counts()).Pool, "pool versions").to.be.greaterThan(0);
          if (kind.name === "postgres") await store.dropSchema();
        } finally {
          await store.close();
        }
      } finally {
        if (storeOptions.dataDir) {
          fs.rmSync(storeOptions.dataDir, { recursive: true, force: true });
          fs.rmSync(`${storeOptions.dataDir}.lock`, { force: true });
        }
      }
      if (process.env.ACCORD_TEST_VERBOSE) {
        // eslint-disable-next-line no-console -- diagnostics, only with ACCORD_TEST_VERBOSE
        console.log(`checkpoints at the kills: ${checkpoints.join(", ")} (head ${head})`);
      }
    });
  }
});
