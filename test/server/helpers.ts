// Shared fixtures for the API tests: a small market written into the fake store over blocks 10–13, and helpers
// to start a server on a free loopback port and post queries to it.

import { randomBytes } from "node:crypto";
import pino from "pino";
import { Registry } from "prom-client";
import { bytes32ToCid as cidV0FromDigest } from "../../src/model/cid";
import { openStore, type EntityChange, type SqlStore } from "../../src/indexer/store";
import type { Checkpoint, EntityRecord } from "../../src/indexer/store/types";
import { loadEntitySchema } from "../../src/server/entities";
import { createServer, type AccordServer, type ServerOptions } from "../../src/server/server";
import { FakeStore } from "./fakeStore";
import { Recorder, type SpyStore } from "./recorder";

export const model = loadEntitySchema();

export const A1 = `0x${"a1".repeat(20)}`;
export const A2 = `0x${"b2".repeat(20)}`;
export const A3 = `0x${"c3".repeat(20)}`;
export const M1 = `0x${"d4".repeat(20)}`;
export const M2 = `0x${"e5".repeat(20)}`;
// Deals are keyed by the market's deal key (Bytes); these stand for keccak256(abi.encode(dealId, jobCreator,
// resourceProvider)) and sort D1 < D2 < D3. D3 is a second record of D1's deal ID (CID1) with another provider,
// as when a third party agrees first to someone else's deal ID.
export const D1 = `0x${"d1".repeat(32)}`;
export const D2 = `0x${"d2".repeat(32)}`;
export const D3 = `0x${"d3".repeat(32)}`;
export const DEAL_ID1 = `0x${"11".repeat(32)}`;
export const DEAL_ID2 = `0x${"22".repeat(32)}`;
export const CID1 = cidV0FromDigest(DEAL_ID1);
export const CID2 = cidV0FromDigest(DEAL_ID2);
/** A key of the fixture's style for other tests' deals: `dealKey(n)` = 0x(n as a byte) × 32. */
export const dealKey = (n: number): string => `0x${n.toString(16).padStart(2, "0").repeat(32)}`;
export const TX = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;

export function account(id: string, overrides: Partial<EntityRecord> = {}): EntityRecord {
  return { id, escrowBalance: 0n, totalPaidIn: 0n, totalReceived: 0n, deferredPayout: 0n, ...overrides };
}

export function deal(id: string, block: number, overrides: Partial<EntityRecord> = {}): EntityRecord {
  const dealId = id === D2 ? DEAL_ID2 : DEAL_ID1;
  return {
    id,
    cid: cidV0FromDigest(dealId),
    dealId,
    market: `0x${"11".repeat(20)}`,
    jobCreator: A1,
    resourceProvider: A2,
    solver: `0x${"22".repeat(20)}`,
    mediators: [M1, M2],
    instructionPrice: 100n,
    paymentCollateral: 1000n,
    resultsCollateralMultiple: 2n,
    mediationFee: 50n,
    agreeTimeout: 3600n,
    submitResultsTimeout: 3600n,
    judgeResultsTimeout: 3600n,
    mediateResultsTimeout: 3600n,
    agreeCollateral: 10n,
    submitResultsCollateral: 10n,
    judgeResultsCollateral: 10n,
    mediateResultsCollateral: 10n,
    state: "DealNegotiating",
    stateIndex: 0,
    isOpen: true,
    jobCreatorAgreed: true,
    resourceProviderAgreed: false,
    mediator: null,
    instructionCount: null,
    resultsId: null,
    escrow: 1010n,
    createdAt: BigInt(1_700_000_000 + block),
    createdAtBlock: BigInt(block),
    createdTx: TX(block),
    agreedAt: null,
    updatedAt: BigInt(1_700_000_000 + block),
    updatedAtBlock: BigInt(block),
    updatedTx: TX(block),
    ...overrides,
  };
}

export function stateChange(dealId: string, block: number, state: string, stateIndex: number): EntityRecord {
  return {
    id: `${TX(block)}-${stateIndex}`,
    deal: dealId,
    state,
    stateIndex,
    blockNumber: BigInt(block),
    timestamp: BigInt(1_700_000_000 + block),
    transactionHash: TX(block),
  };
}

export function payment(id: string, dealId: string, acct: string, amount: bigint, block: number): EntityRecord {
  return {
    id,
    deal: dealId,
    payee: acct,
    account: acct,
    amount,
    reason: "PaymentCollateral",
    direction: "PaidIn",
    blockNumber: BigInt(block),
    timestamp: BigInt(1_700_000_000 + block),
    transactionHash: TX(block),
  };
}

export interface FixtureBatch {
  block: number;
  set?: [entity: string, record: EntityRecord][];
  remove?: [entity: string, id: string][];
}

export const HASH = (n: number): string => `0x${n.toString(16).padStart(64, "0")}`;
export const checkpointAt = (n: number): Checkpoint => ({
  blockNumber: n,
  blockHash: HASH(n),
  timestamp: 1_700_000_000 + n,
});

/**
 * Block 10: accounts A1, A2 and deal D1 (CID1, A1 → A2, price 100). Block 11: deal D2 (CID2, A2 → A1, price 250,
 * agreed), payments for D1. Block 12: D1 agreed (state change), a result for D2, A1's service. Block 13: deal D3
 * (CID1 again, A1 → A3, price 5, "DealNegotiating"); account A3.
 */
export const MARKET: FixtureBatch[] = [
  {
    block: 10,
    set: [
      ["Account", account(A1, { escrowBalance: 1010n })],
      ["Account", account(A2)],
      ["Deal", deal(D1, 10)],
      ["DealStateChange", stateChange(D1, 10, "DealNegotiating", 0)],
    ],
  },
  {
    block: 11,
    set: [
      [
        "Deal",
        deal(D2, 11, {
          jobCreator: A2,
          resourceProvider: A1,
          instructionPrice: 250n,
          state: "DealAgreed",
          stateIndex: 1,
          resourceProviderAgreed: true,
          mediators: [M2],
        }),
      ],
      ["Payment", payment(`${TX(11)}-0`, D1, A1, 1000n, 11)],
      ["Payment", payment(`${TX(11)}-1`, D1, A1, 10n, 11)],
      ["Account", account(A2, { escrowBalance: 1010n })],
    ],
  },
  {
    block: 12,
    set: [
      [
        "Deal",
        deal(D1, 10, {
          state: "DealAgreed",
          stateIndex: 1,
          resourceProviderAgreed: true,
          agreedAt: 1_700_000_012n,
          updatedAtBlock: 12n,
        }),
      ],
      ["DealStateChange", stateChange(D1, 12, "DealAgreed", 1)],
      [
        "Result",
        {
          id: D2,
          deal: D2,
          resourceProvider: A1,
          resultsId: `0x${"99".repeat(32)}`,
          resultsCid: "QmResults",
          instructionCount: 7n,
          jobCost: 1750n,
          resultsCollateral: 3500n,
          blockNumber: 12n,
          timestamp: 1_700_000_012n,
          transactionHash: TX(12),
        },
      ],
      [
        "Service",
        {
          id: A1,
          account: A1,
          roles: ["Solver", "Mediator"],
          rolesBitmap: 3,
          isSolver: true,
          isMediator: true,
          isDirectory: false,
          isResourceProvider: false,
          isJobCreator: false,
          metadata: `0x${"77".repeat(32)}`,
          metadataCid: "QmMeta",
          url: "https://solver.example/api",
          registered: true,
          registeredAt: 1_700_000_012n,
          updatedAt: 1_700_000_012n,
          updatedTx: TX(12),
        },
      ],
    ],
  },
  {
    block: 13,
    set: [
      ["Account", account(A3)],
      ["Deal", deal(D3, 13, { resourceProvider: A3, instructionPrice: 5n, mediators: [] })],
    ],
  },
];

export function applyFake(store: FakeStore, batches: FixtureBatch[]): void {
  for (const b of batches) {
    for (const [entity, record] of b.set ?? []) store.set(entity, record, b.block);
    for (const [entity, id] of b.remove ?? []) store.remove(entity, id, b.block);
    store.commit(b.block);
  }
}

/** Writes batches through the SQL store's batch API; returns each batch's changes (what the indexer publishes). */
export async function applySql(store: SqlStore, batches: FixtureBatch[]): Promise<EntityChange[][]> {
  const all: EntityChange[][] = [];
  for (const b of batches) {
    all.push(
      await store.batchWithChanges(checkpointAt(b.block), async (w) => {
        for (const [entity, record] of b.set ?? []) await w.set(entity, record, b.block);
        for (const [entity, id] of b.remove ?? []) await w.remove(entity, id, b.block);
      }),
    );
  }
  return all;
}

export function marketStore(): FakeStore {
  const store = new FakeStore(model);
  applyFake(store, MARKET);
  return store;
}

/**
 * The real store with the market written through its batch API, wrapped in a Recorder: PGlite in memory, or
 * PostgreSQL (DATABASE_URL) in a fresh SQL schema that close() drops.
 */
export async function marketSqlStore(
  kind: "pglite" | "postgres" = "pglite",
): Promise<{ spy: Recorder; sql: SqlStore; close: () => Promise<void> }> {
  const sql =
    kind === "postgres"
      ? await openStore({
          databaseUrl: process.env.DATABASE_URL,
          schema: `accord_server_test_${process.pid}_${randomBytes(4).toString("hex")}`,
          model,
        })
      : await openStore({ dataDir: "memory://", model });
  const close = async (): Promise<void> => {
    if (kind === "postgres") await sql.dropSchema().catch(() => {});
    await sql.close().catch(() => {});
  };
  try {
    await applySql(sql, MARKET);
  } catch (error) {
    await close();
    throw error;
  }
  return { spy: new Recorder(sql), sql, close };
}

export interface Backend {
  name: string;
  open(): Promise<{ store: SpyStore; close: () => Promise<void> }>;
}

/** The stores the API tests run against: the fake store, the SQL store on PGlite, and on PostgreSQL with DATABASE_URL. */
export const BACKENDS: Backend[] = [
  { name: "fake store", open: () => Promise.resolve({ store: marketStore(), close: () => Promise.resolve() }) },
  {
    name: "PGlite store",
    open: async () => {
      const { spy, close } = await marketSqlStore("pglite");
      return { store: spy, close };
    },
  },
  ...(process.env.DATABASE_URL
    ? [
        {
          name: "PostgreSQL store",
          open: async () => {
            const { spy, close } = await marketSqlStore("postgres");
            return { store: spy, close };
          },
        },
      ]
    : []),
];

export const silent = pino({ level: "silent" });

export interface TestServer {
  server: AccordServer;
  store: SpyStore;
  registry: Registry;
  /** Posts a query; `T` is the shape of the `data` it selects (unknown unless the test says). */
  gql<T = unknown>(query: string, variables?: Record<string, unknown>): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
  path?: (string | number)[];
}

/** A GraphQL response body: `T` is the shape of `data`, as the test's selection set determines it. */
export interface GqlResult<T = unknown> {
  data?: T;
  errors?: GqlError[];
}

/** A GraphQL response over HTTP: its status and its body. */
export interface GqlResponse<T = unknown> extends GqlResult<T> {
  status: number;
}

/** Rows selected as `{ id }`. */
export type IdRows = { id: string }[];

export async function post<T = unknown>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<GqlResponse<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: GqlResult<T>;
  try {
    parsed = JSON.parse(text) as GqlResult<T>;
  } catch {
    parsed = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
  }
  return { status: response.status, ...parsed };
}

export async function startServer(options: Partial<ServerOptions> & { store?: SpyStore } = {}): Promise<TestServer> {
  const store = options.store ?? marketStore();
  const registry = options.registry ?? new Registry();
  const server = await createServer({
    port: 0,
    logger: silent,
    ...options,
    store,
    registry,
    model: options.model ?? model,
  });
  return {
    server,
    store,
    registry,
    gql: <T>(query: string, variables?: Record<string, unknown>) => post<T>(server.url, { query, variables }),
    close: () => server.close(),
  };
}
