import { expect } from "chai";
import { ZeroAddress } from "ethers";

import {
  MAX_PRICE,
  completedJob,
  escrowFixture,
  loadEscrowFixture,
  quoteOf,
  send,
  signAttestation,
} from "../../helpers/escrow";

describe("JobEscrow deferred payouts and withdraw", () => {
  /** A job attested at 5000 bps over 600 s with the provider blacklisted: its payout deferred. */
  async function deferredFixture() {
    const ctx = await escrowFixture();
    const job = await completedJob(ctx);
    const att = { jobId: job.jobId, bps: 5_000, runSeconds: 600n };
    const signatures = await signAttestation(ctx, job.oracle, att);
    await send(ctx.token.setBlacklisted(ctx.provider.address, true));
    const tx = ctx.escrow.attest(att, job.oracle, signatures);
    const { payout, refund } = quoteOf(MAX_PRICE, ctx.spec.pricePerMinute, 600n, 5_000n);
    await send(tx);
    return { ...ctx, job, payout, refund };
  }
  const setup = () => loadEscrowFixture(deferredFixture);

  it("defers the failed payout and still pays the other party", async () => {
    const ctx = await setup();
    expect(await ctx.escrow.deferredPayouts(ctx.provider.address)).to.equal(ctx.payout);
    expect(await ctx.escrow.deferredPayouts(ctx.requester.address)).to.equal(0n);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(ctx.payout);
    // The event, on a second such job, in returnFalse mode (the other failure style).
    await send(ctx.token.setBlacklisted(ctx.provider.address, false));
    const job = await completedJob(ctx);
    await send(ctx.token.setBlacklisted(ctx.requester.address, true));
    await send(ctx.token.setReturnFalse(true));
    const att = { jobId: job.jobId, bps: 5_000, runSeconds: 600n };
    const tx = ctx.escrow.attest(att, job.oracle, await signAttestation(ctx, job.oracle, att));
    await expect(tx).to.emit(ctx.escrow, "PayoutDeferred").withArgs(ctx.requester.address, ctx.refund);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.provider, ctx.requester], [ctx.payout, 0n]);
    expect(await ctx.escrow.deferredPayouts(ctx.requester.address)).to.equal(ctx.refund);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(ctx.payout + ctx.refund);
  });

  it("reverts with JobEscrow_NothingToWithdraw and JobEscrow_ZeroAddress", async () => {
    const ctx = await setup();
    for (const caller of [ctx.requester, ctx.stranger]) {
      await expect(ctx.escrow.connect(caller).withdraw(caller.address))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NothingToWithdraw")
        .withArgs(caller.address);
    }
    await expect(ctx.escrow.connect(ctx.provider).withdraw(ZeroAddress)).to.be.revertedWithCustomError(
      ctx.escrow,
      "JobEscrow_ZeroAddress",
    );
  });

  it("reverts with the token's error when `to` cannot receive, keeping the payout", async () => {
    const ctx = await setup();
    await expect(ctx.escrow.connect(ctx.provider).withdraw(ctx.provider.address))
      .to.be.revertedWithCustomError(ctx.token, "BlacklistERC20Mock_Blacklisted")
      .withArgs(ctx.provider.address);
    expect(await ctx.escrow.deferredPayouts(ctx.provider.address)).to.equal(ctx.payout);
  });

  it("pays the whole amount to `to`, zeroes it and emits Withdrawn, once", async () => {
    const ctx = await setup();
    const tx = ctx.escrow.connect(ctx.provider).withdraw(ctx.stranger.address);
    await expect(tx).to.emit(ctx.escrow, "Withdrawn").withArgs(ctx.provider.address, ctx.stranger.address, ctx.payout);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.stranger], [-ctx.payout, ctx.payout]);
    expect(await ctx.escrow.deferredPayouts(ctx.provider.address)).to.equal(0n);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
    await expect(ctx.escrow.connect(ctx.provider).withdraw(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NothingToWithdraw")
      .withArgs(ctx.provider.address);
  });
});
