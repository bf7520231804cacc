// PostgreSQL through `pg`: a pool (pg.Pool), so concurrent reads (the API's requests) run on several connections in
// parallel while a transaction (the indexer's batch) holds one.

import type { Pool as PgPool, PoolClient } from "pg";
import { RANDOM_PAGE_COST, type Queryable, type Row, type SqlDriver, type SqlParam } from "./driver";
import { StatementNames } from "./prepared";

export interface PostgresDriverOptions {
  connectionString: string;
  /** Pool size (default 4: one writer and a few readers). */
  max?: number;
}

/** The bytea type's OID. */
const BYTEA_OID = 17;

export async function openPostgresDriver(options: PostgresDriverOptions): Promise<SqlDriver> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy: pg loads only when a database URL is given (PGlite otherwise)
  const { Pool, types: pgTypes } = require("pg") as typeof import("pg");
  const pool: PgPool = new Pool({
    connectionString: options.connectionString,
    max: options.max ?? 4,
    // The entity tables' working set is expected in memory: see RANDOM_PAGE_COST (a session setting, not the server's).
    options: `-c random_page_cost=${RANDOM_PAGE_COST}`,
    types: {
      // bytea as PostgreSQL's text (\x…), which the codec turns into 0x-hex directly (pg's default builds a Buffer).
      getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
        oid === BYTEA_OID && format !== "binary"
          ? (text: string) => text
          : (pgTypes.getTypeParser(oid, format ?? "text") as unknown)) as typeof pgTypes.getTypeParser,
    },
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on("error", () => {});
  const client = await pool.connect();
  client.release();

  const onClient = (c: PoolClient): Queryable => ({
    async query<T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]> {
      const result = await c.query(sql, params as unknown[] | undefined);
      return result.rows as T[];
    },
    async exec(script: string): Promise<void> {
      await c.query(script);
    },
  });

  // Reads outside a transaction run as named prepared statements (prepared.ts): pg parses a name once per connection.
  const names = new StatementNames();

  return {
    kind: "postgres",
    async query<T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]> {
      const name = names.name(sql)?.name;
      const values = params as unknown[] | undefined;
      if (name === undefined) return (await pool.query(sql, values)).rows as T[];
      try {
        return (await pool.query({ name, text: sql, values })).rows as T[];
      } catch (error) {
        // 26000: a connection lost the name (a DEALLOCATE, a pooler's reset) while pg still counts it as prepared
        // there. The name is abandoned (texts get a new one, never an old one back) and this run goes unnamed.
        if ((error as { code?: string }).code !== "26000") throw error;
        names.forget(sql);
        return (await pool.query(sql, values)).rows as T[];
      }
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const c = await pool.connect();
      let broken = false;
      try {
        await c.query("BEGIN");
        const value = await fn(onClient(c));
        await c.query("COMMIT");
        return value;
      } catch (error) {
        try {
          await c.query("ROLLBACK");
        } catch {
          broken = true;
        }
        throw error;
      } finally {
        c.release(broken);
      }
    },
    async close(): Promise<void> {
      await pool.end();
    },
  };
}
