// PaymentChannels for both parties: opening and funding (any ERC20 or the native coin), the reads (channels, lanes,
// deferred payouts), voucher redemption, settle, collect, cooperative close and withdrawal, and the EIP-712 domain
// vouchers are signed in. The payer's channel manager and the payee's voucher store (src/channels) build on it.

import {
  AbiCoder,
  getAddress,
  hexlify,
  keccak256,
  randomBytes,
  type Signer,
  type TransactionReceipt,
  type TypedDataDomain,
} from "ethers";
import { PaymentChannels__factory, type PaymentChannels } from "../../typechain-types";
import type { AccordDeployment } from "../deployments";
import { NATIVE_TOKEN } from "../channels/constants";
import type { ChannelState, LaneState } from "../channels/rules";
import {
  closeDigest,
  paymentChannelsDomain,
  parseSecret,
  signClose,
  signVoucher,
  voucherDigest,
  type CloseAuthorization,
  type SignedVoucher,
  type Voucher,
} from "../channels/voucher";
import { channelStatusNames } from "../model/enums";
import { AccordValidationError } from "../model/errors";
import type { ChannelStatus, ChannelStatusName } from "../model/types";
import { addressInput, bytes32Input, uintInput } from "../pools/inputs";
import {
  AccordClient,
  AccordClientError,
  loadClientDeployment,
  type AccordClientOptions,
  type AllowanceMode,
  type FromDeploymentOptions,
} from "./base";
import { decodeAccordLogs, type AccordLog, type AccordTxResult } from "./events";

export type PaymentChannelsClientOptions = AccordClientOptions & {
  /** PaymentChannels address. */
  channels?: string;
};

/** A channel as PaymentChannels keeps it. */
export type ChannelView = {
  channelId: string;
  /** False for an ID never opened (then every other field is zero). */
  exists: boolean;
  payer: string;
  payee: string;
  /** The ERC20, or NATIVE_TOKEN (the zero address) for the native coin. */
  token: string;
  status: ChannelStatus;
  statusName: ChannelStatusName;
  /** 0 until settled; then the time from which no voucher applies and collect pays out. */
  settlingAt: bigint;
  settleDelay: bigint;
  minSettleHeight: bigint;
  balance: bigint;
  toSend: bigint;
  /** What the channel can still pay: balance − toSend. */
  spendable: bigint;
};

/** What opening a channel takes; amounts as bigint, safe-integer numbers or decimal strings. */
export type OpenChannelInput = {
  payee: string;
  /** First deposit (token units, or wei for the native coin). */
  amount: bigint | number | string;
  /** An ERC20 or NATIVE_TOKEN; default the deployment's token. */
  token?: string;
  /** Seconds from settle to payout; 0 or absent: the contract's default (12 hours). */
  settleDelay?: bigint | number | string;
  /** Any 32 bytes not used by this payer before; random when absent. */
  salt?: string;
};

const SUBJECT = "payment channel";
const amountOf = (value: unknown, field = "amount") => {
  const amount = uintInput(value, field, 128, SUBJECT, "token units");
  if (amount === 0n) throw new AccordValidationError(field, "must be above 0", { subject: SUBJECT });
  return amount;
};

type ChannelsClientConstructor<T> = new (signer: Signer, options: PaymentChannelsClientOptions) => T;

/** A channel state for src/channels/rules.ts from a view and the lanes known. */
export function channelStateOf(view: ChannelView, lanes: ReadonlyMap<bigint, LaneState> = new Map()): ChannelState {
  return {
    payer: view.payer,
    payee: view.payee,
    status: view.status,
    settlingAt: view.settlingAt,
    settleDelay: view.settleDelay,
    minSettleHeight: view.minSettleHeight,
    balance: view.balance,
    toSend: view.toSend,
    lanes,
  };
}

/**
 * PaymentChannels as either party uses it. Transactions return AccordTxResult with the channels' events decoded;
 * reverts are AccordContractError naming the custom error (PaymentChannels_…); bad arguments are
 * AccordValidationError naming the field, thrown before anything is sent.
 */
export class PaymentChannelsClient extends AccordClient {
  declare readonly options: Readonly<PaymentChannelsClientOptions>;
  #channels: PaymentChannels | undefined;
  #domain: Promise<TypedDataDomain> | undefined;

  constructor(signer: Signer, options: PaymentChannelsClientOptions = {}) {
    super(signer, options);
    if (options.channels) this.#channels = PaymentChannels__factory.connect(options.channels, signer);
  }

  /** A client on the PaymentChannels of a deployment, checked against the signer's chain; its token the default. */
  static override async fromDeployment<T extends AccordClient>(
    this: ChannelsClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: FromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const { AccordToken, DealMarket, PaymentChannels: channels, ServiceRegistry } = loaded.contracts;
    if (!channels) throw new AccordClientError("NOT_CONFIGURED", "the deployment has no PaymentChannels");
    return new this(signer, {
      fromBlock: channels.blockNumber,
      ...clientOptions,
      channels: channels.address,
      market: DealMarket.address,
      registry: ServiceRegistry.address,
      token: AccordToken.address,
    });
  }

  get channels(): PaymentChannels {
    if (!this.#channels) {
      throw new AccordClientError("NOT_CONFIGURED", "no PaymentChannels address was given to this client");
    }
    return this.#channels;
  }

  /** Decodes the Accord events (the channels' included) among a receipt's logs. */
  override decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, {
      channels: this.options.channels,
      market: this.options.market,
      registry: this.options.registry,
      token: this.options.token,
    });
  }

  /** The EIP-712 domain vouchers and closes are signed in. */
  domain(): Promise<TypedDataDomain> {
    this.#domain ??= (async () => paymentChannelsDomain(await this.getChainId(), await this.channels.getAddress()))();
    return this.#domain;
  }

  /** The ID of the channel `payer` opens with `salt` (the contract's `channelIdOf`). */
  static channelIdOf(payer: string, salt: string): string {
    return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [payer, salt]));
  }

  /** The default token of new channels: the deployment's token (the market's). */
  defaultToken(): string {
    if (!this.options.token) throw new AccordClientError("NOT_CONFIGURED", "no token was given to this client");
    return getAddress(this.options.token);
  }

  /*//////////////////////////////////////////////////////////////
                                  READS
  //////////////////////////////////////////////////////////////*/

  async getChannel(channelId: string): Promise<ChannelView> {
    const id = bytes32Input(channelId, "channelId", SUBJECT);
    const raw = await this.read("getChannel", () => this.channels.getChannel(id));
    const status = Number(raw.status) as ChannelStatus;
    return {
      channelId: id,
      exists: status !== 0,
      payer: getAddress(raw.payer),
      payee: getAddress(raw.payee),
      token: getAddress(raw.token),
      status,
      statusName: channelStatusNames[status],
      settlingAt: raw.settlingAt,
      settleDelay: raw.settleDelay,
      minSettleHeight: raw.minSettleHeight,
      balance: raw.balance,
      toSend: raw.toSend,
      spendable: raw.balance - raw.toSend,
    };
  }

  /** A lane as stored; undefined when no voucher used it. */
  async getLane(channelId: string, lane: bigint): Promise<LaneState | undefined> {
    const id = bytes32Input(channelId, "channelId", SUBJECT);
    const raw = await this.read("getLane", () => this.channels.getLane(id, lane));
    return raw.exists ? { redeemed: raw.redeemed, nonce: raw.nonce } : undefined;
  }

  /** What `account` (default the signer) may withdraw of `token` (NATIVE_TOKEN: the native coin). */
  async deferredPayouts(token: string, account?: string): Promise<bigint> {
    const who = account === undefined ? await this.getAddress() : addressInput(account, "account", SUBJECT);
    const tokenAddress = addressInput(token, "token", SUBJECT);
    return this.read("deferredPayouts", () => this.channels.deferredPayouts(tokenAddress, who));
  }

  /** The voucher's EIP-712 digest, computed here (the contract's `voucherDigest`). */
  async voucherDigest(voucher: Voucher): Promise<string> {
    return voucherDigest(voucher, await this.domain());
  }

  /** The close's EIP-712 digest, computed here. */
  async closeDigest(close: CloseAuthorization): Promise<string> {
    return closeDigest(close, await this.domain());
  }

  /*//////////////////////////////////////////////////////////////
                                SIGNATURES
  //////////////////////////////////////////////////////////////*/

  /** Signs a voucher as the party that pays by it. */
  async signVoucher(voucher: Voucher): Promise<SignedVoucher> {
    return signVoucher(this.signer, voucher, await this.domain());
  }

  /** Signs a cooperative close (each party signs the same close). */
  async signClose(close: CloseAuthorization): Promise<string> {
    return signClose(this.signer, close, await this.domain());
  }

  /*//////////////////////////////////////////////////////////////
                               TRANSACTIONS
  //////////////////////////////////////////////////////////////*/

  /**
   * Opens a channel from the signer to `payee` with a first deposit, approving the ERC20 first when the allowance is
   * short (`allowance` mode as the client's). Returns the new channel's ID with the transaction.
   */
  async open(
    input: OpenChannelInput,
    options: { allowance?: AllowanceMode } = {},
  ): Promise<{ channelId: string; result: AccordTxResult }> {
    const payee = addressInput(input.payee, "payee", SUBJECT);
    const amount = amountOf(input.amount);
    const token = input.token === undefined ? this.defaultToken() : addressInput(input.token, "token", SUBJECT);
    const settleDelay = uintInput(input.settleDelay, "settleDelay", 32, SUBJECT, "seconds");
    const salt = input.salt === undefined ? hexlify(randomBytes(32)) : bytes32Input(input.salt, "salt", SUBJECT);
    await this.#ensureDeposit(token, amount, options.allowance);
    const channelId = PaymentChannelsClient.channelIdOf(await this.getAddress(), salt);
    const value = token === NATIVE_TOKEN ? amount : 0n;
    const result = await this.send("open", (overrides) =>
      this.channels.open(payee, token, salt, amount, settleDelay, { ...overrides, value }),
    );
    return { channelId, result };
  }

  /** Adds `amount` to a channel (anyone may), also while it settles. */
  async fund(channelId: string, amount: bigint | number | string, options: { allowance?: AllowanceMode } = {}) {
    const id = bytes32Input(channelId, "channelId", SUBJECT);
    const value = amountOf(amount);
    const channel = await this.getChannel(id);
    if (!channel.exists) throw new AccordClientError("NOT_FOUND", `no channel ${id}`);
    await this.#ensureDeposit(channel.token, value, options.allowance);
    const native = channel.token === NATIVE_TOKEN ? value : 0n;
    return this.send("fund", (overrides) => this.channels.fund(id, value, { ...overrides, value: native }));
  }

  /** Redeems a voucher the other party signed (the payee's usual move; the payer may submit the payee's). */
  async updateChannelState(signed: SignedVoucher, secret?: string | Uint8Array): Promise<AccordTxResult> {
    const bytes = parseSecret(secret);
    const { voucher } = signed;
    return this.send("updateChannelState", (overrides) =>
      this.channels.updateChannelState(voucher.channelId, voucher, signed.signature, bytes, overrides),
    );
  }

  /** Starts settling: from `settlingAt` no voucher applies and collect pays out. */
  settle(channelId: string): Promise<AccordTxResult> {
    const id = bytes32Input(channelId, "channelId", SUBJECT);
    return this.send("settle", (overrides) => this.channels.settle(id, overrides));
  }

  /** Pays out a settled channel (`toSend` to the payee, the rest to the payer). */
  collect(channelId: string): Promise<AccordTxResult> {
    const id = bytes32Input(channelId, "channelId", SUBJECT);
    return this.send("collect", (overrides) => this.channels.collect(id, overrides));
  }

  /** Closes at once with both parties' signatures of `close` (anyone may submit). */
  closeCooperatively(
    close: CloseAuthorization,
    payerSignature: string,
    payeeSignature: string,
  ): Promise<AccordTxResult> {
    return this.send("closeCooperatively", (overrides) =>
      this.channels.closeCooperatively(close, payerSignature, payeeSignature, overrides),
    );
  }

  /** Withdraws the signer's deferred payouts of `token` to `to` (default the signer). */
  async withdraw(token: string, to?: string): Promise<AccordTxResult> {
    const tokenAddress = addressInput(token, "token", SUBJECT);
    const recipient = to === undefined ? await this.getAddress() : addressInput(to, "to", SUBJECT);
    return this.send("withdraw", (overrides) => this.channels.withdraw(tokenAddress, recipient, overrides));
  }

  /** Approves PaymentChannels to pull `amount` of an ERC20 when the allowance is short (nothing for the coin). */
  async #ensureDeposit(token: string, amount: bigint, mode: AllowanceMode = this.allowanceMode): Promise<void> {
    if (token === NATIVE_TOKEN) return;
    await this.approveShortfall(token, await this.channels.getAddress(), amount, mode, {
      contract: "PaymentChannels",
      subject: SUBJECT,
    });
  }
}

export { NATIVE_TOKEN };
