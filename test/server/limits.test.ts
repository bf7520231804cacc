// Bad and abusive queries each get a GraphQL error (and an HTTP status as yoga gives it), and the server answers
// the next query normally.

import { expect } from "chai";
import { getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { DEFAULT_QUERY_LIMITS, QueryRangeError } from "../../src/indexer/store/limits";
import { DEFAULT_LIMITS } from "../../src/server/limits";
import {
  D1,
  D2,
  D3,
  marketSqlStore,
  post,
  startServer,
  type GqlResponse,
  type IdRows,
  type TestServer,
} from "./helpers";

describe("server: limits and bad queries", function () {
  let t: TestServer;

  before(async () => {
    t = await startServer({ limits: { maxBodyBytes: 64 * 1024 } });
  });
  after(async () => {
    await t.close();
  });

  /** Sends `bad`, expects an error matching `message`, then checks a good query still works. */
  async function rejects(
    bad: () => Promise<GqlResponse<{ deals?: unknown } | null>>,
    message: RegExp,
    code?: string,
  ): Promise<GqlResponse> {
    const r = await bad();
    expect(r.errors, `expected an error for a bad query, got ${JSON.stringify(r)}`).to.be.an("array").that.is.not.empty;
    expect(r.errors![0].message).to.match(message);
    if (code) expect(r.errors![0].extensions?.code).to.equal(code);
    expect(r.data?.deals ?? undefined).to.equal(undefined);
    const next = await t.gql<{ deals: IdRows }>("{ deals { id } }");
    expect(next.status).to.equal(200);
    expect(next.data!.deals.map((d) => d.id)).to.deep.equal([D1, D2, D3]);
    return r;
  }

  it("rejects a depth bomb", async () => {
    const bomb =
      "{ deals { jobCreator { dealsAsJobCreator { resourceProvider { dealsAsResourceProvider { jobCreator { dealsAsJobCreator { jobCreator { dealsAsJobCreator { id } } } } } } } } } }";
    const r = await rejects(() => t.gql(bomb), /Query depth limit of 8 exceeded, found 10/, "QUERY_TOO_DEEP");
    expect(r.status).to.equal(400);
  });

  it("accepts a query at the depth limit", async () => {
    // depth 8: deals > jobCreator > dealsAsJobCreator > resourceProvider > dealsAsResourceProvider > jobCreator > … > id
    const q =
      "{ deals(first: 2) { jobCreator { dealsAsJobCreator(first: 2) { resourceProvider { dealsAsResourceProvider(first: 2) { jobCreator { dealsAsJobCreator(first: 2) { id } } } } } } } }";
    const r = await t.gql(q);
    expect(r.errors).to.equal(undefined);
  });

  it("counts depth through fragments", async () => {
    const q = `query { deals { ...A } }
      fragment A on Deal { jobCreator { dealsAsJobCreator { ...B } } }
      fragment B on Deal { resourceProvider { dealsAsResourceProvider { ...C } } }
      fragment C on Deal { jobCreator { dealsAsJobCreator { jobCreator { id } } } }`;
    await rejects(() => t.gql(q), /Query depth limit of 8 exceeded, found 9/, "QUERY_TOO_DEEP");
  });

  it("rejects first: 100000", async () => {
    await rejects(
      () => t.gql("{ deals(first: 100000) { id } }"),
      /The `first` argument must be between 0 and 1000, but is 100000/,
      "RANGE_ARGUMENT",
    );
  });

  it("rejects first out of range given as a variable", async () => {
    await rejects(
      () => t.gql("query($n: Int) { deals(first: $n) { id } }", { n: 5000 }),
      /`first` argument must be between 0 and 1000, but is 5000/,
    );
  });

  it("checks skip, and accepts first and skip at their limits", async () => {
    await rejects(
      () => t.gql("{ deals(skip: 5001) { id } }"),
      /The `skip` argument must be between 0 and 5000, but is 5001/,
      "RANGE_ARGUMENT",
    );
    const r = await t.gql("{ deals(first: 1000, skip: 5000) { id } }");
    expect(r.errors).to.equal(undefined);
  });

  it("applies the store's first/skip check, with the same limits and messages as the server", async () => {
    expect(DEFAULT_LIMITS).to.include(DEFAULT_QUERY_LIMITS);
    const cases = [
      [{ first: 1001 }, "first: 1001", "The `first` argument must be between 0 and 1000, but is 1001"],
      [{ skip: 5001 }, "skip: 5001", "The `skip` argument must be between 0 and 5000, but is 5001"],
    ] as const;
    for (const [, args, message] of cases) {
      const viaServer = await t.gql(`{ deals(${args}) { id } }`);
      expect(viaServer.errors![0].message).to.equal(message);
    }
    const { sql, close } = await marketSqlStore("pglite");
    try {
      for (const [query, , message] of cases) {
        const error = await sql.find({ entity: "Deal", ...query }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(QueryRangeError);
        expect((error as QueryRangeError).message).to.equal(message);
      }
      expect(await sql.find({ entity: "Deal", first: 1000, skip: 5000 })).to.deep.equal([]);
    } finally {
      await close();
    }
  });

  it("rejects an unknown field", async () => {
    const r = await rejects(() => t.gql("{ deals { id nope } }"), /Cannot query field "nope" on type "Deal"/);
    expect(r.status).to.equal(400);
  });

  it("rejects an unknown filter", async () => {
    await rejects(
      () => t.gql("{ deals(where: {nope_gt: 1}) { id } }"),
      /Field "nope_gt" is not defined by type "Deal_filter"/,
    );
  });

  it("rejects malformed Bytes in a filter, naming the field", async () => {
    await rejects(
      () => t.gql('{ deals(where: {dealId: "0xzz"}) { id } }'),
      /^Invalid value for deals\(where\.dealId\): Expected value of type "Bytes", found "0xzz"; Bytes must be 0x-prefixed hex/,
      "BAD_USER_INPUT",
    );
    await rejects(
      () => t.gql('{ deals(where: {or: [{market_in: ["0x1"]}]}) { id } }'),
      /deals\(where\.or\[0\]\.market_in\[0\]\)/,
    );
  });

  it("rejects a malformed BigInt, naming the field (literal and variable)", async () => {
    await rejects(
      () => t.gql('{ deals(where: {instructionPrice_gt: "1.5"}) { id } }'),
      /deals\(where\.instructionPrice_gt\).*BigInt must be an integer/,
    );
    await rejects(
      () => t.gql("query($w: Deal_filter) { deals(where: $w) { id } }", { w: { escrow: "lots" } }),
      /Variable "\$w" got invalid value "lots" at "w\.escrow"; .*BigInt must be an integer/,
    );
  });

  it("rejects a malformed id, naming the argument", async () => {
    await rejects(
      () => t.gql('{ account(id: "0xzz") { id } }'),
      /Invalid value for argument "id" of account/,
      "BAD_USER_INPUT",
    );
    await rejects(
      () => t.gql('{ deals(where: {jobCreator: "not-hex"}) { id } }'),
      /Invalid value for deals\(where\)\.jobCreator: "not-hex" is not a Bytes id/,
    );
  });

  it("rejects too many aliases", async () => {
    const fields = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(" ");
    await rejects(
      () => t.gql(`{ deals(first: 1) { ${fields} } }`),
      /Aliases limit of 30 exceeded, found 31/,
      "TOO_MANY_ALIASES",
    );
    const ok = await t.gql(`{ deals(first: 1) { ${Array.from({ length: 30 }, (_, i) => `a${i}: id`).join(" ")} } }`);
    expect(ok.errors).to.equal(undefined);
  });

  it("rejects a query whose estimated cost is too high", async () => {
    await rejects(
      () => t.gql("{ deals(first: 1000) { payments(first: 1000) { id } } }"),
      /Query is too expensive: it may read more than 50000 entities/,
      "QUERY_TOO_COSTLY",
    );
    // Default first (100) counts too: 100 deals × 100 state changes × 100 … via fragments.
    await rejects(
      () => t.gql(`{ deals { ...F } } fragment F on Deal { stateChanges { deal { payments { id } } } }`),
      /too expensive/,
    );
    // Aliased copies add up.
    const copies = Array.from(
      { length: 20 },
      (_, i) => `d${i}: deals(first: 1000) { jobCreator { id } resourceProvider { id } }`,
    ).join(" ");
    await rejects(() => t.gql(`{ ${copies} }`), /too expensive/);
  });

  it("counts nested `first` given as variables in the cost, and accepts a query under the budget", async () => {
    await rejects(
      () => t.gql("query($n: Int, $m: Int) { deals(first: $n) { payments(first: $m) { id } } }", { n: 1000, m: 1000 }),
      /too expensive/,
      "QUERY_TOO_COSTLY",
    );
    // 100 deals + 100 × 100 payments = 10,100
    const r = await t.gql("query($m: Int) { deals { payments(first: $m) { id } } }", { m: 100 });
    expect(r.errors).to.equal(undefined);
    // 1000 deals + 1000 × 48 payments = 49,000; one more per deal goes over 50,000.
    expect((await t.gql("{ deals(first: 1000) { payments(first: 48) { id } } }")).errors).to.equal(undefined);
    await rejects(() => t.gql("{ deals(first: 1000) { payments(first: 50) { id } } }"), /too expensive/);
  });

  it("rejects too many directives", async () => {
    const fields = (n: number) => Array.from({ length: n }, () => "id @include(if: true)").join(" ");
    await rejects(
      () => t.gql(`{ deals(first: 1) { ${fields(51)} } }`),
      /Directives limit of 50 exceeded, found 51/,
      "TOO_MANY_DIRECTIVES",
    );
    expect((await t.gql(`{ deals(first: 1) { ${fields(50)} } }`)).errors).to.equal(undefined);
  });

  it("does not blow up on fragment fan-out", async () => {
    const frags = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Deal { id ...F${i + 1} ...F${i + 1} }`).join(
      "\n",
    );
    const started = Date.now();
    const r = await t.gql(`{ deals(first: 1) { ...F0 } } ${frags} fragment F40 on Deal { id }`);
    expect(Date.now() - started).to.be.below(5000);
    expect(r.status).to.be.oneOf([200, 400]);
    const next = await t.gql<{ deals: IdRows }>("{ deals { id } }");
    expect(next.data!.deals).to.have.length(3);
  });

  it("times out slow queries and carries on", async () => {
    const slow = await startServer({ limits: { timeoutMs: 100 } });
    try {
      slow.store.delayMs = 1000;
      const r = await slow.gql("{ deals { id } }");
      expect(r.errors![0].message).to.equal("Query timed out");
      expect(r.errors![0].extensions?.code).to.equal("TIMEOUT");
      slow.store.delayMs = 0;
      const next = await slow.gql<{ deals: IdRows }>("{ deals { id } }");
      expect(next.data!.deals).to.have.length(3);
    } finally {
      await slow.close();
    }
  });

  it("refuses a request body over the limit with 413", async () => {
    const padding = " ".repeat(70 * 1024);
    const r = await rejects(
      () => post(t.server.url, { query: `{ deals { id } }${padding}` }),
      /Request body exceeds 65536 bytes/,
      "PAYLOAD_TOO_LARGE",
    );
    expect(r.status).to.equal(413);
  });

  it("refuses too many tokens", async () => {
    const many = Array.from({ length: 10_000 }, () => '"a"').join(" ");
    const r = await post(t.server.url, { query: `{ deals(where: {id_in: [${many}]}) { id } }` });
    expect(r.errors![0].message).to.equal("Token limit of 10000 exceeded.");
    expect(r.errors![0].extensions?.code).to.equal("TOO_MANY_TOKENS");
    const under = Array.from({ length: 5_000 }, () => '"0x01"').join(" ");
    expect((await post(t.server.url, { query: `{ deals(where: {id_in: [${under}]}) { id } }` })).errors).to.equal(
      undefined,
    );
    // graphql-js's own guard against field-merge blow-ups also answers with an error.
    const fields = Array.from({ length: 6000 }, () => "id").join(" ");
    const merged = await post(t.server.url, { query: `{ deals { ${fields} } }` });
    expect(merged.errors![0].message).to.match(/Validation aborted/);
  });

  it("survives a deeply nested document", async () => {
    const nested = `${"{ deals ".repeat(3000)}{ id }${" }".repeat(3000)}`;
    const r = await post(t.server.url, { query: nested });
    expect(r.errors![0].message).to.equal("Document nested more than 64 levels deep");
    expect(r.errors![0].extensions?.code).to.equal("QUERY_TOO_DEEP");
    const lists = await post(t.server.url, {
      query: `{ deals(where: {id_in: ${"[".repeat(100)}"x"${"]".repeat(100)}}) { id } }`,
    });
    expect(lists.errors![0].message).to.match(/nested more than 64 levels/);
    // Braces inside strings and comments do not count.
    const strings = await t.gql(`{ deals(where: {cid_not: "${"{".repeat(100)}"}) { id } } # ${"{".repeat(100)}`);
    expect(strings.errors).to.equal(undefined);
    const next = await t.gql<{ deals: IdRows }>("{ deals { id } }");
    expect(next.data!.deals).to.have.length(3);
  });

  it("is read-only: mutations fail validation", async () => {
    await rejects(
      () => t.gql("mutation { deals { id } }"),
      /Schema is not configured to execute mutation operation|not configured for mutations/,
    );
  });

  it("rejects syntax errors", async () => {
    await rejects(() => t.gql("{ deals { id "), /Syntax Error/);
  });

  it("allows introspection (the full standard query), but not deep introspection bombs", async () => {
    const r = await t.gql<IntrospectionQuery>(getIntrospectionQuery());
    expect(r.errors).to.equal(undefined);
    expect(r.data!.__schema.queryType.name).to.equal("Query");
    const bomb =
      "{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }";
    await rejects(() => t.gql(bomb), /Introspection query too deep/, "QUERY_TOO_DEEP");
  });

  it("answers a malformed JSON body with an error", async () => {
    const r = await post(t.server.url, '{"query": "{ deals { id } }"');
    expect(r.status).to.equal(400);
    expect(r.errors).to.be.an("array").that.is.not.empty;
    const next = await t.gql<{ deals: IdRows }>("{ deals { id } }");
    expect(next.data!.deals).to.have.length(3);
  });
});
