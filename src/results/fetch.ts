// Fetching results from another party's results server (resultsHandler, or any IPFS trustless gateway): the CAR is
// streamed straight into the store, which verifies every block, so the server is trusted for nothing but being
// there. The byte cap bounds what a hostile server can make us read and store.

import { parseRoot } from "./blocks";
import { CAR_CONTENT_TYPE } from "./car";
import { CAR_RESPONSE_TYPE } from "./http";
import { ResultsFetchError, ResultsVerificationError } from "./errors";
import type { ResultStore } from "./store";

/** The default cap on a CAR's size: 256 MiB. */
export const DEFAULT_MAX_RESULTS_BYTES = 256 * 1024 * 1024;

export type FetchResultsOptions = {
  signal?: AbortSignal;
  /** At most this many bytes of CAR are read (default DEFAULT_MAX_RESULTS_BYTES). */
  maxBytes?: number;
};

/**
 * GETs `<baseUrl>/ipfs/<cid>?format=car` and imports it into `store` (store.importCar: verified, root last).
 * Throws ResultsFetchError for an answer other than 200, ResultsVerificationError for a CAR refused (reason
 * "too-large" past `maxBytes`), InvalidCidError for a malformed `cid`, and the fetch's own errors (network, abort).
 */
export async function fetchResults(
  baseUrl: string,
  cid: string,
  store: ResultStore,
  options: FetchResultsOptions = {},
): Promise<void> {
  parseRoot(cid);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESULTS_BYTES;
  const base = baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`;
  const url = new URL(`ipfs/${cid}?format=car`, base).toString();
  const response = await fetch(url, { headers: { accept: CAR_RESPONSE_TYPE }, signal: options.signal });
  if (response.status !== 200) {
    throw new ResultsFetchError(url, response.status, await errorDetail(response));
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0].trim().toLowerCase() !== CAR_CONTENT_TYPE) {
    await response.body?.cancel();
    throw new ResultsVerificationError("malformed", `${url} answered ${type || "no content type"}, not a CAR`);
  }
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, maxBytes);
  }
  if (response.body === null) throw new ResultsVerificationError("malformed", `${url} answered no body`);
  await store.importCar(capped(response.body, maxBytes, url), cid);
}

function tooLarge(url: string, maxBytes: number): ResultsVerificationError {
  return new ResultsVerificationError("too-large", `${url} sent more than ${maxBytes} bytes`);
}

/** The body's bytes, failing once more than `maxBytes` have come; the body is cancelled however reading ends. */
async function* capped(body: ReadableStream<Uint8Array>, maxBytes: number, url: string): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      total += value.length;
      if (total > maxBytes) throw tooLarge(url, maxBytes);
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** A short account of an error answer: its JSON `error`, or the start of its text. */
async function errorDetail(response: Response): Promise<string> {
  const text = (await response.text().catch(() => "")).slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === "string") return parsed.error;
  } catch {
    // not JSON: the text itself
  }
  return text.trim();
}
