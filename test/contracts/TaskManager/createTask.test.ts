import { expect } from "chai";
import { ethers, network } from "hardhat";
import { AbiCoder, ZeroAddress, keccak256 } from "ethers";

import {
  MIN_BOND,
  QUORUM,
  RESPONSE_WINDOW,
  TaskStatus,
  createTask,
  emptyQuorumFixture,
  loadQuorumFixture,
  makeOperators,
  nextTaskSalt,
  proofOfPossession,
  quorumFixture,
  registerOperator,
  send,
  squarePayload,
} from "../../helpers/quorum";

describe("TaskManager.createTask", () => {
  const setup = () => loadQuorumFixture(quorumFixture);

  it("reverts with TaskManager_TaskExists for a reused salt; another creator may use it", async () => {
    const ctx = await setup();
    const salt = nextTaskSalt();
    const task = await createTask(ctx, { salt });
    await expect(createTask(ctx, { salt }))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_TaskExists")
      .withArgs(task.taskId);
    const other = await createTask(ctx, { salt, creator: ctx.deployer });
    expect(other.taskId).to.not.equal(task.taskId);
    expect(await ctx.tasks.taskId(ctx.stranger.address, salt)).to.equal(
      keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [ctx.stranger.address, salt])),
    );
  });

  it("reverts with TaskManager_InvalidThreshold for 0 and 101; 1 and 100 pass; 256 cannot be passed", async () => {
    const ctx = await setup();
    for (const threshold of [0, 101, 255]) {
      await expect(createTask(ctx, { thresholdPercent: threshold }))
        .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_InvalidThreshold")
        .withArgs(threshold);
    }
    await createTask(ctx, { thresholdPercent: 1 });
    await createTask(ctx, { thresholdPercent: 100 });
    // A uint8 argument: 256 is refused by the ABI encoder, never truncated to 0.
    await expect(createTask(ctx, { thresholdPercent: 256 })).to.be.rejected;
  });

  it("reverts with TaskManager_InvalidResponseWindow outside [1 minute, 7 days]", async () => {
    const ctx = await setup();
    const min = await ctx.tasks.MIN_RESPONSE_WINDOW();
    const max = await ctx.tasks.MAX_RESPONSE_WINDOW();
    expect(min).to.equal(60n);
    expect(max).to.equal(7n * 24n * 3600n);
    for (const window of [0n, min - 1n, max + 1n]) {
      await expect(createTask(ctx, { responseWindow: window }))
        .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_InvalidResponseWindow")
        .withArgs(window, min, max);
    }
    await createTask(ctx, { responseWindow: min });
    await createTask(ctx, { responseWindow: max });
  });

  it("reverts with TaskManager_PayloadTooLong above MAX_PAYLOAD_BYTES", async () => {
    const ctx = await setup();
    expect(await ctx.tasks.MAX_PAYLOAD_BYTES()).to.equal(4096n);
    await expect(createTask(ctx, { payload: "0x" + "ab".repeat(4097) }))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_PayloadTooLong")
      .withArgs(4097, 4096);
    await createTask(ctx, { payload: "0x" + "ab".repeat(4096) });
  });

  it("reverts with TaskManager_EmptyQuorum when the quorum had no stake at the previous block", async () => {
    const ctx = await loadQuorumFixture(emptyQuorumFixture);
    const block = await ethers.provider.getBlockNumber();
    await expect(createTask(ctx))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_EmptyQuorum")
      .withArgs(QUORUM, block);
    await expect(createTask(ctx, { quorum: 8 })).to.be.revertedWithCustomError(ctx.tasks, "TaskManager_EmptyQuorum");
    // An operator registered in the task's own block is not in the reference block's set.
    const [alice, bob] = await makeOperators(ctx, 2);
    await network.provider.send("evm_setAutomine", [false]);
    let tx;
    try {
      await ctx.registry
        .connect(alice.signer)
        .register(
          alice.publicKeyHex,
          proofOfPossession(ctx.chainId, ctx.registryAddress, alice.address, alice.secretKey),
          "u",
          MIN_BOND,
          1,
        );
      tx = await ctx.tasks
        .connect(ctx.stranger)
        .createTask(nextTaskSalt(), QUORUM, 67, RESPONSE_WINDOW, ZeroAddress, "0x", { gasLimit: 1_000_000 });
      await network.provider.send("evm_mine", []);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    // Mined with automine off, the revert is read from the receipt (the matchers cannot replay it).
    expect((await ethers.provider.getTransactionReceipt(tx.hash))?.status).to.equal(0);
    // From the next block on it counts: the last checkpoint is in force.
    await createTask(ctx);
    // A second checkpoint written in the task's block is skipped for the one before it.
    await network.provider.send("evm_setAutomine", [false]);
    let created;
    const salt = nextTaskSalt();
    try {
      await ctx.registry.connect(alice.signer).increaseBond(5n);
      created = await ctx.tasks
        .connect(ctx.stranger)
        .createTask(salt, QUORUM, 67, RESPONSE_WINDOW, ZeroAddress, "0x", { gasLimit: 1_000_000 });
      await network.provider.send("evm_mine", []);
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    await created.wait();
    const id = await ctx.tasks.taskId(ctx.stranger.address, salt);
    expect((await ctx.tasks.getTask(id)).totalStake).to.equal(MIN_BOND);
    // Everyone leaves: the quorum is empty again.
    await ctx.registry.connect(alice.signer).startUnbonding();
    await registerOperator(ctx, bob, { quorums: 2 });
    await expect(createTask(ctx)).to.be.revertedWithCustomError(ctx.tasks, "TaskManager_EmptyQuorum");
  });

  it("stores the task and emits TaskCreated", async () => {
    const ctx = await setup();
    const salt = nextTaskSalt();
    const payload = squarePayload(12n);
    const id = await ctx.tasks.taskId(ctx.stranger.address, salt);
    const tx = ctx.tasks
      .connect(ctx.stranger)
      .createTask(salt, QUORUM, 67, RESPONSE_WINDOW, ctx.squareAddress, payload);
    const receipt = await send(tx);
    const block = await receipt.getBlock();
    const reference = receipt.blockNumber - 1;
    const referenceHash = (await ethers.provider.getBlock(reference))!.hash!;
    const seed = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [referenceHash, id]));
    const deadline = BigInt(block.timestamp) + RESPONSE_WINDOW;
    await expect(tx)
      .to.emit(ctx.tasks, "TaskCreated")
      .withArgs(id, ctx.stranger.address, QUORUM, 67, reference, deadline, ctx.squareAddress, seed, payload);
    const task = await ctx.tasks.getTask(id);
    expect(task.creator).to.equal(ctx.stranger.address);
    expect(task.quorum).to.equal(BigInt(QUORUM));
    expect(task.thresholdPercent).to.equal(67n);
    expect(task.status).to.equal(TaskStatus.Open);
    expect(task.referenceBlock).to.equal(BigInt(reference));
    expect(task.createdAt).to.equal(BigInt(block.timestamp));
    expect(task.responseDeadline).to.equal(deadline);
    expect(task.verifier).to.equal(ctx.squareAddress);
    expect(task.respondedAt).to.equal(0n);
    expect(task.payloadHash).to.equal(keccak256(payload));
    expect(task.seed).to.equal(seed);
    expect(task.responseHash).to.equal(ethers.ZeroHash);
    expect(task.aggregator).to.equal(ZeroAddress);
    expect(task.signedStake).to.equal(0n);
    expect(task.totalStake).to.equal(4n * MIN_BOND);
  });
});
