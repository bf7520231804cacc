// The reference's payment-channel update, settle and collect rules, as PaymentChannels applies them and in its
// order: one pure function of a channel's state, used by the payer's manager (before it signs), the payee's voucher
// store (before it trusts a voucher) and the tests (as the model the contract is checked against). Each refusal
// names the contract's custom error, so off-chain and on-chain refusals read the same.

import { keccak256 } from "ethers";
import { ChannelStatus } from "../model/types";
import { MAX_LANE, MAX_MERGES, MAX_SECRET_BYTES } from "./constants";
import type { Voucher } from "./voucher";

/** A lane: the cumulative amount its latest voucher redeemed and that voucher's nonce. */
export type LaneState = { redeemed: bigint; nonce: bigint };

/** A channel as the rules see it: PaymentChannels' `Channel` plus its lanes (absent: no voucher used it). */
export type ChannelState = {
  payer: string;
  payee: string;
  status: ChannelStatus;
  /** 0 until settled; then the time (unix seconds) from which no voucher applies. */
  settlingAt: bigint;
  settleDelay: bigint;
  minSettleHeight: bigint;
  balance: bigint;
  toSend: bigint;
  lanes: ReadonlyMap<bigint, LaneState>;
};

/** What a voucher update needs besides the channel and the voucher. */
export type UpdateContext = {
  /** The channel the update is submitted to (`updateChannelState`'s `channelId`). */
  channelId: string;
  /** Who submits it. */
  caller: string;
  /** The block time it applies at. */
  now: bigint;
  /** Who signed the voucher (recovered, or confirmed by ERC-1271); undefined when the signature is invalid. */
  signer: string | undefined;
  /** The secret revealed (empty for none). */
  secret?: Uint8Array;
  /** Whether the voucher's extra call returns true; consulted only when the voucher has one. */
  extraCallReturnsTrue?: boolean;
};

/** Why PaymentChannels refuses an action: its custom error's name, without the `PaymentChannels_` prefix. */
export type ChannelRule =
  | "ChannelNotFound"
  | "NotParty"
  | "ChannelSettled"
  | "SecretTooLong"
  | "TooManyMerges"
  | "InvalidVoucherSignature"
  | "VoucherChannelMismatch"
  | "TimeLockMinNotReached"
  | "TimeLockMaxPassed"
  | "SecretMismatch"
  | "ExtraCallFailed"
  | "LaneOutOfRange"
  | "VoucherNonceTooLow"
  | "MergeIntoOwnLane"
  | "MergeLaneNotFound"
  | "MergeNonceTooLow"
  | "NegativeToSend"
  | "InsufficientChannelFunds"
  | "ChannelClosed"
  | "AlreadySettling"
  | "NotSettling"
  | "SettlingNotDone";

export type RuleResult<T> = { ok: true; value: T } | { ok: false; rule: ChannelRule; detail: string };

/** What a voucher changes: the channel after it, and the amount it adds to `toSend` (negative with merges). */
export type VoucherEffect = { channel: ChannelState; delta: bigint };

const ZERO_HASH = `0x${"0".repeat(64)}`;
const ZERO_ADDRESS = `0x${"0".repeat(40)}`;
const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const refuse = (rule: ChannelRule, detail: string): { ok: false; rule: ChannelRule; detail: string } => ({
  ok: false,
  rule,
  detail,
});

/**
 * `updateChannelState`: the checks in the contract's order (see IPaymentChannels), then the effects. Returns the
 * channel after the voucher, or the first rule it breaks. Pure: `channel` is not changed.
 */
export function applyVoucher(
  channel: ChannelState | undefined,
  voucher: Voucher,
  context: UpdateContext,
): RuleResult<VoucherEffect> {
  if (channel === undefined || channel.status === ChannelStatus.None) {
    return refuse("ChannelNotFound", `no channel ${context.channelId}`);
  }
  let signer: string;
  if (same(context.caller, channel.payer)) signer = channel.payee;
  else if (same(context.caller, channel.payee)) signer = channel.payer;
  else return refuse("NotParty", `${context.caller} is neither the payer nor the payee`);

  if (channel.status === ChannelStatus.Closed || (channel.settlingAt !== 0n && context.now >= channel.settlingAt)) {
    return refuse("ChannelSettled", `the channel settled at ${channel.settlingAt}`);
  }
  const secret = context.secret ?? new Uint8Array();
  if (secret.length > MAX_SECRET_BYTES) return refuse("SecretTooLong", `the secret has ${secret.length} bytes`);
  if (voucher.merges.length > MAX_MERGES) {
    return refuse("TooManyMerges", `${voucher.merges.length} merges, at most ${MAX_MERGES}`);
  }
  if (context.signer === undefined || !same(context.signer, signer)) {
    return refuse("InvalidVoucherSignature", `not signed by ${signer}`);
  }
  if (voucher.channelId.toLowerCase() !== context.channelId.toLowerCase()) {
    return refuse("VoucherChannelMismatch", `the voucher is for channel ${voucher.channelId}`);
  }
  if (context.now < voucher.timeLockMin) return refuse("TimeLockMinNotReached", `applies from ${voucher.timeLockMin}`);
  if (voucher.timeLockMax !== 0n && context.now > voucher.timeLockMax) {
    return refuse("TimeLockMaxPassed", `applied until ${voucher.timeLockMax}`);
  }
  if (voucher.secretHash !== ZERO_HASH && keccak256(secret) !== voucher.secretHash.toLowerCase()) {
    return refuse("SecretMismatch", "the secret does not hash to the voucher's secret hash");
  }
  if (!same(voucher.extraTarget, ZERO_ADDRESS) && context.extraCallReturnsTrue !== true) {
    return refuse("ExtraCallFailed", `${voucher.extraTarget}'s call did not return true`);
  }
  if (voucher.lane > MAX_LANE) return refuse("LaneOutOfRange", `lane ${voucher.lane} is above ${MAX_LANE}`);
  const lane = channel.lanes.get(voucher.lane);
  if (lane !== undefined && voucher.nonce <= lane.nonce) {
    return refuse(
      "VoucherNonceTooLow",
      `lane ${voucher.lane} is at nonce ${lane.nonce}, the voucher has ${voucher.nonce}`,
    );
  }

  const lanes = new Map(channel.lanes);
  let redeemedFromMerges = 0n;
  for (const merge of voucher.merges) {
    if (merge.lane === voucher.lane) return refuse("MergeIntoOwnLane", `lane ${merge.lane} merges into itself`);
    const other = lanes.get(merge.lane);
    if (other === undefined) return refuse("MergeLaneNotFound", `lane ${merge.lane} does not exist`);
    if (merge.nonce <= other.nonce) {
      return refuse("MergeNonceTooLow", `lane ${merge.lane} is at nonce ${other.nonce}, the merge has ${merge.nonce}`);
    }
    redeemedFromMerges += other.redeemed;
    lanes.set(merge.lane, { redeemed: other.redeemed, nonce: merge.nonce });
  }
  const reduction = redeemedFromMerges + (lane?.redeemed ?? 0n);
  const toSend = channel.toSend + voucher.amount - reduction;
  if (toSend < 0n) return refuse("NegativeToSend", `toSend would be ${toSend}`);
  if (toSend > channel.balance) {
    return refuse("InsufficientChannelFunds", `toSend would be ${toSend}, the balance is ${channel.balance}`);
  }
  lanes.set(voucher.lane, { redeemed: voucher.amount, nonce: voucher.nonce });

  let { settlingAt, minSettleHeight } = channel;
  if (voucher.minSettleHeight !== 0n) {
    if (settlingAt !== 0n && settlingAt < voucher.minSettleHeight) settlingAt = voucher.minSettleHeight;
    if (minSettleHeight < voucher.minSettleHeight) minSettleHeight = voucher.minSettleHeight;
  }
  return {
    ok: true,
    value: { channel: { ...channel, lanes, toSend, settlingAt, minSettleHeight }, delta: toSend - channel.toSend },
  };
}

/** `settle`: either party, once; `settlingAt = now + settleDelay`, or `minSettleHeight` if later. */
export function applySettle(channel: ChannelState | undefined, caller: string, now: bigint): RuleResult<ChannelState> {
  const checked = partyChannel(channel, caller);
  if (!checked.ok) return checked;
  const c = checked.value;
  if (c.status === ChannelStatus.Closed) return refuse("ChannelClosed", "the channel is closed");
  if (c.settlingAt !== 0n) return refuse("AlreadySettling", `settling at ${c.settlingAt}`);
  const byDelay = now + c.settleDelay;
  return { ok: true, value: { ...c, settlingAt: c.minSettleHeight > byDelay ? c.minSettleHeight : byDelay } };
}

/** `collect`: either party, from `settlingAt`; pays `toSend` to the payee and the rest to the payer. */
export function applyCollect(
  channel: ChannelState | undefined,
  caller: string,
  now: bigint,
): RuleResult<{ channel: ChannelState; toPayee: bigint; toPayer: bigint }> {
  const checked = partyChannel(channel, caller);
  if (!checked.ok) return checked;
  const c = checked.value;
  if (c.status === ChannelStatus.Closed) return refuse("ChannelClosed", "the channel is closed");
  if (c.settlingAt === 0n) return refuse("NotSettling", "nobody settled the channel");
  if (now < c.settlingAt) return refuse("SettlingNotDone", `collectable from ${c.settlingAt}`);
  return {
    ok: true,
    value: {
      channel: { ...c, status: ChannelStatus.Closed, balance: 0n },
      toPayee: c.toSend,
      toPayer: c.balance - c.toSend,
    },
  };
}

/** What the channel can still pay: its balance less what its vouchers already owe. */
export function spendable(channel: Pick<ChannelState, "balance" | "toSend">): bigint {
  return channel.balance - channel.toSend;
}

function partyChannel(channel: ChannelState | undefined, caller: string): RuleResult<ChannelState> {
  if (channel === undefined || channel.status === ChannelStatus.None) return refuse("ChannelNotFound", "no channel");
  if (!same(caller, channel.payer) && !same(caller, channel.payee)) {
    return refuse("NotParty", `${caller} is neither the payer nor the payee`);
  }
  return { ok: true, value: channel };
}
