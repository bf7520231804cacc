// Queries compiled by graphql-jit (src/server/jit.ts): which executions run compiled, and that a compiled execution
// answers exactly what graphql-js's does, data and errors, on every store.

import { expect } from "chai";
import { parse } from "graphql";
import { createApi } from "../../src/server/server";
import { expandedSelections, jitEligible, MAX_EXPANDED_SELECTIONS } from "../../src/server/jit";
import { A1, BACKENDS, D1, D2, marketStore, model, startServer, type TestServer } from "./helpers";

describe("server: compiled queries (graphql-jit)", function () {
  this.timeout(60_000);
  const { schema } = createApi({ store: marketStore(), model });
  const eligible = (query: string, operationName?: string) =>
    jitEligible({ schema, document: parse(query), operationName });

  describe("which executions run compiled", () => {
    it("compiles queries with scalar variables and inline filters", () => {
      expect(eligible("query($id: ID!) { deal(id: $id) { id payments(first: 5) { amount } } }")).to.equal(true);
      expect(eligible('{ deals(where: { state: ResultsSubmitted, jobCreator: "0xab" }, first: 100) { id } }')).to.equal(
        true,
      );
      expect(eligible("query($min: BigInt!) { deals(where: { escrow_gt: $min }) { id } }")).to.equal(true);
    });

    it("leaves subscriptions, mutations, unknown operations and documents of several to graphql-js", () => {
      expect(eligible("subscription { dealChanged { id } }")).to.equal(false);
      expect(eligible("mutation { deals { id } }")).to.equal(false);
      expect(eligible("query A { deals { id } } query B { accounts { id } }", "C")).to.equal(false);
      // Several operations: @envelop/graphql-jit caches the compiled code by document alone.
      expect(eligible("query A { deals { id } } query B { accounts { id } }", "B")).to.equal(false);
    });

    it("leaves literal arguments of bigint scalars to graphql-js (graphql-jit cannot write a bigint literal)", () => {
      expect(eligible('{ deals(where: { escrow_gt: "100" }) { id } }')).to.equal(false);
      expect(eligible("{ deals(where: { escrow_in: [1, 2] }) { id } }")).to.equal(false);
      expect(eligible('{ deals(where: { or: [{ instructionPrice: "5" }] }) { id } }')).to.equal(false);
    });

    it("leaves variables of input object types (recursive filters) to graphql-js", () => {
      expect(eligible("query($w: Deal_filter) { deals(where: $w) { id } }")).to.equal(false);
      expect(eligible("query($w: [Deal_filter!]) { deals(where: { or: $w }) { id } }")).to.equal(false);
    });

    it("counts selections with fragments expanded, in linear time, and leaves fan-outs to graphql-js", () => {
      const doc = parse("{ deals { ...A ...A } } fragment A on Deal { id state ...B } fragment B on Deal { cid }");
      const operation = doc.definitions[0] as Parameters<typeof expandedSelections>[1];
      // deals (1) + 2 × (id, state, cid)
      expect(expandedSelections(doc, operation)).to.equal(7);
      const frags = Array.from({ length: 40 }, (_, i) => `fragment F${i} on Deal { id ...F${i + 1} ...F${i + 1} }`);
      const fanOut = `{ deals { ...F0 } } ${frags.join(" ")} fragment F40 on Deal { id }`;
      const started = Date.now();
      expect(eligible(fanOut)).to.equal(false);
      expect(Date.now() - started).to.be.below(500);
      const wide = Array.from({ length: MAX_EXPANDED_SELECTIONS }, (_, i) => `a${i}: id`).join(" ");
      expect(eligible(`{ deals { ${wide} } }`)).to.equal(false);
    });
  });

  // Each query is run with variables (compiled) and, where graphql-jit may, the same again on a server without it.
  const QUERIES: { query: string; variables?: Record<string, unknown> }[] = [
    {
      query: `query($id: ID!) { deal(id: $id) { id state cid jobCreator { id escrowBalance } resourceProvider { id }
        result { id jobCost } mediation { id } payments(orderBy: amount, orderDirection: desc) { amount account { id } }
        first: payments(first: 1) { amount } stateChanges(orderBy: stateIndex) { state } } }`,
      variables: { id: D1 },
    },
    { query: "query($id: ID!) { deal(id: $id) { id } }", variables: { id: `0x${"99".repeat(32)}` } },
    {
      query: `query($rp: String!) { deals(where: { resourceProvider: $rp }, orderBy: createdAt) { id createdAt } }`,
      variables: { rp: A1 },
    },
    {
      query: "{ deals(first: 2, skip: 1, orderBy: id, orderDirection: desc) { id __typename ... on Deal { state } } }",
    },
    {
      query: "query($d: String!) { payments(where: { deal: $d }) { amount reason direction payee account { id } } }",
      variables: { d: D2 },
    },
    { query: "{ _meta { block { number hash } deployment hasIndexingErrors } }" },
    { query: "query A { deals { id } } query B { accounts { id } }", variables: {} },
    // Errors: a bad id, a bad range, a bad variable, a bad filter value.
    { query: "query($id: ID!) { deal(id: $id) { id } }", variables: { id: "0xzz" } },
    { query: "query($n: Int!) { deals(first: $n) { id } }", variables: { n: 100_000 } },
    { query: "query($id: ID!) { deal(id: $id) { id } }", variables: { id: 5 } },
    { query: '{ deals(where: { jobCreator: "not-hex" }) { id } }' },
  ];

  for (const backend of BACKENDS) {
    describe(backend.name, () => {
      let compiled: TestServer;
      let interpreted: TestServer;
      let close: () => Promise<void>;

      before(async () => {
        const opened = await backend.open();
        close = opened.close;
        compiled = await startServer({ store: opened.store });
        interpreted = await startServer({ store: opened.store, jit: false });
      });
      after(async () => {
        await compiled?.close();
        await interpreted?.close();
        await close?.();
      });

      it("answers every query, data and errors, exactly as graphql-js does", async () => {
        for (const { query, variables } of QUERIES) {
          const mine = await compiled.gql(query, variables);
          const theirs = await interpreted.gql(query, variables);
          expect(mine, query).to.deep.equal(theirs);
        }
        const first = await compiled.gql<{ deal: { payments: unknown[] } }>(QUERIES[0].query, QUERIES[0].variables);
        expect(first.errors).to.equal(undefined);
        expect(first.data!.deal.payments).to.not.have.length(0);
      });
    });
  }
});
