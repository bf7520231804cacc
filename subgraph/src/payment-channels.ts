// PaymentChannels → PaymentChannel, PaymentLane, RedeemedVoucher, ChannelFunding, ChannelSettlement,
// DeferredChannelPayout.
//
// Event order within a transaction (see contracts/PaymentChannels.sol and contracts/abstracts/ChannelStore.sol; every
// action logs before it moves funds, and a payout whose transfer fails logs PayoutDeferred):
//   open:                ChannelOpened
//   fund:                ChannelFunded
//   updateChannelState:  LaneMerged… (one per merge, in the voucher's order), VoucherRedeemed
//   settle:              SettleStarted
//   collect:             ChannelCollected, [PayoutDeferred (payee)], [PayoutDeferred (payer)]
//   closeCooperatively:  ChannelClosed, [PayoutDeferred (payee)], [PayoutDeferred (payer)]
//   withdraw:            Withdrawn
//
// The events carry what the contract stored (a deposit's balance after it, a voucher's toSend, settlingAt and
// minSettleHeight after it), so nothing here repeats the contract's arithmetic but spendable = balance − toSend.
// Nothing here reads the chain: the entities are what the events say.

import { Address, BigInt, Bytes, ethereum, log } from "@graphprotocol/graph-ts";

import {
  ChannelClosed as ChannelClosedEvent,
  ChannelCollected as ChannelCollectedEvent,
  ChannelFunded as ChannelFundedEvent,
  ChannelOpened as ChannelOpenedEvent,
  LaneMerged as LaneMergedEvent,
  PayoutDeferred as PayoutDeferredEvent,
  SettleStarted as SettleStartedEvent,
  VoucherRedeemed as VoucherRedeemedEvent,
  Withdrawn as WithdrawnEvent,
} from "../generated/PaymentChannels/PaymentChannels";
import {
  ChannelFunding,
  ChannelSettlement,
  DeferredChannelPayout,
  PaymentChannel,
  PaymentLane,
  RedeemedVoucher,
} from "../generated/schema";
import { CHANNEL_STATUSES, CHANNEL_STATUS_CLOSED, CHANNEL_STATUS_OPEN, eventId } from "./shared";

const SETTLEMENT_SETTLE_STARTED = "SettleStarted";
const SETTLEMENT_COLLECTED = "Collected";
const SETTLEMENT_CLOSED_COOPERATIVELY = "ClosedCooperatively";

function warnUnknown(what: string, id: string, event: ethereum.Event): void {
  log.warning("PaymentChannels event for unknown {} {} (tx {}, log {})", [
    what,
    id,
    event.transaction.hash.toHexString(),
    event.logIndex.toString(),
  ]);
}

function loadChannel(id: Bytes, event: ethereum.Event): PaymentChannel | null {
  const channel = PaymentChannel.load(id);
  if (channel == null) warnUnknown("channel", id.toHexString(), event);
  return channel;
}

function touchChannel(channel: PaymentChannel, event: ethereum.Event): void {
  channel.updatedAt = event.block.timestamp;
  channel.updatedAtBlock = event.block.number;
  channel.updatedTx = event.transaction.hash;
}

function touchLane(lane: PaymentLane, event: ethereum.Event): void {
  lane.updatedAt = event.block.timestamp;
  lane.updatedAtBlock = event.block.number;
  lane.updatedTx = event.transaction.hash;
}

/** A lane's ID: the channel's ID in 0x hex, "-", the lane number in decimal. */
function laneId(channelId: Bytes, lane: BigInt): string {
  return channelId.toHexString() + "-" + lane.toString();
}

/** A settlingAt as stored: null for the contract's 0 (not settling). */
function settlingAtOrNull(settlingAt: BigInt): BigInt | null {
  if (settlingAt.isZero()) return null;
  return settlingAt;
}

/** The ID of a token's deferred payouts to an account: abi.encodePacked(token, account). */
function deferredId(token: Address, account: Address): Bytes {
  return changetype<Bytes>(token).concat(account);
}

function saveFunding(
  event: ethereum.Event,
  channelId: Bytes,
  funder: Address,
  amount: BigInt,
  balance: BigInt,
  openedChannel: boolean,
): void {
  const funding = new ChannelFunding(eventId(event));
  funding.channel = channelId;
  funding.funder = funder;
  funding.amount = amount;
  funding.balance = balance;
  funding.openedChannel = openedChannel;
  funding.blockNumber = event.block.number;
  funding.timestamp = event.block.timestamp;
  funding.transactionHash = event.transaction.hash;
  funding.save();
}

function saveSettlement(
  event: ethereum.Event,
  channelId: Bytes,
  kind: string,
  by: Bytes | null,
  settlingAt: BigInt | null,
  toPayee: BigInt | null,
  toPayer: BigInt | null,
): void {
  const settlement = new ChannelSettlement(eventId(event));
  settlement.channel = channelId;
  settlement.kind = kind;
  settlement.by = by;
  settlement.settlingAt = settlingAt;
  settlement.toPayee = toPayee;
  settlement.toPayer = toPayer;
  settlement.blockNumber = event.block.number;
  settlement.timestamp = event.block.timestamp;
  settlement.transactionHash = event.transaction.hash;
  settlement.save();
}

/*//////////////////////////////////////////////////////////////
                               FUNDING
//////////////////////////////////////////////////////////////*/

export function handleChannelOpened(event: ChannelOpenedEvent): void {
  const id = event.params.channelId;
  if (PaymentChannel.load(id) != null) return; // IDs are never reused: the contract refuses to open one twice
  const amount = event.params.amount;
  const channel = new PaymentChannel(id);
  channel.payer = event.params.payer;
  channel.payee = event.params.payee;
  channel.token = event.params.token;
  channel.balance = amount;
  channel.toSend = BigInt.zero();
  channel.spendable = amount;
  channel.settleDelay = event.params.settleDelay;
  channel.settlingAt = null;
  channel.minSettleHeight = BigInt.zero();
  channel.status = CHANNEL_STATUSES[CHANNEL_STATUS_OPEN];
  channel.closeKind = null;
  channel.toPayee = null;
  channel.toPayer = null;
  channel.fundingCount = 1;
  channel.totalDeposited = amount;
  channel.laneCount = 0;
  channel.voucherCount = 0;
  channel.openedAt = event.block.timestamp;
  channel.openedAtBlock = event.block.number;
  channel.openedTx = event.transaction.hash;
  channel.closedAt = null;
  channel.closedAtBlock = null;
  channel.closedTx = null;
  touchChannel(channel, event);
  channel.save();

  saveFunding(event, id, event.params.payer, amount, amount, true);
}

export function handleChannelFunded(event: ChannelFundedEvent): void {
  const channel = loadChannel(event.params.channelId, event);
  if (channel == null) return;
  const amount = event.params.amount;
  const balance = event.params.balance;
  channel.balance = balance;
  channel.spendable = balance.minus(channel.toSend);
  channel.fundingCount = channel.fundingCount + 1;
  channel.totalDeposited = channel.totalDeposited.plus(amount);
  touchChannel(channel, event);
  channel.save();

  saveFunding(event, channel.id, event.params.funder, amount, balance, false);
}

/*//////////////////////////////////////////////////////////////
                               VOUCHERS
//////////////////////////////////////////////////////////////*/

/** A voucher merged `lane` into `intoLane` (logged before its VoucherRedeemed, which creates `intoLane` if new). */
export function handleLaneMerged(event: LaneMergedEvent): void {
  const channelId = event.params.channelId;
  const id = laneId(channelId, event.params.lane);
  const lane = PaymentLane.load(id);
  if (lane == null) {
    warnUnknown("lane", id, event); // the contract merges only lanes that exist
    return;
  }
  lane.nonce = event.params.nonce;
  lane.mergedInto = laneId(channelId, event.params.intoLane);
  lane.mergeCount = lane.mergeCount + 1;
  touchLane(lane, event);
  lane.save();
}

export function handleVoucherRedeemed(event: VoucherRedeemedEvent): void {
  const channel = loadChannel(event.params.channelId, event);
  if (channel == null) return;
  const channelId = channel.id;
  const submitter = event.params.submitter;
  const settlingAt = settlingAtOrNull(event.params.settlingAt);

  const id = laneId(channelId, event.params.lane);
  let lane = PaymentLane.load(id);
  if (lane == null) {
    lane = new PaymentLane(id);
    lane.channel = channelId;
    lane.lane = event.params.lane;
    lane.voucherCount = 0;
    lane.mergedInto = null;
    lane.mergeCount = 0;
    lane.createdAt = event.block.timestamp;
    lane.createdAtBlock = event.block.number;
    lane.createdTx = event.transaction.hash;
    channel.laneCount = channel.laneCount + 1;
  }
  lane.redeemed = event.params.amount;
  lane.nonce = event.params.nonce;
  lane.voucherCount = lane.voucherCount + 1;
  touchLane(lane, event);
  lane.save();

  const voucher = new RedeemedVoucher(eventId(event));
  voucher.channel = channelId;
  voucher.lane = id;
  voucher.submitter = submitter;
  // The contract takes a voucher only from a party, signed by the other one.
  voucher.signer = submitter.equals(channel.payer) ? channel.payee : channel.payer;
  voucher.digest = event.params.digest;
  voucher.nonce = event.params.nonce;
  voucher.amount = event.params.amount;
  voucher.toSend = event.params.toSend;
  voucher.settlingAt = settlingAt;
  voucher.minSettleHeight = event.params.minSettleHeight;
  voucher.blockNumber = event.block.number;
  voucher.timestamp = event.block.timestamp;
  voucher.transactionHash = event.transaction.hash;
  voucher.save();

  channel.toSend = event.params.toSend;
  channel.spendable = channel.balance.minus(event.params.toSend);
  channel.settlingAt = settlingAt;
  channel.minSettleHeight = event.params.minSettleHeight;
  channel.voucherCount = channel.voucherCount + 1;
  touchChannel(channel, event);
  channel.save();
}

/*//////////////////////////////////////////////////////////////
                               SETTLING
//////////////////////////////////////////////////////////////*/

export function handleSettleStarted(event: SettleStartedEvent): void {
  const channel = loadChannel(event.params.channelId, event);
  if (channel == null) return;
  const settlingAt = event.params.settlingAt;
  channel.settlingAt = settlingAt;
  touchChannel(channel, event);
  channel.save();

  saveSettlement(event, channel.id, SETTLEMENT_SETTLE_STARTED, event.params.by, settlingAt, null, null);
}

/** The channel paid out `toPayee` and `toPayer` and closed, collected or cooperatively (`kind`). */
function closeChannel(channelId: Bytes, kind: string, toPayee: BigInt, toPayer: BigInt, event: ethereum.Event): void {
  const channel = loadChannel(channelId, event);
  if (channel == null) return;
  const settlingAt = channel.settlingAt;
  channel.status = CHANNEL_STATUSES[CHANNEL_STATUS_CLOSED];
  channel.closeKind = kind;
  // As the contract's _close leaves it: nothing held, toSend what the payee was paid.
  channel.balance = BigInt.zero();
  channel.toSend = toPayee;
  channel.spendable = BigInt.zero();
  // A closed channel settles no more (the settlement records keep when it would have).
  channel.settlingAt = null;
  channel.toPayee = toPayee;
  channel.toPayer = toPayer;
  channel.closedAt = event.block.timestamp;
  channel.closedAtBlock = event.block.number;
  channel.closedTx = event.transaction.hash;
  touchChannel(channel, event);
  channel.save();

  saveSettlement(event, channelId, kind, null, settlingAt, toPayee, toPayer);
}

export function handleChannelCollected(event: ChannelCollectedEvent): void {
  closeChannel(event.params.channelId, SETTLEMENT_COLLECTED, event.params.toPayee, event.params.toPayer, event);
}

export function handleChannelClosed(event: ChannelClosedEvent): void {
  closeChannel(
    event.params.channelId,
    SETTLEMENT_CLOSED_COOPERATIVELY,
    event.params.toPayee,
    event.params.toPayer,
    event,
  );
}

/*//////////////////////////////////////////////////////////////
                           DEFERRED PAYOUTS
//////////////////////////////////////////////////////////////*/

/** The deferred payouts of `token` to `account`, created at zero if there are none; touched, not yet saved. */
function loadOrNewDeferred(token: Address, account: Address, event: ethereum.Event): DeferredChannelPayout {
  const id = deferredId(token, account);
  let record = DeferredChannelPayout.load(id);
  if (record == null) {
    record = new DeferredChannelPayout(id);
    record.token = token;
    record.account = account;
    record.amount = BigInt.zero();
    record.totalDeferred = BigInt.zero();
    record.totalWithdrawn = BigInt.zero();
    record.deferralCount = 0;
    record.withdrawalCount = 0;
    record.lastWithdrawnTo = null;
    record.createdAt = event.block.timestamp;
  }
  record.updatedAt = event.block.timestamp;
  record.updatedAtBlock = event.block.number;
  record.updatedTx = event.transaction.hash;
  return record;
}

export function handlePayoutDeferred(event: PayoutDeferredEvent): void {
  const amount = event.params.amount;
  const record = loadOrNewDeferred(event.params.token, event.params.account, event);
  record.amount = record.amount.plus(amount);
  record.totalDeferred = record.totalDeferred.plus(amount);
  record.deferralCount = record.deferralCount + 1;
  record.save();
}

export function handleWithdrawn(event: WithdrawnEvent): void {
  const amount = event.params.amount;
  const record = loadOrNewDeferred(event.params.token, event.params.account, event);
  // The contract pays out everything deferred and zeroes it.
  record.amount = record.amount.minus(amount);
  record.totalWithdrawn = record.totalWithdrawn.plus(amount);
  record.withdrawalCount = record.withdrawalCount + 1;
  record.lastWithdrawnTo = event.params.to;
  record.save();
}
