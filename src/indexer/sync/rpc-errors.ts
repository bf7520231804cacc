// Why a JSON-RPC exchange failed, and therefore what to do next. Retrying a request the node will never accept
// (unknown method, bad parameters, a wrong API key) only hides the problem, so every failure carries a `kind`:
//
//   permanent    JSON-RPC -32700/-32600/-32601/-32602, HTTP 4xx other than 408/429, a node that does not serve the
//                deployment: stop and say so.
//   rate-limit   HTTP 429, JSON-RPC -32005/-32029/429 or a "rate limit"/"too many requests" message: back off
//                (at least Retry-After) and retry.
//   timeout      our request timeout, HTTP 408/504/524, a "timeout" message: retry; eth_getLogs asks for fewer blocks.
//   unavailable  connection refused/reset, other 5xx, a body that is not JSON, other JSON-RPC errors (-32000
//                "header not found" from a lagging node behind a load balancer, -32603): back off and retry.
//   range        eth_getLogs asked for too many blocks or results (each provider words it differently): split the
//                range, preferring the range the provider suggests.

import type { getLogsRetryHelper as GetLogsRetryHelper } from "@ponder/utils" with { "resolution-mode": "require" };

// @ponder/utils knows the providers' range-limit messages (Alchemy, Infura, QuickNode, Ankr, …) and keeps up with
// them. Its type declarations are ESM-only while this package is CommonJS, so the types come in through a
// type-only import and the code through its CommonJS build.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an `import` of an ESM-typed package from CommonJS fails type-checking (TS1479); the package ships a CommonJS build for require
const { getLogsRetryHelper } = require("@ponder/utils") as { getLogsRetryHelper: typeof GetLogsRetryHelper };

export type RpcFailureKind = "permanent" | "rate-limit" | "timeout" | "unavailable" | "range";

/** An inclusive block range. */
export interface BlockRange {
  from: number;
  to: number;
}

/** Common base of every failure the sync layer classifies. */
export class RpcFailure extends Error {
  override name = "RpcFailure";
  /** How long the node asked us to wait (Retry-After, or a provider's backoff hint), in ms. */
  readonly retryAfterMs?: number;

  constructor(
    message: string,
    readonly kind: RpcFailureKind,
    options: { retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }

  /** False for failures that repeating the request cannot fix. */
  get retryable(): boolean {
    return this.kind !== "permanent";
  }
}

/** The node answered with a JSON-RPC error object. */
export class RpcError extends RpcFailure {
  override name = "RpcError";
  /** For a `range` error of eth_getLogs: the ranges to ask for instead (the first one is the next request). */
  readonly ranges?: BlockRange[];
  /** Whether `ranges` follow the provider's own suggestion (rather than halving). */
  readonly suggestedRange?: boolean;

  constructor(
    readonly method: string,
    readonly code: number | undefined,
    readonly rpcMessage: string,
    readonly data?: unknown,
    options: {
      kind?: RpcFailureKind;
      ranges?: BlockRange[];
      suggestedRange?: boolean;
      retryAfterMs?: number;
    } = {},
  ) {
    const kind = options.kind ?? classifyJsonRpcError(code, rpcMessage);
    const permanent = kind === "permanent" ? `; ${describeCode(code)}, not retried` : "";
    super(`${method}: ${rpcMessage}${code !== undefined ? ` (code ${code}${permanent})` : ""}`, kind, {
      retryAfterMs: options.retryAfterMs ?? backoffHint(data),
    });
    if (options.ranges) this.ranges = options.ranges;
    if (options.suggestedRange !== undefined) this.suggestedRange = options.suggestedRange;
  }
}

/** The transport failed: connection, HTTP status, timeout, a body that is not JSON-RPC. */
export class RpcTransportError extends RpcFailure {
  override name = "RpcTransportError";
  /** The HTTP status, when there was an answer. */
  readonly status?: number;

  constructor(
    message: string,
    options: { kind?: RpcFailureKind; status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.kind ?? "unavailable", options);
    if (options.status !== undefined) this.status = options.status;
  }
}

/** The node does not serve the deployment being indexed (another chain, or no contract at an address). */
export class DeploymentMismatchError extends RpcFailure {
  override name = "DeploymentMismatchError";
  constructor(message: string) {
    super(message, "permanent");
  }
}

/** Whether repeating the failed operation later may succeed (false for anything not classified here). */
export function isRetryable(error: unknown): boolean {
  return error instanceof RpcFailure && error.retryable;
}

/**
 * How long to wait before retry number `attempt` (0-based): exponential from `baseMs`, capped at `maxMs`, but never
 * less than the wait the node asked for (itself capped at `maxRetryAfterMs`).
 */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  options: { baseMs?: number; maxMs?: number; maxRetryAfterMs?: number } = {},
): number {
  const backoff = Math.min((options.baseMs ?? 100) * 2 ** attempt, options.maxMs ?? 10_000);
  const asked = error instanceof RpcFailure ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(backoff, Math.min(asked, options.maxRetryAfterMs ?? 5 * 60_000));
}

const PERMANENT_CODES = new Map<number, string>([
  [-32700, "parse error"],
  [-32600, "invalid request"],
  [-32601, "method not found"],
  [-32602, "invalid params"],
]);
// -32005 is EIP-1474's "limit exceeded" (Infura, Alchemy: request rate); -32029 and 429 are other providers' codes.
const RATE_LIMIT_CODES = new Set([-32005, -32029, 429]);
const RATE_LIMIT_RE =
  /rate[ -]?limit|too many requests|limit exceeded|exceeded .*(capacity|quota)|compute units|request rate|throttl|daily request count/i;
const TIMEOUT_RE = /time[ -]?out|timed out/i;

function describeCode(code: number | undefined): string {
  return (code !== undefined && PERMANENT_CODES.get(code)) || "permanent";
}

/** The kind of a JSON-RPC error object by its code and message (range limits need the request: see jsonRpcError). */
export function classifyJsonRpcError(code: number | undefined, message: string): RpcFailureKind {
  if (RATE_LIMIT_RE.test(message)) return "rate-limit";
  if (code !== undefined && PERMANENT_CODES.has(code)) return "permanent";
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return "rate-limit";
  if (TIMEOUT_RE.test(message)) return "timeout";
  return "unavailable";
}

/** The kind of an HTTP answer that is not a JSON-RPC response. */
export function classifyHttpStatus(status: number): RpcFailureKind {
  if (status === 429) return "rate-limit";
  if (status === 408 || status === 504 || status === 524) return "timeout";
  if (status >= 500) return "unavailable";
  return "permanent";
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Infura-style hint in the error's data: `{ rate: { backoff_seconds } }`. */
function backoffHint(data: unknown): number | undefined {
  const seconds = (data as { rate?: { backoff_seconds?: unknown } } | null | undefined)?.rate?.backoff_seconds;
  return typeof seconds === "number" && seconds >= 0 ? seconds * 1000 : undefined;
}

interface LogsFilter {
  fromBlock?: unknown;
  toBlock?: unknown;
}

const isHexQuantity = (value: unknown): value is `0x${string}` =>
  typeof value === "string" && /^0x[0-9a-f]+$/i.test(value);

/**
 * For an eth_getLogs error: whether it says the range was too large, and which ranges to ask for instead (the
 * provider's suggestion, or halves). A one-block request cannot be split, but its error is still recognised (as a
 * range error with no ranges), so that a provider's "limit exceeded" about the answer's size is not mistaken for a
 * rate limit.
 */
export function logsRangeSuggestion(
  params: unknown[],
  error: { code?: number; message: string; data?: unknown },
): { ranges: BlockRange[]; suggested: boolean } | undefined {
  const filter = params[0] as LogsFilter | undefined;
  if (!filter || !isHexQuantity(filter.fromBlock) || !isHexQuantity(filter.toBlock)) return undefined;
  const from = Number(filter.fromBlock);
  const to = Number(filter.toBlock);
  // The helper reads the error through JSON.stringify, which skips an Error's message: give it a plain object.
  const plain = { code: error.code, message: error.message, details: error.message, data: error.data };
  const ask = (fromBlock: number, toBlock: number) =>
    getLogsRetryHelper({
      error: plain as unknown as Parameters<typeof GetLogsRetryHelper>[0]["error"],
      params: [{ fromBlock: `0x${fromBlock.toString(16)}`, toBlock: `0x${toBlock.toString(16)}` }],
    });
  const answer = ask(from, to);
  if (answer.shouldRetry) {
    return {
      ranges: answer.ranges.map((r) => ({ from: Number(r.fromBlock), to: Number(r.toBlock) })),
      suggested: answer.isSuggestedRange,
    };
  }
  // The helper stays silent when its idea of the provider's limit is not below the range asked for (one block; Ankr's
  // fixed 3,000 when the limit is lower): asked again over twice the range (a handful of chunks at most), it tells
  // whether the message is about ranges at all. If it is, halve.
  if (!ask(from, from + 2 * Math.max(1, to - from + 1) - 1).shouldRetry) return undefined;
  if (to <= from) return { ranges: [], suggested: false };
  const middle = from + Math.floor((to - from + 1) / 2) - 1;
  return {
    ranges: [
      { from, to: middle },
      { from: middle + 1, to },
    ],
    suggested: false,
  };
}

/** A classified RpcError for one JSON-RPC error object answering `method(params)`. */
export function jsonRpcError(
  method: string,
  params: unknown[],
  error: { code?: number; message?: string; data?: unknown },
): RpcError {
  const message = error.message ?? "error";
  if (method === "eth_getLogs") {
    const range = logsRangeSuggestion(params, { code: error.code, message, data: error.data });
    if (range) {
      return new RpcError(method, error.code, message, error.data, {
        kind: "range",
        ranges: range.ranges,
        suggestedRange: range.suggested,
      });
    }
  }
  return new RpcError(method, error.code, message, error.data);
}
