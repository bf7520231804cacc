// Prometheus metrics of the API, in a registry that can be shared with the indexer (pass the same Registry to
// both): the indexer's counters (`indexerMetrics`) and the server's own series are then served together on /metrics.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from "prom-client";
import { REJECTION_CODES } from "./limits";

function getOrCreate<T extends Metric>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** The indexer's progress counters; get-or-create, so the indexer and the server can both call it. */
export function indexerMetrics(registry: Registry): { events: Counter; blocks: Counter } {
  const events = getOrCreate(
    registry,
    "accord_indexer_events_total",
    () => new Counter({ name: "accord_indexer_events_total", help: "Contract events indexed", registers: [registry] }),
  );
  const blocks = getOrCreate(
    registry,
    "accord_indexer_blocks_total",
    () => new Counter({ name: "accord_indexer_blocks_total", help: "Blocks indexed", registers: [registry] }),
  );
  return { events, blocks };
}

/** How a GraphQL request ended, for `accord_graphql_requests_total{outcome}`. */
export type Outcome = "ok" | "error" | "invalid" | "rejected" | "timeout" | "too_large" | "subscription";

export interface ServerMetrics {
  registry: Registry;
  requests: Counter<"outcome">;
  latency: Histogram<"outcome">;
  subscriptions: Gauge;
}

export function serverMetrics(
  registry: Registry | undefined,
  sources: { headLag?: () => Promise<number>; activeSubscriptions: () => number },
): ServerMetrics {
  const reg = registry ?? new Registry();
  if (!registry) collectDefaultMetrics({ register: reg });
  indexerMetrics(reg);
  // A shared registry may already hold these (a second server in the same process): replace the collectors.
  for (const name of [
    "accord_indexer_head_lag_blocks",
    "accord_graphql_requests_total",
    "accord_graphql_request_duration_seconds",
    "accord_graphql_subscriptions_active",
  ]) {
    reg.removeSingleMetric(name);
  }
  new Gauge({
    name: "accord_indexer_head_lag_blocks",
    help: "Blocks between the chain head and the indexer's last committed block",
    registers: [reg],
    async collect() {
      if (!sources.headLag) return;
      try {
        this.set(await sources.headLag());
      } catch {
        this.set(Number.NaN);
      }
    },
  });
  const requests = new Counter({
    name: "accord_graphql_requests_total",
    help: "GraphQL requests by outcome (ok, error, invalid, rejected by limits, timeout, too_large, subscription)",
    labelNames: ["outcome"] as const,
    registers: [reg],
  });
  const latency = new Histogram({
    name: "accord_graphql_request_duration_seconds",
    help: "Latency of GraphQL queries (subscriptions excluded)",
    labelNames: ["outcome"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [reg],
  });
  const subscriptions = new Gauge({
    name: "accord_graphql_subscriptions_active",
    help: "Open GraphQL subscriptions (SSE and WebSocket)",
    registers: [reg],
    collect() {
      this.set(sources.activeSubscriptions());
    },
  });
  return { registry: reg, requests, latency, subscriptions };
}

const REJECTED = REJECTION_CODES;

/** Classifies a GraphQL result by its errors. */
export function outcomeOf(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): Outcome {
  if (!errors || errors.length === 0) return "ok";
  const codes = errors.map((e) => e.extensions?.code);
  if (codes.includes("TIMEOUT")) return "timeout";
  if (codes.some((c) => typeof c === "string" && REJECTED.has(c))) return "rejected";
  if (codes.some((c) => c === "GRAPHQL_VALIDATION_FAILED" || c === "GRAPHQL_PARSE_FAILED" || c === "BAD_USER_INPUT")) {
    return "invalid";
  }
  return "error";
}
