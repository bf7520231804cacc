import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256 } from "ethers";

import {
  MIN_BOND,
  TaskStatus,
  createTask,
  deployQuorumContracts,
  loadQuorumFixture,
  makeOperators,
  mine,
  quorumFixture,
  registerOperator,
  send,
  signTaskResponse,
  squareResponse,
  type QuorumFixture,
} from "../../helpers/quorum";

/** Operators with bonds 67·MIN_BOND and 33·MIN_BOND: the second alone decides a 67% threshold. */
async function thresholdFixture(): Promise<QuorumFixture> {
  const ctx = await deployQuorumContracts();
  const operators = await makeOperators(ctx, 2);
  await registerOperator(ctx, operators[0], { bond: 67n * MIN_BOND });
  await registerOperator(ctx, operators[1], { bond: 33n * MIN_BOND });
  await mine();
  return { ...ctx, operators };
}

describe("TaskManager.respondToTask", () => {
  const setup = () => loadQuorumFixture(quorumFixture);
  const response = squareResponse(7n);

  it("reverts with TaskManager_TaskNotFound for an unknown task", async () => {
    const ctx = await setup();
    const task = await createTask(ctx);
    const { signature } = await signTaskResponse(ctx, task, response);
    const unknown = ethers.id("no such task");
    await expect(ctx.tasks.respondToTask(unknown, response, signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_TaskNotFound")
      .withArgs(unknown);
  });

  it("counts only the first valid response: a second reverts with TaskManager_TaskNotOpen", async () => {
    const ctx = await setup();
    const task = await createTask(ctx);
    const { signature } = await signTaskResponse(ctx, task, response);
    await ctx.tasks.respondToTask(task.taskId, response, signature);
    const other = squareResponse(8n);
    const second = await signTaskResponse(ctx, task, other);
    await expect(ctx.tasks.respondToTask(task.taskId, other, second.signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_TaskNotOpen")
      .withArgs(task.taskId, TaskStatus.Responded);
    expect((await ctx.tasks.getTask(task.taskId)).responseHash).to.equal(keccak256(response));
  });

  it("accepts at the deadline and reverts with TaskManager_DeadlinePassed after it", async () => {
    const ctx = await setup();
    const late = await createTask(ctx);
    const { signature } = await signTaskResponse(ctx, late, response);
    await time.setNextBlockTimestamp(late.responseDeadline + 1n);
    await expect(ctx.tasks.respondToTask(late.taskId, response, signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_DeadlinePassed")
      .withArgs(late.taskId, late.responseDeadline);
    const onTime = await createTask(ctx);
    const signed = await signTaskResponse(ctx, onTime, response);
    await time.setNextBlockTimestamp(onTime.responseDeadline);
    await ctx.tasks.respondToTask(onTime.taskId, response, signed.signature);
  });

  it("reverts with TaskManager_ResponseTooLong above MAX_RESPONSE_BYTES", async () => {
    const ctx = await setup();
    const task = await createTask(ctx);
    const long = "0x" + "11".repeat(1025);
    const { signature } = await signTaskResponse(ctx, task, long);
    await expect(ctx.tasks.respondToTask(task.taskId, long, signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_ResponseTooLong")
      .withArgs(1025, 1024);
    const longest = "0x" + "11".repeat(1024);
    const ok = await signTaskResponse(ctx, task, longest);
    await ctx.tasks.respondToTask(task.taskId, longest, ok.signature);
  });

  it("passes exactly at the threshold and reverts with TaskManager_BelowThreshold one wei below", async () => {
    const ctx = await loadQuorumFixture(thresholdFixture);
    const [big, small] = ctx.operators;
    const exact = await createTask(ctx, { thresholdPercent: 67 });
    const { signature } = await signTaskResponse(ctx, exact, response, [small]);
    await ctx.tasks.respondToTask(exact.taskId, response, signature);
    // 67% of 100·M + 1 wei is more than 67·M.
    await ctx.registry.connect(small.signer).increaseBond(1n);
    await mine();
    const below = await createTask(ctx, { thresholdPercent: 67 });
    const again = await signTaskResponse(ctx, below, response, [small]);
    await expect(ctx.tasks.respondToTask(below.taskId, response, again.signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_BelowThreshold")
      .withArgs(67n * MIN_BOND, 100n * MIN_BOND + 1n, 67);
    // The big operator missing fails too; both signing passes.
    const bigMissing = await signTaskResponse(ctx, below, response, [big]);
    await expect(ctx.tasks.respondToTask(below.taskId, response, bigMissing.signature)).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_BelowThreshold",
    );
    const all = await signTaskResponse(ctx, below, response);
    await ctx.tasks.respondToTask(below.taskId, response, all.signature);
  });

  it("a 100% threshold refuses one non-signer and accepts none", async () => {
    const ctx = await setup();
    const task = await createTask(ctx, { thresholdPercent: 100 });
    const missing = await signTaskResponse(ctx, task, response, [ctx.operators[2]]);
    await expect(ctx.tasks.respondToTask(task.taskId, response, missing.signature))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_BelowThreshold")
      .withArgs(3n * MIN_BOND, 4n * MIN_BOND, 100);
    const all = await signTaskResponse(ctx, task, response);
    await ctx.tasks.respondToTask(task.taskId, response, all.signature);
  });

  it("stores the response, the aggregator and the stakes, and emits TaskResponded (anyone may submit)", async () => {
    const ctx = await setup();
    const task = await createTask(ctx, { thresholdPercent: 50 });
    const nonSigners = [ctx.operators[3], ctx.operators[1]];
    const { signature } = await signTaskResponse(ctx, task, response, nonSigners);
    const sortedAddresses = [...nonSigners]
      .sort((a, b) => (BigInt(a.keyHash) < BigInt(b.keyHash) ? -1 : 1))
      .map((operator) => operator.address);
    const tx = ctx.tasks.connect(ctx.deployer).respondToTask(task.taskId, response, signature);
    await expect(tx)
      .to.emit(ctx.tasks, "TaskResponded")
      .withArgs(
        task.taskId,
        ctx.deployer.address,
        keccak256(response),
        2n * MIN_BOND,
        4n * MIN_BOND,
        sortedAddresses,
        response,
      );
    const receipt = await send(tx);
    const stored = await ctx.tasks.getTask(task.taskId);
    expect(stored.status).to.equal(TaskStatus.Responded);
    expect(stored.respondedAt).to.equal(BigInt((await receipt.getBlock()).timestamp));
    expect(stored.responseHash).to.equal(keccak256(response));
    expect(stored.aggregator).to.equal(ctx.deployer.address);
    expect(stored.signedStake).to.equal(2n * MIN_BOND);
    expect(stored.totalStake).to.equal(4n * MIN_BOND);
    expect(await ctx.tasks.taskStatus(task.taskId)).to.equal(TaskStatus.Responded);
  });
});
