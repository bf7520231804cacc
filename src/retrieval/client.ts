// The client's side of paid retrieval: it asks, proposes the ask's terms, sets up a channel and a lane, and takes the
// provider's CAR stream one block at a time into its ResultStore, each block verified (CID, digest, its place in the
// depth-first walk of the DAG) before it counts. It pays `received × price_per_byte + unseal_price` cumulatively on
// its lane, the unsealing before the first byte and the rest each time the bytes received reach the next interval
// boundary, and once more when the whole DAG is in: never what the provider asks, never for a byte not verified.
//
// State machine (the reference's): New → WaitForAcceptance → Accepted (or Rejected) → PaymentChannelCreating or
// PaymentChannelAddingFunds → PaymentChannelAllocatingLane → Ongoing ↔ FundsNeeded → SendFunds → Ongoing … →
// Finalizing (the last payment) → Completed; InsufficientFunds (from FundsNeeded or Finalizing) until funds are added
// and recheckFunds() is called; Cancelled (either side), Errored. A free payload goes from Accepted to Ongoing, with
// no channel at all. Every transition is written to a Journal before the client acts on it; a client killed at any
// point resumes from its record and from the blocks its store holds (content-addressed, so a block there is a block
// verified), and since vouchers are cumulative per lane, re-sending the last one never pays twice.

import { randomBytes } from "node:crypto";
import EventEmitter from "node:events";
import type { Logger } from "pino";
import { Journal } from "../agents/journal";
import { InsufficientChannelFundsError } from "../channels/errors";
import { signedVoucherToJson, type SignedVoucher } from "../channels/voucher";
import { AccordError } from "../model/errors";
import { ResultsVerificationError } from "../results/errors";
import type { BlockImport, ResultStore } from "../results/store";
import type { Block } from "../results/verify";
import { carBlocks, CarStreamBrokenError, CarStreamTruncatedError } from "./car-stream";
import {
  RetrievalCancelledError,
  RetrievalDealNotFoundError,
  RetrievalFailedError,
  RetrievalHttpError,
  RetrievalRejectedError,
  type RetrievalFailureReason,
} from "./errors";
import type { RetrievalPayer } from "./payments";
import {
  amountFor,
  askFromJson,
  bytesPaidBy,
  isFree,
  nextBoundary,
  proposalToJson,
  RETRIEVAL_PREFIX,
  statusFromJson,
  type Ask,
  type DealParams,
  type DealStatus,
} from "./protocol";

export const CLIENT_STATES = [
  "New",
  "WaitForAcceptance",
  "Accepted",
  "Rejected",
  "PaymentChannelCreating",
  "PaymentChannelAddingFunds",
  "PaymentChannelAllocatingLane",
  "Ongoing",
  "FundsNeeded",
  "SendFunds",
  "InsufficientFunds",
  "Finalizing",
  "Completed",
  "Cancelled",
  "Errored",
] as const;
export type ClientDealState = (typeof CLIENT_STATES)[number];

const TERMINAL: readonly ClientDealState[] = ["Rejected", "Completed", "Cancelled", "Errored"];

type ParamsRecord = {
  pricePerByte: string;
  unsealPrice: string;
  paymentInterval: number;
  paymentIntervalIncrease: number;
};

/** A deal as the client's journal keeps it. */
export type ClientDealRecord = {
  dealId: string;
  payloadCid: string;
  /** The provider's base URL, with a trailing slash. */
  providerUrl: string;
  state: ClientDealState;
  /** The terms proposed (the ask's, or the caller's overrides). */
  params: ParamsRecord | null;
  /** The ask's size: what the channel is funded for, nothing more. */
  size: number | null;
  payer: string | null;
  payee: string | null;
  /** What the channel is made to hold for the deal. */
  funds: string | null;
  channelId: string | null;
  lane: string | null;
  /** Blocks and block bytes received and verified, as of the last transition. */
  position: number;
  received: number;
  /** The lane's cumulative amount the provider acknowledged. */
  paid: string;
  /** The cumulative amount being paid (FundsNeeded, SendFunds, InsufficientFunds, Finalizing). */
  owed: string | null;
  shortfall: string | null;
  /** Where InsufficientFunds goes back to once the funds are there. */
  resumeState: "FundsNeeded" | "Finalizing" | null;
  /** The last amount the provider said it was owed (never what is paid). */
  providerRequested: string | null;
  cancelledBy: "client" | "provider" | null;
  reason: RetrievalFailureReason | null;
  rejection: { field: string; rule: string } | null;
  message: string | null;
  updatedAt: number;
};

/** A deal as the client shows it. */
export type ClientDeal = {
  dealId: string;
  payloadCid: string;
  providerUrl: string;
  state: ClientDealState;
  params: DealParams | null;
  size: number | null;
  channelId: string | null;
  lane: bigint | null;
  position: number;
  received: number;
  paid: bigint;
  owed: bigint | null;
  shortfall: bigint | null;
  providerRequested: bigint | null;
  cancelledBy: "client" | "provider" | null;
  reason: RetrievalFailureReason | null;
  message: string | null;
};

/** What retrieve() resolves: the completed deal, or dealId null when the store held the whole DAG already. */
export type RetrievalOutcome = Pick<ClientDeal, "payloadCid" | "state" | "received" | "paid"> & {
  dealId: string | null;
};

export type RetrievalClientOptions = {
  /** Where verified blocks go (and where a resumed deal finds those it has). */
  store: ResultStore;
  /** Where the deals' journal lives. */
  dir: string;
  /** Pays for priced payloads; without one only free payloads can be retrieved. */
  payer?: RetrievalPayer;
  /** How long the provider may stay unreachable (or keep failing) before the deal errors; default 30 s. */
  reconnectTimeoutMs?: number;
  /** How long a stream may bring nothing while nothing is owed before it is dropped and reopened; default 60 s. */
  stallTimeoutMs?: number;
  logger?: Logger;
};

export type RetrieveOptions = {
  /** What the channel is funded with for this deal; default what the ask says the whole payload costs. */
  funds?: bigint;
  /** Terms to propose instead of the ask's (a provider refuses terms below its ask). */
  params?: Partial<DealParams>;
};

/** An error on the way to the provider worth retrying: the network, a 5xx, a stream cut or stalled. */
class TransportError extends AccordError {
  override name = "TransportError";
}

/** The deal was cancelled in this process while a step was under way. */
class CancelledHere extends AccordError {
  override name = "CancelledHere";
}

type Live = {
  controller?: AbortController;
  recheck?: () => void;
  cancel?: (error: Error) => void;
};

const paramsRecord = (params: DealParams): ParamsRecord => ({
  pricePerByte: params.pricePerByte.toString(),
  unsealPrice: params.unsealPrice.toString(),
  paymentInterval: params.paymentInterval,
  paymentIntervalIncrease: params.paymentIntervalIncrease,
});

const paramsOf = (record: ParamsRecord): DealParams => ({
  pricePerByte: BigInt(record.pricePerByte),
  unsealPrice: BigInt(record.unsealPrice),
  paymentInterval: record.paymentInterval,
  paymentIntervalIncrease: record.paymentIntervalIncrease,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RetrievalClient extends EventEmitter<{ state: [ClientDeal] }> {
  readonly #live = new Map<string, Live>();
  readonly #running = new Map<string, Promise<ClientDeal>>();
  readonly reconnectTimeoutMs: number;
  readonly stallTimeoutMs: number;

  private constructor(
    private readonly options: RetrievalClientOptions,
    private readonly journal: Journal<ClientDealRecord>,
  ) {
    super();
    this.reconnectTimeoutMs = options.reconnectTimeoutMs ?? 30_000;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 60_000;
  }

  static open(options: RetrievalClientOptions): Promise<RetrievalClient> {
    return Promise.resolve(new RetrievalClient(options, Journal.open<ClientDealRecord>(options.dir)));
  }

  /** Stops every transfer (deals stay as they are, for the next start) and releases the journal. */
  close(): void {
    for (const live of this.#live.values()) {
      live.controller?.abort(new CancelledHere("the client closed"));
      live.cancel?.(new CancelledHere("the client closed"));
    }
    this.journal.close();
  }

  deal(dealId: string): ClientDeal | undefined {
    const record = this.journal.get(dealId);
    return record === undefined ? undefined : view(record);
  }

  deals(): ClientDeal[] {
    return this.journal.values().map(view);
  }

  /** Deals not finished (to resume after a restart). */
  unfinished(): ClientDeal[] {
    return this.deals().filter((deal) => !TERMINAL.includes(deal.state));
  }

  /**
   * Retrieves the DAG under `cid` from the provider at `providerUrl`, resolving once it is complete in the store and
   * paid for. An unfinished deal for the same CID and provider is resumed rather than a new one made; nothing is
   * retrieved when the store holds the DAG already. Rejects with RetrievalRejectedError, RetrievalCancelledError or
   * RetrievalFailedError (the deal's journal says the same).
   */
  async retrieve(cid: string, providerUrl: string, options: RetrieveOptions = {}): Promise<RetrievalOutcome> {
    const base = providerUrl.endsWith("/") ? providerUrl : `${providerUrl}/`;
    const unfinished = this.journal
      .values()
      .find((r) => r.payloadCid === cid && r.providerUrl === base && !TERMINAL.includes(r.state));
    if (unfinished === undefined && (await this.options.store.has(cid))) {
      return { dealId: null, payloadCid: cid, state: "Completed", received: 0, paid: 0n };
    }
    let dealId: string;
    if (unfinished !== undefined) dealId = unfinished.dealId;
    else {
      dealId = randomBytes(16).toString("hex");
      this.journal.put(dealId, {
        dealId,
        payloadCid: cid,
        providerUrl: base,
        state: "New",
        params: null,
        size: null,
        payer: null,
        payee: null,
        funds: options.funds === undefined ? null : options.funds.toString(),
        channelId: null,
        lane: null,
        position: 0,
        received: 0,
        paid: "0",
        owed: null,
        shortfall: null,
        resumeState: null,
        providerRequested: null,
        cancelledBy: null,
        reason: null,
        rejection: null,
        message: null,
        updatedAt: Date.now(),
      });
      this.#emit(this.journal.get(dealId)!);
    }
    const deal = await this.resume(dealId, options);
    return { dealId, payloadCid: cid, state: deal.state, received: deal.received, paid: deal.paid };
  }

  /** Drives a deal of the journal from where it stands to its end (see retrieve). */
  resume(dealId: string, options: RetrieveOptions = {}): Promise<ClientDeal> {
    if (this.journal.get(dealId) === undefined) return Promise.reject(new RetrievalDealNotFoundError(dealId));
    let running = this.#running.get(dealId);
    if (running === undefined) {
      running = this.#run(dealId, options).finally(() => {
        this.#running.delete(dealId);
        this.#live.delete(dealId);
      });
      this.#running.set(dealId, running);
    }
    return running;
  }

  /** Cancels a deal from this side: the stream is dropped and the provider told (as far as it can be reached). */
  async cancel(dealId: string): Promise<void> {
    const record = this.#record(dealId);
    if (TERMINAL.includes(record.state)) return;
    this.#transition(dealId, { state: "Cancelled", cancelledBy: "client", message: "cancelled by the client" });
    const live = this.#live.get(dealId);
    const stop = new CancelledHere("cancelled by the client");
    live?.controller?.abort(stop);
    live?.cancel?.(stop);
    await fetch(`${record.providerUrl}${RETRIEVAL_PREFIX.slice(1)}deals/${dealId}/cancel`, {
      method: "POST",
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
  }

  /** Adds `amount` to the deal's channel (then recheckFunds lets an InsufficientFunds deal go on). */
  async addFunds(dealId: string, amount: bigint): Promise<void> {
    const record = this.#record(dealId);
    if (record.channelId === null || this.options.payer === undefined) {
      throw new RetrievalFailedError(dealId, "payment-unavailable", "the deal has no payment channel");
    }
    await this.options.payer.addFunds(record.channelId, amount);
  }

  /** Asks an InsufficientFunds deal to try its payment again (after funds were added). */
  recheckFunds(dealId: string): void {
    this.#record(dealId);
    this.#live.get(dealId)?.recheck?.();
  }

  async #run(dealId: string, options: RetrieveOptions): Promise<ClientDeal> {
    const live: Live = {};
    this.#live.set(dealId, live);
    let lastProgress = Date.now();
    try {
      for (;;) {
        const deal = this.#record(dealId);
        if (deal.state === "Completed") return view(deal);
        try {
          await this.#step(deal, live, options);
          lastProgress = Date.now();
        } catch (error) {
          // The provider unreachable (or failing) between steps: tried again for a while, then the deal fails.
          if (!(error instanceof TransportError)) throw error;
          if (Date.now() - lastProgress > this.reconnectTimeoutMs) {
            throw new RetrievalFailedError(dealId, "unreachable", error.message, { cause: error });
          }
          await sleep(200);
        }
      }
    } catch (error) {
      const record = this.journal.get(dealId);
      if (record !== undefined && !TERMINAL.includes(record.state) && !(error instanceof CancelledHere)) {
        const failed =
          error instanceof RetrievalFailedError
            ? error
            : new RetrievalFailedError(dealId, "protocol", (error as Error).message, { cause: error });
        this.#transition(dealId, { state: "Errored", reason: failed.reason, message: failed.message });
        throw failed;
      }
      const current = this.journal.get(dealId);
      if (error instanceof CancelledHere && current?.state === "Cancelled") {
        throw new RetrievalCancelledError(dealId, current.cancelledBy ?? "client");
      }
      throw error;
    }
  }

  /** One step of the state machine from `deal`'s state (each ends by persisting the next state). */
  async #step(deal: ClientDealRecord, live: Live, options: RetrieveOptions): Promise<void> {
    const dealId = deal.dealId;
    switch (deal.state) {
      case "New":
        return this.#askStep(deal, options);
      case "WaitForAcceptance":
        return this.#proposeStep(deal);
      case "Accepted":
        return this.#acceptedStep(deal);
      case "PaymentChannelCreating":
      case "PaymentChannelAddingFunds": {
        const channelId = await this.#payer(deal).ensureFunds(deal.payee!, BigInt(deal.funds!));
        return this.#transition(dealId, { state: "PaymentChannelAllocatingLane", channelId });
      }
      case "PaymentChannelAllocatingLane": {
        const lane = await this.#payer(deal).allocateLane(deal.channelId!);
        return this.#transition(dealId, { state: "Ongoing", lane: lane.toString() });
      }
      case "Ongoing":
      case "FundsNeeded":
      case "SendFunds":
      case "InsufficientFunds":
      case "Finalizing":
        return this.#transfer(dealId, live);
      case "Completed":
        return;
      case "Rejected":
        throw new RetrievalRejectedError(dealId, deal.rejection?.field ?? "", deal.rejection?.rule ?? "");
      case "Cancelled":
        throw new RetrievalCancelledError(dealId, deal.cancelledBy ?? "client");
      case "Errored":
        throw new RetrievalFailedError(dealId, deal.reason ?? "protocol", deal.message ?? "");
    }
  }

  async #askStep(deal: ClientDealRecord, options: RetrieveOptions): Promise<void> {
    const { status, json } = await this.#request(deal, "GET", `ask/${deal.payloadCid}`);
    if (status !== 200) throw this.#protocolError(deal, `the ask answered ${status}`, json);
    const ask: Ask = askFromJson(json);
    if (ask.payloadCid !== deal.payloadCid) throw this.#protocolError(deal, `the ask is for ${ask.payloadCid}`, json);
    const params: DealParams = { ...pickParams(ask), ...options.params };
    const free = isFree(params);
    if (!free && (ask.payee === null || ask.token === null)) {
      throw new RetrievalFailedError(deal.dealId, "protocol", "a priced ask names no payee or token");
    }
    const payer = free ? null : await this.#payer(deal).address();
    if (!free && ask.token!.toLowerCase() !== this.#payer(deal).token.toLowerCase()) {
      throw new RetrievalFailedError(
        deal.dealId,
        "payment-unavailable",
        `the provider is paid in ${ask.token}, this payer pays in ${this.#payer(deal).token}`,
      );
    }
    this.#transition(deal.dealId, {
      state: "WaitForAcceptance",
      params: paramsRecord(params),
      size: ask.size,
      payer,
      payee: ask.payee,
      funds: deal.funds ?? (free ? null : amountFor(params, ask.size).toString()),
    });
  }

  async #proposeStep(deal: ClientDealRecord): Promise<void> {
    const proposal = { dealId: deal.dealId, payloadCid: deal.payloadCid, payer: deal.payer, ...paramsOf(deal.params!) };
    const { status, json } = await this.#request(deal, "POST", "deals", proposalToJson(proposal));
    if (status === 422 || status === 409) {
      const body = json as { field?: string; rule?: string; error?: string };
      const rejection = { field: body.field ?? "", rule: body.rule ?? body.error ?? "refused" };
      this.#transition(deal.dealId, { state: "Rejected", rejection, message: body.error ?? null });
      return;
    }
    if (status !== 200) throw this.#protocolError(deal, `the proposal answered ${status}`, json);
    this.#checkStatus(deal, statusFromJson(json));
    this.#transition(deal.dealId, { state: "Accepted" });
  }

  #acceptedStep(deal: ClientDealRecord): void {
    if (isFree(paramsOf(deal.params!))) {
      this.#transition(deal.dealId, { state: "Ongoing" });
      return;
    }
    const existing = this.#payer(deal).activeChannel(deal.payee!);
    this.#transition(deal.dealId, {
      state: existing === undefined ? "PaymentChannelCreating" : "PaymentChannelAddingFunds",
    });
  }

  /** The transfer from wherever it stands (first start, restart, after a dropped stream) to Completed. */
  async #transfer(dealId: string, live: Live): Promise<void> {
    let deal = this.#record(dealId);
    const params = paramsOf(deal.params!);
    const imp = await this.options.store.openImport(deal.payloadCid, { resume: deal.position > 0 });
    if (deal.state === "SendFunds" && deal.owed !== null) {
      // A voucher made but perhaps not delivered before a restart: delivered again (the same voucher, the same amount).
      await this.#deliver(
        dealId,
        await this.#payer(deal).voucher(deal.channelId!, BigInt(deal.lane!), BigInt(deal.owed)),
      );
      this.#transition(dealId, { state: "Ongoing", paid: deal.owed, owed: null });
    } else if (deal.state !== "Ongoing" && !imp.complete) {
      // A payment under way when the client stopped (or waiting for funds) is decided again from what the store
      // holds: the blocks written before the stop are the bytes received.
      this.#transition(dealId, { state: "Ongoing", owed: null, shortfall: null, resumeState: null });
    }
    let lastProgress = Date.now();
    while (!imp.complete) {
      await this.#payIfDue(dealId, params, imp);
      try {
        await this.#stream(dealId, params, imp, live, () => (lastProgress = Date.now()));
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        // The provider may be gone (killed, restarting) or have cancelled: ask, then retry for a while.
        await this.#checkCancelled(dealId);
        if (Date.now() - lastProgress > this.reconnectTimeoutMs) {
          throw new RetrievalFailedError(dealId, "unreachable", error.message, { cause: error });
        }
        await sleep(200);
      }
    }
    deal = this.#record(dealId);
    const owed = isFree(params) ? 0n : amountFor(params, imp.bytes);
    if (deal.state !== "Finalizing" && deal.state !== "InsufficientFunds") {
      this.#transition(dealId, {
        state: "Finalizing",
        position: imp.position,
        received: imp.bytes,
        owed: owed.toString(),
      });
    }
    if (owed > BigInt(this.#record(dealId).paid)) await this.#pay(dealId, owed, imp);
    // Paid for once verified; complete once on disk.
    await imp.flush();
    this.#transition(dealId, { state: "Completed", owed: null, position: imp.position, received: imp.bytes });
  }

  /** Pays for what was received when it reached the next boundary above what is paid (or the unsealing is due). */
  async #payIfDue(dealId: string, params: DealParams, imp: BlockImport): Promise<void> {
    if (isFree(params) || imp.complete) return;
    const paid = BigInt(this.#record(dealId).paid);
    const paidBytes = bytesPaidBy(params, paid);
    if (paidBytes >= 0 && imp.bytes < nextBoundary(params, paidBytes)) return;
    await this.#pay(dealId, amountFor(params, imp.bytes), imp);
  }

  /** One CAR stream from the block the store needs next; returns when it ends with the DAG complete. */
  async #stream(dealId: string, params: DealParams, imp: BlockImport, live: Live, progress: () => void): Promise<void> {
    const deal = this.#record(dealId);
    const controller = new AbortController();
    live.controller = controller;
    const url = `${deal.providerUrl}${RETRIEVAL_PREFIX.slice(1)}deals/${dealId}/car?from=${imp.position}`;
    let stallTimer: NodeJS.Timeout | undefined;
    /** Resolves `step`, or aborts the stream when it brings nothing for stallTimeoutMs. */
    const watch = <T>(step: Promise<T>): Promise<T> => {
      stallTimer = setTimeout(
        () => controller.abort(new TransportError(`no block for ${this.stallTimeoutMs} ms`)),
        this.stallTimeoutMs,
      );
      return step.finally(() => clearTimeout(stallTimer));
    };
    try {
      let response: Response;
      try {
        response = await watch(fetch(url, { signal: controller.signal }));
      } catch (error) {
        throw this.#transportOrCancel(controller, error);
      }
      if (response.status === 410) {
        await response.body?.cancel();
        this.#providerCancelled(dealId);
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw new TransportError(`${url} answered ${response.status}`);
      }
      if (response.status !== 200 || response.body === null) {
        const json = (await response.json().catch(() => ({}))) as unknown;
        throw this.#protocolError(deal, `the transfer answered ${response.status}`, json);
      }
      const blocks = carBlocks(response.body, imp.root);
      for (;;) {
        let next: IteratorResult<Block>;
        try {
          next = await watch(blocks.next());
        } catch (error) {
          if (error instanceof CarStreamBrokenError || controller.signal.aborted) {
            throw this.#transportOrCancel(controller, error);
          }
          if (error instanceof CarStreamTruncatedError) {
            throw new RetrievalFailedError(dealId, "early-end", error.message, { cause: error });
          }
          throw error;
        }
        if (next.done) break;
        await imp.accept(next.value);
        progress();
        await this.#payIfDue(dealId, params, imp);
        progress();
      }
    } catch (error) {
      if (error instanceof ResultsVerificationError) {
        // Not paid for, and not to be retried: the provider is told the deal is off.
        void this.#tellProvider(deal, "cancel");
        throw new RetrievalFailedError(dealId, "verification", error.message, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(stallTimer);
      if (live.controller === controller) live.controller = undefined;
      controller.abort(new CancelledHere("stream done"));
    }
    if (!imp.complete) {
      throw new RetrievalFailedError(
        dealId,
        "early-end",
        `the provider ended the stream after ${imp.position} blocks (${imp.bytes} bytes); block ${imp
          .expected()
          ?.toString()} and the rest of the DAG never came`,
      );
    }
  }

  /**
   * Pays the lane's cumulative `owed`: FundsNeeded (or Finalizing for the last payment) → the voucher (waiting in
   * InsufficientFunds until funds are added and recheckFunds() is called) → SendFunds → delivered → Ongoing.
   */
  async #pay(dealId: string, owed: bigint, imp: BlockImport): Promise<void> {
    let deal = this.#record(dealId);
    const last = imp.complete;
    const back = last ? "Finalizing" : "FundsNeeded";
    if (deal.state !== "InsufficientFunds" && (deal.state !== back || deal.owed !== owed.toString())) {
      // The checkpoint a restart resumes from: the blocks verified so far, and the payment under way.
      this.#transition(dealId, { state: back, owed: owed.toString(), position: imp.position, received: imp.bytes });
    }
    let voucher: SignedVoucher;
    for (;;) {
      deal = this.#record(dealId);
      if (deal.state === "Cancelled") throw new CancelledHere("cancelled");
      try {
        voucher = await this.#payer(deal).voucher(deal.channelId!, BigInt(deal.lane!), owed);
        break;
      } catch (error) {
        if (!(error instanceof InsufficientChannelFundsError)) {
          throw new RetrievalFailedError(dealId, "payment-unavailable", (error as Error).message, { cause: error });
        }
        this.#transition(dealId, {
          state: "InsufficientFunds",
          shortfall: error.shortfall.toString(),
          resumeState: back,
          owed: owed.toString(),
        });
        await this.#waitForRecheck(dealId);
        this.#transition(dealId, { state: back, shortfall: null, resumeState: null });
      }
    }
    if (!last) this.#transition(dealId, { state: "SendFunds" });
    const status = await this.#deliver(dealId, voucher);
    if (status.paymentRequested > owed) {
      this.options.logger?.warn(
        { dealId, requested: status.paymentRequested.toString(), paid: owed.toString() },
        "the provider asks for more than the bytes received are worth; it is paid for what was received",
      );
    }
    this.#transition(dealId, {
      state: last ? "Finalizing" : "Ongoing",
      paid: owed.toString(),
      owed: null,
      providerRequested: status.paymentRequested.toString(),
    });
    if (!last && status.state === "Completed") {
      throw new RetrievalFailedError(
        dealId,
        "early-end",
        `the provider says the deal is complete after ${imp.position} blocks; the DAG is not`,
      );
    }
  }

  #waitForRecheck(dealId: string): Promise<void> {
    const live = this.#live.get(dealId)!;
    return new Promise<void>((resolve, reject) => {
      live.recheck = () => {
        live.recheck = undefined;
        live.cancel = undefined;
        resolve();
      };
      live.cancel = (error) => {
        live.recheck = undefined;
        live.cancel = undefined;
        reject(error);
      };
    });
  }

  /** POSTs a voucher, retrying while the provider is unreachable; returns its status after it. */
  async #deliver(dealId: string, voucher: SignedVoucher): Promise<DealStatus> {
    const started = Date.now();
    for (;;) {
      const deal = this.#record(dealId);
      if (deal.state === "Cancelled") throw new CancelledHere("cancelled");
      let answer: { status: number; json: unknown };
      try {
        answer = await this.#request(deal, "POST", `deals/${dealId}/voucher`, {
          voucher: signedVoucherToJson(voucher),
        });
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        if (Date.now() - started > this.reconnectTimeoutMs) {
          throw new RetrievalFailedError(dealId, "unreachable", error.message, { cause: error });
        }
        await sleep(200);
        continue;
      }
      if (answer.status === 410) this.#providerCancelled(dealId);
      if (answer.status === 422) {
        const body = answer.json as { error?: string; rule?: string };
        throw new RetrievalFailedError(dealId, "payment-refused", `${body.rule ?? ""}: ${body.error ?? ""}`);
      }
      if (answer.status !== 200) throw this.#protocolError(deal, `the voucher answered ${answer.status}`, answer.json);
      const status = statusFromJson(answer.json);
      this.#checkStatus(deal, status);
      return status;
    }
  }

  /** A request to the provider; network errors and 5xx are TransportError (worth retrying). */
  async #request(
    deal: ClientDealRecord,
    method: "GET" | "POST",
    route: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const url = `${deal.providerUrl}${RETRIEVAL_PREFIX.slice(1)}${route}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.reconnectTimeoutMs),
      });
    } catch (error) {
      throw new TransportError(`${method} ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (response.status >= 500) {
      await response.body?.cancel();
      throw new TransportError(`${method} ${url} answered ${response.status}`);
    }
    const text = await response.text().catch((error: unknown) => {
      throw new TransportError(`${method} ${url}: ${(error as Error).message}`, { cause: error });
    });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = { error: text.slice(0, 200) };
    }
    return { status: response.status, json };
  }

  /** After a dropped stream: a provider that cancelled says so (410); one that cannot be reached says nothing. */
  async #checkCancelled(dealId: string): Promise<void> {
    const deal = this.#record(dealId);
    if (deal.state === "Cancelled") throw new CancelledHere("cancelled");
    try {
      const { status } = await this.#request(deal, "GET", `deals/${dealId}`);
      if (status === 410) this.#providerCancelled(dealId);
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
    }
  }

  #providerCancelled(dealId: string): never {
    if (this.#record(dealId).state !== "Cancelled") {
      this.#transition(dealId, { state: "Cancelled", cancelledBy: "provider", message: "cancelled by the provider" });
    }
    throw new RetrievalCancelledError(dealId, this.#record(dealId).cancelledBy ?? "provider");
  }

  #transportOrCancel(controller: AbortController, error: unknown): Error {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason instanceof CancelledHere) return reason;
    if (controller.signal.aborted && reason instanceof TransportError) return reason;
    return new TransportError(`the stream broke: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }

  async #tellProvider(deal: ClientDealRecord, action: "cancel"): Promise<void> {
    await fetch(`${deal.providerUrl}${RETRIEVAL_PREFIX.slice(1)}deals/${deal.dealId}/${action}`, {
      method: "POST",
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
  }

  /** A status must be this deal's; a provider that says it is done before the DAG is in is wrong (early end). */
  #checkStatus(deal: ClientDealRecord, status: DealStatus): void {
    if (status.dealId !== deal.dealId || status.payloadCid !== deal.payloadCid) {
      throw new RetrievalFailedError(deal.dealId, "protocol", `the provider answered for deal ${status.dealId}`);
    }
  }

  #protocolError(deal: ClientDealRecord, what: string, json: unknown): RetrievalFailedError {
    const body = (json ?? {}) as { error?: unknown };
    const detail = typeof body.error === "string" ? `: ${body.error}` : "";
    return new RetrievalFailedError(deal.dealId, "protocol", `${what}${detail}`, {
      cause: new RetrievalHttpError(deal.providerUrl, 0, body as { error?: string }),
    });
  }

  #payer(deal: ClientDealRecord): RetrievalPayer {
    if (this.options.payer === undefined) {
      throw new RetrievalFailedError(deal.dealId, "payment-unavailable", "the payload has a price and no payer is set");
    }
    return this.options.payer;
  }

  #record(dealId: string): ClientDealRecord {
    const record = this.journal.get(dealId);
    if (record === undefined) throw new RetrievalDealNotFoundError(dealId);
    return record;
  }

  #transition(dealId: string, changes: Partial<ClientDealRecord>): void {
    const before = this.#record(dealId);
    // A deal cancelled (from another call) while a step was under way stays cancelled.
    if (TERMINAL.includes(before.state) && changes.state !== undefined && changes.state !== before.state) {
      throw new CancelledHere(`deal ${dealId} is ${before.state}`);
    }
    const next = this.journal.update(dealId, { ...changes, updatedAt: Date.now() });
    if (next.state !== before.state || next.paid !== before.paid) this.#emit(next);
  }

  #emit(record: ClientDealRecord): void {
    const deal = view(record);
    this.options.logger?.info(
      { dealId: deal.dealId, state: deal.state, received: deal.received, paid: record.paid },
      "retrieval client state",
    );
    this.emit("state", deal);
  }
}

function pickParams(ask: Ask): DealParams {
  return {
    pricePerByte: ask.pricePerByte,
    unsealPrice: ask.unsealPrice,
    paymentInterval: ask.paymentInterval,
    paymentIntervalIncrease: ask.paymentIntervalIncrease,
  };
}

function view(record: ClientDealRecord): ClientDeal {
  return {
    dealId: record.dealId,
    payloadCid: record.payloadCid,
    providerUrl: record.providerUrl,
    state: record.state,
    params: record.params === null ? null : paramsOf(record.params),
    size: record.size,
    channelId: record.channelId,
    lane: record.lane === null ? null : BigInt(record.lane),
    position: record.position,
    received: record.received,
    paid: BigInt(record.paid),
    owed: record.owed === null ? null : BigInt(record.owed),
    shortfall: record.shortfall === null ? null : BigInt(record.shortfall),
    providerRequested: record.providerRequested === null ? null : BigInt(record.providerRequested),
    cancelledBy: record.cancelledBy,
    reason: record.reason,
    message: record.message,
  };
}
