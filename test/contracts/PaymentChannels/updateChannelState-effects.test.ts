import { expect } from "chai";
import { ethers } from "hardhat";

import {
  DEFAULT_SETTLE_DELAY,
  DEPOSIT,
  blockTime,
  channelFixture,
  channelView,
  deployWallet,
  laneView,
  loadChannelsFixture,
  makeVoucher,
  mined,
  now,
  openChannel,
  redeem,
  sendVoucher,
  signVoucherAs,
  viaWallet,
} from "../../helpers/channels";

describe("PaymentChannels.updateChannelState: effects", () => {
  const setup = () => loadChannelsFixture(channelFixture);

  it("opens a new lane at (amount, nonce) and raises toSend by the amount; a zero amount opens it too", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 4n, nonce: 9n, amount: 250n }));
    expect(await laneView(ctx.channels, ctx.channelId, 4n)).to.deep.equal({ redeemed: 250n, nonce: 9n, exists: true });
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(250n);
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 5n, nonce: 0n, amount: 0n }));
    expect(await laneView(ctx.channels, ctx.channelId, 5n)).to.deep.equal({ redeemed: 0n, nonce: 0n, exists: true });
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(250n);
    // Lane 5 exists now: a merge may name it.
    await redeem(
      ctx,
      makeVoucher(ctx.channelId, { lane: 4n, nonce: 10n, amount: 260n, merges: [{ lane: 5n, nonce: 1n }] }),
    );
    expect(await laneView(ctx.channels, ctx.channelId, 5n)).to.deep.equal({ redeemed: 0n, nonce: 1n, exists: true });
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(260n);
    // An unused lane reads as all zero.
    expect(await laneView(ctx.channels, ctx.channelId, 6n)).to.deep.equal({ redeemed: 0n, nonce: 0n, exists: false });
  });

  it("raises toSend by amount − redeemed on an existing lane, and lowers it when the amount falls", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 0n, nonce: 1n, amount: 100n }));
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: 50n }));
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 0n, nonce: 2n, amount: 400n }));
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(450n);
    // The payer submits the payee's voucher lowering lane 0 to 0: toSend 450 − 400 = 50.
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 0n, nonce: 3n, amount: 0n }), {
      signer: ctx.payee,
      submitter: ctx.payer,
    });
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(50n);
    expect(await laneView(ctx.channels, ctx.channelId, 0n)).to.deep.equal({ redeemed: 0n, nonce: 3n, exists: true });
    // Down to exactly 0.
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 2n, amount: 0n }));
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(0n);
  });

  it("applies a voucher that brings toSend to exactly the balance, and refuses one more", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 0n, nonce: 1n, amount: 600n }));
    await expect(sendVoucher(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: DEPOSIT - 599n })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InsufficientChannelFunds")
      .withArgs(ctx.channelId, DEPOSIT + 1n, DEPOSIT);
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: DEPOSIT - 600n }));
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(DEPOSIT);
  });

  it("counts merged lanes, sets their nonces, keeps their amounts, and logs each merge in order", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: 100n }));
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 2n, nonce: 7n, amount: 30n }));
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 3n, nonce: 2n, amount: 5n }));
    // toSend 135. Lane 3 absorbs lanes 1 and 2: 135 + 150 − (100 + 30 + 5) = 150.
    const v = makeVoucher(ctx.channelId, {
      lane: 3n,
      nonce: 3n,
      amount: 150n,
      merges: [
        { lane: 2n, nonce: 8n },
        { lane: 1n, nonce: 50n },
      ],
    });
    const receipt = await redeem(ctx, v);
    const events = receipt.logs.map((log) => ctx.channels.interface.parseLog(log)!);
    expect(events.map((e) => e.name)).to.deep.equal(["LaneMerged", "LaneMerged", "VoucherRedeemed"]);
    expect([...events[0].args]).to.deep.equal([ctx.channelId, 2n, 3n, 8n]);
    expect([...events[1].args]).to.deep.equal([ctx.channelId, 1n, 3n, 50n]);
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(150n);
    expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({ redeemed: 100n, nonce: 50n, exists: true });
    expect(await laneView(ctx.channels, ctx.channelId, 2n)).to.deep.equal({ redeemed: 30n, nonce: 8n, exists: true });
    expect(await laneView(ctx.channels, ctx.channelId, 3n)).to.deep.equal({ redeemed: 150n, nonce: 3n, exists: true });
  });

  it("counts a lane merged twice in one voucher, or again by a later voucher, each time (as the reference)", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 1n, nonce: 1n, amount: 100n }));
    // toSend 100 + 250 − (100 + 100) = 150: lane 1 counted twice.
    await redeem(
      ctx,
      makeVoucher(ctx.channelId, {
        lane: 2n,
        nonce: 1n,
        amount: 250n,
        merges: [
          { lane: 1n, nonce: 2n },
          { lane: 1n, nonce: 3n },
        ],
      }),
    );
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(150n);
    // Lane 1 merged again into lane 3: 150 + 100 − 100 = 150.
    await redeem(
      ctx,
      makeVoucher(ctx.channelId, { lane: 3n, nonce: 1n, amount: 100n, merges: [{ lane: 1n, nonce: 4n }] }),
    );
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(150n);
    expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({ redeemed: 100n, nonce: 4n, exists: true });
  });

  it("raises minSettleHeight only upward, and settlingAt only when later, never earlier", async () => {
    const ctx = await setup();
    const t = await now();
    const state = async () => {
      const c = await channelView(ctx.channels, ctx.channelId);
      return [c.minSettleHeight, c.settlingAt];
    };
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 1n, minSettleHeight: 0n }));
    expect(await state()).to.deep.equal([0n, 0n]);
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 2n, minSettleHeight: t + 1_000n }));
    expect(await state()).to.deep.equal([t + 1_000n, 0n]);
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 3n, minSettleHeight: t + 500n }));
    expect(await state()).to.deep.equal([t + 1_000n, 0n]);
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 4n, minSettleHeight: 0n }));
    expect(await state()).to.deep.equal([t + 1_000n, 0n]);

    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.channelId)));
    const settlingAt = settledAt + DEFAULT_SETTLE_DELAY;
    expect(await state()).to.deep.equal([t + 1_000n, settlingAt]);
    // Before settlingAt: minSettleHeight rises, settlingAt stays.
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 5n, minSettleHeight: settlingAt - 1n }));
    expect(await state()).to.deep.equal([settlingAt - 1n, settlingAt]);
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 6n, minSettleHeight: settlingAt }));
    expect(await state()).to.deep.equal([settlingAt, settlingAt]);
    // After it: both rise, and the VoucherRedeemed event says so.
    const later = settlingAt + 7_200n;
    const v = makeVoucher(ctx.channelId, { nonce: 7n, amount: 120n, minSettleHeight: later });
    const tx = await sendVoucher(ctx, v);
    await expect(tx)
      .to.emit(ctx.channels, "VoucherRedeemed")
      .withArgs(
        ctx.channelId,
        0n,
        ctx.payee.address,
        await ctx.channels.voucherDigest(v),
        7n,
        120n,
        120n,
        later,
        later,
      );
    expect(await state()).to.deep.equal([later, later]);
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 8n, minSettleHeight: settlingAt + 1n }));
    await redeem(ctx, makeVoucher(ctx.channelId, { nonce: 9n, minSettleHeight: 0n }));
    expect(await state()).to.deep.equal([later, later]);
  });

  it("emits VoucherRedeemed with the digest, the submitter, and the channel's values after the voucher", async () => {
    const ctx = await setup();
    const v = makeVoucher(ctx.channelId, { lane: 12n, nonce: 3n, amount: 77n, minSettleHeight: 99n });
    const tx = await sendVoucher(ctx, v, { signer: ctx.payee, submitter: ctx.payer });
    const digest = await ctx.channels.voucherDigest(v);
    const receipt = await mined(tx);
    const events = receipt.logs.map((log) => ctx.channels.interface.parseLog(log)!);
    expect(events.map((e) => e.name)).to.deep.equal(["VoucherRedeemed"]);
    expect([...events[0].args]).to.deep.equal([ctx.channelId, 12n, ctx.payer.address, digest, 3n, 77n, 77n, 0n, 99n]);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.payer, ctx.payee, ctx.channels], [0n, 0n, 0n]);
  });

  it("lets an ERC-1271 wallet be the payee: it submits through its own call, and signs for the payer", async () => {
    const ctx = await setup();
    const { wallet, address } = await deployWallet(ctx);
    const { channelId } = await openChannel(ctx, { payee: address, salt: ethers.id("to a wallet") });
    // The wallet submits a payer-signed voucher.
    const v = makeVoucher(channelId, { amount: 300n });
    const signature = await signVoucherAs(ctx.payer, ctx, v);
    await viaWallet(
      ctx,
      wallet,
      ctx.channels.interface.encodeFunctionData("updateChannelState", [channelId, v, signature, "0x"]),
    );
    expect((await channelView(ctx.channels, channelId)).toSend).to.equal(300n);
    // The payer submits a voucher the wallet (its owner) signed, lowering the amount.
    const lower = makeVoucher(channelId, { nonce: 2n, amount: 200n });
    await expect(sendVoucher(ctx, lower, { signer: ctx.payee, submitter: ctx.payer }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(channelId, address);
    await redeem(ctx, lower, { signer: ctx.walletOwner, submitter: ctx.payer });
    expect((await channelView(ctx.channels, channelId)).toSend).to.equal(200n);
    // The wallet's owner is not the payee: it cannot submit itself.
    await expect(sendVoucher(ctx, makeVoucher(channelId, { nonce: 3n }), { submitter: ctx.walletOwner }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NotParty")
      .withArgs(channelId, ctx.walletOwner.address);
  });
});
