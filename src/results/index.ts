// Content-addressed results (UnixFS DAGs named by their CIDv0), their CAR transport and verification.

export { ResultStore } from "./store";
export { resultsHandler, CAR_RESPONSE_TYPE } from "./http";
export { fetchResults, DEFAULT_MAX_RESULTS_BYTES, type FetchResultsOptions } from "./fetch";
export { CAR_CONTENT_TYPE } from "./car";
export { MAX_BLOCK_BYTES } from "./blocks";
export {
  ResultsFetchError,
  ResultsImportError,
  ResultsNotFoundError,
  ResultsVerificationError,
  type ResultsVerificationReason,
} from "./errors";
