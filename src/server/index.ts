// The Accord GraphQL API: The Graph's query dialect over the embedded indexer's store, plus subscriptions.

export { createServer, createApi, type ServerOptions, type AccordServer, type AccordApi } from "./server";
export { DEFAULT_LIMITS, type Limits } from "./limits";
export {
  ChangeHub,
  MemoryChangeFeed,
  type ChangeBatch,
  type ChangeSource,
  type EntityChange,
  type BatchEmitter,
} from "./subscriptions";
export { indexerMetrics, type Outcome } from "./metrics";
export { parseEntitySchema, loadEntitySchema, type EntityModel, type EntityMeta, type FieldMeta } from "./entities";
export { buildApiSdl } from "./sdl";
export type { BlockHashLookup } from "./resolvers";
export { runLoad, type LoadOptions, type LoadResult } from "./load";
