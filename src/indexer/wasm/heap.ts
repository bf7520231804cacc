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

const utf16 = new TextDecoder("utf-16le");
const utf8 = new TextDecoder("utf-8", { fatal: false });

export class AscHeap {
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private view: DataView;
  private readonly ids = new Map<AscTypeName, number>();
  private readonly allocate: (size: number, id: number) => number;

  constructor(private readonly exports: AscExports) {
    this.allocate = (size, id) => exports.__new(size, id);
    this.buffer = exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.view = new DataView(this.buffer);
  }

  /** The memory's current bytes (re-viewed after the mapping grew it). */
  bytesView(): Uint8Array {
    this.refresh();
    return this.u8;
  }

  private refresh(): void {
    if (this.buffer !== this.exports.memory.buffer) {
      this.buffer = this.exports.memory.buffer;
      this.u8 = new Uint8Array(this.buffer);
      this.view = new DataView(this.buffer);
    }
  }

  /** The mapping's class id for a graph-node TypeId. */
  classId(name: AscTypeName): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      const global = this.exports[`TypeId.${name}`] as WebAssembly.Global | undefined;
      if (!global) throw new AscError(`the mapping does not export TypeId.${name} (not built by graph-cli?)`);
      id = this.exports.id_of_type(Number(global.value)) >>> 0;
      this.ids.set(name, id);
    }
    return id;
  }

  /*//////////////////////////////////////////////////////////////
                                READ
  //////////////////////////////////////////////////////////////*/

  u32(ptr: number): number {
    this.refresh();
    return this.view.getUint32(ptr, true);
  }
  i32(ptr: number): number {
    this.refresh();
    return this.view.getInt32(ptr, true);
  }
  i64(ptr: number): bigint {
    this.refresh();
    return this.view.getBigInt64(ptr, true);
  }
  f64(ptr: number): number {
    this.refresh();
    return this.view.getFloat64(ptr, true);
  }

  private checkPtr(ptr: number, what: string): void {
    if (ptr === 0) throw new AscError(`null ${what}`);
    if (ptr < 20 || ptr > this.buffer.byteLength) throw new AscError(`${what} pointer ${ptr} out of memory`);
  }

  /** The payload size of the object at `ptr` (its header's rtSize). */
  size(ptr: number): number {
    return this.u32(ptr - 4);
  }

  rtId(ptr: number): number {
    return this.u32(ptr - 8);
  }

  string(ptr: number): string {
    this.checkPtr(ptr, "string");
    const size = this.size(ptr);
    const end = ptr + size;
    if (end > this.buffer.byteLength) throw new AscError(`string at ${ptr} overruns memory`);
    let out: string;
    if (size <= 32) {
      // Short strings (entity and field names) are most of them; a char-code loop beats the decoder's setup.
      out = "";
      for (let p = ptr; p < end; p += 2) out += String.fromCharCode(this.view.getUint16(p, true));
    } else out = utf16.decode(this.u8.subarray(ptr, end));
    // graph-node strips NUL from every string it reads from the mapping (PostgreSQL text cannot hold them).
    return out.includes("\u0000") ? out.replaceAll("\u0000", "") : out;
  }

  /** A Uint8Array-like object's bytes (a view: copy before the memory is reused). */
  bytesAt(ptr: number): Uint8Array {
    this.checkPtr(ptr, "bytes");
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 8);
    if (length < 0 || dataStart + length > this.buffer.byteLength) throw new AscError(`bytes at ${ptr} overrun memory`);
    return this.u8.subarray(dataStart, dataStart + length);
  }

  /** A copy of a Uint8Array-like object's bytes. */
  bytes(ptr: number): Uint8Array {
    return Uint8Array.from(this.bytesAt(ptr));
  }

  hex(ptr: number): string {
    return "0x" + Buffer.from(this.bytesAt(ptr)).toString("hex");
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
    for (let i = 0; i < length; i++) out[i] = this.view.getUint32(dataStart + i * 4, true);
    return out;
  }

  /** An Array<bool>'s items (one byte each). */
  boolArray(ptr: number): boolean[] {
    this.checkPtr(ptr, "array");
    const dataStart = this.u32(ptr + 4);
    const length = this.i32(ptr + 12);
    const out = new Array<boolean>(length);
    for (let i = 0; i < length; i++) out[i] = this.u8[dataStart + i] !== 0;
    return out;
  }

  /*//////////////////////////////////////////////////////////////
                                WRITE
  //////////////////////////////////////////////////////////////*/

  /** A new object of `size` payload bytes (zeroed: memory past the heap's top is always zero, see module.ts). */
  alloc(size: number, classId: number): number {
    const ptr = this.allocate(size, classId) >>> 0;
    this.refresh();
    return ptr;
  }

  setU32(ptr: number, value: number): void {
    this.view.setUint32(ptr, value, true);
  }
  setI32(ptr: number, value: number): void {
    this.view.setInt32(ptr, value, true);
  }
  setI64(ptr: number, value: bigint): void {
    this.view.setBigInt64(ptr, value, true);
  }
  setU64(ptr: number, value: bigint): void {
    this.view.setBigUint64(ptr, value, true);
  }
  setF64(ptr: number, value: number): void {
    this.view.setFloat64(ptr, value, true);
  }

  newString(value: string): number {
    const ptr = this.alloc(value.length * 2, this.classId("String"));
    const view = this.view;
    for (let i = 0; i < value.length; i++) view.setUint16(ptr + i * 2, value.charCodeAt(i), true);
    return ptr;
  }

  /** A Uint8Array (the class of Bytes, ByteArray, BigInt and Address in graph-node's ABI) holding `bytes`. */
  newBytes(bytes: Uint8Array): number {
    const buffer = this.alloc(bytes.length, this.classId("ArrayBuffer"));
    this.u8.set(bytes, buffer);
    const ptr = this.alloc(12, this.classId("Uint8Array"));
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setI32(ptr + 8, bytes.length);
    return ptr;
  }

  /** `0x…` hex (even length) as a Uint8Array. */
  newHexBytes(hex: string): number {
    return this.newBytes(Buffer.from(hex.startsWith("0x") ? hex.slice(2) : hex, "hex"));
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

  /** An Array<bool>. */
  newBoolArray(items: readonly boolean[]): number {
    const buffer = this.alloc(items.length, this.classId("ArrayBuffer"));
    for (let i = 0; i < items.length; i++) this.u8[buffer + i] = items[i] ? 1 : 0;
    const ptr = this.alloc(16, this.classId("ArrayBool"));
    this.setU32(ptr, buffer);
    this.setU32(ptr + 4, buffer);
    this.setI32(ptr + 8, items.length);
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
