// A StoreReader wrapper that records every call (so tests can check what reached the store) and can delay or
// fail them; wraps the real SQL store the same way the fake store records itself.

import type { Checkpoint, EntityQuery, EntityRecord, StoreReader } from "../../src/indexer/store/types";
import type { ChildQuery } from "../../src/indexer/store/filter";
import { andWhere } from "../../src/server/filters";
import type { ProjectingStore } from "../../src/server/resolvers";

/** The SQL store's reads beyond StoreReader: a projection, and nested lists for many parents at once. */
type Projecting = ProjectingStore;

export interface StoreCall {
  method: "get" | "find" | "findByParents" | "checkpoint";
  args: unknown;
  /** The fields the call asked for (a projection hint), kept apart from what the tests compare. */
  select?: readonly string[];
  /** The references whose existence the call asked for (ProjectedQuery.exists), also apart. */
  exists?: readonly string[];
  /** The child lists a get() read in its statement (the SQL store's `children`). */
  children?: ChildQuery[];
}

/** A find() call as recorded: the query without its `select`, which goes beside it. */
export function findCall(query: EntityQuery & { select?: readonly string[]; exists?: readonly string[] }): StoreCall {
  const { select, exists, ...rest } = query;
  return {
    method: "find",
    args: structuredClone(rest),
    ...(select ? { select: [...select] } : {}),
    ...(exists?.length ? { exists: [...exists] } : {}),
  };
}

/** What the tests need of a store: the reader, plus call recording and fault injection. */
export interface SpyStore extends StoreReader {
  calls: StoreCall[];
  delayMs: number;
  failWith?: Error;
  finds(entity?: string): EntityQuery[];
  resetCalls(): void;
  blockHashes(fromBlock: number): Promise<Map<number, string>>;
}

export class Recorder implements SpyStore {
  calls: StoreCall[] = [];
  delayMs = 0;
  failWith?: Error;

  constructor(private readonly inner: StoreReader & { blockHashes(fromBlock: number): Promise<Map<number, string>> }) {}

  private async pause(): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }

  async get(
    entity: string,
    id: string,
    block?: number,
    select?: readonly string[],
    exists?: readonly string[],
    children?: readonly ChildQuery[],
  ): Promise<EntityRecord | null> {
    this.calls.push({
      method: "get",
      args: { entity, id, block },
      ...(select ? { select: [...select] } : {}),
      ...(exists?.length ? { exists: [...exists] } : {}),
      ...(children?.length ? { children: structuredClone([...children]) } : {}),
    });
    await this.pause();
    return (this.inner as Projecting).get(entity, id, block, select, exists, children);
  }

  async find(query: EntityQuery): Promise<EntityRecord[]> {
    this.calls.push(findCall(query));
    await this.pause();
    return this.inner.find(query);
  }

  /** Present when the wrapped store batches nested lists (the SQL store). */
  get findByParents(): Projecting["findByParents"] {
    const store = this.inner as Projecting;
    if (typeof store.findByParents !== "function") return undefined;
    return async (query, link, parents) => {
      const { select, exists, ...rest } = query as EntityQuery & {
        select?: readonly string[];
        exists?: readonly string[];
      };
      this.calls.push({
        method: "findByParents",
        args: { query: structuredClone(rest), link, parents: [...parents] },
        ...(select ? { select: [...select] } : {}),
        ...(exists?.length ? { exists: [...exists] } : {}),
      });
      await this.pause();
      return store.findByParents!(query, link, parents);
    };
  }

  async checkpoint(): Promise<Checkpoint | null> {
    this.calls.push({ method: "checkpoint", args: undefined });
    return this.inner.checkpoint();
  }

  blockHashes(fromBlock: number): Promise<Map<number, string>> {
    return this.inner.blockHashes(fromBlock);
  }

  /** The finds, in order, with a get's child lists as the finds they stand for (linked to the entity, at its block). */
  finds(entity?: string): EntityQuery[] {
    return this.calls
      .flatMap((c): EntityQuery[] => {
        if (c.method === "find") return [c.args as EntityQuery];
        if (c.method !== "get" || !c.children) return [];
        const { id, block } = c.args as { id: string; block?: number };
        return c.children.map(({ query: { select: _select, exists: _exists, ...query }, link }) => ({
          ...query,
          where: andWhere(query.where, { [link]: id }),
          block,
        }));
      })
      .filter((q) => !entity || q.entity === entity);
  }

  resetCalls(): void {
    this.calls = [];
  }
}
