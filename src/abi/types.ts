// The TypeScript types of decoded events, inferred from `as const` ABIs (abitype's Abi shapes): what
// createEventDecoder returns for a log, with each argument typed as the decoder represents it.

// abitype is an ES module; its types are read as such from this CommonJS package.
import type { Abi, AbiEvent, AbiParameter } from "abitype" with { "resolution-mode": "import" };

/** Lower-case 0x-prefixed hex: addresses, bytes, bytesN, topic hashes. */
export type Hex = `0x${string}`;

/** Any decoded ABI value (see DecodedEvent for the representation of each type; hex strings are Hex). */
export type AbiValue = string | bigint | boolean | readonly AbiValue[] | { readonly [name: string]: AbiValue };

/**
 * A decoded log of an event, whatever the ABI. `args` has the named parameters by name, tuples as objects keyed by
 * component name (as arrays when a component is unnamed); `values` has every parameter in ABI order, tuples as
 * arrays of their components in order. Values: address → lower-case hex; intN/uintN → bigint; bool → boolean;
 * bytesN, bytes, function → lower-case hex; string → string (UTF-8); T[] and T[k] → arrays. An indexed
 * parameter of a dynamic type (string, bytes, array, tuple) is its topic: the keccak256 of its encoding, as hex.
 */
export interface DecodedEvent {
  eventName: string;
  /** The canonical signature, e.g. `Transfer(address,address,uint256)`. */
  signature: string;
  /** keccak256 of the signature, lower-case hex. */
  topic0: Hex;
  args: { [name: string]: AbiValue };
  values: AbiValue[];
}

/** Which form a tuple takes: objects keyed by component name (`args`) or arrays in order (`values`). */
type TupleForm = "named" | "positional";

/** `uint256[2][]` → `uint256[2]`: the element type of an array type (everything before the last `[`). */
type ElementType<T extends string, Prefix extends string = ""> = T extends `${infer Head}[${infer Rest}`
  ? Rest extends `${string}[${string}`
    ? ElementType<Rest, `${Prefix}${Head}[`>
    : `${Prefix}${Head}`
  : never;

type PrimitiveValue<T extends string> = T extends "bool"
  ? boolean
  : T extends "string"
    ? string
    : T extends `uint${string}` | `int${string}`
      ? bigint
      : T extends "address" | "function" | `bytes${string}`
        ? Hex
        : AbiValue;

type HasUnnamed<Components extends readonly AbiParameter[]> =
  "" extends ComponentName<Components[number]> ? true : false;

type ComponentName<P> = P extends { name: infer N extends string } ? N : "";

type TupleValue<Components, Form extends TupleForm> = Components extends readonly AbiParameter[]
  ? Form extends "named"
    ? HasUnnamed<Components> extends true
      ? { -readonly [K in keyof Components]: ValueOf<Components[K], Form> }
      : { [C in Components[number] as ComponentName<C>]: ValueOf<C, Form> }
    : { -readonly [K in keyof Components]: ValueOf<Components[K], Form> }
  : AbiValue;

/** The decoded value of a parameter (or component) of ABI type `P["type"]`. */
export type ValueOf<P, Form extends TupleForm = "named"> = P extends { type: infer T extends string }
  ? T extends `${string}]`
    ? ValueOf<{ type: ElementType<T>; components: P extends { components: infer C } ? C : never }, Form>[]
    : T extends "tuple"
      ? TupleValue<P extends { components: infer C } ? C : never, Form>
      : PrimitiveValue<T>
  : AbiValue;

/** Indexed parameters of reference types are logged as the hash of their encoding. */
type IsHashedWhenIndexed<T extends string> = T extends "string" | "bytes" | "tuple" | `${string}]` ? true : false;

type ParamValue<P, Form extends TupleForm> = P extends { indexed: true; type: infer T extends string }
  ? IsHashedWhenIndexed<T> extends true
    ? Hex
    : ValueOf<P, Form>
  : ValueOf<P, Form>;

/** An event's named arguments (unnamed parameters are only in `values`). */
export type EventArgs<E extends AbiEvent> = {
  [P in E["inputs"][number] as ComponentName<P> extends "" ? never : ComponentName<P>]: ParamValue<P, "named">;
};

/** An event's arguments in ABI order. */
export type EventValues<E extends AbiEvent> = PositionalValues<E["inputs"]>;

// Mapped over a type parameter, so that a tuple of parameters maps to a tuple of values (and not its keys).
type PositionalValues<Inputs extends readonly AbiParameter[]> = {
  -readonly [K in keyof Inputs]: ParamValue<Inputs[K], "positional">;
};

/** The decoded form of one ABI event. */
export type DecodedEventFor<E extends AbiEvent> = {
  eventName: E["name"];
  signature: string;
  topic0: Hex;
  args: EventArgs<E>;
  values: EventValues<E>;
};

/** The ABI's events that have a topic0 (anonymous events have none, so a decoder cannot recognise them). */
export type AbiEventsOf<abi extends Abi> = Exclude<Extract<abi[number], { type: "event" }>, { anonymous: true }>;

/**
 * The decoded events of an ABI: a union discriminated on `eventName`. An ABI known only as `Abi` (not `as const`)
 * gives the untyped DecodedEvent.
 */
export type DecodedEventOf<abi extends Abi> =
  AbiEventsOf<abi> extends infer E
    ? E extends AbiEvent
      ? string extends E["name"]
        ? DecodedEvent
        : DecodedEventFor<E>
      : never
    : never;

/** The member of a decoded-event union with this name. */
export type EventNamed<Union extends { eventName: string }, N extends Union["eventName"]> = Extract<
  Union,
  { eventName: N }
>;
