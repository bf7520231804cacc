// A small load generator for the GraphQL API: `clients` concurrent loops POST queries (round-robin) for
// `durationMs`, bounded by `maxRequests`, against a loopback URL only. A query's variables may be drawn anew for
// every request (a function), so a benchmark can ask for random entities rather than replay one request.

import http from "node:http";
import { performance } from "node:perf_hooks";

export interface LoadQuery {
  query: string;
  /** Fixed variables, or a function called for every request (e.g. drawing an id at random). */
  variables?: Record<string, unknown> | (() => Record<string, unknown>);
  operationName?: string;
}

/** Latency of one of the queries (by its index in `queries`). */
export interface QueryLatency {
  requests: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadOptions {
  /** The GraphQL endpoint; must be on the loopback interface (127.0.0.0/8, localhost, ::1). */
  url: string;
  /** Concurrent clients (requests in flight). Default 50. */
  clients?: number;
  /** How long to run. Default 20 s. */
  durationMs?: number;
  /** Upper bound on requests sent. Default 1,000,000. */
  maxRequests?: number;
  queries: (string | LoadQuery)[];
  /** Per-request timeout. Default 30 s. */
  requestTimeoutMs?: number;
  /** Return every latency (to merge runs). */
  keepLatencies?: boolean;
}

export interface LoadResult {
  requests: number;
  /** Requests that failed: network error, non-2xx status, or a GraphQL response with errors. */
  errors: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  durationMs: number;
  /** Up to 5 distinct error messages seen. */
  errorSamples: string[];
  /** Per query, in the order of `queries`. */
  perQuery: QueryLatency[];
  /** Every latency, sorted, overall and per query (with `keepLatencies`). */
  latencies?: { all: Float64Array; perQuery: Float64Array[] };
}

/** POSTs a JSON body; resolves with the status and the whole response text. */
function post(agent: http.Agent, url: URL, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          "content-length": Buffer.byteLength(body),
        },
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`no response within ${timeoutMs} ms`)));
    request.on("error", reject);
    request.end(body);
  });
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (!isLoopback(url.hostname)) throw new Error(`runLoad only targets loopback addresses, not ${url.hostname}`);
  if (url.protocol !== "http:") throw new Error(`runLoad speaks plain HTTP (loopback), not ${url.protocol}`);
  if (options.queries.length === 0) throw new Error("runLoad needs at least one query");
  const clients = Math.max(1, options.clients ?? 50);
  const durationMs = options.durationMs ?? 20_000;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const bodies = options.queries.map((q): (() => string) => {
    if (typeof q === "string") {
      const body = JSON.stringify({ query: q });
      return () => body;
    }
    const { variables } = q;
    if (typeof variables !== "function") {
      const body = JSON.stringify(q);
      return () => body;
    }
    return () => JSON.stringify({ ...q, variables: variables() });
  });

  const all = new Samples();
  const byQuery = bodies.map(() => new Samples());
  let sent = 0;
  let errors = 0;
  const queryErrors = bodies.map(() => 0);
  const samples = new Set<string>();
  const fail = (query: number, message: string): void => {
    errors++;
    queryErrors[query]++;
    if (samples.size < 5) samples.add(message.slice(0, 200));
  };

  // One keep-alive connection per client. node:http rather than fetch: on a small machine the generator shares the
  // cores with the server, and fetch's per-request cost (WHATWG streams and headers) would cap the figure sooner.
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  // Every client's connection is open before the clock starts: a burst of new connections is served last (the
  // server reads the open ones first), which would put connection setup into the first requests' latency.
  await Promise.all(
    Array.from({ length: clients }, (_, k) =>
      post(agent, url, bodies[k % bodies.length](), requestTimeoutMs).catch(() => undefined),
    ),
  );
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (offset: number): Promise<void> => {
    let i = offset;
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      const query = i++ % bodies.length;
      const body = bodies[query]();
      const t0 = performance.now();
      try {
        const response = await post(agent, url, body, requestTimeoutMs);
        const text = response.text;
        const ms = performance.now() - t0;
        all.add(ms);
        byQuery[query].add(ms);
        if (response.status < 200 || response.status > 299) fail(query, `HTTP ${response.status}: ${text}`);
        else if (text.includes('"errors"')) {
          const parsed = JSON.parse(text) as { errors?: { message: string }[] };
          if (parsed.errors?.length) fail(query, parsed.errors[0].message);
        }
      } catch (error) {
        const ms = performance.now() - t0;
        all.add(ms);
        byQuery[query].add(ms);
        fail(query, (error as Error).message);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, (_, k) => worker(k)));
  } finally {
    agent.destroy();
  }
  const elapsed = performance.now() - start;
  const sorted = all.sorted();
  const perQuery = byQuery.map((q) => q.sorted());
  const count = sorted.length;
  return {
    requests: count,
    errors,
    rps: count / (elapsed / 1000),
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: count > 0 ? sorted[count - 1] : 0,
    durationMs: elapsed,
    errorSamples: [...samples],
    perQuery: perQuery.map((latencies, k) => ({
      requests: latencies.length,
      errors: queryErrors[k],
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    })),
    ...(options.keepLatencies ? { latencies: { all: sorted, perQuery } } : {}),
  };
}

/** Latencies in a growable typed array. */
class Samples {
  private values = new Float64Array(1 << 12);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}
