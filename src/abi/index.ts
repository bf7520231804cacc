// ABI-driven event decoding: a decoder compiled from any ABI, and the Accord contracts' ABIs, decoders and
// decoded-event types.

export {
  AbiDecodeError,
  canonicalType,
  createEventDecoder,
  eventSignature,
  eventTopic,
  type EventDecoder,
  type LogLike,
} from "./decoder";
export type {
  AbiEventsOf,
  AbiValue,
  DecodedEvent,
  DecodedEventFor,
  DecodedEventOf,
  EventArgs,
  EventNamed,
  EventValues,
  Hex,
  ValueOf,
} from "./types";
export * from "./accord";
