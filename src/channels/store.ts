// The payee's side of payment channels: every incoming voucher checked off chain by the contract's own rules
// (rules.ts, the same code the payer's manager and the tests use) against the channel on chain and the best
// vouchers already held, and the best voucher of each lane kept (persisted before it is acknowledged), ready for
// the settler to redeem.
//
// The payee applies a voucher to the channel as it would stand with every voucher it holds redeemed, submitted by
// itself: what it can really collect. A voucher that would not apply on chain (wrong signer, another channel, an
// old nonce, more than the channel holds, a lane lowered) is refused with the rule it breaks.

import { AbiCoder, getAddress, Interface, ZeroAddress } from "ethers";
import { Journal } from "../agents/journal";
import { channelStateOf, type ChannelView, type PaymentChannelsClient } from "../clients/channels";
import { ChannelStatus } from "../model/types";
import { VoucherRejectedError } from "./errors";
import { applyVoucher, type ChannelState, type LaneState } from "./rules";
import {
  parseSecret,
  signedVoucherFromJson,
  signedVoucherToJson,
  voucherDigest,
  voucherSigner,
  type CloseAuthorization,
  type SignedVoucher,
  type SignedVoucherJson,
} from "./voucher";
import { KeyedQueue } from "../util/keyed-queue";

/** A lane's best voucher. */
type StoredLane = { amount: string; nonce: string; voucher: SignedVoucherJson; secret?: string };

type IncomingChannel = {
  channelId: string;
  payer: string;
  token: string;
  lanes: Record<string, StoredLane>;
  /** What the channel owes the payee with every voucher held redeemed (the rules' toSend). */
  toSend: string;
  /** Set by the settler: every best voucher redeemed, then the channel collected (or closed by anyone). */
  finished?: boolean;
};

/** What an accepted voucher did. */
export type AcceptedVoucher = {
  channelId: string;
  payer: string;
  token: string;
  lane: bigint;
  /** The lane's cumulative amount now. */
  amount: bigint;
  /** What the voucher added over the best one held before (0 for a repeat). */
  delta: bigint;
};

export type VoucherStoreOptions = {
  /** The payee's client (its signer is the payee). */
  channels: PaymentChannelsClient;
  /** Where the store keeps its vouchers. */
  dir: string;
  /** Vouchers are refused once the channel's `settlingAt` is this close (seconds; default 600): no time to redeem. */
  settlingMargin?: bigint;
  /** How long a channel read is reused (ms; default 2000): balances only grow until the channel settles. */
  channelTtlMs?: number;
};

const ERC1271 = new Interface(["function isValidSignature(bytes32 hash, bytes signature) view returns (bytes4)"]);
const ERC1271_MAGIC = "0x1626ba7e";
const TRUE_WORD = AbiCoder.defaultAbiCoder().encode(["bool"], [true]);

export class VoucherStore {
  readonly settlingMargin: bigint;
  readonly #views = new Map<string, { view: ChannelView; readAt: number }>();
  readonly #queue = new KeyedQueue();
  #payee: string | undefined;

  private constructor(
    readonly client: PaymentChannelsClient,
    private readonly journal: Journal<IncomingChannel>,
    private readonly options: VoucherStoreOptions,
  ) {
    this.settlingMargin = options.settlingMargin ?? 600n;
  }

  static async open(options: VoucherStoreOptions): Promise<VoucherStore> {
    const store = new VoucherStore(options.channels, Journal.open<IncomingChannel>(options.dir), options);
    store.#payee = await options.channels.getAddress();
    return store;
  }

  close(): void {
    this.journal.close();
  }

  /**
   * Checks an incoming voucher and keeps it when it is the lane's best; returns what it added. Throws
   * VoucherRejectedError naming the rule it breaks (the contract's check, or NotPayee, AmountDecreased,
   * SecretUnknown, SettlingSoon). A repeat of the lane's best voucher is accepted with delta 0.
   */
  receive(signed: SignedVoucher, options: { secret?: string | Uint8Array } = {}): Promise<AcceptedVoucher> {
    const channelId = signed.voucher.channelId.toLowerCase();
    return this.#queue.run(channelId, () => this.#receive(channelId, signed, options.secret));
  }

  /** The cumulative amount of a lane's best voucher (0 when none is held). */
  laneAmount(channelId: string, lane: bigint): bigint {
    const stored = this.journal.get(channelId.toLowerCase())?.lanes[lane.toString()];
    return stored === undefined ? 0n : BigInt(stored.amount);
  }

  /** The best voucher of each lane of a channel, with its secret when it needs one. */
  bestVouchers(channelId: string): { lane: bigint; signed: SignedVoucher; secret?: string }[] {
    const record = this.journal.get(channelId.toLowerCase());
    if (record === undefined) return [];
    return Object.entries(record.lanes).map(([lane, stored]) => ({
      lane: BigInt(lane),
      signed: signedVoucherFromJson(stored.voucher),
      secret: stored.secret,
    }));
  }

  /** The channels this payee holds vouchers of and has not finished with. */
  openChannels(): { channelId: string; payer: string; token: string; total: bigint }[] {
    return this.journal
      .values()
      .filter((record) => !record.finished)
      .map((record) => ({
        channelId: record.channelId,
        payer: record.payer,
        token: record.token,
        total: BigInt(record.toSend),
      }));
  }

  /**
   * The payee's half of a cooperative close: a CloseAuthorization paying the payee what the vouchers held owe it
   * (the rest to the payer), signed, valid for `validitySeconds` (default 3600). The payer checks and submits it.
   */
  async signClose(
    channelId: string,
    validitySeconds = 3600n,
  ): Promise<{ close: CloseAuthorization; signature: string }> {
    const id = channelId.toLowerCase();
    const record = this.journal.get(id);
    const close: CloseAuthorization = {
      channelId: id,
      toSend: BigInt(record?.toSend ?? 0),
      deadline: (await this.client.latestTimestamp()) + validitySeconds,
    };
    return { close, signature: await this.client.signClose(close) };
  }

  /** The settler's mark: nothing more to do on this channel. */
  markFinished(channelId: string): void {
    const id = channelId.toLowerCase();
    if (this.journal.get(id) !== undefined) this.journal.update(id, { finished: true });
  }

  async #receive(
    channelId: string,
    signed: SignedVoucher,
    secretInput?: string | Uint8Array,
  ): Promise<AcceptedVoucher> {
    const { voucher } = signed;
    const secret = parseSecret(secretInput);
    const payee = this.#payee!;
    const record = this.journal.get(channelId);
    const held = record?.lanes[voucher.lane.toString()];
    let view = await this.#channel(channelId, false);
    if (view.exists && getAddress(view.payee) !== payee) {
      throw new VoucherRejectedError("NotPayee", `channel ${channelId} pays ${view.payee}, not ${payee}`);
    }
    if (held !== undefined && BigInt(held.amount) > voucher.amount) {
      throw new VoucherRejectedError("AmountDecreased", `lane ${voucher.lane} already holds ${held.amount}`);
    }
    if (held !== undefined && BigInt(held.amount) === voucher.amount && BigInt(held.nonce) >= voucher.nonce) {
      if (signedVoucherToJson(signed).signature === held.voucher.signature) {
        return {
          channelId,
          payer: view.payer,
          token: view.token,
          lane: voucher.lane,
          amount: voucher.amount,
          delta: 0n,
        };
      }
    }
    if (voucher.secretHash !== `0x${"0".repeat(64)}` && secret.length === 0) {
      throw new VoucherRejectedError("SecretUnknown", "the voucher needs a secret the payee was not given");
    }
    const now = await this.client.latestTimestamp();
    const wouldTotal = BigInt(record?.toSend ?? 0) - BigInt(held?.amount ?? 0) + voucher.amount;
    // A cached read may predate a deposit: read again before refusing for funds.
    if (wouldTotal > view.balance) view = await this.#channel(channelId, true);
    if (view.settlingAt !== 0n && view.settlingAt - now < this.settlingMargin && view.status === ChannelStatus.Open) {
      throw new VoucherRejectedError("SettlingSoon", `channel ${channelId} settles at ${view.settlingAt}`);
    }
    const check = applyVoucher(view.exists ? stateWithHeld(view, record) : undefined, voucher, {
      channelId,
      caller: payee,
      now,
      signer: await this.#signer(signed, view.payer),
      secret,
      extraCallReturnsTrue: await this.#extraCallReturnsTrue(voucher.extraTarget, voucher.extraData),
    });
    if (!check.ok) throw new VoucherRejectedError(check.rule, check.detail);
    const lanes = {
      ...(record?.lanes ?? {}),
      [voucher.lane.toString()]: {
        amount: voucher.amount.toString(),
        nonce: voucher.nonce.toString(),
        voucher: signedVoucherToJson(signed),
        ...(secret.length > 0 ? { secret: `0x${Buffer.from(secret).toString("hex")}` } : {}),
      },
    };
    // Merged lanes are now at the merge's nonce: keep that, so an older voucher of theirs is refused later.
    for (const merge of voucher.merges) {
      const merged = lanes[merge.lane.toString()];
      if (merged !== undefined) lanes[merge.lane.toString()] = { ...merged, nonce: merge.nonce.toString() };
    }
    this.journal.put(channelId, {
      channelId,
      payer: view.payer,
      token: view.token,
      lanes,
      toSend: check.value.channel.toSend.toString(),
      finished: false,
    });
    return {
      channelId,
      payer: view.payer,
      token: view.token,
      lane: voucher.lane,
      amount: voucher.amount,
      delta: voucher.amount - BigInt(held?.amount ?? 0),
    };
  }

  async #channel(channelId: string, fresh: boolean): Promise<ChannelView> {
    const ttl = this.options.channelTtlMs ?? 2000;
    const cached = this.#views.get(channelId);
    if (!fresh && cached !== undefined && Date.now() - cached.readAt < ttl) return cached.view;
    const view = await this.client.getChannel(channelId);
    this.#views.set(channelId, { view, readAt: Date.now() });
    return view;
  }

  /** The payer when it signed the voucher: by ECDSA, or by ERC-1271 when the payer is a contract. */
  async #signer(signed: SignedVoucher, payer: string): Promise<string | undefined> {
    const domain = await this.client.domain();
    const recovered = voucherSigner(signed, domain);
    if (recovered !== undefined && getAddress(recovered) === getAddress(payer)) return recovered;
    if ((await this.client.provider.getCode(payer)) === "0x") return recovered;
    try {
      const data = ERC1271.encodeFunctionData("isValidSignature", [
        voucherDigest(signed.voucher, domain),
        signed.signature,
      ]);
      const result = await this.client.provider.call({ to: payer, data });
      return result.slice(0, 10) === ERC1271_MAGIC ? payer : recovered;
    } catch {
      return recovered;
    }
  }

  async #extraCallReturnsTrue(target: string, data: string): Promise<boolean> {
    if (getAddress(target) === ZeroAddress) return true;
    try {
      return (await this.client.provider.call({ to: target, data })) === TRUE_WORD;
    } catch {
      return false;
    }
  }
}

/** The channel as it would stand with every voucher held redeemed (the payee's view of what it can collect). */
function stateWithHeld(view: ChannelView, record: IncomingChannel | undefined): ChannelState {
  const lanes = new Map<bigint, LaneState>();
  for (const [lane, stored] of Object.entries(record?.lanes ?? {})) {
    lanes.set(BigInt(lane), { redeemed: BigInt(stored.amount), nonce: BigInt(stored.nonce) });
  }
  const held = BigInt(record?.toSend ?? 0);
  return { ...channelStateOf(view, lanes), toSend: held > view.toSend ? held : view.toSend };
}
