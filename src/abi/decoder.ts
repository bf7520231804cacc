// An event-log decoder compiled from an ABI: each event's parameters become a plan of small decoding functions
// once, and a log is then decoded by slicing its hex strings directly (no Interface, no Result, no intermediate
// byte arrays). Written for the indexer's backfills, where ethers' Interface.parseLog dominated CPU;
// scripts/bench/decoder.ts measures it against ethers (bench/results/decoder.json).
//
// Strict about canonical encodings, as Solidity's own abi.decode is: dirty high bits of an address, a uintN/intN
// or a bool, dirty padding of a bytesN, offsets or lengths that leave the data, and the wrong number of topics are
// AbiDecodeErrors naming the event and the parameter. Strings are UTF-8 decoded leniently (an invalid sequence
// becomes U+FFFD), as Buffer does, since a malformed string is the emitter's text, not a broken encoding.

import { id as keccakUtf8 } from "ethers";
// abitype is an ES module; its types are read as such from this CommonJS package.
import type { Abi, AbiEvent, AbiParameter } from "abitype" with { "resolution-mode": "import" };
import type { AbiValue, DecodedEvent, DecodedEventOf, Hex } from "./types";

/** What a log must provide: its topics and data as hex strings (any case), as eth_getLogs and ethers give them. */
export type LogLike = { readonly topics: readonly string[]; readonly data: string };

export interface EventDecoder<Decoded extends DecodedEvent = DecodedEvent> {
  /** topic0 (lower-case) → the ABI event it identifies; anonymous events are left out (they have no topic0). */
  readonly topics: ReadonlyMap<Hex, AbiEvent>;
  /** The decoded log, or null when its topic0 is none of the ABI's events. Throws AbiDecodeError when malformed. */
  decode(log: LogLike): Decoded | null;
  /** As decode, but a log of an unknown event is an AbiDecodeError too. */
  decodeOrThrow(log: LogLike): Decoded;
}

/** A log that does not decode as its event: `param` names the parameter (a path such as `terms.mediators[2]`). */
export class AbiDecodeError extends Error {
  override name = "AbiDecodeError";
  /** The event whose topic0 the log has; undefined when the topic0 is unknown. */
  readonly eventName: string | undefined;
  readonly signature: string | undefined;
  readonly topic0: string | undefined;
  /** The parameter (and the component or element within it) that failed; undefined for the whole log. */
  readonly param: string | undefined;
  readonly reason: string;

  constructor(reason: string, where: { eventName?: string; signature?: string; topic0?: string; param?: string } = {}) {
    const subject = where.signature ?? where.topic0 ?? "log";
    super(`cannot decode ${subject}${where.param === undefined ? "" : ` parameter ${where.param}`}: ${reason}`);
    this.eventName = where.eventName;
    this.signature = where.signature;
    this.topic0 = where.topic0;
    this.param = where.param;
    this.reason = reason;
  }
}

/** The canonical type of a parameter in a signature: tuples spelled out, `(uint256,address)[]`. */
export function canonicalType(param: AbiParameter): string {
  if (!param.type.startsWith("tuple")) return param.type;
  const components = "components" in param ? param.components : [];
  return `(${components.map(canonicalType).join(",")})${param.type.slice("tuple".length)}`;
}

/** `Name(type,type,...)`, what topic0 hashes. */
export function eventSignature(event: AbiEvent): string {
  return `${event.name}(${event.inputs.map(canonicalType).join(",")})`;
}

/** topic0 of an event: keccak256 of its signature, lower-case hex. */
export function eventTopic(event: AbiEvent): Hex {
  return keccakUtf8(eventSignature(event)) as Hex;
}

/**
 * Compiles an ABI's events into a decoder. Typed by an `as const` ABI (DecodedEventOf: a union on `eventName`
 * with every argument's type); any other ABI (e.g. parsed JSON) gives untyped DecodedEvents. Throws on an ABI
 * type it does not know.
 */
export function createEventDecoder<const abi extends Abi>(abi: abi): EventDecoder<DecodedEventOf<abi>>;
export function createEventDecoder(abi: readonly unknown[]): EventDecoder;
export function createEventDecoder(abi: readonly unknown[]): EventDecoder {
  const plans = new Map<string, EventPlan>();
  const topics = new Map<Hex, AbiEvent>();
  for (const item of abi) {
    if (!isEvent(item) || item.anonymous === true) continue;
    const plan = compileEvent(item);
    // Two entries with one signature are one event (e.g. an ABI merged from an interface and its contract).
    if (plans.has(plan.topic0)) continue;
    plans.set(plan.topic0, plan);
    topics.set(plan.topic0, item);
  }
  const decode = (log: LogLike): DecodedEvent | null => {
    const topic0 = log.topics[0];
    if (topic0 === undefined) return null;
    const plan = plans.get(topic0) ?? plans.get(topic0.toLowerCase());
    return plan ? decodeWith(plan, log) : null;
  };
  return {
    topics,
    decode,
    decodeOrThrow(log) {
      const decoded = decode(log);
      if (decoded) return decoded;
      const topic0 = log.topics[0];
      throw new AbiDecodeError(topic0 === undefined ? "no topics" : "no event of the ABI has this topic0", {
        topic0,
      });
    },
  };
}

function isEvent(item: unknown): item is AbiEvent {
  return typeof item === "object" && item !== null && (item as { type?: unknown }).type === "event";
}

/*//////////////////////////////////////////////////////////////
                              PLANS
//////////////////////////////////////////////////////////////*/

/**
 * Decodes one value from `hex` (lower-case, 0x-prefixed, `size` bytes) whose encoding starts at byte `at`: a static
 * value's head slot, or a dynamic value's tail (its containing tuple or array has followed the offset).
 */
type ReadValue = (hex: string, size: number, at: number) => unknown;

/** The named form of a positional value (tuples as objects); absent when both forms are the same. */
type ToNamed = (value: unknown) => unknown;

interface TypePlan {
  read: ReadValue;
  dynamic: boolean;
  /** Bytes the value takes in its container's head: its whole encoding when static, an offset word when dynamic. */
  headSize: number;
  toNamed: ToNamed | undefined;
}

interface ParamPlan {
  name: string;
  /** Where errors point: the name, or `#i` for an unnamed parameter. */
  label: string;
  position: number;
  type: TypePlan;
}

interface EventPlan {
  eventName: string;
  signature: string;
  topic0: Hex;
  topicCount: number;
  /** The indexed parameters, in topic order, and what their topic decodes as (null: the hash itself). */
  indexed: { param: ParamPlan; read: ReadValue | null }[];
  /** The other parameters, encoded together in the data as a tuple. */
  data: ParamPlan[];
  /** Every named parameter, for args. */
  named: ParamPlan[];
  inputCount: number;
}

/** A failure inside a value; containers prefix their component or index on the way out. */
class DecodeFault extends Error {
  path = "";
}

function fault(reason: string): never {
  throw new DecodeFault(reason);
}

/** Prepends a path segment (`.name` or `[i]`) to a fault thrown while decoding a component. */
function within(error: unknown, segment: string): never {
  if (error instanceof DecodeFault) error.path = segment + error.path;
  throw error;
}

const ZEROS = "0".repeat(64);

function compileEvent(event: AbiEvent): EventPlan {
  const signature = eventSignature(event);
  const params: ParamPlan[] = event.inputs.map((input, position) => ({
    name: input.name ?? "",
    label: input.name ? input.name : `#${position}`,
    position,
    type: compileType(input, signature),
  }));
  const indexed = params
    .filter((_, i) => event.inputs[i].indexed === true)
    .map((param) => ({
      param,
      read: param.type.dynamic || isReferenceType(event.inputs[param.position]) ? null : param.type.read,
    }));
  return {
    eventName: event.name,
    signature,
    topic0: keccakUtf8(signature) as Hex,
    topicCount: 1 + indexed.length,
    indexed,
    data: params.filter((_, i) => event.inputs[i].indexed !== true),
    named: params.filter((param) => param.name !== ""),
    inputCount: params.length,
  };
}

/** Arrays and tuples are hashed when indexed even when static (Solidity logs reference types by hash). */
function isReferenceType(param: AbiParameter): boolean {
  return param.type.endsWith("]") || param.type.startsWith("tuple");
}

function compileType(param: AbiParameter, signature: string): TypePlan {
  const type = param.type;
  if (type.endsWith("]")) {
    const open = type.lastIndexOf("[");
    const element = compileType({ ...param, type: type.slice(0, open) }, signature);
    const length = type.slice(open + 1, -1);
    if (length === "") return dynamicArrayPlan(element);
    if (!/^[1-9][0-9]*$/.test(length)) throw new Error(`${signature}: bad array type ${type}`);
    return fixedArrayPlan(element, Number(length));
  }
  if (type === "tuple") {
    const components = "components" in param ? param.components : [];
    return tuplePlan(
      components.map((component) => ({ name: component.name ?? "", type: compileType(component, signature) })),
    );
  }
  const plan = primitivePlan(type);
  if (!plan) throw new Error(`${signature}: unknown ABI type ${type}`);
  return plan;
}

function staticPlan(read: ReadValue): TypePlan {
  return { read, dynamic: false, headSize: 32, toNamed: undefined };
}

/** The hex-character index of byte `at`, after checking that a word there is inside the data. */
function wordAt(size: number, at: number): number {
  if (at + 32 > size) fault(`needs bytes ${at}..${at + 32} of ${size}`);
  return 2 + 2 * at;
}

function primitivePlan(type: string): TypePlan | undefined {
  if (type === "address") {
    return staticPlan((hex, size, at) => {
      const c = wordAt(size, at);
      if (!hex.startsWith(ZEROS.slice(0, 24), c)) fault("address with non-zero high bytes");
      return "0x" + hex.slice(c + 24, c + 64);
    });
  }
  if (type === "bool") {
    return staticPlan((hex, size, at) => {
      const c = wordAt(size, at);
      const last = hex.charCodeAt(c + 63);
      if (!hex.startsWith(ZEROS.slice(0, 63), c) || (last !== 0x30 && last !== 0x31)) fault("bool is neither 0 nor 1");
      return last === 0x31;
    });
  }
  if (type === "string" || type === "bytes") {
    const asString = type === "string";
    return {
      dynamic: true,
      headSize: 32,
      toNamed: undefined,
      read: (hex, size, at) => {
        const length = readLength(hex, size, at);
        const c = 2 + 2 * (at + 32);
        if (at + 32 + length > size) fault(`${length} bytes at ${at + 32} overrun the data (${size} bytes)`);
        const payload = hex.slice(c, c + 2 * length);
        return asString ? Buffer.from(payload, "hex").toString("utf8") : "0x" + payload;
      },
    };
  }
  if (type === "function") return fixedBytesPlan(24);
  let match = /^bytes([0-9]+)$/.exec(type);
  if (match) {
    const n = Number(match[1]);
    return n >= 1 && n <= 32 && String(n) === match[1] ? fixedBytesPlan(n) : undefined;
  }
  match = /^(u?)int([0-9]*)$/.exec(type);
  if (match) {
    const bits = match[2] === "" ? 256 : Number(match[2]);
    if (bits < 8 || bits > 256 || bits % 8 !== 0 || (match[2] !== "" && String(bits) !== match[2])) return undefined;
    return match[1] === "u" ? uintPlan(bits) : intPlan(bits);
  }
  return undefined;
}

function fixedBytesPlan(n: number): TypePlan {
  const padding = ZEROS.slice(0, 64 - 2 * n);
  return staticPlan((hex, size, at) => {
    const c = wordAt(size, at);
    if (!hex.startsWith(padding, c + 2 * n)) fault(`bytes${n} with non-zero padding`);
    return "0x" + hex.slice(c, c + 2 * n);
  });
}

function uintPlan(bits: number): TypePlan {
  const digits = bits / 4;
  const highZeros = ZEROS.slice(0, 64 - digits);
  // Up to 48 bits parseInt is exact and cheaper than parsing a BigInt from a string.
  if (bits <= 48) {
    return staticPlan((hex, size, at) => {
      const c = wordAt(size, at);
      if (!hex.startsWith(highZeros, c)) fault(`uint${bits} out of range`);
      return BigInt(parseInt(hex.slice(c + 64 - digits, c + 64), 16));
    });
  }
  return staticPlan((hex, size, at) => {
    const c = wordAt(size, at);
    if (!hex.startsWith(highZeros, c)) fault(`uint${bits} out of range`);
    return BigInt("0x" + hex.slice(c + 64 - digits, c + 64));
  });
}

function intPlan(bits: number): TypePlan {
  return staticPlan((hex, size, at) => {
    const c = wordAt(size, at);
    const value = BigInt.asIntN(256, BigInt("0x" + hex.slice(c, c + 64)));
    // Canonical: the high bits are the sign extension of the value's own bits.
    if (bits < 256 && BigInt.asIntN(bits, value) !== value) fault(`int${bits} out of range`);
    return value;
  });
}

/** A length or offset word: below 2^48 (more than any log holds), as a number. */
function readSmall(hex: string, size: number, at: number, what: string): number {
  const c = wordAt(size, at);
  if (!hex.startsWith(ZEROS.slice(0, 52), c)) fault(`${what} out of range`);
  return parseInt(hex.slice(c + 52, c + 64), 16);
}

function readLength(hex: string, size: number, at: number): number {
  return readSmall(hex, size, at, "length");
}

/** Follows the offset in the head slot at `head`, relative to `base`, to where the value's tail starts. */
function followOffset(hex: string, size: number, head: number, base: number): number {
  const target = base + readSmall(hex, size, head, "offset");
  if (target > size) fault(`offset to ${target} is past the data (${size} bytes)`);
  return target;
}

interface ComponentPlan {
  name: string;
  type: TypePlan;
}

function tuplePlan(components: readonly ComponentPlan[]): TypePlan {
  const types = components.map((component) => component.type);
  const count = components.length;
  const keys = components.map((component, i) => (component.name === "" ? String(i) : component.name));
  const segments = components.map((component, i) => (component.name === "" ? `[${i}]` : `.${component.name}`));
  const dynamic = types.some((type) => type.dynamic);
  const headSize = dynamic ? 32 : types.reduce((sum, type) => sum + type.headSize, 0);
  const allNamed = components.every((component) => component.name !== "");
  const converters = types.map((type) => type.toNamed);
  const toNamed: ToNamed = allNamed
    ? (value) => {
        const positional = value as unknown[];
        const named: Record<string, unknown> = {};
        for (let i = 0; i < count; i++) {
          const convert = converters[i];
          named[keys[i]] = convert ? convert(positional[i]) : positional[i];
        }
        return named;
      }
    : (value) => (value as unknown[]).map((v, i) => (converters[i] ? converters[i](v) : v));
  return {
    dynamic,
    headSize,
    toNamed,
    // Heads in order from `at`; a dynamic component's offset is relative to `at`, the tuple's start.
    read: (hex, size, at) => {
      const out = new Array<unknown>(count);
      let head = at;
      let i = 0;
      try {
        for (; i < count; i++) {
          const type = types[i];
          out[i] = type.dynamic ? type.read(hex, size, followOffset(hex, size, head, at)) : type.read(hex, size, head);
          head += type.headSize;
        }
      } catch (error) {
        within(error, segments[i]);
      }
      return out;
    },
  };
}

/** `length` elements of one type laid out as a tuple's heads from `base`. */
function readElements(hex: string, size: number, base: number, element: TypePlan, length: number): unknown[] {
  const out = new Array<unknown>(length);
  const { read, dynamic, headSize } = element;
  let i = 0;
  try {
    if (dynamic) {
      for (; i < length; i++) out[i] = read(hex, size, followOffset(hex, size, base + 32 * i, base));
    } else {
      for (; i < length; i++) out[i] = read(hex, size, base + headSize * i);
    }
  } catch (error) {
    within(error, `[${i}]`);
  }
  return out;
}

function arrayToNamed(element: TypePlan): ToNamed | undefined {
  const convert = element.toNamed;
  return convert ? (value) => (value as unknown[]).map(convert) : undefined;
}

function fixedArrayPlan(element: TypePlan, length: number): TypePlan {
  return {
    dynamic: element.dynamic,
    headSize: element.dynamic ? 32 : element.headSize * length,
    toNamed: arrayToNamed(element),
    read: (hex, size, at) => readElements(hex, size, at, element, length),
  };
}

function dynamicArrayPlan(element: TypePlan): TypePlan {
  return {
    dynamic: true,
    headSize: 32,
    toNamed: arrayToNamed(element),
    read: (hex, size, at) => {
      const length = readLength(hex, size, at);
      // The heads alone must fit: a forged length cannot make us allocate more than the data could hold.
      if (length * element.headSize > size - at - 32) fault(`${length} elements overrun the data (${size} bytes)`);
      return readElements(hex, size, at + 32, element, length);
    },
  };
}

/*//////////////////////////////////////////////////////////////
                              DECODING
//////////////////////////////////////////////////////////////*/

const HEX_DATA = /^0x(?:[0-9a-f]{2})*$/;
const HEX_WORD = /^0x[0-9a-f]{64}$/;

/** Where a failure is, for AbiDecodeError. */
function where(plan: EventPlan, param?: ParamPlan) {
  return { eventName: plan.eventName, signature: plan.signature, topic0: plan.topic0, param: param?.label };
}

function decodeWith(plan: EventPlan, log: LogLike): DecodedEvent {
  const topics = log.topics;
  if (topics.length !== plan.topicCount) {
    throw new AbiDecodeError(`${topics.length} topics, the event has ${plan.topicCount}`, where(plan));
  }
  const values = new Array<AbiValue>(plan.inputCount);
  const indexed = plan.indexed;
  for (let t = 0; t < indexed.length; t++) {
    const { param, read } = indexed[t];
    const topic = topics[t + 1].toLowerCase();
    if (!HEX_WORD.test(topic)) throw new AbiDecodeError(`topic ${t + 1} is not 32 bytes of hex`, where(plan, param));
    try {
      values[param.position] = (read ? read(topic, 32, 0) : topic) as AbiValue;
    } catch (error) {
      throw asDecodeError(error, where(plan, param), `topic ${t + 1}`);
    }
  }
  const dataParams = plan.data;
  if (dataParams.length > 0) {
    const hex = log.data.toLowerCase();
    if (!HEX_DATA.test(hex)) throw new AbiDecodeError("data is not 0x-prefixed hex bytes", where(plan));
    const size = (hex.length - 2) / 2;
    let head = 0;
    let k = 0;
    try {
      for (; k < dataParams.length; k++) {
        const type = dataParams[k].type;
        values[dataParams[k].position] = (
          type.dynamic ? type.read(hex, size, followOffset(hex, size, head, 0)) : type.read(hex, size, head)
        ) as AbiValue;
        head += type.headSize;
      }
    } catch (error) {
      throw asDecodeError(error, where(plan, dataParams[k]), undefined);
    }
  }
  const args: Record<string, AbiValue> = {};
  const named = plan.named;
  for (let i = 0; i < named.length; i++) {
    const param = named[i];
    const value = values[param.position];
    const toNamed = param.type.toNamed;
    // An indexed reference type is its hash: nothing to convert.
    args[param.name] = (toNamed && typeof value !== "string" ? toNamed(value) : value) as AbiValue;
  }
  return { eventName: plan.eventName, signature: plan.signature, topic0: plan.topic0, args, values };
}

function asDecodeError(
  error: unknown,
  where: { eventName: string; signature: string; topic0: string; param: string | undefined },
  source: string | undefined,
): unknown {
  if (!(error instanceof DecodeFault)) return error;
  const reason = source ? `${source}: ${error.message}` : error.message;
  return new AbiDecodeError(reason, { ...where, param: `${where.param ?? ""}${error.path}` });
}
