import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroAddress } from "ethers";

import {
  ChannelStatus,
  DEFAULT_SETTLE_DELAY,
  DEPOSIT,
  FAR_FUTURE,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
  channelView,
  closeSignatures,
  deployChannelsFixture,
  deployWallet,
  loadChannelsFixture,
  mined,
  nextSalt,
  openArgs,
  openChannel,
  sendOpen,
  viaWallet,
} from "../../helpers/channels";

describe("PaymentChannels.open", () => {
  const setup = () => loadChannelsFixture(deployChannelsFixture);

  it("reverts with PaymentChannels_ZeroAddressPayee for the zero payee", async () => {
    const ctx = await setup();
    await expect(sendOpen(ctx, { payee: ZeroAddress })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ZeroAddressPayee",
    );
  });

  it("reverts with PaymentChannels_PayeeIsPayer when the payee is the caller", async () => {
    const ctx = await setup();
    await expect(sendOpen(ctx, { payee: ctx.payer.address }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_PayeeIsPayer")
      .withArgs(ctx.payer.address);
  });

  it("reverts with PaymentChannels_SettleDelayOutOfRange outside [1 h, 30 d], and takes both bounds", async () => {
    const ctx = await setup();
    for (const delay of [1n, MIN_SETTLE_DELAY - 1n, MAX_SETTLE_DELAY + 1n, 2n ** 32n - 1n]) {
      await expect(sendOpen(ctx, { settleDelay: delay }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_SettleDelayOutOfRange")
        .withArgs(delay, MIN_SETTLE_DELAY, MAX_SETTLE_DELAY);
    }
    for (const delay of [MIN_SETTLE_DELAY, MAX_SETTLE_DELAY]) {
      const { channelId } = await openChannel(ctx, { settleDelay: delay });
      expect((await channelView(ctx.channels, channelId)).settleDelay).to.equal(delay);
    }
  });

  it("reverts with PaymentChannels_ZeroAmount for a zero deposit (ERC20 and native)", async () => {
    const ctx = await setup();
    for (const token of [ctx.tokenAddress, ZeroAddress]) {
      await expect(sendOpen(ctx, { token, amount: 0n })).to.be.revertedWithCustomError(
        ctx.channels,
        "PaymentChannels_ZeroAmount",
      );
    }
  });

  it("reverts with PaymentChannels_ChannelExists when the caller used the salt, open or closed", async () => {
    const ctx = await setup();
    const salt = nextSalt();
    const { channelId } = await openChannel(ctx, { salt });
    await expect(sendOpen(ctx, { salt, payee: ctx.other.address, token: ZeroAddress, amount: 5n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelExists")
      .withArgs(channelId);
    // Another payer's channel with the same salt has another ID.
    const theirs = await openChannel(ctx, { salt, payer: ctx.other, payee: ctx.payee.address });
    expect(theirs.channelId).to.not.equal(channelId);
    expect((await channelView(ctx.channels, theirs.channelId)).payer).to.equal(ctx.other.address);
    expect((await channelView(ctx.channels, channelId)).payer).to.equal(ctx.payer.address);
    // Closed, the channel keeps its ID: the salt stays used.
    const close = { channelId, toSend: 0n, deadline: FAR_FUTURE };
    await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    expect((await channelView(ctx.channels, channelId)).status).to.equal(ChannelStatus.Closed);
    await expect(sendOpen(ctx, { salt }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelExists")
      .withArgs(channelId);
  });

  it("reverts with PaymentChannels_ValueMismatch(value, amount) when a native deposit's value is not the amount", async () => {
    const ctx = await setup();
    for (const value of [0n, DEPOSIT - 1n, DEPOSIT + 1n]) {
      await expect(sendOpen(ctx, { token: ZeroAddress, amount: DEPOSIT, value }))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
        .withArgs(value, DEPOSIT);
    }
  });

  it("keeps a native deposit's value, to the wei", async () => {
    const ctx = await setup();
    const tx = await sendOpen(ctx, { token: ZeroAddress, amount: 777n });
    await expect(tx).to.changeEtherBalances([ctx.payer, ctx.channels], [-777n, 777n]);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.payer, ctx.channels], [0n, 0n]);
  });

  it("reverts with PaymentChannels_ValueMismatch(value, 0) when value comes with an ERC20 deposit", async () => {
    const ctx = await setup();
    await expect(sendOpen(ctx, { value: 1n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
      .withArgs(1n, 0n);
    await expect(sendOpen(ctx, { value: DEPOSIT }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
      .withArgs(DEPOSIT, 0n);
  });

  it("reverts with the token's ERC20InsufficientAllowance when the caller has not approved the channels", async () => {
    const ctx = await setup();
    await ctx.token.connect(ctx.payer).approve(ctx.channelsAddress, DEPOSIT - 1n);
    await expect(sendOpen(ctx))
      .to.be.revertedWithCustomError(ctx.token, "ERC20InsufficientAllowance")
      .withArgs(ctx.channelsAddress, DEPOSIT - 1n, DEPOSIT);
  });

  it("reverts with SafeERC20FailedOperation when the token address has no code", async () => {
    const ctx = await setup();
    const noCode = ctx.stranger.address;
    await expect(sendOpen(ctx, { token: noCode }))
      .to.be.revertedWithCustomError(ctx.channels, "SafeERC20FailedOperation")
      .withArgs(noCode);
  });

  it("pulls an ERC20 deposit from the caller, to the wei", async () => {
    const ctx = await setup();
    const tx = await sendOpen(ctx, { amount: 12_345n });
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.payer, ctx.channels, ctx.payee], [-12_345n, 12_345n, 0n]);
    await expect(tx).to.changeEtherBalance(ctx.channels, 0n);
  });

  it("checks in order: payee, settle delay, amount, salt, value", async () => {
    const ctx = await setup();
    const salt = nextSalt();
    const { channelId } = await openChannel(ctx, { salt });
    const all = { salt, amount: 0n, settleDelay: 1n, value: 3n };
    await expect(sendOpen(ctx, { ...all, payee: ZeroAddress })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ZeroAddressPayee",
    );
    await expect(sendOpen(ctx, { ...all, payee: ctx.payer.address })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_PayeeIsPayer",
    );
    await expect(sendOpen(ctx, all)).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_SettleDelayOutOfRange",
    );
    await expect(sendOpen(ctx, { ...all, settleDelay: 0n })).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ZeroAmount",
    );
    await expect(sendOpen(ctx, { ...all, settleDelay: 0n, amount: 1n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelExists")
      .withArgs(channelId);
    await expect(sendOpen(ctx, { settleDelay: 0n, amount: 1n, value: 3n }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ValueMismatch")
      .withArgs(3n, 0n);
  });

  it("returns channelIdOf(caller, salt), stores the channel and emits ChannelOpened", async () => {
    const ctx = await setup();
    for (const [token, delay, stored] of [
      [ctx.tokenAddress, 0n, DEFAULT_SETTLE_DELAY],
      [ZeroAddress, 7_200n, 7_200n],
    ] as const) {
      const { args, value } = openArgs(ctx, { token, settleDelay: delay, amount: 4_242n });
      const expectedId = await ctx.channels.channelIdOf(ctx.payer.address, args[2]);
      expect(expectedId).to.equal(
        ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [ctx.payer.address, args[2]]),
        ),
      );
      expect(await ctx.channels.connect(ctx.payer).open.staticCall(...args, { value })).to.equal(expectedId);
      const tx = await ctx.channels.connect(ctx.payer).open(...args, { value });
      await expect(tx)
        .to.emit(ctx.channels, "ChannelOpened")
        .withArgs(expectedId, ctx.payer.address, ctx.payee.address, token, 4_242n, stored);
      expect(await channelView(ctx.channels, expectedId)).to.deep.equal({
        payer: ctx.payer.address,
        settlingAt: 0n,
        settleDelay: stored,
        payee: ctx.payee.address,
        minSettleHeight: 0n,
        status: ChannelStatus.Open,
        token,
        balance: 4_242n,
        toSend: 0n,
      });
    }
  });

  it("lets a contract wallet open a channel under its own address", async () => {
    const ctx = await setup();
    const { wallet, address } = await deployWallet(ctx);
    const salt = nextSalt();
    const data = ctx.channels.interface.encodeFunctionData("open", [ctx.payee.address, ZeroAddress, salt, 99n, 0n]);
    const receipt = await mined(viaWallet(ctx, wallet, data, 99n));
    expect(receipt.status).to.equal(1);
    const channelId = await ctx.channels.channelIdOf(address, salt);
    const c = await channelView(ctx.channels, channelId);
    expect(c.payer).to.equal(address);
    expect(c.balance).to.equal(99n);
    expect(await ethers.provider.getBalance(ctx.channelsAddress)).to.equal(99n);
  });
});
