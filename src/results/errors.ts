// The results store's errors. Each is an AccordError, so a caller can catch the library's whole family, and each
// carries the machine-readable part (a reason, a status, a path) next to the message.

import { AccordError } from "../model/errors";

/** Why a CAR was refused: what importCar (or fetchResults, for the size cap) found wrong with it. */
export type ResultsVerificationReason =
  /** More bytes than the cap allows. */
  | "too-large"
  /** The CAR's roots are not exactly the expected root. */
  | "root"
  /** A block's CID uses a hash other than sha2-256 (its bytes cannot be checked here). */
  | "hash"
  /** A block's bytes do not hash to its CID. */
  | "digest"
  /** A block is neither dag-pb nor raw, the only codecs a UnixFS DAG uses. */
  | "codec"
  /** A block larger than MAX_BLOCK_BYTES. */
  | "block-too-large"
  /** A block no earlier block links to: not part of the DAG, or out of DAG order. */
  | "unexpected-block"
  /** Bytes that are not a CAR, a truncated section, or a dag-pb block that does not decode. */
  | "malformed"
  /** The stream ended with blocks of the DAG still missing (and not already in the store). */
  | "incomplete";

/** A CAR (or the stream carrying it) failed verification; nothing of it is reported by has(). */
export class ResultsVerificationError extends AccordError {
  override name = "ResultsVerificationError";
  readonly reason: ResultsVerificationReason;

  constructor(reason: ResultsVerificationReason, message: string, options: { cause?: unknown } = {}) {
    super(`results rejected (${reason}): ${message}`, { cause: options.cause });
    this.reason = reason;
  }
}

/** A results server answered with something other than 200. */
export class ResultsFetchError extends AccordError {
  override name = "ResultsFetchError";
  /** The HTTP status. */
  readonly status: number;
  readonly url: string;

  constructor(url: string, status: number, detail: string) {
    super(`GET ${url} answered ${status}${detail ? `: ${detail}` : ""}`);
    this.url = url;
    this.status = status;
  }
}

/** The store lacks the root, or a block under it, of the DAG asked for. */
export class ResultsNotFoundError extends AccordError {
  override name = "ResultsNotFoundError";
  readonly cid: string;

  constructor(cid: string, detail = "not in the store") {
    super(`results ${cid}: ${detail}`);
    this.cid = cid;
  }
}

/** importDirectory met an entry it does not import: a symlink, a socket, a device. */
export class ResultsImportError extends AccordError {
  override name = "ResultsImportError";
  /** The entry's path, relative to the imported directory ("" for the directory itself). */
  readonly path: string;

  constructor(path: string, rule: string) {
    super(`cannot import ${path === "" ? "(root)" : JSON.stringify(path)}: ${rule}`);
    this.path = path;
  }
}
