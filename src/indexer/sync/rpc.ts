// JSON-RPC over fetch, with batching and retries by error class (rpc-errors.ts). Deliberately not an ethers
// provider: bulk eth_getLogs answers are large, and a plain fetch + JSON.parse is several times faster than a
// provider's per-field formatting.

import {
  RpcFailure,
  RpcTransportError,
  classifyHttpStatus,
  jsonRpcError,
  parseRetryAfter,
  retryDelayMs,
  type RpcError,
} from "./rpc-errors";

export {
  DeploymentMismatchError,
  RpcError,
  RpcFailure,
  RpcTransportError,
  isRetryable,
  retryDelayMs,
  type BlockRange,
  type RpcFailureKind,
} from "./rpc-errors";

export interface RpcClientOptions {
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * Retries of rate limits, timeouts and unavailable nodes (default 5), with exponential backoff from 100 ms, and
   * at least as long as the node's Retry-After. Permanent errors are never retried.
   */
  retries?: number;
  /**
   * The longest Retry-After waited out inside the client (default 30 s). A longer one fails at once, with the wait
   * in `retryAfterMs`, so the caller decides (and logs) rather than hanging in here.
   */
  maxRetryAfterMs?: number;
  /** Requests per JSON-RPC batch (default 100). */
  maxBatchSize?: number;
  /** Called with the response size of each HTTP exchange (for adaptive log ranges). */
  onResponse?: (bytes: number) => void;
}

export interface CallOptions {
  /**
   * Whether timeouts are retried here (default true). eth_getLogs turns it off: its caller answers a timeout with a
   * smaller range rather than the same request again.
   */
  retryTimeouts?: boolean;
}

export type RpcCall = [method: string, params: unknown[]];

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Network error codes (on fetch's `cause`) that mean the request took too long, rather than could not be sent. */
const TIMEOUT_CODES = new Set([
  "ETIMEDOUT",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

function isRpcResponse(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every(isRpcResponse);
  return typeof value === "object" && value !== null && ("error" in value || "result" in value);
}

export class JsonRpcClient {
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly maxRetryAfterMs: number;
  readonly maxBatchSize: number;
  /** The size in bytes of the last response (what adaptive ranges look at). */
  lastResponseBytes = 0;

  constructor(
    readonly url: string,
    private readonly options: RpcClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.maxBatchSize = options.maxBatchSize ?? 100;
  }

  /** One HTTP exchange: the parsed JSON-RPC answer, or a classified RpcTransportError. */
  private async exchange(body: unknown): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      text = await response.text();
    } catch (error) {
      throw this.networkFailure(error);
    } finally {
      clearTimeout(timer);
    }
    this.lastResponseBytes = text.length;
    this.options.onResponse?.(text.length);
    const { status } = response;
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    const snippet = text.slice(0, 200);
    if (status === 429) {
      throw new RpcTransportError(`HTTP 429 from ${this.url}: ${snippet}`, {
        kind: "rate-limit",
        status,
        retryAfterMs,
      });
    }
    let parsed: unknown;
    let json = true;
    try {
      parsed = JSON.parse(text);
    } catch {
      json = false;
    }
    if (status >= 200 && status < 300) {
      if (!json) throw new RpcTransportError(`HTTP ${status} from ${this.url}: not JSON: ${snippet}`, { status });
      return parsed;
    }
    // Several providers send JSON-RPC errors with a 4xx/5xx status: the error object says more than the status.
    if (json && isRpcResponse(parsed)) return parsed;
    const kind = classifyHttpStatus(status);
    const hint = kind === "permanent" ? " (not retried)" : "";
    throw new RpcTransportError(`HTTP ${status} from ${this.url}: ${snippet}${hint}`, { kind, status, retryAfterMs });
  }

  private networkFailure(error: unknown): RpcTransportError {
    const err = error as Error & { cause?: { code?: unknown; message?: unknown } };
    if (err.name === "AbortError" || err.name === "TimeoutError") {
      return new RpcTransportError(`${this.url}: timeout after ${this.timeoutMs} ms`, {
        kind: "timeout",
        cause: error,
      });
    }
    const code = typeof err.cause?.code === "string" ? err.cause.code : undefined;
    const detail = code ?? (typeof err.cause?.message === "string" ? err.cause.message : undefined);
    return new RpcTransportError(`${this.url}: ${err.message}${detail ? ` (${detail})` : ""}`, {
      kind: code && TIMEOUT_CODES.has(code) ? "timeout" : "unavailable",
      cause: error,
    });
  }

  private shouldRetry(error: unknown, attempt: number, options: CallOptions): error is RpcFailure {
    if (!(error instanceof RpcFailure) || attempt >= this.retries) return false;
    if ((error.retryAfterMs ?? 0) > this.maxRetryAfterMs) return false;
    if (error.kind === "timeout") return options.retryTimeouts !== false;
    return error.kind === "rate-limit" || error.kind === "unavailable";
  }

  private async withRetries<T>(attempt: () => Promise<T>, options: CallOptions): Promise<T> {
    for (let n = 0; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (!this.shouldRetry(error, n, options)) throw error;
        await sleep(retryDelayMs(error, n, { baseMs: 100, maxMs: 5_000, maxRetryAfterMs: this.maxRetryAfterMs }));
      }
    }
  }

  async call<T = unknown>(method: string, params: unknown[] = [], options: CallOptions = {}): Promise<T> {
    const id = this.nextId++;
    return this.withRetries(async () => {
      const response = (await this.exchange({ jsonrpc: "2.0", id, method, params })) as RpcResponse | null;
      if (!response || typeof response !== "object" || Array.isArray(response)) {
        throw new RpcTransportError(`${method}: not a JSON-RPC response`);
      }
      if (response.error) throw jsonRpcError(method, params, response.error);
      if (!("result" in response)) throw new RpcTransportError(`${method}: JSON-RPC response without a result`);
      return response.result as T;
    }, options);
  }

  /**
   * Several calls in JSON-RPC batches of at most maxBatchSize. Results in order; a failed call rejects the whole
   * lot with its RpcError (after retrying the batch if the failure is retryable).
   */
  async batch<T = unknown>(calls: RpcCall[]): Promise<T[]> {
    const results: T[] = new Array<T>(calls.length);
    for (let start = 0; start < calls.length; start += this.maxBatchSize) {
      const chunk = calls.slice(start, start + this.maxBatchSize);
      if (chunk.length === 1) {
        results[start] = await this.call<T>(chunk[0][0], chunk[0][1]);
        continue;
      }
      const firstId = this.nextId;
      this.nextId += chunk.length;
      const body = chunk.map(([method, params], i) => ({ jsonrpc: "2.0", id: firstId + i, method, params }));
      const answers = await this.withRetries(async () => {
        const response = await this.exchange(body);
        if (!Array.isArray(response)) {
          // The node refused the batch as a whole (batch too large, rate limit, batches unsupported).
          const single = response as RpcResponse | null;
          if (single?.error) throw jsonRpcError("batch", [], single.error);
          throw new RpcTransportError("batch: the node did not answer with an array");
        }
        const out: T[] = new Array<T>(chunk.length);
        let failure: RpcError | undefined;
        for (const item of response as RpcResponse[]) {
          const index = item.id - firstId;
          if (index < 0 || index >= chunk.length) continue;
          if (item.error) {
            const error = jsonRpcError(chunk[index][0], chunk[index][1], item.error);
            // A permanent error explains more than, say, a rate limit on a sibling call.
            if (!failure || (failure.retryable && !error.retryable)) failure = error;
            continue;
          }
          out[index] = item.result as T;
        }
        if (failure) throw failure;
        for (let i = 0; i < chunk.length; i++) {
          if (!(i in out)) throw new RpcTransportError(`batch: no answer for ${chunk[i][0]}`);
        }
        return out;
      }, {});
      answers.forEach((value, i) => (results[start + i] = value));
    }
    return results;
  }
}
