// What the retrieval state machines need of payment channels, and no more: the client pays through a
// RetrievalPayer, the provider is paid through a RetrievalPayee. The adapters below put them on the channel services
// (the payer's PayerChannelManager, the payee's VoucherStore), which persist every voucher before it is handed out
// or acknowledged; the state machines only ever deal in a lane's cumulative amount, so a voucher sent twice (after a
// restart) pays once.

import { getAddress } from "ethers";
import type { PayerChannelManager } from "../channels/manager";
import type { VoucherStore } from "../channels/store";
import type { SignedVoucher } from "../channels/voucher";
import { RetrievalPaymentError } from "./errors";

/** The client's side: a channel and a lane to a payee, cumulative vouchers on the lane, more funds. */
export interface RetrievalPayer {
  /** The token the payer's channels are in (must be the ask's). */
  readonly token: string;
  /** The paying account, named in the proposal. */
  address(): Promise<string>;
  /** The open channel to `payee`, if there is one (the deal then adds funds rather than creating one). */
  activeChannel(payee: string): string | undefined;
  /** Opens the one channel to `payee`, or tops it up, so that it can pay `amount` more; returns its ID. */
  ensureFunds(payee: string, amount: bigint): Promise<string>;
  /** A fresh lane for one deal. */
  allocateLane(channelId: string): Promise<bigint>;
  /**
   * A voucher for the lane's cumulative `amount` (the same voucher again for the same amount). Throws
   * InsufficientChannelFundsError, with the shortfall, when the channel cannot cover it.
   */
  voucher(channelId: string, lane: bigint, amount: bigint): Promise<SignedVoucher>;
  addFunds(channelId: string, amount: bigint): Promise<void>;
}

/** The provider's side: checks and keeps vouchers, answers what a lane has paid. */
export interface RetrievalPayee {
  /** The account vouchers must pay (the ask's payee). */
  readonly address: string;
  /** The token they must pay in. */
  readonly token: string;
  /**
   * Checks a voucher from `payer` on `lane` and keeps it; resolves the lane's cumulative amount after it. Throws
   * VoucherRejectedError (naming the channel rule) for a voucher the contract would refuse, RetrievalPaymentError
   * for one that pays, but not for this deal (another lane, payer or token).
   */
  accept(payment: { payer: string; lane: bigint; voucher: SignedVoucher }): Promise<bigint>;
  /** The lane's cumulative amount held (0 when none): what a restarted provider was paid. */
  paid(channelId: string, lane: bigint): bigint;
}

/** A RetrievalPayer on the payer's PayerChannelManager. */
export class ChannelManagerPayer implements RetrievalPayer {
  constructor(readonly manager: PayerChannelManager) {}

  get token(): string {
    return this.manager.token;
  }

  address(): Promise<string> {
    return this.manager.client.getAddress();
  }

  activeChannel(payee: string): string | undefined {
    return this.manager.activeChannel(payee);
  }

  ensureFunds(payee: string, amount: bigint): Promise<string> {
    return this.manager.ensureFunds(payee, amount);
  }

  allocateLane(channelId: string): Promise<bigint> {
    return this.manager.allocateLane(channelId);
  }

  voucher(channelId: string, lane: bigint, amount: bigint): Promise<SignedVoucher> {
    return this.manager.createVoucher(channelId, lane, amount);
  }

  addFunds(channelId: string, amount: bigint): Promise<void> {
    return this.manager.addFunds(channelId, amount);
  }
}

/** A RetrievalPayee on the payee's VoucherStore. */
export class VoucherStorePayee implements RetrievalPayee {
  private constructor(
    readonly store: VoucherStore,
    readonly address: string,
    readonly token: string,
  ) {}

  /** The payee of the store's client; vouchers must pay in `token` (default the client's, the deployment's). */
  static async open(store: VoucherStore, options: { token?: string } = {}): Promise<VoucherStorePayee> {
    const address = getAddress(await store.client.getAddress());
    return new VoucherStorePayee(store, address, getAddress(options.token ?? store.client.defaultToken()));
  }

  async accept(payment: { payer: string; lane: bigint; voucher: SignedVoucher }): Promise<bigint> {
    const { voucher } = payment.voucher;
    if (voucher.lane !== payment.lane) {
      throw new RetrievalPaymentError("lane", `the voucher is for lane ${voucher.lane}, the deal's is ${payment.lane}`);
    }
    // The store keeps any voucher the contract would honour (it is money either way); the deal counts it only when
    // it is the deal's payer's, in the ask's token.
    const accepted = await this.store.receive(payment.voucher);
    if (getAddress(accepted.payer) !== getAddress(payment.payer)) {
      throw new RetrievalPaymentError("payer", `the channel's payer is ${accepted.payer}, the deal's ${payment.payer}`);
    }
    if (getAddress(accepted.token) !== this.token) {
      throw new RetrievalPaymentError("token", `the channel pays in ${accepted.token}, the ask in ${this.token}`);
    }
    return accepted.amount;
  }

  paid(channelId: string, lane: bigint): bigint {
    return this.store.laneAmount(channelId, lane);
  }
}
