// Queries in The Graph's dialect against the server over HTTP, on the fake store, the SQL store on PGlite, and on
// PostgreSQL when DATABASE_URL is set: what reaches the store (filters, ordering, pagination, block) and what comes
// back (references, derived fields, _meta).

import { expect } from "chai";
import type { EntityQuery, WhereFilter } from "../../src/indexer/store/types";
import { FakeStore } from "./fakeStore";
import {
  A1,
  A2,
  A3,
  BACKENDS,
  CID1,
  CID2,
  D1,
  D2,
  D3,
  DEAL_ID1,
  HASH,
  M1,
  deal,
  model,
  startServer,
  type IdRows,
  type TestServer,
} from "./helpers";

for (const backend of BACKENDS)
  describe(`server: queries (${backend.name})`, function () {
    let t: TestServer;
    let closeStore: () => Promise<void>;

    before(async () => {
      const opened = await backend.open();
      closeStore = opened.close;
      t = await startServer({ store: opened.store, deployment: "QmTestDeployment" });
    });
    after(async () => {
      await t?.close();
      await closeStore?.();
    });
    beforeEach(() => t.store.resetCalls());

    const ids = (rows: IdRows): string[] => rows.map((r) => r.id);

    describe("filters reach the store", () => {
      const dealId1 = deal(D1, 10).dealId as string;
      const cases: [string, WhereFilter, string[]][] = [
        ['{instructionPrice: "100"}', { instructionPrice: 100n }, [D1]],
        ["{instructionPrice_not: 100}", { instructionPrice_not: 100n }, [D2, D3]],
        ['{instructionPrice_gt: "100"}', { instructionPrice_gt: 100n }, [D2]],
        ['{instructionPrice_gte: "100"}', { instructionPrice_gte: 100n }, [D1, D2]],
        ['{instructionPrice_lt: "100"}', { instructionPrice_lt: 100n }, [D3]],
        ['{instructionPrice_lte: "100"}', { instructionPrice_lte: 100n }, [D1, D3]],
        ['{instructionPrice_in: ["5", "250"]}', { instructionPrice_in: [5n, 250n] }, [D2, D3]],
        ['{instructionPrice_not_in: ["5"]}', { instructionPrice_not_in: [5n] }, [D1, D2]],
        ["{stateIndex: 1}", { stateIndex: 1 }, [D1, D2]],
        ["{stateIndex_lt: 1}", { stateIndex_lt: 1 }, [D3]],
        ["{state: DealAgreed}", { state: "DealAgreed" }, [D1, D2]],
        ["{state_not: DealAgreed}", { state_not: "DealAgreed" }, [D3]],
        [
          "{state_in: [DealNegotiating, ResultsSubmitted]}",
          { state_in: ["DealNegotiating", "ResultsSubmitted"] },
          [D3],
        ],
        ["{state_not_in: [DealNegotiating]}", { state_not_in: ["DealNegotiating"] }, [D1, D2]],
        ["{resourceProviderAgreed: false}", { resourceProviderAgreed: false }, [D3]],
        ["{resourceProviderAgreed_not: false}", { resourceProviderAgreed_not: false }, [D1, D2]],
        ["{resourceProviderAgreed_in: [true]}", { resourceProviderAgreed_in: [true] }, [D1, D2]],
        ["{resourceProviderAgreed_not_in: [true]}", { resourceProviderAgreed_not_in: [true] }, [D3]],
        [`{dealId: "${dealId1.toUpperCase().replace("0X", "0x")}"}`, { dealId: dealId1 }, [D1, D3]],
        [`{dealId_in: ["${dealId1}"]}`, { dealId_in: [dealId1] }, [D1, D3]],
        [`{dealId_not_in: ["${dealId1}"]}`, { dealId_not_in: [dealId1] }, [D2]],
        [`{dealId_gt: "${dealId1}"}`, { dealId_gt: dealId1 }, [D2]],
        // Both records of CID1 (D1, and D3 with another provider); a CID is a String, compared exactly.
        [`{cid: "${CID1}"}`, { cid: CID1 }, [D1, D3]],
        [`{cid_in: ["${CID2}"]}`, { cid_in: [CID2] }, [D2]],
        [`{cid: "${CID1.toLowerCase()}"}`, { cid: CID1.toLowerCase() }, []],
        [`{cid: "${CID1}", resourceProvider: "${A3}"}`, { cid: CID1, resourceProvider: A3 }, [D3]],
        ['{market_contains: "0x1111"}', { market_contains: "0x1111" }, [D1, D2, D3]],
        ['{solver_not_contains: "0x2222"}', { solver_not_contains: "0x2222" }, []],
        ["{mediator: null}", { mediator: null }, [D1, D2, D3]],
        ["{agreedAt_not: null}", { agreedAt_not: null }, [D1]],
        [`{mediators_contains: ["${M1}"]}`, { mediators_contains: [M1] }, [D1]],
        [`{mediators_not_contains: ["${M1}"]}`, { mediators_not_contains: [M1] }, [D2, D3]],
        ["{mediators: []}", { mediators: [] }, [D3]],
        [`{mediators_not: []}`, { mediators_not: [] }, [D1, D2]],
        [`{jobCreator: "0x${A1.slice(2).toUpperCase()}"}`, { jobCreator: A1 }, [D1, D3]],
        [`{jobCreator_not: "${A2}"}`, { jobCreator_not: A2 }, [D1, D3]],
        [`{jobCreator_in: ["${A2}"]}`, { jobCreator_in: [A2] }, [D2]],
        [`{resourceProvider_not_in: ["${A2}", "${A1}"]}`, { resourceProvider_not_in: [A2, A1] }, [D3]],
        ['{resourceProvider_starts_with: "0xC3"}', { resourceProvider_starts_with: "0xc3" }, [D3]],
        ['{resourceProvider_starts_with_nocase: "0xC3"}', { resourceProvider_starts_with: "0xc3" }, [D3]],
        ['{jobCreator_not_ends_with_nocase: "A1"}', { jobCreator_not_ends_with: "0xa1" }, [D2]],
        [`{mediators_contains_nocase: ["0x${M1.slice(2).toUpperCase()}"]}`, { mediators_contains: [M1] }, [D1]],
        ['{resourceProvider_: {escrowBalance: "0"}}', { resourceProvider_: { escrowBalance: 0n } }, [D3]],
        ["{stateChanges_: {state: DealAgreed}}", { stateChanges_: { state: "DealAgreed" } }, [D1]],
        ['{result_: {jobCost_gt: "1000"}}', { result_: { jobCost_gt: 1000n } }, [D2]],
        [
          "{or: [{instructionPrice: 5}, {instructionPrice: 250}]}",
          { or: [{ instructionPrice: 5n }, { instructionPrice: 250n }] },
          [D2, D3],
        ],
        [
          "{and: [{isOpen: true}, {instructionPrice_gt: 50}], stateIndex: 1}",
          { and: [{ isOpen: true }, { instructionPrice_gt: 50n }], stateIndex: 1 },
          [D1, D2],
        ],
        ["{_change_block: {number_gte: 12}}", { _change_block: { number_gte: 12 } }, [D1, D3]],
        [`{id_gt: "${D1}"}`, { id_gt: D1 }, [D2, D3]],
        [`{id_in: ["${D3}", "${D1}"]}`, { id_in: [D3, D1] }, [D1, D3]],
        [`{id_not_in: ["${D3}", "${D1}"]}`, { id_not_in: [D3, D1] }, [D2]],
        [`{id_lte: "${D2}", id_gte: "${D2}"}`, { id_lte: D2, id_gte: D2 }, [D2]],
      ];
      for (const [literal, where, expected] of cases) {
        it(`deals(where: ${literal})`, async () => {
          const r = await t.gql<{ deals: IdRows }>(`{ deals(where: ${literal}) { id } }`);
          expect(r.errors, JSON.stringify(r.errors)).to.equal(undefined);
          expect(t.store.finds("Deal")).to.deep.equal([{ entity: "Deal", where, first: 100, skip: 0, block: 13 }]);
          expect(ids(r.data!.deals)).to.deep.equal(expected);
        });
      }

      const serviceCases: [string, string[]][] = [
        ['{url_contains: "solver"}', [A1]],
        ['{url_contains_nocase: "SOLVER"}', [A1]],
        ['{url_not_contains: "solver"}', []],
        ['{url_not_contains_nocase: "SOLVER"}', []],
        ['{url_starts_with: "https://"}', [A1]],
        ['{url_starts_with_nocase: "HTTPS://"}', [A1]],
        ['{url_not_starts_with: "http://"}', [A1]],
        ['{url_not_starts_with_nocase: "HTTPS"}', []],
        ['{url_ends_with: "/api"}', [A1]],
        ['{url_ends_with_nocase: "/API"}', [A1]],
        ['{url_not_ends_with: "/api"}', []],
        ['{url_not_ends_with_nocase: "/V2"}', [A1]],
        ['{url_gt: "a", url_lt: "z"}', [A1]],
        ["{roles_contains: [Mediator]}", [A1]],
        ["{roles_contains_nocase: [Mediator]}", [A1]],
        ["{roles_not_contains_nocase: [Directory]}", [A1]],
        ["{roles_not_contains: [Solver]}", []],
        ["{roles: [Solver, Mediator]}", [A1]],
        ["{roles_not: [Solver]}", [A1]],
        ["{isSolver: true, rolesBitmap_gte: 3}", [A1]],
      ];
      for (const [literal, expected] of serviceCases) {
        it(`services(where: ${literal})`, async () => {
          const r = await t.gql<{ services: IdRows }>(`{ services(where: ${literal}) { id } }`);
          expect(r.errors, JSON.stringify(r.errors)).to.equal(undefined);
          const [query] = t.store.finds("Service");
          expect(Object.keys(query.where!)).to.include(
            literal
              .slice(1)
              .split(":")[0]
              .replace(/_nocase$/, (m) => (m && literal.includes("roles") ? "" : m)),
          );
          expect(ids(r.data!.services)).to.deep.equal(expected);
        });
      }

      it("references to Bytes ids (a deal's key) filter as Bytes, typed String as in graph-node", async () => {
        const r = await t.gql<{ payments: { id: string; amount: string }[]; p2: IdRows }>(
          `{ payments(where: {deal: "${D1.toUpperCase().replace("0X", "0x")}", amount_gte: "100"}) { id amount } p2: payments(where: {deal_starts_with: "0xD2"}) { id } }`,
        );
        expect(r.errors).to.equal(undefined);
        expect(r.data!.payments.map((p) => p.amount)).to.deep.equal(["1000"]);
        expect(r.data!.p2).to.deep.equal([]);
        expect(t.store.finds("Payment")[0].where).to.deep.equal({ deal: D1, amount_gte: 100n });
        expect(t.store.finds("Payment")[1].where).to.deep.equal({ deal_starts_with: "0xd2" });
        const bad = await t.gql(`{ payments(where: {deal: "${CID1}"}) { id } }`);
        expect(bad.errors![0].message).to.match(/^Invalid value for payments\(where\)\.deal: .* is not a Bytes id/);
      });

      it("two records of one CID are two deals: each with its own parties, states and payments", async () => {
        const r = await t.gql<{ deals: unknown }>(`{ deals(where: {cid: "${CID1}"}) {
          id cid dealId jobCreator { id } resourceProvider { id } state stateChanges { state } payments { amount }
        } }`);
        expect(r.errors).to.equal(undefined);
        expect(r.data!.deals).to.deep.equal([
          {
            id: D1,
            cid: CID1,
            dealId: DEAL_ID1,
            jobCreator: { id: A1 },
            resourceProvider: { id: A2 },
            state: "DealAgreed",
            stateChanges: [{ state: "DealNegotiating" }, { state: "DealAgreed" }],
            payments: [{ amount: "1000" }, { amount: "10" }],
          },
          {
            id: D3,
            cid: CID1,
            dealId: DEAL_ID1,
            jobCreator: { id: A1 },
            resourceProvider: { id: A3 },
            state: "DealNegotiating",
            stateChanges: [],
            payments: [],
          },
        ]);
      });

      it("takes filters from variables, parsed the same way", async () => {
        const r = await t.gql<{ deals: IdRows }>("query($w: Deal_filter) { deals(where: $w) { id } }", {
          w: { instructionPrice_gt: "100", jobCreator: A2.toUpperCase().replace("0X", "0x") },
        });
        expect(r.errors).to.equal(undefined);
        expect(t.store.finds("Deal")[0].where).to.deep.equal({ instructionPrice_gt: 100n, jobCreator: A2 });
        expect(ids(r.data!.deals)).to.deep.equal([D2]);
      });

      it("rejects `or` beside column filters, as graph-node does", async () => {
        const r = await t.gql("{ deals(where: {isOpen: true, or: [{stateIndex: 0}, {stateIndex: 1}]}) { id } }");
        expect(r.errors![0].message).to.equal(
          "Cannot mix column filters with 'or' operator at the same level. Found column filter(s) 'isOpen' alongside 'or' operator.",
        );
        expect(t.store.finds()).to.deep.equal([]);
      });
    });

    describe("ordering and pagination", () => {
      it("passes orderBy/orderDirection and orders", async () => {
        const r = await t.gql<{ deals: IdRows }>("{ deals(orderBy: instructionPrice, orderDirection: desc) { id } }");
        expect(ids(r.data!.deals)).to.deep.equal([D2, D1, D3]);
        expect(t.store.finds("Deal")[0]).to.deep.include({ orderBy: "instructionPrice", orderDirection: "desc" });
        const asc = await t.gql<{ deals: IdRows }>("{ deals(orderBy: instructionPrice) { id } }");
        expect(ids(asc.data!.deals)).to.deep.equal([D3, D1, D2]);
      });

      it("passes child orderBy (field__child) through", async () => {
        const r = await t.gql<{ deals: IdRows }>(
          "{ deals(orderBy: resourceProvider__escrowBalance, orderDirection: asc) { id } }",
        );
        expect(r.errors).to.equal(undefined);
        expect(t.store.finds("Deal")[0].orderBy).to.equal("resourceProvider__escrowBalance");
        expect(ids(r.data!.deals)[0]).to.equal(D3);
      });

      it("leaves the default order (by id) to the store", async () => {
        const r = await t.gql<{ deals: IdRows }>("{ deals { id } }");
        const [query] = t.store.finds("Deal");
        expect(query).not.to.have.property("orderBy");
        expect(query).not.to.have.property("orderDirection");
        expect(ids(r.data!.deals)).to.deep.equal([D1, D2, D3]);
      });

      it("passes first and skip", async () => {
        const r = await t.gql<{ deals: IdRows; none: IdRows; max: IdRows }>(
          "{ deals(first: 2, skip: 1) { id } none: deals(first: 0) { id } max: deals(first: 1000, skip: 5000) { id } }",
        );
        expect(r.errors).to.equal(undefined);
        expect(ids(r.data!.deals)).to.deep.equal([D2, D3]);
        expect(r.data!.none).to.deep.equal([]);
        expect(t.store.finds("Deal").map((q: EntityQuery) => [q.first, q.skip])).to.deep.equal([
          [2, 1],
          [0, 0],
          [1000, 5000],
        ]);
      });

      it("rejects first above 1000, skip above 5000 and negatives with graph-node's message", async () => {
        for (const [args, message] of [
          ["first: 1001", "The `first` argument must be between 0 and 1000, but is 1001"],
          ["skip: 5001", "The `skip` argument must be between 0 and 5000, but is 5001"],
          ["first: -1", "The `first` argument must be between 0 and 1000, but is -1"],
        ]) {
          const r = await t.gql(`{ deals(${args}) { id } }`);
          expect(r.errors![0].message).to.equal(message);
        }
        const nested = await t.gql("{ deals(first: 1) { payments(first: 2000) { id } } }");
        expect(nested.errors![0].message).to.equal("The `first` argument must be between 0 and 1000, but is 2000");
        expect(t.store.finds()).to.deep.equal([]);
      });
    });

    describe("blocks", () => {
      it("reads the latest block pinned once per request", async () => {
        const r = await t.gql(`{ deals { id } deal(id: "${D1}") { id } accounts { id } }`);
        expect(r.errors).to.equal(undefined);
        expect(t.store.calls.filter((c) => c.method === "checkpoint")).to.have.length(1);
        const blocks = t.store.calls
          .filter((c) => c.method !== "checkpoint")
          .map((c) => (c.args as { block?: number }).block);
        expect(blocks).to.deep.equal([13, 13, 13]);
      });

      it("time-travels with block: {number}, references and derived fields at the same block", async () => {
        const r = await t.gql<{ deals: unknown; latest: unknown }>(`{
        deals(block: {number: 10}) { id state resourceProvider { escrowBalance } stateChanges { state } }
        latest: deal(id: "${D1}") { state resourceProvider { escrowBalance } stateChanges { state } }
      }`);
        expect(r.errors).to.equal(undefined);
        expect(r.data!.deals).to.deep.equal([
          {
            id: D1,
            state: "DealNegotiating",
            resourceProvider: { escrowBalance: "0" },
            stateChanges: [{ state: "DealNegotiating" }],
          },
        ]);
        expect(r.data!.latest).to.deep.equal({
          state: "DealAgreed",
          resourceProvider: { escrowBalance: "1010" },
          stateChanges: [{ state: "DealNegotiating" }, { state: "DealAgreed" }],
        });
        expect(t.store.finds("Deal")[0].block).to.equal(10);
        expect(t.store.finds("DealStateChange").map((q) => q.block)).to.have.members([10, 13]);
        const accountReads = t.store.calls.filter((c) => (c.args as { entity?: string })?.entity === "Account");
        expect(accountReads.map((c) => (c.args as { block: number }).block)).to.have.members([10, 13]);
      });

      it("time-travels with block: {hash}", async () => {
        const r = await t.gql<{ deals: IdRows }>(`{ deals(block: {hash: "${HASH(11)}"}) { id } }`);
        expect(r.errors).to.equal(undefined);
        expect(ids(r.data!.deals)).to.deep.equal([D1, D2]);
        expect(t.store.finds("Deal")[0].block).to.equal(11);
        const unknown = await t.gql(`{ deals(block: {hash: "${HASH(99)}"}) { id } }`);
        expect(unknown.errors![0].message).to.match(/no block with that hash/);
      });

      it("honours number_gte and refuses blocks not yet indexed", async () => {
        const ok = await t.gql("{ deals(block: {number_gte: 12}) { id } }");
        expect(ok.errors).to.equal(undefined);
        expect(t.store.finds("Deal")[0].block).to.equal(13);
        const ahead = await t.gql("{ deals(block: {number_gte: 20}) { id } }");
        expect(ahead.errors![0].message).to.match(/only indexed up to block number 13 and data for block number 20/);
        const future = await t.gql("{ deals(block: {number: 20}) { id } }");
        expect(future.errors![0].message).to.match(/only indexed up to block number 13/);
      });
    });

    describe("_meta", () => {
      it("reports the latest block, the deployment and indexing errors", async () => {
        const r = await t.gql<{ _meta: unknown }>(
          "{ _meta { block { number hash timestamp parentHash } deployment hasIndexingErrors } }",
        );
        expect(r.data!._meta).to.deep.equal({
          block: { number: 13, hash: HASH(13), timestamp: 1_700_000_013, parentHash: null },
          deployment: "QmTestDeployment",
          hasIndexingErrors: false,
        });
      });

      it("reports a requested block (hash null for a number, as graph-node)", async () => {
        const r = await t.gql<{ a: { block: unknown }; b: { block: unknown } }>(
          `{ a: _meta(block: {number: 11}) { block { number hash timestamp } } b: _meta(block: {hash: "${HASH(
            12,
          )}"}) { block { number hash } } }`,
        );
        expect(r.data!.a.block).to.deep.equal({ number: 11, hash: null, timestamp: null });
        expect(r.data!.b.block).to.deep.equal({ number: 12, hash: HASH(12) });
      });
    });

    describe("entities, references and derived fields", () => {
      it("returns scalars in The Graph's JSON forms", async () => {
        const r = await t.gql<{ deal: unknown }>(
          `{ deal(id: "${D1}") { id cid dealId instructionPrice stateIndex isOpen state mediators agreedAt mediator createdAtBlock } }`,
        );
        expect(r.data!.deal).to.deep.equal({
          id: D1,
          cid: CID1,
          dealId: deal(D1, 10).dealId,
          instructionPrice: "100",
          stateIndex: 1,
          isOpen: true,
          state: "DealAgreed",
          mediators: [`0x${"d4".repeat(20)}`, `0x${"e5".repeat(20)}`],
          agreedAt: "1700000012",
          mediator: null,
          createdAtBlock: "10",
        });
        expect(t.store.calls.filter((c) => c.method === "get")[0].args).to.deep.equal({
          entity: "Deal",
          id: D1,
          block: 13,
        });
      });

      it("resolves references, and derived fields with their own arguments", async () => {
        const r = await t.gql<{ deal: unknown }>(`{ deal(id: "${D1}") {
        jobCreator { id service { url roles } }
        stateChanges(orderBy: stateIndex, orderDirection: desc) { state }
        payments(where: {amount_gt: "100"}) { amount account { id } }
        result { id }
        mediation { id }
      } }`);
        expect(r.errors).to.equal(undefined);
        expect(r.data!.deal).to.deep.equal({
          jobCreator: { id: A1, service: { url: "https://solver.example/api", roles: ["Solver", "Mediator"] } },
          stateChanges: [{ state: "DealAgreed" }, { state: "DealNegotiating" }],
          payments: [{ amount: "1000", account: { id: A1 } }],
          result: null,
          mediation: null,
        });
        expect(t.store.finds("DealStateChange")).to.deep.equal([
          {
            entity: "DealStateChange",
            where: { deal: D1 },
            first: 100,
            skip: 0,
            block: 13,
            orderBy: "stateIndex",
            orderDirection: "desc",
          },
        ]);
        expect(t.store.finds("Payment")[0].where).to.deep.equal({ and: [{ amount_gt: 100n }, { deal: D1 }] });
        expect(t.store.finds("Result")[0]).to.deep.equal({
          entity: "Result",
          where: { deal: D1 },
          first: 1,
          block: 13,
        });
      });

      it("batches reference lookups into one id_in query per entity and block", async () => {
        // (More than `{ id }` below each: with only ids, the SQL store answers from the deals' own statement.)
        const r = await t.gql<{ deals: { jobCreator: { id: string }; resourceProvider: { id: string } }[] }>(
          "{ deals { jobCreator { id escrowBalance } resourceProvider { id totalPaidIn } } }",
        );
        expect(r.errors).to.equal(undefined);
        expect(r.data!.deals.map((d) => [d.jobCreator.id, d.resourceProvider.id])).to.deep.equal([
          [A1, A2],
          [A2, A1],
          [A1, A3],
        ]);
        const accountFinds = t.store.finds("Account");
        expect(accountFinds).to.have.length(1);
        expect((accountFinds[0].where!.id_in as string[]).slice().sort()).to.deep.equal([A1, A2, A3].sort());
        expect(t.store.calls.filter((c) => c.method === "get")).to.deep.equal([]);
      });

      it("looks up Bytes ids case-insensitively and names a malformed id", async () => {
        const r = await t.gql<{ account: unknown }>(
          `{ account(id: "0x${A1.slice(
            2,
          ).toUpperCase()}") { id dealsAsJobCreator(orderBy: instructionPrice) { id } service { isSolver } } }`,
        );
        expect(r.errors).to.equal(undefined);
        expect(r.data!.account).to.deep.equal({
          id: A1,
          dealsAsJobCreator: [{ id: D3 }, { id: D1 }],
          service: { isSolver: true },
        });
        const bad = await t.gql('{ account(id: "zz") { id } }');
        expect(bad.errors![0].message).to.equal(
          'Invalid value for argument "id" of account: "zz" is not a Bytes id (0x-prefixed hex of whole bytes)',
        );
        const missing = await t.gql<{ deal: unknown }>(`{ deal(id: "0x${"00".repeat(32)}") { id } }`);
        expect(missing.errors).to.equal(undefined);
        expect(missing.data!.deal).to.equal(null);
        // A deal is found by its key; its CID is a field (deals(where: {cid})), not an id.
        const byCid = await t.gql(`{ deal(id: "${CID1}") { id } }`);
        expect(byCid.errors![0].message).to.equal(
          `Invalid value for argument "id" of deal: "${CID1}" is not a Bytes id (0x-prefixed hex of whole bytes)`,
        );
        const upper = await t.gql<{ deal: unknown }>(`{ deal(id: "${D3.toUpperCase().replace("0X", "0x")}") { id } }`);
        expect(upper.data!.deal).to.deep.equal({ id: D3 });
      });
    });

    describe("errors", () => {
      it("refuses queries before the first indexed block", async () => {
        const empty = await startServer({ store: new FakeStore(model) });
        try {
          const r = await empty.gql("{ deals { id } }");
          expect(r.errors![0].message).to.equal("The indexer has not started syncing yet");
        } finally {
          await empty.close();
        }
      });

      it("fails queries with indexing errors unless subgraphError: allow", async () => {
        const erring = await startServer({ hasIndexingErrors: () => true });
        try {
          const denied = await erring.gql("{ deals { id } }");
          expect(denied.errors![0].message).to.equal("indexing_error");
          const allowed = await erring.gql<{ _meta: { hasIndexingErrors: boolean } }>(
            "{ deals(subgraphError: allow) { id } _meta { hasIndexingErrors } }",
          );
          expect(allowed.errors).to.equal(undefined);
          expect(allowed.data!._meta.hasIndexingErrors).to.equal(true);
        } finally {
          await erring.close();
        }
      });

      it("masks store failures and carries on", async () => {
        t.store.failWith = new Error("connection refused: secret details");
        try {
          const r = await t.gql("{ deals { id } }");
          expect(r.errors![0].message).to.equal("Unexpected error.");
        } finally {
          t.store.failWith = undefined;
        }
        const next = await t.gql<{ deals: IdRows }>("{ deals { id } }");
        expect(ids(next.data!.deals)).to.deep.equal([D1, D2, D3]);
      });
    });
  });
