// The library's defaults, in one place: what the indexer, the store and the API use when an option is left out,
// and what the `accord` command line shows and falls back to (src/bin/options.ts). The library never reads the
// environment; the command line resolves flags and environment variables into explicit options.

export const DEFAULTS = {
  /** PGlite data directory of `accord index` / `accord serve` (relative to the working directory). */
  dataDir: ".accord/db",
  /** SQL schema (namespace) of the entity tables. */
  dbSchema: "accord",
  /** Host the GraphQL API listens on. */
  host: "127.0.0.1",
  /** Port the GraphQL API listens on. */
  port: 4000,
  /** How far back a reorg may reach (blocks). */
  reorgDepth: 64,
  /** Head polling interval while following (ms). */
  pollIntervalMs: 250,
  /**
   * During a backfill, a full GC after a batch once the JS heap grew this much (MiB; 0 = leave it to V8). On the
   * bench:indexer chain (`accord index --no-follow`, three runs each, alternating): 48 gave 10.5k–10.7k events/s
   * and 367–380 MiB peak RSS, 64 gave 10.5k–11.0k and 367–416 MiB, 40 gave 9.4k–9.7k and 346–378 MiB.
   */
  heapHeadroomMiB: 48,
  /** pino level. */
  logLevel: "info",
  /** /ready answers 200 while the checkpoint is within this many blocks of the head. */
  maxHeadLag: 10,
  /**
   * PGlite shared_buffers. Small: WebAssembly memory never shrinks, so every buffer page touched stays resident,
   * while the data files are in the OS page cache anyway. bench:indexer's chain, `accord index --no-follow` twice
   * each: 16MB 10.7k events/s and 371–372 MiB peak RSS, 32MB 9.6–10.7k and 393–410 MiB; the API's 50-client load
   * the same (534 vs 532 requests/s).
   */
  sharedBuffers: "16MB",
  /** The solver's intake: how far an offer's `created_at` may be from the solver's clock (ms; the reference's 30 s). */
  offerFreshnessMs: 30_000,
  /** The solver's intake: the most mediators an offer may trust. */
  offerMaxMediators: 32,
  /** The solver's intake: the most modules (and module pricing / timeout entries) a resource offer may list. */
  offerMaxModules: 256,
  /** The solver's intake: the most template inputs a job offer may carry. */
  offerMaxInputs: 256,
  /** The solver drops a proposal both parties have not signed this long after it was made (ms). */
  proposalSignTimeoutMs: 30_000,
  /**
   * The deadline of a proposal's agreement, this many seconds after the proposal: the time the solver has to submit
   * it once both have signed (retrying while the node is unreachable).
   */
  agreementValiditySeconds: 600,
} as const;

export type Defaults = typeof DEFAULTS;
