// Solver benchmark: `npm run bench:solver` → bench/results/solver.json.
//
// A book of BENCH_RESOURCE_OFFERS resource offers and BENCH_JOB_OFFERS job offers (default 10,000 each) with the
// variety of a real market: 10 modules, 5 mediators, 3 solvers, random specs, prices and modes, some providers
// pricing one module apart. In the same run:
//   - Accord's offer book (src/solver/book.ts): the resource offers posted, then the job offers oldest first;
//   - the reference's full pass, re-implemented faithfully as the baseline: every job offer oldest first against
//     every resource offer, one decision look-up per pair (here in an in-memory map, kinder to it than the
//     reference's database), every pair through the same rule function (matchOffersWithModule), the matching
//     offers sorted by the selection rule; like the reference, it loads the resource offers once per pass and
//     never takes the one it picked out of the list.
// Module IDs are computed once per module config before timing (the solver does it once per offer, on intake).
//
// Then the API half (solver-api.ts): the solver as a process of its own, through its GraphQL API over HTTP with
// persistence (PGlite; PostgreSQL too when DATABASE_URL is set), on offers from the same generator: offers per second
// posted and matched, and the time from posting a job offer to its proposal reaching both parties at 10,000 open
// offers. BENCH_API=0 skips it (the api figures are then null).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  getModuleId,
  type DealPricing,
  type DealTimeouts,
  type JobOffer,
  type ModuleConfig,
  type ResourceOffer,
} from "../../src/model";
import { matchOffersWithModule, OfferBook, providerTerms, type BookJob } from "../../src/solver";
import { seededRandom } from "../../test/model/helpers";
import { generatorCounts, measureApi, type ApiResult } from "./solver-api";

const RESOURCE_OFFERS = Number(process.env.BENCH_RESOURCE_OFFERS ?? 10_000);
const JOB_OFFERS = Number(process.env.BENCH_JOB_OFFERS ?? 10_000);
const SEED = Number(process.env.BENCH_SEED ?? 7);
const ROOT = path.resolve(__dirname, "..", "..");

const address = (n: number): string => "0x" + n.toString(16).padStart(40, "0");
const MEDIATORS = [1, 2, 3, 4, 5].map((i) => address(0xa000 + i));
const SOLVERS = [1, 2, 3].map((i) => address(0xb000 + i));
const MODULES: ModuleConfig[] = [
  "cowsay",
  "sdxl",
  "llama",
  "whisper",
  "ffmpeg",
  "blender",
  "lilypad",
  "fastchat",
  "sd15",
  "duckdb",
].map((name, i) => ({
  name,
  repo: `https://example.org/${name}`,
  hash: `${i}`.repeat(40),
  path: "lilypad_module.json.tmpl",
}));
const TIMEOUTS: DealTimeouts = {
  agree: { timeout: 60n, collateral: 10n },
  submit_results: { timeout: 600n, collateral: 10n },
  judge_results: { timeout: 600n, collateral: 10n },
  mediate_results: { timeout: 600n, collateral: 10n },
};

function buildBook(
  moduleIds: string[],
  resourceCount: number,
  jobCount: number,
): { resources: ResourceOffer[]; jobs: BookJob[] } {
  const rand = seededRandom(SEED); // the same book every run
  const int = (min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
  const some = <T>(items: readonly T[], min: number, max: number): T[] => {
    const count = int(min, max);
    return [...items].sort(() => rand() - 0.5).slice(0, count);
  };
  const gwei = (min: number, max: number): bigint => BigInt(int(min, max)) * 10n ** 9n;
  const pricing = (): DealPricing => ({
    instruction_price: gwei(1, 100),
    payment_collateral: gwei(100, 2000),
    results_collateral_multiple: BigInt(int(2, 4)),
    mediation_fee: gwei(1, 50),
  });
  const resources: ResourceOffer[] = [];
  for (let i = 0; i < resourceCount; i++) {
    const specialModule = rand() < 0.1 ? pick(moduleIds) : undefined;
    resources.push({
      id: `ro-${i}`,
      created_at: 1_700_000_000_000 + i,
      resource_provider: address(0x100000 + i),
      index: 0,
      spec: { cpu: int(1, 32) * 1000, gpu: int(0, 8) * 1000, ram: int(1, 64) * 1024 },
      modules: rand() < 0.3 ? [] : some(moduleIds, 1, 4),
      mode: rand() < 0.05 ? "MarketPrice" : "FixedPrice",
      default_pricing: pricing(),
      default_timeouts: TIMEOUTS,
      module_pricing: specialModule ? { [specialModule]: pricing() } : {},
      module_timeouts: {},
      trusted_parties: { solver: pick(SOLVERS), mediator: some(MEDIATORS, 1, 3) },
    });
  }
  const jobs: BookJob[] = [];
  for (let i = 0; i < jobCount; i++) {
    const m = int(0, MODULES.length - 1);
    const offer: JobOffer = {
      id: `jo-${i}`,
      created_at: 1_700_000_100_000 + i,
      job_creator: address(0x200000 + i),
      module: MODULES[m],
      spec: { cpu: int(1, 16) * 1000, gpu: rand() < 0.6 ? 0 : int(1, 4) * 1000, ram: int(1, 32) * 1024 },
      inputs: {},
      mode: rand() < 0.5 ? "MarketPrice" : "FixedPrice",
      pricing: {
        ...pricing(),
        instruction_price: gwei(20, 120),
        payment_collateral: gwei(500, 3000),
        mediation_fee: gwei(10, 60),
      },
      timeouts: TIMEOUTS,
      trusted_parties: { solver: pick(SOLVERS), mediator: some(MEDIATORS, 1, 3) },
    };
    jobs.push({ offer, moduleId: moduleIds[m] });
  }
  return { resources, jobs };
}

function accord(resources: ResourceOffer[], jobs: BookJob[]): { seconds: number; matches: number } {
  const book = new OfferBook();
  const started = performance.now();
  let matches = 0;
  for (const offer of resources) if (book.addResourceOffer(offer)) matches++;
  for (const job of jobs) if (book.addJob(job)) matches++;
  return { seconds: (performance.now() - started) / 1000, matches };
}

const olderFirst = (a: { created_at: number; id: string }, b: { created_at: number; id: string }): number =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : 1);

function reference(resources: ResourceOffer[], jobs: BookJob[]): { seconds: number; matches: number; pairs: number } {
  const started = performance.now();
  let matches = 0;
  let pairs = 0;
  const byAge = [...jobs].sort((a, b) => olderFirst(a.offer, b.offer));
  for (const job of byAge) {
    // The pass's decisions for this job: looked up and recorded per pair as the reference does in its database. One
    // map per job keeps memory bounded (a JavaScript Map holds at most 2^24 entries; a pass records ~10^8), at the
    // same cost per pair, since within one pass a pair is never looked up twice.
    const decisions = new Map<string, boolean>();
    const matching: ResourceOffer[] = [];
    for (const offer of resources) {
      pairs++;
      const key = `${job.offer.id}-${offer.id}`;
      if (decisions.get(key) === false) continue;
      if (matchOffersWithModule(job.offer, offer, job.moduleId).matched) matching.push(offer);
      else decisions.set(key, false);
    }
    if (matching.length === 0) continue;
    const price = (o: ResourceOffer) => providerTerms(o, job.moduleId).pricing.instruction_price;
    matching.sort((a, b) =>
      job.offer.mode === "FixedPrice"
        ? olderFirst(a, b)
        : price(a) < price(b)
          ? -1
          : price(a) > price(b)
            ? 1
            : olderFirst(a, b),
    );
    decisions.set(`${job.offer.id}-${matching[0].id}`, true);
    matches++;
  }
  return { seconds: (performance.now() - started) / 1000, matches, pairs };
}

async function main(): Promise<void> {
  const moduleIds = await Promise.all(MODULES.map((m) => getModuleId(m)));
  const { resources, jobs } = buildBook(moduleIds, RESOURCE_OFFERS, JOB_OFFERS);
  // Warm-up on a copy, so both are measured with their code optimised.
  accord(resources.slice(0, 1000), jobs.slice(0, 1000));
  const ours = accord(resources, jobs);
  console.error(`offer book: ${ours.matches} matches in ${ours.seconds.toFixed(3)} s`);
  // BENCH_REFERENCE=0 skips the baseline (profiling the book); the results file is then not written.
  if (process.env.BENCH_REFERENCE === "0") return;
  const base = reference(resources, jobs);
  console.error(
    `reference full pass: ${base.matches} matches (double bookings included) in ${base.seconds.toFixed(1)} s, ${base.pairs} pairs`,
  );
  let api: ApiResult | { offersPerSecond: null; proposalP99Ms: null } = { offersPerSecond: null, proposalP99Ms: null };
  if (process.env.BENCH_API !== "0") {
    const counts = generatorCounts();
    api = await measureApi(buildBook(moduleIds, counts.resources, counts.jobs));
  }
  const result = {
    machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    book: {
      resourceOffers: RESOURCE_OFFERS,
      jobOffers: JOB_OFFERS,
      modules: MODULES.length,
      mediators: MEDIATORS.length,
      solvers: SOLVERS.length,
      seed: SEED,
    },
    matcher: {
      bookSeconds: Number(ours.seconds.toFixed(4)),
      matches: ours.matches,
      referenceSeconds: Number(base.seconds.toFixed(3)),
      referenceMatches: base.matches,
      referencePairs: base.pairs,
      ratioToReference: Math.round(base.seconds / ours.seconds),
    },
    // Through the API with persistence (solver-api.ts): PGlite's figures, and each store's.
    api,
    targets: { bookSeconds: 1, ratioToReference: 100, offersPerSecond: 1000, proposalP99Ms: 50 },
  };
  const file = path.join(ROOT, "bench", "results", "solver.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  console.log(JSON.stringify(result, null, 2));
}

void main();
