import { expect } from "chai";
import { ethers } from "hardhat";

import { paymentChannelsDomain } from "../../../src/channels/voucher";
import {
  FAR_FUTURE,
  SALT,
  channelFixture,
  channelView,
  closeSignatures,
  laneView,
  loadChannelsFixture,
  makeVoucher,
  mined,
  openChannel,
  redeem,
  sendOpen,
  sendVoucher,
  signVoucherAs,
} from "../../helpers/channels";
import { MaxUint256 } from "ethers";

describe("PaymentChannels replay", () => {
  const setup = () => loadChannelsFixture(channelFixture);

  it("refuses the same voucher twice with VoucherNonceTooLow, changing nothing", async () => {
    const ctx = await setup();
    const v = makeVoucher(ctx.channelId, { lane: 3n, nonce: 4n, amount: 200n });
    const signature = await signVoucherAs(ctx.payer, ctx, v);
    await redeem(ctx, v, { signature });
    const before = await channelView(ctx.channels, ctx.channelId);
    await expect(sendVoucher(ctx, v, { signature }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherNonceTooLow")
      .withArgs(3n, 4n, 4n);
    expect(await channelView(ctx.channels, ctx.channelId)).to.deep.equal(before);
    expect(await laneView(ctx.channels, ctx.channelId, 3n)).to.deep.equal({ redeemed: 200n, nonce: 4n, exists: true });
    // Its own signer cannot submit it either: the payer's vouchers need the payee's signature when it submits.
    await expect(sendVoucher(ctx, v, { signature, submitter: ctx.payer }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(ctx.channelId, ctx.payee.address);
  });

  it("refuses a voucher for another channel of the same payer with VoucherChannelMismatch", async () => {
    const ctx = await setup();
    const v = makeVoucher(ctx.channelId, { amount: 10n });
    const signature = await signVoucherAs(ctx.payer, ctx, v);
    // Same payer and payee.
    await expect(sendVoucher(ctx, v, { signature, channelId: ctx.nativeChannelId }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherChannelMismatch")
      .withArgs(ctx.nativeChannelId, ctx.channelId);
    // Same payer, another payee submitting: the payer's signature still holds, the channel does not.
    const { channelId: toOther } = await openChannel(ctx, { payee: ctx.other.address });
    await expect(sendVoucher(ctx, v, { signature, channelId: toOther, submitter: ctx.other }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherChannelMismatch")
      .withArgs(toOther, ctx.channelId);
  });

  it("refuses a voucher for a channel of another payer with InvalidVoucherSignature (checked first)", async () => {
    const ctx = await setup();
    const { channelId: theirs } = await openChannel(ctx, { payer: ctx.other, payee: ctx.payee.address });
    const v = makeVoucher(ctx.channelId, { amount: 10n });
    await expect(sendVoucher(ctx, v, { channelId: theirs }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(theirs, ctx.other.address);
  });

  it("refuses vouchers and closes signed for another deployment, where the channel has the same ID", async () => {
    const ctx = await setup();
    const second = await ethers.deployContract("PaymentChannels");
    const secondAddress = await second.getAddress();
    await ctx.token.connect(ctx.payer).approve(secondAddress, MaxUint256);
    await second.connect(ctx.payer).open(ctx.payee.address, ctx.tokenAddress, SALT, 1_000n, 0n);
    expect(await second.channelIdOf(ctx.payer.address, SALT)).to.equal(ctx.channelId);
    const secondDomain = paymentChannelsDomain(ctx.chainId, secondAddress);

    const v = makeVoucher(ctx.channelId, { amount: 10n });
    const forSecond = await signVoucherAs(ctx.payer, ctx, v, secondDomain);
    const forFirst = await signVoucherAs(ctx.payer, ctx, v);
    await expect(sendVoucher(ctx, v, { signature: forSecond }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
    await expect(second.connect(ctx.payee).updateChannelState(ctx.channelId, v, forFirst, "0x"))
      .to.be.revertedWithCustomError(second, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
    await mined(second.connect(ctx.payee).updateChannelState(ctx.channelId, v, forSecond, "0x"));

    const close = { channelId: ctx.channelId, toSend: 10n, deadline: FAR_FUTURE };
    const secondSigs = await closeSignatures(ctx, close, { domain: secondDomain });
    await expect(ctx.channels.closeCooperatively(close, ...secondSigs))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
    const firstSigs = await closeSignatures(ctx, close);
    await expect(second.closeCooperatively(close, ...firstSigs))
      .to.be.revertedWithCustomError(second, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
  });

  it("refuses a close signed for another channel with InvalidCloseSignature", async () => {
    const ctx = await setup();
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    const sigs = await closeSignatures(ctx, close);
    await expect(ctx.channels.closeCooperatively({ ...close, channelId: ctx.nativeChannelId }, ...sigs))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidCloseSignature")
      .withArgs(ctx.nativeChannelId, ctx.payer.address);
  });

  it("never reuses a closed channel's ID: no re-open, no voucher, no second close", async () => {
    const ctx = await setup();
    const unused = makeVoucher(ctx.channelId, { lane: 9n, amount: 5n });
    const unusedSig = await signVoucherAs(ctx.payer, ctx, unused);
    const close = { channelId: ctx.channelId, toSend: 0n, deadline: FAR_FUTURE };
    const sigs = await closeSignatures(ctx, close);
    await ctx.channels.closeCooperatively(close, ...sigs);
    await expect(sendOpen(ctx, { salt: SALT }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelExists")
      .withArgs(ctx.channelId);
    await expect(sendVoucher(ctx, unused, { signature: unusedSig }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelSettled")
      .withArgs(ctx.channelId, 0n);
    await expect(ctx.channels.closeCooperatively(close, ...sigs))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelClosed")
      .withArgs(ctx.channelId);
  });
});
