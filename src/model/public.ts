// The data model as the package exports it (`accord/model`, and at the package root): types, enums, IDs, getDeal,
// conversions to the contracts' structs, validation of untrusted JSON, errors. The Go-compatible JSON encoder it is
// built on (schemas, go* field builders, encodeJson, dag-pb blocks) stays internal; ./index.ts exports everything
// for the package's own code and tests.

export * from "./types";
export * from "./errors";
export { parseJson } from "./parse";
export { cidToBytes32, bytes32ToCid, isCid, isCidV0 } from "./cid";
export { getJobOfferId, getResourceOfferId, getDealId, getModuleId, getResultId } from "./ids";
export { checkJobOffer, checkResourceOffer, checkResult } from "./checks";
export * from "./enums";
export * from "./containers";
export { getDeal, getMutualServices } from "./deal";
export * from "./convert";
export { parseJobOffer, parseResourceOffer, parseDeal, parseResult, type ParseOptions } from "./validate";
export { isAddress } from "./address";
export { UINT64_MAX } from "./integers";
export { BLOCKHASH_WINDOW, dealKey, mediatorDrawIndex } from "./deal-key";
