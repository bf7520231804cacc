// The package root (`accord`): the data model's public API, the typed clients and the deployment file.
// Subpaths: accord/model, accord/clients, accord/solver, accord/indexer, accord/server (see package.json "exports").

export * from "./model/public";
export * from "./clients";
export * from "./solver";
export * from "./deployments";
