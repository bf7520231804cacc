// The API-under-load part of `npm run bench:indexer`: the same chain served by the baseline commit (a git worktree
// with its own build and CLI) and by this checkout, each measured with 50 clients on the four solver queries and
// with one client per query. Parameters are drawn at random from the indexed data for every request (GraphQL
// variables), so no request repeats often enough for a cache to make the figure.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { percentile, runLoad, type LoadQuery, type LoadResult } from "../../src/server/load";

/** The commit the figures are compared with: main's HEAD when this work started. */
export const DEFAULT_BASELINE_REF = "6d43a4d";

/** A build of Accord: its checkout and the compiled CLI. */
export interface Build {
  label: string;
  root: string;
  cli: string;
}

export interface BaselineBuild extends Build {
  commit: string;
  /** Removes the worktree (unless kept with BENCH_KEEP_BASELINE=1). */
  remove(): void;
}

const git = (root: string, args: string[]): string =>
  execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/**
 * A detached worktree of `ref` under the OS temp directory, sharing this checkout's node_modules (same lockfile),
 * built with its own `node scripts/build.js`. The contracts' artifacts and Hardhat's cache are copied over first so
 * the baseline compiles only what differs.
 */
export function prepareBaseline(root: string, ref: string, log: (m: string) => void): BaselineBuild {
  const commit = git(root, ["rev-parse", "--verify", `${ref}^{commit}`]);
  const dir = path.join(os.tmpdir(), `accord-baseline-${commit.slice(0, 12)}`);
  const cli = path.join(dir, "dist", "src", "bin", "accord.js");
  const keep = process.env.BENCH_KEEP_BASELINE === "1";
  const reusable =
    fs.existsSync(cli) && fs.existsSync(path.join(dir, ".git")) && git(dir, ["rev-parse", "HEAD"]) === commit;
  if (!reusable) {
    if (fs.existsSync(dir)) {
      try {
        git(root, ["worktree", "remove", "--force", dir]);
      } catch {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    git(root, ["worktree", "prune"]);
    git(root, ["worktree", "add", "--detach", dir, commit]);
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
    for (const copied of ["artifacts", "cache", "typechain-types"]) {
      const from = path.join(root, copied);
      if (fs.existsSync(from) && !fs.existsSync(path.join(dir, copied)))
        fs.cpSync(from, path.join(dir, copied), { recursive: true });
    }
    const started = Date.now();
    const build = spawnSync(process.execPath, ["scripts/build.js"], { cwd: dir, env: childEnv(), encoding: "utf8" });
    if (build.status !== 0) throw new Error(`building the baseline in ${dir} failed:\n${build.stdout}${build.stderr}`);
    log(`baseline ${commit.slice(0, 7)} built in ${dir} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  return {
    label: `baseline ${commit.slice(0, 7)}`,
    root: dir,
    cli,
    commit,
    remove() {
      if (keep) return;
      try {
        git(root, ["worktree", "remove", "--force", dir]);
      } catch {
        fs.rmSync(dir, { recursive: true, force: true });
        git(root, ["worktree", "prune"]);
      }
    },
  };
}

export type Child = { process: ChildProcess; stdout(): string; stderr(): string };

/** The CLI's environment: not Hardhat's or ts-node's, and no DATABASE_URL (the flags choose the store). */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(HARDHAT_|TS_NODE_|NODE_CHANNEL_FD$|DATABASE_URL$)/.test(key)),
  );
}

export function startCli(build: Build, args: string[], nodeArgs: string[] = []): Child {
  const child = spawn(process.execPath, [...nodeArgs, build.cli, ...args], {
    cwd: build.root,
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  return { process: child, stdout: () => out, stderr: () => err };
}

export async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise((resolve) => child.process.on("exit", resolve));
  child.process.kill("SIGTERM");
  await exited;
}

export async function waitFor(url: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export async function graphql<T>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

/** What the queries draw their parameters from: every provider, and up to 5,000 deal keys. */
export interface SamplePool {
  providers: string[];
  deals: string[];
  /** Rows list 1 returns for the provider with the fewest open deals, and list 3's rows (both should be 100). */
  providerOpenDealsMinRows: number;
  resultsSubmittedRows: number;
}

export async function samplePool(url: string): Promise<SamplePool> {
  const deals: string[] = [];
  const providers = new Set<string>();
  for (let skip = 0; skip <= 4000; skip += 1000) {
    const page = await graphql<{ deals: { id: string; resourceProvider: { id: string } }[] }>(
      url,
      `
        query Page($skip: Int!) {
          deals(first: 1000, skip: $skip, orderBy: id) {
            id
            resourceProvider {
              id
            }
          }
        }
      `,
      { skip },
    );
    for (const d of page.deals) {
      deals.push(d.id);
      providers.add(d.resourceProvider.id);
    }
    if (page.deals.length < 1000) break;
  }
  let providerOpenDealsMinRows = Infinity;
  for (const rp of providers) {
    const { deals: open } = await graphql<{ deals: unknown[] }>(url, API_QUERIES[0].query, { rp });
    providerOpenDealsMinRows = Math.min(providerOpenDealsMinRows, open.length);
  }
  const { deals: submitted } = await graphql<{ deals: unknown[] }>(url, API_QUERIES[2].query);
  return { providers: [...providers], deals, providerOpenDealsMinRows, resultsSubmittedRows: submitted.length };
}

/** The four solver queries of issue 7 §4, each with the pool parameter it draws. */
export const API_QUERIES: { name: string; query: string; draw?: "provider" | "deal" }[] = [
  {
    name: "providerOpenDeals",
    draw: "provider",
    query: `query ProviderOpenDeals($rp: String!) {
  deals(first: 100, where: { resourceProvider: $rp, isOpen: true }, orderBy: createdAt, orderDirection: desc) {
    id cid state escrow createdAt instructionPrice
  }
}`,
  },
  {
    name: "dealPayments",
    draw: "deal",
    query: `query DealPayments($deal: String!) {
  payments(where: { deal: $deal }, orderBy: blockNumber) { amount reason direction payee account { id } }
}`,
  },
  {
    name: "resultsSubmitted",
    query: `query ResultsSubmitted {
  deals(first: 100, where: { state: ResultsSubmitted }, orderBy: updatedAt, orderDirection: desc) {
    id cid state escrow updatedAt instructionPrice resourceProvider { id }
  }
}`,
  },
  {
    name: "dealById",
    draw: "deal",
    query: `query DealById($deal: ID!) {
  deal(id: $deal) {
    id state jobCreator { id } resourceProvider { id }
    result { instructionCount jobCost } mediation { mediator outcome }
    payments(first: 20) { amount reason }
  }
}`,
  },
];

function loadQueries(pool: SamplePool): LoadQuery[] {
  const pick = (values: string[]): string => values[Math.floor(Math.random() * values.length)];
  return API_QUERIES.map(({ query, draw }) => ({
    query,
    variables:
      draw === "provider"
        ? () => ({ rp: pick(pool.providers) })
        : draw === "deal"
          ? () => ({ deal: pick(pool.deals) })
          : {},
  }));
}

export interface ApiFigures {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorSamples: string[];
  /** One client alone, per query: p50. */
  oneClient: { name: string; p50Ms: number; p99Ms: number; requests: number }[];
  /** Under load, per query. */
  underLoad: { name: string; p50Ms: number; p99Ms: number }[];
}

export interface MeasureOptions {
  clients: number;
  /** Load seconds per server. */
  seconds: number;
  /** One-client seconds per query and server. */
  oneClientSeconds: number;
  /** Slices the time is cut into, alternating between the servers (default 4). */
  slices?: number;
  /** Only the one-client runs (scripts/bench/api-quick.ts): no load, its figures are zero. */
  oneClientOnly?: boolean;
}

/** Latencies of several runs of one server, merged. */
class Merged {
  private runs: LoadResult[] = [];
  add(run: LoadResult): void {
    this.runs.push(run);
  }
  private concat(pick: (r: LoadResult) => Float64Array): Float64Array {
    const parts = this.runs.map(pick);
    const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out.sort();
  }
  all(): Float64Array {
    return this.concat((r) => r.latencies!.all);
  }
  query(i: number): Float64Array {
    return this.concat((r) => r.latencies!.perQuery[i]);
  }
  get requests(): number {
    return this.runs.reduce((n, r) => n + r.requests, 0);
  }
  get seconds(): number {
    return this.runs.reduce((n, r) => n + r.durationMs, 0) / 1000;
  }
  get errors(): number {
    return this.runs.reduce((n, r) => n + r.errors, 0);
  }
  get errorSamples(): string[] {
    return [...new Set(this.runs.flatMap((r) => r.errorSamples))].slice(0, 5);
  }
}

/**
 * Measures several servers of the same data under the same conditions: their runs alternate in slices (the
 * machine's other load drifts; each server gets its share of every phase of it). Per server: one client alone on
 * each query (p50), then `clients` clients on the mix, after a short warm-up.
 */
export async function measureApis(urls: string[], pool: SamplePool, options: MeasureOptions): Promise<ApiFigures[]> {
  const queries = loadQueries(pool);
  const slices = Math.max(1, options.slices ?? 4);
  const run = (url: string, clients: number, ms: number, q: LoadQuery[]) =>
    runLoad({ url, clients, durationMs: ms, queries: q, keepLatencies: true });
  for (const url of urls) await run(url, 4, 1500, queries);
  const oneClient = urls.map(() => queries.map(() => new Merged()));
  for (let slice = 0; slice < Math.min(2, slices); slice++) {
    for (let i = 0; i < queries.length; i++) {
      for (const [k, url] of urls.entries()) {
        const r = await run(url, 1, (options.oneClientSeconds * 1000) / Math.min(2, slices), [queries[i]]);
        if (r.errors > 0) throw new Error(`${url} ${API_QUERIES[i].name}: ${r.errorSamples.join("; ")}`);
        oneClient[k][i].add(r);
      }
    }
  }
  const load = urls.map(() => new Merged());
  for (let slice = 0; slice < (options.oneClientOnly ? 0 : slices); slice++) {
    // Each slice starts with another server, so none always runs first after the other's load.
    for (let j = 0; j < urls.length; j++) {
      const k = (slice + j) % urls.length;
      load[k].add(await run(urls[k], options.clients, (options.seconds * 1000) / slices, queries));
    }
  }
  return urls.map((_, k) => {
    const all = load[k].all();
    return {
      rps: Math.round(load[k].requests / load[k].seconds),
      p50Ms: round(percentile(all, 50)),
      p99Ms: round(percentile(all, 99)),
      errors: load[k].errors,
      errorSamples: load[k].errorSamples,
      oneClient: oneClient[k].map((m, i) => {
        const latencies = m.all();
        return {
          name: API_QUERIES[i].name,
          p50Ms: round(percentile(latencies, 50)),
          p99Ms: round(percentile(latencies, 99)),
          requests: m.requests,
        };
      }),
      underLoad: API_QUERIES.map((q, i) => {
        const latencies = load[k].query(i);
        return { name: q.name, p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
      }),
    };
  });
}

/** Serves each store with its build's `accord serve` (all at once, on consecutive ports) and measures them. */
export async function benchServe(
  servers: { build: Build; store: string[] }[],
  port: number,
  options: MeasureOptions & { pool?: SamplePool },
  log: (m: string) => void,
): Promise<{ figures: ApiFigures[]; pool: SamplePool }> {
  const children = servers.map(({ build, store }, k) =>
    startCli(build, ["serve", ...store, "--port", String(port + k), "--log-level", "warn"]),
  );
  try {
    const urls = servers.map((_, k) => `http://127.0.0.1:${port + k}/graphql`);
    for (let k = 0; k < servers.length; k++) await waitFor(`http://127.0.0.1:${port + k}/health`);
    const pool = options.pool ?? (await samplePool(urls[urls.length - 1]));
    const figures = await measureApis(urls, pool, options);
    for (const [k, { build, store }] of servers.entries()) {
      const f = figures[k];
      log(
        `API ${build.label} (${store.includes("--database") ? "PostgreSQL" : "PGlite"}): ${f.rps} requests/s, ` +
          `p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms, ${f.errors} errors; one client p50 ` +
          f.oneClient.map((q) => `${q.name} ${q.p50Ms} ms`).join(", "),
      );
    }
    return { figures, pool };
  } finally {
    for (const child of children) await stopChild(child);
  }
}

export const round = (n: number): number => Math.round(n * 10) / 10;

// `npx ts-node scripts/bench/api.ts <graphql url>… [--seconds n] [--clients n]`: measures servers already running
// (the parameters drawn from the last one's data).
if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? Number(args.splice(at, 2)[1]) : fallback;
  };
  const seconds = flag("seconds", 10);
  const clients = flag("clients", 50);
  if (args.length === 0)
    throw new Error("usage: ts-node scripts/bench/api.ts <graphql url>… [--seconds n] [--clients n]");
  void (async () => {
    const pool = await samplePool(args[args.length - 1]);
    const figures = await measureApis(args, pool, { clients, seconds, oneClientSeconds: Math.max(2, seconds / 4) });
    console.log(JSON.stringify({ pool: { ...pool, deals: pool.deals.length }, figures }, null, 2));
  })();
}
