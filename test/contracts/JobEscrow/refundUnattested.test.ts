import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ATTESTATION_WINDOW,
  JobStatus,
  MAX_PRICE,
  RefundReason,
  TIME_LIMIT,
  acceptedJob,
  at,
  completedJob,
  escrowFixture,
  loadEscrowFixture,
  openJob,
  send,
  signAttestation,
} from "../../helpers/escrow";

describe("JobEscrow.refundUnattested", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  it("reverts with JobEscrow_JobNotFound and JobEscrow_InvalidState", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    await expect(ctx.escrow.refundUnattested(id))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobNotFound")
      .withArgs(id);
    const open = await openJob(ctx);
    await expect(ctx.escrow.refundUnattested(open.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(open.jobId, JobStatus.Open);
    const attested = await completedJob(ctx);
    const att = { jobId: attested.jobId, bps: 5_000, runSeconds: 10n };
    await send(ctx.escrow.attest(att, attested.oracle, await signAttestation(ctx, attested.oracle, att)));
    await at((await ctx.escrow.completionTime(attested.jobId)) + ATTESTATION_WINDOW + 1n);
    await expect(ctx.escrow.refundUnattested(attested.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(attested.jobId, JobStatus.Attested);
  });

  it("reverts with JobEscrow_NotCompleted while an unreported job runs", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    const completesAt = (await ctx.escrow.getJob(job.jobId)).acceptedAt + TIME_LIMIT;
    await expect(ctx.escrow.refundUnattested(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NotCompleted")
      .withArgs(job.jobId, completesAt);
  });

  it("reverts with JobEscrow_DeadlineNotPassed while the window is open", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx);
    const deadline = (await ctx.escrow.completionTime(job.jobId)) + ATTESTATION_WINDOW;
    await expect(ctx.escrow.refundUnattested(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlineNotPassed")
      .withArgs(job.jobId, deadline);
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline)]);
    await expect(ctx.escrow.refundUnattested(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlineNotPassed")
      .withArgs(job.jobId, deadline);
  });

  it("refunds a reported and an unreported job after the window, once", async () => {
    const ctx = await setup();
    const reported = await completedJob(ctx);
    const unreported = await acceptedJob(ctx);
    const unreportedEnd = (await ctx.escrow.getJob(unreported.jobId)).acceptedAt + TIME_LIMIT;
    expect(await ctx.escrow.completionTime(unreported.jobId)).to.equal(unreportedEnd);
    await at(unreportedEnd + ATTESTATION_WINDOW + 1n);
    for (const job of [reported, unreported]) {
      const tx = ctx.escrow.connect(ctx.stranger).refundUnattested(job.jobId);
      await expect(tx)
        .to.emit(ctx.escrow, "JobRefunded")
        .withArgs(job.jobId, ctx.requester.address, MAX_PRICE, RefundReason.Unattested);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.escrow, ctx.requester, ctx.provider],
        [-MAX_PRICE, MAX_PRICE, 0n],
      );
      expect(await ctx.escrow.jobStatus(job.jobId)).to.equal(JobStatus.Refunded);
      await expect(ctx.escrow.refundUnattested(job.jobId))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
        .withArgs(job.jobId, JobStatus.Refunded);
    }
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });
});
