// The Go-compatible data model: types, encoding, IDs, checks and conversions.

export * from "./types";
export * from "./errors";
export {
  encodeJson,
  encodeJsonBytes,
  quoteJsonString,
  compareUtf8,
  toWellFormed,
  goBool,
  goInt,
  goMap,
  goSlice,
  goString,
  goStruct,
  goUint64,
  goUint8,
  opaqueJson,
  type Schema,
  type StructField,
  type StringFormat,
} from "./json";
export * from "./schemas";
export { parseJson, parseJsonLiterals, numberFromLiteral, JsonNumberLiteral } from "./parse";
export { calculateCid, encodeDagPbBlock, cidOfBlock, cidToBytes32, bytes32ToCid, isCid, isCidV0 } from "./cid";
export { getJobOfferId, getResourceOfferId, getDealId, getModuleId, getResultId } from "./ids";
export { checkJobOffer, checkResourceOffer, checkResult } from "./checks";
export * from "./enums";
export * from "./containers";
export { getDeal, getMutualServices } from "./deal";
export * from "./convert";
export {
  parseJobOffer,
  parseResourceOffer,
  parseDeal,
  parseResult,
  decodeWithSchema,
  type ParseOptions,
} from "./validate";
export { isAddress, addressRule } from "./address";
export { UINT64_MAX } from "./integers";
export { BLOCKHASH_WINDOW, dealKey, mediatorDrawIndex } from "./deal-key";
