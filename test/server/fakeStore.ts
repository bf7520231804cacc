// An in-memory StoreReader with block-range versioning and The Graph's filter semantics, enough to test the API:
// it records every call, so tests can check what reached the store, and answers like the real store would.

import type { Checkpoint, EntityQuery, EntityRecord, EntityValue, WhereFilter } from "../../src/indexer/store/types";
import type { EntityMeta, EntityModel } from "../../src/server/entities";
import { findCall, type SpyStore, type StoreCall } from "./recorder";

interface Version {
  record: EntityRecord;
  from: number;
  to: number;
}

const OPS = [
  "not_contains_nocase",
  "not_starts_with_nocase",
  "not_ends_with_nocase",
  "contains_nocase",
  "starts_with_nocase",
  "ends_with_nocase",
  "not_contains",
  "not_starts_with",
  "not_ends_with",
  "not_in",
  "contains",
  "starts_with",
  "ends_with",
  "not",
  "gte",
  "lte",
  "gt",
  "lt",
  "in",
];

function cmp(a: EntityValue, b: unknown): number {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "bigint" || typeof b === "bigint") {
    const x = BigInt(a as bigint | number | string);
    const y = BigInt(b as bigint | number | string);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean") return Number(a) - Number(b);
  const x = String(a);
  // A filter value compared here is a scalar (a list value is compared element by element, in eq).
  const scalar = b as string | number | boolean;
  const y = String(scalar);
  return x < y ? -1 : x > y ? 1 : 0;
}

const eq = (a: EntityValue, b: unknown): boolean =>
  Array.isArray(a) ? Array.isArray(b) && a.length === b.length && a.every((v, i) => eq(v, b[i])) : cmp(a, b) === 0;

export class FakeStore implements SpyStore {
  private readonly versions = new Map<string, Version[]>();
  private cp: Checkpoint | null = null;
  readonly hashes = new Map<number, string>();
  calls: StoreCall[] = [];
  /** Delay (ms) added to every get/find, to test timeouts. */
  delayMs = 0;
  /** When set, get/find throw it. */
  failWith?: Error;

  constructor(readonly model: EntityModel) {}

  // ---- writes (what the indexer's batches would do) ----

  set(entity: string, record: EntityRecord, block: number): void {
    const list = this.versions.get(entity) ?? this.versions.set(entity, []).get(entity)!;
    const current = list.find((v) => v.record.id === record.id && v.to === Infinity);
    if (current) current.to = block;
    list.push({ record: { ...record }, from: block, to: Infinity });
  }

  remove(entity: string, id: string, block: number): void {
    const current = this.versions.get(entity)?.find((v) => v.record.id === id && v.to === Infinity);
    if (current) current.to = block;
  }

  commit(blockNumber: number, timestamp = 1_700_000_000 + blockNumber): Checkpoint {
    const blockHash = `0x${blockNumber.toString(16).padStart(64, "0")}`;
    this.hashes.set(blockNumber, blockHash);
    this.cp = { blockNumber, blockHash, timestamp };
    return this.cp;
  }

  blockHashes(fromBlock: number): Promise<Map<number, string>> {
    return Promise.resolve(new Map([...this.hashes].filter(([n]) => n >= fromBlock)));
  }

  // ---- StoreReader ----

  checkpoint(): Promise<Checkpoint | null> {
    this.calls.push({ method: "checkpoint", args: undefined });
    return Promise.resolve(this.cp);
  }

  /** `select` is recorded, not applied: every field is returned. */
  async get(entity: string, id: string, block?: number, select?: readonly string[]): Promise<EntityRecord | null> {
    this.calls.push({ method: "get", args: { entity, id, block }, ...(select ? { select: [...select] } : {}) });
    await this.pause();
    return this.visible(entity, block).find((r) => r.id === id) ?? null;
  }

  async find(query: EntityQuery): Promise<EntityRecord[]> {
    this.calls.push(findCall(query));
    await this.pause();
    const meta = this.meta(query.entity);
    let rows = this.visibleVersions(query.entity, query.block).filter((v) =>
      this.matches(meta, v, query.where ?? {}, query.block),
    );
    const orderBy = query.orderBy ?? "id";
    const dir = query.orderDirection === "desc" ? -1 : 1;
    const key = (v: Version): EntityValue => {
      const [field, child] = orderBy.split("__");
      const value = v.record[field];
      if (!child) return value;
      const target = meta.field(field)!.type;
      return this.visible(target, query.block).find((r) => r.id === value)?.[child] ?? null;
    };
    rows = rows.sort((a, b) => dir * cmp(key(a), key(b)) || cmp(a.record.id, b.record.id));
    const skip = query.skip ?? 0;
    const first = query.first ?? 100;
    return rows.slice(skip, skip + first).map((v) => ({ ...v.record }));
  }

  // ---- helpers ----

  private async pause(): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
  }

  private meta(entity: string): EntityMeta {
    const meta = this.model.entity(entity);
    if (!meta) throw new Error(`fake store: unknown entity ${entity}`);
    return meta;
  }

  private visibleVersions(entity: string, block?: number): Version[] {
    const list = this.versions.get(entity) ?? [];
    if (block === undefined) return list.filter((v) => v.to === Infinity);
    return list.filter((v) => v.from <= block && block < v.to);
  }

  private visible(entity: string, block?: number): EntityRecord[] {
    return this.visibleVersions(entity, block).map((v) => v.record);
  }

  private matches(meta: EntityMeta, version: Version, where: WhereFilter, block?: number): boolean {
    const record = version.record;
    for (const [key, value] of Object.entries(where)) {
      if (key === "and") {
        if (!(value as WhereFilter[]).every((w) => this.matches(meta, version, w, block))) return false;
        continue;
      }
      if (key === "or") {
        if (!(value as WhereFilter[]).some((w) => this.matches(meta, version, w, block))) return false;
        continue;
      }
      if (key === "_change_block") {
        if (version.from < (value as { number_gte: number }).number_gte) return false;
        continue;
      }
      if (key.endsWith("_")) {
        const field = meta.field(key.slice(0, -1))!;
        const child = this.meta(field.type);
        const candidates = this.visibleVersions(field.type, block);
        let hit: boolean;
        if (field.derivedFrom) {
          const back = child.field(field.derivedFrom)!;
          hit = candidates.some(
            (c) =>
              (back.list
                ? (c.record[back.name] as EntityValue[]).includes(record.id)
                : c.record[back.name] === record.id) && this.matches(child, c, value as WhereFilter, block),
          );
        } else {
          const ids = field.list ? ((record[field.name] as EntityValue[]) ?? []) : [record[field.name]];
          hit = candidates.some(
            (c) => ids.includes(c.record.id) && this.matches(child, c, value as WhereFilter, block),
          );
        }
        if (!hit) return false;
        continue;
      }
      const op = OPS.find((o) => key.endsWith(`_${o}`) && meta.field(key.slice(0, -o.length - 1)));
      const fieldName = op ? key.slice(0, -op.length - 1) : key;
      const field = meta.field(fieldName);
      if (!field) throw new Error(`fake store: unknown filter ${key} on ${meta.name}`);
      if (!this.test(record[fieldName] ?? null, op ?? "", value, field.list)) return false;
    }
    return true;
  }

  private test(actual: EntityValue, op: string, value: unknown, list: boolean): boolean {
    const nocase = op.endsWith("_nocase");
    const base = nocase ? op.slice(0, -7) : op;
    // Bytes (0x hex) match as bytes: substrings compare without the 0x prefix.
    const hex =
      typeof actual === "string" && actual.startsWith("0x") && typeof value === "string" && value.startsWith("0x");
    const norm = (v: unknown): string => {
      const text = nocase ? String(v).toLowerCase() : String(v);
      return hex ? text.slice(2) : text;
    };
    switch (base) {
      case "":
        return value === null ? actual === null : eq(actual, value);
      case "not":
        return value === null ? actual !== null : !eq(actual, value);
      case "gt":
        return actual !== null && cmp(actual, value) > 0;
      case "gte":
        return actual !== null && cmp(actual, value) >= 0;
      case "lt":
        return actual !== null && cmp(actual, value) < 0;
      case "lte":
        return actual !== null && cmp(actual, value) <= 0;
      case "in":
        return (value as unknown[]).some((v) => eq(actual, v));
      case "not_in":
        return !(value as unknown[]).some((v) => eq(actual, v));
      case "contains":
      case "not_contains": {
        let hit: boolean;
        if (list) hit = (value as unknown[]).every((v) => ((actual as EntityValue[]) ?? []).some((a) => eq(a, v)));
        else hit = actual !== null && norm(actual).includes(norm(value));
        return base === "contains" ? hit : !hit;
      }
      case "starts_with":
        return actual !== null && norm(actual).startsWith(norm(value));
      case "not_starts_with":
        return actual !== null && !norm(actual).startsWith(norm(value));
      case "ends_with":
        return actual !== null && norm(actual).endsWith(norm(value));
      case "not_ends_with":
        return actual !== null && !norm(actual).endsWith(norm(value));
    }
    throw new Error(`fake store: unknown operator ${op}`);
  }

  /** The find() queries recorded since the last reset, for an entity. */
  finds(entity?: string): EntityQuery[] {
    return this.calls
      .filter((c) => c.method === "find" && (!entity || (c.args as EntityQuery).entity === entity))
      .map((c) => c.args as EntityQuery);
  }

  resetCalls(): void {
    this.calls = [];
  }
}
