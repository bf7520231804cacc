import { expect } from "chai";
import { ethers } from "hardhat";

import {
  DEFAULT_SETTLE_DELAY,
  DEPOSIT,
  FAR_FUTURE,
  NATIVE_DEPOSIT,
  channelFixture,
  channelView,
  closeSignatures,
  laneView,
  loadChannelsFixture,
  makeVoucher,
  mineAt,
  mined,
  blockTime,
  redeem,
  sendVoucher,
} from "../../helpers/channels";

describe("PaymentChannels.fund", () => {
  const setup = () => loadChannelsFixture(channelFixture);

  it("reverts with PaymentChannels_ChannelNotFound for an unknown channel", async () => {
    const ctx = await setup();
    const id = ethers.id("no such channel");
    await expect(ctx.channels.connect(ctx.payer).fund(id, 1n))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelNotFound")
      .withArgs(id);
  });

  it("reverts with PaymentChannels_ChannelClosed once the channel is closed or collected", async () => {
    const ctx = await setup();
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(ctx.channels.connect(ctx.payer).fund(ctx.channelId, 1n))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.channelId);

    const settled = await mined(ctx.channels.connect(ctx.payer).settle(ctx.nativeChannelId));
    await mineAt((await blockTime(settled)) + DEFAULT_SETTLE_DELAY);
    await ctx.channels.connect(ctx.payer).collect(ctx.nativeChannelId);
    await expect(ctx.channels.connect(ctx.payer).fund(ctx.nativeChannelId, 1n, { value: 1n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.nativeChannelId);
  });

  it("reverts with PaymentChannels_ZeroAmount for zero", async () => {
    const ctx = await setup();
    for (const id of [ctx.channelId, ctx.nativeChannelId]) {
      await expect(ctx.channels.connect(ctx.payer).fund(id, 0n)).to.be.revertedWithCustomError(
        ctx.channels,
        "PaymentChannels_ZeroAmount",
      );
    }
  });

  it("reverts with PaymentChannels_ValueMismatch(value, amount) on a native channel", async () => {
    const ctx = await setup();
    for (const value of [0n, 9n, 11n]) {
      await expect(ctx.channels.connect(ctx.payer).fund(ctx.nativeChannelId, 10n, { value }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
        .withArgs(value, 10n);
    }
  });

  it("reverts with PaymentChannels_ValueMismatch(value, 0) on an ERC20 channel", async () => {
    const ctx = await setup();
    await expect(ctx.channels.connect(ctx.payer).fund(ctx.channelId, 10n, { value: 10n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
      .withArgs(10n, 0n);
  });

  it("reverts with the token's ERC20InsufficientAllowance when the funder has not approved enough", async () => {
    const ctx = await setup();
    await ctx.token.connect(ctx.stranger).approve(ctx.channelsAddress, 4n);
    await expect(ctx.channels.connect(ctx.stranger).fund(ctx.channelId, 5n))
      .to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance")
      .withArgs(ctx.channelsAddress, 4n, 5n);
  });

  it("checks in order: not found, closed, zero amount, value", async () => {
    const ctx = await setup();
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(ctx.channels.fund(ethers.id("none"), 0n, { value: 1n })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ChannelNotFound",
    );
    await expect(ctx.channels.fund(ctx.channelId, 0n, { value: 1n })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ChannelClosed",
    );
    await expect(ctx.channels.fund(ctx.nativeChannelId, 0n, { value: 1n })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ZeroAmount",
    );
  });

  it("adds to the balance of an ERC20 channel, pulled from any funder, and emits ChannelFunded", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 3n, nonce: 2n, amount: 300n, minSettleHeight: 50n }));
    const before = await channelView(ctx.channels, ctx.channelId);
    let balance = DEPOSIT;
    for (const [funder, amount] of [
      [ctx.payer, 1n],
      [ctx.payee, 20n],
      [ctx.stranger, 300n],
    ] as const) {
      balance += amount;
      const tx = await ctx.channels.connect(funder).fund(ctx.channelId, amount);
      await expect(tx).to.emit(ctx.channels, "ChannelFunded").withArgs(ctx.channelId, funder.address, amount, balance);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [funder, ctx.channels, ctx.payer.address === funder.address ? ctx.payee : ctx.payer],
        [-amount, amount, 0n],
      );
    }
    expect(await channelView(ctx.channels, ctx.channelId)).to.deep.equal({ ...before, balance });
    expect(await laneView(ctx.channels, ctx.channelId, 3n)).to.deep.equal({ redeemed: 300n, nonce: 2n, exists: true });
  });

  it("adds to the balance of a native channel, keeping the value, and emits ChannelFunded", async () => {
    const ctx = await setup();
    const tx = await ctx.channels.connect(ctx.stranger).fund(ctx.nativeChannelId, 5n, { value: 5n });
    await expect(tx)
      .to.emit(ctx.channels, "ChannelFunded")
      .withArgs(ctx.nativeChannelId, ctx.stranger.address, 5n, NATIVE_DEPOSIT + 5n);
    await expect(tx).to.changeEtherBalances([ctx.stranger, ctx.channels], [-5n, 5n]);
    expect((await channelView(ctx.channels, ctx.nativeChannelId)).balance).to.equal(NATIVE_DEPOSIT + 5n);
  });

  it("funds a settling channel, before and after settlingAt, and collect returns the rest to the payer", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { amount: 400n }));
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payee).settle(ctx.channelId)));
    await ctx.channels.connect(ctx.payer).fund(ctx.channelId, 100n);
    await mineAt(settledAt + DEFAULT_SETTLE_DELAY + 10n);
    await ctx.channels.connect(ctx.stranger).fund(ctx.channelId, 50n);
    const c = await channelView(ctx.channels, ctx.channelId);
    expect(c.balance).to.equal(DEPOSIT + 150n);
    expect(c.settlingAt).to.equal(settledAt + DEFAULT_SETTLE_DELAY);
    const tx = await ctx.channels.connect(ctx.payer).collect(ctx.channelId);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.payee, ctx.payer, ctx.channels],
      [400n, DEPOSIT + 150n - 400n, -(DEPOSIT + 150n)],
    );
  });

  it("lets through a voucher that the balance refused before", async () => {
    const ctx = await setup();
    const v = makeVoucher(ctx.channelId, { amount: DEPOSIT + 1n });
    await expect(sendVoucher(ctx, v))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InsufficientChannelFunds")
      .withArgs(ctx.channelId, DEPOSIT + 1n, DEPOSIT);
    await ctx.channels.connect(ctx.payer).fund(ctx.channelId, 1n);
    await redeem(ctx, v);
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(DEPOSIT + 1n);
  });
});
