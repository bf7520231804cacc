// PGlite on its own thread (pglite-thread.ts): the same driver contract as on the calling thread. The store's whole
// suite runs on it too (STORE_KINDS); this file covers what only the thread boundary can break.

import fs from "node:fs";
import { expect } from "chai";
import { openPgliteDriver, StoreError, type SqlDriver } from "../../src/indexer";
import { freshPgliteDir } from "./helpers/stores";

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

describe("indexer store: PGlite on a worker thread", function () {
  this.timeout(60_000);
  let dataDir: string;
  let driver: SqlDriver;

  beforeEach(async () => {
    dataDir = await freshPgliteDir();
    driver = await openPgliteDriver({ dataDir, thread: "worker" });
    await driver.query("CREATE TABLE t (id int PRIMARY KEY, note text, data bytea)");
  });
  afterEach(async () => {
    await driver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  it("answers rows with PostgreSQL's types, bytea as its text form", async () => {
    await driver.query("INSERT INTO t VALUES ($1::text::int, $2::text, '\\xbeef'::bytea)", ["1", "one"]);
    const rows = await driver.query("SELECT id, note, data, 9007199254740993::int8 AS big FROM t");
    expect(rows).to.deep.equal([{ id: 1, note: "one", data: "\\xbeef", big: 9007199254740993n }]);
  });

  it("passes a database error across with its code and fields", async () => {
    await driver.query("INSERT INTO t (id) VALUES (1)");
    const error = await rejection(driver.query("INSERT INTO t (id) VALUES (1)"));
    expect(error.code).to.equal("23505");
    expect(error.message).to.match(/duplicate key/);
    expect(error.table).to.equal("t");
  });

  it("commits a transaction when its function resolves and rolls it back when it throws", async () => {
    await driver.transaction(async (tx) => {
      await tx.query("INSERT INTO t (id, note) VALUES (1, 'kept')");
      await tx.copyIn!("t", ["id", "note"], "2\tcopied\n");
    });
    const failure = await rejection(
      driver.transaction(async (tx) => {
        await tx.query("INSERT INTO t (id, note) VALUES (3, 'lost')");
        throw new Error("the caller's failure");
      }),
    );
    expect(failure.message).to.equal("the caller's failure");
    // A statement of its own that fails rolls the whole transaction back too.
    await rejection(
      driver.transaction(async (tx) => {
        await tx.query("INSERT INTO t (id, note) VALUES (4, 'lost')");
        await tx.query("INSERT INTO t (id) VALUES (1)");
      }),
    );
    const rows = await driver.query<{ id: number; note: string }>("SELECT id, note FROM t ORDER BY id");
    expect(rows).to.deep.equal([
      { id: 1, note: "kept" },
      { id: 2, note: "copied" },
    ]);
  });

  it("runs a whole write transaction in one request, all or nothing", async () => {
    await driver.writeTransaction!([
      { sql: "INSERT INTO t (id, note) VALUES (1, 'a')", params: [] },
      { copy: { table: "t", columns: ["id", "note"], data: "2\tb\n" } },
    ]);
    const error = await rejection(
      driver.writeTransaction!([
        { sql: "INSERT INTO t (id, note) VALUES (3, 'c')", params: [] },
        { copy: { table: "t", columns: ["id", "note"], data: "1\tagain\n" }, entity: "Thing" },
      ]),
    );
    expect(error).to.be.instanceOf(StoreError);
    expect(error.message).to.match(/^Thing: a version with the same id is already open/);
    expect(await driver.query("SELECT id FROM t ORDER BY id")).to.deep.equal([{ id: 1 }, { id: 2 }]);
  });

  it("queues statements outside a transaction behind it, as one PGlite does", async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tx = driver.transaction(async (t) => {
      await t.query("INSERT INTO t (id, note) VALUES (1, 'in the transaction')");
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const outside = driver.query("SELECT count(*)::int AS n FROM t");
    release();
    await tx;
    expect(await outside).to.deep.equal([{ n: 1 }]);
  });

  it("holds the data directory's lock until closed, then releases it", async () => {
    const second = await rejection(openPgliteDriver({ dataDir, thread: "worker" }));
    expect(second).to.be.instanceOf(StoreError);
    expect(second.message).to.match(/already open in this process/);
    await driver.close();
    await driver.close();
    driver = await openPgliteDriver({ dataDir, thread: "main" });
    expect(await driver.query("SELECT 1 AS one")).to.deep.equal([{ one: 1 }]);
  });

  it("fails every request once closed, with a StoreError", async () => {
    await driver.close();
    const error = await rejection(driver.query("SELECT 1"));
    expect(error).to.be.instanceOf(StoreError);
    driver = await openPgliteDriver({ dataDir, thread: "worker" });
  });
});
