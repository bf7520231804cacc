// A small GraphQL client for Accord's two GraphQL servers (the indexer's API and the solver's): queries and mutations
// over HTTP POST, subscriptions over server-sent events (graphql-sse, the protocol graphql-yoga serves), which
// reconnect on their own when the server restarts.

import { createClient, type Client as SseClient } from "graphql-sse";
import { AccordError } from "../model/errors";

/** One error of a GraphQL response. */
export interface GraphqlErrorEntry {
  message: string;
  extensions?: { code?: string; field?: string; rule?: string; [key: string]: unknown };
}

/** The server answered with errors (or not with GraphQL at all). `code` is the first error's extensions.code. */
export class GraphqlRequestError extends AccordError {
  override name = "GraphqlRequestError";
  readonly code: string | undefined;
  constructor(
    message: string,
    readonly errors: GraphqlErrorEntry[],
    readonly status?: number,
  ) {
    super(message);
    this.code = errors[0]?.extensions?.code;
  }
}

export interface GraphqlSubscription {
  /** Ends the subscription. */
  close(): void;
}

export interface SubscribeHandlers<T> {
  next(data: T): void;
  /** A failure the client will not retry (it has ended). */
  error?(error: Error): void;
  /** Each time the subscription is (re)established, before its first event: the moment to catch up by a query. */
  connected?(): void;
  /** The server ended the subscription (e.g. its expiry). */
  complete?(): void;
}

export interface GraphqlClientOptions {
  /** Per request (ms); default 30 s. */
  timeoutMs?: number;
  /** Reconnection attempts of a subscription before it fails; default unlimited. */
  retryAttempts?: number;
}

export class GraphqlClient {
  private sse: SseClient | undefined;

  constructor(
    readonly url: string,
    private readonly options: GraphqlClientOptions = {},
  ) {}

  /** A query or mutation; throws GraphqlRequestError with the server's errors. */
  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let body: { data?: T; errors?: GraphqlErrorEntry[] };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new GraphqlRequestError(
        `${this.url} answered ${response.status} with no GraphQL: ${text.slice(0, 200)}`,
        [],
        response.status,
      );
    }
    if (body.errors && body.errors.length > 0) {
      throw new GraphqlRequestError(body.errors.map((e) => e.message).join("; "), body.errors, response.status);
    }
    if (body.data === undefined || body.data === null) {
      throw new GraphqlRequestError(`${this.url} answered ${response.status} without data`, [], response.status);
    }
    return body.data;
  }

  /**
   * A subscription; events reach `handlers.next` until close(), the server ends it (`complete`) or it fails for good
   * (`error`). A broken connection is re-established (calling `connected` again).
   */
  subscribe<T>(query: string, variables: Record<string, unknown>, handlers: SubscribeHandlers<T>): GraphqlSubscription {
    this.sse ??= createClient({
      url: this.url,
      retryAttempts: this.options.retryAttempts ?? Number.MAX_SAFE_INTEGER,
      // Back off up to 5 s between reconnections: a restarted server is found again quickly.
      retry: async (retries) => {
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** retries)));
      },
    });
    let closed = false;
    const dispose = this.sse.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (closed) return;
          if (result.errors && result.errors.length > 0) {
            const errors = result.errors as unknown as GraphqlErrorEntry[];
            closed = true;
            dispose();
            handlers.error?.(new GraphqlRequestError(errors.map((e) => e.message).join("; "), errors));
            return;
          }
          if (result.data) handlers.next(result.data);
        },
        error: (error: unknown) => {
          if (closed) return;
          closed = true;
          handlers.error?.(error instanceof Error ? error : new GraphqlRequestError(String(error), []));
        },
        complete: () => {
          if (closed) return;
          closed = true;
          handlers.complete?.();
        },
      },
      { connected: () => handlers.connected?.() },
    );
    return {
      close: () => {
        if (closed) return;
        closed = true;
        dispose();
      },
    };
  }

  /** Ends every subscription. */
  close(): void {
    this.sse?.dispose();
    this.sse = undefined;
  }
}
