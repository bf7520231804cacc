// JSON-RPC over fetch, with batching and retries. Deliberately not an ethers provider: bulk eth_getLogs answers
// are large, and a plain fetch + JSON.parse is several times faster than a provider's per-field formatting.

export class RpcError extends Error {
  override name = "RpcError";
  constructor(
    readonly method: string,
    readonly code: number | undefined,
    message: string,
    readonly data?: unknown,
  ) {
    super(`${method}: ${message}${code !== undefined ? ` (code ${code})` : ""}`);
  }
}

/** The transport failed (connection, HTTP status, timeout, bad JSON): worth retrying. */
export class RpcTransportError extends Error {
  override name = "RpcTransportError";
}

export interface RpcClientOptions {
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Transport retries (default 5), with exponential backoff from 100 ms. */
  retries?: number;
  /** Requests per JSON-RPC batch (default 100). */
  maxBatchSize?: number;
  /** Called with the response size of each HTTP exchange (for adaptive log ranges). */
  onResponse?: (bytes: number) => void;
}

export type RpcCall = [method: string, params: unknown[]];

interface RpcResponse {
  id: number;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class JsonRpcClient {
  private nextId = 1;
  private readonly timeoutMs: number;
  private readonly retries: number;
  readonly maxBatchSize: number;
  /** The size in bytes of the last response (what adaptive ranges look at). */
  lastResponseBytes = 0;

  constructor(
    readonly url: string,
    private readonly options: RpcClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 5;
    this.maxBatchSize = options.maxBatchSize ?? 100;
  }

  private async post(body: unknown): Promise<unknown> {
    const payload = JSON.stringify(body);
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(Math.min(100 * 2 ** (attempt - 1), 5_000));
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      let text: string;
      let status: number;
      try {
        const response = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: payload,
          signal: controller.signal,
        });
        status = response.status;
        text = await response.text();
      } catch (error) {
        const reason =
          (error as Error).name === "AbortError" ? `timeout after ${this.timeoutMs} ms` : (error as Error).message;
        lastError = new RpcTransportError(`${this.url}: ${reason}`);
        continue;
      } finally {
        clearTimeout(timer);
      }
      this.lastResponseBytes = text.length;
      this.options.onResponse?.(text.length);
      if (status === 429 || status >= 500) {
        lastError = new RpcTransportError(`HTTP ${status} from ${this.url}: ${text.slice(0, 200)}`);
        continue;
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new RpcTransportError(`HTTP ${status} from ${this.url}: not JSON: ${text.slice(0, 200)}`);
      }
    }
    throw lastError;
  }

  async call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const id = this.nextId++;
    const response = (await this.post({ jsonrpc: "2.0", id, method, params })) as RpcResponse;
    if (!response || typeof response !== "object") throw new RpcTransportError(`${method}: empty response`);
    if (response.error)
      throw new RpcError(method, response.error.code, response.error.message ?? "error", response.error.data);
    return response.result as T;
  }

  /**
   * Several calls in JSON-RPC batches of at most maxBatchSize. Results in order; a failed call rejects the whole
   * lot with its RpcError.
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
      const response = await this.post(body);
      if (!Array.isArray(response)) {
        const single = response as RpcResponse;
        if (single?.error)
          throw new RpcError(chunk[0][0], single.error.code, single.error.message ?? "error", single.error.data);
        throw new RpcTransportError("batch: the node did not answer with an array");
      }
      for (const item of response as RpcResponse[]) {
        const index = item.id - firstId;
        if (index < 0 || index >= chunk.length) continue;
        if (item.error) {
          throw new RpcError(chunk[index][0], item.error.code, item.error.message ?? "error", item.error.data);
        }
        results[start + index] = item.result as T;
      }
      for (let i = 0; i < chunk.length; i++) {
        if (!(start + i in results)) throw new RpcTransportError(`batch: no answer for ${chunk[i][0]}`);
      }
    }
    return results;
  }
}
