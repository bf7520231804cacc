import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";

import {
  ATTESTATION_WINDOW,
  JobStatus,
  MAX_PRICE,
  PRICE_PER_MINUTE,
  TIME_LIMIT,
  contractSet,
  keySet,
  oracleWallets,
  quoteOf,
} from "../../helpers/escrow";
import { TaskStatus, send, signTaskResponse, type TaskHandle } from "../../helpers/quorum";
import { WINDOW, oracleFixture } from "../../helpers/job-oracle";

const coder = AbiCoder.defaultAbiCoder();
const response = (bps: bigint | number, runSeconds: bigint) => coder.encode(["uint16", "uint64"], [bps, runSeconds]);

describe("QuorumJobOracle", () => {
  const setup = () => loadFixture(oracleFixture);
  type Ctx = Awaited<ReturnType<typeof oracleFixture>>;

  async function request(ctx: Ctx, jobId = ctx.jobId): Promise<TaskHandle> {
    const receipt = await send(ctx.oracle.connect(ctx.quorum.stranger).requestAttestation(jobId));
    const [taskId] = await ctx.oracle.attestationTask(jobId);
    const task = await ctx.quorum.tasks.getTask(taskId);
    return {
      taskId,
      referenceBlock: Number(task.referenceBlock),
      responseDeadline: task.responseDeadline,
      payload: "0x",
      receipt,
    };
  }

  async function answer(ctx: Ctx, task: TaskHandle, body: string, aggregator = ctx.quorum.operators[0]) {
    const { signature } = await signTaskResponse(ctx.quorum, task, body);
    await send(ctx.quorum.tasks.connect(aggregator.signer).respondToTask(task.taskId, body, signature));
  }

  it("the constructor refuses zero addresses, a bad threshold and a bad window", async () => {
    const ctx = await setup();
    const factory = await ethers.getContractFactory("QuorumJobOracle");
    const tasks = ctx.quorum.tasksAddress;
    for (const [e, t] of [
      [ZeroAddress, tasks],
      [ctx.escrowAddress, ZeroAddress],
    ]) {
      await expect(factory.deploy(e, t, 0, 67, WINDOW)).to.be.revertedWithCustomError(
        ctx.oracle,
        "QuorumJobOracle_ZeroAddress",
      );
    }
    for (const threshold of [0, 101]) {
      await expect(factory.deploy(ctx.escrowAddress, tasks, 0, threshold, WINDOW))
        .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_InvalidThreshold")
        .withArgs(threshold);
    }
    for (const window of [59n, 7n * 24n * 3600n + 1n]) {
      await expect(factory.deploy(ctx.escrowAddress, tasks, 0, 67, window))
        .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_InvalidResponseWindow")
        .withArgs(window);
    }
    expect(await ctx.oracle.escrow()).to.equal(ctx.escrowAddress);
    expect(await ctx.oracle.taskManager()).to.equal(tasks);
    expect(await ctx.oracle.quorum()).to.equal(0n);
    expect(await ctx.oracle.thresholdPercent()).to.equal(67n);
    expect(await ctx.oracle.responseWindow()).to.equal(WINDOW);
  });

  it("requestAttestation reverts with QuorumJobOracle_NotJobOracle for another set or no job", async () => {
    const ctx = await setup();
    const keyed = await ctx.openJob(keySet(oracleWallets(1), 1));
    const other = await ctx.openJob(contractSet(ctx.quorum.stranger.address));
    for (const id of [keyed, other, ethers.id("none")]) {
      await expect(ctx.oracle.requestAttestation(id))
        .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_NotJobOracle")
        .withArgs(id);
    }
  });

  it("requestAttestation reverts with QuorumJobOracle_NotAttestable unless the job awaits attestation", async () => {
    const ctx = await setup();
    const open = await ctx.openJob();
    await expect(ctx.oracle.requestAttestation(open))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_NotAttestable")
      .withArgs(open, JobStatus.Open);
    await send(ctx.escrow.connect(ctx.provider).accept(open));
    await expect(ctx.oracle.requestAttestation(open))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_NotAttestable")
      .withArgs(open, JobStatus.Accepted);
    await time.increase(TIME_LIMIT + ATTESTATION_WINDOW + 10n);
    await expect(ctx.oracle.requestAttestation(ctx.jobId))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_NotAttestable")
      .withArgs(ctx.jobId, JobStatus.Completed);
  });

  it("requestAttestation creates the quorum's task and emits AttestationRequested", async () => {
    const ctx = await setup();
    const salt = keccak256(coder.encode(["bytes32", "uint32"], [ctx.jobId, 0]));
    const taskId = await ctx.quorum.tasks.taskId(ctx.oracleAddress, salt);
    const payload = coder.encode(
      ["bytes32", "bytes32", "address", "address", "uint64"],
      [ctx.jobId, ctx.machineId, ctx.requester.address, ctx.provider.address, 600n],
    );
    const tx = ctx.oracle.connect(ctx.quorum.stranger).requestAttestation(ctx.jobId);
    await expect(tx).to.emit(ctx.oracle, "AttestationRequested").withArgs(ctx.jobId, taskId, 0);
    await expect(tx).to.emit(ctx.quorum.tasks, "TaskCreated");
    const task = await ctx.quorum.tasks.getTask(taskId);
    expect(task.creator).to.equal(ctx.oracleAddress);
    expect(task.quorum).to.equal(0n);
    expect(task.thresholdPercent).to.equal(67n);
    expect(task.verifier).to.equal(ZeroAddress);
    expect(task.payloadHash).to.equal(keccak256(payload));
    expect(task.responseDeadline - task.createdAt).to.equal(WINDOW);
    expect(await ctx.oracle.attestationTask(ctx.jobId)).to.deep.equal([taskId, 1n]);
  });

  it("requestAttestation reverts with _AttestationPending while open or answered, and retries an expired task", async () => {
    const ctx = await setup();
    const first = await request(ctx);
    await expect(ctx.oracle.requestAttestation(ctx.jobId))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_AttestationPending")
      .withArgs(ctx.jobId, first.taskId, TaskStatus.Open);
    await time.increaseTo(first.responseDeadline + 1n);
    await expect(ctx.oracle.applyAttestation(ctx.jobId, response(10_000, 600n)))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_AttestationNotFinal")
      .withArgs(first.taskId);
    const second = await request(ctx);
    expect(second.taskId).to.not.equal(first.taskId);
    expect((await ctx.oracle.attestationTask(ctx.jobId))[1]).to.equal(2n);
    await answer(ctx, second, response(10_000, 600n));
    await expect(ctx.oracle.requestAttestation(ctx.jobId))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_AttestationPending")
      .withArgs(ctx.jobId, second.taskId, TaskStatus.Responded);
    await send(ctx.oracle.applyAttestation(ctx.jobId, response(10_000, 600n)));
    expect(await ctx.escrow.jobStatus(ctx.jobId)).to.equal(JobStatus.Attested);
  });

  it("applyAttestation reverts with _NoAttestationTask, _AttestationNotFinal, _ResponseMismatch, _InvalidResponse", async () => {
    const ctx = await setup();
    await expect(ctx.oracle.applyAttestation(ctx.jobId, response(0, 0n)))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_NoAttestationTask")
      .withArgs(ctx.jobId);
    const task = await request(ctx);
    await expect(ctx.oracle.applyAttestation(ctx.jobId, response(0, 0n)))
      .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_AttestationNotFinal")
      .withArgs(task.taskId);
    const bad = [
      coder.encode(["uint16"], [5_000]),
      coder.encode(["uint256", "uint64"], [2n ** 16n, 600n]),
      coder.encode(["uint16", "uint256"], [5_000, 2n ** 64n]),
    ];
    for (const body of bad) {
      const again = await ctx.completedJob();
      const t = await request(ctx, again);
      await answer(ctx, t, body);
      await expect(ctx.oracle.applyAttestation(again, response(5_000, 600n)))
        .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_ResponseMismatch")
        .withArgs(t.taskId);
      await expect(ctx.oracle.applyAttestation(again, body))
        .to.be.revertedWithCustomError(ctx.oracle, "QuorumJobOracle_InvalidResponse")
        .withArgs(t.taskId);
    }
  });

  it("applyAttestation passes the escrow's refusals through", async () => {
    const ctx = await setup();
    const task = await request(ctx);
    await answer(ctx, task, response(10_001, 600n));
    await expect(ctx.oracle.applyAttestation(ctx.jobId, response(10_001, 600n)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidBps")
      .withArgs(10_001);
    const long = await ctx.completedJob();
    const t = await request(ctx, long);
    await answer(ctx, t, response(10_000, TIME_LIMIT + 1n));
    await expect(ctx.oracle.applyAttestation(long, response(10_000, TIME_LIMIT + 1n)))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_RunTooLong")
      .withArgs(long, TIME_LIMIT + 1n, TIME_LIMIT);
  });

  it("applies the quorum's outcome end to end, once", async () => {
    const ctx = await setup();
    const aggregator = ctx.quorum.operators[1];
    const task = await request(ctx);
    const body = response(7_500, 900n);
    await answer(ctx, task, body, aggregator);
    const { payout, refund } = quoteOf(MAX_PRICE, PRICE_PER_MINUTE, 900n, 7_500n);
    const tx = ctx.oracle.connect(ctx.quorum.stranger).applyAttestation(ctx.jobId, body);
    await expect(tx)
      .to.emit(ctx.oracle, "AttestationApplied")
      .withArgs(ctx.jobId, task.taskId, aggregator.address, 7_500, 900n);
    await expect(tx).to.emit(ctx.escrow, "JobAttested").withArgs(ctx.jobId, 7_500, 900n, payout, refund);
    await expect(tx).to.changeTokenBalances(
      ctx.quorum.token,
      [ctx.escrowAddress, ctx.provider.address, ctx.requester.address, ctx.oracleAddress],
      [-MAX_PRICE, payout, refund, 0n],
    );
    await expect(ctx.oracle.applyAttestation(ctx.jobId, body))
      .to.be.revertedWithCustomError(ctx.escrow, "JobEscrow_InvalidState")
      .withArgs(ctx.jobId, JobStatus.Attested);
  });
});
