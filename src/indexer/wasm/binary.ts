// A small rewrite of a compiled mapping: export every mutable global the module defines.
//
// graph-node gives every trigger a fresh instance of the mapping. Instantiating costs ~190 µs per trigger here
// (measured on DealMarket.wasm, 2,000 instances), which alone would cap a backfill near 5,000 events/s. Instead the
// host keeps one instance and, before each trigger, puts back what a fresh one would hold: the memory image and
// every mutable global as they were after `_start`. Globals a module does not export cannot be read or set from
// JavaScript, hence this rewrite. It touches nothing but the export section, so the code that runs is the
// compiled code, byte for byte.

export class WasmFormatError extends Error {
  override name = "WasmFormatError";
}

const SECTION_IMPORT = 2;
const SECTION_GLOBAL = 6;
const SECTION_EXPORT = 7;
const IMPORT_KIND_GLOBAL = 3;
const EXPORT_KIND_GLOBAL = 3;
/** Prefix of the names under which the rewritten module exports its globals. */
export const GLOBAL_EXPORT_PREFIX = "__accord_global_";

class Reader {
  offset: number;
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset;
  }
  byte(): number {
    if (this.offset >= this.bytes.length) throw new WasmFormatError("unexpected end of module");
    return this.bytes[this.offset++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
      if (shift > 35) throw new WasmFormatError("LEB128 too long");
    }
  }
  skip(n: number): void {
    this.offset += n;
    if (this.offset > this.bytes.length) throw new WasmFormatError("unexpected end of module");
  }
  name(): string {
    const length = this.u32();
    const start = this.offset;
    this.skip(length);
    return Buffer.from(this.bytes.subarray(start, start + length)).toString("utf8");
  }
  /** Skips a constant expression (ends with 0x0b). */
  constExpr(): void {
    for (;;) {
      const op = this.byte();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x42 || op === 0x23 || op === 0xd2) this.u32Like();
      else if (op === 0x43) this.skip(4);
      else if (op === 0x44) this.skip(8);
      else if (op === 0xd0) this.byte();
      else if (op === 0xfd) {
        this.u32();
        this.skip(16);
      } else if (op !== 0x6a && op !== 0x6b && op !== 0x6c && op !== 0x7c && op !== 0x7d && op !== 0x7e) {
        throw new WasmFormatError(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
      }
    }
  }
  /** A signed or unsigned LEB128 of any length, skipped. */
  private u32Like(): void {
    while (this.byte() & 0x80);
  }
}

function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function encodeName(name: string): number[] {
  const bytes = [...Buffer.from(name, "utf8")];
  return [...leb128(bytes.length), ...bytes];
}

/** The module with every mutable global it defines also exported as `${GLOBAL_EXPORT_PREFIX}<index>`. */
export function exportMutableGlobals(module: Uint8Array): { bytes: Uint8Array; globals: string[] } {
  if (module.length < 8 || module[0] !== 0 || module[1] !== 0x61 || module[2] !== 0x73 || module[3] !== 0x6d) {
    throw new WasmFormatError("not a WebAssembly module");
  }
  const reader = new Reader(module, 8);
  let importedGlobals = 0;
  const mutable: number[] = [];
  const sections: { id: number; start: number; end: number; bodyStart: number }[] = [];
  while (reader.offset < module.length) {
    const start = reader.offset;
    const id = reader.byte();
    const size = reader.u32();
    const bodyStart = reader.offset;
    const end = bodyStart + size;
    sections.push({ id, start, end, bodyStart });
    if (id === SECTION_IMPORT) {
      const body = new Reader(module, bodyStart);
      for (let n = body.u32(); n > 0; n--) {
        body.name();
        body.name();
        const kind = body.byte();
        if (kind === 0) body.u32();
        else if (kind === 1) {
          body.byte();
          const flags = body.u32();
          body.u32();
          if (flags & 1) body.u32();
        } else if (kind === 2) {
          const flags = body.u32();
          body.u32();
          if (flags & 1) body.u32();
        } else if (kind === IMPORT_KIND_GLOBAL) {
          body.byte();
          body.byte();
          importedGlobals++;
        } else throw new WasmFormatError(`unknown import kind ${kind}`);
      }
    } else if (id === SECTION_GLOBAL) {
      const body = new Reader(module, bodyStart);
      const count = body.u32();
      for (let i = 0; i < count; i++) {
        body.byte();
        const isMutable = body.byte() === 1;
        body.constExpr();
        if (isMutable) mutable.push(importedGlobals + i);
      }
    } else if (id === SECTION_EXPORT) {
      // Read when rewritten below.
    }
    reader.offset = end;
  }
  if (mutable.length === 0) return { bytes: module, globals: [] };

  const added: number[] = [];
  const names: string[] = [];
  for (const index of mutable) {
    const name = `${GLOBAL_EXPORT_PREFIX}${index}`;
    names.push(name);
    added.push(...encodeName(name), EXPORT_KIND_GLOBAL, ...leb128(index));
  }
  // A mapping always exports its handlers and the runtime (graph-cli compiles with --exportRuntime).
  const exportSection = sections.find((s) => s.id === SECTION_EXPORT);
  if (!exportSection) throw new WasmFormatError("the module exports nothing (not a compiled mapping)");
  const body = new Reader(module, exportSection.bodyStart);
  const count = body.u32();
  const newBody = [...leb128(count + mutable.length), ...module.subarray(body.offset, exportSection.end), ...added];
  const newSection = Uint8Array.from([SECTION_EXPORT, ...leb128(newBody.length), ...newBody]);
  const parts: Uint8Array[] = [module.subarray(0, 8)];
  for (const section of sections) {
    parts.push(section === exportSection ? newSection : module.subarray(section.start, section.end));
  }
  return { bytes: Buffer.concat(parts), globals: names };
}
