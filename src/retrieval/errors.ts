// Paid retrieval's errors: each an AccordError with its machine-readable part (the field and rule a provider refused,
// who cancelled, why a transfer failed) next to the message.

import { AccordError } from "../model/errors";

/** The provider refused the proposal: `field` broke `rule` (the terms pay less or ask for longer intervals). */
export class RetrievalRejectedError extends AccordError {
  override name = "RetrievalRejectedError";
  constructor(
    readonly dealId: string,
    readonly field: string,
    readonly rule: string,
  ) {
    super(`retrieval deal ${dealId} rejected: ${field === "" ? "(proposal)" : field} ${rule}`);
  }
}

/** The deal was cancelled, by this side ("client") or the other ("provider"). */
export class RetrievalCancelledError extends AccordError {
  override name = "RetrievalCancelledError";
  constructor(
    readonly dealId: string,
    readonly by: "client" | "provider",
  ) {
    super(`retrieval deal ${dealId} was cancelled by the ${by}`);
  }
}

/** Why a transfer failed on the client. */
export type RetrievalFailureReason =
  /** A block failed verification (its CID, digest or place in the DAG): it was not paid for. */
  | "verification"
  /** The provider ended the stream, or said it was done, before the whole DAG came. */
  | "early-end"
  /** The provider could not be reached (or answered errors) for longer than the client waits. */
  | "unreachable"
  /** The provider held the stream past the client's patience with nothing owed to it. */
  | "stalled"
  /** The provider answered something the protocol does not allow (a status for another deal, a 4xx). */
  | "protocol"
  /** The provider refused a voucher. */
  | "payment-refused"
  /** The ask needs a payment and no payer was configured, or one in another token. */
  | "payment-unavailable";

/** The client's deal failed (Errored). `cause` holds the error behind it, when there is one. */
export class RetrievalFailedError extends AccordError {
  override name = "RetrievalFailedError";
  constructor(
    readonly dealId: string,
    readonly reason: RetrievalFailureReason,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(`retrieval deal ${dealId} failed (${reason}): ${detail}`, { cause: options.cause });
  }
}

/** A provider's HTTP answer other than the one expected. */
export class RetrievalHttpError extends AccordError {
  override name = "RetrievalHttpError";
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: { error?: string; field?: string; rule?: string; state?: string },
  ) {
    super(`${url} answered ${status}${body.error ? `: ${body.error}` : ""}`);
  }
}

/** A voucher the provider will not count for a deal: another lane or channel, another payer, another token. */
export class RetrievalPaymentError extends AccordError {
  override name = "RetrievalPaymentError";
  constructor(
    readonly rule: "lane" | "channel" | "payer" | "token" | "lane-in-use" | "no-payment",
    detail: string,
  ) {
    super(`voucher not counted (${rule}): ${detail}`);
  }
}

/** The client knows no such deal. */
export class RetrievalDealNotFoundError extends AccordError {
  override name = "RetrievalDealNotFoundError";
  constructor(readonly dealId: string) {
    super(`no retrieval deal ${dealId}`);
  }
}
