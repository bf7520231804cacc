import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ACCEPTANCE_TIMEOUT,
  JobStatus,
  MAX_PRICE,
  RefundReason,
  acceptedJob,
  at,
  blockTime,
  completedJob,
  escrowFixture,
  loadEscrowFixture,
  openJob,
  send,
} from "../../helpers/escrow";

describe("JobEscrow.accept / refundUnaccepted", () => {
  const setup = () => loadEscrowFixture(escrowFixture);
  const openedAt = async (receipt: Parameters<typeof blockTime>[0]) => blockTime(receipt);

  it("reverts with JobEscrow_JobNotFound for an unknown job", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    for (const call of [() => ctx.escrow.connect(ctx.provider).accept(id), () => ctx.escrow.refundUnaccepted(id)]) {
      await expect(call()).to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobNotFound").withArgs(id);
    }
  });

  it("reverts with JobEscrow_InvalidState when the job is not Open", async () => {
    const ctx = await setup();
    const accepted = await acceptedJob(ctx);
    const completed = await completedJob(ctx);
    const refunded = await openJob(ctx);
    await at((await openedAt(refunded.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    await send(ctx.escrow.refundUnaccepted(refunded.jobId));
    for (const [job, status] of [
      [accepted, JobStatus.Accepted],
      [completed, JobStatus.Completed],
      [refunded, JobStatus.Refunded],
    ] as const) {
      await expect(ctx.escrow.connect(ctx.provider).accept(job.jobId))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
        .withArgs(job.jobId, status);
      await expect(ctx.escrow.refundUnaccepted(job.jobId))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
        .withArgs(job.jobId, status);
    }
  });

  it("accept reverts with JobEscrow_Unauthorized for anyone but the provider", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    for (const caller of [ctx.requester, ctx.stranger, ctx.provider2]) {
      await expect(ctx.escrow.connect(caller).accept(job.jobId))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_Unauthorized")
        .withArgs(job.jobId, caller.address);
    }
  });

  it("accept reverts with JobEscrow_DeadlinePassed after the acceptance timeout", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    const deadline = (await openedAt(job.receipt)) + ACCEPTANCE_TIMEOUT;
    await at(deadline);
    await expect(ctx.escrow.connect(ctx.provider).accept(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlinePassed")
      .withArgs(job.jobId, deadline);
  });

  it("accept reverts with JobEscrow_MachineUnavailable when the machine went away", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    await send(ctx.registry.connect(ctx.provider).setAvailability(ctx.machineId, false));
    await expect(ctx.escrow.connect(ctx.provider).accept(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_MachineUnavailable")
      .withArgs(ctx.machineId);
    await send(ctx.registry.connect(ctx.provider).remove(ctx.machineId));
    await expect(ctx.escrow.connect(ctx.provider).accept(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_MachineUnavailable")
      .withArgs(ctx.machineId);
  });

  it("accept at the deadline sets Accepted and acceptedAt and emits JobAccepted", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    const deadline = (await openedAt(job.receipt)) + ACCEPTANCE_TIMEOUT;
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline)]);
    const tx = ctx.escrow.connect(ctx.provider).accept(job.jobId);
    await expect(tx).to.emit(ctx.escrow, "JobAccepted").withArgs(job.jobId, ctx.provider.address);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.provider, ctx.requester], [0n, 0n, 0n]);
    const stored = await ctx.escrow.getJob(job.jobId);
    expect(stored.status).to.equal(JobStatus.Accepted);
    expect(stored.acceptedAt).to.equal(deadline);
  });

  it("refundUnaccepted reverts with JobEscrow_DeadlineNotPassed up to the deadline", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    const deadline = (await openedAt(job.receipt)) + ACCEPTANCE_TIMEOUT;
    await expect(ctx.escrow.connect(ctx.requester).refundUnaccepted(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlineNotPassed")
      .withArgs(job.jobId, deadline);
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline)]);
    await expect(ctx.escrow.connect(ctx.requester).refundUnaccepted(job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlineNotPassed")
      .withArgs(job.jobId, deadline);
  });

  it("refundUnaccepted after the deadline (anyone) refunds maxPrice and emits JobRefunded", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    await at((await openedAt(job.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    const tx = ctx.escrow.connect(ctx.stranger).refundUnaccepted(job.jobId);
    await expect(tx)
      .to.emit(ctx.escrow, "JobRefunded")
      .withArgs(job.jobId, ctx.requester.address, MAX_PRICE, RefundReason.Unaccepted);
    await expect(tx).to.changeTokenBalances(ctx.token, [ctx.escrow, ctx.requester], [-MAX_PRICE, MAX_PRICE]);
    expect(await ctx.escrow.jobStatus(job.jobId)).to.equal(JobStatus.Refunded);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(0n);
  });

  it("refundUnaccepted defers the refund when the requester cannot receive", async () => {
    const ctx = await setup();
    const job = await openJob(ctx);
    await at((await openedAt(job.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    await send(ctx.token.setBlacklisted(ctx.requester.address, true));
    await expect(ctx.escrow.refundUnaccepted(job.jobId))
      .to.emit(ctx.escrow, "PayoutDeferred")
      .withArgs(ctx.requester.address, MAX_PRICE);
    expect(await ctx.escrow.deferredPayouts(ctx.requester.address)).to.equal(MAX_PRICE);
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(MAX_PRICE);
    expect(await ctx.escrow.jobStatus(job.jobId)).to.equal(JobStatus.Refunded);
  });
});
