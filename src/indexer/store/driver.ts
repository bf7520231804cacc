// The tiny driver interface the store runs on: one SQL dialect (PostgreSQL's), two engines (PGlite embedded,
// PostgreSQL through `pg`). Every parameter is text, an array of text, or null; SQL casts them.

import { StoreError } from "./errors";

export type SqlParam = string | null | (string | null)[];
export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /**
   * Optional bulk load: `COPY <table> (<columns>) FROM STDIN` with `data` in COPY's text format (PGlite: through
   * its /dev/blob device, ~2× faster than INSERT … SELECT FROM unnest). Drivers without it get unnest inserts.
   */
  copyIn?(table: string, columns: string[], data: CopyData): Promise<void>;
  /** Optional: several statements without parameters in one round trip (DDL). */
  exec?(script: string): Promise<void>;
}

/**
 * COPY text: a string, or its UTF-8 bytes (what the batch writer builds: off the JS heap). Bytes are handed over: a
 * driver may move their whole ArrayBuffer to another thread (pglite-thread.ts), so the caller passes a buffer of its
 * own and does not touch it afterwards.
 */
export type CopyData = string | Uint8Array<ArrayBuffer>;

/**
 * One statement of a batch's writes: SQL with its parameters, or a COPY (Queryable.copyIn). `entity` names the
 * entity type whose versions an insert writes (for the error when it breaks the one-open-version rule).
 */
export type WriteStatement = (
  { sql: string; params: SqlParam[]; copy?: undefined } | { copy: { table: string; columns: string[]; data: CopyData } }
) & { entity?: string };

/** Runs `statements` in order on `tx`; a unique violation of an insert becomes the StoreError that explains it. */
export async function runWrites(tx: Queryable, statements: readonly WriteStatement[]): Promise<void> {
  for (const statement of statements) {
    try {
      if (statement.copy) {
        if (!tx.copyIn) throw new StoreError("this driver has no COPY");
        await tx.copyIn(statement.copy.table, statement.copy.columns, statement.copy.data);
      } else await tx.query(statement.sql, statement.params);
    } catch (error) {
      throw explainWriteError(error, statement);
    }
  }
}

/** A unique violation (23505) of an insert is a second open version: an immutable entity written again. */
function explainWriteError(error: unknown, statement: WriteStatement): unknown {
  if ((error as { code?: string }).code === "23505" && statement.entity !== undefined) {
    return new StoreError(
      `${statement.entity}: a version with the same id is already open (immutable entities cannot change)`,
      { cause: error },
    );
  }
  return error;
}

/** `statements` in one transaction: in one request where the driver can (writeTransaction), else statement by statement. */
export async function writeAll(driver: SqlDriver, statements: readonly WriteStatement[]): Promise<void> {
  if (driver.writeTransaction) await driver.writeTransaction(statements);
  else await driver.transaction((tx) => runWrites(tx, statements));
}

export interface SqlDriver extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Optional: `statements` (runWrites) in one transaction, in one request (PGlite's thread: a commit then runs to its
   * end without waiting for the calling thread between statements). Without it, transaction() and runWrites.
   */
  writeTransaction?(statements: readonly WriteStatement[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * random_page_cost for the store's connections: its working set (current versions and their indexes) is expected in
 * memory, where PostgreSQL's default (4, for spinning disks) makes the planner prefer filtering many rows of an
 * index correlated with the heap over walking the partial index that answers a list exactly (ddl.ts readIndexDdl).
 */
export const RANDOM_PAGE_COST = 1.1;
