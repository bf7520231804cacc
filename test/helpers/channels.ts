/**
 * Fixtures and helpers for the PaymentChannels contract tests (test/contracts/PaymentChannels) and its gas bench.
 *
 * Typical use:
 *   const ctx = await loadChannelsFixture(channelFixture);            // an ERC20 and a native channel, payer → payee
 *   const v = makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: 300n });
 *   await redeem(ctx, ctx.channelId, v);                               // the payer signs, the payee submits
 *   await ctx.channels.connect(ctx.payer).settle(ctx.channelId);
 *   await mineAt((await now()) + DEFAULT_SETTLE_DELAY);
 *   await ctx.channels.connect(ctx.payee).collect(ctx.channelId);
 *
 * Amounts are token units (ERC20) or wei (native channels). Like pools.ts it does not use chai.
 */
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MaxUint256,
  ZeroAddress,
  ZeroHash,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Signer,
  type TypedDataDomain,
} from "ethers";

import type {
  AccordToken,
  BlacklistERC20Mock,
  ChannelWalletMock,
  ExtraCallTargetMock,
  PaymentChannels,
} from "../../typechain-types";
import { ChannelStatus } from "../../src/model";
import {
  paymentChannelsDomain,
  signClose,
  signVoucher,
  type CloseAuthorization,
  type Voucher,
} from "../../src/channels/voucher";
import { blockTime, mined } from "./fixtures";

export { ChannelStatus };
export {
  DEFAULT_SETTLE_DELAY,
  MAX_LANE,
  MAX_MERGES,
  MAX_SECRET_BYTES,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
  NATIVE_TOKEN,
} from "../../src/channels/constants";

/*//////////////////////////////////////////////////////////////
                              CONSTANTS
//////////////////////////////////////////////////////////////*/

/** What every party holds of the ERC20 (and has approved to the channels). */
export const FUNDING = 10n ** 24n;
/** The fixture channels' opening deposit. */
export const DEPOSIT = 1_000n;
/** The native fixture channel's deposit, in wei. */
export const NATIVE_DEPOSIT = 10n ** 15n;
/** A time no test reaches. */
export const FAR_FUTURE = 10n ** 12n;
/** `ChannelWalletMock.Mode`. */
export const WalletMode = { Accept: 0, Refuse: 1, BurnGas: 2, Reenter: 3, Heavy: 4 } as const;

export const SALT = ethers.id("channel-salt");
export const NATIVE_SALT = ethers.id("native-channel-salt");

let saltCounter = 0;
/** A fresh salt (unique across the run, so fixtures restored by snapshot never clash). */
export function nextSalt(label = "salt"): string {
  saltCounter += 1;
  return ethers.id(`${label}-${saltCounter}`);
}

/*//////////////////////////////////////////////////////////////
                              FIXTURES
//////////////////////////////////////////////////////////////*/

export interface ChannelsFixture {
  deployer: HardhatEthersSigner;
  payer: HardhatEthersSigner;
  payee: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** Another account: a second payee or a wrong signer. */
  other: HardhatEthersSigner;
  /** Owns the contract wallets. */
  walletOwner: HardhatEthersSigner;
  channels: PaymentChannels;
  channelsAddress: string;
  chainId: bigint;
  domain: TypedDataDomain;
  token: AccordToken;
  tokenAddress: string;
  extra: ExtraCallTargetMock;
  extraAddress: string;
}

/**
 * `loadFixture`, then one empty block a second after the snapshot's last (see pools.ts' `loadPoolsFixture`: it
 * re-bases the clock, so `at(now() + n)` stays ahead after a revert).
 */
export async function loadChannelsFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const ctx = await loadFixture(fixture);
  await time.increaseTo((await time.latest()) + 1);
  return ctx;
}

/**
 * PaymentChannels, an AccordToken and an ExtraCallTargetMock; payer, payee, stranger and other hold FUNDING of the
 * token and have approved the channels. No channel yet. Use with `loadChannelsFixture`.
 */
export async function deployChannelsFixture(): Promise<ChannelsFixture> {
  const [deployer, payer, payee, stranger, other, walletOwner] = await ethers.getSigners();
  const channels = await ethers.deployContract("PaymentChannels");
  const channelsAddress = await channels.getAddress();
  const token = await ethers.deployContract("AccordToken", [deployer.address, 0n]);
  const extra = await ethers.deployContract("ExtraCallTargetMock");
  for (const account of [payer, payee, stranger, other]) {
    await token.connect(deployer).mint(account.address, FUNDING);
    await token.connect(account).approve(channelsAddress, MaxUint256);
  }
  const { chainId } = await ethers.provider.getNetwork();
  return {
    deployer,
    payer,
    payee,
    stranger,
    other,
    walletOwner,
    channels,
    channelsAddress,
    chainId,
    domain: paymentChannelsDomain(chainId, channelsAddress),
    token,
    tokenAddress: await token.getAddress(),
    extra,
    extraAddress: await extra.getAddress(),
  };
}

export interface ChannelFixture extends ChannelsFixture {
  /** The payer's ERC20 channel to the payee: DEPOSIT, the default settle delay, no voucher yet. */
  channelId: string;
  openedAt: bigint;
  /** The payer's native-coin channel to the payee: NATIVE_DEPOSIT, the default settle delay. */
  nativeChannelId: string;
}

export async function channelFixture(): Promise<ChannelFixture> {
  const ctx = await deployChannelsFixture();
  const opened = await openChannel(ctx, { salt: SALT });
  const native = await openChannel(ctx, { salt: NATIVE_SALT, token: ZeroAddress, amount: NATIVE_DEPOSIT });
  return { ...ctx, channelId: opened.channelId, openedAt: opened.at, nativeChannelId: native.channelId };
}

export interface BlacklistFixture extends ChannelsFixture {
  blacklist: BlacklistERC20Mock;
  blacklistAddress: string;
}

/** The base fixture plus a BlacklistERC20Mock everyone holds FUNDING of and approved (nobody blacklisted yet). */
export async function blacklistFixture(): Promise<BlacklistFixture> {
  const ctx = await deployChannelsFixture();
  const blacklist = await ethers.deployContract("BlacklistERC20Mock");
  for (const account of [ctx.payer, ctx.payee, ctx.stranger, ctx.other]) {
    await blacklist.mint(account.address, FUNDING);
    await blacklist.connect(account).approve(ctx.channelsAddress, MaxUint256);
  }
  return { ...ctx, blacklist, blacklistAddress: await blacklist.getAddress() };
}

/** A ChannelWalletMock owned by `walletOwner` in `mode`, holding FUNDING of the token, approved to the channels. */
export async function deployWallet(
  ctx: ChannelsFixture,
  mode: number = WalletMode.Accept,
): Promise<{ wallet: ChannelWalletMock; address: string }> {
  const wallet = await ethers.deployContract("ChannelWalletMock", [ctx.walletOwner.address, mode]);
  const address = await wallet.getAddress();
  await ctx.token.connect(ctx.deployer).mint(address, FUNDING);
  const approve = ctx.token.interface.encodeFunctionData("approve", [ctx.channelsAddress, MaxUint256]);
  await wallet.connect(ctx.walletOwner).execute(ctx.tokenAddress, approve);
  return { wallet, address };
}

/** Has the wallet call the channels with `data` (and `value`), through its owner. */
export function viaWallet(
  ctx: ChannelsFixture,
  wallet: ChannelWalletMock,
  data: string,
  value = 0n,
): Promise<ContractTransactionResponse> {
  return wallet.connect(ctx.walletOwner).execute(ctx.channelsAddress, data, { value });
}

/*//////////////////////////////////////////////////////////////
                              CHANNELS
//////////////////////////////////////////////////////////////*/

export interface OpenOptions {
  payer?: HardhatEthersSigner;
  payee?: string;
  /** An ERC20, or ZeroAddress (the native coin); the fixture's token by default. */
  token?: string;
  salt?: string;
  amount?: bigint;
  settleDelay?: bigint;
  /** The value sent; `amount` for native channels and 0 for ERC20 ones by default. */
  value?: bigint;
}

/** The arguments and value of an `open` with these options (defaults: payer → payee, the token, DEPOSIT). */
export function openArgs(ctx: ChannelsFixture, opts: OpenOptions = {}) {
  const token = opts.token ?? ctx.tokenAddress;
  const amount = opts.amount ?? DEPOSIT;
  const value = opts.value ?? (token === ZeroAddress ? amount : 0n);
  const args = [
    opts.payee ?? ctx.payee.address,
    token,
    opts.salt ?? nextSalt(),
    amount,
    opts.settleDelay ?? 0n,
  ] as const;
  return { args, value, payer: opts.payer ?? ctx.payer };
}

/** Sends an `open`, unmined. */
export function sendOpen(ctx: ChannelsFixture, opts: OpenOptions = {}): Promise<ContractTransactionResponse> {
  const { args, value, payer } = openArgs(ctx, opts);
  return ctx.channels.connect(payer).open(...args, { value });
}

/** Opens a channel and mines it; returns its ID and when it opened. */
export async function openChannel(
  ctx: ChannelsFixture,
  opts: OpenOptions = {},
): Promise<{ channelId: string; tx: ContractTransactionResponse; receipt: ContractTransactionReceipt; at: bigint }> {
  const { args, value, payer } = openArgs(ctx, opts);
  const channelId = await ctx.channels.channelIdOf(payer.address, args[2]);
  const tx = await ctx.channels.connect(payer).open(...args, { value });
  const receipt = await mined(tx);
  return { channelId, tx, receipt, at: await blockTime(receipt) };
}

/*//////////////////////////////////////////////////////////////
                              VOUCHERS
//////////////////////////////////////////////////////////////*/

/** A voucher on lane 0, nonce 1, amount 100, with no time lock, secret, extra call, minSettleHeight or merge. */
export function makeVoucher(channelId: string, overrides: Partial<Voucher> = {}): Voucher {
  return {
    channelId,
    timeLockMin: 0n,
    timeLockMax: 0n,
    secretHash: ZeroHash,
    extraTarget: ZeroAddress,
    extraData: "0x",
    lane: 0n,
    nonce: 1n,
    amount: 100n,
    minSettleHeight: 0n,
    merges: [],
    ...overrides,
  };
}

/** `signer`'s EIP-712 signature of the voucher for the fixture's channels (or another domain). */
export async function signVoucherAs(
  signer: Signer,
  ctx: ChannelsFixture,
  voucher: Voucher,
  domain: TypedDataDomain = ctx.domain,
): Promise<string> {
  return (await signVoucher(signer, voucher, domain)).signature;
}

export interface RedeemOptions {
  /** Signs the voucher (the payer by default). */
  signer?: Signer;
  /** Submits it (the payee by default). */
  submitter?: HardhatEthersSigner;
  /** An explicit signature (overrides `signer`). */
  signature?: string;
  secret?: string | Uint8Array;
  /** The `channelId` argument (the voucher's own by default). */
  channelId?: string;
}

/** Signs and submits a voucher, unmined. */
export async function sendVoucher(
  ctx: ChannelsFixture,
  voucher: Voucher,
  opts: RedeemOptions = {},
): Promise<ContractTransactionResponse> {
  const signature = opts.signature ?? (await signVoucherAs(opts.signer ?? ctx.payer, ctx, voucher));
  return ctx.channels
    .connect(opts.submitter ?? ctx.payee)
    .updateChannelState(opts.channelId ?? voucher.channelId, voucher, signature, opts.secret ?? "0x");
}

/** Signs, submits and mines a voucher. */
export async function redeem(
  ctx: ChannelsFixture,
  voucher: Voucher,
  opts: RedeemOptions = {},
): Promise<ContractTransactionReceipt> {
  return mined(sendVoucher(ctx, voucher, opts));
}

/** Both parties' signatures of a cooperative close (the payer's and payee's signers by default). */
export async function closeSignatures(
  ctx: ChannelsFixture,
  close: CloseAuthorization,
  signers: { payer?: Signer; payee?: Signer; domain?: TypedDataDomain } = {},
): Promise<[string, string]> {
  const domain = signers.domain ?? ctx.domain;
  return [
    await signClose(signers.payer ?? ctx.payer, close, domain),
    await signClose(signers.payee ?? ctx.payee, close, domain),
  ];
}

/*//////////////////////////////////////////////////////////////
                                VIEWS
//////////////////////////////////////////////////////////////*/

/** `getChannel`'s struct as plain values (addresses as the contract returns them). */
export type ChannelView = {
  payer: string;
  settlingAt: bigint;
  settleDelay: bigint;
  payee: string;
  minSettleHeight: bigint;
  status: number;
  token: string;
  balance: bigint;
  toSend: bigint;
};

export async function channelView(channels: PaymentChannels, channelId: string): Promise<ChannelView> {
  const c = await channels.getChannel(channelId);
  return {
    payer: c.payer,
    settlingAt: c.settlingAt,
    settleDelay: c.settleDelay,
    payee: c.payee,
    minSettleHeight: c.minSettleHeight,
    status: Number(c.status),
    token: c.token,
    balance: c.balance,
    toSend: c.toSend,
  };
}

export type LaneView = { redeemed: bigint; nonce: bigint; exists: boolean };

export async function laneView(channels: PaymentChannels, channelId: string, lane: bigint): Promise<LaneView> {
  const l = await channels.getLane(channelId, lane);
  return { redeemed: l.redeemed, nonce: l.nonce, exists: l.exists };
}

/*//////////////////////////////////////////////////////////////
                                TIME
//////////////////////////////////////////////////////////////*/

// The chain-time helpers every family's tests use live in fixtures.ts.
export { at, blockTime, mineAt, mined, now } from "./fixtures";
