// SqlStore.stageBatch, the indexer's pipeline: a batch is prepared while the one before it commits. Its reads must
// see that batch as if it had committed (from the cache, or from the database once it has), a failed commit must
// take every batch staged after it down with it, and readers must only ever see committed batches.

import { expect } from "chai";
import fc from "fast-check";
import { SqlStore, StoreError } from "../../src/indexer";
import type { SqlBatchWriter } from "../../src/indexer/store/writer";
import { STORE_KINDS } from "./helpers/stores";
import { A, B, C, checkpoint, thingModel as model } from "./helpers/things";

for (const kind of STORE_KINDS) {
  for (const cacheSize of [2000, 0]) {
    describe(`store: staged batches (${kind.name}, cache of ${cacheSize})`, function () {
      this.timeout(60_000);
      let store: SqlStore;
      let cleanup: () => Promise<void>;

      beforeEach(async () => {
        ({ store, cleanup } = await kind.open({ model, cacheSize }));
        await store.batch(checkpoint(1), async (w) => {
          await w.set("Thing", { id: A, name: "a", note: "first", count: 1 }, 1);
          await w.set("Mark", { id: "m1", thing: A }, 1);
        });
      });
      afterEach(async () => cleanup());

      it("reads the batch staged before it, saves blind and immutable entities included, before it commits", async () => {
        const first = await store.stageBatch(checkpoint(2), async (w) => {
          await w.set("Thing", { ...(await w.get("Thing", A))!, count: 2 }, 2);
          // Saved blind: its state is known only once the stage loads the stored entity (none here).
          w.setBlind("Thing", { id: B, name: "b", count: 20 }, 2);
          await w.set("Mark", { id: "m2", thing: B }, 2);
        });
        const second = await store.stageBatch(checkpoint(3), async (w) => {
          expect(await w.get("Thing", A)).to.deep.equal({ id: A, name: "a", note: "first", count: 2 });
          const b = (await w.get("Thing", B))!;
          expect(b).to.deep.include({ id: B, name: "b", count: 20 });
          expect(b.note ?? null).to.equal(null);
          // Immutable entities are never cached: this read reaches the database, after the first commit.
          expect(await w.get("Mark", "m2")).to.deep.equal({ id: "m2", thing: B });
          expect(await w.get("Thing", C)).to.equal(null);
          await w.set("Thing", { id: C, name: "c", count: 3 }, 3);
        });
        expect((await first.committed).map((c) => `${c.entity} ${c.id}@${c.block}`)).to.have.members([
          `Thing ${A}@2`,
          `Thing ${B}@2`,
          "Mark m2@2",
        ]);
        await second.committed;
        expect(await store.checkpoint()).to.deep.equal(checkpoint(3));
        expect(await store.get("Thing", A, 2)).to.deep.include({ count: 2 });
        expect(await store.get("Thing", C)).to.deep.include({ name: "c" });
        expect(await store.get("Thing", C, 2)).to.equal(null);
      });

      it("gives the same store as the same batches committed one by one", async () => {
        const writes = [
          (n: number) => ({ id: A, name: `a${n}`, count: n }),
          (n: number) => ({ id: B, name: `b${n}`, note: n % 2 ? "odd" : null, count: n }),
        ];
        const staged: Promise<unknown>[] = [];
        for (let n = 2; n <= 6; n++) {
          const { committed } = await store.stageBatch(checkpoint(n), async (w) => {
            for (const make of writes) w.setBlind("Thing", make(n), n);
            await w.set("Mark", { id: `m${n}`, thing: A }, n);
          });
          staged.push(committed);
        }
        await Promise.all(staged);
        const pipelined = await store.digest();

        const other = await kind.open({ model, cacheSize });
        try {
          await other.store.batch(checkpoint(1), async (w) => {
            await w.set("Thing", { id: A, name: "a", note: "first", count: 1 }, 1);
            await w.set("Mark", { id: "m1", thing: A }, 1);
          });
          for (let n = 2; n <= 6; n++) {
            await other.store.batch(checkpoint(n), async (w) => {
              for (const make of writes) {
                const record = make(n);
                const stored = await w.get("Thing", record.id);
                // What a blind save means: the fields it sets over the stored entity's.
                await w.set("Thing", { ...stored, ...record }, n);
              }
              await w.set("Mark", { id: `m${n}`, thing: A }, n);
            });
          }
          expect(await other.store.digest()).to.equal(pipelined);
        } finally {
          await other.cleanup();
        }
      });

      it("fails the batches staged after a failed commit and leaves the store at the last commit", async () => {
        // m1 exists: writing it again breaks the one-version rule of an immutable entity at commit.
        const failing = await store.stageBatch(checkpoint(2), async (w) => {
          await w.set("Thing", { id: A, name: "lost", count: 2 }, 2);
          await w.set("Mark", { id: "m1", thing: A }, 2);
        });
        const after = store.stageBatch(checkpoint(3), async (w) => {
          // Seen as staged: the batch before is not known to fail yet.
          expect(await w.get("Thing", A)).to.deep.include({ name: "lost" });
          await w.set("Thing", { id: C, name: "c", count: 3 }, 3);
        });
        const error = await failing.committed.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(StoreError);
        expect((error as Error).message).to.match(/Mark: a version with the same id is already open/);
        const second = await after.then(
          (s) => s.committed.then(() => undefined),
          (e: unknown) => e,
        );
        expect(second, "the batch after the failed one").to.be.instanceOf(Error);

        expect(await store.checkpoint()).to.deep.equal(checkpoint(1));
        expect(await store.get("Thing", A)).to.deep.include({ name: "a", count: 1 });
        expect(await store.get("Thing", C)).to.equal(null);
        // Nothing of the failed batches stayed in memory either: the next batch reads the committed state.
        await store.batch(checkpoint(2), async (w) => {
          expect(await w.get("Thing", A)).to.deep.include({ name: "a", count: 1 });
          expect(await w.get("Thing", C)).to.equal(null);
        });
      });

      it("refuses a checkpoint before the staged one", async () => {
        const { committed } = await store.stageBatch(checkpoint(5), async (w) => {
          await w.set("Thing", { id: C, name: "c", count: 5 }, 5);
        });
        let refused: unknown;
        try {
          await store.stageBatch(checkpoint(4), async () => {});
        } catch (error) {
          refused = error;
        }
        expect(refused).to.be.instanceOf(StoreError);
        expect((refused as Error).message).to.match(/before the current checkpoint 5/);
        await committed;
      });

      it("orders a plain batch after the staged ones", async () => {
        const { committed } = await store.stageBatch(checkpoint(2), async (w) => {
          await w.set("Thing", { id: A, name: "staged", count: 2 }, 2);
        });
        await store.batch(checkpoint(3), async (w) => {
          expect(await w.get("Thing", A)).to.deep.include({ name: "staged" });
          await w.set("Thing", { id: A, name: "plain", count: 3 }, 3);
        });
        await committed;
        expect(await store.get("Thing", A)).to.deep.include({ name: "plain" });
        expect(await store.checkpoint()).to.deep.equal(checkpoint(3));
      });
    });
  }
}

/** One write of a random batch. */
type Write =
  | { op: "set"; id: number; name: string; count: number; note: string | null }
  | { op: "blind"; id: number; name: string; count: number }
  | { op: "remove"; id: number }
  | { op: "mark"; id: number; thing: number };

const IDS = 4;
const thingId = (n: number): string => "0x" + String(n + 1).repeat(40);
const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({
    op: fc.constant("set" as const),
    id: fc.nat(IDS - 1),
    name: fc.constantFrom("a", "b", "c"),
    count: fc.nat(9),
    note: fc.option(fc.constantFrom("x", "y"), { nil: null }),
  }),
  fc.record({
    op: fc.constant("blind" as const),
    id: fc.nat(IDS - 1),
    name: fc.constantFrom("a", "b"),
    count: fc.nat(9),
  }),
  fc.record({ op: fc.constant("remove" as const), id: fc.nat(IDS - 1) }),
  fc.record({ op: fc.constant("mark" as const), id: fc.nat(50), thing: fc.nat(IDS - 1) }),
);
/** Batches of writes, each write at an offset (0–2) within its batch's blocks. */
const batches = fc.array(fc.array(fc.tuple(write, fc.nat(2)), { maxLength: 6 }), { minLength: 1, maxLength: 8 });

/** Applies one batch's writes as a mapping would: reads first where a write depends on the stored entity. */
async function applyWrites(
  w: SqlBatchWriter,
  writes: [Write, number][],
  first: number,
  marks: Set<string>,
): Promise<void> {
  const ordered = [...writes].sort((a, b) => a[1] - b[1]);
  for (const [wr, offset] of ordered) {
    const block = first + offset;
    if (wr.op === "set") {
      w.setNow("Thing", { id: thingId(wr.id), name: wr.name, count: wr.count, note: wr.note }, block);
    } else if (wr.op === "blind") {
      const base = w.mergeBase("Thing", thingId(wr.id));
      const fields = { id: thingId(wr.id), name: wr.name, count: wr.count };
      if (base.known) w.setNow("Thing", { ...(base.record ?? {}), ...fields }, block);
      else w.setBlind("Thing", fields, block);
    } else if (wr.op === "remove") {
      if ((await w.get("Thing", thingId(wr.id))) !== null) w.removeNow("Thing", thingId(wr.id), block);
    } else {
      // Immutable: written once (the mapping checks first, as graph-node's would fail otherwise).
      const id = `m${wr.id}`;
      if (marks.has(id) || (await w.get("Mark", id)) !== null) continue;
      marks.add(id);
      w.setNow("Mark", { id, thing: thingId(wr.thing) }, block);
    }
  }
}

for (const kind of STORE_KINDS) {
  describe(`store: staged batches under random writes (${kind.name})`, function () {
    this.timeout(300_000);
    let store: SqlStore;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ store, cleanup } = await kind.open({ model }));
    });
    after(async () => cleanup());

    it("ends with the same store as committing the same batches one by one without a cache", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(batches, fc.constantFrom(0, 2000), async (plan, cacheSize) => {
          run++;
          const staged = new SqlStore(store.driver, model, { schema: `pipe_s_${run}`, cacheSize });
          // The reference: one batch at a time and no cache (every read from the database).
          const plain = new SqlStore(store.driver, model, { schema: `pipe_p_${run}`, cacheSize: 0 });
          await staged.migrate();
          await plain.migrate();
          try {
            const stagedMarks = new Set<string>();
            const plainMarks = new Set<string>();
            const commits: Promise<unknown>[] = [];
            for (let i = 0; i < plan.length; i++) {
              const first = i * 3 + 1;
              const { committed } = await staged.stageBatch(checkpoint(first + 2), (w) =>
                applyWrites(w, plan[i], first, stagedMarks),
              );
              commits.push(committed);
              await plain.batch(checkpoint(first + 2), (w) =>
                applyWrites(w as SqlBatchWriter, plan[i], first, plainMarks),
              );
            }
            await Promise.all(commits);
            expect(await staged.digest()).to.equal(await plain.digest());
            expect(await staged.checkpoint()).to.deep.equal(await plain.checkpoint());
          } finally {
            await staged.dropSchema();
            await plain.dropSchema();
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
