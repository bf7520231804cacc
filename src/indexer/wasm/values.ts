// Values across the boundary: entities (graph-ts `Entity`, a TypedMap<string, Value>) ↔ the store's records, ABI
// values ↔ `ethereum.Value`, JSON ↔ `JSONValue`. The kinds and payloads are graph-ts's (common/value.ts,
// chain/ethereum.ts): an enum-like `{ kind: i32, data: u64 }` whose data is a pointer or an inline number.

import type { EntityMeta, FieldMeta } from "../schema/model";
import type { EntityRecord, EntityValue } from "../store/types";
import { AscError, type AscHeap } from "./heap";
import { decimalToString, parseDecimal } from "./numbers";

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
  return { digits: heap.bigIntAt(heap.u32(ptr)), exp: heap.bigIntAt(heap.u32(ptr + 4)) };
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

interface HandedSpan {
  start: number;
  end: number;
  /** The span's words as the host wrote them. */
  copy: Uint32Array;
  /** Where the span's objects are minus where `ptrs` and `values` say they are (an entity image's copy). */
  delta: number;
  /** The value objects' addresses (ascending), and what each holds. */
  ptrs: readonly number[];
  values: readonly HandedValue[];
}

/**
 * The entities the host handed the mapping during one trigger, so that a save takes the fields the mapping left
 * alone back as they were instead of decoding them again (the decoding was the largest single cost of the host on
 * Accord's mappings). Setting a field replaces its entry's value object and leaves the old one as it was; a save
 * trusts a value object only if its bytes (the object and its payload) are still exactly what the host wrote, so
 * a value changed in place is read back as it is.
 */
export class HandedValues {
  // Spans in the order the host wrote them (increasing addresses).
  private readonly spans: HandedSpan[] = [];
  /**
   * The spans' copies, in one buffer that every trigger reuses (a trigger's HandedValues is done with when the
   * next one begins): a typed array per span meant an off-heap allocation per load, a measurable share of the GC.
   */
  private static scratch = new Uint32Array(1 << 16);
  /** Counts instances: only the newest may use the scratch. */
  private static generation = 0;
  private readonly generation = ++HandedValues.generation;
  private used = 0;

  add(
    heap: AscHeap,
    start: number,
    end: number,
    ptrs: readonly number[],
    values: readonly HandedValue[],
    delta = 0,
  ): void {
    if (this.generation !== HandedValues.generation) throw new AscError("handed values of a finished trigger");
    // Block starts are ≡ 12 (mod 16): spans and values are whole 32-bit words.
    const words = (end - start) >>> 2;
    if (this.used + words > HandedValues.scratch.length) {
      const grown = new Uint32Array(Math.max(HandedValues.scratch.length * 2, this.used + words));
      grown.set(HandedValues.scratch.subarray(0, this.used));
      HandedValues.scratch = grown;
      for (const span of this.spans)
        span.copy = grown.subarray(span.copy.byteOffset >>> 2, (span.copy.byteOffset >>> 2) + span.copy.length);
    }
    const copy = HandedValues.scratch.subarray(this.used, this.used + words);
    copy.set(heap.wordsView().subarray(start >>> 2, end >>> 2));
    this.used += words;
    this.spans.push({ start, end, copy, delta, ptrs, values });
  }

  /** The value the host wrote at `valuePtr`, if its memory is unchanged. */
  find(heap: AscHeap, valuePtr: number): HandedValue | undefined {
    if (this.generation !== HandedValues.generation) return undefined;
    for (const span of this.spans) {
      if (valuePtr < span.start || valuePtr >= span.end) continue;
      const target = valuePtr - span.delta;
      let lo = 0;
      let hi = span.ptrs.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const at = span.ptrs[mid];
        if (at === target) {
          const handed = span.values[mid];
          const words = heap.wordsView();
          const base = span.start >>> 2;
          for (let w = (handed.from + span.delta) >>> 2, end = (handed.to + span.delta) >>> 2; w < end; w++) {
            if (words[w] !== span.copy[w - base]) return undefined;
          }
          return handed;
        }
        if (at < target) lo = mid + 1;
        else hi = mid - 1;
      }
      return undefined;
    }
    return undefined;
  }
}

/**
 * A record as the host last built its graph-ts Entity: the objects' bytes, taken at `from`, with the offsets of
 * the words that point inside them, so that handing the record out again is one copy and a pointer shift per word
 * instead of ~4 allocations and a conversion per field (a Deal has 40 fields and every DealMarket event loads it).
 * A save that changes a few fields of a record that has an image gives the merged record an image too: the old
 * bytes, the new values appended and their entries pointed at them (see carryImage).
 */
interface EntityImage {
  /** A view of the heap's image arena. */
  bytes: Uint8Array;
  offset: number;
  from: number;
  /** Offsets of the pointer words: those of the image it was carried from (shared), and its own. */
  relocations: readonly number[];
  more: readonly number[];
  /** The TypedMap's address (as at `from`). */
  map: number;
  /** The value objects' addresses (ascending) and their values, as HandedValues takes them. */
  ptrs: number[];
  values: HandedValue[];
  /** Field name → the offset in `bytes` of its entry's value pointer. */
  entryValues: Map<string, number>;
  /** The size of the image when it was built in one piece (carried images grow by what they append). */
  built: number;
}

/**
 * A heap's images, their bytes in one arena (an allocation per image was a measurable share of the GC): regions
 * are bumped off it, and when it is full the cache starts over. Bounded memory, whatever the entities.
 */
class ImageCache {
  readonly arena = new Uint8Array(IMAGE_ARENA_BYTES);
  readonly words = new Uint32Array(this.arena.buffer);
  readonly images = new Map<EntityRecord, EntityImage>();
  private top = 0;

  /** A region of `size` bytes (a multiple of 16), or undefined when the arena had to start over (or is too small). */
  reserve(size: number): number | undefined {
    if (this.top + size <= this.arena.length) {
      const at = this.top;
      this.top += size;
      return at;
    }
    this.images.clear();
    this.top = 0;
    return undefined;
  }
}

/**
 * 8 MiB: ~1,500 Deal images (~5 KiB built; carried ones grow). bench:indexer's chain, `accord index --no-follow`
 * twice each: 3,637–3,875 events/s and 392–401 MiB peak RSS at 8 MiB, 3,688–3,872 and 424 MiB at 24 MiB,
 * 3,501–3,715 and 380–404 MiB with no images (a machine on which the baseline 6d43a4d ran 6,446).
 */
const IMAGE_ARENA_BYTES = 8 << 20;
/** A carried image may grow to this multiple of its built size before the next load builds it afresh. */
const MAX_IMAGE_GROWTH = 3;
const imageCaches = new WeakMap<AscHeap, ImageCache>();

function imagesOf(heap: AscHeap): ImageCache {
  let cache = imageCaches.get(heap);
  if (!cache) imageCaches.set(heap, (cache = new ImageCache()));
  return cache;
}

/**
 * The addresses of the words inside the store value at `valuePtr` that point into [start, end) (its payload, a
 * Uint8Array's buffer and dataStart, a BigDecimal's parts, an array's items), appended to `out`.
 */
function valuePointers(heap: AscHeap, valuePtr: number, start: number, end: number, out: number[]): void {
  // Plain functions, not closures: this runs for every value of every image built or carried.
  switch (heap.i32(valuePtr)) {
    case StoreKind.STRING:
      pointerAt(heap, valuePtr + 8, start, end, out);
      return;
    case StoreKind.BYTES:
    case StoreKind.BIGINT:
      bytesPointers(heap, pointerAt(heap, valuePtr + 8, start, end, out), start, end, out);
      return;
    case StoreKind.BIGDECIMAL: {
      const decimal = pointerAt(heap, valuePtr + 8, start, end, out);
      bytesPointers(heap, pointerAt(heap, decimal, start, end, out), start, end, out);
      bytesPointers(heap, pointerAt(heap, decimal + 4, start, end, out), start, end, out);
      return;
    }
    case StoreKind.ARRAY: {
      const array = pointerAt(heap, valuePtr + 8, start, end, out);
      const buffer = pointerAt(heap, array, start, end, out);
      pointerAt(heap, array + 4, start, end, out);
      const length = heap.i32(array + 12);
      for (let i = 0; i < length; i++) {
        valuePointers(heap, pointerAt(heap, buffer + i * 4, start, end, out), start, end, out);
      }
      return;
    }
    default:
      return; // inline payloads
  }
}

/** The pointer at `word`; `word` goes to `out` when the pointer is inside [start, end). */
function pointerAt(heap: AscHeap, word: number, start: number, end: number, out: number[]): number {
  const target = heap.u32(word);
  if (target >= start && target < end) out.push(word);
  return target;
}

/** A Uint8Array object's buffer and dataStart words (see pointerAt). */
function bytesPointers(heap: AscHeap, ptr: number, start: number, end: number, out: number[]): void {
  pointerAt(heap, ptr, start, end, out);
  pointerAt(heap, ptr + 4, start, end, out);
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
  const cache = imagesOf(heap);
  const image = cache.images.get(record);
  if (image) {
    const at = heap.copyObjects(image.bytes, image.from, image.relocations, image.more);
    const delta = at - image.from;
    handed?.add(heap, at, at + image.bytes.length, image.ptrs, image.values, delta);
    return image.map + delta;
  }
  const start = heap.top();
  const ptrs: number[] = [];
  const values: HandedValue[] = [];
  const entries: number[] = [];
  const entryNames: string[] = [];
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
    entryNames.push(column.name);
  }
  const entryArray = heap.newArray(entries, "ArrayTypedMapEntryStringStoreValue");
  const ptr = heap.newObject("TypedMapStringStoreValue", [entryArray]);
  const end = heap.top();
  handed?.add(heap, start, end, ptrs, values);
  // The image: every pointer word that points inside [start, end).
  const words: number[] = [];
  for (const valuePtr of ptrs) valuePointers(heap, valuePtr, start, end, words);
  const entryValues = new Map<string, number>();
  for (let i = 0; i < entries.length; i++) {
    if (heap.u32(entries[i]) >= start) words.push(entries[i]); // a key the host could not intern
    words.push(entries[i] + 4);
    entryValues.set(entryNames[i], entries[i] + 4 - start);
  }
  const buffer = heap.u32(entryArray);
  words.push(entryArray, entryArray + 4, ptr);
  for (let i = 0; i < entries.length; i++) words.push(buffer + i * 4);
  const offset = cache.reserve(end - start);
  if (offset !== undefined) {
    const bytes = cache.arena.subarray(offset, offset + end - start);
    bytes.set(heap.bytesView().subarray(start, end));
    cache.images.set(record, {
      bytes,
      offset,
      from: start,
      relocations: words.map((w) => w - start),
      more: [],
      map: ptr,
      ptrs,
      values,
      entryValues,
      built: end - start,
    });
  }
  return ptr;
}

/** Store kinds whose values carryImage appends (the others are rebuilt by the next load). */
const CARRIED_KINDS = new Set<number>([
  StoreKind.STRING,
  StoreKind.BYTES,
  StoreKind.BIGINT,
  StoreKind.INT,
  StoreKind.BOOL,
  StoreKind.INT8,
  StoreKind.TIMESTAMP,
]);

/**
 * After a save merged `changes` (no unset fields) into `base`, giving `merged`: an image for `merged` from the
 * image of `base` when it has one and every change replaces a scalar field it holds. The new values are built at
 * the heap's top (the trigger's memory, reset after it), appended to a copy of the bytes, and their entries
 * pointed at them; the old values stay in the image, unreferenced, until it outgrows MAX_IMAGE_GROWTH.
 * Within a host call only.
 */
export function carryImage(
  heap: AscHeap,
  meta: EntityMeta,
  base: EntityRecord,
  merged: EntityRecord,
  changes: EntityRecord,
): void {
  const cache = imagesOf(heap);
  const image = cache.images.get(base);
  if (!image) return;
  // Reads see `merged` from now on; the replaced record comes back only to a trigger run again after a load.
  cache.images.delete(base);
  const names: string[] = [];
  for (const name in changes) {
    const check = fieldCheck(meta, name);
    if (!check || check.field.list || !CARRIED_KINDS.has(check.kind) || !image.entryValues.has(name)) return;
    names.push(name);
  }
  if (names.length === 0) {
    cache.images.set(merged, image); // the same fields, the same values
    return;
  }
  const caches = chunkCachesOf(heap);
  const parts: { name: string; kind: number; value: EntityValue; from: number; ptr: number; to: number }[] = [];
  let size = image.bytes.length;
  for (const name of names) {
    const kind = fieldCheck(meta, name)!.kind;
    const value = merged[name];
    const from = heap.top();
    const ptr = scalarToWasm(heap, kind, value, caches);
    parts.push({ name, kind, value, from, ptr, to: heap.top() });
    size += heap.top() - from;
  }
  if (size > image.built * MAX_IMAGE_GROWTH) return;
  const offset = cache.reserve(size);
  if (offset === undefined) return; // the arena started over: the old bytes may be gone
  const { arena, words } = cache;
  arena.copyWithin(offset, image.offset, image.offset + image.bytes.length);
  const more = image.more.slice();
  const ptrs = image.ptrs.slice();
  const values = image.values.slice();
  const memory = heap.bytesView();
  // Offsets are multiples of 16 and images start at block starts (≡ 12 mod 16): arena words are memory words.
  let at = offset + image.bytes.length;
  const pointers: number[] = [];
  for (const part of parts) {
    arena.set(memory.subarray(part.from, part.to), at);
    const shift = image.from + (at - offset) - part.from;
    pointers.length = 0;
    valuePointers(heap, part.ptr, part.from, part.to, pointers);
    for (const word of pointers) {
      const local = at - offset + word - part.from;
      words[(offset + local) >>> 2] += shift;
      more.push(local);
    }
    const entryWord = (offset + image.entryValues.get(part.name)!) >>> 2;
    const oldPtr = words[entryWord];
    words[entryWord] = part.ptr + shift;
    const i = ptrs.indexOf(oldPtr);
    if (i >= 0) {
      ptrs.splice(i, 1);
      values.splice(i, 1);
    }
    // Appended values are above every old one: ptrs stay ascending.
    ptrs.push(part.ptr + shift);
    values.push({ kind: part.kind, value: part.value, from: part.from + shift, to: part.to + shift });
    at += part.to - part.from;
  }
  cache.images.set(merged, {
    bytes: arena.subarray(offset, offset + size),
    offset,
    from: image.from,
    relocations: image.relocations,
    more,
    map: image.map,
    ptrs,
    values,
    entryValues: image.entryValues,
    built: image.built,
  });
}

function describe(kind: number): string {
  return STORE_KIND_NAMES[kind] ?? `kind ${kind}`;
}

function fieldType(field: FieldMeta): string {
  const inner = field.list ? `[${field.type}${field.itemNonNull ? "!" : ""}]` : field.type;
  return field.nonNull ? `${inner}!` : inner;
}

/** A store value's payload word(s) at `valuePtr + 8`, read as its kind needs them (no BigInt unless 64-bit). */
function scalarFromWasm(heap: AscHeap, kind: number, valuePtr: number): EntityValue {
  const data = valuePtr + 8;
  switch (kind) {
    case StoreKind.STRING:
      return heap.string(heap.u32(data));
    case StoreKind.BYTES:
      return heap.hex(heap.u32(data));
    case StoreKind.BIGINT:
      return heap.bigIntAt(heap.u32(data));
    case StoreKind.BIGDECIMAL:
      return decimalToString(readDecimal(heap, heap.u32(data)));
    case StoreKind.INT:
      return heap.i32(data);
    case StoreKind.INT8:
    case StoreKind.TIMESTAMP: {
      const low = heap.u32(data);
      const high = heap.i32(data + 4);
      // Within ±2^53 the two words make the number exactly; beyond, a bigint (as the store keeps it).
      if (high >= -0x200000 && high < 0x200000 && (high !== -0x200000 || low !== 0)) return high * 0x100000000 + low;
      return (BigInt(high) << 32n) + BigInt(low);
    }
    case StoreKind.BOOL:
      return (heap.u32(data) | heap.u32(data + 4)) !== 0;
    default:
      throw new AscError(`unknown store value kind ${kind}`);
  }
}

/** What entityFromWasm checks a field's value against, worked out once per field. */
interface FieldCheck {
  field: FieldMeta;
  /** The store kind of the value (ARRAY for a list). */
  kind: number;
  /** The store kind of a value or of a list's items. */
  scalarKind: number;
  enumValues: ReadonlySet<string> | undefined;
}
const fieldChecks = new WeakMap<EntityMeta, Map<string, FieldCheck>>();

function fieldCheck(meta: EntityMeta, name: string): FieldCheck | undefined {
  let checks = fieldChecks.get(meta);
  if (!checks) fieldChecks.set(meta, (checks = new Map<string, FieldCheck>()));
  let check = checks.get(name);
  if (check === undefined) {
    const field = meta.field(name);
    if (!field) return undefined;
    const scalarKind = storeKindOf(field);
    check = {
      field,
      kind: field.list ? StoreKind.ARRAY : scalarKind,
      scalarKind,
      enumValues: field.kind === "enum" ? new Set(field.enumValues) : undefined,
    };
    checks.set(name, check);
  }
  return check;
}

/** Per heap and entity type: field checks by the address of a stable name string (see entityFromWasm). */
const stableChecks = new WeakMap<AscHeap, WeakMap<EntityMeta, Map<number, FieldCheck>>>();

function stableFieldChecks(heap: AscHeap, meta: EntityMeta): Map<number, FieldCheck> {
  let perMeta = stableChecks.get(heap);
  if (!perMeta) stableChecks.set(heap, (perMeta = new WeakMap()));
  let checks = perMeta.get(meta);
  if (!checks) perMeta.set(meta, (checks = new Map<number, FieldCheck>()));
  return checks;
}

function kindMismatch(meta: EntityMeta, id: string, name: string, field: FieldMeta, got: number): EntityDataError {
  return new EntityDataError(
    `Entity ${meta.name}[${id}]: the value for field \`${name}\` must have type ${fieldType(field)} but has type ${describe(got)}`,
  );
}

/**
 * A graph-ts Entity as the fields it sets (null: the field is unset), checked against the schema as graph-node
 * checks it: known, non-derived fields, each value of its field's type, enum values among the enum's. With `base`
 * (the record the save merges into), a field still holding a value object the host handed out, with the value `base`
 * has for it, is left out: merging it would change nothing (a save of a loaded entity changes a few of its fields).
 */
export function entityFromWasm(
  heap: AscHeap,
  meta: EntityMeta,
  ptr: number,
  id: string,
  handed?: HandedValues,
  base?: EntityRecord | null,
): EntityRecord {
  const record: EntityRecord = {};
  const entries = heap.array(heap.u32(ptr));
  const byPointer = stableFieldChecks(heap, meta);
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e];
    const namePtr = heap.u32(entry);
    const valuePtr = heap.u32(entry + 4);
    // A name in the stable image (the mapping's literals, the host's interned names) is the same string in every
    // trigger: its check is found by address, without decoding it.
    let check = byPointer.get(namePtr);
    if (check === undefined) {
      const found = fieldCheck(meta, heap.string(namePtr));
      if (!found) throw new EntityDataError(`Entity ${meta.name}[${id}]: unknown field \`${heap.string(namePtr)}\``);
      check = found;
      if (heap.isStable(namePtr)) byPointer.set(namePtr, check);
    }
    const name = check.field.name;
    const field = check.field;
    if (field.derivedFrom !== undefined) {
      throw new EntityDataError(`Entity ${meta.name}[${id}]: field \`${name}\` is derived and cannot be set`);
    }
    const unchanged = handed?.find(heap, valuePtr);
    if (
      unchanged !== undefined &&
      unchanged.kind === check.kind &&
      (check.enumValues === undefined || field.list || check.enumValues.has(unchanged.value as string))
    ) {
      if (base === undefined || base === null || base[name] !== unchanged.value) record[name] = unchanged.value;
      continue;
    }
    heap.checkValue(valuePtr);
    const kind = heap.i32(valuePtr);
    if (kind === StoreKind.NULL) {
      record[name] = null;
      continue;
    }
    if (kind !== check.kind) throw kindMismatch(meta, id, name, field, kind);
    let value: EntityValue;
    if (field.list) {
      const items = heap.array(heap.u32(valuePtr + 8));
      const list = new Array<EntityValue>(items.length);
      for (let i = 0; i < items.length; i++) {
        const itemPtr = items[i];
        heap.checkValue(itemPtr);
        const itemKind = heap.i32(itemPtr);
        if (itemKind === StoreKind.NULL) {
          if (field.itemNonNull) {
            throw new EntityDataError(
              `Entity ${meta.name}[${id}]: field \`${name}\` (${fieldType(field)}) may not hold null items`,
            );
          }
          list[i] = null;
          continue;
        }
        if (itemKind !== check.scalarKind) throw kindMismatch(meta, id, name, field, itemKind);
        list[i] = scalarFromWasm(heap, itemKind, itemPtr);
      }
      value = list;
    } else value = scalarFromWasm(heap, kind, valuePtr);
    if (check.enumValues !== undefined) {
      const values = field.list ? (value as EntityValue[]) : [value];
      for (const item of values) {
        if (item !== null && !check.enumValues.has(item as string)) {
          throw new EntityDataError(
            `Entity ${meta.name}[${id}]: the value \`${String(item)}\` for field \`${name}\` is not a value of enum ${field.type}`,
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
      return { type: "int256", value: heap.bigIntAt(data) };
    case EthereumKind.UINT:
      return { type: "uint256", value: heap.bigIntAt(data) };
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
