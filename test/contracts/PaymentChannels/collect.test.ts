import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionReceipt } from "ethers";

import {
  ChannelStatus,
  DEFAULT_SETTLE_DELAY,
  DEPOSIT,
  FAR_FUTURE,
  NATIVE_DEPOSIT,
  at,
  blockTime,
  channelFixture,
  channelView,
  closeSignatures,
  laneView,
  loadChannelsFixture,
  makeVoucher,
  mined,
  openChannel,
  redeem,
  type ChannelFixture,
} from "../../helpers/channels";

describe("PaymentChannels.collect", () => {
  const setup = () => loadChannelsFixture(channelFixture);

  /** Settles the channel (by the payer) and returns its settlingAt. */
  async function settle(ctx: ChannelFixture, channelId: string): Promise<bigint> {
    return (await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(channelId)))) + DEFAULT_SETTLE_DELAY;
  }

  function transfers(ctx: ChannelFixture, receipt: ContractTransactionReceipt) {
    return receipt.logs
      .filter((log) => log.address === ctx.tokenAddress)
      .map((log) => ctx.token.interface.parseLog(log)!)
      .filter((e) => e.name === "Transfer")
      .map((e): unknown[] => [...(e.args as unknown as unknown[])]);
  }

  it("reverts with PaymentChannels_ChannelNotFound for an unknown channel", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    await expect(ctx.channels.connect(ctx.payee).collect(id))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelNotFound")
      .withArgs(id);
  });

  it("reverts with PaymentChannels_NotParty for a stranger, even once settled", async () => {
    const ctx = await setup();
    const settlingAt = await settle(ctx, ctx.channelId);
    await at(settlingAt);
    await expect(ctx.channels.connect(ctx.stranger).collect(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NotParty")
      .withArgs(ctx.channelId, ctx.stranger.address);
  });

  it("reverts with PaymentChannels_ChannelClosed when collected already or closed cooperatively", async () => {
    const ctx = await setup();
    const settlingAt = await settle(ctx, ctx.channelId);
    await at(settlingAt);
    await ctx.channels.connect(ctx.payee).collect(ctx.channelId);
    await expect(ctx.channels.connect(ctx.payer).collect(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.channelId);
    const close = { channelId: ctx.nativeChannelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(ctx.channels.connect(ctx.payer).collect(ctx.nativeChannelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.nativeChannelId);
  });

  it("reverts with PaymentChannels_NotSettling when nobody settled", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { minSettleHeight: 1n }));
    await expect(ctx.channels.connect(ctx.payee).collect(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NotSettling")
      .withArgs(ctx.channelId);
  });

  it("reverts with PaymentChannels_SettlingNotDone before settlingAt, also when a voucher delayed it", async () => {
    const ctx = await setup();
    const settlingAt = await settle(ctx, ctx.channelId);
    // The native channel settles too, then a voucher delays it by an hour.
    const nativeSettlingAt = await settle(ctx, ctx.nativeChannelId);
    const later = nativeSettlingAt + 3_600n;
    await redeem(ctx, makeVoucher(ctx.nativeChannelId, { minSettleHeight: later }));
    await at(settlingAt - 1n);
    await expect(ctx.channels.connect(ctx.payee).collect(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_SettlingNotDone")
      .withArgs(ctx.channelId, settlingAt);
    await at(nativeSettlingAt);
    await expect(ctx.channels.connect(ctx.payee).collect(ctx.nativeChannelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_SettlingNotDone")
      .withArgs(ctx.nativeChannelId, later);
    await at(later - 1n);
    await expect(ctx.channels.connect(ctx.payee).collect(ctx.nativeChannelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_SettlingNotDone")
      .withArgs(ctx.nativeChannelId, later);
    await at(later);
    await ctx.channels.connect(ctx.payee).collect(ctx.nativeChannelId);
    expect((await channelView(ctx.channels, ctx.nativeChannelId)).status).to.equal(ChannelStatus.Closed);
  });

  it("pays toSend to the payee and the rest to the payer at settlingAt, closes, and emits ChannelCollected", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, amount: 321n }));
    await ctx.channels.connect(ctx.stranger).fund(ctx.channelId, 9n);
    const settlingAt = await settle(ctx, ctx.channelId);
    await at(settlingAt);
    const tx = await ctx.channels.connect(ctx.payee).collect(ctx.channelId);
    const toPayer = DEPOSIT + 9n - 321n;
    await expect(tx)
      .to.emit(ctx.channels, "ChannelCollected")
      .withArgs(ctx.channelId, ctx.payer.address, ctx.payee.address, 321n, toPayer);
    await expect(tx).to.not.emit(ctx.channels, "PayoutDeferred");
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.payee, ctx.payer, ctx.channels, ctx.stranger],
      [321n, toPayer, -(DEPOSIT + 9n), 0n],
    );
    const c = await channelView(ctx.channels, ctx.channelId);
    expect([c.status, c.balance, c.toSend, c.settlingAt]).to.deep.equal([ChannelStatus.Closed, 0n, 321n, settlingAt]);
    expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({ redeemed: 321n, nonce: 1n, exists: true });
    // The native channel's funds stay.
    expect(await ethers.provider.getBalance(ctx.channelsAddress)).to.equal(NATIVE_DEPOSIT);
    expect((await channelView(ctx.channels, ctx.nativeChannelId)).balance).to.equal(NATIVE_DEPOSIT);
  });

  it("pays a native channel out in the native coin, to the wei", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.nativeChannelId, { amount: 12_345n }));
    const settlingAt = await settle(ctx, ctx.nativeChannelId);
    await at(settlingAt);
    const tx = await ctx.channels.connect(ctx.payee).collect(ctx.nativeChannelId);
    await expect(tx).to.changeEtherBalances(
      [ctx.channels, ctx.payer, ctx.payee],
      [-NATIVE_DEPOSIT, NATIVE_DEPOSIT - 12_345n, 12_345n],
    );
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.channels], [0n]);
  });

  it("makes only the non-zero transfer when toSend is 0 or the whole balance", async () => {
    const ctx = await setup();
    let settlingAt = await settle(ctx, ctx.channelId);
    await at(settlingAt);
    let receipt = await mined(ctx.channels.connect(ctx.payee).collect(ctx.channelId));
    expect(transfers(ctx, receipt)).to.deep.equal([[ctx.channelsAddress, ctx.payer.address, DEPOSIT]]);

    const { channelId } = await openChannel(ctx);
    await redeem(ctx, makeVoucher(channelId, { amount: DEPOSIT }));
    settlingAt = await settle(ctx, channelId);
    await at(settlingAt);
    receipt = await mined(ctx.channels.connect(ctx.payer).collect(channelId));
    expect(transfers(ctx, receipt)).to.deep.equal([[ctx.channelsAddress, ctx.payee.address, DEPOSIT]]);
  });
});
