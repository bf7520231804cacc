// The payer's side of payment channels: one active channel per payee (opened, then topped up as needed), a lane
// per retrieval, cumulative vouchers checked by the contract's own rules before they are signed, all persisted.
//
// Every decision is written before it is acted on (a Journal: one atomic JSON record per channel), so a payer killed
// at any point restarts knowing every channel it opened (even one whose open was in flight: its ID follows from the
// salt written first), every lane it allocated and the latest voucher of each: it never signs two different
// vouchers for one lane and nonce, and never forgets a commitment when it checks what a channel can still pay.

import { hexlify, randomBytes, ZeroAddress } from "ethers";
import { Journal } from "../agents/journal";
import { channelStateOf, PaymentChannelsClient, type ChannelView } from "../clients/channels";
import { ChannelStatus } from "../model/types";
import { AccordValidationError } from "../model/errors";
import { addressInput, uintInput } from "../pools/inputs";
import { InsufficientChannelFundsError, ChannelUnavailableError } from "./errors";
import { applyVoucher, type ChannelState, type LaneState } from "./rules";
import {
  type CloseAuthorization,
  signedVoucherFromJson,
  signedVoucherToJson,
  type SignedVoucher,
  type SignedVoucherJson,
  type Voucher,
} from "./voucher";
import { KeyedQueue } from "../util/keyed-queue";

/** A lane as the payer last signed it. */
type LaneRecord = { amount: string; nonce: string; voucher: SignedVoucherJson };

type ChannelRecord = {
  channelId: string;
  payee: string;
  token: string;
  salt: string;
  /** "opening": the salt is chosen and the open may be in flight; "active": open on chain; "retired": settling or closed. */
  state: "opening" | "active" | "retired";
  /** The next lane to allocate. */
  nextLane: string;
  lanes: Record<string, LaneRecord>;
};

export type PayerChannelManagerOptions = {
  /** The payer's client (its signer pays and signs). */
  channels: PaymentChannelsClient;
  /** Where the manager keeps its records. */
  dir: string;
  /** The token of new channels; default the client's (the deployment's token). NATIVE_TOKEN for the native coin. */
  token?: string;
  /** Settle delay of new channels in seconds; default the contract's (12 hours). */
  settleDelay?: bigint;
};

const SUBJECT = "payment channel";

export class PayerChannelManager {
  readonly token: string;
  /** One operation at a time: two retrievals to one payee must not both open a channel. */
  // One queue for the whole manager: funding and lane allocation touch the shared balance.
  readonly #queue = new KeyedQueue();

  private constructor(
    readonly client: PaymentChannelsClient,
    private readonly journal: Journal<ChannelRecord>,
    private readonly options: PayerChannelManagerOptions,
  ) {
    this.token = options.token === undefined ? client.defaultToken() : addressInput(options.token, "token", SUBJECT);
  }

  /** Opens the manager's records in `dir` and reconciles channels whose open was in flight with the chain. */
  static async open(options: PayerChannelManagerOptions): Promise<PayerChannelManager> {
    const manager = new PayerChannelManager(options.channels, Journal.open<ChannelRecord>(options.dir), options);
    for (const record of manager.journal.values()) {
      if (record.state === "opening") await manager.#reconcileOpening(record);
    }
    return manager;
  }

  close(): void {
    this.journal.close();
  }

  /** The active channel to `payee`, if there is one. */
  activeChannel(payee: string): string | undefined {
    const who = addressInput(payee, "payee", SUBJECT);
    return this.journal.values().find((r) => r.state === "active" && r.payee === who && r.token === this.token)
      ?.channelId;
  }

  /**
   * Makes sure the active channel to `payee` can pay `amount` more than the vouchers already signed on it: opens one
   * with `amount` when there is none (or the last one is settling), else funds the difference. Returns its ID.
   */
  ensureFunds(payee: string, amount: bigint): Promise<string> {
    const who = addressInput(payee, "payee", SUBJECT);
    const needed = uintInput(amount, "amount", 128, SUBJECT, "token units");
    return this.#queue.run("", async () => {
      let channelId = this.activeChannel(who);
      if (channelId !== undefined && !(await this.#stillOpen(channelId))) channelId = undefined;
      if (channelId === undefined) return this.#openChannel(who, needed === 0n ? 1n : needed);
      const available = await this.spendable(channelId);
      if (available < needed) await this.client.fund(channelId, needed - available);
      return channelId;
    });
  }

  /** Adds `amount` to a channel of this payer. */
  async addFunds(channelId: string, amount: bigint): Promise<void> {
    this.#record(channelId);
    await this.#queue.run("", () => this.client.fund(channelId, amount));
  }

  /** Allocates a fresh lane on the channel (one per retrieval), persisted before it is returned. */
  allocateLane(channelId: string): Promise<bigint> {
    return this.#queue.run("", () => {
      const record = this.#record(channelId);
      const lane = BigInt(record.nextLane);
      this.journal.update(record.channelId, { nextLane: (lane + 1n).toString() });
      return Promise.resolve(lane);
    });
  }

  /** What the channel can still pay beyond every voucher signed on it: its balance less their lanes' amounts. */
  async spendable(channelId: string): Promise<bigint> {
    const record = this.#record(channelId);
    const view = await this.client.getChannel(record.channelId);
    return view.balance - committed(record);
  }

  /** The latest voucher signed on a lane, if any. */
  latestVoucher(channelId: string, lane: bigint): SignedVoucher | undefined {
    const entry = this.#record(channelId).lanes[lane.toString()];
    return entry === undefined ? undefined : signedVoucherFromJson(entry.voucher);
  }

  /**
   * A voucher for the lane's cumulative `amount` (the lane's last voucher again when the amount has not changed),
   * checked by the contract's rules against the channel as the payee would redeem every voucher signed so far.
   * Throws InsufficientChannelFundsError (with the shortfall) when the channel cannot cover it, and
   * ChannelUnavailableError when the channel no longer takes vouchers.
   */
  createVoucher(channelId: string, lane: bigint, amount: bigint): Promise<SignedVoucher> {
    const cumulative = uintInput(amount, "amount", 128, SUBJECT, "token units");
    return this.#queue.run("", async () => {
      const record = this.#record(channelId);
      if (lane >= BigInt(record.nextLane)) {
        throw new AccordValidationError("lane", `lane ${lane} was not allocated on ${channelId}`, { subject: SUBJECT });
      }
      const last = record.lanes[lane.toString()];
      if (last !== undefined && BigInt(last.amount) === cumulative) return signedVoucherFromJson(last.voucher);
      if (last !== undefined && BigInt(last.amount) > cumulative) {
        throw new AccordValidationError("amount", `lane ${lane} already pays ${last.amount}: vouchers are cumulative`, {
          subject: SUBJECT,
        });
      }
      const [view, now] = await Promise.all([this.client.getChannel(record.channelId), this.client.latestTimestamp()]);
      const voucher: Voucher = {
        channelId: record.channelId,
        timeLockMin: 0n,
        timeLockMax: 0n,
        secretHash: `0x${"0".repeat(64)}`,
        extraTarget: ZeroAddress,
        extraData: "0x",
        lane,
        nonce: last === undefined ? 1n : BigInt(last.nonce) + 1n,
        amount: cumulative,
        minSettleHeight: 0n,
        merges: [],
      };
      // As the payee would apply it: every voucher signed so far redeemed, submitted by the payee, signed by us.
      const check = applyVoucher(stateAsRedeemed(view, record), voucher, {
        channelId: record.channelId,
        caller: view.payee,
        now,
        signer: view.payer,
      });
      if (!check.ok) {
        if (check.rule === "InsufficientChannelFunds") {
          throw new InsufficientChannelFundsError(
            record.channelId,
            committed(record) - BigInt(last?.amount ?? 0) + cumulative - view.balance,
          );
        }
        if (check.rule === "ChannelSettled") this.journal.update(record.channelId, { state: "retired" });
        throw new ChannelUnavailableError(record.channelId, `${check.rule}: ${check.detail}`);
      }
      const signed = await this.client.signVoucher(voucher);
      this.journal.update(record.channelId, {
        lanes: {
          ...record.lanes,
          [lane.toString()]: {
            amount: cumulative.toString(),
            nonce: voucher.nonce.toString(),
            voucher: signedVoucherToJson(signed),
          },
        },
      });
      return signed;
    });
  }

  /**
   * Closes a channel at once with the payee's signed CloseAuthorization (VoucherStore.signClose): refused unless it
   * asks at most what the vouchers signed on the channel owe (AccordValidationError on `close.toSend`). The payer
   * signs the same close and submits both; the rest of the balance comes back now instead of after the settle delay.
   */
  closeCooperatively(close: CloseAuthorization, payeeSignature: string): Promise<void> {
    return this.#queue.run("", async () => {
      const record = this.#record(close.channelId);
      if (close.toSend > committed(record)) {
        throw new AccordValidationError(
          "close.toSend",
          `asks ${close.toSend}, the vouchers signed on ${record.channelId} owe ${committed(record)}`,
          { subject: SUBJECT },
        );
      }
      const payerSignature = await this.client.signClose(close);
      await this.client.closeCooperatively(close, payerSignature, payeeSignature);
      this.journal.update(record.channelId, { state: "retired" });
    });
  }

  async #openChannel(payee: string, amount: bigint): Promise<string> {
    const salt = hexlify(randomBytes(32));
    const channelId = PaymentChannelsClient.channelIdOf(await this.client.getAddress(), salt);
    // Written before the open is sent: a restart finds the channel by its ID whether or not the open landed.
    this.journal.put(channelId, {
      channelId,
      payee,
      token: this.token,
      salt,
      state: "opening",
      nextLane: "0",
      lanes: {},
    });
    await this.client.open({ payee, amount, token: this.token, salt, settleDelay: this.options.settleDelay });
    this.journal.update(channelId, { state: "active" });
    return channelId;
  }

  async #reconcileOpening(record: ChannelRecord): Promise<void> {
    const view = await this.client.getChannel(record.channelId);
    if (view.exists) this.journal.update(record.channelId, { state: "active" });
    else this.journal.delete(record.channelId);
  }

  /** False (and the channel retired) once it settles or closes: a new one is opened instead. */
  async #stillOpen(channelId: string): Promise<boolean> {
    const view = await this.client.getChannel(channelId);
    if (view.status === ChannelStatus.Open && view.settlingAt === 0n) return true;
    this.journal.update(channelId, { state: "retired" });
    return false;
  }

  #record(channelId: string): ChannelRecord {
    const record = this.journal.get(channelId.toLowerCase());
    if (record === undefined) throw new ChannelUnavailableError(channelId, "not a channel of this manager");
    return record;
  }
}

/** What the vouchers signed on a channel add up to: the sum of its lanes' amounts (the manager never merges). */
function committed(record: ChannelRecord): bigint {
  return Object.values(record.lanes).reduce((sum, lane) => sum + BigInt(lane.amount), 0n);
}

/** The channel as it would stand with every voucher signed so far redeemed. */
function stateAsRedeemed(view: ChannelView, record: ChannelRecord): ChannelState {
  const lanes = new Map<bigint, LaneState>();
  for (const [lane, entry] of Object.entries(record.lanes)) {
    lanes.set(BigInt(lane), { redeemed: BigInt(entry.amount), nonce: BigInt(entry.nonce) });
  }
  return { ...channelStateOf(view, lanes), toSend: committed(record) };
}
