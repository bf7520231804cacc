// Bad and abusive queries each get a GraphQL error (and an HTTP status as yoga gives it), and the server answers
// the next query normally.

import { expect } from "chai";
import { getIntrospectionQuery, type IntrospectionQuery } from "graphql";
import { D1, D2, D3, post, startServer, type GqlResponse, type IdRows, type TestServer } from "./helpers";

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
    const r = await rejects(() => t.gql(bomb), /Query depth 10 exceeds the maximum of 8/, "QUERY_TOO_DEEP");
    expect(r.status).to.equal(400);
  });

  it("counts depth through fragments", async () => {
    const q = `query { deals { ...A } }
      fragment A on Deal { jobCreator { dealsAsJobCreator { ...B } } }
      fragment B on Deal { resourceProvider { dealsAsResourceProvider { ...C } } }
      fragment C on Deal { jobCreator { dealsAsJobCreator { jobCreator { id } } } }`;
    await rejects(() => t.gql(q), /Query depth 9 exceeds/, "QUERY_TOO_DEEP");
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
      /Too many aliases: more than 30/,
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
    expect(r.errors![0].message).to.match(/Document contains more (than|that) 10000 tokens/);
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
