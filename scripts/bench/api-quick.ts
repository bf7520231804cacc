// One client's latency per solver query, this checkout against the baseline commit, on the same data, without the
// full `npm run bench:indexer` (no 50-client load, no backfill timing, no live lag, results not written):
//
//   BENCH_EVENTS=20000 BENCH_BLOCKS=2000 npx hardhat run scripts/bench/api-quick.ts
//
// The first run generates the history, indexes it with both builds (PGlite directories and, when DATABASE_URL or
// the default local PostgreSQL is reachable, two schemas) and keeps them in BENCH_API_DATA (default a directory
// under the OS temp directory, named after the baseline commit and the history's size); later runs reuse them and
// only serve and measure, so a change to the server is measured in seconds (`npm run build` first).
// BENCH_ONE_CLIENT_SECONDS (default 3) per query and server; BENCH_STORES=pglite,postgres chooses the stores.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalNode } from "../../src/devnet/local-node";
import { benchServe, DEFAULT_BASELINE_REF, prepareBaseline, type Build } from "./api";

const ROOT = path.resolve(__dirname, "..", "..");
const CURRENT: Build = { label: "new", root: ROOT, cli: path.join(ROOT, "dist", "src", "bin", "accord.js") };
const BASELINE_REF = process.env.BENCH_BASELINE_REF ?? DEFAULT_BASELINE_REF;
const SECONDS = Number(process.env.BENCH_ONE_CLIENT_SECONDS ?? 3);
const STORES = (process.env.BENCH_STORES ?? "pglite,postgres").split(",");
const DATABASE_URL = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const log = (message: string) => process.stderr.write(message + "\n");

interface Data {
  pglite: { baseline: string; current: string };
  /** The schemas' names, when PostgreSQL was reachable. */
  postgres?: { baseline: string; current: string };
}

async function prepareData(dir: string, baseline: Build): Promise<Data> {
  const manifest = path.join(dir, "data.json");
  if (fs.existsSync(manifest)) return JSON.parse(fs.readFileSync(manifest, "utf8")) as Data;
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only to build the data (Hardhat's network and the history generator); ts-node keeps dynamic import() native */
  const bench = require("./indexer") as typeof import("./indexer");
  const hre = require("hardhat") as typeof import("hardhat");
  /* eslint-enable @typescript-eslint/no-require-imports */
  fs.mkdirSync(dir, { recursive: true });
  const { deployment, generated } = await bench.benchChain();
  log(`history: ${generated.deals} deals`);
  const node = await startLocalNode({ provider: hre.network.provider, port: 0 });
  const deploymentFile = path.join(dir, "deployment.json");
  fs.writeFileSync(deploymentFile, JSON.stringify(deployment));
  const tag = path
    .basename(dir)
    .replace(/[^a-z0-9]/gi, "_")
    .toLowerCase();
  const data: Data = { pglite: { baseline: path.join(dir, "baseline-db"), current: path.join(dir, "db") } };
  try {
    await bench.runBackfill(baseline, node.url, deploymentFile, ["--data-dir", data.pglite.baseline]);
    await bench.runBackfill(CURRENT, node.url, deploymentFile, ["--data-dir", data.pglite.current]);
    if (await bench.postgresReachable(DATABASE_URL)) {
      data.postgres = { baseline: `${tag}_baseline`, current: tag };
      for (const [build, schema] of [
        [baseline, data.postgres.baseline],
        [CURRENT, data.postgres.current],
      ] as const) {
        await bench.dropSchema(DATABASE_URL, schema);
        await bench.runBackfill(build, node.url, deploymentFile, ["--database", DATABASE_URL, "--db-schema", schema]);
      }
    }
  } finally {
    await node.close();
  }
  fs.writeFileSync(manifest, JSON.stringify(data, null, 2));
  log(`kept the indexes in ${dir}`);
  return data;
}

async function main(): Promise<void> {
  if (!fs.existsSync(CURRENT.cli)) throw new Error(`${CURRENT.cli} is missing: run \`npm run build\` first`);
  const baseline = prepareBaseline(ROOT, BASELINE_REF, log);
  const events = process.env.BENCH_EVENTS ?? "100000";
  const blocks = process.env.BENCH_BLOCKS ?? "10000";
  const dir =
    process.env.BENCH_API_DATA ??
    path.join(os.tmpdir(), `accord-api-quick-${baseline.commit.slice(0, 12)}-${events}-${blocks}`);
  const data = await prepareData(dir, baseline);
  const port = 4600 + (process.pid % 300);
  const options = { clients: 1, seconds: 0, oneClientSeconds: SECONDS, oneClientOnly: true };
  const out: Record<string, unknown> = {};
  const stores: [string, string[], string[]][] = [
    ["pglite", ["--data-dir", data.pglite.baseline], ["--data-dir", data.pglite.current]],
  ];
  if (data.postgres) {
    const pg = (schema: string) => ["--database", DATABASE_URL, "--db-schema", schema];
    stores.push(["postgres", pg(data.postgres.baseline), pg(data.postgres.current)]);
  }
  for (const [name, baseStore, store] of stores) {
    if (!STORES.includes(name)) continue;
    const servers = [
      { build: baseline, store: baseStore },
      { build: CURRENT, store },
    ];
    const [base, current] = (await benchServe(servers, port, options, log)).figures;
    out[name] = current.oneClient.map((q, i) => ({
      name: q.name,
      baselineP50Ms: base.oneClient[i].p50Ms,
      p50Ms: q.p50Ms,
      ratio: Number((q.p50Ms / base.oneClient[i].p50Ms).toFixed(2)),
    }));
  }
  console.log(JSON.stringify(out, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
