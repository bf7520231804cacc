// Accord's embedded indexer: contract events → versioned entities in PGlite or PostgreSQL, served to the GraphQL
// server through the Store interface.
//
//   schema/    the entity schema (subgraph/schema.graphql) as metadata
//   store/     SQL store: migrations, versioned entity tables, batches, rollbacks, The Graph's filters
//   sync/      JSON-RPC, adaptive log ranges, block headers, event decoding, deployment file, newHeads
//   handlers/  events → entities
//   indexer.ts the orchestrator (backfill, follow, reorgs, change feed, progress)

export { createIndexer, Indexer, ReorgTooDeepError } from "./indexer";
export type { IndexerOptions, IndexerProgress, IndexerMetrics, ReorgInfo } from "./indexer";
export * from "./schema";
export * from "./store";
export {
  fromAccordDeployment,
  loadDeployment,
  parseDeployment,
  startBlockOf,
  type IndexerDeployment,
  type IndexedContract,
} from "./sync/deployment";
export { JsonRpcClient, RpcError, RpcTransportError, type RpcClientOptions } from "./sync/rpc";
export {
  LogDecoder,
  TOPICS,
  AGREEMENT_STATES,
  PAYMENT_REASONS,
  PAYMENT_DIRECTIONS,
  SERVICE_TYPES,
} from "./sync/events";
export type { DecodedLog, RawLog, AccordEvent, DealTerms } from "./sync/events";
export { cidV0FromDigest, eventId, OPEN_STATES, paymentAccount, roleFields } from "./handlers";
