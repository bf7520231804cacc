import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ChannelStatus,
  DEFAULT_SETTLE_DELAY,
  FAR_FUTURE,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
  at,
  blockTime,
  channelFixture,
  channelView,
  closeSignatures,
  loadChannelsFixture,
  makeVoucher,
  mineAt,
  mined,
  now,
  openChannel,
  redeem,
} from "../../helpers/channels";

describe("PaymentChannels.settle", () => {
  const setup = () => loadChannelsFixture(channelFixture);

  it("reverts with PaymentChannels_ChannelNotFound for an unknown channel", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    await expect(ctx.channels.connect(ctx.payer).settle(id))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelNotFound")
      .withArgs(id);
  });

  it("reverts with PaymentChannels_NotParty for anyone but the payer and the payee, open or closed", async () => {
    const ctx = await setup();
    for (const caller of [ctx.stranger, ctx.other, ctx.deployer]) {
      await expect(ctx.channels.connect(caller).settle(ctx.channelId))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NotParty")
        .withArgs(ctx.channelId, caller.address);
    }
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(ctx.channels.connect(ctx.stranger).settle(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NotParty")
      .withArgs(ctx.channelId, ctx.stranger.address);
  });

  it("reverts with PaymentChannels_ChannelClosed once closed cooperatively or collected", async () => {
    const ctx = await setup();
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(ctx.channels.connect(ctx.payee).settle(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.channelId);
    // Collected: it had settled too, but ChannelClosed comes first.
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.nativeChannelId)));
    await mineAt(settledAt + DEFAULT_SETTLE_DELAY);
    await ctx.channels.connect(ctx.payee).collect(ctx.nativeChannelId);
    await expect(ctx.channels.connect(ctx.payer).settle(ctx.nativeChannelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.nativeChannelId);
  });

  it("reverts with PaymentChannels_AlreadySettling when either party settles again, before or after settlingAt", async () => {
    const ctx = await setup();
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.channelId)));
    const settlingAt = settledAt + DEFAULT_SETTLE_DELAY;
    for (const caller of [ctx.payer, ctx.payee]) {
      await expect(ctx.channels.connect(caller).settle(ctx.channelId))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_AlreadySettling")
        .withArgs(ctx.channelId, settlingAt);
    }
    await mineAt(settlingAt + 1_000n);
    await expect(ctx.channels.connect(ctx.payee).settle(ctx.channelId))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_AlreadySettling")
      .withArgs(ctx.channelId, settlingAt);
  });

  it("sets settlingAt = now + the channel's settle delay, by payer or payee, and emits SettleStarted", async () => {
    const ctx = await setup();
    const cases = [
      { delay: 0n, expected: DEFAULT_SETTLE_DELAY, by: ctx.payer },
      { delay: MIN_SETTLE_DELAY, expected: MIN_SETTLE_DELAY, by: ctx.payee },
      { delay: MAX_SETTLE_DELAY, expected: MAX_SETTLE_DELAY, by: ctx.payer },
    ];
    for (const { delay, expected, by } of cases) {
      const { channelId } = await openChannel(ctx, { settleDelay: delay });
      const before = await channelView(ctx.channels, channelId);
      const t = (await now()) + 10n;
      await at(t);
      const tx = await ctx.channels.connect(by).settle(channelId);
      await expect(tx)
        .to.emit(ctx.channels, "SettleStarted")
        .withArgs(channelId, by.address, t + expected);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.payer, ctx.payee, ctx.channels], [0n, 0n, 0n]);
      expect(await channelView(ctx.channels, channelId)).to.deep.equal({ ...before, settlingAt: t + expected });
      expect(before.status).to.equal(ChannelStatus.Open);
    }
  });

  it("settles at the channel's minSettleHeight when later than now + delay, else at now + delay", async () => {
    const ctx = await setup();
    const t = (await now()) + 100n;
    const late = t + DEFAULT_SETTLE_DELAY + 1n;
    await redeem(ctx, makeVoucher(ctx.channelId, { minSettleHeight: late }));
    await at(t);
    await expect(ctx.channels.connect(ctx.payee).settle(ctx.channelId))
      .to.emit(ctx.channels, "SettleStarted")
      .withArgs(ctx.channelId, ctx.payee.address, late);
    expect((await channelView(ctx.channels, ctx.channelId)).settlingAt).to.equal(late);

    // minSettleHeight exactly now + delay, and earlier: now + delay.
    for (const offset of [0n, -1n]) {
      const { channelId } = await openChannel(ctx);
      const s = (await now()) + 100n;
      await redeem(ctx, makeVoucher(channelId, { minSettleHeight: s + DEFAULT_SETTLE_DELAY + offset }));
      await at(s);
      await ctx.channels.connect(ctx.payer).settle(channelId);
      const c = await channelView(ctx.channels, channelId);
      expect(c.settlingAt).to.equal(s + DEFAULT_SETTLE_DELAY);
      expect(c.minSettleHeight).to.equal(s + DEFAULT_SETTLE_DELAY + offset);
    }
  });
});
