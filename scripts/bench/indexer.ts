// Indexer benchmark: `npm run bench:indexer` → bench/results/indexer.json.
//
// 1. A market history on the in-process Hardhat network: real deals through every path (one-transaction and
//    two-step agreements, results accepted, mediation both ways, one with its draw fixed on chain first, every
//    timeout), at least BENCH_EVENTS DealMarket events over at least BENCH_BLOCKS blocks, served over HTTP from
//    this process.
// 2. The raw ceiling: a bare `eth_getLogs` loop with fetch over the same blocks, in the same run.
// 3. Backfill: `accord index --no-follow` (the compiled CLI) in a child process, so its time and peak RSS
//    are its own; on PGlite (a fresh data directory), BENCH_BACKFILL_RUNS times alternating with the baseline
//    (the median run is the figure), then on PostgreSQL when one is reachable.
// 4. API under load (scripts/bench/api.ts): the baseline commit (BENCH_BASELINE_REF, a git worktree with its own
//    build) and this checkout each index the chain with their own CLI and serve it with `accord serve`, on PGlite
//    and on PostgreSQL; 50 concurrent clients run the four solver queries for BENCH_API_SECONDS, with parameters
//    drawn at random from the indexed data, then one client alone per query.
// 5. Live lag: `accord index` following the head at default settings; from each new transaction's receipt
//    to its deal being visible in the API.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre from "hardhat";
import { Client as PgClient } from "pg";
import type { Interface, Signer } from "ethers";
import { deployAccord } from "../../src/deployments";
import { startLocalNode } from "../../src/devnet/local-node";
import { DEAL_AGREEMENT_TYPES, dealMarketDomain, type OnChainDealTerms } from "../../src/clients/terms";
import { dealKey } from "../../src/model";
import {
  benchServe,
  DEFAULT_BASELINE_REF,
  graphql,
  prepareBaseline,
  startCli,
  stopChild,
  waitFor,
  type ApiFigures,
  type Build,
  type SamplePool,
} from "./api";

const { ethers } = hre;
const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? 10_000);
const API_SECONDS = Number(process.env.BENCH_API_SECONDS ?? 20);
const API_CLIENTS = Number(process.env.BENCH_API_CLIENTS ?? 50);
/** How long one client alone runs each query. */
const ONE_CLIENT_SECONDS = Number(process.env.BENCH_ONE_CLIENT_SECONDS ?? Math.min(5, Math.max(2, API_SECONDS / 4)));
const BASELINE_REF = process.env.BENCH_BASELINE_REF ?? DEFAULT_BASELINE_REF;
/** Backfills of each build (the median is the figure). */
const BACKFILL_RUNS = Math.max(1, Number(process.env.BENCH_BACKFILL_RUNS ?? 3));
const LIVE_SAMPLES = Number(process.env.BENCH_LIVE_SAMPLES ?? 100);
const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "dist", "src", "bin", "accord.js");
const CURRENT: Build = { label: "new", root: ROOT, cli: CLI };
const TOKEN = 10n ** 18n;
/** Every step's timeout, in seconds; each generated block is one second after the previous one. */
const STEP = 3n;
const INSTRUCTIONS = 1_000_000n;
const GAS = "0x927c0";

/** Ponder on this machine kind against a local Hardhat node, 100,000 events in 10,000 blocks (the issue). */
const ANCHOR = { ponderDefaultEventsPerSecond: 520, ponderTunedEventsPerSecond: 2000, ponderPeakMemoryGiB: [0.9, 1.2] };

type Call = { from: Signer; fn: string; args: unknown[] };
type Scheduled = { block: number; call: Call };

async function main(): Promise<void> {
  if (!fs.existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench:indexer does)`);
  // ---- 1. the history ------------------------------------------------------------------------------------
  const { deployment, market, pairs, generated } = await benchChain();
  const marketAddress = await market.getAddress();
  const node = await startLocalNode({ provider: hre.network.provider, port: 0 });
  const head = Number(await hre.network.provider.send("eth_blockNumber", []));
  const startBlock = deployment.contracts.DealMarket.blockNumber;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-bench-"));
  const deploymentFile = path.join(dir, "deployment.json");
  fs.writeFileSync(deploymentFile, JSON.stringify(deployment));

  // ---- 2. the raw ceiling ----------------------------------------------------------------------------------
  const ceiling = await rawCeiling(
    node.url,
    [marketAddress, deployment.contracts.ServiceRegistry.address],
    startBlock,
    head,
  );
  log(
    `chain: ${head} blocks, ${ceiling.events} events (${generated.deals} deals); raw eth_getLogs ceiling ${Math.round(ceiling.eventsPerSecond)} events/s`,
  );

  // ---- 3. backfill -----------------------------------------------------------------------------------------
  // BACKFILL_RUNS of each, alternating (a 2-core machine's noise falls on both); the median run is the figure, the
  // highest peak RSS of the runs is the memory figure. The first run's directory is the one the API serves.
  const baseline = prepareBaseline(ROOT, BASELINE_REF, log);
  const pgliteDir = path.join(dir, "db");
  const baselineDir = path.join(dir, "baseline-db");
  const runs: { current: BackfillSummary[]; baseline: BackfillSummary[] } = { current: [], baseline: [] };
  for (let i = 0; i < BACKFILL_RUNS; i++) {
    for (const [build, into, dataDir] of [
      [CURRENT, runs.current, pgliteDir],
      [baseline, runs.baseline, baselineDir],
    ] as const) {
      const runDir = i === 0 ? dataDir : `${dataDir}-${i}`;
      const run = await runBackfill(build, node.url, deploymentFile, ["--data-dir", runDir]);
      if (i > 0) fs.rmSync(runDir, { recursive: true, force: true });
      into.push(run);
      log(
        `backfill (PGlite, ${build.label}, run ${i + 1}/${BACKFILL_RUNS}): ${run.events} events in ${run.seconds.toFixed(2)} s = ${Math.round(run.eventsPerSecond)} events/s, peak RSS ${run.maxRssMiB} MiB`,
      );
    }
  }
  const backfill = medianRun(runs.current);
  const baselineBackfill = medianRun(runs.baseline);
  let backfillPostgres: Record<string, unknown> | undefined;
  const databaseUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const postgres = await postgresReachable(databaseUrl);
  const pgSchema = `accord_bench_${process.pid}`;
  const pgBaselineSchema = `accord_bench_${process.pid}_baseline`;
  const pgStore = ["--database", databaseUrl, "--db-schema", pgSchema];
  const pgBaselineStore = ["--database", databaseUrl, "--db-schema", pgBaselineSchema];

  // ---- 4. the API under load -------------------------------------------------------------------------------
  const apiPort = 4100 + (process.pid % 500);
  const load = { clients: API_CLIENTS, seconds: API_SECONDS, oneClientSeconds: ONE_CLIENT_SECONDS };
  let pool: SamplePool;
  let api: ApiFigures;
  let apiBaseline: ApiFigures;
  let apiPostgres: { figures: ApiFigures; baseline?: ApiFigures } | undefined;
  try {
    const lite = await benchServe(
      [
        { build: baseline, store: ["--data-dir", baselineDir] },
        { build: CURRENT, store: ["--data-dir", pgliteDir] },
      ],
      apiPort,
      load,
      log,
    );
    pool = lite.pool;
    [apiBaseline, api] = lite.figures;
    if (postgres) {
      const pg = await runBackfill(CURRENT, node.url, deploymentFile, pgStore);
      backfillPostgres = { ...summary(pg, ceiling.eventsPerSecond), store: "postgresql" };
      log(`backfill (PostgreSQL): ${Math.round(pg.eventsPerSecond)} events/s, peak RSS ${pg.maxRssMiB} MiB`);
      await runBackfill(baseline, node.url, deploymentFile, pgBaselineStore);
      const servers = [
        { build: baseline, store: pgBaselineStore },
        { build: CURRENT, store: pgStore },
      ];
      const [pgBase, pgNew] = (await benchServe(servers, apiPort, { ...load, pool }, log)).figures;
      apiPostgres = { figures: pgNew, baseline: pgBase };
    }
  } finally {
    if (postgres) {
      await dropSchema(databaseUrl, pgSchema);
      await dropSchema(databaseUrl, pgBaselineSchema);
    }
    baseline.remove();
  }

  // ---- 5. live lag -----------------------------------------------------------------------------------------
  const livePort = apiPort + 2;
  const follower = startCli(CURRENT, [
    "index",
    "--rpc",
    node.url,
    "--deployment",
    deploymentFile,
    "--data-dir",
    pgliteDir,
    "--port",
    String(livePort),
    "--no-progress",
    "--log-level",
    "warn",
  ]);
  let live: { p50Ms: number; p99Ms: number; maxMs: number; samples: number };
  try {
    await waitFor(`http://127.0.0.1:${livePort}/ready`);
    live = await liveLag(`http://127.0.0.1:${livePort}/graphql`, market, pairs[0]);
    log(`live lag: p50 ${live.p50Ms.toFixed(0)} ms, p99 ${live.p99Ms.toFixed(0)} ms over ${live.samples} transactions`);
  } finally {
    await stopChild(follower);
  }

  await node.close();
  // BENCH_KEEP_DATA=1 keeps the chain's indexes (PGlite directories) for profiling.
  if (process.env.BENCH_KEEP_DATA === "1") log(`kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });

  const result = {
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    chain: { blocks: head - startBlock + 1, events: ceiling.events, deals: generated.deals, paths: generated.paths },
    ceiling: {
      eventsPerSecond: Math.round(ceiling.eventsPerSecond),
      method: "eth_getLogs with fetch, 2,000-block ranges",
    },
    backfill: { ...summary(backfill, ceiling.eventsPerSecond, runs.current), store: "pglite" },
    backfillPostgres,
    api: {
      rps: api.rps,
      p50Ms: api.p50Ms,
      p99Ms: api.p99Ms,
      errors: api.errors,
      baselineRps: apiBaseline.rps,
      baselineP50Ms: apiBaseline.p50Ms,
      baselineP99Ms: apiBaseline.p99Ms,
      baselineErrors: apiBaseline.errors,
      baselineRef: BASELINE_REF,
      baselineCommit: baseline.commit,
      // The 100-row filtered list, one client alone (Ponder's figure).
      warm100RowListP50Ms: api.oneClient[0].p50Ms,
      perQuery: api.oneClient.map((q, i) => ({
        name: q.name,
        p50Ms: q.p50Ms,
        baselineP50Ms: apiBaseline.oneClient[i].p50Ms,
        underLoadP50Ms: api.underLoad[i].p50Ms,
        baselineUnderLoadP50Ms: apiBaseline.underLoad[i].p50Ms,
      })),
      postgres: apiPostgres && {
        rps: apiPostgres.figures.rps,
        p50Ms: apiPostgres.figures.p50Ms,
        p99Ms: apiPostgres.figures.p99Ms,
        errors: apiPostgres.figures.errors,
        baselineRps: apiPostgres.baseline?.rps,
        baselineP50Ms: apiPostgres.baseline?.p50Ms,
        baselineP99Ms: apiPostgres.baseline?.p99Ms,
        perQuery: apiPostgres.figures.oneClient.map((q, i) => ({
          name: q.name,
          p50Ms: q.p50Ms,
          baselineP50Ms: apiPostgres.baseline?.oneClient[i].p50Ms,
        })),
      },
      clients: API_CLIENTS,
      seconds: API_SECONDS,
      oneClientSeconds: ONE_CLIENT_SECONDS,
      queries:
        "the four solver queries of issue 7 §4 round-robin (provider's 100 open deals newest first, one deal's payments, " +
        "100 ResultsSubmitted deals by updatedAt, one deal with its parties, result, mediation and payments); " +
        "provider and deal drawn at random per request",
      pool: {
        providers: pool.providers.length,
        deals: pool.deals.length,
        providerOpenDealsMinRows: pool.providerOpenDealsMinRows,
        resultsSubmittedRows: pool.resultsSubmittedRows,
      },
    },
    backfillBaseline: {
      ...summary(baselineBackfill, ceiling.eventsPerSecond, runs.baseline),
      store: "pglite",
      ref: BASELINE_REF,
    },
    live: {
      p50Ms: round(live.p50Ms),
      p99Ms: round(live.p99Ms),
      maxMs: round(live.maxMs),
      samples: live.samples,
      settings: "defaults (250 ms head polling)",
    },
    targets: { backfillEventsPerSecond: 10_000, backfillPeakRssMiB: 400, liveP99Ms: 1000 },
    anchor: ANCHOR,
  };
  const file = path.join(ROOT, "bench", "results", "indexer.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

/** Schedules deals through every path over BLOCKS blocks (one second apart) until EVENTS events are due. */
/** The contracts deployed on the in-process Hardhat network, the parties funded, and the history generated. */
export async function benchChain() {
  const signers = await ethers.getSigners();
  const { deployment, market, token } = await deployAccord(hre, { network: "bench" });
  const marketAddress = await market.getAddress();
  const pairs = [1, 3, 5, 7].map((i) => [signers[i], signers[i + 1]] as const);
  const solver = signers[9];
  const mediator = signers[10];
  for (const party of signers.slice(1, 9)) {
    await (await token.transfer(await party.getAddress(), 10n ** 8n * TOKEN)).wait();
    await (await token.connect(party).approve(marketAddress, ethers.MaxUint256)).wait();
  }
  const generated = await generateHistory({ market, pairs, solver, mediator });
  return { deployment, market, pairs, generated };
}

async function generateHistory(options: {
  market: Awaited<ReturnType<typeof deployAccord>>["market"];
  pairs: (readonly [Signer, Signer])[];
  solver: Signer;
  mediator: Signer;
}): Promise<{ deals: number; paths: Record<string, number> }> {
  const { market, pairs, solver, mediator } = options;
  const provider = hre.network.provider;
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const domain = dealMarketDomain(chainId, await market.getAddress());
  const mediatorAddress = (await mediator.getAddress()) as `0x${string}`;
  const solverAddress = (await solver.getAddress()) as `0x${string}`;
  const deadline = 2n ** 40n;

  // Events each path emits on the DealMarket, and its steps as (block offset, caller, function, args).
  type Plan = { events: number; steps: (deal: Deal) => [number, Call][] };
  type Deal = { id: string; terms: OnChainDealTerms; jc: Signer; rp: Signer; sigs: [string, string] };
  const ic = INSTRUCTIONS;
  const agreeSigned = (d: Deal): Call => ({
    from: solver,
    fn: "agreeWithSignatures",
    args: [d.id, d.terms, deadline, ...d.sigs],
  });
  const add = (d: Deal): Call => ({ from: d.rp, fn: "addResult", args: [d.id, d.terms, ethers.id(`r${d.id}`), ic] });
  const check = (d: Deal): Call => ({ from: d.jc, fn: "checkResult", args: [d.id, d.terms, ic] });
  const wait = Number(STEP) + 2;
  const plans: Record<string, Plan> = {
    happy: {
      events: 14,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
        [2, { from: d.jc, fn: "acceptResult", args: [d.id, d.terms, ic] }],
      ],
    },
    happyTwoStep: {
      events: 17,
      steps: (d) => [
        [0, { from: d.jc, fn: "agree", args: [d.id, d.terms] }],
        [1, { from: d.rp, fn: "agree", args: [d.id, d.terms] }],
        [2, add(d)],
        [3, { from: d.jc, fn: "acceptResult", args: [d.id, d.terms, ic] }],
      ],
    },
    mediationAccept: {
      events: 18,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
        [2, check(d)],
        [3, { from: mediator, fn: "mediationAcceptResult", args: [d.id, d.terms, ic] }],
      ],
    },
    mediationReject: {
      events: 17,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
        [2, check(d)],
        [3, { from: mediator, fn: "drawMediator", args: [d.id, d.terms, ic] }],
        [4, { from: mediator, fn: "mediationRejectResult", args: [d.id, d.terms, ic] }],
      ],
    },
    timeoutAgree: {
      events: 9,
      steps: (d) => [
        [0, { from: d.jc, fn: "agree", args: [d.id, d.terms] }],
        [wait, { from: d.jc, fn: "timeoutAgree", args: [d.id, d.terms] }],
      ],
    },
    timeoutSubmitResults: {
      events: 9,
      steps: (d) => [
        [0, agreeSigned(d)],
        [wait, { from: d.jc, fn: "timeoutSubmitResults", args: [d.id, d.terms] }],
      ],
    },
    timeoutJudgeResults: {
      events: 14,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
        [1 + wait, { from: d.rp, fn: "timeoutJudgeResults", args: [d.id, d.terms, ic] }],
      ],
    },
    timeoutMediateResults: {
      events: 17,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
        [2, check(d)],
        [2 + wait, { from: d.jc, fn: "timeoutMediateResults", args: [d.id, d.terms, ic] }],
      ],
    },
    // Deals left open (their timeouts pass unclaimed): the API's list of a provider's open deals must be full,
    // 100 rows for each of the pairs' providers, and the results-submitted list too.
    open: { events: 6, steps: (d) => [[0, agreeSigned(d)]] },
    resultsSubmitted: {
      events: 9,
      steps: (d) => [
        [0, agreeSigned(d)],
        [1, add(d)],
      ],
    },
  };
  // One round of deals: every path once, open deals twice.
  const names = [...Object.keys(plans), "open"];
  const perRound = names.reduce((sum, name) => sum + plans[name].events, 0);
  const deals = Math.ceil(EVENTS / perRound) * names.length;
  const lastStart = BLOCKS - (3 + wait) - 1;
  const schedule: Scheduled[][] = Array.from({ length: BLOCKS }, () => []);
  const counts: Record<string, number> = {};
  for (let i = 0; i < deals; i++) {
    const name = names[i % names.length];
    // A round (11 deals) and the pairs (4) are coprime: every provider gets deals of every path.
    const [jc, rp] = pairs[i % pairs.length];
    const terms: OnChainDealTerms = {
      members: {
        jobCreator: (await jc.getAddress()) as `0x${string}`,
        resourceProvider: (await rp.getAddress()) as `0x${string}`,
        solver: solverAddress,
        mediators: [mediatorAddress],
      },
      pricing: {
        instructionPrice: 10n ** 12n + BigInt(i % 13),
        paymentCollateral: 5n * TOKEN,
        resultsCollateralMultiple: 2n,
        mediationFee: TOKEN / 2n,
      },
      timeouts: {
        agree: STEP,
        submitResults: STEP,
        judgeResults: STEP,
        mediateResults: STEP,
        agreeCollateral: 0n,
        submitResultsCollateral: TOKEN,
        judgeResultsCollateral: TOKEN,
        mediateResultsCollateral: 0n,
      },
    };
    const id = ethers.id(`bench-deal-${i}`);
    const value = { dealId: id, terms, deadline };
    const needsSignatures = plans[name]
      .steps({ id, terms, jc, rp, sigs: ["0x", "0x"] })
      .some(([, c]) => c.fn === "agreeWithSignatures");
    const sigs: [string, string] = needsSignatures
      ? [
          await jc.signTypedData(domain, DEAL_AGREEMENT_TYPES, value),
          await rp.signTypedData(domain, DEAL_AGREEMENT_TYPES, value),
        ]
      : ["0x", "0x"];
    const start = Math.floor((i * lastStart) / deals);
    for (const [offset, call] of plans[name].steps({ id, terms, jc, rp, sigs }))
      schedule[start + offset].push({ block: start + offset, call });
    counts[name] = (counts[name] ?? 0) + 1;
  }

  const t0 = Date.now();
  const base = (await ethers.provider.getBlock("latest"))!.timestamp + 1;
  await provider.send("evm_setAutomine", [false]);
  const marketAddress = await market.getAddress();
  const addressOf = new Map<Signer, string>();
  for (let b = 0; b < BLOCKS; b++) {
    for (const { call } of schedule[b]) {
      if (!addressOf.has(call.from)) addressOf.set(call.from, await call.from.getAddress());
      const data = (market.interface as Interface).encodeFunctionData(call.fn, call.args);
      await provider.send("eth_sendTransaction", [
        { from: addressOf.get(call.from), to: marketAddress, data, gas: GAS },
      ]);
    }
    await provider.send("evm_mine", [base + b]);
    if (b % 2000 === 1999) log(`generated ${b + 1}/${BLOCKS} blocks (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await provider.send("evm_setAutomine", [true]);
  return { deals, paths: counts };
}

async function rpc<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** A bare eth_getLogs loop: what the node can hand out, the ceiling for any indexer reading it. */
async function rawCeiling(url: string, addresses: string[], from: number, to: number) {
  let best = 0;
  let events = 0;
  for (let attempt = 0; attempt < 2; attempt++) {
    const started = performance.now();
    events = 0;
    for (let start = from; start <= to; start += 2000) {
      const end = Math.min(to, start + 1999);
      const logs = await rpc<unknown[]>(url, "eth_getLogs", [
        { address: addresses, fromBlock: "0x" + start.toString(16), toBlock: "0x" + end.toString(16) },
      ]);
      events += logs.length;
    }
    best = Math.max(best, (events * 1000) / (performance.now() - started));
  }
  return { events, eventsPerSecond: best };
}

type BackfillSummary = {
  events: number;
  seconds: number;
  startupSeconds: number;
  eventsPerSecond: number;
  maxRssMiB: number;
  block: number;
  stats: Record<string, number>;
};

export async function runBackfill(
  build: Build,
  rpcUrl: string,
  deploymentFile: string,
  store: string[],
): Promise<BackfillSummary> {
  const child = startCli(build, [
    "index",
    "--rpc",
    rpcUrl,
    "--deployment",
    deploymentFile,
    ...store,
    "--no-follow",
    "--no-serve",
    "--no-progress",
    "--log-level",
    "warn",
  ]);
  const code = await new Promise<number | null>((resolve) => child.process.on("exit", resolve));
  if (code !== 0) throw new Error(`accord index exited ${code}: ${child.stderr()}`);
  return JSON.parse(child.stdout().trim().split("\n").pop()!) as BackfillSummary;
}

/** The run with the median events/s (of an even count, the slower of the middle two). */
function medianRun(runs: readonly BackfillSummary[]): BackfillSummary {
  const sorted = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/** `run`'s figures; with `runs`, every run's events/s and peak RSS, and the highest peak RSS as the memory figure. */
function summary(run: BackfillSummary, ceiling: number, runs: readonly BackfillSummary[] = [run]) {
  return {
    events: run.events,
    seconds: round(run.seconds),
    eventsPerSecond: Math.round(run.eventsPerSecond),
    ratioToCeiling: Number((run.eventsPerSecond / ceiling).toFixed(3)),
    peakRssMiB: Math.max(...runs.map((r) => r.maxRssMiB)),
    runs: runs.map((r) => ({ eventsPerSecond: Math.round(r.eventsPerSecond), peakRssMiB: r.maxRssMiB })),
    // Opening the database (and its migrations) before the first block; not in eventsPerSecond.
    startupSeconds: round(run.startupSeconds),
    eventsPerSecondIncludingStartup: Math.round(run.events / (run.seconds + run.startupSeconds)),
    timeMs: run.stats,
  };
}

/** From each transaction's receipt to its deal being visible in the API. */
async function liveLag(
  url: string,
  market: Awaited<ReturnType<typeof deployAccord>>["market"],
  [jc, rp]: readonly [Signer, Signer],
) {
  const lags: number[] = [];
  const mediator = (await (await ethers.getSigners())[10].getAddress()) as `0x${string}`;
  for (let i = 0; i < LIVE_SAMPLES; i++) {
    const dealId = ethers.id(`live-${Date.now()}-${i}`);
    const terms: OnChainDealTerms = {
      members: {
        jobCreator: (await jc.getAddress()) as `0x${string}`,
        resourceProvider: (await rp.getAddress()) as `0x${string}`,
        solver: mediator,
        mediators: [mediator],
      },
      pricing: { instructionPrice: 1n, paymentCollateral: TOKEN, resultsCollateralMultiple: 1n, mediationFee: 1n },
      timeouts: {
        agree: 3600n,
        submitResults: 3600n,
        judgeResults: 3600n,
        mediateResults: 3600n,
        agreeCollateral: 0n,
        submitResultsCollateral: 0n,
        judgeResultsCollateral: 0n,
        mediateResultsCollateral: 0n,
      },
    };
    await (await market.connect(jc).agree(dealId, terms)).wait();
    const receiptAt = performance.now();
    const query = `{ deal(id: "${dealKey(dealId, terms.members.jobCreator, terms.members.resourceProvider)}") { id } }`;
    for (;;) {
      const { deal } = await graphql<{ deal: { id: string } | null }>(url, query);
      if (deal) break;
      if (performance.now() - receiptAt > 30_000) throw new Error(`deal ${dealId} not visible after 30 s`);
      await sleep(5);
    }
    lags.push(performance.now() - receiptAt);
    await sleep(50 + Math.random() * 250); // sample every phase of the polling interval
  }
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.ceil(q * lags.length) - 1)];
  return { p50Ms: at(0.5), p99Ms: at(0.99), maxMs: lags[lags.length - 1], samples: lags.length };
}

export async function postgresReachable(url: string): Promise<boolean> {
  const client = new PgClient({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (n: number) => Math.round(n * 10) / 10;
const log = (message: string) => process.stderr.write(message + "\n");

// Run as a script (`hardhat run`), not when scripts/bench/api-quick.ts imports its history and backfill.
if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
