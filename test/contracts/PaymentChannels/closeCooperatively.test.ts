import { expect } from "chai";
import { ethers } from "hardhat";

import type { CloseAuthorization } from "../../../src/channels/voucher";
import { paymentChannelsDomain } from "../../../src/channels/voucher";
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
  deployWallet,
  loadChannelsFixture,
  makeVoucher,
  mineAt,
  mined,
  now,
  redeem,
  signVoucherAs,
  viaWallet,
} from "../../helpers/channels";

describe("PaymentChannels.closeCooperatively", () => {
  const setup = () => loadChannelsFixture(channelFixture);
  const closeOf = (channelId: string, toSend = 400n, deadline = FAR_FUTURE): CloseAuthorization => ({
    channelId,
    toSend,
    deadline,
  });

  it("reverts with PaymentChannels_ChannelNotFound for an unknown channel", async () => {
    const ctx = await setup();
    const close = closeOf(ethers.id("none"));
    await expect(ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close))))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelNotFound")
      .withArgs(close.channelId);
  });

  it("reverts with PaymentChannels_ChannelClosed for the same close again, and after collect", async () => {
    const ctx = await setup();
    const close = closeOf(ctx.channelId);
    const sigs = await closeSignatures(ctx, close);
    await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...sigs);
    await expect(ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...sigs))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.channelId);

    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.nativeChannelId)));
    await mineAt(settledAt + DEFAULT_SETTLE_DELAY);
    await ctx.channels.connect(ctx.payer).collect(ctx.nativeChannelId);
    const late = closeOf(ctx.nativeChannelId, 0n);
    await expect(ctx.channels.closeCooperatively(late, ...(await closeSignatures(ctx, late))))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.nativeChannelId);
  });

  it("reverts with PaymentChannels_CloseExpired after the deadline, and accepts it at the deadline", async () => {
    const ctx = await setup();
    const deadline = (await now()) + 100n;
    const close = closeOf(ctx.channelId, 400n, deadline);
    const sigs = await closeSignatures(ctx, close);
    await at(deadline + 1n);
    await expect(ctx.channels.closeCooperatively(close, ...sigs))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_CloseExpired")
      .withArgs(deadline);
    const other = closeOf(ctx.nativeChannelId, 1n, deadline + 10n);
    await at(deadline + 10n);
    await ctx.channels.closeCooperatively(other, ...(await closeSignatures(ctx, other)));
    expect((await channelView(ctx.channels, ctx.nativeChannelId)).status).to.equal(ChannelStatus.Closed);
  });

  it("reverts with PaymentChannels_InsufficientChannelFunds above the balance, and accepts the whole balance", async () => {
    const ctx = await setup();
    const over = closeOf(ctx.channelId, DEPOSIT + 1n);
    await expect(ctx.channels.closeCooperatively(over, ...(await closeSignatures(ctx, over))))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InsufficientChannelFunds")
      .withArgs(ctx.channelId, DEPOSIT + 1n, DEPOSIT);
    const all = closeOf(ctx.channelId, DEPOSIT);
    const tx = await ctx.channels.closeCooperatively(all, ...(await closeSignatures(ctx, all)));
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.payee, ctx.payer, ctx.channels], [DEPOSIT, 0n, -DEPOSIT]);
  });

  it("reverts with InvalidCloseSignature(payer) for any signature not the payer's, whatever the payee's", async () => {
    const ctx = await setup();
    const close = closeOf(ctx.channelId);
    const [payerSig, payeeSig] = await closeSignatures(ctx, close);
    const otherDeployment = paymentChannelsDomain(ctx.chainId, ctx.tokenAddress);
    const wrong: Array<[string, string]> = [
      ["the payee's", payeeSig],
      ["a stranger's", (await closeSignatures(ctx, close, { payer: ctx.stranger }))[0]],
      ["of another close", (await closeSignatures(ctx, { ...close, toSend: 401n }))[0]],
      ["of another channel", (await closeSignatures(ctx, { ...close, channelId: ctx.nativeChannelId }))[0]],
      ["for another deployment", (await closeSignatures(ctx, close, { domain: otherDeployment }))[0]],
      ["a voucher signature", await signVoucherAs(ctx.payer, ctx, makeVoucher(ctx.channelId))],
      ["empty", "0x"],
    ];
    for (const [label, signature] of wrong) {
      for (const payee of [payeeSig, "0x"]) {
        await expect(ctx.channels.closeCooperatively(close, signature, payee), label)
          .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
          .withArgs(ctx.channelId, ctx.payer.address);
      }
    }
    // The payer's signature is right; the payee's is the payer's.
    await expect(ctx.channels.closeCooperatively(close, payerSig, payerSig))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.channelId, ctx.payee.address);
    await expect(ctx.channels.closeCooperatively(close, payerSig, "0x"))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.channelId, ctx.payee.address);
  });

  it("checks in order: not found, closed, expired, funds, the payer's signature, the payee's", async () => {
    const ctx = await setup();
    const t = await now();
    const done = closeOf(ctx.nativeChannelId, 0n);
    await ctx.channels.closeCooperatively(done, ...(await closeSignatures(ctx, done)));
    const bad = (channelId: string, toSend: bigint, deadline: bigint) =>
      ctx.channels.closeCooperatively(closeOf(channelId, toSend, deadline), "0x", "0x");
    await expect(bad(ethers.id("none"), DEPOSIT + 1n, t - 1n)).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ChannelNotFound",
    );
    await expect(bad(ctx.nativeChannelId, NATIVE_DEPOSIT + 1n, t - 1n)).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_ChannelClosed",
    );
    await expect(bad(ctx.channelId, DEPOSIT + 1n, t - 1n)).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_CloseExpired",
    );
    await expect(bad(ctx.channelId, DEPOSIT + 1n, FAR_FUTURE)).to.be.revertedWithCustomError(
      ctx.channels,
      "PaymentChannels_InsufficientChannelFunds",
    );
    await expect(bad(ctx.channelId, DEPOSIT, FAR_FUTURE))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
  });

  it("pays close.toSend to the payee and the rest to the payer, whatever the vouchers owe, and closes", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { amount: 700n }));
    for (const [channelId, toSend, submitter] of [
      [ctx.channelId, 250n, ctx.stranger],
      [ctx.nativeChannelId, 4_000n, ctx.payee],
    ] as const) {
      const close = closeOf(channelId, toSend);
      const balance = (await channelView(ctx.channels, channelId)).balance;
      const tx = await ctx.channels
        .connect(submitter)
        .closeCooperatively(close, ...(await closeSignatures(ctx, close)));
      await expect(tx)
        .to.emit(ctx.channels, "ChannelClosed")
        .withArgs(channelId, ctx.payer.address, ctx.payee.address, toSend, balance - toSend);
      await expect(tx).to.not.emit(ctx.channels, "PayoutDeferred");
      if (channelId === ctx.channelId) {
        await expect(tx).to.changeTokenBalances(
          ctx.token,
          [ctx.payee, ctx.payer, ctx.channels, ctx.stranger],
          [toSend, balance - toSend, -balance, 0n],
        );
      } else {
        await expect(tx).to.changeEtherBalances(
          [ctx.payee, ctx.payer, ctx.channels],
          [toSend, balance - toSend, -balance],
        );
      }
      const c = await channelView(ctx.channels, channelId);
      expect([c.status, c.balance, c.toSend]).to.deep.equal([ChannelStatus.Closed, 0n, toSend]);
    }
  });

  it("closes a settling channel at once, before and after settlingAt", async () => {
    const ctx = await setup();
    for (const [channelId, wait] of [
      [ctx.channelId, 10n],
      [ctx.nativeChannelId, DEFAULT_SETTLE_DELAY + 10n],
    ] as const) {
      const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payee).settle(channelId)));
      await mineAt(settledAt + wait);
      const close = closeOf(channelId, 5n);
      await ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close)));
      const c = await channelView(ctx.channels, channelId);
      expect([c.status, c.toSend, c.settlingAt]).to.deep.equal([
        ChannelStatus.Closed,
        5n,
        settledAt + DEFAULT_SETTLE_DELAY,
      ]);
    }
  });

  it("takes ERC-1271 wallets' owners' signatures, and refuses when a wallet rejects", async () => {
    const ctx = await setup();
    const payer = await deployWallet(ctx);
    const payee = await deployWallet(ctx);
    const salt = ethers.id("wallets");
    await viaWallet(
      ctx,
      payer.wallet,
      ctx.channels.interface.encodeFunctionData("open", [payee.address, ctx.tokenAddress, salt, 800n, 0n]),
    );
    const channelId = await ctx.channels.channelIdOf(payer.address, salt);
    const close = closeOf(channelId, 300n);
    const owner = await closeSignatures(ctx, close, { payer: ctx.walletOwner, payee: ctx.walletOwner });
    await expect(ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close))))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(channelId, payer.address);
    await payee.wallet.connect(ctx.walletOwner).setRejectSignatures(true);
    await expect(ctx.channels.closeCooperatively(close, ...owner))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(channelId, payee.address);
    await payee.wallet.connect(ctx.walletOwner).setRejectSignatures(false);
    const tx = await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...owner);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [payee.address, payer.address, ctx.channels],
      [300n, 500n, -800n],
    );
  });
});
