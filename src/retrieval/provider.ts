// The provider's side of paid retrieval: it answers asks for the DAGs in its store, takes proposals that pay at least
// its ask with intervals no longer than its own, and streams each deal's DAG as a CAR in depth-first order, holding
// the stream at every interval boundary until a voucher pays for what was sent (protocol.ts: maySend).
//
// State machine (the reference's, without unsealing): New → Ongoing ↔ FundsNeeded → Finalizing → Completed, or
// Cancelled (by either side), Errored (the store failed it). Every transition is written to a Journal before the
// provider acts on it, and a voucher is kept by the payee (VoucherStore) before it is counted, so a provider killed
// at any point restarts knowing each deal's state and what it was paid; the client reconnects and names the block it
// needs next, so what was sent follows from the DAG (the bytes of the blocks before it), not from memory.

import EventEmitter from "node:events";
import type http from "node:http";
import type { Logger } from "pino";
import { Journal } from "../agents/journal";
import { VoucherRejectedError } from "../channels/errors";
import { signedVoucherFromJson } from "../channels/voucher";
import { AccordValidationError } from "../model/errors";
import { parseRoot } from "../results/blocks";
import { carHeader, carSection } from "../results/car";
import { CAR_RESPONSE_TYPE } from "../results/http";
import type { Block } from "../results/verify";
import { readBody, sendJson } from "../server/http";
import { RetrievalPaymentError } from "./errors";
import type { RetrievalPayee } from "./payments";
import {
  amountFor,
  askToJson,
  checkParams,
  DEFAULT_PAYMENT_INTERVAL,
  DEFAULT_PAYMENT_INTERVAL_INCREASE,
  isFree,
  maySend,
  proposalFromJson,
  refuseTerms,
  RETRIEVAL_PREFIX,
  statusToJson,
  type Ask,
  type DealParams,
  type DealStatus,
  type Proposal,
  type ProviderDealState,
} from "./protocol";
import { KeyedQueue } from "../util/keyed-queue";

/** Where the provider reads DAGs from: a ResultStore, or anything that walks a DAG the same way. */
export interface BlockSource {
  /** The DAG's blocks in depth-first order, each once (ResultStore.blocksOf). */
  blocksOf(cid: string): AsyncIterable<Block>;
}

type ParamsRecord = {
  pricePerByte: string;
  unsealPrice: string;
  paymentInterval: number;
  paymentIntervalIncrease: number;
};

/** A deal as the provider's journal keeps it. */
export type ProviderDealRecord = {
  dealId: string;
  payloadCid: string;
  payer: string | null;
  params: ParamsRecord;
  size: number;
  blocks: number;
  state: ProviderDealState;
  /** Block bytes sent as of the last transition. */
  sent: number;
  /** The lane's cumulative amount held. */
  paid: string;
  channelId: string | null;
  lane: string | null;
  message: string | null;
  updatedAt: number;
};

/** A provider deal's transition, as emitted on "state". */
export type ProviderDealEvent = DealStatus & { at: number };

export type RetrievalProviderOptions = {
  /** The DAGs served. */
  store: BlockSource;
  /** Where the deals' journal lives. */
  dir: string;
  /** The terms asked: default free, with the reference's 1 MiB interval and increase. */
  ask?: Partial<DealParams>;
  /** Checks and keeps vouchers; required unless the ask is free. */
  payee?: RetrievalPayee;
  logger?: Logger;
};

const TERMINAL: readonly ProviderDealState[] = ["Completed", "Cancelled", "Errored"];
const MAX_BODY_BYTES = 64 * 1024;

/** What is live of a deal in this process: its stream, if one is open, and how far it got. */
type Live = {
  sent: number;
  stream?: { res: http.ServerResponse; wake: () => void };
};

function paramsOf(record: ProviderDealRecord): DealParams {
  return {
    pricePerByte: BigInt(record.params.pricePerByte),
    unsealPrice: BigInt(record.params.unsealPrice),
    paymentInterval: record.params.paymentInterval,
    paymentIntervalIncrease: record.params.paymentIntervalIncrease,
  };
}

/** Resolves true once `chunk` is written (or buffered below the high-water mark), false if the stream closed first. */
function write(res: http.ServerResponse, chunk: Uint8Array): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

export class RetrievalProvider extends EventEmitter<{ state: [ProviderDealEvent] }> {
  readonly ask: DealParams;
  private readonly journal: Journal<ProviderDealRecord>;
  readonly #live = new Map<string, Live>();
  readonly #queue = new KeyedQueue();
  /** Which deal each (channel, lane) pays: a lane pays for one deal only. */
  readonly #laneOwners = new Map<string, string>();
  readonly #sizes = new Map<string, Promise<{ size: number; blocks: number }>>();
  #closed = false;

  /**
   * Opens the provider's journal in `options.dir` (use RetrievalProvider.open; the constructor is for subclasses, such
   * as a test's provider that misbehaves). A restart finds its deals where they were; what each was paid is the
   * larger of what the journal says and what the payee holds for its lane, in case it died between the two.
   */
  protected constructor(private readonly options: RetrievalProviderOptions) {
    super();
    this.ask = checkParams({
      pricePerByte: options.ask?.pricePerByte ?? 0n,
      unsealPrice: options.ask?.unsealPrice ?? 0n,
      paymentInterval: options.ask?.paymentInterval ?? DEFAULT_PAYMENT_INTERVAL,
      paymentIntervalIncrease: options.ask?.paymentIntervalIncrease ?? DEFAULT_PAYMENT_INTERVAL_INCREASE,
    });
    if (!isFree(this.ask) && options.payee === undefined) {
      throw new AccordValidationError("payee", "is required to ask a price", { subject: "retrieval provider" });
    }
    this.journal = Journal.open<ProviderDealRecord>(options.dir);
    for (const record of this.journal.values()) {
      if (record.channelId !== null && record.lane !== null) {
        this.#laneOwners.set(`${record.channelId}:${record.lane}`, record.dealId);
        const held = options.payee?.paid(record.channelId, BigInt(record.lane)) ?? 0n;
        if (held > BigInt(record.paid)) this.journal.update(record.dealId, { paid: held.toString() });
      }
    }
  }

  static open(options: RetrievalProviderOptions): Promise<RetrievalProvider> {
    return Promise.resolve(new RetrievalProvider(options));
  }

  /** Stops every stream and releases the journal. Deals stay as they are, for the next start. */
  close(): void {
    this.#closed = true;
    for (const live of this.#live.values()) {
      live.stream?.res.destroy();
      live.stream?.wake();
    }
    this.journal.close();
  }

  /** Counts a DAG's blocks and bytes (once per CID: content-addressed, it cannot change); throws when incomplete. */
  prepare(cid: string): Promise<{ size: number; blocks: number }> {
    let known = this.#sizes.get(cid);
    if (known === undefined) {
      known = (async () => {
        let size = 0;
        let blocks = 0;
        for await (const block of this.options.store.blocksOf(cid)) {
          size += block.bytes.length;
          blocks += 1;
        }
        return { size, blocks };
      })();
      known.catch(() => this.#sizes.delete(cid));
      this.#sizes.set(cid, known);
    }
    return known;
  }

  /** The ask for `cid`, or undefined when the store lacks it (or part of it). */
  async askFor(cid: string): Promise<Ask | undefined> {
    parseRoot(cid);
    // prepare() walks the whole DAG once (failing on a block missing): no walk per ask or proposal after that.
    let counted: { size: number; blocks: number };
    try {
      counted = await this.prepare(cid);
    } catch {
      return undefined;
    }
    const { size, blocks } = counted;
    const free = isFree(this.ask);
    return {
      payloadCid: cid,
      size,
      blocks,
      ...this.ask,
      payee: free ? null : this.options.payee!.address,
      token: free ? null : this.options.payee!.token,
    };
  }

  /** A deal's status, or undefined for an unknown one. */
  deal(dealId: string): DealStatus | undefined {
    const record = this.journal.get(dealId);
    return record === undefined ? undefined : this.#status(record);
  }

  deals(): DealStatus[] {
    return this.journal.values().map((record) => this.#status(record));
  }

  /** Cancels a deal from this side: its stream is cut and every later request on it answered 410. */
  cancel(dealId: string, message = "cancelled by the provider"): Promise<DealStatus | undefined> {
    return this.#serially(dealId, () => {
      const record = this.journal.get(dealId);
      if (record === undefined) return undefined;
      if (!TERMINAL.includes(record.state)) this.#transition(record, { state: "Cancelled", message });
      const live = this.#live.get(dealId);
      live?.stream?.res.destroy();
      live?.stream?.wake();
      return this.#status(this.journal.get(dealId)!);
    });
  }

  /**
   * What the provider tells the client it is owed: the cumulative amount for every byte sent. The client never pays
   * by it (it pays for what it received); a test provider overrides it to ask for more.
   */
  protected requestedAmount(record: ProviderDealRecord, sent: number): bigint {
    return isFree(paramsOf(record)) ? 0n : amountFor(paramsOf(record), sent);
  }

  /**
   * The HTTP handler for /retrieval/… (see protocol.ts); resolves false, having answered nothing, for any other
   * path, so it composes with other handlers (resultsHandler) on one server.
   */
  handler(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean> {
    return async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      if (!url.pathname.startsWith(RETRIEVAL_PREFIX)) return false;
      const parts = url.pathname.slice(RETRIEVAL_PREFIX.length).split("/");
      try {
        if (parts[0] === "ask" && parts.length === 2 && req.method === "GET") await this.#serveAsk(parts[1], res);
        else if (parts[0] === "deals" && parts.length === 1 && req.method === "POST") await this.#propose(req, res);
        else if (parts[0] === "deals" && parts.length === 2 && req.method === "GET") this.#serveStatus(parts[1], res);
        else if (parts[0] === "deals" && parts.length === 3 && parts[2] === "car" && req.method === "GET") {
          await this.#transfer(parts[1], url, res);
        } else if (parts[0] === "deals" && parts.length === 3 && parts[2] === "voucher" && req.method === "POST") {
          await this.#voucher(parts[1], req, res);
        } else if (parts[0] === "deals" && parts.length === 3 && parts[2] === "cancel" && req.method === "POST") {
          const status = await this.cancel(parts[1], "cancelled by the client");
          if (status === undefined) sendJson(res, 404, { error: `no deal ${parts[1]}` });
          else sendJson(res, 200, statusToJson(status));
        } else sendJson(res, 404, { error: `no route ${req.method} ${url.pathname}` });
      } catch (error) {
        if (res.headersSent) res.destroy();
        else if (error instanceof AccordValidationError) {
          sendJson(res, 400, { error: error.message, field: error.field, rule: error.rule });
        } else sendJson(res, 500, { error: (error as Error).message });
      }
      return true;
    };
  }

  async #serveAsk(cid: string, res: http.ServerResponse): Promise<void> {
    const ask = await this.askFor(cid);
    if (ask === undefined) sendJson(res, 404, { error: `${cid} is not in this store` });
    else sendJson(res, 200, askToJson(ask));
  }

  #serveStatus(dealId: string, res: http.ServerResponse): void {
    const record = this.journal.get(dealId);
    if (record === undefined) sendJson(res, 404, { error: `no deal ${dealId}` });
    else sendJson(res, record.state === "Cancelled" ? 410 : 200, statusToJson(this.#status(record)));
  }

  async #propose(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === "aborted") return;
    if (body === null) return sendJson(res, 413, { error: `a proposal is at most ${MAX_BODY_BYTES} bytes` });
    const proposal = proposalFromJson(JSON.parse(body.toString("utf8")) as unknown);
    const refusal = refuseTerms(this.ask, proposal);
    if (refusal !== undefined) return sendJson(res, 422, { error: `proposal refused: ${refusal.field}`, ...refusal });
    if (!isFree(proposal) && proposal.payer === null) {
      return sendJson(res, 422, { error: "proposal refused: payer", field: "payer", rule: "is required to pay" });
    }
    const ask = await this.askFor(proposal.payloadCid);
    if (ask === undefined) return sendJson(res, 404, { error: `${proposal.payloadCid} is not in this store` });
    await this.#serially(proposal.dealId, () => {
      const existing = this.journal.get(proposal.dealId);
      if (existing !== undefined) {
        // The same proposal again (a client restarted before it heard the answer) gets the same deal.
        if (!sameProposal(existing, proposal)) {
          return sendJson(res, 409, { error: `deal ${proposal.dealId} exists with other terms`, field: "deal_id" });
        }
        return sendJson(res, 200, statusToJson(this.#status(existing)));
      }
      const record: ProviderDealRecord = {
        dealId: proposal.dealId,
        payloadCid: proposal.payloadCid,
        payer: proposal.payer,
        params: {
          pricePerByte: proposal.pricePerByte.toString(),
          unsealPrice: proposal.unsealPrice.toString(),
          paymentInterval: proposal.paymentInterval,
          paymentIntervalIncrease: proposal.paymentIntervalIncrease,
        },
        size: ask.size,
        blocks: ask.blocks,
        state: "New",
        sent: 0,
        paid: "0",
        channelId: null,
        lane: null,
        message: null,
        updatedAt: Date.now(),
      };
      this.journal.put(record.dealId, record);
      this.#emit(record);
      sendJson(res, 200, statusToJson(this.#status(record)));
    });
  }

  async #transfer(dealId: string, url: URL, res: http.ServerResponse): Promise<void> {
    const record = this.journal.get(dealId);
    if (record === undefined) return sendJson(res, 404, { error: `no deal ${dealId}` });
    if (TERMINAL.includes(record.state)) {
      return sendJson(res, record.state === "Cancelled" ? 410 : 409, {
        error: `deal ${dealId} is ${record.state}`,
        ...statusToJson(this.#status(record)),
      });
    }
    const fromText = url.searchParams.get("from") ?? "0";
    const from = /^\d+$/.test(fromText) ? Number(fromText) : NaN;
    if (!Number.isSafeInteger(from) || from > record.blocks) {
      throw new AccordValidationError("from", `must be a block position from 0 to ${record.blocks}`, {
        subject: "retrieval transfer",
      });
    }
    const live = this.#liveOf(record);
    // A client that reconnects has given up on its previous stream.
    live.stream?.res.destroy();
    live.stream?.wake();
    const stream = { res, wake: () => {} };
    live.stream = stream;
    res.on("close", () => {
      if (live.stream === stream) live.stream = undefined;
      stream.wake();
    });
    if (record.state === "New") await this.#serially(dealId, () => this.#transition(record, { state: "Ongoing" }));
    res.writeHead(200, { "content-type": CAR_RESPONSE_TYPE, "cache-control": "no-store" });
    const params = paramsOf(record);
    let position = 0;
    let sent = 0;
    try {
      if (!(await write(res, await carHeader(parseRoot(record.payloadCid))))) return;
      for await (const block of this.options.store.blocksOf(record.payloadCid)) {
        if (position < from) {
          position += 1;
          sent += block.bytes.length;
          live.sent = sent;
          continue;
        }
        if (!(await this.#gate(dealId, params, sent, stream))) return;
        if (!(await write(res, carSection(block.cid, block.bytes)))) return;
        position += 1;
        sent += block.bytes.length;
        live.sent = sent;
      }
    } catch (error) {
      await this.#serially(dealId, () => {
        const current = this.journal.get(dealId)!;
        if (!TERMINAL.includes(current.state)) {
          this.#transition(current, { state: "Errored", message: `reading the DAG: ${(error as Error).message}` });
        }
      });
      res.destroy();
      return;
    }
    // Every block is out: the last payment (covering every byte sent) completes the deal.
    await this.#serially(dealId, () => {
      const current = this.journal.get(dealId)!;
      if (TERMINAL.includes(current.state)) return;
      const owed = isFree(params) ? 0n : amountFor(params, sent);
      this.#transition(current, { state: BigInt(current.paid) >= owed ? "Completed" : "Finalizing", sent });
    });
    res.end();
  }

  /** Waits until the next block may be sent (paid past the boundary); false when the stream closed or the deal ended. */
  async #gate(
    dealId: string,
    params: DealParams,
    sent: number,
    stream: { res: http.ServerResponse; wake: () => void },
  ): Promise<boolean> {
    for (;;) {
      const record = this.journal.get(dealId)!;
      if (this.#closed || stream.res.destroyed || TERMINAL.includes(record.state)) return false;
      if (maySend(params, BigInt(record.paid), sent)) return true;
      const woken = new Promise<void>((resolve) => (stream.wake = resolve));
      if (record.state !== "FundsNeeded") {
        await this.#serially(dealId, () => {
          const current = this.journal.get(dealId)!;
          if (current.state === "Ongoing" && !maySend(params, BigInt(current.paid), sent)) {
            this.#transition(current, { state: "FundsNeeded", sent });
          }
        });
        // A voucher may have come while the transition was written.
        if (maySend(params, BigInt(this.journal.get(dealId)!.paid), sent)) continue;
      }
      await woken;
    }
  }

  async #voucher(dealId: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === "aborted") return;
    if (body === null) return sendJson(res, 413, { error: `a voucher is at most ${MAX_BODY_BYTES} bytes` });
    const json = JSON.parse(body.toString("utf8")) as { voucher?: unknown };
    const signed = signedVoucherFromJson(json?.voucher);
    await this.#serially(dealId, async () => {
      const record = this.journal.get(dealId);
      if (record === undefined) return sendJson(res, 404, { error: `no deal ${dealId}` });
      if (record.state === "Cancelled" || record.state === "Errored") {
        return sendJson(res, record.state === "Cancelled" ? 410 : 409, {
          error: `deal ${dealId} is ${record.state}`,
          ...statusToJson(this.#status(record)),
        });
      }
      const refuse = (rule: string, message: string) => sendJson(res, 422, { error: message, rule });
      if (record.payer === null) return refuse("no-payment", `deal ${dealId} is free`);
      const channelId = signed.voucher.channelId.toLowerCase();
      const lane = signed.voucher.lane;
      const laneKey = `${channelId}:${lane}`;
      if (record.channelId !== null && (record.channelId !== channelId || record.lane !== lane.toString())) {
        return refuse("lane", `deal ${dealId} is paid on lane ${record.lane} of ${record.channelId}`);
      }
      const owner = this.#laneOwners.get(laneKey);
      if (owner !== undefined && owner !== dealId) return refuse("lane-in-use", `the lane pays for deal ${owner}`);
      this.#laneOwners.set(laneKey, dealId);
      let amount: bigint;
      try {
        amount = await this.options.payee!.accept({ payer: record.payer, lane, voucher: signed });
      } catch (error) {
        if (record.channelId === null) this.#laneOwners.delete(laneKey);
        if (error instanceof VoucherRejectedError || error instanceof RetrievalPaymentError) {
          return refuse(error.rule, error.message);
        }
        throw error;
      }
      const paid = amount > BigInt(record.paid) ? amount : BigInt(record.paid);
      const params = paramsOf(record);
      const sent = this.#liveOf(record).sent;
      let state = record.state;
      if (state === "FundsNeeded" && maySend(params, paid, sent)) state = "Ongoing";
      if (state === "Finalizing" && paid >= amountFor(params, record.size)) state = "Completed";
      this.#transition(record, { state, paid: paid.toString(), channelId, lane: lane.toString() });
      this.#live.get(dealId)?.stream?.wake();
      sendJson(res, 200, statusToJson(this.#status(this.journal.get(dealId)!)));
    });
  }

  #liveOf(record: ProviderDealRecord): Live {
    let live = this.#live.get(record.dealId);
    if (live === undefined) {
      live = { sent: record.sent };
      this.#live.set(record.dealId, live);
    }
    return live;
  }

  #transition(record: ProviderDealRecord, changes: Partial<ProviderDealRecord>): void {
    const before = this.journal.get(record.dealId) ?? record;
    const next = this.journal.update(record.dealId, { ...changes, updatedAt: Date.now() });
    if (next.state !== before.state || next.paid !== before.paid) this.#emit(next);
  }

  #emit(record: ProviderDealRecord): void {
    const status = this.#status(record);
    this.options.logger?.info(
      { dealId: record.dealId, state: record.state, sent: status.sent, paid: record.paid },
      "retrieval provider state",
    );
    this.emit("state", { ...status, at: Date.now() });
  }

  #status(record: ProviderDealRecord): DealStatus {
    const sent = this.#live.get(record.dealId)?.sent ?? record.sent;
    return {
      dealId: record.dealId,
      payloadCid: record.payloadCid,
      state: record.state,
      size: record.size,
      blocks: record.blocks,
      sent,
      paid: BigInt(record.paid),
      paymentRequested: this.requestedAmount(record, sent),
      channelId: record.channelId,
      lane: record.lane === null ? null : BigInt(record.lane),
      message: record.message,
    };
  }

  /** One voucher or transition at a time per deal. */
  #serially<T>(dealId: string, task: () => T | Promise<T>): Promise<T> {
    if (!this.#live.has(dealId)) this.#live.set(dealId, { sent: this.journal.get(dealId)?.sent ?? 0 });
    return this.#queue.run(dealId, task);
  }
}

function sameProposal(record: ProviderDealRecord, proposal: Proposal): boolean {
  return (
    record.payloadCid === proposal.payloadCid &&
    (record.payer ?? "").toLowerCase() === (proposal.payer ?? "").toLowerCase() &&
    record.params.pricePerByte === proposal.pricePerByte.toString() &&
    record.params.unsealPrice === proposal.unsealPrice.toString() &&
    record.params.paymentInterval === proposal.paymentInterval &&
    record.params.paymentIntervalIncrease === proposal.paymentIntervalIncrease
  );
}
