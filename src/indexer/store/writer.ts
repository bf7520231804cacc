// The writes of one batch, collected in memory and flushed with a handful of set-based statements per table:
// close the current versions (one UPDATE), drop versions replaced in place (one DELETE), insert every new version
// (multi-row INSERT … SELECT FROM unnest(text arrays)). Reads hit, in order: this batch's state, the committed
// entity cache, the database (one query per entity type with prefetch(), one per id otherwise).

import type { EntityMeta, EntityModel } from "../schema/model";
import { EntityCache, type CachedEntity } from "./cache";
import { IdFilter } from "./id-filter";
import { castFromText, decodeRow, entityCodec, fieldToText, ident, idText, normalizeId } from "./codec";
import { qualified } from "./ddl";
import { runWrites, type Queryable, type WriteStatement } from "./driver";
import { EntityValidationError, StoreError, UnknownEntityError } from "./errors";
import { selectColumns } from "./filter";
import type { BatchWriter, EntityRecord } from "./types";

/** One entity version that a batch wrote: the change feed's unit. */
export interface EntityChange {
  entity: string;
  id: string;
  block: number;
}

export interface BlockHashRow {
  number: number;
  hash: string;
  parent: string | null;
}

interface Version {
  block: number;
  record: EntityRecord | null;
}

interface Slot {
  entity: EntityMeta;
  id: string;
  key: string;
  /** block_from of the open version in the database; null: none; undefined: not known yet. */
  baseFrom: number | null | undefined;
  /** The latest state (this batch's or the committed one); undefined: not loaded. */
  current: EntityRecord | null | undefined;
  versions: Version[];
  /**
   * The versions were saved without knowing the stored entity (setBlind): each holds only the fields saves set
   * (null = unset); the stored entity, once loaded, is merged under them. `current` is then that partial state.
   */
  blind?: boolean;
}

/** What a save merges into (mergeBase). */
export type MergeBase = { known: true; record: EntityRecord | null } | { known: false; partial: EntityRecord | null };

/** An entity version to insert. */
interface VersionRow {
  record: EntityRecord;
  from: number;
  to: number | null;
}

/** Rows per INSERT statement. */
const INSERT_CHUNK = 2000;
/** Rows per COPY. */
const COPY_CHUNK = 5000;
/** Ids per lookup / update statement. */
const ID_CHUNK = 5000;

/**
 * Text built line by line as UTF-8 bytes. A batch's COPY text as one string was megabytes in V8's large-object space
 * each batch, which only a full GC frees (and which postMessage then copied); these bytes are off the JS heap, and
 * the PGlite thread takes them without a copy (pglite-thread.ts).
 */
class Utf8Lines {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private length = 0;

  push(line: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    const needed = this.length + line.length * 3 + 1;
    if (needed > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    this.length += this.buffer.write(line, this.length, "utf8");
    this.buffer[this.length++] = 0x0a;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.subarray(0, this.length);
  }
}

function copy(record: EntityRecord): EntityRecord {
  return { ...record };
}

export class SqlBatchWriter implements BatchWriter {
  /**
   * By entity type, then id: a lookup per save was a measurable share of the host's time with one composite key
   * (concatenated, then flattened and hashed, on every call).
   */
  private readonly slots = new Map<EntityMeta, Map<string, Slot>>();
  readonly blocks: BlockHashRow[] = [];
  private flushed = false;

  /** Where reads go: the reader until flush, then the commit's transaction. */
  private tx: Queryable;

  constructor(
    private readonly model: EntityModel,
    private readonly schema: string,
    /** What the batch reads through before it is flushed (the transaction itself, or the store's driver). */
    reader: Queryable,
    private readonly cache: EntityCache,
    /** Writes must be after this block (the previous checkpoint). */
    private readonly after: number,
    /** …and at most this one (the batch's checkpoint). */
    private readonly upTo: number,
  ) {
    this.tx = reader;
  }

  private meta(entity: string): EntityMeta {
    const meta = this.model.entity(entity);
    if (!meta) throw new UnknownEntityError(entity);
    return meta;
  }

  private slotsOf(entity: EntityMeta): Map<string, Slot> {
    let slots = this.slots.get(entity);
    if (!slots) this.slots.set(entity, (slots = new Map<string, Slot>()));
    return slots;
  }

  private *allSlots(): Iterable<Slot> {
    for (const slots of this.slots.values()) yield* slots.values();
  }

  private slot(entity: EntityMeta, id: string): Slot {
    const slots = this.slotsOf(entity);
    let slot = slots.get(id);
    if (!slot) {
      const key = EntityCache.key(entity.name, id);
      const cached = this.cache.get(key);
      slot = {
        entity,
        id,
        key,
        baseFrom: cached ? cached.blockFrom : entity.immutable ? null : undefined,
        current: cached ? cached.record : undefined,
        versions: [],
      };
      slots.set(id, slot);
    }
    return slot;
  }

  private table(entity: EntityMeta): string {
    return qualified(this.schema, entity.table);
  }

  private idArray(entity: EntityMeta, param: string): string {
    return `SELECT ${castFromText("x", entity.field("id")!.storage, false)} FROM unnest(${param}::text[]) AS x`;
  }

  /** Whether the table's id filter (when there is one) says the entity was never stored: then it is known absent. */
  private knownAbsent(slot: Slot): boolean {
    if (slot.current !== undefined && !slot.blind) return false;
    // An open version is known to exist (null: none, or assumed none for an immutable entity not yet read).
    if (slot.baseFrom !== undefined && slot.baseFrom !== null) return false;
    const filter = this.cache.filters.get(slot.entity.name);
    if (!filter || filter.mightContain(slot.id)) return false;
    slot.baseFrom = null;
    if (slot.blind) this.resolveBlind(slot, null);
    else slot.current = null;
    return true;
  }

  /** Builds the entity table's id filter (all ids of its current rows) when it has none, or an outgrown one. */
  private async ensureFilter(entity: EntityMeta): Promise<void> {
    const existing = this.cache.filters.get(entity.name);
    if (existing && !existing.full) return;
    const storage = entity.field("id")!.storage;
    const idExpr = storage === "bytea" ? `'0x' || encode(t0.id, 'hex')` : `t0.id::text`;
    const rows = await this.tx.query<{ id: string }>(
      `SELECT ${idExpr} AS id FROM ${this.table(entity)} AS t0 WHERE t0.block_to IS NULL`,
    );
    // Room to grow (10 bits an id: 16,384 ids is 20 KiB): each rebuild is a query over the whole table.
    const filter = new IdFilter(Math.max(16_384, rows.length * 4));
    for (const row of rows) filter.add(normalizeId(entity, row.id));
    this.cache.filters.set(entity.name, filter);
  }

  /** Loads the open versions of `ids` that are not known yet (one query per ID_CHUNK ids). */
  private async load(entity: EntityMeta, slots: Slot[]): Promise<void> {
    const todo = slots.filter((s) => (s.current === undefined || s.baseFrom === undefined) && !this.knownAbsent(s));
    for (let i = 0; i < todo.length; i += ID_CHUNK) {
      const chunk = todo.slice(i, i + ID_CHUNK);
      const byId = new Map(chunk.map((s) => [s.id, s]));
      const rows = await this.tx.query(
        `SELECT t0.block_from, ${selectColumns(entity, "t0")} FROM ${this.table(entity)} AS t0` +
          ` WHERE t0.id IN (${this.idArray(entity, "$1")}) AND t0.block_to IS NULL`,
        [chunk.map((s) => idText(entity, s.id))],
      );
      for (const row of rows) {
        const record = decodeRow(entity, row);
        const slot = byId.get(normalizeId(entity, record.id));
        if (!slot) continue;
        slot.baseFrom = Number(row.block_from);
        if (slot.blind) this.resolveBlind(slot, record);
        else if (slot.current === undefined) slot.current = record;
        byId.delete(slot.id);
      }
      for (const slot of byId.values()) {
        slot.baseFrom = null;
        if (slot.blind) this.resolveBlind(slot, null);
        else if (slot.current === undefined) slot.current = null;
      }
    }
  }

  /** Merges the stored entity (or none) under the versions saved blind. */
  private resolveBlind(slot: Slot, stored: EntityRecord | null): void {
    slot.blind = false;
    if (stored && slot.entity.immutable) {
      throw new StoreError(`${slot.entity.name} ${slot.id} is immutable and already exists`);
    }
    if (stored) {
      for (const version of slot.versions) {
        if (version.record !== null) version.record = { ...stored, ...version.record };
      }
    }
    slot.current = slot.versions[slot.versions.length - 1].record;
  }

  /** Loads many entities at once so that the get()s that follow are answered from memory. */
  async prefetch(entity: string, ids: Iterable<string>): Promise<void> {
    const meta = this.meta(entity);
    // A read missed on this type: from now on its never-stored ids are answered without a query.
    await this.ensureFilter(meta);
    const slots: Slot[] = [];
    for (const id of ids) slots.push(this.slot(meta, normalizeId(meta, id)));
    await this.load(meta, slots);
  }

  /**
   * The entity as far as memory knows it, without a query: the record, null (known not to exist), or undefined
   * (not loaded: load it with prefetch()). The WASM host's store.get is synchronous and uses this.
   */
  peek(entity: string, id: string): EntityRecord | null | undefined {
    const meta = this.meta(entity);
    const slot = this.slot(meta, normalizeId(meta, id));
    this.knownAbsent(slot);
    return slot.blind ? undefined : slot.current;
  }

  /**
   * What a save of the entity merges into, without a query: the known state (a record, or null: none), or, when
   * the stored entity is not loaded, what this batch's blind saves set so far (see setBlind). An immutable entity
   * the batch has not seen is taken as new, as the writer always does (its flush checks).
   */
  mergeBase(entity: string, id: string): MergeBase {
    const meta = this.meta(entity);
    const slot = this.slot(meta, normalizeId(meta, id));
    this.knownAbsent(slot);
    if (slot.blind) return { known: false, partial: slot.current ?? null };
    if (slot.current !== undefined) return { known: true, record: slot.current };
    if (slot.baseFrom === null) return { known: true, record: null };
    return { known: false, partial: null };
  }

  /**
   * A save whose stored entity is not loaded: `fields` (null = unset) are kept as the version and the stored
   * entity, when it is loaded (by the next read of it, or by flush, one query per entity type), is merged under
   * them. Indexing new entities (most saves) then costs no lookup per save. The caller makes sure `fields` alone
   * holds every required field, so the merge cannot make the entity invalid.
   */
  setBlind(entity: string, fields: EntityRecord, block: number, checked = false): void {
    const meta = this.meta(entity);
    const slot = this.slot(meta, normalizeId(meta, fields.id));
    // Composed with what the batch knows: the entity when it is known (then the save is not blind at all), or the
    // fields earlier blind saves set.
    const known = !slot.blind && slot.current !== undefined;
    const record = slot.current ? { ...slot.current, ...fields } : fields;
    this.setNow(entity, record, block, checked);
    slot.blind = !known && slot.baseFrom === undefined;
  }

  /** The block of this batch's last write of the entity, or undefined when the batch has not written it. */
  lastWriteBlock(entity: string, id: string): number | undefined {
    const meta = this.meta(entity);
    const slot = this.slots.get(meta)?.get(normalizeId(meta, id));
    return slot?.versions[slot.versions.length - 1]?.block;
  }

  async get(entity: string, id: string): Promise<EntityRecord | null> {
    const meta = this.meta(entity);
    const slot = this.slot(meta, normalizeId(meta, id));
    if (slot.current === undefined || slot.blind) await this.load(meta, [slot]);
    return slot.current ? copy(slot.current) : null;
  }

  private checkBlock(entity: EntityMeta, id: string, block: number): void {
    if (!Number.isSafeInteger(block) || block <= this.after || block > this.upTo) {
      throw new StoreError(
        `${entity.name} ${id}: write at block ${block} outside the batch (${this.after}, ${this.upTo}]`,
      );
    }
  }

  private push(slot: Slot, block: number, record: EntityRecord | null): void {
    const last = slot.versions[slot.versions.length - 1];
    if (last && block < last.block) {
      throw new StoreError(
        `${slot.entity.name} ${slot.id}: write at block ${block} after a write at block ${last.block}`,
      );
    }
    if (slot.entity.immutable && record !== null) {
      const existed =
        (last && last.record !== null) || (!last && slot.baseFrom !== null && slot.baseFrom !== undefined);
      if (existed && !(last && last.block === block)) {
        throw new StoreError(`${slot.entity.name} ${slot.id} is immutable and already exists`);
      }
    }
    if (last && last.block === block) last.record = record;
    else slot.versions.push({ block, record });
    slot.current = record;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- BatchWriter is async: validation errors reject, not throw
  async set(entity: string, record: EntityRecord, block: number): Promise<void> {
    this.setNow(entity, record, block);
  }

  /**
   * set(), synchronously (throws instead of rejecting). `checked`: every key of `record` is known to be a stored
   * field of the entity (the WASM host checks a save's fields against the schema), so they are not checked again.
   */
  setNow(entity: string, record: EntityRecord, block: number, checked = false): void {
    if (this.flushed) throw new StoreError("batch already committed");
    const meta = this.meta(entity);
    const id = normalizeId(meta, record.id);
    this.checkBlock(meta, id, block);
    if (!checked) {
      const allowed = entityCodec(meta).fieldNames;
      for (const key in record) {
        if (!allowed.has(key)) {
          throw new EntityValidationError(
            meta.name,
            key,
            meta.field(key) ? "is derived and cannot be set" : "is not a field",
          );
        }
      }
    }
    // The writer takes ownership of `record` (handlers build or copy it, set it, and leave it alone).
    const stored = meta.idType === "Bytes" && record.id !== id ? { ...record, id } : record;
    this.push(this.slot(meta, id), block, stored);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- as set()
  async remove(entity: string, id: string, block: number): Promise<void> {
    this.removeNow(entity, id, block);
  }

  /** remove(), synchronously. */
  removeNow(entity: string, id: string, block: number): void {
    if (this.flushed) throw new StoreError("batch already committed");
    const meta = this.meta(entity);
    const key = normalizeId(meta, id);
    this.checkBlock(meta, key, block);
    const slot = this.slot(meta, key);
    if (meta.immutable) throw new StoreError(`${meta.name} ${key} is immutable and cannot be removed`);
    this.push(slot, block, null);
  }

  /** Block headers to keep for reorg detection, besides the checkpoint's. */
  recordBlocks(blocks: Iterable<BlockHashRow>): void {
    for (const b of blocks) this.blocks.push(b);
  }

  /** Writes everything to the transaction (by default the reader). Returns the change feed of the batch. */
  async flush(tx: Queryable = this.tx): Promise<EntityChange[]> {
    this.tx = tx;
    await this.prepare();
    const { statements, changes } = this.statements(tx.copyIn !== undefined);
    await runWrites(tx, statements);
    return changes;
  }

  /** The slots this batch wrote, by entity type. */
  private written(): Map<EntityMeta, Slot[]> {
    const byEntity = new Map<EntityMeta, Slot[]>();
    for (const [entity, slots] of this.slots) {
      const list: Slot[] = [];
      for (const slot of slots.values()) if (slot.versions.length > 0) list.push(slot);
      if (list.length > 0) byEntity.set(entity, list);
    }
    return byEntity;
  }

  /**
   * Loads what the writes depend on: the open version of every written entity not known yet, which also resolves
   * every blind save (the stored entity merged under it). Reads through the reader (or the flush's transaction).
   */
  async prepare(): Promise<void> {
    this.flushed = true;
    for (const [entity, slots] of this.written()) {
      await this.load(
        entity,
        slots.filter((s) => s.baseFrom === undefined),
      );
    }
  }

  /**
   * The statements that write the batch, after prepare(): per table, close the current versions (one UPDATE),
   * drop versions replaced in place (one DELETE), insert every new version (COPY when `copy`, else INSERT … SELECT
   * FROM unnest); then the block hashes. With the change feed they make.
   */
  statements(copy: boolean): { statements: WriteStatement[]; changes: EntityChange[] } {
    const statements: WriteStatement[] = [];
    const changes: EntityChange[] = [];
    for (const [entity, slots] of this.written()) {
      const closeIds: string[] = [];
      const closeBlocks: string[] = [];
      const replaceIds: string[] = [];
      const rows: VersionRow[] = [];
      for (const slot of slots) {
        if (slot.baseFrom === undefined) throw new StoreError("the batch's writes were not prepared");
        const first = slot.versions[0];
        if (slot.baseFrom !== null) {
          if (slot.baseFrom > first.block) {
            throw new StoreError(
              `${entity.name} ${slot.id}: open version starts at ${slot.baseFrom}, after the write at ${first.block}`,
            );
          }
          if (slot.baseFrom === first.block) replaceIds.push(idText(entity, slot.id));
          else {
            closeIds.push(idText(entity, slot.id));
            closeBlocks.push(String(first.block));
          }
        }
        for (let i = 0; i < slot.versions.length; i++) {
          const v = slot.versions[i];
          changes.push({ entity: entity.name, id: slot.id, block: v.block });
          if (v.record === null) continue;
          const next = slot.versions[i + 1];
          rows.push({ record: v.record, from: v.block, to: next ? next.block : null });
        }
      }
      const table = this.table(entity);
      const idCast = castFromText("x", entity.field("id")!.storage, false);
      for (let i = 0; i < replaceIds.length; i += ID_CHUNK) {
        statements.push({
          sql: `DELETE FROM ${table} WHERE id IN (SELECT ${idCast} FROM unnest($1::text[]) AS x) AND block_to IS NULL`,
          params: [replaceIds.slice(i, i + ID_CHUNK)],
        });
      }
      for (let i = 0; i < closeIds.length; i += ID_CHUNK) {
        statements.push({
          sql:
            `UPDATE ${table} AS t SET block_to = v.b::int8` +
            ` FROM unnest($1::text[], $2::text[]) AS v(x, b)` +
            ` WHERE t.id = ${idCast} AND t.block_to IS NULL`,
          params: [closeIds.slice(i, i + ID_CHUNK), closeBlocks.slice(i, i + ID_CHUNK)],
        });
      }
      if (rows.length > 0) {
        // A unique violation here means a second open version of an id: an immutable entity written again.
        const entityName = entity.name;
        for (const statement of copy ? this.copyStatements(entity, rows) : this.unnestStatements(entity, rows)) {
          statements.push({ ...statement, entity: entityName });
        }
      }
    }
    const blocks = this.blockStatement();
    if (blocks) statements.push(blocks);
    return { statements, changes };
  }

  private copyStatements(entity: EntityMeta, rows: VersionRow[]): WriteStatement[] {
    const cols = entity.columns;
    const names = [...cols.map((c) => ident(c.column!)), "block_from", "block_to"];
    const codec = entityCodec(entity);
    const out: WriteStatement[] = [];
    for (let start = 0; start < rows.length; start += COPY_CHUNK) {
      const end = Math.min(rows.length, start + COPY_CHUNK);
      const data = new Utf8Lines();
      for (let r = start; r < end; r++) {
        const row = rows[r];
        data.push(codec.copyLine(row.record, row.from, row.to));
      }
      out.push({ copy: { table: this.table(entity), columns: names, data: data.bytes() } });
    }
    return out;
  }

  private unnestStatements(entity: EntityMeta, rows: VersionRow[]): WriteStatement[] {
    const cols = entity.columns;
    const names = [...cols.map((c) => ident(c.column!)), "block_from", "block_to"];
    const aliases = names.map((_, i) => `c${i}`);
    const selects = [
      ...cols.map((c, i) => castFromText(`u.c${i}`, c.storage, c.list)),
      `u.c${cols.length}::int8`,
      `u.c${cols.length + 1}::int8`,
    ];
    const sql =
      `INSERT INTO ${this.table(entity)} (${names.join(", ")}) SELECT ${selects.join(", ")}` +
      ` FROM unnest(${aliases.map((_, i) => `$${i + 1}::text[]`).join(", ")}) AS u(${aliases.join(", ")})`;
    const out: WriteStatement[] = [];
    for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
      const chunk = rows.slice(start, start + INSERT_CHUNK);
      const arrays: (string | null)[][] = names.map(() => new Array<string | null>(chunk.length));
      for (let r = 0; r < chunk.length; r++) {
        const row = chunk[r];
        for (let c = 0; c < cols.length; c++) {
          const field = cols[c];
          arrays[c][r] = fieldToText(entity, field, row.record[field.name]);
        }
        arrays[cols.length][r] = String(row.from);
        arrays[cols.length + 1][r] = row.to === null ? null : String(row.to);
      }
      out.push({ sql, params: arrays });
    }
    return out;
  }

  private blockStatement(): WriteStatement | undefined {
    if (this.blocks.length === 0) return undefined;
    const unique = new Map<number, BlockHashRow>();
    for (const b of this.blocks) unique.set(b.number, b);
    const list = [...unique.values()];
    return {
      sql:
        `INSERT INTO ${qualified(this.schema, "_accord_block_hashes")} (number, hash, parent)` +
        ` SELECT u.n::int8, u.h, u.p FROM unnest($1::text[], $2::text[], $3::text[]) AS u(n, h, p)` +
        ` ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash, parent = EXCLUDED.parent`,
      params: [list.map((b) => String(b.number)), list.map((b) => b.hash), list.map((b) => b.parent)],
    };
  }

  /**
   * Before the commit, for a batch that follows this one before this one has committed (SqlStore.stageBatch), after
   * prepare(): the cache takes the final state of every entity the batch knows, and the id filters every id it
   * wrote. If the commit fails, the store clears the cache.
   */
  seal(): void {
    for (const slot of this.allSlots()) {
      if (slot.blind) throw new StoreError("the batch's writes were not prepared");
    }
    this.commitToCache();
  }

  /** After the commit: the batch's final states become the committed cache. */
  commitToCache(): void {
    for (const slot of this.allSlots()) this.cacheSlot(slot);
  }

  /** Every id this batch stored, into its table's id filter (ids in a filter may exist; those out of it may not). */
  private addToFilter(slot: Slot): void {
    if (slot.versions.length === 0) return;
    const filter = this.cache.filters.get(slot.entity.name);
    if (filter) {
      filter.add(slot.id);
      if (filter.full) this.cache.filters.delete(slot.entity.name);
    }
  }

  private cacheSlot(slot: Slot): void {
    this.addToFilter(slot);
    // Immutable entities are written once and rarely read back: not worth the memory.
    if (slot.entity.immutable) return;
    let entry: CachedEntity;
    if (slot.versions.length > 0) {
      const last = slot.versions[slot.versions.length - 1];
      entry = { blockFrom: last.record ? last.block : null, record: last.record };
    } else if (slot.current !== undefined && slot.baseFrom !== undefined) {
      entry = { blockFrom: slot.baseFrom, record: slot.current };
    } else return;
    this.cache.set(slot.key, entry);
  }
}
