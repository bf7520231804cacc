import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroAddress } from "ethers";

import {
  DEFAULT_SETTLE_DELAY,
  WalletMode,
  at,
  blacklistFixture,
  blockTime,
  deployWallet,
  loadChannelsFixture,
  makeVoucher,
  mined,
  openChannel,
  redeem,
  viaWallet,
  type BlacklistFixture,
  type ChannelsFixture,
} from "../../helpers/channels";

describe("PaymentChannels.withdraw", () => {
  /** Deferred payouts: 300 wei for a refusing wallet (native), 250 of the blacklist token for the payee. */
  async function deferredFixture() {
    const ctx = await blacklistFixture();
    const { wallet, address } = await deployWallet(ctx, WalletMode.Refuse);
    const native = await openChannel(ctx, { payee: address, token: ZeroAddress, amount: 1_000n });
    await redeem(ctx, makeVoucher(native.channelId, { amount: 300n }), {
      submitter: ctx.payer,
      signer: ctx.walletOwner,
    });
    const erc20 = await openChannel(ctx, { token: ctx.blacklistAddress, amount: 1_000n });
    await redeem(ctx, makeVoucher(erc20.channelId, { amount: 250n }));
    await ctx.blacklist.setBlacklisted(ctx.payee.address, true);
    for (const channelId of [native.channelId, erc20.channelId]) {
      const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(channelId)));
      await at(settledAt + DEFAULT_SETTLE_DELAY);
      await ctx.channels.connect(ctx.payer).collect(channelId);
    }
    return { ...ctx, wallet, walletAddress: address };
  }
  const setup = () => loadChannelsFixture(deferredFixture);
  const withdrawData = (ctx: ChannelsFixture, token: string, to: string) =>
    ctx.channels.interface.encodeFunctionData("withdraw", [token, to]);

  it("has the payouts deferred", async () => {
    const ctx = await setup();
    expect(await ctx.channels.deferredPayouts(ZeroAddress, ctx.walletAddress)).to.equal(300n);
    expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payee.address)).to.equal(250n);
  });

  it("reverts with PaymentChannels_NothingToWithdraw when the caller has nothing of the token", async () => {
    const ctx = await setup();
    const cases: Array<[string, string]> = [
      [ctx.stranger.address, ZeroAddress],
      [ctx.payer.address, ctx.blacklistAddress],
      // The payee has the blacklist token deferred, not the native coin nor the other token.
      [ctx.payee.address, ZeroAddress],
      [ctx.payee.address, ctx.tokenAddress],
    ];
    for (const [caller, token] of cases) {
      await expect(ctx.channels.connect(await ethers.getSigner(caller)).withdraw(token, caller))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NothingToWithdraw")
        .withArgs(token, caller);
    }
    // The wallet's owner has nothing: the payout is the wallet's.
    await expect(ctx.channels.connect(ctx.walletOwner).withdraw(ZeroAddress, ctx.walletOwner.address))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NothingToWithdraw")
      .withArgs(ZeroAddress, ctx.walletOwner.address);
  });

  it("reverts with PaymentChannels_NativeTransferFailed when `to` refuses the coin, keeping the payout", async () => {
    const ctx = await setup();
    await expect(viaWallet(ctx, ctx.wallet, withdrawData(ctx, ZeroAddress, ctx.walletAddress)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NativeTransferFailed")
      .withArgs(ctx.walletAddress, 300n);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, ctx.walletAddress)).to.equal(300n);
  });

  it("pays a native payout to another address, with Withdrawn, once", async () => {
    const ctx = await setup();
    const tx = await viaWallet(ctx, ctx.wallet, withdrawData(ctx, ZeroAddress, ctx.other.address));
    await expect(tx)
      .to.emit(ctx.channels, "Withdrawn")
      .withArgs(ZeroAddress, ctx.walletAddress, ctx.other.address, 300n);
    await expect(tx).to.changeEtherBalances([ctx.channels, ctx.other, ctx.walletAddress], [-300n, 300n, 0n]);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, ctx.walletAddress)).to.equal(0n);
    expect(await ethers.provider.getBalance(ctx.channelsAddress)).to.equal(0n);
    await expect(viaWallet(ctx, ctx.wallet, withdrawData(ctx, ZeroAddress, ctx.other.address)))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NothingToWithdraw")
      .withArgs(ZeroAddress, ctx.walletAddress);
  });

  it("pays the caller itself once it accepts", async () => {
    const ctx = await setup();
    await ctx.wallet.connect(ctx.walletOwner).setMode(WalletMode.Accept);
    const tx = await viaWallet(ctx, ctx.wallet, withdrawData(ctx, ZeroAddress, ctx.walletAddress));
    await expect(tx)
      .to.emit(ctx.channels, "Withdrawn")
      .withArgs(ZeroAddress, ctx.walletAddress, ctx.walletAddress, 300n);
    await expect(tx).to.changeEtherBalances([ctx.channels, ctx.walletAddress], [-300n, 300n]);
  });

  it("forwards all the gas: pays a recipient needing more than NATIVE_PAYOUT_GAS, fails for one burning all", async () => {
    const ctx = await setup();
    const deferTo = async (mode: number) => {
      const w = await deployWallet(ctx, mode);
      const { channelId } = await openChannel(ctx, { payee: w.address, token: ZeroAddress, amount: 10n });
      await redeem(ctx, makeVoucher(channelId, { amount: 10n }), { submitter: ctx.payer, signer: ctx.walletOwner });
      const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(channelId)));
      await at(settledAt + DEFAULT_SETTLE_DELAY);
      await expect(ctx.channels.connect(ctx.payer).collect(channelId))
        .to.emit(ctx.channels, "PayoutDeferred")
        .withArgs(ZeroAddress, w.address, 10n);
      return w;
    };
    // Six fresh storage writes (over 130_000 gas): too much for a payout, fine for a withdrawal.
    const heavy = await deferTo(WalletMode.Heavy);
    const tx = await viaWallet(ctx, heavy.wallet, withdrawData(ctx, ZeroAddress, heavy.address));
    await expect(tx).to.changeEtherBalances([ctx.channels, heavy.address], [-10n, 10n]);
    expect(await heavy.wallet.heavyCursor()).to.equal(6n);
    expect((await mined(tx)).gasUsed).to.be.greaterThan(await ctx.channels.NATIVE_PAYOUT_GAS());

    const burner = await deferTo(WalletMode.BurnGas);
    await expect(
      burner.wallet
        .connect(ctx.walletOwner)
        .execute(ctx.channelsAddress, withdrawData(ctx, ZeroAddress, burner.address), { gasLimit: 2_000_000n }),
    )
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NativeTransferFailed")
      .withArgs(burner.address, 10n);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, burner.address)).to.equal(10n);
  });

  it("reverts with the token's error when `to` may not receive the ERC20, keeping the payout", async () => {
    const ctx: BlacklistFixture & { walletAddress: string } = await setup();
    await expect(ctx.channels.connect(ctx.payee).withdraw(ctx.blacklistAddress, ctx.payee.address))
      .to.be.revertedWithCustomError(ctx.blacklist, "BlacklistERC20Mock_Blacklisted")
      .withArgs(ctx.payee.address);
    await ctx.blacklist.setReturnFalse(true);
    await expect(ctx.channels.connect(ctx.payee).withdraw(ctx.blacklistAddress, ctx.payee.address))
      .to.be.revertedWithCustomError(ctx.channels, "SafeERC20FailedOperation")
      .withArgs(ctx.blacklistAddress);
    expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payee.address)).to.equal(250n);
  });

  it("pays an ERC20 payout to another address, with Withdrawn, leaving other payouts as they are", async () => {
    const ctx = await setup();
    const tx = await ctx.channels.connect(ctx.payee).withdraw(ctx.blacklistAddress, ctx.other.address);
    await expect(tx)
      .to.emit(ctx.channels, "Withdrawn")
      .withArgs(ctx.blacklistAddress, ctx.payee.address, ctx.other.address, 250n);
    await expect(tx).to.changeTokenBalances(ctx.blacklist, [ctx.channels, ctx.other, ctx.payee], [-250n, 250n, 0n]);
    expect(await ctx.channels.deferredPayouts(ctx.blacklistAddress, ctx.payee.address)).to.equal(0n);
    expect(await ctx.channels.deferredPayouts(ZeroAddress, ctx.walletAddress)).to.equal(300n);
    await expect(ctx.channels.connect(ctx.payee).withdraw(ctx.blacklistAddress, ctx.other.address))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_NothingToWithdraw")
      .withArgs(ctx.blacklistAddress, ctx.payee.address);
  });
});
