// Accord's embedded indexer: contract events → versioned entities in PGlite or PostgreSQL, served to the GraphQL
// server through the Store interface.
//
//   schema/    the entity schema (subgraph/schema.graphql) as metadata
//   store/     SQL store: migrations, versioned entity tables, batches, rollbacks, The Graph's filters
//   sync/      JSON-RPC, adaptive log ranges, block headers, deployment file, newHeads
//   subgraph/  the subgraph's manifest and the runner of its mappings (events → entities)
//   wasm/      the graph-node-compatible host the mappings run on
//   indexer.ts the orchestrator (backfill, follow, reorgs, change feed, progress)

export { createIndexer, Indexer, ReorgTooDeepError, INDEXING_ERROR_META } from "./indexer";
export type { IndexerOptions, IndexerProgress, IndexerMetrics, ReorgInfo, StoredIndexingError } from "./indexer";
export * from "./schema";
export * from "./store";
export {
  fromAccordDeployment,
  loadDeployment,
  parseDeployment,
  type IndexerDeployment,
  type IndexedContract,
} from "./sync/deployment";
export { JsonRpcClient, RpcError, RpcTransportError, type RpcClientOptions } from "./sync/rpc";
export { DeploymentMismatchError, isRetryable, RpcFailure, type RpcFailureKind } from "./sync/rpc-errors";
export type { RawLog } from "./sync/types";
export { loadSubgraph, SubgraphManifestError, type SubgraphManifest, type DataSource } from "./subgraph/manifest";
export { DeterministicIndexingError } from "./subgraph/runner";
export { defaultSubgraphDir } from "./subgraph/paths";
export { UnsupportedHostFunctionError } from "./wasm/host";
