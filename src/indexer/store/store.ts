// The Store over SQL (PGlite or PostgreSQL): versioned entity tables, the checkpoint and recent block hashes.

import { createHash } from "node:crypto";
import { DEFAULTS } from "../../defaults";
import type { EntityModel } from "../schema/model";
import { EntityCache } from "./cache";
import { decodeField, decodeRow, ident } from "./codec";
import { qualified, TABLES } from "./ddl";
import {
  runWrites,
  writeAll,
  type Queryable,
  type Row,
  type SqlDriver,
  type SqlParam,
  type WriteStatement,
} from "./driver";
import { StoreError } from "./errors";
import {
  compileFind,
  compileFindByParents,
  compileGet,
  DEFAULT_QUERY_LIMITS,
  existsKey,
  type ChildQuery,
  type CompiledQuery,
  lookupEntity,
  selectColumns,
  type ProjectedQuery,
  type QueryLimits,
} from "./filter";
import { migrate, migrations, type MigrationResult } from "./migrations";
import {
  CHILD_LISTS,
  type BatchWriter,
  type Checkpoint,
  type EntityRecord,
  type RecordWithChildren,
  type Store,
} from "./types";
import { SqlBatchWriter, type EntityChange } from "./writer";

export interface SqlStoreOptions {
  /** The SQL schema (namespace) the tables live in. Default "accord". */
  schema?: string;
  /** Entities whose committed state is kept in memory across batches. Default 2,000. */
  cacheSize?: number;
  /** Block hashes kept below the checkpoint for reorg detection. Default 256. */
  blockHashRetention?: number;
  queryLimits?: Partial<QueryLimits>;
}

/** A read at the latest checkpoint, with that checkpoint (null before the first batch: then nothing is read). */
export interface LatestRead<T> {
  checkpoint: Checkpoint | null;
  value: T;
}

/** One version of an entity as stored, for dumps and digests. */
export interface StoredVersion {
  record: EntityRecord;
  blockFrom: number;
  blockTo: number | null;
}

export class SqlStore implements Store {
  readonly schema: string;
  private readonly cache: EntityCache;
  private readonly retention: number;
  private readonly limits: QueryLimits;
  /** The checkpoint as this store last wrote it; used only once this store has written (it is then the writer). */
  private current: Checkpoint | null | undefined;
  private writer = false;
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    readonly driver: SqlDriver,
    readonly model: EntityModel,
    options: SqlStoreOptions = {},
  ) {
    this.schema = options.schema ?? DEFAULTS.dbSchema;
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.schema)) throw new StoreError(`invalid SQL schema name ${this.schema}`);
    this.cache = new EntityCache(options.cacheSize ?? 2_000);
    this.retention = options.blockHashRetention ?? 256;
    this.limits = { ...DEFAULT_QUERY_LIMITS, ...options.queryLimits };
  }

  private t(table: string): string {
    return qualified(this.schema, table);
  }

  /** Writes are serialised: one batch or rollback at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => {});
    return run;
  }

  async migrate(): Promise<void> {
    await this.migrateWithResult();
  }

  async migrateWithResult(): Promise<MigrationResult> {
    const result = await migrate(this.driver, this.schema, migrations(this.schema, this.model));
    this.cache.clear();
    this.current = undefined;
    return result;
  }

  /*//////////////////////////////////////////////////////////////
                                READS
  //////////////////////////////////////////////////////////////*/

  /** One entity as of `block` (latest without); with `select`, only those fields (and id). */
  /**
   * The block to compile a read at: none (the current versions) for the checkpoint's block when nothing can have
   * written since, which spares the closed versions' half of the statement. That holds for a PGlite store that never
   * wrote (`accord serve`): its directory has no other process (the lock) and no other store in this one.
   */
  private readAt(block: number | undefined): number | undefined {
    if (block === undefined || this.writer || this.driver.kind !== "pglite") return block;
    return this.current && block === this.current.blockNumber ? undefined : block;
  }

  /**
   * One entity as of `block` (latest when omitted): only the `select`ed fields, with the existence of the `exists`
   * references, and the lists of `children` read in the same statement (under CHILD_LISTS).
   */
  async get(
    entity: string,
    id: string,
    block?: number,
    select?: readonly string[],
    exists?: readonly string[],
    children?: readonly ChildQuery[],
  ): Promise<RecordWithChildren | null> {
    const at = this.readAt(block);
    const q = compileGet(this.model, this.schema, entity, id, at, select, exists, children, this.limits);
    const rows = await this.driver.query(q.sql, q.params);
    return rows[0] ? decode(q, rows[0]) : null;
  }

  async find(query: ProjectedQuery): Promise<EntityRecord[]> {
    const q = compileFind(this.model, this.schema, { ...query, block: this.readAt(query.block) }, this.limits);
    const rows = await this.driver.query(q.sql, q.params);
    return rows.map((row) => decode(q, row));
  }

  /**
   * get() at the latest checkpoint, and that checkpoint, from one statement where it is not known here (a reader
   * of another process's PostgreSQL store): see readLatest().
   */
  async getLatest(
    entity: string,
    id: string,
    select?: readonly string[],
    exists?: readonly string[],
    children?: readonly ChildQuery[],
  ): Promise<LatestRead<RecordWithChildren | null>> {
    const known = this.knownCheckpoint();
    if (known !== undefined) {
      const record = known && (await this.get(entity, id, known.blockNumber, select, exists, children));
      return { checkpoint: known, value: record };
    }
    const { checkpoint, values } = await this.readLatest(
      compileGet(this.model, this.schema, entity, id, undefined, select, exists, children, this.limits),
    );
    return { checkpoint, value: values[0] ?? null };
  }

  /** find() at the latest checkpoint, and that checkpoint (see getLatest()); `query.block` is ignored. */
  async findLatest(query: ProjectedQuery): Promise<LatestRead<EntityRecord[]>> {
    const known = this.knownCheckpoint();
    if (known !== undefined) {
      return { checkpoint: known, value: known ? await this.find({ ...query, block: known.blockNumber }) : [] };
    }
    const latest = { ...query, block: undefined };
    const { checkpoint, values } = await this.readLatest(compileFind(this.model, this.schema, latest, this.limits));
    return { checkpoint, value: values };
  }

  /** The checkpoint when this store knows it without a query (see checkpoint()); undefined otherwise. */
  private knownCheckpoint(): Checkpoint | null | undefined {
    return (this.writer || this.driver.kind === "pglite") && this.current !== undefined ? this.current : undefined;
  }

  /**
   * Runs a read of the current versions (compiled without a block) with the checkpoint in the same statement:
   * the writer commits a batch's versions and its checkpoint in one transaction, so in one statement's snapshot the
   * current versions are exactly the state at the checkpoint it reads. The statement keeps the plan of a latest read
   * (the checkpoint is an uncorrelated subquery, evaluated once); only a read that finds no rows asks for the
   * checkpoint again (its own snapshot: possibly newer, never torn, since nothing was read at the older one).
   */
  private async readLatest(q: CompiledQuery): Promise<{ checkpoint: Checkpoint | null; values: EntityRecord[] }> {
    if (!q.sql.startsWith("SELECT ")) throw new StoreError("a latest read must be one SELECT");
    const cp = (column: string, as: string): string =>
      `(SELECT ${column} FROM ${this.t(TABLES.checkpoint)} WHERE id = 1) AS ${as}`;
    const sql =
      `SELECT ${cp("block_number", "_cp_number")}, ${cp("block_hash", "_cp_hash")}, ` +
      `${cp("timestamp", "_cp_timestamp")}, ${q.sql.slice("SELECT ".length)}`;
    const rows = await this.driver.query(sql, q.params);
    if (rows.length === 0) return { checkpoint: await this.readCheckpoint(), values: [] };
    const row = rows[0];
    const checkpoint =
      row._cp_number === null || row._cp_number === undefined
        ? null
        : {
            blockNumber: Number(row._cp_number),
            blockHash: String(row._cp_hash),
            timestamp: Number(row._cp_timestamp),
          };
    // Versions without a checkpoint cannot be committed (they commit with it); none are returned as of no block.
    return { checkpoint, values: checkpoint ? rows.map((r) => decode(q, r)) : [] };
  }

  /**
   * find(query) for each of `parents`, restricted to the entities whose `link` reference is that parent, in one
   * statement (the API's nested lists: every deal's payments). One list per parent, in the order of `parents`.
   */
  async findByParents(query: ProjectedQuery, link: string, parents: readonly string[]): Promise<EntityRecord[][]> {
    const out = parents.map((): EntityRecord[] => []);
    if (parents.length === 0) return out;
    const at = { ...query, block: this.readAt(query.block) };
    const q = compileFindByParents(this.model, this.schema, at, link, parents, this.limits);
    const rows = await this.driver.query(q.sql, q.params);
    for (const row of rows) out[Number(row._parent) - 1].push(decode(q, row));
    return out;
  }

  /**
   * Gathers planner statistics for the entity tables that never had any (a store filled by COPY without
   * autovacuum, as PGlite is: without them the planner guesses one row per filter and picks poor plans).
   * Cheap when every table has statistics already.
   */
  /** Fresh planner statistics for every entity table (after a bulk load; PGlite never gathers them itself). */
  async analyze(): Promise<void> {
    for (const entity of this.model.entities) await this.driver.query(`ANALYZE ${this.t(entity.table)}`);
  }

  async analyzeIfNeeded(): Promise<string[]> {
    const rows = await this.driver.query<{ relname: string }>(
      `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace` +
        ` WHERE n.nspname = $1::text AND c.relkind = 'r'` +
        ` AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname)`,
      [this.schema],
    );
    const tables = new Set(this.model.entities.map((e) => e.table));
    const stale = rows.map((r) => r.relname).filter((t) => tables.has(t));
    for (const table of stale) await this.driver.query(`ANALYZE ${this.t(table)}`);
    return stale;
  }

  async checkpoint(): Promise<Checkpoint | null> {
    // A reader (e.g. a GraphQL server on another process's PostgreSQL store) must see the writer's progress. A PGlite
    // directory has one process and one store at a time (its lock): whoever writes it does so through this store.
    const known = this.knownCheckpoint();
    return known !== undefined ? known : this.readCheckpoint();
  }

  private async readCheckpoint(): Promise<Checkpoint | null> {
    const rows = await this.driver.query<{ block_number: unknown; block_hash: string; timestamp: unknown }>(
      `SELECT block_number, block_hash, timestamp FROM ${this.t(TABLES.checkpoint)} WHERE id = 1`,
    );
    const row = rows[0];
    this.current = row
      ? { blockNumber: Number(row.block_number), blockHash: row.block_hash, timestamp: Number(row.timestamp) }
      : null;
    return this.current;
  }

  async blockHashes(fromBlock: number): Promise<Map<number, string>> {
    const rows = await this.driver.query<{ number: unknown; hash: string }>(
      `SELECT number, hash FROM ${this.t(TABLES.blockHashes)} WHERE number >= $1::text::int8 ORDER BY number`,
      [String(fromBlock)],
    );
    return new Map(rows.map((r) => [Number(r.number), r.hash]));
  }

  /*//////////////////////////////////////////////////////////////
                                WRITES
  //////////////////////////////////////////////////////////////*/

  async batch(checkpoint: Checkpoint, fn: (w: BatchWriter) => Promise<void>): Promise<void> {
    await this.batchWithChanges(checkpoint, fn);
  }

  /**
   * batch(), returning what changed: one entry per entity version written. `fn` gets the store's writer, which
   * also has prefetch() and recordBlocks().
   */
  async batchWithChanges(checkpoint: Checkpoint, fn: (w: SqlBatchWriter) => Promise<void>): Promise<EntityChange[]> {
    // After the staged batches (stageBatch), whose commits take the same lock.
    await this.settled();
    return this.exclusive(async () => {
      this.writer = true;
      const after = this.batchStart(checkpoint, await this.checkpoint());
      let writer: SqlBatchWriter | undefined;
      try {
        const changes = await this.driver.transaction(async (tx) => {
          writer = new SqlBatchWriter(this.model, this.schema, tx, this.cache, after, checkpoint.blockNumber);
          await fn(writer);
          return this.writeBatch(tx, writer, checkpoint);
        });
        writer!.commitToCache();
        this.current = { ...checkpoint };
        return changes;
      } catch (error) {
        // The cache holds only committed state, but be safe: a failed batch leaves nothing behind in memory.
        this.cache.clear();
        this.current = undefined;
        throw error;
      }
    });
  }

  /** The last batch staged (stageBatch) that may still be committing: its checkpoint, and its commit. */
  private staged: { checkpoint: Checkpoint; committed: Promise<EntityChange[]> } | undefined;

  /**
   * A batch that commits in the background, so that the next one can be prepared meanwhile (the indexer's
   * pipeline: the mappings of one range run while the range before it commits). `fn` writes, and reads, against
   * the state after every batch before it, the one still committing included: the cache holds its final states
   * from the moment it is staged (SqlBatchWriter.seal), and a read that reaches the database waits until it is
   * committed. Once `fn` is done, the batch waits for the commit before it, loads what its writes depend on, and
   * hands its statements to the driver in one request (SqlDriver.writeTransaction); then it resolves, with
   * `committed`, which resolves with the batch's changes once the batch is committed.
   *
   * If a commit fails, the batches staged after it fail too and the store's cache is cleared: nothing of them is
   * committed, and the checkpoint is the last committed batch's. checkpoint() answers the committed checkpoint
   * throughout; readers never see a staged batch before it commits.
   */
  async stageBatch(
    checkpoint: Checkpoint,
    fn: (w: SqlBatchWriter) => Promise<void>,
  ): Promise<{ committed: Promise<EntityChange[]> }> {
    this.writer = true;
    const tail = this.staged;
    const after = this.batchStart(checkpoint, tail ? tail.checkpoint : await this.checkpoint());
    const before: Promise<unknown> = tail ? tail.committed.catch(() => undefined) : Promise.resolve();
    const reader: Queryable = {
      query: async <T extends Row = Row>(sql: string, params?: SqlParam[]): Promise<T[]> => {
        await before;
        return this.driver.query<T>(sql, params);
      },
    };
    const writer = new SqlBatchWriter(this.model, this.schema, reader, this.cache, after, checkpoint.blockNumber);
    // Until seal(), a failure leaves nothing behind: nothing reached the cache.
    await fn(writer);
    // The batch before must have committed: a failure there fails this one.
    if (tail) await tail.committed;
    this.recordCheckpointBlock(writer, checkpoint);
    await writer.prepare();
    const { statements, changes } = writer.statements(this.driver.kind === "pglite");
    statements.push(...this.checkpointStatements(checkpoint));
    writer.seal();
    const committed = this.exclusive(async () => {
      await writeAll(this.driver, statements);
      this.current = { ...checkpoint };
      return changes;
    });
    const entry = { checkpoint, committed };
    this.staged = entry;
    committed.then(
      () => {
        if (this.staged === entry) this.staged = undefined;
      },
      () => {
        this.cache.clear();
        this.current = undefined;
        if (this.staged === entry) this.staged = undefined;
      },
    );
    return { committed };
  }

  /** Waits for the staged batches' commits (stageBatch), ignoring their failures (their callers get those). */
  async settled(): Promise<void> {
    while (this.staged) await this.staged.committed.catch(() => undefined);
  }

  /** Checks a batch's checkpoint against the one before it; the block its writes must come after. */
  private batchStart(checkpoint: Checkpoint, previous: Checkpoint | null): number {
    if (previous && checkpoint.blockNumber < previous.blockNumber) {
      throw new StoreError(
        `batch checkpoint ${checkpoint.blockNumber} is before the current checkpoint ${previous.blockNumber}; use rollbackTo()`,
      );
    }
    return previous ? previous.blockNumber : -1;
  }

  /** A batch's writes, its block hashes and its checkpoint, in its transaction. */
  private async writeBatch(tx: Queryable, writer: SqlBatchWriter, checkpoint: Checkpoint): Promise<EntityChange[]> {
    this.recordCheckpointBlock(writer, checkpoint);
    const changes = await writer.flush(tx);
    await runWrites(tx, this.checkpointStatements(checkpoint));
    return changes;
  }

  /** The checkpoint's block hash is kept (reorg detection) even when the batch recorded no blocks. */
  private recordCheckpointBlock(writer: SqlBatchWriter, checkpoint: Checkpoint): void {
    if (!writer.blocks.some((b) => b.number === checkpoint.blockNumber)) {
      writer.recordBlocks([{ number: checkpoint.blockNumber, hash: checkpoint.blockHash, parent: null }]);
    }
  }

  /** The checkpoint's row, and the block hashes past retention dropped. */
  private checkpointStatements(checkpoint: Checkpoint): WriteStatement[] {
    return [
      {
        sql:
          `INSERT INTO ${this.t(TABLES.checkpoint)} (id, block_number, block_hash, timestamp, updated_at)` +
          ` VALUES (1, $1::text::int8, $2::text, $3::text::int8, now())` +
          ` ON CONFLICT (id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,` +
          ` timestamp = EXCLUDED.timestamp, updated_at = EXCLUDED.updated_at`,
        params: [String(checkpoint.blockNumber), checkpoint.blockHash, String(checkpoint.timestamp)],
      },
      {
        sql: `DELETE FROM ${this.t(TABLES.blockHashes)} WHERE number < $1::text::int8`,
        params: [String(checkpoint.blockNumber - this.retention)],
      },
    ];
  }

  async rollbackTo(checkpoint: Checkpoint): Promise<void> {
    await this.rollbackWithChanges(checkpoint);
  }

  /** rollbackTo(), returning the entities whose state changed (at the checkpoint's block). */
  async rollbackWithChanges(checkpoint: Checkpoint): Promise<EntityChange[]> {
    await this.settled();
    return this.exclusive(async () => {
      this.writer = true;
      const b = String(checkpoint.blockNumber);
      try {
        const changes = await this.driver.transaction(async (tx) => {
          const seen = new Set<string>();
          const changes: EntityChange[] = [];
          for (const entity of this.model.entities) {
            const table = this.t(entity.table);
            const deleted = await tx.query<{ id: unknown }>(
              `DELETE FROM ${table} WHERE block_from > $1::text::int8 RETURNING id`,
              [b],
            );
            const reopened = await tx.query<{ id: unknown }>(
              `UPDATE ${table} SET block_to = NULL WHERE block_to > $1::text::int8 RETURNING id`,
              [b],
            );
            for (const row of [...deleted, ...reopened]) {
              const id = String(decodeField(entity.field("id")!, row.id));
              const key = `${entity.name}\u0000${id}`;
              if (seen.has(key)) continue;
              seen.add(key);
              changes.push({ entity: entity.name, id, block: checkpoint.blockNumber });
            }
          }
          await tx.query(`DELETE FROM ${this.t(TABLES.blockHashes)} WHERE number > $1::text::int8`, [b]);
          await tx.query(
            `INSERT INTO ${this.t(TABLES.blockHashes)} (number, hash, parent) VALUES ($1::text::int8, $2::text, NULL)` +
              ` ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash`,
            [b, checkpoint.blockHash],
          );
          await tx.query(
            `INSERT INTO ${this.t(TABLES.checkpoint)} (id, block_number, block_hash, timestamp, updated_at)` +
              ` VALUES (1, $1::text::int8, $2::text, $3::text::int8, now())` +
              ` ON CONFLICT (id) DO UPDATE SET block_number = EXCLUDED.block_number, block_hash = EXCLUDED.block_hash,` +
              ` timestamp = EXCLUDED.timestamp, updated_at = EXCLUDED.updated_at`,
            [b, checkpoint.blockHash, String(checkpoint.timestamp)],
          );
          return changes;
        });
        this.current = { ...checkpoint };
        return changes;
      } finally {
        this.cache.clear();
      }
    });
  }

  /** Deletes every entity, the checkpoint and the block hashes (the indexer then starts over). Keeps meta. */
  reset(): Promise<void> {
    return this.exclusive(async () => {
      this.writer = true;
      try {
        await this.driver.transaction(async (tx) => {
          for (const entity of this.model.entities) await tx.query(`DELETE FROM ${this.t(entity.table)}`);
          await tx.query(`DELETE FROM ${this.t(TABLES.checkpoint)}`);
          await tx.query(`DELETE FROM ${this.t(TABLES.blockHashes)}`);
        });
      } finally {
        this.cache.clear();
        this.current = undefined;
      }
    });
  }

  async getMeta(key: string): Promise<string | null> {
    const rows = await this.driver.query<{ value: string }>(
      `SELECT value FROM ${this.t(TABLES.meta)} WHERE key = $1::text`,
      [key],
    );
    return rows[0]?.value ?? null;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.driver.query(
      `INSERT INTO ${this.t(TABLES.meta)} (key, value) VALUES ($1::text, $2::text) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [key, value],
    );
  }

  /** Every stored version of one entity type, ordered by id and block (tests, debugging, digests). */
  async versions(entity: string): Promise<StoredVersion[]> {
    const meta = lookupEntity(this.model, entity);
    const rows = await this.driver.query(
      `SELECT ${selectColumns(meta, "t0")}, t0.block_from, t0.block_to FROM ${this.t(meta.table)} AS t0 ORDER BY t0.id, t0.block_from`,
    );
    return rows.map((row) => ({
      record: decodeRow(meta, row),
      blockFrom: Number(row.block_from),
      blockTo: row.block_to === null || row.block_to === undefined ? null : Number(row.block_to),
    }));
  }

  /**
   * sha256 over every entity table: all versions with their block ranges (`atHead: false`, the default), or only
   * the versions visible at the head (`atHead: true`).
   */
  async digest(options: { atHead?: boolean } = {}): Promise<string> {
    const hash = createHash("sha256");
    for (const entity of this.model.entities) {
      hash.update(`#${entity.name}\n`);
      for (const v of await this.versions(entity.name)) {
        if (options.atHead && v.blockTo !== null) continue;
        hash.update(stableJson(v.record));
        hash.update(options.atHead ? "\n" : ` [${v.blockFrom},${v.blockTo ?? ""})\n`);
      }
    }
    return hash.digest("hex");
  }

  /** Row counts per entity table (all versions). */
  async counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const entity of this.model.entities) {
      const rows = await this.driver.query<{ n: unknown }>(`SELECT count(*) AS n FROM ${this.t(entity.table)}`);
      out[entity.name] = Number(rows[0].n);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.driver.close();
  }

  /** Drops the store's SQL schema with everything in it (PostgreSQL test databases). */
  async dropSchema(): Promise<void> {
    await this.driver.query(`DROP SCHEMA IF EXISTS ${ident(this.schema)} CASCADE`);
    this.cache.clear();
    this.current = undefined;
  }
}

/** A row of a compiled read as a record: its columns, and the existence of the references it checked. */
function decode(q: CompiledQuery, row: Record<string, unknown>): RecordWithChildren {
  const record: RecordWithChildren = decodeRow(q.entity, row, q.columns);
  for (const f of q.exists) record[existsKey(f.name)] = row[`_exists_${f.column!}`] === true;
  if (q.children) record[CHILD_LISTS] = q.children.map((child, n) => decodeChildList(child, row[`_child_${n}`]));
  return record;
}

/** A child list as compileGet writes it: a JSON array of rows, each an array of text values (columns, then exists). */
function decodeChildList(q: CompiledQuery, value: unknown): EntityRecord[] {
  const rows = (typeof value === "string" ? JSON.parse(value) : value) as (string | null | (string | null)[])[][];
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    q.columns.forEach((f, i) => (row[f.column!] = values[i]));
    q.exists.forEach((f, i) => (row[`_exists_${f.column!}`] = values[q.columns.length + i] === "true"));
    return decode(q, row);
  });
}

export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v.toString()}n`;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }
    return v;
  });
}
