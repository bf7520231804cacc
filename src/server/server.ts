// The Accord GraphQL API: graphql-yoga over the indexer's store, in The Graph's query dialect, plus live
// subscriptions (SSE via yoga, WebSocket via graphql-ws on the same port and path), health/readiness/metrics
// endpoints and query limits.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import {
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type execute,
  type parse,
  type subscribe,
  type validate,
} from "graphql";
import { createSchema, createYoga, isAsyncIterable, type Plugin, type YogaServerInstance } from "graphql-yoga";
// GraphiQL with its assets inlined: yoga's default page loads them from a CDN, which an operator's
// machine (or ours) may not reach.
import { renderGraphiQL } from "@graphql-yoga/render-graphiql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import pino from "pino";
import { DEFAULTS } from "../defaults";
import { readBody, sendJson, sendTooLarge, yogaLogger } from "./http";
import type { Registry } from "prom-client";
import type { StoreReader } from "../indexer/store/types";
import { loadEntitySchema, parseEntitySchema, type EntityModel } from "./entities";
import { DEFAULT_LIMITS, limitPlugins, type Limits } from "./limits";
import { jitPlugins } from "./jit";
import { outcomeOf, serverMetrics, type ServerMetrics } from "./metrics";
import { QueryResolver, requestState, type BlockHeight, type CollectionArgs, type SourceRecord } from "./resolvers";
import { SCALARS } from "./scalars";
import { buildApiSdl, type EntityApi } from "./sdl";
import { ChangeHub, buildSubscriptionResolvers, type ChangeSource } from "./subscriptions";

export interface ServerOptions {
  store: StoreReader;
  /** The entity schema; default subgraph/schema.graphql. */
  schemaPath?: string;
  /** The entity schema's text (instead of schemaPath). */
  schemaSource?: string;
  /** An already parsed entity model (instead of schemaPath/schemaSource). */
  model?: EntityModel;
  /** The indexer's change feed, for subscriptions. */
  changes?: ChangeSource;
  /** Blocks between the chain head and the indexer's checkpoint; drives /ready and a gauge. */
  headLag?: () => Promise<number>;
  /** /ready answers 200 while headLag() ≤ this (default 10). */
  maxHeadLag?: number;
  /** Prometheus registry, shared with the indexer; default a new one with Node's default metrics. */
  registry?: Registry;
  port?: number;
  host?: string;
  limits?: Partial<Limits>;
  /** `_meta.deployment` (graph-node: the deployment's IPFS hash). */
  deployment?: string;
  /** `_meta.hasIndexingErrors`; with `subgraphError: deny` (the default) queries then fail, as on graph-node. */
  hasIndexingErrors?: () => boolean | Promise<boolean>;
  /** Run queries compiled by graphql-jit where that is safe (src/server/jit.ts; default true). */
  jit?: boolean;
  /** Serve GraphiQL on GET /graphql from browsers (default true). */
  graphiql?: boolean;
  logger?: pino.Logger;
}

export interface AccordApi {
  schema: GraphQLSchema;
  sdl: string;
  apis: Map<string, EntityApi>;
  yoga: YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;
  hub: ChangeHub;
  metrics: ServerMetrics;
  limits: Limits;
  logger: pino.Logger;
}

export interface AccordServer {
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql (GraphiQL in a browser, WebSocket too). */
  url: string;
  /** http://host:port */
  origin: string;
  port: number;
  api: AccordApi;
  close(): Promise<void>;
}

function metricsPlugin(metrics: ServerMetrics): Plugin {
  const started = new WeakMap<Request, number>();
  return {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onResultProcess({ request, result }) {
      if (isAsyncIterable(result)) {
        metrics.requests.inc({ outcome: "subscription" });
        return;
      }
      const start = started.get(request);
      for (const r of Array.isArray(result) ? result : [result]) {
        const outcome = outcomeOf((r as { errors?: GraphQLError[] }).errors);
        metrics.requests.inc({ outcome });
        if (start !== undefined) metrics.latency.observe({ outcome }, (performance.now() - start) / 1000);
      }
    },
  };
}

/** Builds the executable schema and the yoga instance, without listening. */
export function createApi(options: ServerOptions): AccordApi {
  const logger = options.logger ?? pino({ level: DEFAULTS.logLevel, name: "accord-api" });
  const limits: Limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const model =
    options.model ??
    (options.schemaSource !== undefined
      ? parseEntitySchema(options.schemaSource)
      : loadEntitySchema(options.schemaPath));
  const { sdl, apis } = buildApiSdl(model, { subscriptions: true });
  const hub = new ChangeHub(options.changes, (error) => logger.error({ err: error }, "change feed failed"));
  const resolver = new QueryResolver({
    store: options.store,
    apis,
    limits,
    deployment: options.deployment ?? "accord",
    hasIndexingErrors: options.hasIndexingErrors ?? (() => false),
  });

  type Args = CollectionArgs & { id?: string; block?: BlockHeight | null; subgraphError?: string };
  const query: Record<string, unknown> = {};
  const types: Record<string, Record<string, unknown>> = {};
  for (const api of apis.values()) {
    const entity = api.entity.name;
    query[api.singular] = async (_root: unknown, args: Args, ctx: unknown, info: GraphQLResolveInfo) => {
      const state = requestState(ctx);
      await resolver.checkErrorPolicy(args.subgraphError);
      const id = resolver.entityId(api, args.id!);
      if (args.block == null) return resolver.getAtLatest(state, entity, id, info);
      const { number } = await resolver.resolveBlock(state, args.block);
      return resolver.get(state, entity, id, number, info);
    };
    query[api.plural] = async (_root: unknown, args: Args, ctx: unknown, info: GraphQLResolveInfo) => {
      const state = requestState(ctx);
      await resolver.checkErrorPolicy(args.subgraphError);
      const q = resolver.collectionQuery(entity, args, undefined, undefined, `${api.plural}(where)`);
      if (args.block == null) return resolver.findAtLatest(state, q, info);
      q.block = (await resolver.resolveBlock(state, args.block)).number;
      return resolver.find(state, q, info);
    };
    const fields: Record<string, unknown> = {};
    for (const field of api.entity.fields) {
      if (field.kind !== "entity") continue;
      fields[field.name] = (parent: SourceRecord, args: CollectionArgs, ctx: unknown, info: GraphQLResolveInfo) =>
        resolver.relation(requestState(ctx), parent, field, args, info);
    }
    types[entity] = fields;
  }
  query._meta = async (_root: unknown, args: { block?: BlockHeight | null }, ctx: unknown) => {
    const state = requestState(ctx);
    const latest = await resolver.latest(state);
    const block = await resolver.resolveBlock(state, args.block);
    const isLatest = latest !== null && block.number === latest.blockNumber && block.hash === latest.blockHash;
    return {
      block: {
        number: block.number,
        hash: block.hash ?? null,
        timestamp: isLatest ? latest.timestamp : null,
        parentHash: null,
      },
      deployment: resolver.deps.deployment,
      hasIndexingErrors: await resolver.deps.hasIndexingErrors(),
    };
  };

  const schema = createSchema({
    typeDefs: sdl,
    resolvers: {
      ...SCALARS,
      Query: query,
      Subscription: buildSubscriptionResolvers({ hub, resolver }),
      ...types,
    },
  });

  const metrics = serverMetrics(options.registry, { headLag: options.headLag, activeSubscriptions: () => hub.size });

  const yoga = createYoga<Record<string, unknown>, Record<string, unknown>>({
    schema: schema as GraphQLSchema,
    graphqlEndpoint: "/graphql",
    graphiql: options.graphiql === false ? false : { title: "Accord GraphQL", subscriptionsProtocol: "SSE" },
    renderGraphiQL,
    landingPage: false,
    multipart: false,
    logging: yogaLogger(logger),
    plugins: [...(options.jit === false ? [] : jitPlugins()), ...limitPlugins(limits), metricsPlugin(metrics)],
  });

  return { schema, sdl, apis, yoga, hub, metrics, limits, logger };
}

/** Starts the API on host:port (default 127.0.0.1:4000; port 0 picks a free one). */
export async function createServer(options: ServerOptions): Promise<AccordServer> {
  const api = createApi(options);
  const { yoga, hub, metrics, limits, logger } = api;
  // Planner statistics for tables filled without them (PGlite has no autovacuum): once, before serving.
  const analyzable = options.store as StoreReader & { analyzeIfNeeded?: () => Promise<string[]> };
  if (typeof analyzable.analyzeIfNeeded === "function") {
    try {
      const analyzed = await analyzable.analyzeIfNeeded();
      if (analyzed.length > 0) logger.debug({ tables: analyzed }, "analyzed tables without statistics");
    } catch (error) {
      logger.warn({ err: error }, "could not gather planner statistics");
    }
  }
  const maxHeadLag = options.maxHeadLag ?? DEFAULTS.maxHeadLag;

  const tooLarge = (res: http.ServerResponse): void => {
    metrics.requests.inc({ outcome: "too_large" });
    sendTooLarge(res, limits.maxBodyBytes);
  };

  const ready = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
    try {
      if (options.headLag) {
        const lag = await options.headLag();
        const ok = Number.isFinite(lag) && lag <= maxHeadLag;
        return { status: ok ? 200 : 503, body: { ready: ok, headLag: lag, maxHeadLag } };
      }
      const checkpoint = await options.store.checkpoint();
      return {
        status: checkpoint ? 200 : 503,
        body: { ready: checkpoint !== null, block: checkpoint?.blockNumber ?? null },
      };
    } catch (error) {
      return { status: 503, body: { ready: false, error: (error as Error).message } };
    }
  };

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/health") return sendJson(res, 200, { status: "ok" });
    if (path === "/ready") {
      const { status, body } = await ready();
      return sendJson(res, status, body);
    }
    if (path === "/metrics") {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(text);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      const declared = Number(req.headers["content-length"]);
      if (Number.isFinite(declared) && declared > limits.maxBodyBytes) return tooLarge(res);
      const body = await readBody(req, limits.maxBodyBytes);
      if (body === "aborted") return;
      if (body === null) return tooLarge(res);
      // @whatwg-node/server takes a pre-read body from `req.body` (as body parsers leave it).
      if (body.length > 0) (req as http.IncomingMessage & { body?: Buffer }).body = body;
    }
    // handle(req, res) is requestListener, typed as the Promise it returns (settled once the response is sent).
    await yoga.handle(req, res);
  };

  const server = http.createServer((req, res) => {
    handler(req, res).catch((error) => {
      logger.error({ err: error }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error" }] });
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = Math.max(30_000, limits.timeoutMs * 3);

  const host = options.host ?? DEFAULTS.host;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? DEFAULTS.port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    hub.close();
    await yoga.dispose();
    throw error;
  }

  // WebSocket (graphql-ws) on the same port and path; attached once listening, so a failed listen stays quiet.
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: limits.maxBodyBytes });
  // envelop types its phases graphql-agnostically (all `any`); they are graphql-js's own.
  type EnvelopedPhases = {
    parse: typeof parse;
    validate: typeof validate;
    execute: typeof execute;
    subscribe: typeof subscribe;
    contextFactory: () => unknown;
    schema: GraphQLSchema;
  };
  type EnvelopedRoot = { execute(args: ExecutionArgs): unknown; subscribe(args: ExecutionArgs): unknown };
  const ws = useServer(
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, payload) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
        }) as EnvelopedPhases;
        let document: DocumentNode;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError((error as Error).message)];
        }
        const errors = enveloped.validate(enveloped.schema, document);
        if (errors.length > 0) return errors;
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
    },
    wss,
  );

  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  logger.info({ url: `${origin}/graphql` }, "Accord GraphQL API listening");

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/graphql`,
    origin,
    port,
    api,
    close: () =>
      (closing ??= (async () => {
        hub.close();
        await ws.dispose();
        for (const client of wss.clients) client.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await yoga.dispose();
      })()),
  };
}
