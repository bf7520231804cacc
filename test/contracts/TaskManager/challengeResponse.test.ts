import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, ZeroAddress } from "ethers";

import {
  AGGREGATOR_SLOT,
  CHALLENGE_WINDOW,
  TaskStatus,
  createTask,
  loadQuorumFixture,
  quorumFixture,
  send,
  signTaskResponse,
  squarePayload,
  squareResponse,
  type QuorumFixture,
} from "../../helpers/quorum";

const coder = AbiCoder.defaultAbiCoder();

describe("TaskManager.challengeResponse, taskStatus, isFinal", () => {
  const setup = () => loadQuorumFixture(quorumFixture);

  /** A square-of-7 task answered with `answer`; returns the task and when it was answered. */
  async function answered(ctx: QuorumFixture, answer: bigint, verifier?: string) {
    const task = await createTask(ctx, { payload: squarePayload(7n), verifier: verifier ?? ctx.squareAddress });
    const response = coder.encode(["uint256"], [answer]);
    const { signature } = await signTaskResponse(ctx, task, response);
    const receipt = await send(ctx.tasks.respondToTask(task.taskId, response, signature));
    const respondedAt = BigInt((await receipt.getBlock()).timestamp);
    return { task, response, respondedAt };
  }

  it("reverts with TaskManager_TaskNotFound and TaskManager_NotResponded", async () => {
    const ctx = await setup();
    const unknown = ethers.id("none");
    await expect(ctx.tasks.challengeResponse(unknown, "0x", "0x"))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_TaskNotFound")
      .withArgs(unknown);
    const open = await createTask(ctx, { verifier: ctx.squareAddress });
    await expect(ctx.tasks.challengeResponse(open.taskId, open.payload, "0x"))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NotResponded")
      .withArgs(open.taskId, TaskStatus.Open);
  });

  it("reverts with TaskManager_NotChallengeable without a verifier; such a response is final at once", async () => {
    const ctx = await setup();
    const { task, response } = await answered(ctx, 50n, ZeroAddress);
    expect(await ctx.tasks.isFinal(task.taskId)).to.equal(true);
    await expect(ctx.tasks.challengeResponse(task.taskId, task.payload, response))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NotChallengeable")
      .withArgs(task.taskId);
  });

  it("reverts with TaskManager_PayloadMismatch, _ResponseMismatch and _ResponseCorrect", async () => {
    const ctx = await setup();
    const wrong = await answered(ctx, 50n);
    await expect(ctx.tasks.challengeResponse(wrong.task.taskId, squarePayload(8n), wrong.response))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_PayloadMismatch")
      .withArgs(wrong.task.taskId);
    await expect(ctx.tasks.challengeResponse(wrong.task.taskId, wrong.task.payload, squareResponse(7n)))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_ResponseMismatch")
      .withArgs(wrong.task.taskId);
    const right = await answered(ctx, 49n);
    await expect(ctx.tasks.challengeResponse(right.task.taskId, right.task.payload, right.response))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_ResponseCorrect")
      .withArgs(right.task.taskId);
  });

  it("marks a wrong response Challenged within the window (its last second included)", async () => {
    const ctx = await setup();
    const { task, response, respondedAt } = await answered(ctx, 50n);
    expect(await ctx.tasks.isFinal(task.taskId)).to.equal(false);
    await time.setNextBlockTimestamp(respondedAt + CHALLENGE_WINDOW);
    await expect(ctx.tasks.connect(ctx.deployer).challengeResponse(task.taskId, task.payload, response))
      .to.emit(ctx.tasks, "ResponseChallenged")
      .withArgs(task.taskId, ctx.deployer.address);
    expect((await ctx.tasks.getTask(task.taskId)).status).to.equal(TaskStatus.Challenged);
    expect(await ctx.tasks.taskStatus(task.taskId)).to.equal(TaskStatus.Challenged);
    expect(await ctx.tasks.isFinal(task.taskId)).to.equal(false);
    await expect(ctx.tasks.challengeResponse(task.taskId, task.payload, response))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NotResponded")
      .withArgs(task.taskId, TaskStatus.Challenged);
  });

  it("reverts with TaskManager_ChallengeWindowOver after the window; the response is then final", async () => {
    const ctx = await setup();
    const { task, response, respondedAt } = await answered(ctx, 50n);
    await time.increaseTo(respondedAt + CHALLENGE_WINDOW + 1n);
    expect(await ctx.tasks.isFinal(task.taskId)).to.equal(true);
    await expect(ctx.tasks.challengeResponse(task.taskId, task.payload, response))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_ChallengeWindowOver")
      .withArgs(task.taskId, respondedAt + CHALLENGE_WINDOW);
  });

  it("taskStatus is Open until the deadline and Expired after; isFinal is false while Open", async () => {
    const ctx = await setup();
    const task = await createTask(ctx);
    expect(await ctx.tasks.taskStatus(task.taskId)).to.equal(TaskStatus.Open);
    expect(await ctx.tasks.isFinal(task.taskId)).to.equal(false);
    await time.increaseTo(task.responseDeadline);
    expect(await ctx.tasks.taskStatus(task.taskId)).to.equal(TaskStatus.Open);
    await time.increaseTo(task.responseDeadline + 1n);
    expect(await ctx.tasks.taskStatus(task.taskId)).to.equal(TaskStatus.Expired);
    expect((await ctx.tasks.getTask(task.taskId)).status).to.equal(TaskStatus.Open);
    expect(await ctx.tasks.taskStatus(ethers.id("none"))).to.equal(TaskStatus.None);
  });

  it("the constructor refuses a zero registry and exposes its configuration", async () => {
    const ctx = await setup();
    const factory = await ethers.getContractFactory("TaskManager");
    await expect(factory.deploy(ZeroAddress, 1n, 1n)).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_ZeroAddress",
    );
    expect(await ctx.tasks.registry()).to.equal(ctx.registryAddress);
    expect(await ctx.tasks.aggregatorSlot()).to.equal(AGGREGATOR_SLOT);
    expect(await ctx.tasks.challengeWindow()).to.equal(CHALLENGE_WINDOW);
    expect(await ctx.tasks.MAX_RESPONSE_BYTES()).to.equal(1024n);
  });

  it("SquareTaskVerifier accepts n² only, for n < 2^128 and 32-byte inputs", async () => {
    const ctx = await setup();
    const big = 2n ** 128n;
    expect(await ctx.square.isCorrect(squarePayload(7n), squareResponse(7n))).to.equal(true);
    expect(await ctx.square.isCorrect(squarePayload(big - 1n), squareResponse(big - 1n))).to.equal(true);
    expect(await ctx.square.isCorrect(squarePayload(7n), squareResponse(8n))).to.equal(false);
    expect(await ctx.square.isCorrect(squarePayload(big), coder.encode(["uint256"], [0n]))).to.equal(false);
    expect(await ctx.square.isCorrect("0x07", squareResponse(7n))).to.equal(false);
    expect(await ctx.square.isCorrect(squarePayload(7n), "0x31")).to.equal(false);
  });
});
