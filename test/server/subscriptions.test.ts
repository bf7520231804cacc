// Subscriptions over SSE (yoga) and WebSocket (graphql-ws): batches written through the real store's batch API,
// their changes published on the in-memory feed, pushed to subscribers as of the batch's block.

import { expect } from "chai";
import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";
import type { SqlStore } from "../../src/indexer/store";
import { MemoryChangeFeed } from "../../src/server/subscriptions";
import { sse } from "../helpers/sse";
import {
  A1,
  A2,
  D1,
  D2,
  D3,
  dealKey,
  applyFake,
  applySql,
  deal,
  marketSqlStore,
  marketStore,
  startServer,
  type FixtureBatch,
  type IdRows,
  type TestServer,
} from "./helpers";

const D4 = dealKey(0xd4);

/** The next result of a graphql-ws subscription (whose iterator types its return value `any`). */
async function nextResult<T>(it: AsyncIterator<T, unknown, unknown>): Promise<T> {
  const r = await it.next();
  if (r.done) throw new Error("the subscription ended");
  return r.value;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("server: subscriptions", function () {
  let t: TestServer;
  let sql: SqlStore;
  let feed: MemoryChangeFeed;
  let ws: Client;
  let block = 13;
  let closeStore: () => Promise<void>;

  /** Commits one batch through the store and publishes its changes, as the indexer does. */
  async function commit(batch: Omit<FixtureBatch, "block">): Promise<number> {
    block++;
    const [changes] = await applySql(sql, [{ ...batch, block }]);
    feed.publish(changes);
    return block;
  }

  const subscribers = (): number => t.server.api.hub.size;

  before(async () => {
    const opened = await marketSqlStore();
    sql = opened.sql;
    closeStore = opened.close;
    feed = new MemoryChangeFeed();
    t = await startServer({ store: opened.spy, changes: feed });
    ws = createClient({
      url: t.server.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
    });
  });
  after(async () => {
    await ws?.dispose();
    await t?.close();
    await closeStore?.();
  });

  it("pushes matching entities over SSE when a committed batch touches them", async () => {
    const sub = await sse<{ deals: unknown }>(
      t.server.url,
      "subscription { deals(where: {isOpen: true}, orderBy: instructionPrice) { id state instructionPrice jobCreator { id escrowBalance } } }",
    );
    try {
      await until(() => subscribers() === 1, "the SSE subscription");
      const b14 = await commit({
        set: [
          ["Deal", deal(D4, 14, { instructionPrice: 7n })],
          [
            "Deal",
            deal(D2, 11, {
              jobCreator: A2,
              resourceProvider: A1,
              isOpen: false,
              state: "ResultsAccepted",
              stateIndex: 3,
            }),
          ],
          ["Account", { id: A1, escrowBalance: 2020n, totalPaidIn: 0n, totalReceived: 0n, deferredPayout: 0n }],
        ],
      });
      const first = await sub.next();
      expect(first.event).to.equal("next");
      expect(first.data!.data!.deals).to.deep.equal([
        { id: D4, state: "DealNegotiating", instructionPrice: "7", jobCreator: { id: A1, escrowBalance: "2020" } },
      ]);
      // A batch touching only non-matching deals pushes nothing; the next push is the following match.
      await commit({
        set: [
          [
            "Deal",
            deal(D2, 11, {
              jobCreator: A2,
              resourceProvider: A1,
              isOpen: false,
              state: "ResultsChecked",
              stateIndex: 4,
            }),
          ],
        ],
      });
      await commit({ set: [["Deal", deal(D4, 14, { instructionPrice: 8n, state: "DealAgreed", stateIndex: 1 })]] });
      const second = await sub.next();
      expect(second.data!.data!.deals).to.deep.equal([
        { id: D4, state: "DealAgreed", instructionPrice: "8", jobCreator: { id: A1, escrowBalance: "2020" } },
      ]);
      expect(b14).to.equal(14);
    } finally {
      sub.close();
    }
    await until(() => subscribers() === 0, "the SSE subscription to end");
  });

  it("pushes single changes over WebSocket (graphql-ws on /graphql)", async () => {
    const it = ws.iterate<{ dealChanged: { id: string; state: string; resourceProvider: { id: string } } }>({
      query: `subscription($jc: String) { dealChanged(where: {jobCreator: $jc}) { id state resourceProvider { id } } }`,
      variables: { jc: A1 },
    });
    try {
      await until(() => subscribers() === 1, "the WebSocket subscription");
      await commit({
        set: [
          ["Deal", deal(D1, 10, { state: "ResultsSubmitted", stateIndex: 2 })],
          [
            "Deal",
            deal(D2, 11, {
              jobCreator: A2,
              resourceProvider: A1,
              isOpen: false,
              state: "ResultsAccepted",
              stateIndex: 3,
            }),
          ],
        ],
      });
      const value = await nextResult(it);
      expect(value.data!.dealChanged).to.deep.equal({
        id: D1,
        state: "ResultsSubmitted",
        resourceProvider: { id: A2 },
      });
    } finally {
      await it.return?.();
    }
    await until(() => subscribers() === 0, "the WebSocket subscription to end");
  });

  it("pushes an initial snapshot first with initial: true, then only later changes", async () => {
    const it = ws.iterate<{ deals: { id: string; state: string }[] }>({
      query: "subscription { deals(where: {state: DealNegotiating}, initial: true) { id state } }",
    });
    try {
      const snapshot = await nextResult(it);
      expect(snapshot.data!.deals.map((d) => d.id)).to.deep.equal([D3]);
      await commit({ set: [["Deal", deal(D4, 14, { state: "DealNegotiating", stateIndex: 0 })]] });
      const next = await nextResult(it);
      expect(next.data!.deals).to.deep.equal([{ id: D4, state: "DealNegotiating" }]);
    } finally {
      await it.return?.();
    }
  });

  it("reports entities leaving a filter and removals on entityChanged", async () => {
    const sub = await sse<{ entityChanged: unknown }>(
      t.server.url,
      'subscription { entityChanged(entity: "Deal", where: {isOpen: true}) { entity id block exists matches matchedBefore } }',
    );
    try {
      await until(() => subscribers() === 1, "the entityChanged subscription");
      const closedAt = await commit({
        set: [["Deal", deal(D1, 10, { isOpen: false, state: "ResultsAccepted", stateIndex: 3 })]],
      });
      const closed = await sub.next();
      expect(closed.data!.data!.entityChanged).to.deep.equal({
        entity: "Deal",
        id: D1,
        block: closedAt,
        exists: true,
        matches: false,
        matchedBefore: true,
      });
      const removedAt = await commit({ remove: [["Deal", D3]] });
      const removed = await sub.next();
      expect(removed.data!.data!.entityChanged).to.deep.equal({
        entity: "Deal",
        id: D3,
        block: removedAt,
        exists: false,
        matches: false,
        matchedBefore: true,
      });
      // A deal that neither matched before nor matches now is not reported; a new open one is.
      await commit({
        set: [
          [
            "Deal",
            deal(D2, 11, {
              jobCreator: A2,
              resourceProvider: A1,
              isOpen: false,
              state: "ResultsChecked",
              stateIndex: 4,
            }),
          ],
        ],
      });
      const createdAt = await commit({ set: [["Deal", deal(dealKey(0xd5), 20)]] });
      const created = await sub.next();
      expect(created.data!.data!.entityChanged).to.deep.equal({
        entity: "Deal",
        id: dealKey(0xd5),
        block: createdAt,
        exists: true,
        matches: true,
        matchedBefore: false,
      });
    } finally {
      sub.close();
    }
  });

  it("answers bad subscriptions with GraphQL errors and keeps serving", async () => {
    const bad = [
      ["subscription { deals(where: {isOpen: true, or: [{stateIndex: 1}]}) { id } }", /Cannot mix column filters/],
      ['subscription { entityChanged(entity: "Nope") { id } }', /unknown entity type "Nope"/],
      [
        'subscription { entityChanged(entity: "Deal", where: {instructionPrice_gt: "x"}) { id } }',
        /entityChanged\(where\.instructionPrice_gt\).*BigInt must be an integer/,
      ],
      ["subscription { deals(first: 1000) { payments(first: 1000) { id } } }", /too expensive/],
      ["subscription { deals(first: 5000) { id } }", /`first` argument must be between 0 and 1000/],
      ["subscription { dealChanged { nope } }", /Cannot query field "nope"/],
    ] as const;
    for (const [query, message] of bad) {
      const sub = await sse(t.server.url, query).catch(async () => {
        const r = await fetch(t.server.url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "text/event-stream" },
          body: JSON.stringify({ query }),
        });
        throw new Error(`HTTP ${r.status}: ${await r.text()}`);
      });
      const event = await sub.next();
      sub.close();
      expect(event.data!.errors?.[0]?.message, `${query} → ${JSON.stringify(event)}`).to.match(message);
    }
    const wsBad = ws.iterate({ query: "subscription { deals(where: {isOpen: true, or: [{stateIndex: 1}]}) { id } }" });
    await wsBad.next().then(
      (r) => expect(JSON.stringify(r.value)).to.match(/Cannot mix column filters/),
      (errors) => expect(JSON.stringify(errors)).to.match(/Cannot mix column filters/),
    );
    const ok = await t.gql("{ deals(first: 1) { id } }");
    expect(ok.errors).to.equal(undefined);
    await until(() => subscribers() === 0, "failed subscriptions to be released");
  });

  it("runs queries over WebSocket too", async () => {
    const it = ws.iterate<{ deal: { id: string } }>({ query: `{ deal(id: "${D4}") { id } }` });
    const value = await nextResult(it);
    expect(value.data!.deal).to.deep.equal({ id: D4 });
  });
});

describe("server: change feeds", function () {
  it("consumes an AsyncIterable feed and ends subscriptions on close", async () => {
    const store = marketStore();
    const feed = new MemoryChangeFeed();
    const t = await startServer({ store, changes: feed.iterable() });
    try {
      const sub = await sse<{ dealChanged: unknown }>(
        t.server.url,
        "subscription { dealChanged { id instructionPrice } }",
      );
      await until(() => t.server.api.hub.size === 1, "the subscription");
      applyFake(store, [{ block: 14, set: [["Deal", deal(D4, 14, { instructionPrice: 42n })]] }]);
      feed.publish([{ entity: "Deal", id: D4, block: 14 }]);
      const event = await sub.next();
      expect(event.data!.data!.dealChanged).to.deep.equal({ id: D4, instructionPrice: "42" });
      // Batches for other entities are ignored; the server's close ends the stream.
      feed.publish([{ entity: "Account", id: A1, block: 14 }]);
      await t.close();
      const end = await sub.next();
      expect(end.event).to.equal("complete");
    } finally {
      await t.close();
      feed.end();
    }
  });

  it("ends a subscription whose store read fails, with an error, and releases it", async () => {
    const store = marketStore();
    const feed = new MemoryChangeFeed();
    const t = await startServer({ store, changes: feed });
    try {
      const sub = await sse(t.server.url, "subscription { dealChanged { id } }");
      await until(() => t.server.api.hub.size === 1, "the subscription");
      store.failWith = new Error("database gone");
      feed.publish([{ entity: "Deal", id: D1, block: 13 }]);
      const event = await sub.next();
      expect(event.data!.errors![0].message).to.equal("Unexpected error.");
      await until(() => t.server.api.hub.size === 0, "the failed subscription to be released");
      sub.close();
    } finally {
      store.failWith = undefined;
      await t.close();
    }
  });

  it("merges batches a slow subscriber has not pulled yet", async () => {
    const store = marketStore();
    const feed = new MemoryChangeFeed();
    const t = await startServer({ store, changes: feed });
    try {
      const sub = await sse<{ deals: IdRows }>(t.server.url, "subscription { deals { id } }");
      await until(() => t.server.api.hub.size === 1, "the subscription");
      store.delayMs = 200;
      // The first batch is being processed (slow store) while two more arrive: they are merged into one push.
      feed.publish([{ entity: "Deal", id: D1, block: 13 }]);
      await until(() => store.finds("Deal").length === 1, "the first batch to reach the store");
      feed.publish([{ entity: "Deal", id: D2, block: 13 }]);
      feed.publish([{ entity: "Deal", id: D3, block: 13 }]);
      const first = await sub.next();
      expect(first.data!.data!.deals.map((d) => d.id)).to.deep.equal([D1]);
      const merged = await sub.next();
      expect(merged.data!.data!.deals.map((d) => d.id)).to.deep.equal([D2, D3]);
      expect(store.finds("Deal")).to.have.length(2);
      sub.close();
    } finally {
      store.delayMs = 0;
      await t.close();
    }
  });
});
