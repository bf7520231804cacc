// Driving PaymentChannels from tests: channels in an ERC20 or the native coin, deposits, vouchers signed with
// src/channels/voucher.ts (the payer's for the payee to submit, or the other way round), settling, collecting and
// cooperative closes signed by both parties. Keeps every receipt, so a test can re-derive the entities from the logs.

import { MaxUint256, ZeroAddress, ZeroHash, type Signer, type TransactionReceipt, type TypedDataDomain } from "ethers";
import {
  paymentChannelsDomain,
  signClose,
  signVoucher,
  voucherDigest,
  type CloseAuthorization,
  type Voucher,
} from "../../../src/channels/voucher";
import { ethers, type Accord } from "./chain";

type Sent = Promise<{ wait(): Promise<TransactionReceipt | null> }>;

/** A contract a test can approve PaymentChannels on: an ERC20 or a mock of one. */
export interface ApprovableToken {
  getAddress(): Promise<string>;
  connect(signer: Signer): { approve(spender: string, amount: bigint): Sent };
}

/** A voucher on `channelId` with no time lock, secret, extra call, minSettleHeight or merge unless given. */
export function makeVoucher(
  channelId: string,
  fields: Partial<Voucher> & Pick<Voucher, "lane" | "nonce" | "amount">,
): Voucher {
  return {
    channelId,
    timeLockMin: 0n,
    timeLockMax: 0n,
    secretHash: ZeroHash,
    extraTarget: ZeroAddress,
    extraData: "0x",
    minSettleHeight: 0n,
    merges: [],
    ...fields,
  };
}

/** Drives one Accord deployment's PaymentChannels, keeping the receipts. */
export class ChannelDriver {
  readonly receipts: TransactionReceipt[] = [];
  private domainCache: TypedDataDomain | undefined;

  constructor(readonly accord: Accord) {}

  get channels() {
    return this.accord.channels;
  }

  async domain(): Promise<TypedDataDomain> {
    if (!this.domainCache) {
      const { chainId } = await ethers.provider.getNetwork();
      this.domainCache = paymentChannelsDomain(chainId, await this.channels.getAddress());
    }
    return this.domainCache;
  }

  async send(tx: Sent): Promise<TransactionReceipt> {
    const receipt = (await (await tx).wait())!;
    this.receipts.push(receipt);
    return receipt;
  }

  /** Lets each signer's deposits of `token` be pulled by the channels. */
  async approve(token: ApprovableToken, signers: Signer[]): Promise<void> {
    const spender = await this.channels.getAddress();
    for (const s of signers) await (await token.connect(s).approve(spender, MaxUint256)).wait();
  }

  /** Opens a channel from `payer` (ZeroAddress: the native coin, sent as value); returns its lower-case ID. */
  async open(
    payer: Signer,
    options: { payee: string; token: string; amount: bigint; settleDelay?: bigint; salt: string },
  ): Promise<string> {
    const salt = ethers.id(options.salt);
    const channelId = (await this.channels.channelIdOf(await payer.getAddress(), salt)).toLowerCase();
    const value = options.token === ZeroAddress ? options.amount : 0n;
    await this.send(
      this.channels
        .connect(payer)
        .open(options.payee, options.token, salt, options.amount, options.settleDelay ?? 0n, { value }),
    );
    return channelId;
  }

  /** Deposits `amount` into a channel of `token` (ZeroAddress: sent as value). */
  async fund(by: Signer, channelId: string, token: string, amount: bigint): Promise<void> {
    const value = token === ZeroAddress ? amount : 0n;
    await this.send(this.channels.connect(by).fund(channelId, amount, { value }));
  }

  /** `signer`'s signature of the voucher, and its EIP-712 digest. */
  async sign(signer: Signer, voucher: Voucher): Promise<{ signature: string; digest: string }> {
    const domain = await this.domain();
    const { signature } = await signVoucher(signer, voucher, domain);
    return { signature, digest: voucherDigest(voucher, domain).toLowerCase() };
  }

  /** `signer` signs the voucher, `submitter` (the other party) redeems it; returns the voucher's digest. */
  async redeem(signer: Signer, submitter: Signer, voucher: Voucher): Promise<string> {
    const { signature, digest } = await this.sign(signer, voucher);
    await this.send(this.channels.connect(submitter).updateChannelState(voucher.channelId, voucher, signature, "0x"));
    return digest;
  }

  async settle(by: Signer, channelId: string): Promise<TransactionReceipt> {
    return this.send(this.channels.connect(by).settle(channelId));
  }

  async collect(by: Signer, channelId: string): Promise<TransactionReceipt> {
    return this.send(this.channels.connect(by).collect(channelId));
  }

  /** Both parties sign the close (`payeeSigner` may be a contract wallet's owner); `submitter` sends it. */
  async closeCooperatively(
    submitter: Signer,
    payer: Signer,
    payeeSigner: Signer,
    close: CloseAuthorization,
  ): Promise<TransactionReceipt> {
    const domain = await this.domain();
    const payerSignature = await signClose(payer, close, domain);
    const payeeSignature = await signClose(payeeSigner, close, domain);
    return this.send(this.channels.connect(submitter).closeCooperatively(close, payerSignature, payeeSignature));
  }
}

/** A deadline no test reaches. */
export const FAR_DEADLINE = 2n ** 40n;
