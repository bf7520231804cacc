// One compiled mapping, instantiated once and reset before every trigger to the state a fresh instance has.
//
// graph-node instantiates the mapping anew for every trigger; here that costs ~190 µs (DealMarket.wasm, measured
// with 2,000 instantiations), more than the rest of a trigger. So the instance is reused: after `_start` the host
// records the memory up to the heap's top and every mutable global (exported by binary.ts's rewrite); before the
// next trigger it zeroes what the last one allocated and writes both back. The stub runtime never frees, so the
// heap's top (its `offset` global) bounds everything a trigger touched; memory a trigger grew stays, zeroed.

import { exportMutableGlobals } from "./binary";
import { AscHeap, type AscExports } from "./heap";
import { hostFunctions, linkImports, type HostState, type TriggerScope } from "./host";
import type { EntityModel } from "../schema/model";

export class MappingLoadError extends Error {
  override name = "MappingLoadError";
}

export class MappingModule {
  private readonly instance: WebAssembly.Instance;
  private readonly exports: AscExports;
  readonly heap: AscHeap;
  private readonly state: HostState;
  private readonly globals: WebAssembly.Global[];
  private readonly initialGlobals: (number | bigint)[];
  /** Memory [0, top) after `_start`. */
  private readonly image: Uint8Array;
  /** The stub runtime's heap top. */
  private readonly offset: WebAssembly.Global;
  private dirty = false;

  constructor(
    readonly name: string,
    wasm: Uint8Array,
    model: EntityModel,
  ) {
    const rewritten = exportMutableGlobals(wasm);
    const module = new WebAssembly.Module(rewritten.bytes as Uint8Array<ArrayBuffer>);
    this.state = {};
    const imports = linkImports(module, hostFunctions(this.state, model), this.state);
    this.instance = new WebAssembly.Instance(module, imports);
    this.exports = this.instance.exports as unknown as AscExports;
    for (const required of ["memory", "__new", "id_of_type"]) {
      if (!(required in this.exports)) {
        throw new MappingLoadError(`${name}: the module lacks ${required} (compile it with graph-cli's graph build)`);
      }
    }
    this.heap = new AscHeap(this.exports);
    this.state.heap = this.heap;
    const start = this.exports._start as (() => void) | undefined;
    start?.();
    this.globals = rewritten.globals.map((g) => this.exports[g] as WebAssembly.Global);
    this.initialGlobals = this.globals.map((g) => g.value as number | bigint);
    this.offset = this.findHeapTop();
    // The schema's entity and field names, allocated once into the image: every store.get hands them out again.
    this.heap.intern(model.entities.flatMap((e) => [e.name, ...e.columns.map((f) => f.name)]));
    for (let i = 0; i < this.globals.length; i++) this.initialGlobals[i] = this.globals[i].value as number | bigint;
    const top = Number(this.offset.value);
    this.image = Uint8Array.from(this.heap.bytesView().subarray(0, top));
    this.heap.markStable(top);
    this.heap.useAllocator(this.offset);
  }

  /** The global the allocator bumps: the one an allocation moves by its size. */
  private findHeapTop(): WebAssembly.Global {
    const before = this.globals.map((g) => g.value as number | bigint);
    this.exports.__new(64, 0);
    const moved = this.globals.filter((g, i) => typeof before[i] === "number" && g.value !== before[i]);
    this.globals.forEach((g, i) => (g.value = before[i]));
    if (moved.length !== 1) {
      throw new MappingLoadError(`${this.name}: cannot find the allocator's heap top (not the stub runtime?)`);
    }
    // Erase the probe's block header.
    const top = Number(moved[0].value);
    this.heap.bytesView().fill(0, top, top + 128);
    return moved[0];
  }

  hasHandler(handler: string): boolean {
    return typeof this.exports[handler] === "function";
  }

  /** Puts the instance back into its state right after `_start` (and, with a prefix, after building it). */
  private reset(): void {
    const memory = this.heap.bytesView();
    const top = Number(this.offset.value);
    const base = this.prefix ? this.prefix.top : this.image.length;
    if (top > base) memory.fill(0, base, Math.min(top, memory.length));
    memory.set(this.image, 0);
    for (let i = 0; i < this.globals.length; i++) this.globals[i].value = this.initialGlobals[i];
    if (this.prefix) {
      memory.set(this.prefix.bytes, this.image.length);
      this.offset.value = this.prefix.top;
    }
  }

  /**
   * Objects every trigger of one block shares (its ethereum.Block), built once right above the image and put back
   * as they were before each trigger, like the image: the same for the mapping as building them anew, without the
   * ~25 allocations and conversions per trigger.
   */
  private prefix: { key: unknown; top: number; bytes: Uint8Array; ptr: number } | undefined;

  private prefixFor(key: unknown, build: (heap: AscHeap) => number): number {
    const current = this.prefix;
    if (current && current.key === key) return current.ptr;
    this.prefix = undefined;
    if (this.dirty) this.reset();
    this.heap.enter();
    let ptr: number;
    try {
      ptr = build(this.heap);
    } finally {
      this.heap.leave();
    }
    const top = Number(this.offset.value);
    this.prefix = { key, top, bytes: Uint8Array.from(this.heap.bytesView().subarray(this.image.length, top)), ptr };
    this.dirty = false;
    return ptr;
  }

  /**
   * Runs `handler` on the argument `build` writes into the fresh heap; `shared` (built once per `sharedKey`, e.g.
   * a block) is passed to `build`. Whatever the handler throws (a trap, an abort, a host function's error)
   * propagates; the next call starts from a clean instance either way.
   */
  run(
    handler: string,
    scope: TriggerScope,
    build: (heap: AscHeap, shared: number) => number,
    shared?: { key: unknown; build: (heap: AscHeap) => number },
  ): void {
    const fn = this.exports[handler] as ((arg: number) => void) | undefined;
    if (typeof fn !== "function") throw new MappingLoadError(`${this.name}: no exported handler ${handler}`);
    const sharedPtr = shared ? this.prefixFor(shared.key, shared.build) : 0;
    if (!shared && this.prefix) {
      this.prefix = undefined;
      this.dirty = true;
    }
    if (this.dirty) this.reset();
    this.dirty = true;
    this.state.scope = scope;
    try {
      this.heap.enter();
      let event: number;
      try {
        event = build(this.heap, sharedPtr);
      } finally {
        this.heap.leave();
      }
      fn(event);
    } finally {
      this.state.scope = undefined;
    }
  }
}
