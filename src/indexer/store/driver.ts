// The tiny driver interface the store runs on: one SQL dialect (PostgreSQL's), two engines (PGlite embedded,
// PostgreSQL through `pg`). Every parameter is text, an array of text, or null; SQL casts them.

export type SqlParam = string | null | (string | null)[];
export type Row = Record<string, unknown>;

export interface Queryable {
  query<T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]>;
  /**
   * Optional bulk load: `COPY <table> (<columns>) FROM STDIN` with `data` in COPY's text format (PGlite: through
   * its /dev/blob device, ~2× faster than INSERT … SELECT FROM unnest). Drivers without it get unnest inserts.
   */
  copyIn?(table: string, columns: string[], data: string): Promise<void>;
  /** Optional: several statements without parameters in one round trip (DDL). */
  exec?(script: string): Promise<void>;
}

export interface SqlDriver extends Queryable {
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction on one connection; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * random_page_cost for the store's connections: its working set (current versions and their indexes) is expected in
 * memory, where PostgreSQL's default (4, for spinning disks) makes the planner prefer filtering many rows of an
 * index correlated with the heap over walking the partial index that answers a list exactly (ddl.ts readIndexDdl).
 */
export const RANDOM_PAGE_COST = 1.1;
