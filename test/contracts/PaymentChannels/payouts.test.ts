import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroAddress } from "ethers";

import {
  DEFAULT_SETTLE_DELAY,
  FAR_FUTURE,
  WalletMode,
  at,
  blacklistFixture,
  blockTime,
  channelView,
  closeSignatures,
  deployWallet,
  loadChannelsFixture,
  makeVoucher,
  mined,
  openChannel,
  redeem,
  type ChannelsFixture,
} from "../../helpers/channels";

describe("PaymentChannels payouts (deferred when a transfer fails)", () => {
  const setup = () => loadChannelsFixture(blacklistFixture);

  /** Settles the channel (by the payer), and collects it at settlingAt (by the payer, with `gasLimit`). */
  async function collect(ctx: ChannelsFixture, channelId: string, gasLimit?: bigint) {
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(channelId)));
    await at(settledAt + DEFAULT_SETTLE_DELAY);
    return ctx.channels.connect(ctx.payer).collect(channelId, gasLimit === undefined ? {} : { gasLimit });
  }

  /** A native channel from the payer to a wallet in `mode`, owing it 300 of 1000 wei. */
  async function nativeToWallet(ctx: ChannelsFixture, mode: number) {
    const { wallet, address } = await deployWallet(ctx, mode);
    const { channelId } = await openChannel(ctx, { payee: address, token: ZeroAddress, amount: 1_000n });
    const v = makeVoucher(channelId, { amount: 300n });
    await redeem(ctx, v, { submitter: ctx.payer, signer: ctx.walletOwner });
    return { wallet, address, channelId };
  }

  it("keeps a refusing native payee's part and pays the payer, on collect", async () => {
    const ctx = await setup();
    const { address, channelId } = await nativeToWallet(ctx, WalletMode.Refuse);
    const tx = await collect(ctx, channelId);
    await expect(tx).to.emit(ctx.channels, "PayoutDeferred").withArgs(ZeroAddress, address, 300n);
    await expect(tx)
      .to.emit(ctx.channels, "ChannelCollected")
      .withArgs(channelId, ctx.payer.address, address, 300n, 700n);
    await expect(tx).to.changeEtherBalances([ctx.payer, address, ctx.channels], [700n, 0n, -700n]);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(300n);
    expect(await ethers.provider.getBalance(ctx.channelsAddress)).to.equal(300n);
    expect((await channelView(ctx.channels, channelId)).balance).to.equal(0n);
  });

  it("keeps a refusing native payee's part and pays the payer, on a cooperative close", async () => {
    const ctx = await setup();
    const { address, channelId } = await nativeToWallet(ctx, WalletMode.Refuse);
    const close = { channelId, toSend: 450n, deadline: FAR_FUTURE };
    const sigs = await closeSignatures(ctx, close, { payee: ctx.walletOwner });
    const tx = await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...sigs);
    await expect(tx).to.emit(ctx.channels, "PayoutDeferred").withArgs(ZeroAddress, address, 450n);
    await expect(tx).to.changeEtherBalances([ctx.payer, address, ctx.channels], [550n, 0n, -550n]);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(450n);
  });

  it("forwards at most NATIVE_PAYOUT_GAS to a payee that burns gas, defers its part, and pays the payer", async () => {
    const ctx = await setup();
    const { address, channelId } = await nativeToWallet(ctx, WalletMode.BurnGas);
    const gasCap = await ctx.channels.NATIVE_PAYOUT_GAS();
    expect(gasCap).to.equal(100_000n);
    const tx = await collect(ctx, channelId, 5_000_000n);
    const receipt = await mined(tx);
    expect(receipt.status).to.equal(1);
    // The payee's call took its 100_000 and no more: had it been given all the gas, it would have burned most of
    // the 5_000_000 (63/64 of what was left), not stayed under 1_000_000.
    expect(receipt.gasUsed).to.be.greaterThan(gasCap);
    expect(receipt.gasUsed).to.be.lessThan(1_000_000n);
    await expect(tx).to.emit(ctx.channels, "PayoutDeferred").withArgs(ZeroAddress, address, 300n);
    await expect(tx).to.changeEtherBalances([ctx.payer, address], [700n, 0n]);
  });

  it("pays a native payee and defers a refusing payer's part", async () => {
    const ctx = await setup();
    const { wallet, address } = await deployWallet(ctx, WalletMode.Refuse);
    const salt = ethers.id("refusing payer");
    const open = ctx.channels.interface.encodeFunctionData("open", [ctx.payee.address, ZeroAddress, salt, 900n, 0n]);
    await wallet.connect(ctx.walletOwner).execute(ctx.channelsAddress, open, { value: 900n });
    const channelId = await ctx.channels.channelIdOf(address, salt);
    await redeem(ctx, makeVoucher(channelId, { amount: 100n }), { signer: ctx.walletOwner });
    const close = { channelId, toSend: 100n, deadline: FAR_FUTURE };
    const tx = await ctx.channels.closeCooperatively(
      close,
      ...(await closeSignatures(ctx, close, { payer: ctx.walletOwner })),
    );
    await expect(tx).to.emit(ctx.channels, "PayoutDeferred").withArgs(ZeroAddress, address, 800n);
    await expect(tx).to.changeEtherBalances([ctx.payee, address, ctx.channels], [100n, 0n, -100n]);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(800n);
  });

  for (const returnFalse of [false, true]) {
    it(`defers a blacklisted ERC20 payee's part (the token ${returnFalse ? "returns false" : "reverts"}) and pays the payer`, async () => {
      const ctx = await setup();
      await ctx.blacklist.setReturnFalse(returnFalse);
      const { channelId } = await openChannel(ctx, { token: ctx.blacklistAddress, amount: 1_000n });
      await redeem(ctx, makeVoucher(channelId, { amount: 250n }));
      await ctx.blacklist.setBlacklisted(ctx.payee.address, true);
      const tx = await collect(ctx, channelId);
      await expect(tx).to.emit(ctx.channels, "PayoutDeferred").withArgs(ctx.blacklistAddress, ctx.payee.address, 250n);
      await expect(tx).to.changeTokenBalances(ctx.blacklist, [ctx.payer, ctx.payee, ctx.channels], [750n, 0n, -750n]);
      expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payee.address)).to.equal(250n);
      expect(await ctx.channels.deferredPayouts(ZeroAddress, ctx.payee.address)).to.equal(0n);
      expect(await ctx.blacklist.balanceOf(ctx.channelsAddress)).to.equal(250n);
    });
  }

  it("defers both parts when both refuse, the payee's first, and adds failed payouts up per token", async () => {
    const ctx = await setup();
    const ids: string[] = [];
    for (const amount of [1_000n, 500n]) {
      ids.push((await openChannel(ctx, { token: ctx.blacklistAddress, amount })).channelId);
    }
    await redeem(ctx, makeVoucher(ids[0], { amount: 100n }));
    await redeem(ctx, makeVoucher(ids[1], { amount: 200n }));
    await ctx.blacklist.setBlacklisted(ctx.payer.address, true);
    await ctx.blacklist.setBlacklisted(ctx.payee.address, true);
    const close = { channelId: ids[0], toSend: 100n, deadline: FAR_FUTURE };
    const receipt = await mined(ctx.channels.closeCooperatively(close, ...(await closeSignatures(ctx, close))));
    const deferred = receipt.logs
      .map((log) => ctx.channels.interface.parseLog(log))
      .filter((e) => e?.name === "PayoutDeferred")
      .map((e): unknown[] => [...(e!.args as unknown as unknown[])]);
    expect(deferred).to.deep.equal([
      [ctx.blacklistAddress, ctx.payee.address, 100n],
      [ctx.blacklistAddress, ctx.payer.address, 900n],
    ]);
    await collect(ctx, ids[1]);
    expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payee.address)).to.equal(300n);
    expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payer.address)).to.equal(1_200n);
    expect(await ctx.channels.deferredPayouts(ctx.tokenAddress, ctx.payer.address)).to.equal(0n);
    expect(await ctx.blacklist.balanceOf(ctx.channelsAddress)).to.equal(1_500n);
  });

  it("neither transfers nor defers a zero payout", async () => {
    const ctx = await setup();
    const { wallet, address, channelId } = await nativeToWallet(ctx, WalletMode.Refuse);
    await redeem(ctx, makeVoucher(channelId, { nonce: 2n, amount: 0n }), {
      submitter: ctx.payer,
      signer: ctx.walletOwner,
    });
    const tx = await collect(ctx, channelId);
    await expect(tx).to.not.emit(ctx.channels, "PayoutDeferred");
    await expect(tx).to.changeEtherBalances([ctx.payer, address], [1_000n, 0n]);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(0n);
    expect(await wallet.mode()).to.equal(BigInt(WalletMode.Refuse));
  });
});
