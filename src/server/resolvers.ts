// Query resolvers over the indexer's StoreReader.
//
// Every entity a resolver returns carries the block it was read at (a symbol-keyed property), so references and
// @derivedFrom fields below it are read as of the same block. A request pins "latest" once, to the checkpoint it
// first sees, so all top-level fields of one request read one consistent block even while the indexer commits.
// References are batched per (entity, block) into one `id_in` query per tick, and @derivedFrom fields per (field,
// arguments, block) into one query for all the parents of a tick (DataLoader). Every read names the fields the
// query selects below it, so the store reads only those columns.

import DataLoader from "dataloader";
import {
  getArgumentValues,
  getNamedType,
  GraphQLError,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from "graphql";
import { StoreQueryError } from "../indexer/store/errors";
import { existsKey } from "../indexer/store/filter";
import { checkQueryRange, QueryRangeError, type QueryLimits } from "../indexer/store/limits";
import type { ChildQuery } from "../indexer/store/filter";
import {
  CHILD_LISTS,
  type Checkpoint,
  type EntityQuery,
  type EntityRecord,
  type RecordWithChildren,
  type StoreReader,
  type WhereFilter,
} from "../indexer/store/types";
import type { EntityApi } from "./sdl";
import type { FieldMeta } from "./entities";
import { andWhere, normalizeWhere } from "./filters";
import { isBytes } from "./scalars";

export const BLOCK = Symbol.for("accord.server.block");
/** The @derivedFrom lists read with the record (by response key), for the field resolvers below it. */
const PREFETCHED = Symbol.for("accord.server.prefetched");
export type SourceRecord = EntityRecord & { [BLOCK]?: number; [PREFETCHED]?: Map<string, EntityRecord[]> };

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

/** What the SQL store can do beyond StoreReader: read only some fields, and one nested list for many parents. */
export interface ProjectingStore {
  get(
    entity: string,
    id: string,
    block?: number,
    select?: readonly string[],
    exists?: readonly string[],
    children?: readonly ChildQuery[],
  ): Promise<RecordWithChildren | null>;
  findByParents?(query: EntityQuery, link: string, parents: readonly string[]): Promise<EntityRecord[][]>;
}

/** Optional store capability: a read at the latest checkpoint that returns the checkpoint it read at (SqlStore). */
interface LatestReads {
  getLatest(
    entity: string,
    id: string,
    select?: readonly string[],
    exists?: readonly string[],
    children?: readonly ChildQuery[],
  ): Promise<{ checkpoint: Checkpoint | null; value: RecordWithChildren | null }>;
  findLatest(
    query: EntityQuery & { select?: readonly string[]; exists?: readonly string[] },
  ): Promise<{ checkpoint: Checkpoint | null; value: EntityRecord[] }>;
}

const STATE = Symbol.for("accord.server.request");

/** Per-request (per GraphQL context) state. */
export class RequestState {
  latest?: Promise<Checkpoint | null>;
  /** Aborted when the request's time budget runs out. */
  signal?: AbortSignal;
  /** Batching loaders of this request, by what they load (entity or derived field, block, arguments). */
  loaders = new Map<string, DataLoader<never, unknown, string>>();
}

/** What a query selects below one field. */
export interface Selection {
  /** Field names (fragments expanded, directives ignored: a superset is fine), sorted. */
  fields: string[];
  /** References selected somewhere below with nothing but `id` (and `__typename`): their existence is enough. */
  idOnly: string[];
  /** Whether this field's own selection is nothing but `id` (and `__typename`). */
  onlyId: boolean;
}

const selections = new WeakMap<readonly FieldNode[], Selection>();

function onlyId(set: SelectionSetNode | undefined): boolean {
  return (
    set !== undefined &&
    set.selections.every(
      (s) => s.kind === Kind.FIELD && (s.name.value === "id" || s.name.value === "__typename") && !s.selectionSet,
    )
  );
}

/** The selection below the field being resolved, for the store to read only those columns. Cached per field. */
export function selection(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): Selection {
  let found = selections.get(info.fieldNodes);
  if (found) return found;
  const out = new Set<string>();
  const idOnly = new Set<string>();
  const seen = new Set<string>();
  const collect = (set: SelectionSetNode | undefined): void => {
    for (const node of set?.selections ?? []) {
      if (node.kind === Kind.FIELD) {
        out.add(node.name.value);
        if (onlyId(node.selectionSet)) idOnly.add(node.name.value);
      } else if (node.kind === Kind.INLINE_FRAGMENT) collect(node.selectionSet);
      else if (!seen.has(node.name.value)) {
        seen.add(node.name.value);
        collect(info.fragments[node.name.value]?.selectionSet);
      }
    }
  };
  for (const node of info.fieldNodes) collect(node.selectionSet);
  found = {
    fields: [...out].sort(),
    idOnly: [...idOnly].sort(),
    onlyId: info.fieldNodes.every((n) => onlyId(n.selectionSet)),
  };
  selections.set(info.fieldNodes, found);
  return found;
}

/** The fields the query selects below the field being resolved (see selection()). */
export function selectedFields(info: Pick<GraphQLResolveInfo, "fieldNodes" | "fragments">): string[] {
  return selection(info).fields;
}

/** A stable text of a query's arguments (bigints included), to group loads that can share one statement. */
function argumentsKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${v}n` : v));
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

function notSynced(): GraphQLError {
  return new GraphQLError("The indexer has not started syncing yet", { extensions: { code: "NOT_SYNCED" } });
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

/** `source` with the child lists its store read returned (CHILD_LISTS), by the response keys they were read for. */
function withChildren(
  source: SourceRecord | null,
  record: RecordWithChildren | null,
  keys: readonly string[] | undefined,
): SourceRecord | null {
  const lists = record?.[CHILD_LISTS];
  if (!source || !lists || !keys || lists.length !== keys.length) return source;
  source[PREFETCHED] = new Map(keys.map((key, n) => [key, lists[n]]));
  return source;
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

type RefKey = { id: string; select?: readonly string[] };

/** Batches `get`s of one entity type at one block into one `find({ id_in })`, reading the union of their fields. */
function referenceLoader(
  store: StoreReader,
  entity: string,
  block: number | undefined,
): DataLoader<RefKey, EntityRecord | null, string> {
  return new DataLoader<RefKey, EntityRecord | null, string>(
    async (keys) => {
      const ids = [...new Set(keys.map((k) => k.id))];
      const select = keys.some((k) => k.select === undefined)
        ? undefined
        : [...new Set(keys.flatMap((k) => k.select!))];
      const found = new Map<string, EntityRecord>();
      try {
        if (ids.length === 1) {
          const record = await (store as StoreReader & ProjectingStore).get(entity, ids[0], block, select);
          if (record) found.set(ids[0], record);
        } else {
          for (let i = 0; i < ids.length; i += 1000) {
            const chunk = ids.slice(i, i + 1000);
            const query: EntityQuery & { select?: readonly string[] } = {
              entity,
              where: { id_in: chunk },
              first: chunk.length,
              block,
            };
            if (select) query.select = select;
            for (const r of await store.find(query)) found.set(String(r.id), r);
          }
        }
      } catch (error) {
        throw storeError(error);
      }
      return keys.map((k) => found.get(k.id) ?? null);
    },
    // The same entity selected with other fields elsewhere in the request is another load (its record differs).
    { cacheKeyFn: (k) => `${k.id}\u0000${k.select?.join(",") ?? "*"}`, maxBatchSize: 5000 },
  );
}

/**
 * Batches one @derivedFrom field (same child query: arguments, fields, block) over the parents of a tick into one
 * statement (store.findByParents), or one find per parent where the store cannot.
 */
function derivedLoader(
  store: StoreReader,
  query: EntityQuery,
  link: string,
): DataLoader<string, EntityRecord[], string> {
  const one = (parent: string): Promise<EntityRecord[]> =>
    store.find({ ...query, where: andWhere(query.where, { [link]: parent }) });
  const batching = store as StoreReader & ProjectingStore;
  return new DataLoader<string, EntityRecord[], string>(
    async (parents) => {
      try {
        if (parents.length === 1 || typeof batching.findByParents !== "function")
          return await Promise.all(parents.map(one));
        return await batching.findByParents(query, link, parents);
      } catch (error) {
        throw storeError(error);
      }
    },
    { maxBatchSize: 1000 },
  );
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
    if (!latest) throw notSynced();
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

  private cached<L>(state: RequestState, key: string, create: () => L): L {
    let loader = state.loaders.get(key) as L | undefined;
    if (!loader) {
      loader = create();
      state.loaders.set(key, loader as DataLoader<never, unknown, string>);
    }
    return loader;
  }

  /** The request's loader of `entity` references at `block`. */
  loader(
    state: RequestState,
    entity: string,
    block: number | undefined,
  ): DataLoader<RefKey, EntityRecord | null, string> {
    return this.cached(state, `ref:${entity}@${block ?? "latest"}`, () =>
      referenceLoader(this.deps.store, entity, block),
    );
  }

  /** The request's loader of one child query (a derived field with its arguments) by parent id. */
  private derived(state: RequestState, query: EntityQuery, link: string): DataLoader<string, EntityRecord[], string> {
    return this.cached(state, `derived:${link}:${argumentsKey(query)}`, () =>
      derivedLoader(this.deps.store, query, link),
    );
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

  /** `query`'s entities; with `info`, only the fields the query selects below the field being resolved. */
  async find(state: RequestState, query: EntityQuery, info?: GraphQLResolveInfo): Promise<SourceRecord[]> {
    const sel = info && selection(info);
    const projected = sel ? { ...query, select: sel.fields, exists: sel.idOnly } : query;
    const records = await this.store(state, () => this.deps.store.find(projected));
    return records.map((r) => attach(r, query.block)!);
  }

  async get(
    state: RequestState,
    entity: string,
    id: string,
    block: number | undefined,
    info?: GraphQLResolveInfo,
  ): Promise<SourceRecord | null> {
    const store = this.deps.store as StoreReader & ProjectingStore;
    const sel = info && selection(info);
    const children = info && this.childLists(entity, info);
    const record = await this.store(state, () =>
      store.get(entity, id, block, sel?.fields, sel?.idOnly, children?.queries),
    );
    return withChildren(attach(record, block), record, children?.keys);
  }

  /**
   * The @derivedFrom lists selected directly below a single-entity field, as child queries of its read: the entity
   * and its lists then take one statement instead of one and then one per list (a deal with its result, mediation
   * and payments: 1 instead of 4). Only fields written plainly (no directives, no fragments) whose arguments are
   * valid; anything else, and every store that cannot, resolves field by field as before.
   */
  private childLists(entity: string, info: GraphQLResolveInfo): { queries: ChildQuery[]; keys: string[] } | undefined {
    if (info.fieldNodes.length !== 1) return undefined;
    const type = getNamedType(info.returnType);
    const api = this.deps.apis.get(entity);
    if (!api || !isObjectType(type)) return undefined;
    const queries: ChildQuery[] = [];
    const keys: string[] = [];
    for (const node of info.fieldNodes[0].selectionSet?.selections ?? []) {
      if (node.kind !== Kind.FIELD || node.directives?.length) continue;
      const field = api.entity.field(node.name.value);
      const definition = type.getFields()[node.name.value];
      if (!field || field.kind !== "entity" || !field.derivedFrom || !definition) continue;
      const back = this.deps.apis.get(field.type)?.entity.field(field.derivedFrom);
      if (!back || back.list) continue;
      try {
        const args = getArgumentValues(definition, node, info.variableValues) as CollectionArgs;
        const query: ChildQuery["query"] = field.list
          ? this.collectionQuery(field.type, args, undefined, undefined, `${field.name}(where)`)
          : { entity: field.type, first: 1 };
        const sel = selection({ fieldNodes: [node], fragments: info.fragments });
        query.select = sel.fields;
        query.exists = sel.idOnly;
        queries.push({ query, link: back.name });
        keys.push(node.alias?.value ?? node.name.value);
      } catch {
        // A bad argument: the field's own resolver reports it where graphql-js puts it.
      }
    }
    return queries.length ? { queries, keys } : undefined;
  }

  /**
   * The first read of a request at the latest block, where the store returns the checkpoint it read at (one
   * statement instead of a checkpoint read and then the read): the request's block becomes that checkpoint, so its
   * other fields, and the fields below this one, read at the same block. Undefined when the request has its block
   * already or the store cannot; then the caller reads as usual (resolveBlock, then get/find).
   */
  private firstRead<T>(
    state: RequestState,
    read: (store: LatestReads) => Promise<{ checkpoint: Checkpoint | null; value: T }>,
  ): Promise<{ block: number; value: T }> | undefined {
    const store = this.deps.store as StoreReader & Partial<LatestReads>;
    if (state.latest !== undefined || typeof store.getLatest !== "function" || typeof store.findLatest !== "function")
      return undefined;
    checkAborted(state);
    const run = this.store(state, () => read(store as LatestReads));
    // A failed read leaves the request's other fields the checkpoint as they would have read it.
    state.latest = run.then(
      (r) => r.checkpoint,
      () => this.sharedCheckpoint(),
    );
    return run.then(({ checkpoint, value }) => {
      if (!checkpoint) throw notSynced();
      return { block: checkpoint.blockNumber, value };
    });
  }

  /** get() at the request's latest block; the first read of a request also fixes that block (see firstRead). */
  async getAtLatest(
    state: RequestState,
    entity: string,
    id: string,
    info?: GraphQLResolveInfo,
  ): Promise<SourceRecord | null> {
    const sel = info && selection(info);
    const children = info && this.childLists(entity, info);
    const first = this.firstRead(state, (store) =>
      store.getLatest(entity, id, sel?.fields, sel?.idOnly, children?.queries),
    );
    if (first) {
      const { block, value } = await first;
      return withChildren(attach(value, block), value, children?.keys);
    }
    return this.get(state, entity, id, (await this.resolveBlock(state, undefined)).number, info);
  }

  /** find() at the request's latest block; the first read of a request also fixes that block (see firstRead). */
  async findAtLatest(state: RequestState, query: EntityQuery, info?: GraphQLResolveInfo): Promise<SourceRecord[]> {
    const sel = info && selection(info);
    const projected = sel ? { ...query, select: sel.fields, exists: sel.idOnly } : query;
    const first = this.firstRead(state, (store) => store.findLatest(projected));
    if (first) {
      const { block, value } = await first;
      return value.map((r) => attach(r, block)!);
    }
    return this.find(state, { ...query, block: (await this.resolveBlock(state, undefined)).number }, info);
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
    info?: GraphQLResolveInfo,
  ): Promise<SourceRecord | SourceRecord[] | null> {
    const block = parent[BLOCK];
    const child = field.type;
    const sel = info && selection(info);
    const select = sel?.fields;
    if (field.derivedFrom) {
      const prefetched = info && parent[PREFETCHED]?.get(String(info.path.key));
      if (prefetched) {
        checkAborted(state);
        const attached = prefetched.map((r) => attach(r, block)!);
        return field.list ? attached : (attached[0] ?? null);
      }
      const back = this.deps.apis.get(child)!.entity.field(field.derivedFrom)!;
      if (back.list) {
        // A list of references back (`[Deal!]`): matched with _contains, one query per parent.
        const link: WhereFilter = { [`${back.name}_contains`]: [parent.id] };
        if (!field.list) {
          const [record] = await this.find(state, { entity: child, where: link, first: 1, block }, info);
          return record ?? null;
        }
        return this.find(state, this.collectionQuery(child, args, block, link, `${field.name}(where)`), info);
      }
      // Validated as the unbatched query would be (the link itself is added per parent).
      const query: EntityQuery & { select?: readonly string[]; exists?: readonly string[] } = field.list
        ? this.collectionQuery(child, args, block, undefined, `${field.name}(where)`)
        : { entity: child, first: 1, block };
      if (sel) {
        query.select = sel.fields;
        query.exists = sel.idOnly;
      }
      checkAborted(state);
      const records = await this.derived(state, query, back.name).load(String(parent.id));
      checkAborted(state);
      const attached = records.map((r) => attach(r, block)!);
      return field.list ? attached : (attached[0] ?? null);
    }
    const value = parent[field.name];
    if (value === null || value === undefined) return field.list ? [] : null;
    const exists = parent[existsKey(field.name)];
    if (!field.list && typeof exists === "boolean" && sel?.onlyId) {
      // The parent's statement checked the entity exists at its block; `{ id }` is all the query reads of it.
      return exists ? attach({ id: value }, block) : null;
    }
    if (!field.list) {
      checkAborted(state);
      return attach(await this.loader(state, child, block).load({ id: String(value), select }), block);
    }
    const ids = (value as unknown[]).map(String);
    if (ids.length === 0) return [];
    return this.find(state, this.collectionQuery(child, args, block, { id_in: ids }, `${field.name}(where)`), info);
  }
}
