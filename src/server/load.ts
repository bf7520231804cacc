// A small load generator for the GraphQL API: `clients` concurrent loops POST queries (round-robin) for
// `durationMs`, bounded by `maxRequests`, against a loopback URL only.

import { performance } from "node:perf_hooks";

export interface LoadQuery {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
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
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (!isLoopback(url.hostname)) throw new Error(`runLoad only targets loopback addresses, not ${url.hostname}`);
  if (options.queries.length === 0) throw new Error("runLoad needs at least one query");
  const clients = Math.max(1, options.clients ?? 50);
  const durationMs = options.durationMs ?? 20_000;
  const maxRequests = options.maxRequests ?? 1_000_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const bodies = options.queries.map((q) => JSON.stringify(typeof q === "string" ? { query: q } : q));

  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let sent = 0;
  let errors = 0;
  const samples = new Set<string>();
  const record = (ms: number): void => {
    if (count === latencies.length) {
      const grown = new Float64Array(latencies.length * 2);
      grown.set(latencies);
      latencies = grown;
    }
    latencies[count++] = ms;
  };
  const fail = (message: string): void => {
    errors++;
    if (samples.size < 5) samples.add(message.slice(0, 200));
  };

  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (offset: number): Promise<void> => {
    let i = offset;
    while (performance.now() < deadline && sent < maxRequests) {
      sent++;
      const body = bodies[i++ % bodies.length];
      const t0 = performance.now();
      try {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json" },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await response.text();
        record(performance.now() - t0);
        if (!response.ok) fail(`HTTP ${response.status}: ${text}`);
        else if (text.includes('"errors"')) {
          const parsed = JSON.parse(text) as { errors?: { message: string }[] };
          if (parsed.errors?.length) fail(parsed.errors[0].message);
        }
      } catch (error) {
        record(performance.now() - t0);
        fail((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, k) => worker(k)));
  const elapsed = performance.now() - start;
  const sorted = latencies.slice(0, count).sort();
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
  };
}
