import { expect } from "chai";
import { ethers } from "hardhat";
import { MaxUint256, ZeroAddress } from "ethers";

import type { PaymentChannels, ReentrantERC20Mock } from "../../../typechain-types";
import {
  DEFAULT_SETTLE_DELAY,
  FAR_FUTURE,
  FUNDING,
  WalletMode,
  at,
  blockTime,
  channelView,
  closeSignatures,
  deployChannelsFixture,
  deployWallet,
  loadChannelsFixture,
  makeVoucher,
  mined,
  openChannel,
  redeem,
  viaWallet,
  type ChannelsFixture,
} from "../../helpers/channels";

interface ReentrantFixture extends ChannelsFixture {
  hook: ReentrantERC20Mock;
  hookAddress: string;
  /** A channel in the hooking token, owing the payee 300 of 1000. */
  channelId: string;
}

async function reentrantFixture(): Promise<ReentrantFixture> {
  const ctx = await deployChannelsFixture();
  const hook = await ethers.deployContract("ReentrantERC20Mock");
  const hookAddress = await hook.getAddress();
  for (const account of [ctx.payer, ctx.payee, ctx.stranger]) {
    await hook.mint(account.address, FUNDING);
    await hook.connect(account).approve(ctx.channelsAddress, MaxUint256);
  }
  const { channelId } = await openChannel(ctx, { token: hookAddress, amount: 1_000n });
  await redeem(ctx, makeVoucher(channelId, { amount: 300n }));
  return { ...ctx, hook, hookAddress, channelId };
}

/** Calls into every guarded function (any arguments will do: the guard reverts first). */
function guardedCalls(channels: PaymentChannels, channelId: string, to: string): Array<[string, string]> {
  const i = channels.interface;
  const close = { channelId, toSend: 0n, deadline: FAR_FUTURE };
  return [
    ["open", i.encodeFunctionData("open", [to, ZeroAddress, ethers.id("reentry"), 1n, 0n])],
    ["fund", i.encodeFunctionData("fund", [channelId, 1n])],
    ["collect", i.encodeFunctionData("collect", [channelId])],
    ["closeCooperatively", i.encodeFunctionData("closeCooperatively", [close, "0x", "0x"])],
    ["withdraw", i.encodeFunctionData("withdraw", [ZeroAddress, to])],
  ];
}

describe("PaymentChannels re-entrancy", () => {
  const setup = () => loadChannelsFixture(reentrantFixture);
  const guardSelector = (ctx: ChannelsFixture) =>
    ctx.channels.interface.getError("ReentrancyGuardReentrantCall")!.selector;

  async function expectTokenGuarded(ctx: ReentrantFixture, name: string) {
    expect(await ctx.hook.reentered(), `${name}: the hook ran`).to.equal(true);
    expect(await ctx.hook.reentrySucceeded(), `${name}: the re-entrant call failed`).to.equal(false);
    expect(await ctx.hook.reentryReturnData(), name).to.equal(guardSelector(ctx));
  }

  async function settleAndWait(ctx: ChannelsFixture, channelId: string) {
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(channelId)));
    await at(settledAt + DEFAULT_SETTLE_DELAY);
  }

  it("refuses every guarded call from a token hook during open's and fund's pull, and completes them", async () => {
    const template = await setup();
    for (const [name, data] of guardedCalls(template.channels, template.channelId, template.payee.address)) {
      const ctx = await setup();
      await ctx.hook.arm(ctx.channelsAddress, data);
      const opened = await openChannel(ctx, { token: ctx.hookAddress, amount: 500n });
      await expectTokenGuarded(ctx, `open / ${name}`);
      await expect(opened.tx).to.changeTokenBalances(ctx.hook, [ctx.payer, ctx.channels], [-500n, 500n]);
      expect((await channelView(ctx.channels, opened.channelId)).balance).to.equal(500n);

      await ctx.hook.arm(ctx.channelsAddress, data);
      const funded = await ctx.channels.connect(ctx.stranger).fund(ctx.channelId, 70n);
      await expectTokenGuarded(ctx, `fund / ${name}`);
      await expect(funded).to.changeTokenBalances(ctx.hook, [ctx.stranger, ctx.channels], [-70n, 70n]);
      expect((await channelView(ctx.channels, ctx.channelId)).balance).to.equal(1_070n);
    }
  });

  it("refuses every guarded call from a token hook during collect's payout, and pays both", async () => {
    const template = await setup();
    for (const [name, data] of guardedCalls(template.channels, template.channelId, template.payee.address)) {
      const ctx = await setup();
      await settleAndWait(ctx, ctx.channelId);
      await ctx.hook.arm(ctx.channelsAddress, data);
      const tx = await ctx.channels.connect(ctx.payee).collect(ctx.channelId);
      await expectTokenGuarded(ctx, `collect / ${name}`);
      await expect(tx).to.not.emit(ctx.channels, "PayoutDeferred");
      await expect(tx).to.changeTokenBalances(ctx.hook, [ctx.payee, ctx.payer, ctx.channels], [300n, 700n, -1_000n]);
    }
  });

  it("refuses every guarded call from a token hook during closeCooperatively's payout, and pays both", async () => {
    const template = await setup();
    for (const [name, data] of guardedCalls(template.channels, template.channelId, template.payee.address)) {
      const ctx = await setup();
      const close = { channelId: ctx.channelId, toSend: 600n, deadline: FAR_FUTURE };
      const sigs = await closeSignatures(ctx, close);
      await ctx.hook.arm(ctx.channelsAddress, data);
      const tx = await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...sigs);
      await expectTokenGuarded(ctx, `closeCooperatively / ${name}`);
      await expect(tx).to.changeTokenBalances(ctx.hook, [ctx.payee, ctx.payer, ctx.channels], [600n, 400n, -1_000n]);
    }
  });

  it("refuses every guarded call from a native payee while it is paid, and pays it; settle sees the channel closed", async () => {
    const template = await setup();
    const calls = guardedCalls(template.channels, template.channelId, template.payee.address);
    const settleSame = (channelId: string) => template.channels.interface.encodeFunctionData("settle", [channelId]);
    for (const [name, data] of [...calls, ["settle (same channel)", ""] as [string, string]]) {
      const ctx = await setup();
      const { wallet, address } = await deployWallet(ctx);
      const { channelId } = await openChannel(ctx, { payee: address, token: ZeroAddress, amount: 1_000n });
      await redeem(ctx, makeVoucher(channelId, { amount: 300n }), { submitter: ctx.payer, signer: ctx.walletOwner });
      await wallet.connect(ctx.walletOwner).arm(ctx.channelsAddress, data === "" ? settleSame(channelId) : data);
      await settleAndWait(ctx, channelId);
      const tx = await ctx.channels.connect(ctx.payer).collect(channelId);
      const reentry = await wallet.reentry();
      expect(reentry.reentered, name).to.equal(true);
      expect(reentry.succeeded, name).to.equal(false);
      const expected =
        data === "" ? ctx.channels.interface.getError("PaymentChannels_ChannelClosed")!.selector : guardSelector(ctx);
      expect(reentry.selector, name).to.equal(expected);
      await expect(tx).to.not.emit(ctx.channels, "PayoutDeferred");
      await expect(tx).to.changeEtherBalances([address, ctx.payer, ctx.channels], [300n, 700n, -1_000n]);
    }
  });

  it("refuses every guarded call from a native recipient during withdraw, and pays it once", async () => {
    const template = await setup();
    for (const [name, data] of guardedCalls(template.channels, template.channelId, template.payee.address)) {
      const ctx = await setup();
      const { wallet, address } = await deployWallet(ctx, WalletMode.Refuse);
      const { channelId } = await openChannel(ctx, { payee: address, token: ZeroAddress, amount: 1_000n });
      await redeem(ctx, makeVoucher(channelId, { amount: 300n }), { submitter: ctx.payer, signer: ctx.walletOwner });
      await settleAndWait(ctx, channelId);
      await ctx.channels.connect(ctx.payer).collect(channelId);
      expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(300n);
      await wallet.connect(ctx.walletOwner).arm(ctx.channelsAddress, data);
      const withdraw = ctx.channels.interface.encodeFunctionData("withdraw", [ZeroAddress, address]);
      const tx = await viaWallet(ctx, wallet, withdraw);
      const reentry = await wallet.reentry();
      expect([reentry.reentered, reentry.succeeded, reentry.selector], name).to.deep.equal([
        true,
        false,
        guardSelector(ctx),
      ]);
      await expect(tx).to.changeEtherBalances([address, ctx.channels], [300n, -300n]);
      expect(await ctx.channels.deferredPayouts(ZeroAddress, address)).to.equal(0n);
    }
  });
});
