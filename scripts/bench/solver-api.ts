// The API half of `npm run bench:solver`: the solver through its GraphQL API, with persistence, at 10,000 open offers.
//
// The solver runs as a process of its own (this file, forked with `serve <store>`): Solver.start over
// SolverState.open on a fresh store (PGlite in a new data directory; PostgreSQL in a new SQL schema when DATABASE_URL
// is set), serveSolver on 127.0.0.1:0, no chain (proposals are made, not closed) and no expiry timer. The bench
// process is its clients, over real HTTP on loopback (node:http, keep-alive; see `posters`):
//   1. 10,000 resource offers posted by 32 concurrent posters: the market's variety from solver.ts's generator, each
//      from its own provider's wallet, plus, spread among them, the offers of 10 providers with many machines that
//      the latency sample's jobs match (they trust a mediator of their own, so nobody else's job takes them);
//   2. the latency sample, with those 10,000 offers open and no job waiting: 10 job creators and the 10 providers
//      each hold one myNotices subscription (SolverApiClient.notices, signed PartySubscription); job offers are
//      posted one at a time, each timed from sending postJobOffer to the moment both parties' subscriptions have
//      had its proposal (after a warm-up that proves every subscription live);
//   3. 10,000 job offers (the generator's, each from its own job creator's wallet) by 32 concurrent posters.
// offersPerSecond is the offers of 1 and 3 over their posting time; every answer must be open or proposed. The
// throughput phases go in chunks of 2,000: each chunk is signed (EIP-712 OfferPost, by each offer's owner) off the
// clock, with created_at values within the solver's freshness window (30 s) of when they will be posted, then posted
// on the clock (first post to last answer): signing is the clients' cost, the measurement the solver's. Resource
// offers the generator makes in MarketPrice mode are posted in FixedPrice (the intake refuses the others), and every
// offer names this solver. With each phase, the solver process's CPU time and the wall time with a database call in
// flight, to show where the time goes.
//
// Sizes from the environment: BENCH_API_RESOURCE_OFFERS, BENCH_API_JOB_OFFERS, BENCH_API_SAMPLE,
// BENCH_API_CONCURRENCY, BENCH_API_CHUNK. PGlite runs on a worker thread of the solver process, as `accord solver`
// runs it by default (CLI_DEFAULTS.pgliteThread); BENCH_API_PGLITE_THREAD=main runs it on the solver's main thread
// instead (the library's default, and this bench's before). The solver process's CPU time is process-wide, so it
// includes that worker's. BENCH_API_CPU_PROF=<dir> writes the solver process's CPU profile there.

import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import pino from "pino";
import { openDriver, type Queryable, type Row, type SqlDriver, type SqlParam } from "../../src/indexer";
import { ident } from "../../src/indexer/store/codec";
import {
  encodeJson,
  getJobOfferId,
  getResourceOfferId,
  jobOfferSchema,
  resourceOfferSchema,
  type JobOffer,
  type ResourceOffer,
} from "../../src/model";
import {
  OFFER_POST_TYPES,
  offerPost,
  offerPostDomain,
  resolveIntakeRules,
  serveSolver,
  Solver,
  SolverApiClient,
  SolverState,
  type BookJob,
  type OfferKind,
} from "../../src/solver";
import { seededRandom } from "../../test/model/helpers";

export type ApiStore = "pglite" | "postgres";

/** How big the API half is (environment, with the numbers as defaults). */
export const API = {
  /** Open resource offers in the book at the sample (the sample providers' included). */
  resourceOffers: Number(process.env.BENCH_API_RESOURCE_OFFERS ?? 10_000),
  jobOffers: Number(process.env.BENCH_API_JOB_OFFERS ?? 10_000),
  /** Job offers timed from post to both parties' notices. */
  sample: Number(process.env.BENCH_API_SAMPLE ?? 400),
  /** In-flight posts of the throughput phases. */
  concurrency: Number(process.env.BENCH_API_CONCURRENCY ?? 32),
  /** The throughput phases sign and post their offers this many at a time (signing off the clock). */
  chunk: Number(process.env.BENCH_API_CHUNK ?? 2_000),
  /** Where PGlite runs in the solver process: a worker thread (accord solver's default), or "main" (the library's). */
  pgliteThread: process.env.BENCH_API_PGLITE_THREAD === "main" ? ("main" as const) : ("worker" as const),
  /** Job creators and providers of the sample, one subscription each. */
  sampleParties: 10,
  /** At most this many warm-up jobs before the sample (until every subscription has had a proposal). */
  warmupMax: 40,
};

const CHAIN_ID = 31337n;
const SOLVER = "0x" + "5e".repeat(20);
const SAMPLE_MEDIATOR = "0x" + "a0".repeat(19) + "ff";
const HOST = "127.0.0.1";
/** A chunk's created_at values span at most this (ms), so a chunk faster than planned stays in the window too. */
const MAX_SPAN_MS = 15_000;

// ——— the solver process ———

interface ServerStats {
  /** CPU time of the solver process (ms, user + system). */
  cpuMs: number;
  /** Wall time with a database call in flight (ms; timedDriver). */
  databaseMs: number;
  databaseCalls: number;
  proposals: number;
  rssMiB: number;
  book: { jobOffers: number; resourceOffers: number };
}

type ToServer = { type: "stats"; id: number } | { type: "close" };
type FromServer = { type: "ready"; url: string } | { type: "stats"; id: number; stats: ServerStats };

/**
 * The driver, counting the wall time during which at least one of its calls is in flight (so overlapping calls on
 * PostgreSQL's pool count once; on one thread it includes what ran meanwhile) and the calls.
 */
function timedDriver(driver: SqlDriver, into: { ms: number; calls: number }): SqlDriver {
  let inFlight = 0;
  let since = 0;
  const timed = async <R>(run: () => Promise<R>): Promise<R> => {
    if (inFlight++ === 0) since = performance.now();
    try {
      return await run();
    } finally {
      if (--inFlight === 0) into.ms += performance.now() - since;
      into.calls++;
    }
  };
  const { query, transaction, writeTransaction } = {
    query: driver.query.bind(driver),
    transaction: driver.transaction.bind(driver),
    writeTransaction: driver.writeTransaction?.bind(driver),
  };
  driver.query = <T extends Row = Row>(sql: string, params?: SqlParam[]) => timed(() => query<T>(sql, params));
  driver.transaction = <T>(fn: (tx: Queryable) => Promise<T>) => timed(() => transaction(fn));
  if (writeTransaction) driver.writeTransaction = (statements) => timed(() => writeTransaction(statements));
  return driver;
}

/** The solver process: a fresh store, the solver over it and its API, answering the bench over IPC. */
async function serve(store: ApiStore): Promise<void> {
  const send = (message: FromServer): void => void process.send!(message);
  // The bench gone (killed, failed): so is the solver.
  process.on("disconnect", () => process.exit(1));
  let dir: string | undefined;
  let schema = "accord_solver";
  let driver: SqlDriver;
  if (store === "postgres") {
    schema = `accord_bench_solver_${process.pid}_${randomBytes(4).toString("hex")}`;
    driver = await openDriver({ databaseUrl: process.env.DATABASE_URL });
  } else {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-bench-solver-"));
    driver = await openDriver({ dataDir: path.join(dir, "db"), pgliteThread: API.pgliteThread });
  }
  const database = { ms: 0, calls: 0 };
  const state = await SolverState.open(timedDriver(driver, database), schema);
  const rules = resolveIntakeRules({ chainId: CHAIN_ID, solver: SOLVER });
  const solver = await Solver.start({ state, rules, matchTimeoutMs: 30_000 });
  let proposals = 0;
  solver.on("proposal", () => proposals++);
  const server = await serveSolver({ solver, state, rules, host: HOST, port: 0, logger: pino({ level: "silent" }) });
  process.on("message", (message: ToServer) => {
    if (message.type === "stats") {
      const cpu = process.cpuUsage();
      const stats: ServerStats = {
        cpuMs: (cpu.user + cpu.system) / 1000,
        databaseMs: database.ms,
        databaseCalls: database.calls,
        proposals,
        rssMiB: Math.round(process.memoryUsage.rss() / 2 ** 20),
        book: { jobOffers: solver.book.jobOffers, resourceOffers: solver.book.resourceOffers },
      };
      send({ type: "stats", id: message.id, stats });
      return;
    }
    void (async () => {
      await server.close();
      await solver.close();
      if (store === "postgres") await driver.query(`DROP SCHEMA IF EXISTS ${ident(schema)} CASCADE`);
      await driver.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    })();
  });
  send({ type: "ready", url: server.url });
}

class SolverProcess {
  private nextId = 0;
  private readonly waiting = new Map<number, (stats: ServerStats) => void>();
  private exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (message: FromServer) => {
      if (message.type === "stats") {
        this.waiting.get(message.id)?.(message.stats);
        this.waiting.delete(message.id);
      }
    });
  }

  static async start(store: ApiStore): Promise<SolverProcess> {
    const profile = process.env.BENCH_API_CPU_PROF;
    const child = fork(__filename, ["serve", store], {
      execArgv: [
        "--require",
        "ts-node/register/transpile-only",
        ...(profile ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profile)}`] : []),
      ],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the solver process did not start in 120 s")), 120_000);
      child.once("exit", (code) => reject(new Error(`the solver process exited (${code}) before it was ready`)));
      child.on("message", (message: FromServer) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve(message.url);
        }
      });
    }).catch((error: unknown) => {
      child.kill();
      throw error;
    });
    return new SolverProcess(child, url);
  }

  stats(): Promise<ServerStats> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ type: "stats", id } satisfies ToServer);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) this.child.send({ type: "close" } satisfies ToServer);
    const timer = setTimeout(() => this.child.kill(), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

// ——— the clients ———

const POST: Record<OfferKind, string> = {
  job: `mutation ($offer: String!, $signature: String!) {
    postJobOffer(offer: $offer, signature: $signature) { status offerId proposal { id resourceProvider } }
  }`,
  resource: `mutation ($offer: String!, $signature: String!) {
    postResourceOffer(offer: $offer, signature: $signature) { status offerId proposal { id resourceProvider } }
  }`,
};

/** A post ready to send: the GraphQL request's body, with the offer signed by its owner. */
interface SignedPost {
  kind: OfferKind;
  offerId: string;
  request: string;
}

interface PostAnswer {
  status: "open" | "proposed" | "duplicate";
  offerId: string;
  proposal: { id: string; resourceProvider: string } | null;
}

/**
 * The posters' HTTP client: node:http over keep-alive connections. The clients share the solver's two cores, and
 * global fetch (undici) cost them 0.45 ms of CPU a post (clientCpuPercent 44-49 % at ~1,000 posts/s), CPU the solver
 * under test then did not have; a client on another machine would not take it.
 */
const posters = new http.Agent({ keepAlive: true, maxSockets: 256 });

function postJson(url: string, body: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent: posters,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          accept: "application/graphql-response+json, application/json",
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", reject);
        response.on("end", () => {
          try {
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

async function send(url: string, post: SignedPost): Promise<PostAnswer> {
  const response = await postJson(url, post.request);
  const answer = response.json as {
    data?: Record<string, PostAnswer | undefined> | null;
    errors?: { message: string }[];
  };
  const result = answer.data?.[post.kind === "job" ? "postJobOffer" : "postResourceOffer"];
  if (!result) {
    throw new Error(
      `${post.kind} offer ${post.offerId} refused (${response.status}): ${JSON.stringify(answer.errors)}`,
    );
  }
  if (result.status !== "open" && result.status !== "proposed") {
    throw new Error(`${post.kind} offer ${post.offerId}: ${result.status}, expected open or proposed`);
  }
  return result;
}

/** An offer with its created_at and ID set, signed by `wallet`. */
async function sign(
  kind: OfferKind,
  template: JobOffer | ResourceOffer,
  wallet: Wallet,
  createdAt: number,
): Promise<SignedPost> {
  const offer = { ...template, id: "", created_at: createdAt };
  let body: string;
  if (kind === "job") {
    offer.id = await getJobOfferId(offer);
    body = encodeJson(offer, jobOfferSchema);
  } else {
    offer.id = await getResourceOfferId(offer);
    body = encodeJson(offer, resourceOfferSchema);
  }
  const signature = await wallet.signTypedData(
    offerPostDomain(CHAIN_ID),
    OFFER_POST_TYPES,
    offerPost(kind, offer.id, SOLVER),
  );
  return {
    kind,
    offerId: offer.id,
    request: JSON.stringify({ query: POST[kind], variables: { offer: body, signature } }),
  };
}

/** What the solver process did over some time (the differences of two ServerStats), and the rest of the machine. */
interface Busy {
  cpuMs: number;
  databaseMs: number;
  /** CPU time of the bench process (the clients). */
  clientMs: number;
  /** The rest of the machine's CPU time (Linux: /proc/stat's busy time less the bench's and the solver's; else 0). */
  othersMs: number;
}

/** The machine's busy CPU time so far (ms; /proc/stat, in USER_HZ = 100 ticks), 0 where there is none. */
function machineBusyMs(): number {
  try {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = fields;
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return 0;
  }
}

const ownCpuMs = (): number => {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
};

/**
 * Posts a phase's offers, `concurrency` at a time, in chunks: each chunk signed first (its created_at values spread
 * over the time it should take to post at `expectedRate` per second, so each is within the freshness window when it
 * is posted), then posted on the clock. Returns the posting time (the sum over the chunks of first post to last
 * answer), the proposals, and what the solver process did meanwhile.
 */
async function postPhase(
  url: string,
  solver: SolverProcess,
  kind: OfferKind,
  offers: { template: JobOffer | ResourceOffer; wallet: Wallet }[],
  expectedRate: number,
): Promise<{ seconds: number; proposals: number; busy: Busy; answerMs: number[] }> {
  let seconds = 0;
  let proposals = 0;
  const answerMs: number[] = [];
  const busy: Busy = { cpuMs: 0, databaseMs: 0, clientMs: 0, othersMs: 0 };
  let signMs = 1;
  let rate = expectedRate;
  for (let from = 0; from < offers.length; from += API.chunk) {
    const chunk = offers.slice(from, from + API.chunk);
    const signing = performance.now();
    const start = Date.now() + chunk.length * signMs;
    const spacing = Math.min(1000 / rate, MAX_SPAN_MS / chunk.length);
    const posts: SignedPost[] = [];
    for (const [i, { template, wallet }] of chunk.entries()) {
      posts.push(await sign(kind, template, wallet, Math.round(start + i * spacing)));
    }
    signMs = (performance.now() - signing) / chunk.length;
    const before = await solver.stats();
    const [machineBefore, ownBefore] = [machineBusyMs(), ownCpuMs()];
    const posted = await postAll(url, posts, API.concurrency);
    const [machineAfter, ownAfter] = [machineBusyMs(), ownCpuMs()];
    const after = await solver.stats();
    seconds += posted.seconds;
    proposals += posted.proposals;
    answerMs.push(...posted.answerMs);
    busy.cpuMs += after.cpuMs - before.cpuMs;
    busy.databaseMs += after.databaseMs - before.databaseMs;
    busy.clientMs += ownAfter - ownBefore;
    if (machineBefore > 0) {
      const others = machineAfter - machineBefore - (ownAfter - ownBefore) - (after.cpuMs - before.cpuMs);
      busy.othersMs += Math.max(0, others);
    }
    rate = posts.length / posted.seconds;
  }
  return { seconds, proposals, busy, answerMs };
}

/** Sends every post, `concurrency` at a time; the wall time from the first post to the last answer. */
async function postAll(
  url: string,
  posts: readonly SignedPost[],
  concurrency: number,
): Promise<{ seconds: number; proposals: number; answerMs: number[] }> {
  let next = 0;
  let proposals = 0;
  const answerMs: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, posts.length) }, async () => {
      while (next < posts.length) {
        const sent = performance.now();
        const answer = await send(url, posts[next++]);
        answerMs.push(performance.now() - sent);
        if (answer.status === "proposed") proposals++;
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, proposals, answerMs };
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

const ms1 = (ms: number): number => Math.round(ms * 10) / 10;

type Spread = { p50: number; p99: number; max: number };

/** p50, p99 and max, in ms with one decimal. */
function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: ms1(percentile(sorted, 0.5)),
    p99: ms1(percentile(sorted, 0.99)),
    max: ms1(sorted[sorted.length - 1]),
  };
}

function wallet(role: number, i: number): Wallet {
  return new Wallet("0x" + (BigInt(role) * 2n ** 128n + BigInt(i + 1)).toString(16).padStart(64, "0"));
}

/** The parties: one wallet per offer of the throughput phases, and the sample's few. */
export interface ApiParties {
  providers: Wallet[];
  jobCreators: Wallet[];
  sampleProviders: Wallet[];
  sampleJobCreators: Wallet[];
}

export function makeParties(): ApiParties {
  const many = (role: number, count: number) => Array.from({ length: count }, (_, i) => wallet(role, i));
  return {
    providers: many(1, API.resourceOffers),
    jobCreators: many(2, API.jobOffers),
    sampleProviders: many(3, API.sampleParties),
    sampleJobCreators: many(4, API.sampleParties),
  };
}

/** The offers of one store's run, from the generator's (their parties, solver and created_at replaced). */
interface ApiBook {
  resources: { template: ResourceOffer; wallet: Wallet }[];
  jobs: { template: JobOffer; wallet: Wallet }[];
  sampleJobs: { template: JobOffer; wallet: Wallet }[];
}

/** How many offers the generator must make for the API half. */
export function generatorCounts(): { resources: number; jobs: number } {
  return { resources: API.resourceOffers, jobs: API.jobOffers + API.sample + API.warmupMax };
}

function apiBook(generated: { resources: ResourceOffer[]; jobs: BookJob[] }, parties: ApiParties): ApiBook {
  const sampleOffers = API.sample + API.warmupMax;
  const background = API.resourceOffers - sampleOffers;
  if (background < 0) throw new Error("BENCH_API_RESOURCE_OFFERS must exceed the sample and its warm-up");
  const ours = { solver: SOLVER };
  const resources: ApiBook["resources"] = [];
  // The sample providers' machines: each takes any sample job (the largest spec, every module, the lowest prices),
  // and their order by age is their order by price, so that every job takes the next one (provider k mod 10).
  const sample = (k: number): { template: ResourceOffer; wallet: Wallet } => {
    const base = generated.resources[k];
    const provider = parties.sampleProviders[k % API.sampleParties];
    return {
      wallet: provider,
      template: {
        ...base,
        resource_provider: provider.address,
        index: Math.floor(k / API.sampleParties),
        spec: { cpu: 32_000, gpu: 8_000, ram: 65_536 },
        modules: [],
        mode: "FixedPrice",
        default_pricing: {
          instruction_price: 10n ** 9n + BigInt(k),
          payment_collateral: 100n * 10n ** 9n,
          results_collateral_multiple: 2n,
          mediation_fee: 10n ** 9n,
        },
        module_pricing: {},
        module_timeouts: {},
        trusted_parties: { ...ours, mediator: [SAMPLE_MEDIATOR] },
      },
    };
  };
  // Spread evenly among the others, in their order.
  let k = 0;
  for (let i = 0; i < background; i++) {
    while (k < sampleOffers && (k * background) / sampleOffers <= i) resources.push(sample(k++));
    const base = generated.resources[sampleOffers + i];
    resources.push({
      wallet: parties.providers[i],
      template: {
        ...base,
        resource_provider: parties.providers[i].address,
        mode: "FixedPrice",
        trusted_parties: { ...base.trusted_parties, ...ours },
      },
    });
  }
  while (k < sampleOffers) resources.push(sample(k++));
  const job = (g: number, owner: Wallet, mediators?: string[]) => {
    const base = generated.jobs[g].offer;
    return {
      wallet: owner,
      template: {
        ...base,
        job_creator: owner.address,
        trusted_parties: { ...base.trusted_parties, ...ours, ...(mediators ? { mediator: mediators } : {}) },
      },
    };
  };
  const rand = seededRandom(11);
  return {
    resources,
    jobs: Array.from({ length: API.jobOffers }, (_, i) => job(i, parties.jobCreators[i])),
    sampleJobs: Array.from({ length: sampleOffers }, (_, j) =>
      job(
        API.jobOffers + j,
        // The warm-up goes round the job creators; the sample picks them at random.
        parties.sampleJobCreators[j < API.sampleParties ? j : Math.floor(rand() * API.sampleParties)],
        [SAMPLE_MEDIATOR],
      ),
    ),
  };
}

/** The sample parties' subscriptions: when each job offer's proposal reached its job creator and its provider. */
class Listeners {
  private readonly arrivals = new Map<string, { creator?: number; provider?: number; both?: () => void }>();
  private readonly heard = new Set<string>();
  private readonly clients: SolverApiClient[] = [];
  private readonly subscriptions: { close(): void }[] = [];
  private connectedCount = 0;
  private onConnected?: () => void;
  readonly errors: Error[] = [];

  constructor(url: string, parties: ApiParties) {
    const roles = [
      ...parties.sampleJobCreators.map((w) => [w, "creator"] as const),
      ...parties.sampleProviders.map((w) => [w, "provider"] as const),
    ];
    for (const [party, role] of roles) {
      const client = new SolverApiClient(url, party, { solver: SOLVER, chainId: CHAIN_ID, subscriptionSeconds: 600 });
      this.clients.push(client);
      let connected = false;
      this.subscriptions.push(
        client.notices({
          next: (notice) => {
            if (notice.kind !== "proposed" || !notice.offerId) return;
            const at = performance.now();
            this.heard.add(party.address);
            const entry = this.arrivals.get(notice.offerId) ?? {};
            entry[role] ??= at;
            this.arrivals.set(notice.offerId, entry);
            if (entry.creator !== undefined && entry.provider !== undefined) entry.both?.();
          },
          connected: () => {
            if (connected) return;
            connected = true;
            if (++this.connectedCount === roles.length) this.onConnected?.();
          },
          error: (error) => this.errors.push(error),
        }),
      );
    }
  }

  get size(): number {
    return this.clients.length;
  }

  /** Once every subscription has connected. */
  connected(timeoutMs: number): Promise<void> {
    if (this.connectedCount === this.size) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the subscriptions did not connect")), timeoutMs);
      this.onConnected = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** How many of the parties have had a proposal. */
  get heardFrom(): number {
    return this.heard.size;
  }

  /** When both parties had the proposal of job offer `offerId` (performance.now()), or undefined after timeoutMs. */
  both(offerId: string, timeoutMs: number): Promise<number | undefined> {
    const entry = this.arrivals.get(offerId) ?? {};
    this.arrivals.set(offerId, entry);
    const at = () => Math.max(entry.creator!, entry.provider!);
    if (entry.creator !== undefined && entry.provider !== undefined) return Promise.resolve(at());
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      entry.both = () => {
        clearTimeout(timer);
        resolve(at());
      };
    });
  }

  close(): void {
    for (const s of this.subscriptions) s.close();
    for (const c of this.clients) c.close();
  }
}

async function bookOf(url: string): Promise<{ jobOffers: number; resourceOffers: number }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: "{ book { jobOffers resourceOffers } }" }),
  });
  return ((await response.json()) as { data: { book: { jobOffers: number; resourceOffers: number } } }).data.book;
}

/** The latency sample: one job offer at a time, from sending postJobOffer until both parties heard of its proposal. */
async function sampleProposals(
  url: string,
  book: ApiBook,
  parties: ApiParties,
): Promise<{ proposalMs: number[]; answerMs: number[]; warmup: number }> {
  const listeners = new Listeners(url, parties);
  try {
    await listeners.connected(30_000);
    const sampleProviders = new Set(parties.sampleProviders.map((w) => w.address.toLowerCase()));
    let used = 0;
    const one = async (timeoutMs: number) => {
      const { template, wallet } = book.sampleJobs[used++];
      const post = await sign("job", template, wallet, Date.now());
      const started = performance.now();
      const answer = await send(url, post);
      const answered = performance.now();
      if (answer.status !== "proposed" || !sampleProviders.has(answer.proposal!.resourceProvider.toLowerCase())) {
        throw new Error(`sample job ${post.offerId}: ${answer.status}, not a deal with a sample provider`);
      }
      const both = await listeners.both(post.offerId, timeoutMs);
      return { started, answered, both };
    };
    // A subscription is live once it has had a proposal: warm up until all have.
    while (listeners.heardFrom < listeners.size) {
      if (used >= API.warmupMax) {
        throw new Error(
          `after ${used} warm-up jobs only ${listeners.heardFrom} subscriptions heard: ${listeners.errors.map((e) => e.message).join("; ")}`,
        );
      }
      await one(1000);
    }
    const warmup = used;
    const proposalMs: number[] = [];
    const answerMs: number[] = [];
    for (let j = 0; j < API.sample; j++) {
      const { started, answered, both } = await one(10_000);
      if (both === undefined) throw new Error(`sample job ${j}: its proposal did not reach both parties in 10 s`);
      proposalMs.push(both - started);
      answerMs.push(answered - started);
    }
    return { proposalMs, answerMs, warmup };
  } finally {
    listeners.close();
  }
}

export interface ApiStoreResult {
  offersPerSecond: number;
  offers: number;
  concurrency: number;
  /** answerMs: each post's time to its answer, `concurrency` in flight. */
  resourceOffers: { count: number; seconds: number; perSecond: number; answerMs: Spread };
  jobOffers: { count: number; seconds: number; perSecond: number; proposals: number; answerMs: Spread };
  proposalMs: {
    openOffers: { jobOffers: number; resourceOffers: number };
    sample: number;
    subscriptions: number;
    p50: number;
    p99: number;
    max: number;
  };
  /** The sample's post → answer (the job creator's own proposal in the mutation's answer). */
  answerMs: Spread;
  /** The solver process over the throughput phases. */
  solver: {
    /** Its CPU time over the wall time (100 = one core busy). */
    cpuPercent: number;
    cpuMsPerOffer: number;
    /** Wall time with a database call in flight, per offer. */
    databaseMsPerOffer: number;
    rssMiB: number;
  };
  /**
   * Over the throughput phases (100 = one core busy): the bench process (the posters' HTTP clients), and the rest of
   * the machine (PostgreSQL's server, kernel work no process is charged for such as loopback networking, and whatever
   * else runs there).
   */
  clientCpuPercent: number;
  othersCpuPercent: number;
}

/** One store's run: a fresh solver process, the three phases, the solver process closed. */
async function measureStore(
  store: ApiStore,
  generated: { resources: ResourceOffer[]; jobs: BookJob[] },
  parties: ApiParties,
  expectedRate: number,
): Promise<ApiStoreResult> {
  const book = apiBook(generated, parties);
  const solver = await SolverProcess.start(store);
  try {
    const url = solver.url;
    const log = (line: string) => console.error(`api (${store}): ${line}`);
    const resources = await postPhase(url, solver, "resource", book.resources, expectedRate);
    if (resources.proposals !== 0) throw new Error("a resource offer was matched with no job offer waiting");
    const resourceRate = book.resources.length / resources.seconds;
    log(`${book.resources.length} resource offers in ${resources.seconds.toFixed(2)} s (${resourceRate.toFixed(0)}/s)`);

    const openOffers = await bookOf(url);
    if (openOffers.resourceOffers !== API.resourceOffers || openOffers.jobOffers !== 0) {
      throw new Error(`the book holds ${JSON.stringify(openOffers)} before the sample`);
    }
    const sample = await sampleProposals(url, book, parties);
    const sorted = [...sample.proposalMs].sort((a, b) => a - b);
    log(
      `proposal to both parties, ${sorted.length} job offers one at a time (after ${sample.warmup} warm-up): ` +
        `p50 ${percentile(sorted, 0.5).toFixed(1)} ms, p99 ${percentile(sorted, 0.99).toFixed(1)} ms, ` +
        `max ${sorted[sorted.length - 1].toFixed(1)} ms`,
    );

    const jobs = await postPhase(url, solver, "job", book.jobs, resourceRate);
    const jobRate = book.jobs.length / jobs.seconds;
    log(
      `${book.jobs.length} job offers in ${jobs.seconds.toFixed(2)} s (${jobRate.toFixed(0)}/s), ${jobs.proposals} proposals`,
    );
    const last = await solver.stats();

    const offers = book.resources.length + book.jobs.length;
    const seconds = resources.seconds + jobs.seconds;
    const cpuMs = resources.busy.cpuMs + jobs.busy.cpuMs;
    const databaseMs = resources.busy.databaseMs + jobs.busy.databaseMs;
    const percentOfWall = (ms: number) => Math.round((ms / (seconds * 1000)) * 100);
    return {
      offersPerSecond: Math.round(offers / seconds),
      offers,
      concurrency: API.concurrency,
      resourceOffers: {
        count: book.resources.length,
        seconds: Number(resources.seconds.toFixed(3)),
        perSecond: Math.round(resourceRate),
        answerMs: spread(resources.answerMs),
      },
      jobOffers: {
        count: book.jobs.length,
        seconds: Number(jobs.seconds.toFixed(3)),
        perSecond: Math.round(jobRate),
        proposals: jobs.proposals,
        answerMs: spread(jobs.answerMs),
      },
      proposalMs: {
        openOffers,
        sample: sorted.length,
        subscriptions: 2 * API.sampleParties,
        p50: ms1(percentile(sorted, 0.5)),
        p99: ms1(percentile(sorted, 0.99)),
        max: ms1(sorted[sorted.length - 1]),
      },
      answerMs: spread(sample.answerMs),
      solver: {
        cpuPercent: percentOfWall(cpuMs),
        cpuMsPerOffer: Number((cpuMs / offers).toFixed(3)),
        databaseMsPerOffer: Number((databaseMs / offers).toFixed(3)),
        rssMiB: last.rssMiB,
      },
      clientCpuPercent: percentOfWall(resources.busy.clientMs + jobs.busy.clientMs),
      othersCpuPercent: percentOfWall(resources.busy.othersMs + jobs.busy.othersMs),
    };
  } finally {
    await solver.close();
  }
}

export interface ApiResult {
  /** PGlite's (the default store's). */
  offersPerSecond: number;
  proposalP99Ms: number;
  store: ApiStore;
  /** What each store's run posts. */
  setup: {
    resourceOffers: number;
    /** Of those, the sample providers' (10 providers, many machines each). */
    sampleProviderOffers: number;
    jobOffers: number;
    concurrency: number;
    chunk: number;
    pgliteThread: "main" | "worker";
  };
  pglite: ApiStoreResult;
  /** With DATABASE_URL set; null otherwise. */
  postgres: ApiStoreResult | null;
}

/** The API half on PGlite, and on PostgreSQL when DATABASE_URL is set. */
export async function measureApi(generated: { resources: ResourceOffer[]; jobs: BookJob[] }): Promise<ApiResult> {
  const started = performance.now();
  const parties = makeParties();
  console.error(
    `api: ${parties.providers.length + parties.jobCreators.length + 2 * API.sampleParties} wallets in ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const pglite = await measureStore("pglite", generated, parties, 250);
  const postgres = process.env.DATABASE_URL
    ? await measureStore("postgres", generated, parties, pglite.resourceOffers.perSecond)
    : null;
  return {
    offersPerSecond: pglite.offersPerSecond,
    proposalP99Ms: pglite.proposalMs.p99,
    store: "pglite",
    setup: {
      resourceOffers: API.resourceOffers,
      sampleProviderOffers: API.sample + API.warmupMax,
      jobOffers: API.jobOffers,
      concurrency: API.concurrency,
      chunk: API.chunk,
      pgliteThread: API.pgliteThread,
    },
    pglite,
    postgres,
  };
}

if (require.main === module && process.argv[2] === "serve") {
  const store = process.argv[3] === "postgres" ? "postgres" : "pglite";
  serve(store).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
