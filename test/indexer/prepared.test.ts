// Named prepared statements for the store's repeated reads (store/prepared.ts): which texts get a name, parameters
// as literals, and on every driver the same rows, errors and recovery as the unnamed statements they replace.

import fs from "node:fs";
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { openPgliteDriver, openPostgresDriver, type SqlDriver, type SqlParam } from "../../src/indexer";
import { executeStatement, sqlLiteral, StatementNames } from "../../src/indexer/store/prepared";
import { freshPgliteDir } from "./helpers/stores";

describe("indexer store: prepared statements", function () {
  this.timeout(60_000);

  describe("StatementNames", () => {
    it("names a read from its second run on, then reuses the name", () => {
      const names = new StatementNames({ prefix: "p" });
      const sql = "SELECT 1 WHERE $1::text = 'x'";
      expect(names.name(sql)).to.equal(undefined);
      expect(names.name(sql)).to.deep.equal({ name: "p1", created: true, evicted: undefined });
      expect(names.name(sql)).to.deep.equal({ name: "p1", created: false });
      expect(names.name("WITH a AS (SELECT 1) SELECT * FROM a")).to.equal(undefined);
      expect(names.name("WITH a AS (SELECT 1) SELECT * FROM a")?.name).to.equal("p2");
    });

    it("never names a write or a statement that is not one read", () => {
      const names = new StatementNames();
      for (const sql of ["INSERT INTO t VALUES ($1)", "UPDATE t SET a = $1", "DEALLOCATE ALL", "select 1"]) {
        for (let i = 0; i < 3; i++) expect(names.name(sql), sql).to.equal(undefined);
      }
      expect(names.size).to.equal(0);
    });

    it("leaves new texts unnamed past its capacity without eviction (PostgreSQL's pool)", () => {
      const names = new StatementNames({ capacity: 2 });
      for (const sql of ["SELECT 1", "SELECT 2", "SELECT 3"]) {
        names.name(sql);
        names.name(sql);
      }
      expect(names.size).to.equal(2);
      expect(names.name("SELECT 3")).to.equal(undefined);
      expect(names.name("SELECT 1")?.created).to.equal(false);
    });

    it("evicts the least recently used name when full (PGlite's session) and says which", () => {
      const names = new StatementNames({ capacity: 2, evict: true, prefix: "p" });
      for (const sql of ["SELECT 1", "SELECT 2"]) {
        names.name(sql);
        names.name(sql);
      }
      names.name("SELECT 1"); // SELECT 2 is now the least recently used
      names.name("SELECT 3");
      expect(names.name("SELECT 3")).to.deep.equal({ name: "p3", created: true, evicted: "p2" });
      expect(names.name("SELECT 1")).to.deep.equal({ name: "p1", created: false });
      expect(names.name("SELECT 2")).to.equal(undefined); // forgotten: counted anew
    });

    it("forgets a name on request", () => {
      const names = new StatementNames({ prefix: "p" });
      names.name("SELECT 1");
      names.name("SELECT 1");
      names.forget("SELECT 1");
      expect(names.size).to.equal(0);
      expect(names.name("SELECT 1")).to.equal(undefined);
    });
  });

  describe("parameters as literals", () => {
    it("quotes strings, keeps backslashes and writes arrays in PostgreSQL's array syntax", () => {
      expect(sqlLiteral(null)).to.equal("NULL");
      expect(sqlLiteral("it's")).to.equal("'it''s'");
      expect(sqlLiteral("a\\b")).to.equal("'a\\b'");
      expect(sqlLiteral(["a", null, 'q"uote', "back\\slash", "{x,y}", ""])).to.equal(
        `'{"a",NULL,"q\\"uote","back\\\\slash","{x,y}",""}'`,
      );
      expect(executeStatement("s1", [])).to.equal("EXECUTE s1");
      expect(executeStatement("s1", ["1", null])).to.equal("EXECUTE s1('1', NULL)");
    });

    it("refuses a NUL character (PostgreSQL's text cannot hold one)", () => {
      expect(() => sqlLiteral("a\u0000b")).to.throw(TypeError, /NUL/);
    });
  });

  type Opened = { driver: SqlDriver; table: string; cleanup: () => Promise<void> };
  type Kind = { name: string; open(): Promise<Opened> };
  const pgliteKind = (thread: "main" | "worker"): Kind => ({
    name: `PGlite (${thread})`,
    async open() {
      const dataDir = await freshPgliteDir();
      const driver = await openPgliteDriver({ dataDir, thread });
      return {
        driver,
        table: "t",
        async cleanup() {
          await driver.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
          fs.rmSync(`${dataDir}.lock`, { force: true });
        },
      };
    },
  });
  const kinds: Kind[] = [pgliteKind("main"), pgliteKind("worker")];
  if (process.env.DATABASE_URL) {
    kinds.push({
      name: "PostgreSQL",
      async open() {
        const schema = `accord_prepared_${randomBytes(4).toString("hex")}`;
        const driver = await openPostgresDriver({ connectionString: process.env.DATABASE_URL! });
        await driver.query(`CREATE SCHEMA ${schema}`);
        return {
          driver,
          table: `${schema}.t`,
          async cleanup() {
            await driver.query(`DROP SCHEMA ${schema} CASCADE`);
            await driver.close();
          },
        };
      },
    });
  }

  // Values that a literal could get wrong: quotes, backslashes, array syntax, unicode, empty strings, nulls.
  const NOTES = ["plain", "it's", "back\\slash", 'dq"uote', "{br,ace}", "ünï ✓", "", "NULL"];
  const READ = `SELECT id, note, tags, data, amount, flag FROM TABLE WHERE (note = $1::text OR $1::text IS NULL)
    AND ($2::text[] IS NULL OR tags && $2::text[]) AND id >= ($3::text)::int ORDER BY id LIMIT 50`;

  for (const kind of kinds) {
    describe(kind.name, () => {
      let driver: SqlDriver;
      let table: string;
      let opened: Opened;
      const read = (params: SqlParam[]) => driver.query(READ.replace("TABLE", table), params);

      beforeEach(async () => {
        opened = await kind.open();
        ({ driver, table } = opened);
        await driver.query(
          `CREATE TABLE ${table} (id int PRIMARY KEY, note text, tags text[], data bytea, amount numeric, flag boolean)`,
        );
        for (const [i, note] of NOTES.entries()) {
          await driver.query(
            `INSERT INTO ${table} VALUES (($1::text)::int, $2::text, $3::text[], decode($4::text, 'hex'), ($5::text)::numeric, ($6::text)::boolean)`,
            [
              String(i),
              note,
              [note, `tag${i % 3}`, i % 2 ? null : "even"],
              "beef" + String(i).padStart(2, "0"),
              `${10n ** 30n + BigInt(i)}`,
              i % 2 ? "t" : "f",
            ],
          );
        }
      });
      afterEach(() => opened.cleanup());

      it("answers a repeated read with the same rows as its first, unnamed run, for every kind of parameter", async () => {
        const cases: SqlParam[][] = [
          ...NOTES.map((note) => [note, null, "0"]),
          [null, ["it's", 'dq"uote'], "0"],
          [null, ["back\\slash", "{br,ace}", null], "1"],
          [null, [], "0"],
          [null, null, "3"],
        ];
        const first = await Promise.all(cases.map((params) => read(params)));
        expect(first.flat()).to.have.length.greaterThan(NOTES.length);
        for (let run = 0; run < 4; run++) {
          // Concurrent runs: the one that prepares and the ones that find it being prepared.
          const again = await Promise.all(cases.map((params) => read(params)));
          expect(again).to.deep.equal(first);
        }
        expect(first[1]).to.deep.equal([
          {
            id: 1,
            note: "it's",
            tags: ["it's", "tag1", null],
            data: "\\xbeef01",
            amount: `${10n ** 30n + 1n}`,
            flag: true,
          },
        ]);
      });

      it("reports a bad value as the unnamed statement does, and keeps the statement working", async () => {
        await read(["plain", null, "0"]);
        await read(["plain", null, "0"]);
        const failure = await read(["plain", null, "not a number"]).then(
          () => undefined,
          (error: unknown) => error as { code?: string },
        );
        expect(failure?.code).to.equal("22P02");
        expect(await read(["plain", null, "0"])).to.have.length(1);
      });

      it("runs again unnamed, then named, when its prepared statement is gone", async () => {
        for (let i = 0; i < 3; i++) await read(["plain", null, "0"]);
        // Not a read: it runs unnamed and drops this session's prepared statements behind the driver's back.
        await driver.query("DEALLOCATE ALL");
        for (let i = 0; i < 4; i++) expect(await read(["plain", null, "0"])).to.have.length(1);
        if (kind.name.startsWith("PGlite")) {
          const prepared = await driver.query(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%tags &&%'",
          );
          expect(prepared).to.have.length(1);
        }
      });

      if (kind.name.startsWith("PGlite")) {
        it("keeps at most its capacity of statements prepared, deallocating the least recently used", async () => {
          for (let i = 0; i < 300; i++) {
            const sql = `SELECT id FROM ${table} WHERE id = ($1::text)::int + ${i}`;
            await driver.query(sql, ["0"]);
            await driver.query(sql, ["0"]);
          }
          const [{ count }] = await driver.query<{ count: number }>(
            "SELECT count(*)::int AS count FROM pg_prepared_statements",
          );
          expect(count).to.equal(256);
        });
      }
    });
  }
});
