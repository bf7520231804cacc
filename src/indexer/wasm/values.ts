// Values across the boundary: entities (graph-ts `Entity`, a TypedMap<string, Value>) ↔ the store's records, ABI
// values ↔ `ethereum.Value`, JSON ↔ `JSONValue`. The kinds and payloads are graph-ts's (common/value.ts,
// chain/ethereum.ts): an enum-like `{ kind: i32, data: u64 }` whose data is a pointer or an inline number.

import type { EntityMeta, FieldMeta } from "../schema/model";
import type { EntityRecord, EntityValue } from "../store/types";
import { AscError, type AscHeap } from "./heap";
import { decimalToString, fromSignedLE, parseDecimal } from "./numbers";

/** graph-ts ValueKind (store values). */
export const StoreKind = {
  STRING: 0,
  INT: 1,
  BIGDECIMAL: 2,
  BOOL: 3,
  ARRAY: 4,
  NULL: 5,
  BYTES: 6,
  BIGINT: 7,
  INT8: 8,
  TIMESTAMP: 9,
} as const;
const STORE_KIND_NAMES = [
  "String",
  "Int",
  "BigDecimal",
  "Boolean",
  "Array",
  "Null",
  "Bytes",
  "BigInt",
  "Int8",
  "Timestamp",
];

/** graph-ts ethereum.ValueKind. */
export const EthereumKind = {
  ADDRESS: 0,
  FIXED_BYTES: 1,
  BYTES: 2,
  INT: 3,
  UINT: 4,
  BOOL: 5,
  STRING: 6,
  FIXED_ARRAY: 7,
  ARRAY: 8,
  TUPLE: 9,
} as const;

/** graph-ts JSONValueKind. */
export const JsonKind = { NULL: 0, BOOL: 1, NUMBER: 2, STRING: 3, ARRAY: 4, OBJECT: 5 } as const;

/** A mapping's data broke the schema (a deterministic error on graph-node). */
export class EntityDataError extends Error {
  override name = "EntityDataError";
}

/*//////////////////////////////////////////////////////////////
                              ENTITIES
//////////////////////////////////////////////////////////////*/

/** The store kind a field's (or a list item's) values have. */
export function storeKindOf(field: FieldMeta): number {
  if (field.kind === "enum") return StoreKind.STRING;
  switch (field.scalar) {
    case "ID":
    case "String":
      return StoreKind.STRING;
    case "Int":
      return StoreKind.INT;
    case "BigDecimal":
      return StoreKind.BIGDECIMAL;
    case "Boolean":
      return StoreKind.BOOL;
    case "Bytes":
      return StoreKind.BYTES;
    case "BigInt":
      return StoreKind.BIGINT;
    case "Int8":
      return StoreKind.INT8;
    case "Timestamp":
      return StoreKind.TIMESTAMP;
  }
}

function newDecimal(heap: AscHeap, text: string): number {
  const d = parseDecimal(text);
  return heap.newObject("BigDecimal", [heap.newBigInt(d.digits), heap.newBigInt(d.exp)]);
}

export function readDecimal(heap: AscHeap, ptr: number): { digits: bigint; exp: bigint } {
  return { digits: fromSignedLE(heap.bytesAt(heap.u32(ptr))), exp: fromSignedLE(heap.bytesAt(heap.u32(ptr + 4))) };
}

/**
 * Store values the host wrote before, kept as the bytes of their objects so that writing one again is a copy:
 * entities are loaded over and over with mostly the same values (a deal's terms in each of its events), and the
 * conversions (hex to bytes, bigint to two's complement, UTF-16) were much of the host's time. Per heap (class ids
 * are the module's), by kind, bounded.
 */
interface ValueChunk {
  bytes: Uint8Array;
  from: number;
  /** Offsets in `bytes` of the pointers into the chunk. */
  relocations: number[];
  /** The value object's offset in `bytes`. */
  value: number;
}
// Small on purpose: a deal's values repeat within the few hundred blocks of its life, and a cache that large pays
// back; at 50,000 per kind the chunks were ~40 MiB of heap and the backfill was slower (bench:indexer's chain,
// `accord index --no-follow` three times each: 9.6k events/s and 416–435 MiB peak RSS at 50,000, 10.8k events/s
// and 388–403 MiB at 4,096). When full, a kind's cache starts over.
const CHUNKS_PER_HEAP = 4096;
/** A heap's chunk caches, indexed by store kind (one WeakMap lookup per entity, not per value). */
type ChunkCaches = Map<EntityValue, ValueChunk>[];
const chunkCaches = new WeakMap<AscHeap, ChunkCaches>();

function chunkCachesOf(heap: AscHeap): ChunkCaches {
  let caches = chunkCaches.get(heap);
  if (!caches) {
    caches = [];
    for (const kind of [StoreKind.STRING, StoreKind.BYTES, StoreKind.BIGINT]) caches[kind] = new Map();
    chunkCaches.set(heap, caches);
  }
  return caches;
}

/** The pointers inside a value's objects: the value's payload, and a Uint8Array's buffer and dataStart. */
function chunkRelocations(heap: AscHeap, kind: number, valuePtr: number, from: number): number[] {
  const payload = valuePtr + 8;
  if (kind === StoreKind.STRING) return [payload - from];
  // BYTES, BIGINT: the value → a Uint8Array → its ArrayBuffer.
  const array = heap.u32(payload);
  return [payload - from, array - from, array + 4 - from];
}

function scalarToWasm(heap: AscHeap, kind: number, value: EntityValue, caches: ChunkCaches): number {
  const cache = caches[kind];
  if (cache === undefined) return buildScalar(heap, kind, value);
  const chunk = cache.get(value);
  if (chunk) return heap.copyObjects(chunk.bytes, chunk.from, chunk.relocations) + chunk.value;
  const from = heap.top();
  const ptr = buildScalar(heap, kind, value);
  if (cache.size >= CHUNKS_PER_HEAP) cache.clear();
  cache.set(value, {
    bytes: heap.bytesView().slice(from, heap.top()),
    from,
    relocations: chunkRelocations(heap, kind, ptr, from),
    value: ptr - from,
  });
  return ptr;
}

function buildScalar(heap: AscHeap, kind: number, value: EntityValue): number {
  switch (kind) {
    case StoreKind.STRING:
      return heap.newEnum("StoreValue", kind, heap.newString(value as string));
    case StoreKind.BYTES:
      return heap.newEnum("StoreValue", kind, heap.newHexBytes(value as string));
    case StoreKind.BIGINT:
      return heap.newEnum("StoreValue", kind, heap.newBigInt(BigInt(value as bigint)));
    case StoreKind.BIGDECIMAL:
      return heap.newEnum("StoreValue", kind, newDecimal(heap, String(value)));
    case StoreKind.INT:
      return heap.newEnum("StoreValue", kind, (value as number) | 0);
    case StoreKind.INT8:
    case StoreKind.TIMESTAMP:
      return heap.newEnum("StoreValue", kind, BigInt(value as number | bigint));
    case StoreKind.BOOL:
      return heap.newEnum("StoreValue", kind, value ? 1 : 0);
    default:
      throw new AscError(`no store value of kind ${kind}`);
  }
}

/** A value the host wrote: its kind, the record's value, and the memory its objects occupy, [from, to). */
interface HandedValue {
  kind: number;
  value: EntityValue;
  from: number;
  to: number;
}

/**
 * The entities the host handed the mapping during one trigger, so that a save takes the fields the mapping left
 * alone back as they were instead of decoding them again (the decoding was the largest single cost of the host on
 * Accord's mappings). Setting a field replaces its entry's value object and leaves the old one as it was; a save
 * trusts a value object only if its bytes (the object and its payload) are still exactly what the host wrote, so
 * a value changed in place is read back as it is.
 */
export class HandedValues {
  // Spans in the order the host wrote them (increasing addresses); values in each by increasing address.
  private readonly spans: { start: number; end: number; copy: Uint32Array; ptrs: number[]; values: HandedValue[] }[] =
    [];

  add(heap: AscHeap, start: number, end: number, ptrs: number[], values: HandedValue[]): void {
    // Block starts are ≡ 12 (mod 16): spans and values are whole 32-bit words.
    this.spans.push({ start, end, copy: heap.wordsView().slice(start >>> 2, end >>> 2), ptrs, values });
  }

  /** The value the host wrote at `valuePtr`, if its memory is unchanged. */
  find(heap: AscHeap, valuePtr: number): HandedValue | undefined {
    for (const span of this.spans) {
      if (valuePtr < span.start || valuePtr >= span.end) continue;
      let lo = 0;
      let hi = span.ptrs.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const at = span.ptrs[mid];
        if (at === valuePtr) {
          const handed = span.values[mid];
          const words = heap.wordsView();
          const base = span.start >>> 2;
          for (let w = handed.from >>> 2, end = handed.to >>> 2; w < end; w++) {
            if (words[w] !== span.copy[w - base]) return undefined;
          }
          return handed;
        }
        if (at < valuePtr) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    return undefined;
  }
}

/** A stored record as a graph-ts Entity. Null fields are left out, as graph-node's entities leave them out. */
/** Per entity type, its stored fields as entityToWasm walks them. */
interface Column {
  name: string;
  kind: number;
  list: boolean;
}
const columnsOf = new WeakMap<EntityMeta, Column[]>();

function columns(meta: EntityMeta): Column[] {
  let list = columnsOf.get(meta);
  if (!list) {
    list = meta.columns.map((field) => ({ name: field.name, kind: storeKindOf(field), list: field.list }));
    columnsOf.set(meta, list);
  }
  return list;
}

export function entityToWasm(heap: AscHeap, meta: EntityMeta, record: EntityRecord, handed?: HandedValues): number {
  const start = heap.top();
  const ptrs: number[] = [];
  const values: HandedValue[] = [];
  const entries: number[] = [];
  const nullValue = (): number => heap.newEnum("StoreValue", StoreKind.NULL, 0);
  const caches = chunkCachesOf(heap);
  for (const column of columns(meta)) {
    const value = record[column.name];
    if (value === null || value === undefined) continue;
    const kind = column.kind;
    const from = heap.top();
    let ptr: number;
    if (column.list) {
      const items = (value as EntityValue[]).map((item) =>
        item === null ? nullValue() : scalarToWasm(heap, kind, item, caches),
      );
      ptr = heap.newEnum("StoreValue", StoreKind.ARRAY, heap.newArray(items, "ArrayStoreValue"));
    } else ptr = scalarToWasm(heap, kind, value, caches);
    ptrs.push(ptr);
    values.push({ kind: column.list ? StoreKind.ARRAY : kind, value, from, to: heap.top() });
    entries.push(heap.newObject("TypedMapEntryStringStoreValue", [heap.stringPtr(column.name), ptr]));
  }
  const ptr = heap.newObject("TypedMapStringStoreValue", [
    heap.newArray(entries, "ArrayTypedMapEntryStringStoreValue"),
  ]);
  handed?.add(heap, start, heap.top(), ptrs, values);
  return ptr;
}

function describe(kind: number): string {
  return STORE_KIND_NAMES[kind] ?? `kind ${kind}`;
}

function fieldType(field: FieldMeta): string {
  const inner = field.list ? `[${field.type}${field.itemNonNull ? "!" : ""}]` : field.type;
  return field.nonNull ? `${inner}!` : inner;
}

function scalarFromWasm(heap: AscHeap, kind: number, payload: bigint, ptr: number): EntityValue {
  switch (kind) {
    case StoreKind.STRING:
      return heap.string(ptr);
    case StoreKind.BYTES:
      return heap.hex(ptr);
    case StoreKind.BIGINT:
      return fromSignedLE(heap.bytesAt(ptr));
    case StoreKind.BIGDECIMAL:
      return decimalToString(readDecimal(heap, ptr));
    case StoreKind.INT:
      return Number(BigInt.asIntN(32, payload));
    case StoreKind.INT8:
    case StoreKind.TIMESTAMP: {
      const v = BigInt.asIntN(64, payload);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case StoreKind.BOOL:
      return payload !== 0n;
    default:
      throw new AscError(`unknown store value kind ${kind}`);
  }
}

/**
 * A graph-ts Entity as the fields it sets (null: the field is unset), checked against the schema as graph-node
 * checks it: known, non-derived fields, each value of its field's type, enum values among the enum's.
 */
export function entityFromWasm(
  heap: AscHeap,
  meta: EntityMeta,
  ptr: number,
  id: string,
  handed?: HandedValues,
): EntityRecord {
  const record: EntityRecord = {};
  const entries = heap.array(heap.u32(ptr));
  const where = `Entity ${meta.name}[${id}]`;
  for (const entry of entries) {
    const name = heap.string(heap.u32(entry));
    const valuePtr = heap.u32(entry + 4);
    const field = meta.field(name);
    if (!field) throw new EntityDataError(`${where}: unknown field \`${name}\``);
    if (field.derivedFrom !== undefined) {
      throw new EntityDataError(`${where}: field \`${name}\` is derived and cannot be set`);
    }
    const unchanged = handed?.find(heap, valuePtr);
    if (
      unchanged !== undefined &&
      unchanged.kind === (field.list ? StoreKind.ARRAY : storeKindOf(field)) &&
      (field.kind !== "enum" || field.list || field.enumValues!.includes(unchanged.value as string))
    ) {
      record[name] = unchanged.value;
      continue;
    }
    const { kind, payload, ptr: payloadPtr } = heap.enumAt(valuePtr);
    if (kind === StoreKind.NULL) {
      record[name] = null;
      continue;
    }
    const expected = storeKindOf(field);
    const mismatch = (got: number): never => {
      throw new EntityDataError(
        `${where}: the value for field \`${name}\` must have type ${fieldType(field)} but has type ${describe(got)}`,
      );
    };
    let value: EntityValue;
    if (field.list) {
      if (kind !== StoreKind.ARRAY) mismatch(kind);
      value = heap.array(payloadPtr).map((itemPtr) => {
        const item = heap.enumAt(itemPtr);
        if (item.kind === StoreKind.NULL) {
          if (field.itemNonNull) {
            throw new EntityDataError(`${where}: field \`${name}\` (${fieldType(field)}) may not hold null items`);
          }
          return null;
        }
        if (item.kind !== expected) mismatch(item.kind);
        return scalarFromWasm(heap, item.kind, item.payload, item.ptr);
      });
    } else {
      if (kind !== expected) mismatch(kind);
      value = scalarFromWasm(heap, kind, payload, payloadPtr);
    }
    if (field.kind === "enum") {
      const values = field.list ? (value as EntityValue[]) : [value];
      for (const item of values) {
        if (item !== null && !field.enumValues!.includes(item as string)) {
          throw new EntityDataError(
            `${where}: the value \`${String(item)}\` for field \`${name}\` is not a value of enum ${field.type}`,
          );
        }
      }
    }
    record[name] = value;
  }
  return record;
}

/** Whether `record` sets every non-null field. */
export function hasRequired(meta: EntityMeta, record: EntityRecord): boolean {
  for (const field of meta.columns) {
    if (field.nonNull && (record[field.name] === null || record[field.name] === undefined)) return false;
  }
  return true;
}

/**
 * Whether a merged entity has every non-null field (graph-node rejects the save otherwise). With `only`, just
 * those fields: a save merged into a stored entity (valid already) can only lack the fields it unset.
 */
export function checkRequired(meta: EntityMeta, record: EntityRecord, id: string, only?: readonly string[]): void {
  for (const field of only ? only.map((name) => meta.field(name)!) : meta.columns) {
    const value = record[field.name];
    if (field.nonNull && (value === null || value === undefined)) {
      throw new EntityDataError(
        `Entity ${meta.name}[${id}]: missing value for non-nullable field \`${field.name}\` (${fieldType(field)})`,
      );
    }
  }
}

/** store.set/get take the id as a string: Bytes ids as 0x-hex (any case), Int8 ids as decimal. */
export function normalizeIdText(meta: EntityMeta, id: string): string {
  if (meta.idType === "Bytes") return id.toLowerCase();
  return id;
}

/*//////////////////////////////////////////////////////////////
                              ETHEREUM
//////////////////////////////////////////////////////////////*/

/** An ABI parameter, as in the JSON ABI. */
export interface AbiParam {
  name?: string;
  type: string;
  components?: readonly AbiParam[];
  indexed?: boolean;
}

const ARRAY_SUFFIX = /^(.*)\[(\d*)\]$/;

function hexBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  const text = String(value);
  return Buffer.from(text.startsWith("0x") ? text.slice(2) : text, "hex");
}

/** A decoded ABI value as an ethereum.Value: addresses, byte strings and numbers as graph-node gives them. */
export function ethereumValueToWasm(heap: AscHeap, param: AbiParam, value: unknown): number {
  const arrayMatch = ARRAY_SUFFIX.exec(param.type);
  if (arrayMatch) {
    const item: AbiParam = { type: arrayMatch[1], components: param.components };
    const items = (value as unknown[]).map((v) => ethereumValueToWasm(heap, item, v));
    const kind = arrayMatch[2] === "" ? EthereumKind.ARRAY : EthereumKind.FIXED_ARRAY;
    return heap.newEnum("EthereumValue", kind, heap.newArray(items, "ArrayEthereumValue"));
  }
  const type = param.type;
  if (type === "tuple") {
    const components = param.components ?? [];
    const values = Array.isArray(value)
      ? (value as unknown[])
      : components.map((c) => (value as Record<string, unknown>)[c.name ?? ""]);
    const items = components.map((c, i) => ethereumValueToWasm(heap, c, values[i]));
    return heap.newEnum("EthereumValue", EthereumKind.TUPLE, heap.newArray(items, "ArrayEthereumValue"));
  }
  if (type === "address") return heap.newEnum("EthereumValue", EthereumKind.ADDRESS, heap.newBytes(hexBytes(value)));
  if (type === "bool") return heap.newEnum("EthereumValue", EthereumKind.BOOL, value ? 1 : 0);
  if (type === "string") return heap.newEnum("EthereumValue", EthereumKind.STRING, heap.newString(String(value)));
  if (type === "bytes") return heap.newEnum("EthereumValue", EthereumKind.BYTES, heap.newBytes(hexBytes(value)));
  if (type.startsWith("bytes")) {
    return heap.newEnum("EthereumValue", EthereumKind.FIXED_BYTES, heap.newBytes(hexBytes(value)));
  }
  if (type.startsWith("uint") || type.startsWith("int")) {
    const kind = type.startsWith("uint") ? EthereumKind.UINT : EthereumKind.INT;
    return heap.newEnum("EthereumValue", kind, heap.newBigInt(BigInt(value as bigint)));
  }
  throw new AscError(`ABI type ${type} has no ethereum.Value`);
}

/** An ethereum.Value as a JavaScript value and its ABI type (what ethereum.encode needs). */
export function ethereumValueFromWasm(heap: AscHeap, ptr: number): { type: string; value: unknown } {
  const { kind, payload, ptr: data } = heap.enumAt(ptr);
  switch (kind) {
    case EthereumKind.ADDRESS:
      return { type: "address", value: heap.hex(data) };
    case EthereumKind.FIXED_BYTES: {
      const bytes = heap.bytesAt(data);
      return { type: `bytes${bytes.length}`, value: heap.hex(data) };
    }
    case EthereumKind.BYTES:
      return { type: "bytes", value: heap.hex(data) };
    case EthereumKind.INT:
      return { type: "int256", value: fromSignedLE(heap.bytesAt(data)) };
    case EthereumKind.UINT:
      return { type: "uint256", value: fromSignedLE(heap.bytesAt(data)) };
    case EthereumKind.BOOL:
      return { type: "bool", value: payload !== 0n };
    case EthereumKind.STRING:
      return { type: "string", value: heap.string(data) };
    case EthereumKind.FIXED_ARRAY:
    case EthereumKind.ARRAY: {
      const items = heap.array(data).map((item) => ethereumValueFromWasm(heap, item));
      if (items.length === 0) {
        if (kind === EthereumKind.FIXED_ARRAY) throw new AscError("cannot encode an empty fixed array");
        // An empty array's item type is unknown; every type encodes an empty dynamic array the same way.
        return { type: "uint256[]", value: [] };
      }
      const suffix = kind === EthereumKind.ARRAY ? "[]" : `[${items.length}]`;
      return { type: `${items[0].type}${suffix}`, value: items.map((i) => i.value) };
    }
    case EthereumKind.TUPLE: {
      const items = heap.array(data).map((item) => ethereumValueFromWasm(heap, item));
      return { type: `(${items.map((i) => i.type).join(",")})`, value: items.map((i) => i.value) };
    }
    default:
      throw new AscError(`unknown ethereum.Value kind ${kind}`);
  }
}

/*//////////////////////////////////////////////////////////////
                                JSON
//////////////////////////////////////////////////////////////*/

/** A parsed JSON value (numbers kept as their source text, as graph-node keeps them). */
export type JsonTree = null | boolean | { number: string } | string | JsonTree[] | { object: [string, JsonTree][] };

export function jsonToWasm(heap: AscHeap, value: JsonTree): number {
  if (value === null) return heap.newEnum("JsonValue", JsonKind.NULL, 0);
  if (typeof value === "boolean") return heap.newEnum("JsonValue", JsonKind.BOOL, value ? 1 : 0);
  if (typeof value === "string") return heap.newEnum("JsonValue", JsonKind.STRING, heap.newString(value));
  if (Array.isArray(value)) {
    const items = value.map((item) => jsonToWasm(heap, item));
    return heap.newEnum("JsonValue", JsonKind.ARRAY, heap.newArray(items, "ArrayJsonValue"));
  }
  if ("number" in value) return heap.newEnum("JsonValue", JsonKind.NUMBER, heap.newString(value.number));
  const entries = value.object.map(([key, item]) =>
    heap.newObject("TypedMapEntryStringJsonValue", [heap.newString(key), jsonToWasm(heap, item)]),
  );
  const map = heap.newObject("TypedMapStringJsonValue", [heap.newArray(entries, "ArrayTypedMapEntryStringJsonValue")]);
  return heap.newEnum("JsonValue", JsonKind.OBJECT, map);
}

/*//////////////////////////////////////////////////////////////
                        DATA SOURCE CONTEXT
//////////////////////////////////////////////////////////////*/

/** One entry of a data source's `context:` in the manifest, as a store value. */
export interface ContextEntry {
  key: string;
  kind: number;
  value: EntityValue;
}

/** A DataSourceContext (an Entity of the manifest's context entries). */
export function contextToWasm(heap: AscHeap, entries: readonly ContextEntry[]): number {
  const caches = chunkCachesOf(heap);
  const ptrs = entries.map((entry) =>
    heap.newObject("TypedMapEntryStringStoreValue", [
      heap.newString(entry.key),
      entry.kind === StoreKind.NULL
        ? heap.newEnum("StoreValue", StoreKind.NULL, 0)
        : scalarToWasm(heap, entry.kind, entry.value, caches),
    ]),
  );
  return heap.newObject("TypedMapStringStoreValue", [heap.newArray(ptrs, "ArrayTypedMapEntryStringStoreValue")]);
}
