// Job escrow (`accord/escrow`): attestations and their EIP-712 signatures, oracle sets and their hash, the payout
// rule, the provider's signed report and the outcome policy oracles decide by.

export * from "./constants";
export * from "./oracle-set";
export * from "./attestation";
export * from "./payout";
export * from "./report";
export * from "./policy";
export * from "./quorum";
