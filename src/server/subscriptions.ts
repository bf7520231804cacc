// Live updates from the indexer's change feed.
//
// The indexer reports, after each committed batch, which entities it wrote: `{ entity, id, block }[]`, either as an
// AsyncIterable of batches or as an EventEmitter's 'batch' events. A ChangeHub consumes that feed once and fans it out
// to subscriptions. Each subscription keeps at most one pending, merged change set (per entity id: first and last
// block changed), so a slow client never queues unbounded batches: it gets the merged result on its next pull.
// Entities are then read from the store as of the batch's block, so a push is a consistent snapshot.

import { EventEmitter } from "node:events";
import { GraphQLError, coerceInputValue, isInputObjectType, type GraphQLResolveInfo } from "graphql";
import type { StoreReader, WhereFilter } from "../indexer/store/types";
import { andWhere, normalizeWhere } from "./filters";
import { attach, checkRange, requestState, storeError, type QueryResolver, type SourceRecord } from "./resolvers";

export interface EntityChange {
  entity: string;
  id: string;
  block: number;
}
export type ChangeBatch = EntityChange[];

/** An EventEmitter-like source: `on('batch', (changes) => …)`. */
export interface BatchEmitter {
  on(event: "batch", listener: (changes: ChangeBatch) => void): unknown;
  off?(event: "batch", listener: (changes: ChangeBatch) => void): unknown;
  removeListener?(event: "batch", listener: (changes: ChangeBatch) => void): unknown;
}

export type ChangeSource = AsyncIterable<ChangeBatch> | BatchEmitter;

type Listener = (changes: ChangeBatch) => void;

function isAsyncIterable(source: ChangeSource): source is AsyncIterable<ChangeBatch> {
  return typeof (source as AsyncIterable<ChangeBatch>)[Symbol.asyncIterator] === "function";
}

/** Consumes the indexer's change feed once and fans it out. */
export class ChangeHub {
  private readonly listeners = new Set<Listener>();
  private readonly closers = new Map<Listener, () => void>();
  private closed = false;
  private stop?: () => void;
  batches = 0;

  constructor(
    source?: ChangeSource,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    if (!source) return;
    if (isAsyncIterable(source)) {
      const iterator = source[Symbol.asyncIterator]();
      this.stop = () => void iterator.return?.()?.catch?.(() => {});
      void (async () => {
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done || this.closed) break;
            this.publish(next.value);
          }
        } catch (error) {
          if (!this.closed) this.onError(error);
        }
      })();
    } else {
      const listener: Listener = (changes) => this.publish(changes);
      source.on("batch", listener);
      this.stop = () => {
        if (source.off) source.off("batch", listener);
        else source.removeListener?.("batch", listener);
      };
    }
  }

  get size(): number {
    return this.listeners.size;
  }

  publish(changes: ChangeBatch): void {
    if (this.closed || !Array.isArray(changes) || changes.length === 0) return;
    this.batches++;
    for (const listener of [...this.listeners]) {
      try {
        listener(changes);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  /** Adds a listener; `onClose` runs when the hub closes (the server shuts down). */
  subscribe(listener: Listener, onClose?: () => void): () => void {
    this.listeners.add(listener);
    if (onClose) this.closers.set(listener, onClose);
    return () => {
      this.listeners.delete(listener);
      this.closers.delete(listener);
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop?.();
    const closers = [...this.closers.values()];
    this.listeners.clear();
    this.closers.clear();
    for (const close of closers) close();
  }
}

/** An in-memory change feed for tests and embedding: `publish(changes)` emits a 'batch' event. */
export class MemoryChangeFeed extends EventEmitter implements BatchEmitter {
  publish(changes: ChangeBatch): void {
    this.emit("batch", changes);
  }

  /** The same feed as an AsyncIterable (what a pipeline would expose); ends when `end()` is called. */
  iterable(): AsyncIterable<ChangeBatch> {
    const queue: ChangeBatch[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const onBatch = (changes: ChangeBatch): void => {
      queue.push(changes);
      wake?.();
    };
    const onEnd = (): void => {
      ended = true;
      wake?.();
    };
    this.on("batch", onBatch);
    this.once("end", onEnd);
    const cleanup = (): void => {
      this.off("batch", onBatch);
      this.off("end", onEnd);
    };
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<ChangeBatch>> {
          for (;;) {
            if (queue.length > 0) return { value: queue.shift()!, done: false };
            if (ended) {
              cleanup();
              return { value: undefined, done: true };
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        },
        return(): Promise<IteratorResult<ChangeBatch>> {
          ended = true;
          cleanup();
          wake?.();
          return Promise.resolve({ value: undefined, done: true });
        },
      }),
    };
  }

  end(): void {
    this.emit("end");
  }
}

/** Per changed id: the first and last block it changed at within the merged batches. */
type Merged = Map<string, { first: number; last: number }>;

/** Subscribes to the hub for one entity type and hands out merged change sets on demand. */
class PendingChanges {
  private pending: Merged = new Map();
  private waiter?: (merged: Merged | null) => void;
  private done = false;
  private readonly unsubscribe: () => void;

  constructor(hub: ChangeHub, entity: string, ids?: Set<string>) {
    this.unsubscribe = hub.subscribe(
      (changes) => {
        let touched = false;
        for (const c of changes) {
          if (c.entity !== entity || (ids && !ids.has(c.id))) continue;
          const entry = this.pending.get(c.id);
          if (entry) {
            entry.first = Math.min(entry.first, c.block);
            entry.last = Math.max(entry.last, c.block);
          } else this.pending.set(c.id, { first: c.block, last: c.block });
          touched = true;
        }
        if (touched && this.waiter) {
          const wake = this.waiter;
          this.waiter = undefined;
          wake(this.take());
        }
      },
      () => this.close(),
    );
  }

  private take(): Merged {
    const merged = this.pending;
    this.pending = new Map();
    return merged;
  }

  next(): Promise<Merged | null> {
    if (this.done) return Promise.resolve(null);
    if (this.pending.size > 0) return Promise.resolve(this.take());
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    if (this.done) return;
    this.done = true;
    this.unsubscribe();
    this.waiter?.(null);
    this.waiter = undefined;
  }
}

/**
 * An AsyncIterator over payloads: each pull waits for changes and turns them into zero or more payloads
 * (`produce`); `return()` ends it at once, even while it waits.
 */
function changeIterator<T>(
  changes: PendingChanges,
  produce: (merged: Merged) => Promise<T[]>,
  initial?: () => Promise<T[]>,
): AsyncIterableIterator<T> {
  const ready: T[] = [];
  let started = false;
  let finished = false;
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      try {
        if (!started) {
          started = true;
          if (initial) ready.push(...(await initial()));
        }
        while (!finished) {
          if (ready.length > 0) return { value: ready.shift()!, done: false };
          const merged = await changes.next();
          if (!merged || finished) break;
          ready.push(...(await produce(merged)));
        }
      } catch (error) {
        // A failed read ends the subscription (the client gets the error): stop listening to the feed.
        finished = true;
        changes.close();
        throw error;
      }
      return { value: undefined, done: true };
    },
    return(): Promise<IteratorResult<T>> {
      finished = true;
      changes.close();
      return Promise.resolve({ value: undefined, done: true });
    },
    // eslint-disable-next-line @typescript-eslint/require-await -- AsyncIterator.throw() answers with a rejected promise
    async throw(error: unknown): Promise<IteratorResult<T>> {
      finished = true;
      changes.close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

const CHUNK = 1000;

/** `find` over many ids, in chunks of `CHUNK`, at one block. */
async function findIds(
  store: StoreReader,
  entity: string,
  ids: string[],
  where: WhereFilter | undefined,
  block: number | undefined,
  order?: { orderBy?: string | null; orderDirection?: "asc" | "desc" | null },
): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    let records;
    try {
      records = await store.find({
        entity,
        where: andWhere(where, { id_in: chunk }),
        first: chunk.length,
        block,
        ...(order?.orderBy ? { orderBy: order.orderBy } : {}),
        ...(order?.orderDirection ? { orderDirection: order.orderDirection } : {}),
      });
    } catch (error) {
      throw storeError(error);
    }
    for (const r of records) out.push(attach(r, block)!);
  }
  return out;
}

function lastBlock(merged: Merged): number {
  let block = -1;
  for (const { last } of merged.values()) block = Math.max(block, last);
  return block;
}

export interface SubscriptionDeps {
  hub: ChangeHub;
  resolver: QueryResolver;
}

interface CollectionSubscriptionArgs {
  where?: Record<string, unknown> | null;
  orderBy?: string | null;
  orderDirection?: "asc" | "desc" | null;
  first?: number;
  initial?: boolean;
}

export function buildSubscriptionResolvers(deps: SubscriptionDeps): Record<string, unknown> {
  const { hub, resolver } = deps;
  const { store, apis } = resolver.deps;
  const fields: Record<string, unknown> = {};

  for (const api of apis.values()) {
    const entity = api.entity.name;

    fields[api.plural] = {
      // Not async: graphql-js awaits the result and reports a thrown error the same way as a rejection.
      subscribe: (_root: unknown, args: CollectionSubscriptionArgs, ctx: unknown) => {
        checkRange(resolver.deps.limits, args);
        const where = normalizeWhere(apis, entity, args.where, `${api.plural}(where)`);
        const first = args.first ?? 100;
        const order = { orderBy: args.orderBy, orderDirection: args.orderDirection };
        const changes = new PendingChanges(hub, entity);
        let since = -1;
        const initial = args.initial
          ? async (): Promise<SourceRecord[][]> => {
              const latest = await resolver.latest(requestState(ctx));
              if (!latest) return [[]];
              since = latest.blockNumber;
              const query = resolver.collectionQuery(entity, { ...order, where: args.where, first }, since);
              return [await resolver.find(requestState({}), query)];
            }
          : undefined;
        return changeIterator<SourceRecord[]>(
          changes,
          async (merged) => {
            const ids = [...merged].filter(([, e]) => e.last > since).map(([id]) => id);
            if (ids.length === 0) return [];
            const records = await findIds(store, entity, ids, where, lastBlock(merged), order);
            return records.length > 0 ? [records.slice(0, first)] : [];
          },
          initial,
        );
      },
      resolve: (payload: SourceRecord[]) => payload,
    };

    fields[api.changed] = {
      subscribe: (_root: unknown, args: { where?: Record<string, unknown> | null }) => {
        const where = normalizeWhere(apis, entity, args.where, `${api.changed}(where)`);
        const changes = new PendingChanges(hub, entity);
        return changeIterator<SourceRecord>(changes, (merged) =>
          findIds(store, entity, [...merged.keys()], where, lastBlock(merged)),
        );
      },
      resolve: (payload: SourceRecord) => payload,
    };
  }

  fields.entityChanged = {
    subscribe: (
      _root: unknown,
      args: { entity: string; where?: unknown; ids?: string[] | null },
      _ctx: unknown,
      info: GraphQLResolveInfo,
    ) => {
      const api = apis.get(args.entity);
      if (!api) {
        throw new GraphQLError(
          `Invalid value for argument "entity" of entityChanged: unknown entity type ${JSON.stringify(args.entity)}`,
          {
            extensions: { code: "BAD_USER_INPUT" },
          },
        );
      }
      let where: WhereFilter | undefined;
      if (args.where !== undefined && args.where !== null) {
        const filterType = info.schema.getType(`${args.entity}_filter`);
        if (!isInputObjectType(filterType)) throw new GraphQLError(`No filter type for ${args.entity}`);
        const coerced = coerceInputValue(args.where, filterType, (path, _value, error) => {
          const at = ["where", ...path].join(".");
          throw new GraphQLError(`Invalid value for entityChanged(${at}): ${error.message}`, {
            extensions: { code: "BAD_USER_INPUT" },
          });
        });
        where = normalizeWhere(apis, args.entity, coerced, "entityChanged(where)");
      }
      const ids = args.ids
        ? new Set(args.ids.map((id) => (api.entity.idType === "Bytes" ? id.toLowerCase() : id)))
        : undefined;
      const changes = new PendingChanges(hub, args.entity, ids);
      return changeIterator(changes, async (merged) => {
        const idList = [...merged.keys()];
        const after = lastBlock(merged);
        let firstBlock = Infinity;
        for (const { first } of merged.values()) firstBlock = Math.min(firstBlock, first);
        const before = firstBlock - 1;
        const existsAfter = new Set(
          (await findIds(store, args.entity, idList, undefined, after)).map((r) => String(r.id)),
        );
        const matchesAfter = where
          ? new Set((await findIds(store, args.entity, idList, where, after)).map((r) => String(r.id)))
          : existsAfter;
        const matchedBefore =
          before < 0
            ? new Set<string>()
            : new Set((await findIds(store, args.entity, idList, where, before)).map((r) => String(r.id)));
        const events = [];
        for (const [id, { last }] of merged) {
          const matches = matchesAfter.has(id);
          const matched = matchedBefore.has(id);
          if (where && !matches && !matched) continue;
          events.push({
            entity: args.entity,
            id,
            block: last,
            exists: existsAfter.has(id),
            matches,
            matchedBefore: matched,
          });
        }
        return events;
      });
    },
    resolve: (payload: unknown) => payload,
  };

  return fields;
}
