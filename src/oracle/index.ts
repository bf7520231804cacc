// The oracle signer (`accord oracle`): a key of jobs' oracle sets deciding outcomes from providers' signed reports,
// its HTTP API, and the collection of an m-of-n attestation from several oracles.

export * from "./oracle";
export { serveOracle, type OracleServerOptions } from "./server";
export * from "./collect";
export * from "./quorum";
