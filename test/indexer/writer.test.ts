// The batch writer's two shortcuts for the WASM host: blind saves (an entity saved without loading it first is
// merged under the stored one when that is loaded, or at flush) and the per-type id filter (a read of an id the
// table never stored is answered "absent" without a query). Both must give exactly what load-then-save gives.

import { expect } from "chai";
import { StoreError, type SqlStore } from "../../src/indexer";
import { IdFilter } from "../../src/indexer/store/id-filter";
import type { SqlBatchWriter } from "../../src/indexer/store/writer";
import { STORE_KINDS } from "./helpers/stores";
import { A, B, checkpoint, thingModel as model } from "./helpers/things";

for (const kind of STORE_KINDS) {
  describe(`store: blind saves and id filters (${kind.name})`, function () {
    this.timeout(60_000);
    let store: SqlStore;
    let cleanup: () => Promise<void>;
    const batch = (n: number, fn: (w: SqlBatchWriter) => Promise<void> | void) =>
      store.batchWithChanges(checkpoint(n), async (w) => {
        await fn(w);
      });

    beforeEach(async () => {
      // No entity cache: every batch starts from the database, as after a restart.
      ({ store, cleanup } = await kind.open({ model, cacheSize: 0 }));
      await batch(1, (w) => w.setNow("Thing", { id: A, name: "a", note: "first", count: 1 }, 1));
    });
    afterEach(async () => cleanup());

    it("merges a blind save under the stored entity at flush (fields it left out keep their values)", async () => {
      await batch(2, (w) => {
        expect(w.mergeBase("Thing", A)).to.deep.equal({ known: false, partial: null });
        w.setBlind("Thing", { id: A, name: "b", count: 2 }, 2);
      });
      expect(await store.get("Thing", A)).to.deep.equal({ id: A, name: "b", note: "first", count: 2 });
      // The version it replaced is history, as with any save.
      expect(await store.get("Thing", A, 1)).to.deep.equal({ id: A, name: "a", note: "first", count: 1 });
    });

    it("unsets a stored field a blind save set to null", async () => {
      await batch(2, (w) => w.setBlind("Thing", { id: A, name: "a", note: null, count: 1 }, 2));
      expect(await store.get("Thing", A)).to.deep.equal({ id: A, name: "a", note: null, count: 1 });
    });

    it("answers a read after a blind save with the merged entity, once loaded", async () => {
      await batch(2, async (w) => {
        w.setBlind("Thing", { id: A, name: "b", count: 2 }, 2);
        expect(w.peek("Thing", A), "not known before it is loaded").to.equal(undefined);
        await w.prefetch("Thing", [A]);
        expect(w.peek("Thing", A)).to.deep.equal({ id: A, name: "b", note: "first", count: 2 });
        // A second blind save composes with what the first set.
        w.setBlind("Thing", { id: A, name: "c", count: 3 }, 2);
        expect(w.peek("Thing", A)).to.deep.include({ name: "c", note: "first", count: 3 });
      });
      expect(await store.get("Thing", A)).to.deep.equal({ id: A, name: "c", note: "first", count: 3 });
    });

    it("stores a blind save of a new entity as it is", async () => {
      await batch(2, (w) => w.setBlind("Thing", { id: B, name: "new", count: 7 }, 2));
      expect(await store.get("Thing", B)).to.deep.equal({ id: B, name: "new", note: null, count: 7 });
    });

    it("refuses a blind save of an immutable entity that exists, at flush", async () => {
      await batch(2, (w) => w.setNow("Mark", { id: "m", thing: A }, 2));
      const error = await batch(3, (w) => w.setBlind("Mark", { id: "m", thing: B }, 3)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StoreError);
      expect((error as Error).message).to.match(/^Mark: a version with the same id/);
      expect(await store.get("Mark", "m")).to.deep.equal({ id: "m", thing: A });
    });

    it("knows never-stored ids absent once the type missed once, and still loads stored ones", async () => {
      await batch(2, async (w) => {
        expect(w.peek("Thing", B), "unknown before any miss").to.equal(undefined);
        await w.prefetch("Thing", [B]); // the miss: builds Thing's id filter from the table
        const never = "0x" + "cc".repeat(20);
        expect(w.peek("Thing", never), "never stored: absent without a query").to.equal(null);
        expect(w.mergeBase("Thing", never)).to.deep.equal({ known: true, record: null });
        expect(w.peek("Thing", A), "stored: not answered by the filter").to.equal(undefined);
        await w.prefetch("Thing", [A]);
        expect(w.peek("Thing", A)).to.deep.equal({ id: A, name: "a", note: "first", count: 1 });
        w.setNow("Thing", { id: B, name: "b", count: 2 }, 2);
      });
      // What a batch stored joins the filter: the next batch does not take it for absent.
      await batch(3, (w) => {
        expect(w.peek("Thing", B)).to.equal(undefined);
      });
    });
  });
}

describe("store: IdFilter", () => {
  it("has no false negatives and about 1 % false positives at capacity", () => {
    const filter = new IdFilter(10_000);
    const stored = Array.from({ length: 10_000 }, (_, i) => `0x${i.toString(16).padStart(40, "0")}`);
    for (const id of stored) filter.add(id);
    expect(stored.every((id) => filter.mightContain(id))).to.equal(true);
    let positives = 0;
    for (let i = 0; i < 10_000; i++) if (filter.mightContain(`other-${i}`)) positives++;
    expect(positives).to.be.below(300);
    expect(filter.full).to.equal(false);
    for (let i = 0; i < 1_000; i++) filter.add(`more-${i}`);
    expect(filter.full).to.equal(true);
  });

  it("counts an id once however often it is added (every commit adds the ids it wrote, updates included)", () => {
    const filter = new IdFilter(1_000);
    const ids = Array.from({ length: 900 }, (_, i) => `deal-${i}`);
    for (let commit = 0; commit < 20; commit++) for (const id of ids) filter.add(id);
    expect(filter.full).to.equal(false);
    expect(ids.every((id) => filter.mightContain(id))).to.equal(true);
  });
});
