// Query resolvers over the indexer's StoreReader.
//
// Every entity a resolver returns carries the block it was read at (a symbol-keyed property), so references and
// @derivedFrom fields below it are read as of the same block. A request pins "latest" once, to the checkpoint it
// first sees, so all top-level fields of one request read one consistent block even while the indexer commits.
// References are batched per (entity, block) into one `id_in` query per tick.

import { GraphQLError } from "graphql";
import { StoreQueryError } from "../indexer/store/errors";
import { checkQueryRange, QueryRangeError, type QueryLimits } from "../indexer/store/limits";
import type { Checkpoint, EntityQuery, EntityRecord, StoreReader, WhereFilter } from "../indexer/store/types";
import type { EntityApi } from "./sdl";
import type { FieldMeta } from "./entities";
import { andWhere, normalizeWhere } from "./filters";
import { isBytes } from "./scalars";

export const BLOCK = Symbol.for("accord.server.block");
export type SourceRecord = EntityRecord & { [BLOCK]?: number };

/** Optional store capability: resolve a block hash to its number (for `block: { hash }`). */
export interface BlockHashLookup {
  blockNumberByHash(hash: string): Promise<number | null>;
}

export type { QueryLimits } from "../indexer/store/limits";

export interface ResolverDeps {
  store: StoreReader;
  apis: Map<string, EntityApi>;
  limits: QueryLimits;
  deployment: string;
  hasIndexingErrors(): boolean | Promise<boolean>;
}

export interface BlockHeight {
  number?: number | null;
  hash?: string | null;
  number_gte?: number | null;
}

export interface CollectionArgs {
  skip?: number;
  first?: number;
  orderBy?: string | null;
  orderDirection?: "asc" | "desc" | null;
  where?: Record<string, unknown> | null;
}

const STATE = Symbol.for("accord.server.request");

/** Per-request (per GraphQL context) state. */
export class RequestState {
  latest?: Promise<Checkpoint | null>;
  /** Aborted when the request's time budget runs out. */
  signal?: AbortSignal;
  loaders = new Map<string, RefLoader>();
}

export function requestState(ctx: unknown): RequestState {
  const holder = ctx as { [STATE]?: RequestState };
  return (holder[STATE] ??= new RequestState());
}

/** The store's errors about query input become client errors; anything else stays a server fault (masked). */
export function storeError(error: unknown): unknown {
  if (error instanceof StoreQueryError) {
    return new GraphQLError(error.message, {
      extensions: { code: "BAD_USER_INPUT", storeCode: error.code, ...(error.field ? { field: error.field } : {}) },
    });
  }
  return error;
}

export function timeoutError(): GraphQLError {
  return new GraphQLError("Query timed out", { extensions: { code: "TIMEOUT" } });
}

function checkAborted(state: RequestState): void {
  if (state.signal?.aborted) throw timeoutError();
}

export function attach(record: EntityRecord | null, block: number | undefined): SourceRecord | null {
  if (!record) return null;
  return { ...record, [BLOCK]: block };
}

/** The store's QueryRangeError as a GraphQL error (same message). */
export class RangeArgumentError extends GraphQLError {
  constructor(error: QueryRangeError) {
    super(error.message, { extensions: { code: "RANGE_ARGUMENT", argument: error.argument } });
  }
}

/** `first`/`skip` checked with the store's own check (store/limits.ts), before the store is asked. */
export function checkRange(limits: QueryLimits, args: { first?: unknown; skip?: unknown }): void {
  try {
    checkQueryRange(limits, args);
  } catch (error) {
    throw error instanceof QueryRangeError ? new RangeArgumentError(error) : error;
  }
}

/** Batches `get`s of one entity type at one block into `find({ id_in })`. */
export class RefLoader {
  private queue = new Map<string, { resolve(r: EntityRecord | null): void; reject(e: unknown): void }[]>();

  constructor(
    private readonly store: StoreReader,
    private readonly entity: string,
    private readonly block: number | undefined,
    private readonly onFlush: () => void,
  ) {}

  load(id: string): Promise<EntityRecord | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.queue.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else {
        if (this.queue.size === 0) {
          // After the current promise jobs, like DataLoader: sibling resolvers enqueue first.
          void Promise.resolve().then(() => process.nextTick(() => void this.flush()));
        }
        this.queue.set(id, [{ resolve, reject }]);
      }
    });
  }

  private async flush(): Promise<void> {
    this.onFlush();
    const queue = this.queue;
    const ids = [...queue.keys()];
    try {
      const found = new Map<string, EntityRecord>();
      if (ids.length === 1) {
        const record = await this.store.get(this.entity, ids[0], this.block);
        if (record) found.set(ids[0], record);
      } else {
        for (let i = 0; i < ids.length; i += 1000) {
          const chunk = ids.slice(i, i + 1000);
          const records = await this.store.find({
            entity: this.entity,
            where: { id_in: chunk },
            first: chunk.length,
            block: this.block,
          });
          for (const r of records) found.set(String(r.id), r);
        }
      }
      for (const [id, waiting] of queue) for (const w of waiting) w.resolve(found.get(id) ?? null);
    } catch (error) {
      const mapped = storeError(error);
      for (const waiting of queue.values()) for (const w of waiting) w.reject(mapped);
    }
  }
}

export class QueryResolver {
  /** The checkpoint read in flight, shared by the requests that arrive while it runs (one query, not one each). */
  private checkpointRead?: Promise<Checkpoint | null>;

  constructor(readonly deps: ResolverDeps) {}

  latest(state: RequestState): Promise<Checkpoint | null> {
    return (state.latest ??= this.sharedCheckpoint());
  }

  private sharedCheckpoint(): Promise<Checkpoint | null> {
    if (this.checkpointRead) return this.checkpointRead;
    const read = this.deps.store.checkpoint();
    this.checkpointRead = read;
    const done = (): void => {
      if (this.checkpointRead === read) this.checkpointRead = undefined;
    };
    read.then(done, done);
    return read;
  }

  private async blockNumberByHash(hash: string): Promise<number | null> {
    const store = this.deps.store as StoreReader &
      Partial<BlockHashLookup> & {
        blockHashes?: (fromBlock: number) => Promise<Map<number, string>>;
      };
    if (typeof store.blockNumberByHash === "function") return store.blockNumberByHash(hash);
    if (typeof store.blockHashes === "function") {
      for (const [number, h] of await store.blockHashes(0)) if (h.toLowerCase() === hash) return number;
      return null;
    }
    throw new GraphQLError("Querying by block hash is not supported by this store", {
      extensions: { code: "BAD_USER_INPUT" },
    });
  }

  /** The block a top-level field reads at; undefined only when nothing is indexed yet and no block was given. */
  async resolveBlock(
    state: RequestState,
    block: BlockHeight | null | undefined,
  ): Promise<{ number: number; hash?: string }> {
    checkAborted(state);
    const latest = await this.latest(state);
    if (!latest) {
      throw new GraphQLError("The indexer has not started syncing yet", { extensions: { code: "NOT_SYNCED" } });
    }
    if (block?.hash != null) {
      const number = await this.blockNumberByHash(block.hash);
      if (number === null || number > latest.blockNumber) {
        throw new GraphQLError(`no block with that hash found: ${block.hash}`, {
          extensions: { code: "BAD_USER_INPUT" },
        });
      }
      return { number, hash: block.hash };
    }
    if (block?.number != null) {
      if (block.number < 0) {
        throw new GraphQLError(`Invalid value for block.number: ${block.number} is negative`, {
          extensions: { code: "BAD_USER_INPUT" },
        });
      }
      if (block.number > latest.blockNumber) {
        throw new GraphQLError(
          `Failed to decode \`block.number\` value: \`the indexer has only indexed up to block number ${latest.blockNumber} ` +
            `and data for block number ${block.number} is therefore not yet available\``,
          { extensions: { code: "BLOCK_NOT_INDEXED" } },
        );
      }
      return { number: block.number };
    }
    if (block?.number_gte != null && latest.blockNumber < block.number_gte) {
      throw new GraphQLError(
        `Failed to decode \`block.number_gte\` value: \`the indexer has only indexed up to block number ${latest.blockNumber} ` +
          `and data for block number ${block.number_gte} is therefore not yet available\``,
        { extensions: { code: "BLOCK_NOT_INDEXED" } },
      );
    }
    return { number: latest.blockNumber, hash: latest.blockHash };
  }

  async checkErrorPolicy(policy: string | undefined): Promise<void> {
    if (policy !== "allow" && (await this.deps.hasIndexingErrors())) {
      throw new GraphQLError("indexing_error", { extensions: { code: "INDEXING_ERROR" } });
    }
  }

  private async store<T>(state: RequestState, call: () => Promise<T>): Promise<T> {
    checkAborted(state);
    let result: T;
    try {
      result = await call();
    } catch (error) {
      throw storeError(error);
    }
    checkAborted(state);
    return result;
  }

  loader(state: RequestState, entity: string, block: number | undefined): RefLoader {
    const key = `${entity}@${block ?? "latest"}`;
    let loader = state.loaders.get(key);
    if (!loader) {
      loader = new RefLoader(this.deps.store, entity, block, () => {
        if (state.loaders.get(key) === loader) state.loaders.delete(key);
      });
      state.loaders.set(key, loader);
    }
    return loader;
  }

  /** `where`/`orderBy`/… of a collection field into an EntityQuery (validated). */
  collectionQuery(
    entity: string,
    args: CollectionArgs,
    block: number | undefined,
    extra?: WhereFilter,
    at = "where",
  ): EntityQuery {
    checkRange(this.deps.limits, args);
    const where = normalizeWhere(this.deps.apis, entity, args.where, at);
    const query: EntityQuery = {
      entity,
      where: extra ? andWhere(where, extra) : where,
      first: args.first ?? 100,
      skip: args.skip ?? 0,
      block,
    };
    if (args.orderBy) query.orderBy = args.orderBy;
    if (args.orderDirection) query.orderDirection = args.orderDirection;
    if (query.where === undefined) delete query.where;
    return query;
  }

  async find(state: RequestState, query: EntityQuery): Promise<SourceRecord[]> {
    const records = await this.store(state, () => this.deps.store.find(query));
    return records.map((r) => attach(r, query.block)!);
  }

  async get(state: RequestState, entity: string, id: string, block: number | undefined): Promise<SourceRecord | null> {
    return attach(await this.store(state, () => this.deps.store.get(entity, id, block)), block);
  }

  /** Normalises the `id` argument of a single-entity field for the entity's id type. */
  entityId(api: EntityApi, id: string): string {
    if (api.entity.idType !== "Bytes") return id;
    if (!isBytes(id)) {
      throw new GraphQLError(
        `Invalid value for argument "id" of ${api.singular}: ${JSON.stringify(
          id,
        )} is not a Bytes id (0x-prefixed hex of whole bytes)`,
        { extensions: { code: "BAD_USER_INPUT" } },
      );
    }
    return id.startsWith("0x") ? id.toLowerCase() : `0x${id.toLowerCase()}`;
  }

  /** Resolver for a reference or @derivedFrom field of `parent`. */
  async relation(
    state: RequestState,
    parent: SourceRecord,
    field: FieldMeta,
    args: CollectionArgs,
  ): Promise<SourceRecord | SourceRecord[] | null> {
    const block = parent[BLOCK];
    const child = field.type;
    if (field.derivedFrom) {
      const back = this.deps.apis.get(child)!.entity.field(field.derivedFrom)!;
      const link: WhereFilter = back.list ? { [`${back.name}_contains`]: [parent.id] } : { [back.name]: parent.id };
      if (!field.list) {
        const [record] = await this.find(state, { entity: child, where: link, first: 1, block });
        return record ?? null;
      }
      return this.find(state, this.collectionQuery(child, args, block, link, `${field.name}(where)`));
    }
    const value = parent[field.name];
    if (value === null || value === undefined) return field.list ? [] : null;
    if (!field.list) {
      checkAborted(state);
      return attach(await this.loader(state, child, block).load(String(value)), block);
    }
    const ids = (value as unknown[]).map(String);
    if (ids.length === 0) return [];
    return this.find(state, this.collectionQuery(child, args, block, { id_in: ids }, `${field.name}(where)`));
  }
}
