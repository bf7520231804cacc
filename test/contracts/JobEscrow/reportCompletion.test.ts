import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ACCEPTANCE_TIMEOUT,
  JobStatus,
  TIME_LIMIT,
  acceptedJob,
  at,
  blockTime,
  completedJob,
  escrowFixture,
  loadEscrowFixture,
  openJob,
  send,
  signAttestation,
} from "../../helpers/escrow";

describe("JobEscrow.reportCompletion", () => {
  const setup = () => loadEscrowFixture(escrowFixture);
  const acceptedAt = async (ctx: Awaited<ReturnType<typeof setup>>, jobId: string) =>
    (await ctx.escrow.getJob(jobId)).acceptedAt;

  it("reverts with JobEscrow_JobNotFound for an unknown job", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    await expect(ctx.escrow.connect(ctx.provider).reportCompletion(id, 1n))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobNotFound")
      .withArgs(id);
  });

  it("reverts with JobEscrow_InvalidState unless Accepted", async () => {
    const ctx = await setup();
    const open = await openJob(ctx);
    const completed = await completedJob(ctx);
    const refunded = await openJob(ctx);
    await at((await blockTime(refunded.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    await send(ctx.escrow.refundUnaccepted(refunded.jobId));
    const attested = await completedJob(ctx);
    const oracle = attested.oracle;
    const attestation = { jobId: attested.jobId, bps: 0, runSeconds: 0n };
    await send(ctx.escrow.attest(attestation, oracle, await signAttestation(ctx, oracle, attestation)));
    for (const [job, status] of [
      [open, JobStatus.Open],
      [completed, JobStatus.Completed],
      [refunded, JobStatus.Refunded],
      [attested, JobStatus.Attested],
    ] as const) {
      await expect(ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, 1n))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
        .withArgs(job.jobId, status);
    }
  });

  it("reverts with JobEscrow_Unauthorized for anyone but the provider", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    for (const caller of [ctx.requester, ctx.stranger]) {
      await expect(ctx.escrow.connect(caller).reportCompletion(job.jobId, 1n))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_Unauthorized")
        .withArgs(job.jobId, caller.address);
    }
  });

  it("reverts with JobEscrow_DeadlinePassed after the time limit", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    const deadline = (await acceptedAt(ctx, job.jobId)) + TIME_LIMIT;
    await at(deadline);
    await expect(ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, 1n))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlinePassed")
      .withArgs(job.jobId, deadline);
  });

  it("reverts with JobEscrow_RunTooLong above the time limit", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx);
    await expect(ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, TIME_LIMIT + 1n))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_RunTooLong")
      .withArgs(job.jobId, TIME_LIMIT + 1n, TIME_LIMIT);
  });

  it("records the report, emits JobCompleted and starts the window (0, the limit, at the deadline)", async () => {
    const ctx = await setup();
    for (const [runSeconds, atDeadline] of [
      [0n, false],
      [TIME_LIMIT, true],
      [600n, false],
    ] as const) {
      const job = await acceptedJob(ctx);
      expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(false);
      if (atDeadline) {
        const deadline = (await acceptedAt(ctx, job.jobId)) + TIME_LIMIT;
        await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline)]);
      }
      const tx = ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, runSeconds);
      await expect(tx).to.emit(ctx.escrow, "JobCompleted").withArgs(job.jobId, ctx.provider.address, runSeconds);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.provider], [0n, 0n]);
      const when = await blockTime((await (await tx).wait())!);
      const stored = await ctx.escrow.getJob(job.jobId);
      expect(stored.status).to.equal(JobStatus.Completed);
      expect(stored.completedAt).to.equal(when);
      expect(stored.reportedRunSeconds).to.equal(runSeconds);
      expect(await ctx.escrow.completionTime(job.jobId)).to.equal(when);
      expect(await ctx.escrow.isAttestable(job.jobId)).to.equal(true);
    }
  });
});
