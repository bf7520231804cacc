// The contract between the indexer's pipeline (sync, handlers) and its readers (the GraphQL server).
// Entities are versioned by block range, as graph-node does: a write at block B closes the current version
// (block_to = B) and opens a new one [B, ∞). That gives both rollback (reorgs) and time-travel queries.

/** A scalar as stored and returned: BigInt as bigint, Bytes as 0x-lowercase hex, ID/String as string. */
export type EntityValue = string | number | boolean | bigint | null | EntityValue[];
export type EntityRecord = Record<string, EntityValue>;

/**
 * Where a record read with child lists (SqlStore.get's `children`) holds them: one list per child query, in order.
 * A symbol, so a record's fields never collide with it.
 */
export const CHILD_LISTS = Symbol.for("accord.store.childLists");
export type RecordWithChildren = EntityRecord & { [CHILD_LISTS]?: EntityRecord[][] };

/** The Graph's filter dialect, already parsed: `{ state_in: [...], deal_: { jobCreator: "0x.." }, or: [...] }`. */
export type WhereFilter = Record<string, unknown>;

export interface EntityQuery {
  entity: string;
  where?: WhereFilter;
  orderBy?: string;
  orderDirection?: "asc" | "desc";
  first?: number;
  skip?: number;
  /** Time travel: the state as of this block (inclusive). Omitted = latest. */
  block?: number;
}

export interface Checkpoint {
  blockNumber: number;
  blockHash: string;
  timestamp: number;
}

/** Reads; what the GraphQL server uses. */
export interface StoreReader {
  get(entity: string, id: string, block?: number): Promise<EntityRecord | null>;
  find(query: EntityQuery): Promise<EntityRecord[]>;
  /** The last fully indexed block, or null before the first batch. */
  checkpoint(): Promise<Checkpoint | null>;
}

/** Writes inside one batch; everything in it commits atomically with its checkpoint. */
export interface BatchWriter {
  get(entity: string, id: string): Promise<EntityRecord | null>;
  /** Insert or replace the whole entity as of `block`. */
  set(entity: string, record: EntityRecord, block: number): Promise<void>;
  remove(entity: string, id: string, block: number): Promise<void>;
}

export interface Store extends StoreReader {
  migrate(): Promise<void>;
  /** Runs `fn` in one database transaction and writes `checkpoint` in the same transaction. */
  batch(checkpoint: Checkpoint, fn: (w: BatchWriter) => Promise<void>): Promise<void>;
  /** Reorg: drops every version opened after `block`, reopens those closed after it, resets the checkpoint. */
  rollbackTo(checkpoint: Checkpoint): Promise<void>;
  /** Recent block hashes kept for reorg detection (number → hash), written with each batch. */
  blockHashes(fromBlock: number): Promise<Map<number, string>>;
  close(): Promise<void>;
}
