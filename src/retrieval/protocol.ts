// Paid retrieval's wire format and its arithmetic, shared by both sides so they cannot disagree: the ask, the
// proposal, a deal's status as JSON (integers of token units as decimal strings, byte counts as numbers), the parse
// of each from an untrusted peer (AccordValidationError naming the field), and the payment intervals.
//
// The HTTP API (all JSON but the CAR; errors are `{error, field?, rule?}`), under /retrieval/:
//   GET  /retrieval/ask/<cid>                → 200 Ask, 404 when the provider lacks the DAG
//   POST /retrieval/deals                    ← Proposal → 200 DealStatus; 422 refused (field, rule); 409 ID taken
//   GET  /retrieval/deals/<id>               → 200 DealStatus (410 once cancelled, 404 unknown)
//   GET  /retrieval/deals/<id>/car?from=<n>  → the DAG as a CARv1 from block n of the depth-first walk; the
//                                              provider stops writing at each interval boundary until paid
//   POST /retrieval/deals/<id>/voucher       ← {voucher: SignedVoucherJson} → 200 DealStatus; 422 refused (rule)
//   POST /retrieval/deals/<id>/cancel        → 200 DealStatus (Cancelled)
// See README.md beside this file for the whole exchange.

import { AccordValidationError } from "../model/errors";
import { addressInput, bytes32Input, uintInput } from "../pools/inputs";
import { parseRoot } from "../results/blocks";

/** The path every retrieval route is under. */
export const RETRIEVAL_PREFIX = "/retrieval/";

/** The reference's defaults: a first interval of 1 MiB, each next one 1 MiB longer. */
export const DEFAULT_PAYMENT_INTERVAL = 1024 * 1024;
export const DEFAULT_PAYMENT_INTERVAL_INCREASE = 1024 * 1024;

/** The terms of a deal: what a byte costs, what unsealing costs (paid before the first byte), the intervals. */
export type DealParams = {
  pricePerByte: bigint;
  unsealPrice: bigint;
  /** Bytes in the first interval (> 0). */
  paymentInterval: number;
  /** How much longer each next interval is (≥ 0). */
  paymentIntervalIncrease: number;
};

/** What a provider offers for a payload. */
export type Ask = DealParams & {
  payloadCid: string;
  /** The DAG's block bytes (what is paid for) and blocks, as the provider counts them: a hint, not trusted. */
  size: number;
  blocks: number;
  /** Who vouchers must pay, and in which token (null for a free payload). */
  payee: string | null;
  token: string | null;
};

/** A client's proposal: the terms it takes (at least the ask's), a deal ID it chose, who pays. */
export type Proposal = DealParams & {
  /** 32 lowercase hex digits, chosen at random by the client. */
  dealId: string;
  payloadCid: string;
  /** The paying account (null for a free payload). */
  payer: string | null;
};

/** Provider states (the reference's that apply; no unsealing: payloads are stored unsealed). */
export const PROVIDER_STATES = [
  "New",
  "Ongoing",
  "FundsNeeded",
  "Finalizing",
  "Completed",
  "Cancelled",
  "Errored",
] as const;
export type ProviderDealState = (typeof PROVIDER_STATES)[number];

/** A deal as the provider reports it. */
export type DealStatus = {
  dealId: string;
  payloadCid: string;
  state: ProviderDealState;
  size: number;
  blocks: number;
  /** Block bytes sent (as of the stream's current position). */
  sent: number;
  /** The lane's cumulative amount the provider holds vouchers for. */
  paid: bigint;
  /** What the provider says it is owed now (the client never pays by it). */
  paymentRequested: bigint;
  channelId: string | null;
  lane: bigint | null;
  message: string | null;
};

const DEAL_ID = /^[0-9a-f]{32}$/;

function fail(subject: string, field: string, rule: string): never {
  throw new AccordValidationError(field, rule, { subject });
}

function objectInput(json: unknown, subject: string): Record<string, unknown> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) fail(subject, "", "must be a JSON object");
  return json as Record<string, unknown>;
}

function bytesInput(value: unknown, field: string, subject: string, positive: boolean): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < (positive ? 1 : 0)) {
    fail(subject, field, positive ? "must be a positive integer (bytes)" : "must be a non-negative integer (bytes)");
  }
  return value;
}

function cidInput(value: unknown, field: string, subject: string): string {
  if (typeof value !== "string") fail(subject, field, "must be a CID string");
  try {
    parseRoot(value);
  } catch (error) {
    throw new AccordValidationError(field, `must be a dag-pb sha2-256 CID (${(error as Error).message})`, {
      subject,
      cause: error,
    });
  }
  return value;
}

function nullableAddress(value: unknown, field: string, subject: string): string | null {
  return value === null || value === undefined ? null : addressInput(value, field, subject);
}

/** Checks a deal ID (32 lowercase hex digits). */
export function dealIdInput(value: unknown, field = "deal_id", subject = "retrieval deal"): string {
  if (typeof value !== "string" || !DEAL_ID.test(value)) fail(subject, field, "must be 32 lowercase hex digits");
  return value;
}

/** An amount that must be there (uintInput alone takes an absent value for 0: a price left out is not a free one). */
function amountInput(value: unknown, field: string, subject: string, unit: string): bigint {
  if (value === undefined || value === null) fail(subject, field, "is required");
  return uintInput(value, field, 128, subject, unit);
}

function paramsFromJson(json: Record<string, unknown>, subject: string): DealParams {
  return {
    pricePerByte: amountInput(json.price_per_byte, "price_per_byte", subject, "token units per byte"),
    unsealPrice: amountInput(json.unseal_price, "unseal_price", subject, "token units"),
    paymentInterval: bytesInput(json.payment_interval, "payment_interval", subject, true),
    paymentIntervalIncrease: bytesInput(json.payment_interval_increase, "payment_interval_increase", subject, false),
  };
}

function paramsToJson(params: DealParams) {
  return {
    price_per_byte: params.pricePerByte.toString(),
    unseal_price: params.unsealPrice.toString(),
    payment_interval: params.paymentInterval,
    payment_interval_increase: params.paymentIntervalIncrease,
  };
}

/** Checks terms given by a caller (not off the wire): the same rules as parsed ones. */
export function checkParams(params: DealParams, subject = "retrieval ask"): DealParams {
  return paramsFromJson(objectInput(paramsToJson(params), subject), subject);
}

export function askToJson(ask: Ask) {
  return {
    payload_cid: ask.payloadCid,
    size: ask.size,
    blocks: ask.blocks,
    ...paramsToJson(ask),
    payee: ask.payee,
    token: ask.token,
  };
}

export function askFromJson(json: unknown): Ask {
  const subject = "retrieval ask";
  const o = objectInput(json, subject);
  return {
    payloadCid: cidInput(o.payload_cid, "payload_cid", subject),
    size: bytesInput(o.size, "size", subject, false),
    blocks: bytesInput(o.blocks, "blocks", subject, false),
    ...paramsFromJson(o, subject),
    payee: nullableAddress(o.payee, "payee", subject),
    token: nullableAddress(o.token, "token", subject),
  };
}

export function proposalToJson(proposal: Proposal) {
  return {
    deal_id: proposal.dealId,
    payload_cid: proposal.payloadCid,
    payer: proposal.payer,
    ...paramsToJson(proposal),
  };
}

export function proposalFromJson(json: unknown): Proposal {
  const subject = "retrieval proposal";
  const o = objectInput(json, subject);
  return {
    dealId: dealIdInput(o.deal_id, "deal_id", subject),
    payloadCid: cidInput(o.payload_cid, "payload_cid", subject),
    payer: nullableAddress(o.payer, "payer", subject),
    ...paramsFromJson(o, subject),
  };
}

export function statusToJson(status: DealStatus) {
  return {
    deal_id: status.dealId,
    payload_cid: status.payloadCid,
    state: status.state,
    size: status.size,
    blocks: status.blocks,
    sent: status.sent,
    paid: status.paid.toString(),
    payment_requested: status.paymentRequested.toString(),
    channel_id: status.channelId,
    lane: status.lane === null ? null : status.lane.toString(),
    message: status.message,
  };
}

export function statusFromJson(json: unknown): DealStatus {
  const subject = "retrieval deal status";
  const o = objectInput(json, subject);
  if (typeof o.state !== "string" || !(PROVIDER_STATES as readonly string[]).includes(o.state)) {
    fail(subject, "state", `must be one of ${PROVIDER_STATES.join(", ")}`);
  }
  return {
    dealId: dealIdInput(o.deal_id, "deal_id", subject),
    payloadCid: cidInput(o.payload_cid, "payload_cid", subject),
    state: o.state as ProviderDealState,
    size: bytesInput(o.size, "size", subject, false),
    blocks: bytesInput(o.blocks, "blocks", subject, false),
    sent: bytesInput(o.sent, "sent", subject, false),
    paid: amountInput(o.paid, "paid", subject, "token units"),
    paymentRequested: amountInput(o.payment_requested, "payment_requested", subject, "token units"),
    channelId:
      o.channel_id === null || o.channel_id === undefined ? null : bytes32Input(o.channel_id, "channel_id", subject),
    lane: o.lane === null || o.lane === undefined ? null : uintInput(o.lane, "lane", 64, subject, "lane ID"),
    message: typeof o.message === "string" ? o.message : null,
  };
}

/**
 * A proposal's terms refused against the ask: the first rule broken (pays less per byte or for unsealing, asks for a
 * longer first interval or a larger increase), or undefined when the terms are acceptable.
 */
export function refuseTerms(ask: DealParams, proposed: DealParams): { field: string; rule: string } | undefined {
  if (proposed.pricePerByte < ask.pricePerByte) {
    return { field: "price_per_byte", rule: `must be at least the ask's ${ask.pricePerByte}` };
  }
  if (proposed.unsealPrice < ask.unsealPrice) {
    return { field: "unseal_price", rule: `must be at least the ask's ${ask.unsealPrice}` };
  }
  if (proposed.paymentInterval > ask.paymentInterval) {
    return { field: "payment_interval", rule: `must be at most the ask's ${ask.paymentInterval} bytes` };
  }
  if (proposed.paymentIntervalIncrease > ask.paymentIntervalIncrease) {
    return {
      field: "payment_interval_increase",
      rule: `must be at most the ask's ${ask.paymentIntervalIncrease} bytes`,
    };
  }
  return undefined;
}

/** True when nothing is paid at all: no channel, no vouchers. */
export function isFree(params: DealParams): boolean {
  return params.pricePerByte === 0n && params.unsealPrice === 0n;
}

/** The k-th interval boundary in bytes: b_k = k·I + J·k(k−1)/2 (the reference's cumulative intervals). */
export function intervalBoundary(params: DealParams, k: number): number {
  return k * params.paymentInterval + (params.paymentIntervalIncrease * k * (k - 1)) / 2;
}

/** The first boundary above `paidBytes`: where the provider stops until paid past it. */
export function nextBoundary(params: DealParams, paidBytes: number): number {
  const I = params.paymentInterval;
  const J = params.paymentIntervalIncrease;
  // b_k > p solved for k (J·k²/2 + (I − J/2)·k − p > 0), then corrected for the float's rounding.
  let k =
    J === 0
      ? Math.floor(paidBytes / I) + 1
      : Math.max(1, Math.floor((-(I - J / 2) + Math.sqrt((I - J / 2) ** 2 + 2 * J * paidBytes)) / J));
  while (k > 1 && intervalBoundary(params, k - 1) > paidBytes) k -= 1;
  while (intervalBoundary(params, k) <= paidBytes) k += 1;
  return intervalBoundary(params, k);
}

/** The lane's cumulative amount for `bytes` received: bytes × price_per_byte + unseal_price. */
export function amountFor(params: DealParams, bytes: number): bigint {
  return BigInt(bytes) * params.pricePerByte + params.unsealPrice;
}

/**
 * The bytes a lane's cumulative `amount` pays for: −1 while the unsealing is unpaid (not even the first byte is),
 * Infinity when bytes are free.
 */
export function bytesPaidBy(params: DealParams, amount: bigint): number {
  if (amount < params.unsealPrice) return -1;
  if (params.pricePerByte === 0n) return Infinity;
  return Number((amount - params.unsealPrice) / params.pricePerByte);
}

/**
 * Whether a provider that sent `sent` bytes, and holds vouchers for `paid`, may send the next block: the unsealing is
 * paid and the bytes sent are below the next boundary above the bytes paid for.
 */
export function maySend(params: DealParams, paid: bigint, sent: number): boolean {
  const paidBytes = bytesPaidBy(params, paid);
  if (paidBytes < 0) return false;
  if (paidBytes === Infinity) return true;
  return sent < nextBoundary(params, paidBytes);
}
