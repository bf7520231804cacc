// How a request reads the store: nested lists of many parents in one statement per field and arguments (the SQL
// store's findByParents, per parent on stores without it), references in one id_in query, and only the columns
// the query selects. Results are the same as field-by-field reads.

import { expect } from "chai";
import type { EntityQuery } from "../../src/indexer/store/types";
import { BACKENDS, D1, D2, D3, type TestServer, startServer } from "./helpers";

const DEAL_FIELDS = `
  id
  state
  jobCreator { id escrowBalance }
  resourceProvider { id }
  result { id jobCost }
  mediation { id }
  payments(orderBy: amount, orderDirection: desc) { amount account { id } }
  firstPayment: payments(first: 1) { amount }
  bigPayments: payments(where: { amount_gt: "100" }) { amount }
  stateChanges(orderBy: stateIndex) { state }
`;

for (const backend of BACKENDS)
  describe(`server: batched reads (${backend.name})`, function () {
    let t: TestServer;
    let closeStore: () => Promise<void>;
    const batching = backend.name !== "fake store";

    before(async () => {
      const opened = await backend.open();
      closeStore = opened.close;
      t = await startServer({ store: opened.store });
    });
    after(async () => {
      await t?.close();
      await closeStore?.();
    });
    beforeEach(() => t.store.resetCalls());

    it("a list's nested fields return what each entity's own query returns", async () => {
      const list = await t.gql<{ deals: { id: string }[] }>(`{ deals(orderBy: id) { ${DEAL_FIELDS} } }`);
      expect(list.errors).to.equal(undefined);
      expect(list.data!.deals.map((d) => d.id)).to.deep.equal([D1, D2, D3]);
      for (const listed of list.data!.deals) {
        const one = await t.gql<{ deal: unknown }>(`{ deal(id: "${listed.id}") { ${DEAL_FIELDS} } }`);
        expect(one.errors).to.equal(undefined);
        expect(listed).to.deep.equal(one.data!.deal);
      }
      // At an earlier block too (references and derived fields read at their parent's block).
      const old = await t.gql<{ deals: { id: string }[] }>(`{ deals(block: { number: 11 }) { ${DEAL_FIELDS} } }`);
      for (const listed of old.data!.deals) {
        const one = await t.gql<{ deal: unknown }>(
          `{ deal(id: "${listed.id}", block: { number: 11 }) { ${DEAL_FIELDS} } }`,
        );
        expect(listed).to.deep.equal(one.data!.deal);
      }
    });

    it("reads each nested field of a list in one statement per field and arguments", async () => {
      t.store.resetCalls();
      const r = await t.gql(`{ deals { ${DEAL_FIELDS} } }`);
      expect(r.errors).to.equal(undefined);
      const batched = t.store.calls.filter((c) => c.method === "findByParents");
      const finds = t.store.finds();
      if (batching) {
        // payments ×3 (three argument sets), stateChanges, result, mediation: one statement each, all three deals.
        const args = batched.map((c) => c.args as { query: EntityQuery; link: string; parents: string[] });
        expect(args.map((a) => `${a.query.entity}.${a.link}`).sort()).to.deep.equal([
          "DealStateChange.deal",
          "Mediation.deal",
          "Payment.deal",
          "Payment.deal",
          "Payment.deal",
          "Result.deal",
        ]);
        for (const a of args) expect(a.parents.slice().sort()).to.deep.equal([D1, D2, D3]);
        // The list itself, then one id_in query for both references to Account (jobCreator, resourceProvider); the
        // payments' account ({ id } of A1, as D2's resourceProvider) is the request's already: nothing per deal.
        expect(finds.map((f) => f.entity)).to.deep.equal(["Deal", "Account"]);
        expect(t.store.calls.filter((c) => c.method === "get")).to.deep.equal([]);
      } else {
        expect(finds.filter((f) => f.entity === "Payment")).to.have.length(9);
      }
    });

    it("answers references selected with only { id } from the parent's statement, as a read of them would", async () => {
      const query = (below: string) =>
        `{ deals(orderBy: id) { id jobCreator { ${below} } payments { account { ${below} } } } deal(id: "${D2}") { resourceProvider { ${below} } } }`;
      const strip = (value: unknown): unknown =>
        JSON.parse(JSON.stringify(value).replace(/,?"escrowBalance":"\d+"/g, ""));
      const loaded = await t.gql(query("id escrowBalance"));
      t.store.resetCalls();
      const ids = await t.gql(query("id __typename"));
      expect(ids.errors).to.equal(undefined);
      expect(strip(JSON.parse(JSON.stringify(ids.data).replace(/,?"__typename":"Account"/g, "")))).to.deep.equal(
        strip(loaded.data),
      );
      const accountReads = t.store.calls.filter(
        (c) => c.method !== "checkpoint" && (c.args as { entity?: string }).entity === "Account",
      );
      if (batching) expect(accountReads).to.deep.equal([]);
      else expect(accountReads).to.not.deep.equal([]);
    });

    it("asks the store for the selected fields only", async () => {
      t.store.resetCalls();
      const r = await t.gql(
        `{ deals(first: 2) { id state ...Parties } } fragment Parties on Deal { jobCreator { id escrowBalance } }`,
      );
      expect(r.errors).to.equal(undefined);
      const [list, accounts] = t.store.calls.filter((c) => c.method === "find");
      expect(list.select).to.deep.equal(["id", "jobCreator", "state"]);
      expect(accounts.select).to.deep.equal(["escrowBalance", "id"]);
      t.store.resetCalls();
      await t.gql(`{ deal(id: "${D2}") { cid result { jobCost } } }`);
      const get = t.store.calls.find((c) => c.method === "get")!;
      expect(get.select).to.deep.equal(["cid", "result"]);
      if (batching) expect(get.children!.map((c) => c.query.select)).to.deep.equal([["jobCost"]]);
      else expect(t.store.calls.find((c) => c.method === "find")!.select).to.deep.equal(["jobCost"]);
    });

    it("reads one entity and the lists derived from it in one statement", async () => {
      t.store.resetCalls();
      const r = await t.gql<{ deal: { payments: unknown[]; first: unknown[] } }>(
        `query($id: ID!, $n: Int!) { deal(id: $id) { ${DEAL_FIELDS} few: payments(first: $n, orderBy: amount) { amount } } }`,
        { id: D1, n: 1 },
      );
      expect(r.errors).to.equal(undefined);
      const reads = t.store.calls.filter((c) => c.method !== "checkpoint");
      if (!batching) return;
      // The deal with result, mediation, payments ×4 and stateChanges; then jobCreator { escrowBalance } by id.
      expect(reads.map((c) => c.method)).to.deep.equal(["get", "get"]);
      const children = reads[0].children!.map((c) => `${c.query.entity}.${c.link}:${c.query.first}`);
      expect(children).to.deep.equal([
        "Result.deal:1",
        "Mediation.deal:1",
        "Payment.deal:100",
        "Payment.deal:1",
        "Payment.deal:100",
        "DealStateChange.deal:100",
        "Payment.deal:1",
      ]);
      expect((reads[1].args as { entity: string }).entity).to.equal("Account");
    });
  });
