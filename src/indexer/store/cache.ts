// The committed state of recently used entities (their open versions), kept across batches so the handlers'
// reads rarely reach the database. Bounded (LRU); updated only after a commit; cleared on rollback.

import type { IdFilter } from "./id-filter";
import type { EntityRecord } from "./types";

export interface CachedEntity {
  /** block_from of the open version, or null when the entity has no open version (absent or removed). */
  blockFrom: number | null;
  record: EntityRecord | null;
}

export class EntityCache {
  private readonly map = new Map<string, CachedEntity>();
  /** Per entity type, the ids its table may hold (id-filter.ts), once a read missed on that type. */
  readonly filters = new Map<string, IdFilter>();

  constructor(private readonly capacity: number) {}

  static key(entity: string, id: string): string {
    return `${entity}\u0000${id}`;
  }

  get(key: string): CachedEntity | undefined {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, value: CachedEntity): void {
    if (this.capacity <= 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }

  clear(): void {
    this.map.clear();
    this.filters.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
