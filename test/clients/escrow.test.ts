// The escrow clients (src/clients/escrow.ts) on the in-process chain: each party's calls, what they pay to the wei,
// refusals before anything is sent (naming the field) and reverts decoded to their custom error.
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";

import { JobEscrowClient, JobProviderClient, JobRequesterClient } from "../../src/clients/escrow";
import { AccordContractError } from "../../src/clients/errors";
import {
  contractOracleSet,
  encodeJobAttestationResponse,
  keyOracleSet,
  OUTCOMES,
  reportSigner,
  signAttestation,
  type OracleSet,
} from "../../src/escrow";
import { AccordValidationError } from "../../src/model/errors";
import {
  ACCEPTANCE_TIMEOUT,
  ATTESTATION_WINDOW,
  MAX_PRICE,
  PRICE_PER_MINUTE,
  TIME_LIMIT,
  escrowFixture,
  loadEscrowFixture,
  send,
  type EscrowFixture,
} from "../helpers/escrow";
import { oracleFixture } from "../helpers/job-oracle";
import { mine, signTaskResponse } from "../helpers/quorum";

async function rejects(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function validation(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await rejects(promise);
  expect(error).to.be.instanceOf(AccordValidationError);
  expect((error as AccordValidationError).field).to.equal(field);
}

async function reverted(promise: Promise<unknown>, errorName: string): Promise<void> {
  const error = await rejects(promise);
  expect(error).to.be.instanceOf(AccordContractError);
  expect((error as AccordContractError).errorName).to.equal(errorName);
}

describe("escrow clients", () => {
  type Clients = EscrowFixture & { req: JobRequesterClient; prov: JobProviderClient; anyone: JobEscrowClient };

  async function setup(): Promise<Clients> {
    const ctx = await loadEscrowFixture(escrowFixture);
    // A fresh requester without the fixture's unlimited approval, so open's own approval is exercised.
    await send(ctx.token.connect(ctx.requester).approve(ctx.escrowAddress, 0n));
    const options = { escrow: ctx.escrowAddress };
    return {
      ...ctx,
      req: new JobRequesterClient(ctx.requester, options),
      prov: new JobProviderClient(ctx.provider, options),
      anyone: new JobEscrowClient(ctx.stranger, options),
    };
  }

  const open = (ctx: Clients, oracle: OracleSet, maxPrice = MAX_PRICE) =>
    ctx.req.open({ machineId: ctx.machineId, timeLimit: TIME_LIMIT, maxPrice, oracle });

  it("opens with an exact approval, then runs a 2-of-3 job to its attested payout", async () => {
    const ctx = await setup();
    const set = keyOracleSet(ctx.oracles.slice(0, 3), 2);
    const before = await ctx.token.balanceOf(ctx.requester.address);
    const opened = await open(ctx, set);
    expect(opened.approval, "an approve was sent first").to.not.equal(undefined);
    expect(await ctx.token.allowance(ctx.requester.address, ctx.escrowAddress)).to.equal(0n);
    expect(opened.jobId).to.equal(await ctx.req.jobIdOf(opened.salt));
    expect(await ctx.anyone.getOracleSet(opened.jobId)).to.deep.equal(set);

    let job = await ctx.anyone.getJob(opened.jobId);
    expect(job).to.deep.include({
      statusName: "Open",
      requester: ctx.requester.address,
      provider: ctx.provider.address,
    });
    expect(job.maxPrice).to.equal(MAX_PRICE);
    expect(job.pricePerMinute).to.equal(PRICE_PER_MINUTE);

    await ctx.prov.accept(opened.jobId);
    await ctx.prov.reportCompletion(opened.jobId, 600n);
    const facts = await ctx.anyone.jobFacts(opened.jobId);
    expect(facts).to.deep.include({ status: "Completed", attestable: true, reportedRunSeconds: 600n });
    expect(facts.completesAt).to.equal(facts.job.completedAt);

    const attestation = { jobId: opened.jobId, bps: OUTCOMES.distribute75, runSeconds: 600n };
    const domain = await ctx.anyone.domain();
    // Signatures out of index order: the client places them.
    const signatures = await Promise.all(
      [ctx.oracles[2], ctx.oracles[0]].map((w) => signAttestation(w, attestation, domain)),
    );
    const providerBefore = await ctx.token.balanceOf(ctx.provider.address);
    const result = await ctx.anyone.attest(attestation, signatures);
    const quote = ctx.anyone.quote(job, attestation);
    expect(result.get("JobAttested").args.payout).to.equal(quote.payout);
    expect(await ctx.token.balanceOf(ctx.provider.address)).to.equal(providerBefore + quote.payout);
    expect(await ctx.token.balanceOf(ctx.requester.address)).to.equal(before - quote.payout);
    job = await ctx.anyone.getJob(opened.jobId);
    expect(job).to.deep.include({ statusName: "Attested", bps: 7500, runSeconds: 600n });
  });

  it("refuses bad input before sending, naming the field", async () => {
    const ctx = await setup();
    const set = keyOracleSet(ctx.oracles.slice(0, 1), 1);
    await validation(ctx.req.open({ machineId: "0x12", timeLimit: 1, maxPrice: 1n, oracle: set }), "machineId");
    await validation(ctx.req.open({ machineId: ctx.machineId, timeLimit: 0, maxPrice: 1n, oracle: set }), "timeLimit");
    await validation(ctx.req.open({ machineId: ctx.machineId, timeLimit: 1, maxPrice: 0n, oracle: set }), "maxPrice");
    await validation(
      ctx.req.open({ machineId: ctx.machineId, timeLimit: 1, maxPrice: 1n, oracle: { ...set, threshold: 2 } }),
      "threshold",
    );
    const opened = await open(ctx, set);
    await validation(ctx.prov.reportCompletion(opened.jobId, -1), "runSeconds");
    await validation(ctx.anyone.attest({ jobId: opened.jobId, bps: 10_001, runSeconds: 1n }, []), "bps");
    await validation(ctx.anyone.attest({ jobId: opened.jobId, bps: 1, runSeconds: 1n }, []), "signatures");
    const contractJob = await open(ctx, contractOracleSet(ctx.stranger.address));
    await validation(ctx.anyone.attest({ jobId: contractJob.jobId, bps: 1, runSeconds: 1n }, []), "oracle");
    expect(await ctx.token.balanceOf(ctx.escrowAddress)).to.equal(2n * MAX_PRICE);
  });

  it("decodes reverts to their custom errors", async () => {
    const ctx = await setup();
    const opened = await open(ctx, keyOracleSet(ctx.oracles.slice(0, 1), 1));
    await reverted(
      new JobProviderClient(ctx.stranger, { escrow: ctx.escrowAddress }).accept(opened.jobId),
      "JobEscrow_Unauthorized",
    );
    await reverted(ctx.anyone.refundUnaccepted(opened.jobId), "JobEscrow_DeadlineNotPassed");
    await reverted(ctx.prov.reportCompletion(opened.jobId, 1n), "JobEscrow_InvalidState");
    await reverted(ctx.anyone.withdraw(), "JobEscrow_NothingToWithdraw");
    const missing = `0x${"77".repeat(32)}`;
    await reverted(ctx.prov.accept(missing), "JobEscrow_JobNotFound");
    expect((await ctx.anyone.getJob(missing)).exists).to.equal(false);
  });

  it("refunds an unaccepted job and an unattested one in full", async () => {
    const ctx = await setup();
    const set = keyOracleSet(ctx.oracles.slice(0, 1), 1);
    const start = await ctx.token.balanceOf(ctx.requester.address);
    const unaccepted = await open(ctx, set);
    const unattested = await open(ctx, set);
    await ctx.prov.accept(unattested.jobId);
    await ctx.prov.reportCompletion(unattested.jobId, 60n);
    await time.increase(ACCEPTANCE_TIMEOUT + 1n);
    const refund = await ctx.anyone.refundUnaccepted(unaccepted.jobId);
    expect(refund.get("JobRefunded").args.amount).to.equal(MAX_PRICE);
    await time.increase(ATTESTATION_WINDOW + 1n);
    expect((await ctx.anyone.jobFacts(unattested.jobId)).attestable).to.equal(false);
    await ctx.anyone.refundUnattested(unattested.jobId);
    expect(await ctx.token.balanceOf(ctx.requester.address)).to.equal(start);
    expect((await ctx.anyone.getJob(unattested.jobId)).statusName).to.equal("Refunded");
  });

  it("a payout deferred to a blacklisted provider is withdrawn by it", async () => {
    const ctx = await setup();
    const set = keyOracleSet(ctx.oracles.slice(0, 1), 1);
    const opened = await open(ctx, set);
    await ctx.prov.accept(opened.jobId);
    await ctx.prov.reportCompletion(opened.jobId, 600n);
    await send(ctx.token.setBlacklisted(ctx.provider.address, true));
    const attestation = { jobId: opened.jobId, bps: OUTCOMES.withdraw, runSeconds: 600n };
    await ctx.anyone.attest(attestation, [
      await signAttestation(ctx.oracles[0], attestation, await ctx.anyone.domain()),
    ]);
    const owed = (PRICE_PER_MINUTE * 600n) / 60n;
    expect(await ctx.prov.deferredPayout()).to.equal(owed);
    await send(ctx.token.setBlacklisted(ctx.provider.address, false));
    const to = ctx.provider2.address;
    await ctx.prov.withdraw(to);
    expect(await ctx.token.balanceOf(to)).to.equal(owed);
    expect(await ctx.prov.deferredPayout()).to.equal(0n);
  });

  it("the provider's signed report names its signer", async () => {
    const ctx = await setup();
    const opened = await open(ctx, keyOracleSet(ctx.oracles.slice(0, 1), 1));
    const signed = await ctx.prov.signReport({ jobId: opened.jobId, exitCode: 0, runSeconds: 5n });
    expect(reportSigner(signed, await ctx.anyone.domain())).to.equal(ctx.provider.address);
    expect(signed.report.results).to.equal(`0x${"0".repeat(64)}`);
  });

  it("asks the operator quorum and applies its outcome (QuorumJobOracle)", async () => {
    const ctx = await oracleFixture();
    const client = new JobEscrowClient(ctx.quorum.stranger, {
      escrow: ctx.escrowAddress,
      jobOracle: ctx.oracleAddress,
    });
    expect(await client.quorumAttestationTask(ctx.jobId)).to.deep.equal({ taskId: `0x${"0".repeat(64)}`, attempts: 0 });
    const requested = await client.requestQuorumAttestation(ctx.jobId);
    expect(await client.quorumAttestationTask(ctx.jobId)).to.deep.equal({ taskId: requested.taskId, attempts: 1 });
    await reverted(client.requestQuorumAttestation(ctx.jobId), "QuorumJobOracle_AttestationPending");
    const outcome = { bps: OUTCOMES.distribute50, runSeconds: 600n };
    const body = encodeJobAttestationResponse(outcome);
    const task = await ctx.quorum.tasks.getTask(requested.taskId);
    const handle = {
      taskId: requested.taskId,
      referenceBlock: Number(task.referenceBlock),
      responseDeadline: task.responseDeadline,
      payload: "0x",
      receipt: requested.receipt as never,
    };
    const { signature } = await signTaskResponse(ctx.quorum, handle, body);
    await send(
      ctx.quorum.tasks.connect(ctx.quorum.operators[0].signer).respondToTask(requested.taskId, body, signature),
    );
    await mine();
    await reverted(
      client.applyQuorumAttestation(ctx.jobId, { bps: 1, runSeconds: 600n }),
      "QuorumJobOracle_ResponseMismatch",
    );
    const applied = await client.applyQuorumAttestation(ctx.jobId, outcome);
    expect(applied.get("AttestationApplied").args).to.deep.include({ bps: 5000n, runSeconds: 600n });
    expect((await client.getJob(ctx.jobId)).statusName).to.equal("Attested");
  });
});
