// The package root (`accord`): the data model's public API, the typed clients and the deployment file.
// Subpaths: accord/model, accord/clients, accord/solver, accord/pools, accord/indexer, accord/server (see package.json "exports").

export * from "./model/public";
export * from "./clients";
// The matching rule only: the rest of accord/solver (the book, its SQL state, the HTTP API) loads more.
export * from "./solver/match";
export * from "./deployments";
// The capacity-pool unit calculator; the rest of capacity pools is accord/pools.
export * from "./pools/units";
