// Operational endpoints (/health, /ready, /metrics), GraphiQL, the server's defaults and the load generator.

import { expect } from "chai";
import { Registry } from "prom-client";
import { indexerMetrics } from "../../src/server/metrics";
import { runLoad } from "../../src/server/load";
import { createServer } from "../../src/server/server";
import { FakeStore } from "./fakeStore";
import { D1, marketStore, model, silent, startServer, type TestServer } from "./helpers";

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; type: string | null }> {
  const response = await fetch(url, { headers });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}

describe("server: operations", function () {
  let lag = 2;
  let lagFails = false;
  let t: TestServer;
  const registry = new Registry();

  before(async () => {
    t = await startServer({
      registry,
      maxHeadLag: 5,
      headLag: () => (lagFails ? Promise.reject(new Error("rpc down")) : Promise.resolve(lag)),
    });
  });
  after(async () => {
    await t.close();
  });

  it("/health answers while the process is up", async () => {
    const r = await get(`${t.server.origin}/health`);
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.text)).to.deep.equal({ status: "ok" });
  });

  it("/ready follows the head lag", async () => {
    lag = 2;
    let r = await get(`${t.server.origin}/ready`);
    expect(r.status).to.equal(200);
    expect(JSON.parse(r.text)).to.deep.equal({ ready: true, headLag: 2, maxHeadLag: 5 });
    lag = 6;
    r = await get(`${t.server.origin}/ready`);
    expect(r.status).to.equal(503);
    expect((JSON.parse(r.text) as { ready: boolean }).ready).to.equal(false);
    lagFails = true;
    r = await get(`${t.server.origin}/ready`);
    expect(r.status).to.equal(503);
    expect(JSON.parse(r.text)).to.deep.include({ ready: false, error: "rpc down" });
    lagFails = false;
    lag = 5;
    expect((await get(`${t.server.origin}/ready`)).status).to.equal(200);
  });

  it("/ready without headLag needs an indexed block", async () => {
    const empty = await startServer({ store: new FakeStore(model) });
    const full = await startServer({ store: marketStore() });
    try {
      expect((await get(`${empty.server.origin}/ready`)).status).to.equal(503);
      expect((await get(`${full.server.origin}/ready`)).status).to.equal(200);
    } finally {
      await empty.close();
      await full.close();
    }
  });

  it("/metrics exposes head lag, the indexer's counters, query latency and outcomes", async () => {
    // The indexer registers its counters in the same registry.
    const indexer = indexerMetrics(registry);
    indexer.events.inc(42);
    indexer.blocks.inc(7);
    lag = 3;
    await t.gql("{ deals { id } }");
    await t.gql("{ deals(first: 5000) { id } }");
    await t.gql("{ deals { nope } }");
    const r = await get(`${t.server.origin}/metrics`);
    expect(r.status).to.equal(200);
    expect(r.type).to.match(/text\/plain/);
    expect(r.text).to.match(/^accord_indexer_head_lag_blocks 3$/m);
    expect(r.text).to.match(/^accord_indexer_events_total 42$/m);
    expect(r.text).to.match(/^accord_indexer_blocks_total 7$/m);
    expect(r.text).to.match(/^accord_graphql_requests_total\{outcome="ok"\} [1-9]\d*$/m);
    expect(r.text).to.match(/^accord_graphql_requests_total\{outcome="rejected"\} 1$/m);
    expect(r.text).to.match(/^accord_graphql_requests_total\{outcome="invalid"\} 1$/m);
    // Every ok request is in the +Inf bucket; the 0.1 s bucket exists (how many fall in it depends on the machine).
    expect(r.text).to.match(/^accord_graphql_request_duration_seconds_bucket\{le="\+Inf",outcome="ok"\} [1-9]\d*$/m);
    expect(r.text).to.match(/^accord_graphql_request_duration_seconds_bucket\{le="0\.1",outcome="ok"\} \d+$/m);
    expect(r.text).to.match(/^accord_graphql_subscriptions_active 0$/m);
  });

  it("serves GraphiQL to browsers at /graphql", async () => {
    const r = await get(t.server.url, { accept: "text/html" });
    expect(r.status).to.equal(200);
    expect(r.type).to.match(/text\/html/);
    expect(r.text).to.match(/graphiql/i);
    expect(r.text).to.include("Accord GraphQL");
  });

  it("answers GET queries and 404s elsewhere", async () => {
    const r = await get(`${t.server.url}?query=${encodeURIComponent(`{ deal(id: "${D1}") { id } }`)}`, {
      accept: "application/json",
    });
    expect(JSON.parse(r.text)).to.deep.equal({ data: { deal: { id: D1 } } });
    expect((await get(`${t.server.origin}/nope`)).status).to.equal(404);
  });

  it("listens on 127.0.0.1 by default and closes cleanly", async () => {
    const server = await createServer({
      store: marketStore(),
      model,
      port: 0,
      logger: silent,
      registry: new Registry(),
    });
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    await server.close();
    await server.close();
    const refused = await fetch(server.url).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });

  it("fails to start on a taken port, leaving the running server alone", async () => {
    let error: Error | undefined;
    await createServer({
      store: marketStore(),
      model,
      port: t.server.port,
      logger: silent,
      registry: new Registry(),
    }).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/EADDRINUSE/);
    expect((await get(`${t.server.origin}/health`)).status).to.equal(200);
  });

  it("runLoad measures throughput and latency against a loopback server", async () => {
    const result = await runLoad({
      url: t.server.url,
      clients: 4,
      durationMs: 400,
      queries: [
        "{ deals { id state jobCreator { id } } }",
        { query: "query($id: ID!) { deal(id: $id) { id } }", variables: { id: D1 } },
      ],
    });
    expect(result.requests).to.be.greaterThan(10);
    expect(result.errors).to.equal(0);
    expect(result.rps).to.be.greaterThan(0);
    expect(result.p50Ms).to.be.at.most(result.p99Ms);
    expect(result.p99Ms).to.be.at.most(result.maxMs);
    const failing = await runLoad({ url: t.server.url, clients: 2, durationMs: 100, queries: ["{ nope }"] });
    expect(failing.errors).to.equal(failing.requests);
    expect(failing.errorSamples[0]).to.match(/Cannot query field "nope"/);
    let refused: Error | undefined;
    await runLoad({ url: "http://10.0.0.1:4000/graphql", queries: ["{ deals { id } }"] }).catch(
      (e: Error) => (refused = e),
    );
    expect(refused?.message).to.match(/only targets loopback/);
  });
});
