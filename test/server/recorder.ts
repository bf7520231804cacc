// A StoreReader wrapper that records every call (so tests can check what reached the store) and can delay or
// fail them; wraps the real SQL store the same way the fake store records itself.

import type { Checkpoint, EntityQuery, EntityRecord, StoreReader } from "../../src/indexer/store/types";

export interface StoreCall {
  method: "get" | "find" | "checkpoint";
  args: unknown;
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

  async get(entity: string, id: string, block?: number): Promise<EntityRecord | null> {
    this.calls.push({ method: "get", args: { entity, id, block } });
    await this.pause();
    return this.inner.get(entity, id, block);
  }

  async find(query: EntityQuery): Promise<EntityRecord[]> {
    this.calls.push({ method: "find", args: structuredClone(query) });
    await this.pause();
    return this.inner.find(query);
  }

  async checkpoint(): Promise<Checkpoint | null> {
    this.calls.push({ method: "checkpoint", args: undefined });
    return this.inner.checkpoint();
  }

  blockHashes(fromBlock: number): Promise<Map<number, string>> {
    return this.inner.blockHashes(fromBlock);
  }

  finds(entity?: string): EntityQuery[] {
    return this.calls
      .filter((c) => c.method === "find" && (!entity || (c.args as EntityQuery).entity === entity))
      .map((c) => c.args as EntityQuery);
  }

  resetCalls(): void {
    this.calls = [];
  }
}
