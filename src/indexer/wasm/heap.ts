// The AssemblyScript (0.19, stub runtime) memory layout, read and written from the host, as graph-node does.
//
// Every managed object is preceded by a 20-byte header (mmInfo, gcInfo, gcInfo2, rtId, rtSize); a pointer points
// just past it, so the class id is at ptr-8 and the payload size at ptr-4. Layouts the host uses:
//   String        UTF-16LE code units, rtSize bytes
//   ArrayBuffer   raw bytes, rtSize bytes
//   Uint8Array    { buffer: ptr, dataStart: ptr, byteLength: i32 }              (Bytes, ByteArray, BigInt, Address)
//   Array<T>      { buffer: ptr, dataStart: ptr, byteLength: i32, length: i32 }  (T a pointer: 4 bytes per item)
//   class         fields in declaration order, each aligned to its size (pointers and i32: 4, u64/i64/f64: 8)
// Objects the host creates get their class id from the mapping's `id_of_type(TypeId.X)`, so they are the classes
// the mapping's own code checks against.

export class AscError extends Error {
  override name = "AscError";
}

/** graph-node's TypeId names the host allocates (exported by the mapping as `TypeId.<name>` globals). */
export type AscTypeName =
  | "String"
  | "ArrayBuffer"
  | "Uint8Array"
  | "BigDecimal"
  | "ArrayBool"
  | "ArrayUint8Array"
  | "ArrayEthereumValue"
  | "ArrayStoreValue"
  | "ArrayJsonValue"
  | "ArrayString"
  | "ArrayEventParam"
  | "ArrayTypedMapEntryStringJsonValue"
  | "ArrayTypedMapEntryStringStoreValue"
  | "EventParam"
  | "EthereumTransaction"
  | "EthereumBlock"
  | "WrappedBool"
  | "WrappedJsonValue"
  | "EthereumValue"
  | "StoreValue"
  | "JsonValue"
  | "EthereumEvent"
  | "TypedMapEntryStringStoreValue"
  | "TypedMapEntryStringJsonValue"
  | "TypedMapStringStoreValue"
  | "TypedMapStringJsonValue"
  | "ResultJsonValueBool"
  | "ArrayBigDecimal";

/** What the heap needs of an instance: graph-cli compiles mappings with --exportRuntime. */
export interface AscExports {
  memory: WebAssembly.Memory;
  __new(size: number, id: number): number;
  id_of_type(typeId: number): number;
  [name: string]: unknown;
}

import { fromSignedLE, signedBEHex } from "./numbers";

const utf16 = new TextDecoder("utf-16le");
/** Strings up to this many bytes are decoded with String.fromCharCode (its arguments go on the stack). */
const MAX_CHAR_CODES_STRING = 4096;
/** ES2024's well-formed string methods (in Node 20; not in the es2022 lib this project compiles against). */
type WellFormed = string & { isWellFormed(): boolean; toWellFormed(): string };
/** "00".."ff" as pairs of UTF-16 code units: byte b's two hex digits at [2b, 2b+1]. */
const HEX_CODES = new Uint16Array(512);
for (let b = 0; b < 256; b++) {
  const hex = b.toString(16).padStart(2, "0");
  HEX_CODES[2 * b] = hex.charCodeAt(0);
  HEX_CODES[2 * b + 1] = hex.charCodeAt(1);
}
const utf8 = new TextDecoder("utf-8", { fatal: false });

export class AscHeap {
  private buffer!: ArrayBuffer;
  private u8!: Uint8Array;
  private view!: DataView;
  /** 32-bit views (objects' fields are 4-byte aligned: payloads are 16-aligned) and a Buffer for hex and text. */
  private u32v!: Uint32Array;
  private i32v!: Int32Array;
  private u16v!: Uint16Array;
  private buf!: Buffer;
  private readonly ids: Partial<Record<AscTypeName, number>> = {};
  /** The stub runtime's heap top (its `offset` global), once the host allocates by itself (useAllocator). */
  private heapTop: WebAssembly.Global | undefined;
  /** The heap top while inside a host call (enter/leave), or -1. */
  private cursor = -1;
  /** The heap top when the host call began. */
  private entered = -1;
  private readonly allocate: (size: number, id: number) => number;
  /**
   * Memory below this address is put back before every trigger (module.ts), so what it holds never changes:
   * strings read there (the mapping's literals: entity and field names) are decoded once.
   */
  private stableTop = 0;
  private readonly stableStrings = new Map<number, string>();
  /** Strings the host allocated below stableTop, to hand out again instead of allocating them per trigger. */
  private readonly interned = new Map<string, number>();

  constructor(private readonly exports: AscExports) {
    this.allocate = (size, id) => exports.__new(size, id);
    this.rebind();
  }

  /** Views over the memory's current buffer. */
  private rebind(): void {
    this.buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.u32v = new Uint32Array(this.buffer);
    this.i32v = new Int32Array(this.buffer);
    this.u16v = new Uint16Array(this.buffer);
    this.buf = Buffer.from(this.buffer);
  }

  /** The memory as 32-bit words (re-viewed after the mapping grew it). */
  wordsView(): Uint32Array {
    this.refresh();
    return this.u32v;
  }

  /** The memory's current bytes (re-viewed after the mapping grew it). */
  bytesView(): Uint8Array {
    this.refresh();
    return this.u8;
  }

  /** Re-views the memory when it grew: growing detaches the old buffer, whose views then have length 0. */
  private refresh(): void {
    if (this.u8.byteLength === 0) this.rebind();
  }

  /** Allocates `values` as strings that stay (the caller then makes everything below the heap's top stable). */
  intern(values: Iterable<string>): void {
    for (const value of values) if (!this.interned.has(value)) this.interned.set(value, this.newString(value));
  }

  /** Whether `ptr` is below stableTop (what it points at is the same in every trigger). */
  isStable(ptr: number): boolean {
    return ptr < this.stableTop;
  }

  /** Declares memory below `top` unchanging between triggers (see stableTop). */
  markStable(top: number): void {
    this.stableTop = top;
    this.stableStrings.clear();
  }

  /** A string the host hands the mapping: an interned one when there is one, else a new one. */
  stringPtr(value: string): number {
    return this.interned.get(value) ?? this.newString(value);
  }

  /** The mapping's class id for a graph-node TypeId. */
  classId(name: AscTypeName): number {
    let id = this.ids[name];
    if (id === undefined) {
      const global = this.exports[`TypeId.${name}`] as WebAssembly.Global | undefined;
      if (!global) throw new AscError(`the mapping does not export TypeId.${name} (not built by graph-cli?)`);
      id = this.exports.id_of_type(Number(global.value)) >>> 0;
      this.ids[name] = id;
    }
    return id;
  }

  /**
   * From now on the host allocates as the stub runtime's __new does, in JavaScript, between enter() and leave():
   * a host call that builds an entity makes ~150 objects, and a call into the module for each cost more than the
   * rest of the work (measured on the DealMarket mappings). `heapTop` is the runtime's `offset` global.
   */
  useAllocator(heapTop: WebAssembly.Global): void {
    this.heapTop = heapTop;
  }

  /** The heap's top: where the next allocation goes (within a host call). */
  top(): number {
    return this.cursor >= 0 ? this.cursor : Number(this.heapTop?.value ?? 0);
  }

  /** A host call begins: allocations bump a local copy of the heap top. */
  enter(): void {
    // The mapping may have grown the memory since the last host call: re-view it here, once per call.
    this.refresh();
    if (this.heapTop) this.cursor = this.entered = Number(this.heapTop.value);
  }

  /** The host call ends: the runtime's heap top takes what was allocated. */
  leave(): void {
    if (this.heapTop && this.cursor >= 0) {
      if (this.cursor !== this.entered) this.heapTop.value = this.cursor;
      this.cursor = -1;
    }
  }

  /*//////////////////////////////////////////////////////////////
                                READ
  //////////////////////////////////////////////////////////////*/

  // Reads need no refresh(): enter() re-viewed the memory, and only alloc() grows it within a host call.
  u32(ptr: number): number {
    return (ptr & 3) === 0 ? this.u32v[ptr >>> 2] : this.view.getUint32(ptr, true);
  }
  i32(ptr: number): number {
    return (ptr & 3) === 0 ? this.i32v[ptr >>> 2] : this.view.getInt32(ptr, true);
  }

  private checkPtr(ptr: number, what: string): void {
    if (ptr === 0) throw new AscError(`null ${what}`);
    if (ptr < 20 || ptr > this.buffer.byteLength) throw new AscError(`${what} pointer ${ptr} out of memory`);
  }

  /** Throws unless `ptr` can be an enum-like value object (store Value, ethereum.Value, JSONValue). */
  checkValue(ptr: number): void {
    this.checkPtr(ptr, "value");
  }

  /** The payload size of the object at `ptr` (its header's rtSize). */
  size(ptr: number): number {
    return this.u32(ptr - 4);
  }

  string(ptr: number): string {
    if (ptr < this.stableTop) {
      const known = this.stableStrings.get(ptr);
      if (known !== undefined) return known;
      const value = this.decodeString(ptr);
      this.stableStrings.set(ptr, value);
      return value;
    }
    return this.decodeString(ptr);
  }

  private decodeString(ptr: number): string {
    this.refresh();
    this.checkPtr(ptr, "string");
    const size = this.size(ptr);
    const end = ptr + size;
    if (end > this.buffer.byteLength) throw new AscError(`string at ${ptr} overruns memory`);
    let out: string;
    if ((ptr & 1) === 0 && size <= MAX_CHAR_CODES_STRING) {
      // Most strings are ids and names: one native call on the code units beats both a char-by-char loop and the
      // decoder's setup. The decoder replaces lone surrogates with U+FFFD; so does toWellFormed.
      out = String.fromCharCode.apply(null, this.u16v.subarray(ptr >>> 1, end >>> 1) as unknown as number[]);
      if (!(out as WellFormed).isWellFormed()) out = (out as WellFormed).toWellFormed();
    } else out = utf16.decode(this.u8.subarray(ptr, end));
    // graph-node strips NUL from every string it reads from the mapping (PostgreSQL text cannot hold them).
    return out.includes("\u0000") ? out.replaceAll("\u0000", "") : out;
  }

  /**
   * Where a Uint8Array-like object's bytes start, checked; their length is `bytesLength(ptr)`. The readers below
   * use the two instead of a view: a view is an object, and hundreds of thousands of them were a visible share of
   * the host's garbage.
   */
  private bytesStart(ptr: number): number {
    this.checkPtr(ptr, "bytes");
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 8);
    if (length < 0 || dataStart + length > this.buffer.byteLength) throw new AscError(`bytes at ${ptr} overrun memory`);
    return dataStart;
  }

  private bytesLength(ptr: number): number {
    return this.i32(ptr + 8);
  }

  /** A Uint8Array-like object's bytes (a view: copy before the memory is reused). */
  bytesAt(ptr: number): Uint8Array {
    const start = this.bytesStart(ptr);
    return this.u8.subarray(start, start + this.bytesLength(ptr));
  }

  /** A BigInt object's value (little-endian two's complement). */
  bigIntAt(ptr: number): bigint {
    const start = this.bytesStart(ptr);
    return fromSignedLE(this.u8, start, this.bytesLength(ptr));
  }

  /** A copy of a Uint8Array-like object's bytes. */
  bytes(ptr: number): Uint8Array {
    return Uint8Array.from(this.bytesAt(ptr));
  }

  hex(ptr: number): string {
    const start = this.bytesStart(ptr);
    return "0x" + this.buf.toString("hex", start, start + this.bytesLength(ptr));
  }

  utf8(ptr: number): string {
    return utf8.decode(this.bytesAt(ptr));
  }

  /** An Array<pointer>'s items. */
  array(ptr: number): number[] {
    this.checkPtr(ptr, "array");
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    if (length < 0 || dataStart + length * 4 > this.buffer.byteLength) throw new AscError(`array at ${ptr} overruns`);
    const out = new Array<number>(length);
    if ((dataStart & 3) === 0) for (let i = 0, w = dataStart >>> 2; i < length; i++) out[i] = this.u32v[w + i];
    else for (let i = 0; i < length; i++) out[i] = this.view.getUint32(dataStart + i * 4, true);
    return out;
  }

  /*//////////////////////////////////////////////////////////////
                                WRITE
  //////////////////////////////////////////////////////////////*/

  /** A new object of `size` payload bytes (zeroed: memory past the heap's top is always zero, see module.ts). */
  alloc(size: number, classId: number): number {
    if (this.cursor < 0) {
      const ptr = this.allocate(size, classId) >>> 0;
      this.refresh();
      return ptr;
    }
    // The stub runtime's __new: a block of mmInfo (4 bytes) + the object header (gcInfo, gcInfo2, rtId, rtSize)
    // + the payload, the block's end aligned to 16.
    const block = this.cursor;
    const payload = ((16 + size + 4 + 15) & ~15) - 4;
    const end = block + 4 + payload;
    if (end > this.u8.byteLength) this.grow(end);
    // block ≡ 12 (mod 16), so every header word is 4-aligned.
    const w = block >>> 2;
    const u32 = this.u32v;
    u32[w] = payload;
    u32[w + 1] = 0;
    u32[w + 2] = 0;
    u32[w + 3] = classId;
    u32[w + 4] = size;
    this.cursor = end;
    return block + 20;
  }

  /**
   * Copies objects the host built earlier (`bytes`, taken from [from, from + length) right after building them at
   * a block boundary) to the heap's top, moving the pointers at `relocations` (offsets into `bytes`) by the
   * distance. Blocks are laid out as the allocator would have laid them (every block start is ≡ 12 mod 16), so
   * the copy is what building them again would write. Returns the new address of `from`. Within a host call only.
   */
  copyObjects(bytes: Uint8Array, from: number, relocations: readonly number[], more?: readonly number[]): number {
    const at = this.cursor;
    if (at < 0) throw new AscError("copyObjects outside a host call");
    const end = at + bytes.length;
    if (end > this.u8.byteLength) this.grow(end);
    this.u8.set(bytes, at);
    const delta = at - from;
    const u32 = this.u32v;
    for (let i = 0; i < relocations.length; i++) u32[(at + relocations[i]) >>> 2] += delta;
    if (more) for (let i = 0; i < more.length; i++) u32[(at + more[i]) >>> 2] += delta;
    this.cursor = end;
    return at;
  }

  /** Grows the memory as the stub runtime does: at least double, else what is needed. */
  private grow(end: number): void {
    const memory = this.exports.memory;
    const pages = this.u8.byteLength >>> 16;
    const needed = Math.ceil((end - this.u8.byteLength) / 65536);
    try {
      memory.grow(Math.max(pages, needed));
    } catch {
      memory.grow(needed);
    }
    this.rebind();
  }

  setU32(ptr: number, value: number): void {
    if ((ptr & 3) === 0) this.u32v[ptr >>> 2] = value;
    else this.view.setUint32(ptr, value, true);
  }
  setI32(ptr: number, value: number): void {
    if ((ptr & 3) === 0) this.i32v[ptr >>> 2] = value;
    else this.view.setInt32(ptr, value, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.view.setBigUint64(ptr, value, true);
  }

  newString(value: string): number {
    const ptr = this.alloc(value.length * 2, this.classId("String"));
    const u16 = this.u16v;
    for (let i = 0, h = ptr >>> 1; i < value.length; i++) u16[h + i] = value.charCodeAt(i);
    return ptr;
  }

  /** The `0x…` lower-case hex of a Uint8Array-like object's bytes as a new String, written without a JS string. */
  newHexString(bytesPtr: number): number {
    const start = this.bytesStart(bytesPtr);
    const length = this.bytesLength(bytesPtr);
    const ptr = this.alloc((2 + 2 * length) * 2, this.classId("String"));
    // alloc may grow the memory: view it afresh.
    const u8 = this.u8;
    const u16 = this.u16v;
    let h = ptr >>> 1;
    u16[h++] = 0x30; // 0
    u16[h++] = 0x78; // x
    for (let i = 0; i < length; i++) {
      const b = u8[start + i] * 2;
      u16[h++] = HEX_CODES[b];
      u16[h++] = HEX_CODES[b + 1];
    }
    return ptr;
  }

  /** A Uint8Array object over a new ArrayBuffer of `length` bytes; returns [object, buffer]. */
  private newByteArray(length: number): [number, number] {
    const buffer = this.alloc(length, this.classId("ArrayBuffer"));
    const ptr = this.alloc(12, this.classId("Uint8Array"));
    const w = ptr >>> 2;
    this.u32v[w] = buffer;
    this.u32v[w + 1] = buffer;
    this.i32v[w + 2] = length;
    return [ptr, buffer];
  }

  /** A Uint8Array (the class of Bytes, ByteArray, BigInt and Address in graph-node's ABI) holding `bytes`. */
  newBytes(bytes: Uint8Array): number {
    const [ptr, buffer] = this.newByteArray(bytes.length);
    this.u8.set(bytes, buffer);
    return ptr;
  }

  /** `0x…` hex (even length) as a Uint8Array, decoded straight into the module's memory. */
  newHexBytes(hex: string): number {
    const start = hex.startsWith("0x") ? 2 : 0;
    const length = (hex.length - start) >>> 1;
    const [ptr, buffer] = this.newByteArray(length);
    const written = this.buf.write(hex.slice(start), buffer, length, "hex");
    if (written !== length) throw new AscError(`not hex: ${hex.slice(0, 20)}…`);
    return ptr;
  }

  /** A BigInt (little-endian two's complement, shortest) written straight into the module's memory. */
  newBigInt(value: bigint): number {
    if (value >= -128n && value < 128n) {
      const [ptr, buffer] = this.newByteArray(1);
      this.u8[buffer] = Number(value) & 0xff;
      return ptr;
    }
    const hex = signedBEHex(value);
    const length = hex.length >>> 1;
    const [ptr, buffer] = this.newByteArray(length);
    this.buf.write(hex, buffer, length, "hex");
    const u8 = this.u8;
    for (let i = buffer, j = buffer + length - 1; i < j; i++, j--) {
      const b = u8[i];
      u8[i] = u8[j];
      u8[j] = b;
    }
    return ptr;
  }

  /** An Array of pointers (or of 32-bit values) of class `arrayClass`. */
  newArray(items: readonly number[], arrayClass: AscTypeName): number {
    const byteLength = items.length * 4;
    const buffer = this.alloc(byteLength, this.classId("ArrayBuffer"));
    for (let i = 0; i < items.length; i++) this.setU32(buffer + i * 4, items[i]);
    const ptr = this.alloc(16, this.classId(arrayClass));
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setI32(ptr + 8, byteLength);
    this.setI32(ptr + 12, items.length);
    return ptr;
  }

  /** An object whose fields are all pointers (or 32-bit values), in declaration order. */
  newObject(classId: AscTypeName, fields: readonly number[]): number {
    const ptr = this.alloc(fields.length * 4, this.classId(classId));
    for (let i = 0; i < fields.length; i++) this.setU32(ptr + i * 4, fields[i]);
    return ptr;
  }

  /** An enum-like value `{ kind: i32, data: u64 }` (store Value, ethereum.Value, JSONValue). */
  newEnum(classId: AscTypeName, kind: number, payload: bigint | number): number {
    const ptr = this.alloc(16, this.classId(classId));
    this.setI32(ptr, kind);
    if (typeof payload === "bigint") this.setU64(ptr + 8, BigInt.asUintN(64, payload));
    else this.setU32(ptr + 8, payload >>> 0);
    return ptr;
  }

  /** The kind and the payload (as a u64) of an enum-like value. */
  enumAt(ptr: number): { kind: number; payload: bigint; ptr: number } {
    this.checkPtr(ptr, "value");
    const kind = this.i32(ptr);
    const payload = this.view.getBigUint64(ptr + 8, true);
    return { kind, payload, ptr: this.view.getUint32(ptr + 8, true) };
  }
}
