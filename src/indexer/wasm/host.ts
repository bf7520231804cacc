// The graph-ts host functions: what a compiled mapping imports, implemented with graph-node's semantics.
//
// Imports are linked by name (graph-node ignores the module part too, which differs between graph-ts versions).
// A mapping that imports a function not listed here is refused when it is loaded, naming the function, instead of
// failing at the first event that reaches it. Every host function runs synchronously inside a trigger; one that
// throws aborts the trigger (see module.ts for what that means).

import { keccak_256 } from "@noble/hashes/sha3";
import { AbiCoder, ParamType, encodeBase58 } from "ethers";
import { isLosslessNumber, parse as parseLosslessJson } from "lossless-json";
import type { EntityModel } from "../schema/model";
import type { EntityRecord, EntityValue } from "../store/types";
import type { MergeBase } from "../store/writer";
import { AscError, type AscHeap } from "./heap";
import {
  bigIntToHex,
  decimalDivide,
  decimalEquals,
  decimalMinus,
  decimalPlus,
  decimalTimes,
  decimalToString,
  divide,
  modulo,
  NumberError,
  parseBigInt,
  parseDecimal,
  type Decimal,
} from "./numbers";
import {
  carryImage,
  checkRequired,
  contextToWasm,
  hasRequired,
  entityFromWasm,
  entityToWasm,
  ethereumValueFromWasm,
  ethereumValueToWasm,
  jsonToWasm,
  normalizeIdText,
  readDecimal,
  type AbiParam,
  type ContextEntry,
  type HandedValues,
  type JsonTree,
} from "./values";

/** The store as a trigger sees it: this batch's state over the committed one. */
export interface HostStore {
  /** The entity, or null. Throws StoreMiss when it is not in memory (the runner loads it and runs the trigger again). */
  get(entity: string, id: string): EntityRecord | null;
  /** The entity if this block wrote it, else null (graph-node's get_in_block). */
  getInBlock(entity: string, id: string): EntityRecord | null;
  set(entity: string, id: string, record: EntityRecord): void;
  /** What a save merges into: the known entity (or null), or, when it is not loaded, the blind saves' fields. */
  mergeBase(entity: string, id: string): MergeBase;
  /** A save merged into the stored entity once that is loaded (see SqlBatchWriter.setBlind). */
  setBlind(entity: string, id: string, fields: EntityRecord): void;
  remove(entity: string, id: string): void;
}

/** What the host functions need to know about the running trigger. */
export interface TriggerScope {
  store: HostStore;
  dataSource: { name: string; address: string; network: string; context: readonly ContextEntry[] };
  /** The entities handed to the mapping in this trigger (saves take unchanged fields back undecoded). */
  handed?: HandedValues;
  log(level: number, message: string): void;
}

/** log.critical, or env.abort (assert, `!` on null, throw): the trigger failed deterministically. */
export class MappingAbort extends Error {
  override name = "MappingAbort";
}

/** A host function the mapping imports that this host does not provide. */
export class UnsupportedHostFunctionError extends Error {
  override name = "UnsupportedHostFunctionError";
}

/** graph-ts log levels. */
export const LOG_LEVELS = ["critical", "error", "warning", "info", "debug"] as const;
const LOG_CRITICAL = 0;

export interface HostState {
  heap?: AscHeap;
  scope?: TriggerScope;
}

type HostFunction = (...args: never[]) => number | bigint | void;

const abi = AbiCoder.defaultAbiCoder();
/** ethers parses a type string on every encode: parse each once. */
const paramTypes = new Map<string, ParamType>();
function paramType(type: string): ParamType {
  let parsed = paramTypes.get(type);
  if (!parsed) paramTypes.set(type, (parsed = ParamType.from(type)));
  return parsed;
}

function parseJson(text: string): JsonTree {
  const tree = (value: unknown): JsonTree => {
    if (value === null || typeof value === "boolean" || typeof value === "string") return value;
    if (isLosslessNumber(value)) return { number: value.value };
    if (Array.isArray(value)) return value.map(tree);
    return { object: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, tree(v)]) };
  };
  return tree(parseLosslessJson(text));
}

const INTEGER = /^-?\d+$/;

/** The host functions, by the name the mapping imports them under. */
export function hostFunctions(state: HostState, model: EntityModel): Record<string, HostFunction> {
  const heap = (): AscHeap => {
    if (!state.heap) throw new AscError("host function called outside a trigger");
    return state.heap;
  };
  const scope = (): TriggerScope => {
    if (!state.scope) throw new AscError("host function called outside a trigger");
    return state.scope;
  };
  const entityMeta = (name: string) => {
    const meta = model.entity(name);
    if (!meta) throw new MappingAbort(`unknown entity type \`${name}\``);
    return meta;
  };
  const newBigInt = (value: bigint): number => heap().newBigInt(value);
  const bigIntOp =
    (op: (x: bigint, y: bigint) => bigint) =>
    (x: number, y: number): number =>
      newBigInt(op(heap().bigIntAt(x), heap().bigIntAt(y)));
  const newDecimal = (d: Decimal): number => heap().newObject("BigDecimal", [newBigInt(d.digits), newBigInt(d.exp)]);
  const decimalOp =
    (op: (x: Decimal, y: Decimal) => Decimal) =>
    (x: number, y: number): number =>
      newDecimal(op(readDecimal(heap(), x), readDecimal(heap(), y)));
  const numeric =
    <T extends unknown[], R>(fn: (...args: T) => R) =>
    (...args: T): R => {
      try {
        return fn(...args);
      } catch (error) {
        if (error instanceof NumberError) throw new MappingAbort(error.message);
        throw error;
      }
    };

  return {
    abort(message: number, file: number, line: number, column: number): void {
      const h = heap();
      const text = message ? h.string(message) : "(no message)";
      const where = file ? ` in ${h.string(file)}(${line}:${column})` : "";
      throw new MappingAbort(`mapping aborted${where}: ${text}`);
    },

    // ---- store ----
    "store.get"(entity: number, id: number): number {
      const h = heap();
      const meta = entityMeta(h.string(entity));
      const record = scope().store.get(meta.name, normalizeIdText(meta, h.string(id)));
      return record ? entityToWasm(h, meta, record, scope().handed) : 0;
    },
    "store.get_in_block"(entity: number, id: number): number {
      const h = heap();
      const meta = entityMeta(h.string(entity));
      const record = scope().store.getInBlock(meta.name, normalizeIdText(meta, h.string(id)));
      return record ? entityToWasm(h, meta, record, scope().handed) : 0;
    },
    "store.set"(entity: number, id: number, data: number): void {
      const h = heap();
      const meta = entityMeta(h.string(entity));
      const key = normalizeIdText(meta, h.string(id));
      const store = scope().store;
      const base = store.mergeBase(meta.name, key);
      // The fields the save changes: a value still as the host handed it out, equal to the stored one, is left out.
      const fields = entityFromWasm(h, meta, data, key, scope().handed, base.known ? base.record : undefined);
      if (fields.id !== undefined && fields.id !== null && String(fields.id).toLowerCase() !== key.toLowerCase()) {
        throw new MappingAbort(
          `Entity ${meta.name}[${key}]: conflicting 'id' value set by user code: ${String(fields.id)}`,
        );
      }
      // graph-node merges a save into the existing entity: fields the mapping left out keep their values, fields
      // it set to null are removed.
      let storedId: EntityValue = key;
      if (meta.idType === "Int8") {
        // An Int8 as the store holds it: a number when safe, else a bigint (Number(key) would round it).
        const n = BigInt(key);
        storedId = Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      if (!base.known) {
        // The stored entity is not loaded. A save that sets every required field is valid whatever it merges
        // into, so it is kept blind and merged once the entity is loaded: most saves create entities, and none of
        // them then waits for a lookup.
        const partial: EntityRecord = { ...(base.partial ?? {}), ...fields, id: storedId };
        if (hasRequired(meta, partial)) {
          store.setBlind(meta.name, key, partial);
          return;
        }
      }
      // Known, or needed to be: get() stops the trigger until the entity is loaded when it is not in memory.
      const existing = base.known ? base.record : store.get(meta.name, key);
      const merged: EntityRecord = existing ? { ...existing } : {};
      const unset: string[] = [];
      for (const name in fields) {
        if (fields[name] === null) {
          delete merged[name];
          unset.push(name);
        } else merged[name] = fields[name];
      }
      merged.id = storedId;
      checkRequired(meta, merged, key, existing ? unset : undefined);
      if (existing && unset.length === 0) carryImage(h, meta, existing, merged, fields);
      store.set(meta.name, key, merged);
    },
    "store.remove"(entity: number, id: number): void {
      const h = heap();
      const meta = entityMeta(h.string(entity));
      scope().store.remove(meta.name, normalizeIdText(meta, h.string(id)));
    },

    // ---- log ----
    "log.log"(level: number, message: number): void {
      const text = heap().string(message);
      if (level === LOG_CRITICAL) throw new MappingAbort(`log.critical: ${text}`);
      scope().log(level, text);
    },

    // ---- crypto ----
    "crypto.keccak256"(input: number): number {
      const h = heap();
      return h.newBytes(keccak_256(h.bytesAt(input)));
    },

    // ---- type conversions ----
    "typeConversion.bytesToString"(bytes: number): number {
      // graph-node trims trailing NULs (text padded in a fixed-size buffer); NULs inside are kept, and dropped
      // when the string comes back to the host (AscHeap.string).
      const text = heap().utf8(bytes);
      let end = text.length;
      while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
      return heap().newString(text.slice(0, end));
    },
    "typeConversion.bytesToHex"(bytes: number): number {
      return heap().newHexString(bytes);
    },
    "typeConversion.bigIntToString"(value: number): number {
      return heap().newString(heap().bigIntAt(value).toString());
    },
    "typeConversion.bigIntToHex"(value: number): number {
      return heap().newString(bigIntToHex(heap().bigIntAt(value)));
    },
    "typeConversion.stringToH160"(text: number): number {
      const value = heap().string(text);
      const hex = value.startsWith("0x") ? value.slice(2) : value;
      if (!/^[0-9a-fA-F]{40}$/.test(hex))
        throw new MappingAbort(`failed to convert string to Address/H160: '${value}'`);
      return heap().newHexBytes(hex);
    },
    "typeConversion.bytesToBase58"(bytes: number): number {
      const b = heap().bytes(bytes);
      return heap().newString(b.length === 0 ? "" : encodeBase58(b));
    },

    // ---- BigInt ----
    "bigInt.plus": bigIntOp((x, y) => x + y),
    "bigInt.minus": bigIntOp((x, y) => x - y),
    "bigInt.times": bigIntOp((x, y) => x * y),
    "bigInt.dividedBy": numeric(bigIntOp(divide)),
    "bigInt.mod": numeric(bigIntOp(modulo)),
    "bigInt.bitOr": bigIntOp((x, y) => x | y),
    "bigInt.bitAnd": bigIntOp((x, y) => x & y),
    "bigInt.pow"(x: number, exp: number): number {
      return newBigInt(heap().bigIntAt(x) ** BigInt(exp & 0xff));
    },
    "bigInt.leftShift"(x: number, bits: number): number {
      return newBigInt(heap().bigIntAt(x) << BigInt(bits & 0xff));
    },
    "bigInt.rightShift"(x: number, bits: number): number {
      return newBigInt(heap().bigIntAt(x) >> BigInt(bits & 0xff));
    },
    "bigInt.fromString": numeric((text: number): number => newBigInt(parseBigInt(heap().string(text)))),
    "bigInt.dividedByDecimal": numeric((x: number, y: number): number =>
      newDecimal(decimalDivide({ digits: heap().bigIntAt(x), exp: 0n }, readDecimal(heap(), y))),
    ),

    // ---- BigDecimal ----
    "bigDecimal.plus": numeric(decimalOp(decimalPlus)),
    "bigDecimal.minus": numeric(decimalOp(decimalMinus)),
    "bigDecimal.times": numeric(decimalOp(decimalTimes)),
    "bigDecimal.dividedBy": numeric(decimalOp(decimalDivide)),
    "bigDecimal.equals"(x: number, y: number): number {
      return decimalEquals(readDecimal(heap(), x), readDecimal(heap(), y)) ? 1 : 0;
    },
    "bigDecimal.toString"(x: number): number {
      return heap().newString(decimalToString(readDecimal(heap(), x)));
    },
    "bigDecimal.fromString": numeric((text: number): number => newDecimal(parseDecimal(heap().string(text)))),

    // ---- ethereum ----
    "ethereum.encode"(token: number): number {
      const { type, value } = ethereumValueFromWasm(heap(), token);
      try {
        return heap().newHexBytes(abi.encode([paramType(type)], [value]));
      } catch {
        return 0;
      }
    },
    "ethereum.decode"(types: number, data: number): number {
      const h = heap();
      let type: ParamType;
      try {
        type = paramType(h.string(types));
      } catch (error) {
        // graph-node: types that do not parse are an error; only data that does not decode gives null.
        throw new MappingAbort(
          `ethereum.decode: cannot read the types \`${h.string(types)}\`: ${(error as Error).message}`,
        );
      }
      const param = JSON.parse(type.format("json")) as AbiParam;
      let value: unknown;
      try {
        value = abi.decode([type], h.bytes(data))[0];
      } catch {
        return 0;
      }
      return ethereumValueToWasm(h, param, value);
    },

    // ---- json ----
    "json.fromBytes"(bytes: number): number {
      let tree: JsonTree;
      try {
        tree = parseJson(heap().utf8(bytes));
      } catch (error) {
        throw new MappingAbort(`json.fromBytes: ${(error as Error).message}`);
      }
      return jsonToWasm(heap(), tree);
    },
    "json.try_fromBytes"(bytes: number): number {
      const h = heap();
      let tree: JsonTree;
      try {
        tree = parseJson(h.utf8(bytes));
      } catch {
        const error = h.newObject("WrappedBool", [1]);
        return h.newObject("ResultJsonValueBool", [0, error]);
      }
      const wrapped = h.newObject("WrappedJsonValue", [jsonToWasm(h, tree)]);
      return h.newObject("ResultJsonValueBool", [wrapped, 0]);
    },
    "json.toI64"(text: number): bigint {
      const value = heap().string(text);
      if (!INTEGER.test(value)) throw new MappingAbort(`json.toI64: \`${value}\` is not an integer`);
      const n = BigInt(value);
      if (n !== BigInt.asIntN(64, n)) throw new MappingAbort(`json.toI64: \`${value}\` does not fit in an i64`);
      return n;
    },
    "json.toU64"(text: number): bigint {
      const value = heap().string(text);
      if (!/^\d+$/.test(value)) throw new MappingAbort(`json.toU64: \`${value}\` is not an unsigned integer`);
      const n = BigInt(value);
      if (n !== BigInt.asUintN(64, n)) throw new MappingAbort(`json.toU64: \`${value}\` does not fit in a u64`);
      return BigInt.asIntN(64, n);
    },
    "json.toF64"(text: number): number {
      const value = Number(heap().string(text));
      if (Number.isNaN(value)) throw new MappingAbort(`json.toF64: \`${heap().string(text)}\` is not a number`);
      return value;
    },
    "json.toBigInt": numeric((text: number): number => newBigInt(parseBigInt(heap().string(text)))),

    // ---- data source ----
    "dataSource.address"(): number {
      return heap().newHexBytes(scope().dataSource.address);
    },
    "dataSource.network"(): number {
      return heap().newString(scope().dataSource.network);
    },
    "dataSource.context"(): number {
      return contextToWasm(heap(), scope().dataSource.context);
    },
  };
}

/** The most parameters a host function takes (abort's four). */
const MAX_HOST_ARITY = 4;

/**
 * `fn` as the mapping calls it: allocating through the heap's own allocator between enter() and leave(). Fixed
 * parameters rather than rest-and-spread, which allocated an array per call (~11 host calls per event on Accord's
 * mappings); a function taking fewer ignores the extra `undefined`s.
 */
function hostCall(fn: HostFunction, state: HostState): HostFunction {
  if (fn.length > MAX_HOST_ARITY) throw new Error(`host function with ${fn.length} parameters`);
  const f: (a: never, b: never, c: never, d: never) => number | bigint | void = fn;
  return (a: never, b: never, c: never, d: never): number | bigint | void => {
    const heap = state.heap;
    heap?.enter();
    try {
      return f(a, b, c, d);
    } finally {
      heap?.leave();
    }
  };
}

/** The import object for `module`, or the names of the functions it imports that the host lacks. */
export function linkImports(
  module: WebAssembly.Module,
  functions: Record<string, HostFunction>,
  state: HostState,
): WebAssembly.Imports {
  const imports: WebAssembly.Imports = {};
  const missing: string[] = [];
  for (const entry of WebAssembly.Module.imports(module)) {
    if (entry.kind !== "function") {
      missing.push(`${entry.module}.${entry.name} (${entry.kind})`);
      continue;
    }
    const fn = functions[entry.name];
    if (!fn) {
      missing.push(entry.name);
      continue;
    }
    (imports[entry.module] ??= {})[entry.name] = hostCall(fn, state);
  }
  if (missing.length > 0) {
    throw new UnsupportedHostFunctionError(
      `the mapping imports ${missing.join(", ")}, which Accord's host does not implement (see src/indexer/README.md, "The host")`,
    );
  }
  return imports;
}
