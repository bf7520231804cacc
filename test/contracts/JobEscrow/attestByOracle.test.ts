import { expect } from "chai";
import { ethers } from "hardhat";

import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  JobStatus,
  MAX_PRICE,
  TIME_LIMIT,
  acceptedJob,
  at,
  blockTime,
  completedJob,
  contractSet,
  escrowFixture,
  loadEscrowFixture,
  openJob,
  quoteOf,
  send,
} from "../../helpers/escrow";

describe("JobEscrow.attestByOracle", () => {
  const setup = () => loadEscrowFixture(escrowFixture);
  type Ctx = Awaited<ReturnType<typeof setup>>;
  const oracleOf = (ctx: Ctx) => contractSet(ctx.stranger.address);
  const byOracle = (ctx: Ctx, jobId: string, bps = 10_000, runSeconds = 600n) =>
    ctx.escrow.connect(ctx.stranger).attestByOracle(jobId, bps, runSeconds);

  it("reverts with JobEscrow_JobNotFound, then InvalidState", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    await expect(byOracle(ctx, id)).to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_JobNotFound").withArgs(id);
    const open = await openJob(ctx, { oracle: oracleOf(ctx) });
    await expect(byOracle(ctx, open.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(open.jobId, JobStatus.Open);
    await at((await blockTime(open.receipt)) + ACCEPTANCE_TIMEOUT + 1n);
    await send(ctx.escrow.refundUnaccepted(open.jobId));
    await expect(byOracle(ctx, open.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(open.jobId, JobStatus.Refunded);
  });

  it("reverts with JobEscrow_NotCompleted and JobEscrow_DeadlinePassed", async () => {
    const ctx = await setup();
    const job = await acceptedJob(ctx, { oracle: oracleOf(ctx) });
    const completesAt = (await ctx.escrow.getJob(job.jobId)).acceptedAt + TIME_LIMIT;
    await expect(byOracle(ctx, job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_NotCompleted")
      .withArgs(job.jobId, completesAt);
    await at(completesAt + ATTESTATION_WINDOW);
    await expect(byOracle(ctx, job.jobId))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_DeadlinePassed")
      .withArgs(job.jobId, completesAt + ATTESTATION_WINDOW);
  });

  it("reverts with JobEscrow_InvalidBps and JobEscrow_RunTooLong", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: oracleOf(ctx) });
    await expect(byOracle(ctx, job.jobId, 10_001))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidBps")
      .withArgs(10_001);
    await expect(byOracle(ctx, job.jobId, 0, TIME_LIMIT + 1n))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_RunTooLong")
      .withArgs(job.jobId, TIME_LIMIT + 1n, TIME_LIMIT);
  });

  it("reverts with JobEscrow_Unauthorized for anyone but the job's oracle contract", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: oracleOf(ctx) });
    for (const caller of [ctx.requester, ctx.provider, ctx.deployer]) {
      await expect(ctx.escrow.connect(caller).attestByOracle(job.jobId, 10_000, 600n))
        .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_Unauthorized")
        .withArgs(job.jobId, caller.address);
    }
    // A key set's signer cannot use it either.
    const keyed = await completedJob(ctx);
    const signer = await ethers.getImpersonatedSigner(ctx.oracles[0].address);
    await ctx.deployer.sendTransaction({ to: signer.address, value: 10n ** 18n });
    await expect(ctx.escrow.connect(signer).attestByOracle(keyed.jobId, 10_000, 600n))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_Unauthorized")
      .withArgs(keyed.jobId, signer.address);
  });

  it("pays as attest does and emits JobAttested", async () => {
    const ctx = await setup();
    const job = await completedJob(ctx, 600n, { oracle: oracleOf(ctx) });
    const { payout, refund } = quoteOf(MAX_PRICE, ctx.spec.pricePerMinute, 900n, 7_500n);
    const tx = byOracle(ctx, job.jobId, 7_500, 900n);
    await expect(tx).to.emit(ctx.escrow, "JobAttested").withArgs(job.jobId, 7_500, 900n, payout, refund);
    await expect(tx).to.changeTokenBalances(
      ctx.token,
      [ctx.escrow, ctx.provider, ctx.requester],
      [-MAX_PRICE, payout, refund],
    );
    expect(await ctx.escrow.jobStatus(job.jobId)).to.equal(JobStatus.Attested);
  });
});
