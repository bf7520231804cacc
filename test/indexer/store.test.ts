// The SQL store on PGlite (always) and PostgreSQL (when DATABASE_URL is set): versioning, batches, rollbacks,
// migrations, and the translation of The Graph's filter dialect (every operator, nested filters, and/or,
// ordering, pagination, time travel, limits, typed errors, injection).

import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import {
  InvalidFilterValueError,
  parseEntitySchema,
  QueryArgumentError,
  StoreError,
  StoreQueryError,
  UnknownEntityError,
  UnknownFieldError,
  UnknownOperatorError,
  loadEntitySchema,
  openStore,
  type EntityRecord,
  type SqlStore,
} from "../../src/indexer";
import { compileFind, type CompiledQuery } from "../../src/indexer/store";
import { STORE_KINDS, freshPgliteDir, type StoreKind } from "./helpers/stores";

// The filter tests exercise the operators on string IDs with Deal: the project's schema with Deal keyed by an
// ID (in the project, Deal.id is the deal key, Bytes; Bytes ids are covered by Account and Service).
const PROJECT_SCHEMA = fs.readFileSync(path.join(__dirname, "..", "..", "subgraph", "schema.graphql"), "utf8");
const STRING_ID_SCHEMA = PROJECT_SCHEMA.replace(
  /(type Deal @entity\(immutable: false\) \{\n(?:\s*"[^\n]*"\n)*\s*)id: Bytes!/,
  "$1id: ID!",
);
if (STRING_ID_SCHEMA === PROJECT_SCHEMA) throw new Error("store.test: Deal's `id: Bytes!` not found in the schema");
const MODEL = parseEntitySchema(STRING_ID_SCHEMA);
const openStoreOf = (kind: StoreKind) => kind.open({ model: MODEL });

const A1 = "0x" + "a1".repeat(20);
const A2 = "0x" + "b2".repeat(20);
const A3 = "0x" + "c3".repeat(20);
const M1 = "0x" + "01".repeat(20);
const M2 = "0x" + "02".repeat(20);

function account(id: string, escrow: bigint, extra: Partial<EntityRecord> = {}): EntityRecord {
  return { id, escrowBalance: escrow, totalPaidIn: escrow, totalReceived: 0n, deferredPayout: 0n, ...extra };
}

function deal(id: string, n: number, extra: Partial<EntityRecord> = {}): EntityRecord {
  return {
    id,
    cid: `cid-${n}`,
    dealId: "0x" + n.toString(16).padStart(64, "0"),
    market: "0x" + "ee".repeat(20),
    jobCreator: A1,
    resourceProvider: A2,
    solver: "0x" + "5a".repeat(20),
    mediators: [M1],
    instructionPrice: BigInt(n),
    paymentCollateral: 1000n,
    resultsCollateralMultiple: 2n,
    mediationFee: 10n,
    agreeTimeout: 60n,
    submitResultsTimeout: 60n,
    judgeResultsTimeout: 60n,
    mediateResultsTimeout: 60n,
    agreeCollateral: 0n,
    submitResultsCollateral: 1n,
    judgeResultsCollateral: 2n,
    mediateResultsCollateral: 0n,
    state: "DealNegotiating",
    stateIndex: 0,
    isOpen: true,
    jobCreatorAgreed: false,
    resourceProviderAgreed: false,
    mediator: null,
    instructionCount: null,
    resultsId: null,
    escrow: BigInt(n * 100),
    createdAt: BigInt(1000 + n),
    createdAtBlock: 10n,
    createdTx: "0x" + "77".repeat(32),
    agreedAt: null,
    updatedAt: BigInt(1000 + n),
    updatedAtBlock: 10n,
    updatedTx: "0x" + "77".repeat(32),
    ...extra,
  };
}

function payment(id: string, dealId: string, amount: bigint, extra: Partial<EntityRecord> = {}): EntityRecord {
  return {
    id,
    deal: dealId,
    payee: A1,
    account: A1,
    amount,
    reason: "PaymentCollateral",
    direction: "PaidIn",
    blockNumber: 10n,
    timestamp: 1000n,
    transactionHash: "0x" + "99".repeat(32),
    ...extra,
  };
}

const cp = (n: number) => ({ blockNumber: n, blockHash: `0x${n.toString(16).padStart(64, "0")}`, timestamp: 1000 + n });
const ids = (rows: EntityRecord[]) => rows.map((r) => r.id);

async function expectReject<T extends Error>(p: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as T;
  }
  throw new Error(`expected a ${type.name}`);
}

/** Block 10: accounts, four deals, payments, services. Block 20: d2 agreed, d3 closed, a1's escrow changes. */
async function seed(store: SqlStore): Promise<void> {
  await store.batch(cp(10), async (w) => {
    await w.set("Account", account(A1, 500n), 10);
    await w.set("Account", account(A2, 50n), 10);
    await w.set("Account", account(A3, 0n), 10);
    await w.set("Deal", deal("deal-alpha", 1), 10);
    await w.set("Deal", deal("deal-beta", 2, { mediators: [M1, M2], resourceProvider: A3 }), 10);
    await w.set("Deal", deal("deal-gamma", 3, { jobCreator: A2, mediator: M2, escrow: 100n }), 10);
    await w.set("Deal", deal("DEAL-delta", 4, { escrow: 100n, state: "DealAgreed", stateIndex: 1 }), 10);
    await w.set("Payment", payment("p1", "deal-alpha", 100n), 10);
    await w.set(
      "Payment",
      payment("p2", "deal-beta", 300n, { direction: "PaidOut", reason: "JobPayment", payee: A2 }),
      10,
    );
    await w.set("Payment", payment("p3", "deal-gamma", 50n, { account: A2, payee: A2 }), 10);
    await w.set(
      "Service",
      {
        id: A1,
        account: A1,
        roles: ["Solver", "Mediator"],
        rolesBitmap: 3,
        isSolver: true,
        isMediator: true,
        isDirectory: false,
        isResourceProvider: false,
        isJobCreator: false,
        metadata: "0x" + "ab".repeat(32),
        metadataCid: "QmA",
        url: "https://Solver.example/api",
        registered: true,
        registeredAt: 1000n,
        updatedAt: 1000n,
        updatedTx: "0x" + "77".repeat(32),
      },
      10,
    );
    await w.set(
      "Service",
      {
        id: A2,
        account: A2,
        roles: ["ResourceProvider"],
        rolesBitmap: 8,
        isSolver: false,
        isMediator: false,
        isDirectory: false,
        isResourceProvider: true,
        isJobCreator: false,
        metadata: "0x" + "cd".repeat(32),
        metadataCid: "QmB",
        url: "http://provider.example:8080",
        registered: true,
        registeredAt: 1000n,
        updatedAt: 1000n,
        updatedTx: "0x" + "77".repeat(32),
      },
      10,
    );
  });
  await store.batch(cp(20), async (w) => {
    const d2 = (await w.get("Deal", "deal-beta"))!;
    await w.set("Deal", { ...d2, state: "DealAgreed", stateIndex: 1, agreedAt: 2000n }, 20);
    const d3 = (await w.get("Deal", "deal-gamma"))!;
    await w.set("Deal", { ...d3, state: "ResultsAccepted", stateIndex: 3, isOpen: false, escrow: 0n }, 20);
    const a1 = (await w.get("Account", A1))!;
    await w.set("Account", { ...a1, escrowBalance: 700n }, 20);
  });
}

for (const kind of STORE_KINDS) {
  describe(`indexer store (${kind.name})`, function () {
    this.timeout(120_000);

    describe("versions, batches, rollbacks", () => {
      let store: SqlStore;
      let cleanup: () => Promise<void>;
      beforeEach(async () => {
        ({ store, cleanup } = await openStoreOf(kind));
      });
      afterEach(async () => cleanup());

      it("set() closes the open version at B and opens [B, ∞); same block updates in place", async () => {
        await store.batch(cp(5), async (w) => {
          await w.set("Account", account(A1, 1n), 3);
          await w.set("Account", account(A1, 2n), 5);
          await w.set("Account", account(A1, 3n), 5);
        });
        await store.batch(cp(9), async (w) => {
          await w.set("Account", account(A1, 4n), 7);
        });
        const versions = await store.versions("Account");
        expect(versions.map((v) => [v.record.escrowBalance, v.blockFrom, v.blockTo])).to.deep.equal([
          [1n, 3, 5],
          [3n, 5, 7],
          [4n, 7, null],
        ]);
        expect((await store.get("Account", A1))!.escrowBalance).to.equal(4n);
        expect((await store.get("Account", A1, 4))!.escrowBalance).to.equal(1n);
        expect((await store.get("Account", A1, 5))!.escrowBalance).to.equal(3n);
        expect((await store.get("Account", A1, 6))!.escrowBalance).to.equal(3n);
        expect(await store.get("Account", A1, 2)).to.equal(null);
        // Bytes ids are case-insensitive on the way in and 0x-lowercase on the way out.
        expect((await store.get("Account", A1.toUpperCase().replace("0X", "0x")))!.id).to.equal(A1);
      });

      it("remove() ends an entity's life; a later set() starts a new one", async () => {
        await store.batch(cp(5), async (w) => {
          await w.set("Account", account(A1, 1n), 5);
        });
        await store.batch(cp(8), async (w) => {
          await w.remove("Account", A1, 6);
          expect(await w.get("Account", A1)).to.equal(null);
          await w.set("Account", account(A1, 9n), 8);
        });
        expect((await store.versions("Account")).map((v) => [v.blockFrom, v.blockTo])).to.deep.equal([
          [5, 6],
          [8, null],
        ]);
        expect(await store.get("Account", A1, 7)).to.equal(null);
      });

      it("a failed batch writes nothing, not even its checkpoint", async () => {
        await store.batch(cp(5), async (w) => w.set("Account", account(A1, 1n), 5));
        await expectReject(
          store.batch(cp(9), async (w) => {
            await w.set("Account", account(A1, 2n), 7);
            throw new StoreError("handler blew up");
          }),
          StoreError,
        );
        expect((await store.checkpoint())!.blockNumber).to.equal(5);
        expect((await store.get("Account", A1))!.escrowBalance).to.equal(1n);
        expect(await store.versions("Account")).to.have.length(1);
        // …and the next batch sees the committed state, not the failed batch's
        await store.batch(cp(9), async (w) => {
          expect((await w.get("Account", A1))!.escrowBalance).to.equal(1n);
        });
      });

      it("rejects writes outside the batch's blocks, a checkpoint going back, and changing immutables", async () => {
        await store.batch(cp(5), async (w) => w.set("Payment", payment("p1", "d", 1n), 5));
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Account", account(A1, 1n), 5)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Account", account(A1, 1n), 10)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(4), async () => {}),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Payment", payment("p1", "d", 2n), 7)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Account", { ...account(A1, 1n), bogus: 1 }, 7)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Account", { ...account(A1, 1n), escrowBalance: "x" }, 7)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Account", { ...account(A1, 1n), totalPaidIn: null }, 7)),
          StoreError,
        );
        await expectReject(
          store.batch(cp(9), async (w) => w.set("Deal", deal("d", 1, { state: "Bogus" }), 7)),
          StoreError,
        );
        expect((await store.checkpoint())!.blockNumber).to.equal(5);
      });

      it("rollbackTo() drops versions opened after B, reopens those closed after it, resets checkpoint and hashes", async () => {
        await seed(store);
        await store.batchWithChanges(cp(30), async (w) => {
          w.recordBlocks([{ number: 25, hash: "0x25", parent: "0x24" }]);
          await w.set("Account", account(A3, 1n), 30);
          await w.set("Payment", payment("p9", "deal-alpha", 1n), 25);
        });
        const before20 = await store.digest({ atHead: false });
        expect([...(await store.blockHashes(0)).keys()]).to.deep.equal([10, 20, 25, 30]);
        await store.rollbackTo(cp(20));
        expect(await store.checkpoint()).to.deep.equal(cp(20));
        expect([...(await store.blockHashes(0)).keys()]).to.deep.equal([10, 20]);
        expect(await store.get("Payment", "p9")).to.equal(null);
        expect((await store.get("Account", A3))!.escrowBalance).to.equal(0n);
        expect(before20).to.not.equal(await store.digest());
        await store.rollbackTo(cp(10));
        const d3 = (await store.get("Deal", "deal-gamma"))!;
        expect(d3.state).to.equal("DealNegotiating");
        expect((await store.versions("Deal")).every((v) => v.blockTo === null)).to.equal(true);
        // a rolled back store accepts the re-applied blocks
        await store.batch(cp(12), async (w) => w.set("Account", account(A3, 5n), 11));
        expect((await store.get("Account", A3))!.escrowBalance).to.equal(5n);
      });

      it("migrate() is idempotent; a changed entity schema rebuilds the tables and clears the checkpoint", async () => {
        await store.batch(cp(5), async (w) => w.set("Account", account(A1, 1n), 5));
        const again = await store.migrateWithResult();
        expect(again).to.deep.equal({ applied: [], redone: [] });
        expect((await store.get("Account", A1))!.escrowBalance).to.equal(1n);
        await store.setMeta("deployment", "x");

        const sdl = `type Account @entity { id: Bytes! escrowBalance: BigInt! note: String }`;
        const changed = new (store.constructor as typeof import("../../src/indexer").SqlStore)(
          store.driver,
          parseEntitySchema(sdl),
          {
            schema: store.schema,
          },
        );
        const result = await changed.migrateWithResult();
        expect(result.redone).to.deep.equal(["entities"]);
        expect(await changed.checkpoint()).to.equal(null);
        expect(await changed.getMeta("deployment")).to.equal("x");
        await changed.batch(cp(1), async (w) => w.set("Account", { id: A1, escrowBalance: 3n, note: "hi" }, 1));
        expect(await changed.get("Account", A1)).to.deep.equal({ id: A1, escrowBalance: 3n, note: "hi" });
      });

      it("prefetch() loads many entities with one query; the committed cache survives batches", async () => {
        await store.batch(cp(5), async (w) => {
          for (let i = 0; i < 50; i++)
            await w.set("Account", account(`0x${i.toString(16).padStart(40, "0")}`, BigInt(i)), 5);
        });
        await store.batchWithChanges(cp(6), async (w) => {
          await w.prefetch("Account", [A1, "0x" + "00".repeat(19) + "07"]);
          expect(await w.get("Account", A1)).to.equal(null);
          expect((await w.get("Account", "0x" + "00".repeat(19) + "07"))!.escrowBalance).to.equal(7n);
        });
      });
    });

    describe("find(): The Graph's filter dialect", () => {
      let store: SqlStore;
      let cleanup: () => Promise<void>;
      before(async () => {
        ({ store, cleanup } = await openStoreOf(kind));
        await seed(store);
      });
      after(async () => cleanup());

      const find = (entity: string, where: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        store.find({ entity, where, ...extra }).then(ids);

      it("equality and every comparison operator on BigInt, Int and ID", async () => {
        expect(await find("Deal", { escrow: "100" })).to.deep.equal(["DEAL-delta", "deal-alpha"]);
        expect(await find("Deal", { escrow_not: 100 })).to.deep.equal(["deal-beta", "deal-gamma"]);
        expect(await find("Deal", { escrow_gt: 100n })).to.deep.equal(["deal-beta"]);
        expect(await find("Deal", { escrow_gte: "100" })).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-beta"]);
        expect(await find("Deal", { escrow_lt: "100" })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { escrow_lte: "100" })).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-gamma"]);
        expect(await find("Deal", { stateIndex_gt: 0 })).to.deep.equal(["DEAL-delta", "deal-beta", "deal-gamma"]);
        expect(await find("Deal", { escrow_in: ["0", "200"] })).to.deep.equal(["deal-beta", "deal-gamma"]);
        expect(await find("Deal", { escrow_not_in: ["0", "200"] })).to.deep.equal(["DEAL-delta", "deal-alpha"]);
        expect(await find("Deal", { escrow_in: [] })).to.deep.equal([]);
        expect(await find("Deal", { id_gt: "deal-b" })).to.deep.equal(["deal-beta", "deal-gamma"]);
        expect(await find("Deal", { id: "deal-beta" })).to.deep.equal(["deal-beta"]);
      });

      it("string matching: _contains, _not_contains, _starts_with, _ends_with (+ _not_ and _nocase)", async () => {
        expect(await find("Deal", { id_contains: "lph" })).to.deep.equal(["deal-alpha"]);
        expect(await find("Deal", { id_not_contains: "-al" })).to.deep.equal(["DEAL-delta", "deal-beta", "deal-gamma"]);
        expect(await find("Deal", { id_starts_with: "deal-" })).to.deep.equal([
          "deal-alpha",
          "deal-beta",
          "deal-gamma",
        ]);
        expect(await find("Deal", { id_not_starts_with: "deal-" })).to.deep.equal(["DEAL-delta"]);
        expect(await find("Deal", { id_ends_with: "ta" })).to.deep.equal(["DEAL-delta", "deal-beta"]);
        expect(await find("Deal", { id_not_ends_with: "ta" })).to.deep.equal(["deal-alpha", "deal-gamma"]);
        expect(await find("Deal", { id_starts_with_nocase: "DEAL-D" })).to.deep.equal(["DEAL-delta"]);
        expect(await find("Deal", { id_contains_nocase: "DELTA" })).to.deep.equal(["DEAL-delta"]);
        expect(await find("Service", { url_contains: "example:8080" })).to.deep.equal([A2]);
        expect(await find("Service", { url_starts_with: "https://" })).to.deep.equal([A1]);
        // LIKE wildcards are plain characters
        expect(await find("Deal", { id_contains: "%" })).to.deep.equal([]);
        expect(await find("Deal", { id_starts_with: "_" })).to.deep.equal([]);
      });

      it("Bytes: equality, _in, _contains (byte-aligned), _starts_with, _ends_with, case-insensitive input", async () => {
        expect(await find("Deal", { jobCreator: A2.toUpperCase().replace("0X", "0x") })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { jobCreator_not: A1 })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { resourceProvider_in: [A3] })).to.deep.equal(["deal-beta"]);
        expect(await find("Service", { metadata_contains: "0xabab" })).to.deep.equal([A1]);
        // "0xbaba" occurs in abab… only at odd nibble offsets: no byte-aligned match
        expect(await find("Service", { metadata_contains: "0xbaba" })).to.deep.equal([]);
        expect(await find("Service", { metadata_not_contains: "0xabab" })).to.deep.equal([A2]);
        expect(await find("Deal", { dealId_starts_with: "0x0000" })).to.have.length(4);
        expect(await find("Deal", { dealId_ends_with: "0x03" })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { dealId_gt: "0x" + "00".repeat(31) + "02" })).to.deep.equal([
          "DEAL-delta",
          "deal-gamma",
        ]);
      });

      it("Boolean, enums and null", async () => {
        expect(await find("Deal", { isOpen: false })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { isOpen_not: false })).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-beta"]);
        expect(await find("Deal", { state: "DealAgreed" })).to.deep.equal(["DEAL-delta", "deal-beta"]);
        expect(await find("Deal", { state_in: ["ResultsAccepted", "DealNegotiating"] })).to.deep.equal([
          "deal-alpha",
          "deal-gamma",
        ]);
        expect(await find("Deal", { state_not_in: ["DealAgreed"] })).to.deep.equal(["deal-alpha", "deal-gamma"]);
        expect(await find("Deal", { mediator: null })).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-beta"]);
        expect(await find("Deal", { mediator_not: null })).to.deep.equal(["deal-gamma"]);
        expect(await find("Deal", { agreedAt_gt: "0" })).to.deep.equal(["deal-beta"]);
      });

      it("list fields: equality, _contains (array contains), _not_contains", async () => {
        expect(await find("Deal", { mediators_contains: [M2] })).to.deep.equal(["deal-beta"]);
        expect(await find("Deal", { mediators_contains: [M1, M2] })).to.deep.equal(["deal-beta"]);
        expect(await find("Deal", { mediators_not_contains: [M2] })).to.deep.equal([
          "DEAL-delta",
          "deal-alpha",
          "deal-gamma",
        ]);
        expect(await find("Deal", { mediators: [M1] })).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-gamma"]);
        expect(await find("Service", { roles_contains: ["Mediator"] })).to.deep.equal([A1]);
        expect(await find("Service", { roles_not_contains: ["Mediator"] })).to.deep.equal([A2]);
      });

      it("nested filters on references and @derivedFrom fields", async () => {
        expect(await find("Payment", { deal_: { state: "ResultsAccepted" } })).to.deep.equal(["p3"]);
        expect(
          await find("Payment", { deal_: { escrow_gte: 100, jobCreator_: { escrowBalance_gt: 600 } } }),
        ).to.deep.equal(["p1", "p2"]);
        expect(await find("Deal", { jobCreator_: { service_: { isSolver: true } } })).to.deep.equal([
          "DEAL-delta",
          "deal-alpha",
          "deal-beta",
        ]);
        expect(await find("Deal", { payments_: { amount_gt: 200 } })).to.deep.equal(["deal-beta"]);
        expect(await find("Account", { service_: { roles_contains: ["ResourceProvider"] } })).to.deep.equal([A2]);
        expect(await find("Account", { dealsAsResourceProvider_: { id: "deal-beta" } })).to.deep.equal([A3]);
      });

      it("and / or", async () => {
        expect(await find("Deal", { or: [{ escrow: 0 }, { id: "deal-alpha" }] })).to.deep.equal([
          "deal-alpha",
          "deal-gamma",
        ]);
        expect(await find("Deal", { and: [{ escrow_gte: 100 }, { state: "DealAgreed" }] })).to.deep.equal([
          "DEAL-delta",
          "deal-beta",
        ]);
        expect(
          await find("Deal", {
            isOpen: true,
            or: [{ and: [{ state: "DealAgreed" }, { escrow: 100 }] }, { mediators_contains: [M2] }],
          }),
        ).to.deep.equal(["DEAL-delta", "deal-beta"]);
        expect(await find("Payment", { or: [{ deal_: { id: "deal-gamma" } }, { amount: 300 }] })).to.deep.equal([
          "p2",
          "p3",
        ]);
      });

      it("ordering (default id, field, reference, child field), direction and pagination", async () => {
        expect(await find("Deal", {})).to.deep.equal(["DEAL-delta", "deal-alpha", "deal-beta", "deal-gamma"]);
        expect(await find("Deal", {}, { orderDirection: "desc" })).to.deep.equal([
          "deal-gamma",
          "deal-beta",
          "deal-alpha",
          "DEAL-delta",
        ]);
        expect(await find("Deal", {}, { orderBy: "escrow", orderDirection: "desc" })).to.deep.equal([
          "deal-beta",
          "deal-alpha",
          "DEAL-delta",
          "deal-gamma",
        ]);
        expect(await find("Deal", {}, { orderBy: "createdAt" })).to.deep.equal([
          "deal-alpha",
          "deal-beta",
          "deal-gamma",
          "DEAL-delta",
        ]);
        expect(await find("Deal", {}, { orderBy: "jobCreator", orderDirection: "desc" })).to.deep.equal([
          "deal-gamma",
          "deal-beta",
          "deal-alpha",
          "DEAL-delta",
        ]);
        expect(await find("Payment", {}, { orderBy: "deal__createdAt", orderDirection: "desc" })).to.deep.equal([
          "p3",
          "p2",
          "p1",
        ]);
        expect(await find("Deal", {}, { orderBy: "createdAt", first: 2, skip: 1 })).to.deep.equal([
          "deal-beta",
          "deal-gamma",
        ]);
        expect(await find("Deal", {}, { first: 0 })).to.deep.equal([]);
        expect(await find("Deal", {}, { skip: 10 })).to.deep.equal([]);
      });

      it("time travel: block = the state as of that block (inclusive)", async () => {
        expect(await find("Deal", { state: "DealAgreed" }, { block: 10 })).to.deep.equal(["DEAL-delta"]);
        expect(await find("Deal", { state: "DealAgreed" }, { block: 19 })).to.deep.equal(["DEAL-delta"]);
        expect(await find("Deal", { state: "DealAgreed" }, { block: 20 })).to.deep.equal(["DEAL-delta", "deal-beta"]);
        expect(await find("Deal", {}, { block: 9 })).to.deep.equal([]);
        // nested filters read the referenced entity as of the same block
        expect(await find("Payment", { deal_: { isOpen: false } }, { block: 15 })).to.deep.equal([]);
        expect(await find("Payment", { deal_: { isOpen: false } }, { block: 20 })).to.deep.equal(["p3"]);
        expect(await find("Deal", { jobCreator_: { escrowBalance: 500 } }, { block: 12 })).to.have.length(3);
        expect(await find("Deal", { jobCreator_: { escrowBalance: 500 } })).to.have.length(0);
        const rows = await store.find({ entity: "Account", where: { id: A1 }, block: 10 });
        expect(rows[0].escrowBalance).to.equal(500n);
        expect(await find("Deal", { _change_block: { number_gte: 20 } })).to.deep.equal(["deal-beta", "deal-gamma"]);
      });

      it("returns typed values: bigint, number, boolean, 0x-hex, lists, null", async () => {
        const [d] = await store.find({ entity: "Deal", where: { id: "deal-beta" } });
        expect(d).to.include({
          id: "deal-beta",
          escrow: 200n,
          stateIndex: 1,
          isOpen: true,
          mediator: null,
          jobCreator: A1,
        });
        expect(d.mediators).to.deep.equal([M1, M2]);
        expect(Object.keys(d)).to.not.include("payments");
      });

      it("first defaults to 100 and may not exceed 1000", async () => {
        const { store: s, cleanup: c } = await openStoreOf(kind);
        try {
          await s.batch(cp(1), async (w) => {
            for (let i = 0; i < 120; i++) {
              await w.set(
                "DealStateChange",
                {
                  id: `c${String(i).padStart(3, "0")}`,
                  deal: "d",
                  state: "DealAgreed",
                  stateIndex: 1,
                  blockNumber: 1n,
                  timestamp: 1n,
                  transactionHash: "0x00",
                },
                1,
              );
            }
          });
          expect(await s.find({ entity: "DealStateChange" })).to.have.length(100);
          expect(await s.find({ entity: "DealStateChange", first: 1000 })).to.have.length(120);
          const e = await expectReject(s.find({ entity: "DealStateChange", first: 1001 }), QueryArgumentError);
          expect(e.code).to.equal("LIMIT_EXCEEDED");
          expect(e.message).to.match(/first.*1000.*1001/);
          await expectReject(s.find({ entity: "DealStateChange", first: -1 }), QueryArgumentError);
          await expectReject(s.find({ entity: "DealStateChange", skip: -1 }), QueryArgumentError);
          await expectReject(s.find({ entity: "DealStateChange", block: -5 }), QueryArgumentError);
        } finally {
          await c();
        }
      });

      it("rejects unknown entities, fields and operators, and ill-typed values, naming the field", async () => {
        let e: StoreQueryError = await expectReject(store.find({ entity: "Nope" }), UnknownEntityError);
        expect(e.code).to.equal("UNKNOWN_ENTITY");
        e = await expectReject(store.find({ entity: "Deal", where: { bogus: 1 } }), UnknownFieldError);
        expect(e).to.include({ field: "bogus", entity: "Deal", code: "UNKNOWN_FIELD" });
        e = await expectReject(store.find({ entity: "Deal", where: { bogus_gt: 1 } }), UnknownFieldError);
        expect(e.field).to.equal("bogus");
        e = await expectReject(store.find({ entity: "Deal", where: { escrow_like: 1 } }), UnknownOperatorError);
        expect(e).to.include({ field: "escrow", code: "UNKNOWN_OPERATOR" });
        e = await expectReject(store.find({ entity: "Deal", where: { escrow_contains: "1" } }), UnknownOperatorError);
        expect(e.field).to.equal("escrow");
        e = await expectReject(store.find({ entity: "Deal", where: { state_gt: "DealAgreed" } }), UnknownOperatorError);
        expect(e.field).to.equal("state");
        e = await expectReject(store.find({ entity: "Deal", where: { payments: "x" } }), UnknownOperatorError);
        expect(e.field).to.equal("payments");
        e = await expectReject(store.find({ entity: "Deal", where: { escrow_: {} } }), UnknownOperatorError);
        expect(e.field).to.equal("escrow");
        e = await expectReject(store.find({ entity: "Payment", where: { deal_: { nope: 1 } } }), UnknownFieldError);
        expect(e).to.include({ field: "nope", entity: "Deal" });
        e = await expectReject(store.find({ entity: "Deal", where: { escrow: "12abc" } }), InvalidFilterValueError);
        expect(e).to.include({ field: "escrow", code: "INVALID_VALUE" });
        e = await expectReject(store.find({ entity: "Deal", where: { jobCreator: "0xzz" } }), InvalidFilterValueError);
        expect(e.field).to.equal("jobCreator");
        e = await expectReject(store.find({ entity: "Deal", where: { state: "Sideways" } }), InvalidFilterValueError);
        expect(e.field).to.equal("state");
        await expectReject(store.find({ entity: "Deal", where: { isOpen: "yes" } }), InvalidFilterValueError);
        await expectReject(store.find({ entity: "Deal", where: { escrow_in: "1" } }), InvalidFilterValueError);
        await expectReject(store.find({ entity: "Deal", where: { or: { escrow: 1 } } }), InvalidFilterValueError);
        e = await expectReject(store.find({ entity: "Deal", orderBy: "nope" }), UnknownFieldError);
        expect(e.field).to.equal("nope");
        await expectReject(store.find({ entity: "Deal", orderBy: "payments" }), QueryArgumentError);
        await expectReject(store.find({ entity: "Deal", orderBy: "mediators" }), QueryArgumentError);
        await expectReject(store.find({ entity: "Payment", orderBy: "deal__nope" }), UnknownFieldError);
        await expectReject(store.find({ entity: "Deal", orderDirection: "up" as "asc" }), QueryArgumentError);
        await expectReject(store.get("Account", "not-hex"), InvalidFilterValueError);
      });

      it("select: reads only the named fields (and id), in get() and find()", async () => {
        const pick = (record: EntityRecord | null, fields: string[]) =>
          record && Object.fromEntries(fields.map((f) => [f, record[f]]));
        const [full] = await store.find({ entity: "Deal", where: { id: "deal-beta" } });
        const [record] = await store.find({
          entity: "Deal",
          where: { id: "deal-beta" },
          select: ["state", "payments", "resourceProvider", "__typename"],
        });
        expect(record).to.deep.equal(pick(full, ["id", "state", "resourceProvider"]));
        const gamma = await store.get("Deal", "deal-gamma");
        expect(await store.get("Deal", "deal-gamma", undefined, ["escrow"])).to.deep.equal(
          pick(gamma, ["id", "escrow"]),
        );
        expect(await store.get("Deal", "deal-gamma", 10, ["mediator"])).to.deep.equal({
          id: "deal-gamma",
          mediator: M2,
        });
        // Ordering, filters and time travel do not depend on the selected columns.
        for (const block of [undefined, 10]) {
          const query = { entity: "Deal", orderBy: "escrow", orderDirection: "desc" as const, block };
          const all = await store.find(query);
          const some = await store.find({ ...query, where: { jobCreator: A1 }, select: ["escrow"] });
          expect(some).to.deep.equal(all.filter((d) => d.jobCreator === A1).map((d) => pick(d, ["id", "escrow"])));
        }
      });

      it("findByParents: one statement answers the per-parent query of every parent, in order", async () => {
        const parents = ["deal-gamma", "nobody", "deal-alpha", "deal-beta"];
        for (const query of [
          { entity: "Payment" },
          { entity: "Payment", orderBy: "amount", orderDirection: "desc" as const, first: 1 },
          { entity: "Payment", where: { amount_gt: 60n }, block: 10, select: ["amount"] },
        ]) {
          const batched = await store.findByParents(query, "deal", parents);
          const one = await Promise.all(
            parents.map((p) => store.find({ ...query, where: { and: [query.where ?? {}, { deal: p }] } })),
          );
          expect(batched).to.deep.equal(one);
        }
        // Bytes ids: accounts' deals as job creator, two per parent at most, newest first.
        const byAccount = await store.findByParents(
          { entity: "Deal", orderBy: "createdAt", orderDirection: "desc", first: 2, select: ["createdAt"] },
          "jobCreator",
          [A2.toUpperCase().replace("0X", "0x"), A3, A1],
        );
        expect(byAccount.map((list) => list.map((d) => d.id))).to.deep.equal([
          ["deal-gamma"],
          [],
          ["DEAL-delta", "deal-beta"],
        ]);
        await expectReject(store.findByParents({ entity: "Deal" }, "mediators", [M1]), QueryArgumentError);
      });

      it("lists of current versions filter and order through the model's partial read indexes", async () => {
        const plan = (sql: string, params: CompiledQuery["params"]) =>
          store.driver.transaction(async (tx) => {
            // Only whether an index serves the filter in order: the seed's tables are too small for the planner.
            await tx.query("SET LOCAL enable_seqscan = off");
            await tx.query("SET LOCAL enable_sort = off");
            await tx.query("SET LOCAL enable_incremental_sort = off");
            const rows = await tx.query<{ "QUERY PLAN": string }>(`EXPLAIN ${sql}`, params);
            return rows.map((r) => r["QUERY PLAN"]).join("\n");
          });
        for (const [query, index] of [
          [
            {
              entity: "Deal",
              where: { resourceProvider: A2, isOpen: true },
              orderBy: "createdAt",
              orderDirection: "desc",
            },
            /deal_resource_provider_by_created_at|deal_by_created_at/,
          ],
          [
            { entity: "Deal", where: { state: "DealNegotiating" }, orderBy: "updatedAt", orderDirection: "desc" },
            /deal_state_by_updated_at|deal_by_updated_at/,
          ],
          [
            { entity: "Deal", where: { jobCreator: A1, state_in: ["DealAgreed"] }, orderBy: "createdAt" },
            /deal_job_creator_by_created_at|deal_by_created_at/,
          ],
        ] as const) {
          for (const block of [undefined, 10]) {
            const q: CompiledQuery = compileFind(store.model, store.schema, { ...query, block });
            const text = await plan(q.sql, q.params);
            expect(text, text).to.match(index);
            // At the latest block one walk of the index answers the list (time travel adds the closed versions).
            if (block === undefined) expect(text, text).not.to.match(/Sort/);
          }
        }
      });

      it("values never reach the SQL text (injection attempts are just strings)", async () => {
        const evil = "x'); DROP TABLE deal; --";
        expect(await find("Deal", { id: evil })).to.deep.equal([]);
        expect(await find("Deal", { id_contains: evil, or: [{ id_in: [evil, "deal-alpha"] }] })).to.deep.equal([]);
        expect(await find("Service", { url_starts_with: "'" })).to.deep.equal([]);
        await expectReject(store.find({ entity: "Deal", where: { ['id" = id OR "1']: 1 } }), StoreQueryError);
        await expectReject(store.find({ entity: "Deal", orderBy: "id; DROP TABLE deal" }), StoreQueryError);
        expect(await find("Deal", {})).to.have.length(4);
      });
    });
  });
}

describe("indexer store (PGlite specifics)", function () {
  this.timeout(120_000);
  it("refuses a data directory another process holds, and takes over a dead process's lock", async () => {
    const fs = await import("node:fs");
    const dir = await freshPgliteDir();
    fs.writeFileSync(`${dir}.lock`, String(process.ppid));
    await expectReject(openStore({ dataDir: dir }), StoreError);
    fs.writeFileSync(`${dir}.lock`, "999999999");
    const store = await openStore({ dataDir: dir });
    await expectReject(openStore({ dataDir: dir }), StoreError);
    await store.close();
    expect(fs.existsSync(`${dir}.lock`)).to.equal(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a store that never wrote its directory reads the checkpoint's block as the current versions, exactly", async () => {
    const fs = await import("node:fs");
    const dir = await freshPgliteDir();
    const queries = [
      { entity: "Deal", orderBy: "createdAt", orderDirection: "desc" as const },
      { entity: "Deal", where: { isOpen: true, jobCreator: A1 }, select: ["state", "escrow"] },
      { entity: "Account", where: { escrowBalance_gt: 10n } },
    ];
    const read = async (store: SqlStore) => {
      const out: unknown[] = [];
      for (const block of [10, 20]) {
        for (const q of queries) out.push(await store.find({ ...q, block }));
        out.push(await store.findByParents({ entity: "Deal", block }, "jobCreator", [A1, A2]));
        out.push(await store.get("Deal", "deal-gamma", block, ["state"]));
      }
      return out;
    };
    let store = await openStore({ dataDir: dir, model: MODEL });
    await seed(store);
    // A deal naming an account that does not exist: the reference's existence is reported as false.
    const nobody = "0x" + "99".repeat(20);
    await store.batch(cp(30), (w) => w.set("Deal", deal("deal-omega", 9, { jobCreator: nobody }), 30));
    const exists = (block?: number) =>
      store
        .find({
          entity: "Deal",
          where: { id_in: ["deal-omega", "deal-alpha"] },
          select: ["id"],
          exists: ["jobCreator"],
          block,
        })
        .then((rows) => rows.map((r) => [r.id, r.jobCreator, r["jobCreator@exists"]]));
    for (const block of [undefined, 30]) {
      expect(await exists(block)).to.deep.equal([
        ["deal-alpha", A1, true],
        ["deal-omega", nobody, false],
      ]);
    }
    const written = await read(store);
    await store.close();
    store = await openStore({ dataDir: dir, model: MODEL });
    try {
      expect((await store.checkpoint())!.blockNumber).to.equal(30);
      expect(await read(store)).to.deep.equal(written);
    } finally {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("uses the project's schema by default", () => {
    const model = loadEntitySchema();
    expect(model.entities.map((e) => e.name)).to.include.members(["Deal", "Account", "Service", "Payment"]);
  });
});

describe("indexer store (PostgreSQL pool)", function () {
  this.timeout(60_000);
  before(function () {
    if (!process.env.DATABASE_URL) this.skip();
  });

  it("a reader's latest reads return the checkpoint of their own statement, with the state at that block", async () => {
    const {
      store: writer,
      options,
      cleanup,
    } = await STORE_KINDS.find((k) => k.name === "postgres")!.open({
      model: MODEL,
    });
    // Another process's store: it never wrote, so it knows no checkpoint but what a statement reads.
    const reader = await openStore({ ...options, model: MODEL, migrate: false });
    try {
      expect(await reader.findLatest({ entity: "Deal" })).to.deep.equal({ checkpoint: null, value: [] });
      expect(await reader.getLatest("Deal", "deal-alpha")).to.deep.equal({ checkpoint: null, value: null });
      await seed(writer);
      const query = { entity: "Deal", where: { isOpen: true }, orderBy: "createdAt", select: ["state", "escrow"] };
      const latest = await reader.findLatest({ ...query, block: 10 }); // `block` is ignored
      expect(latest.checkpoint).to.deep.equal(cp(20));
      expect(latest.value).to.deep.equal(await reader.find({ ...query, block: 20 }));
      expect(latest.value.length).to.be.above(0);
      const one = await reader.getLatest("Deal", "deal-gamma", ["state", "jobCreator"], ["jobCreator"]);
      expect(one).to.deep.equal({
        checkpoint: cp(20),
        value: await reader.get("Deal", "deal-gamma", 20, ["state", "jobCreator"], ["jobCreator"]),
      });
      // No rows: the checkpoint still comes back.
      expect(await reader.findLatest({ entity: "Deal", where: { id: "nope" } })).to.deep.equal({
        checkpoint: cp(20),
        value: [],
      });
      // The writer moves on while the reader reads: every latest read is the state at the checkpoint it returns.
      let next = 21;
      const writing = (async () => {
        for (; next < 41; next++) {
          await writer.batch(cp(next), async (w) => {
            const d = (await w.get("Deal", "deal-alpha"))!;
            await w.set("Deal", { ...d, escrow: BigInt(next) }, next);
          });
        }
      })();
      let seen = 0;
      while (next < 41) {
        const { checkpoint, value } = await reader.getLatest("Deal", "deal-alpha", ["escrow"]);
        expect(value!.escrow).to.equal(checkpoint!.blockNumber > 20 ? BigInt(checkpoint!.blockNumber) : 100n);
        if (checkpoint!.blockNumber > 20) seen++;
      }
      await writing;
      expect(seen).to.be.above(0);
      expect((await reader.getLatest("Deal", "deal-alpha")).checkpoint).to.deep.equal(cp(40));
    } finally {
      await reader.close();
      await cleanup();
    }
  });

  it("runs concurrent reads on several connections of its pool", async () => {
    const store = await openStore({ databaseUrl: process.env.DATABASE_URL, poolSize: 4, migrate: false });
    try {
      const started = Date.now();
      const rows = await Promise.all(
        Array.from({ length: 4 }, () =>
          store.driver.query<{ pid: number }>("SELECT pg_backend_pid() AS pid, pg_sleep(0.3)"),
        ),
      );
      expect(new Set(rows.map((r) => r[0].pid)).size).to.equal(4);
      expect(Date.now() - started).to.be.below(1100);
    } finally {
      await store.close();
    }
  });
});
