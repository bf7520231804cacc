import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { getBytes, keccak256 } from "ethers";

import { BLS_POP_DST, aggregateG1, blsSign, encodeG1, encodeG2, blsPublicKey } from "../../../src/quorum/bls";
import {
  MIN_BOND,
  UNBONDING_DELAY,
  buildQuorumSignature,
  createTask,
  loadQuorumFixture,
  makeOperators,
  mine,
  nextBlsSecretKey,
  operatorOf,
  quorumFixture,
  registerOperator,
  responseDigestOf,
  signTaskResponse,
  squareResponse,
  type QuorumFixture,
  type TaskHandle,
} from "../../helpers/quorum";

describe("TaskManager.checkSignatures", () => {
  const setup = async () => {
    const ctx = await loadQuorumFixture(quorumFixture);
    const task = await createTask(ctx);
    const response = squareResponse(7n);
    const digest = responseDigestOf(ctx, task.taskId, response);
    return { ...ctx, task, response, digest };
  };
  const check = (
    ctx: QuorumFixture,
    task: TaskHandle,
    digest: string,
    signature: Parameters<QuorumFixture["tasks"]["checkSignatures"]>[3],
  ) => ctx.tasks.checkSignatures(digest, 0, task.referenceBlock, signature);

  it("returns the signed stake, the total and the non-signers", async () => {
    const ctx = await setup();
    const [a, b] = ctx.operators;
    const { signature } = await signTaskResponse(ctx, ctx.task, ctx.response, [a, b]);
    const sorted = [a, b].sort((x, y) => (BigInt(x.keyHash) < BigInt(y.keyHash) ? -1 : 1)).map((o) => o.address);
    const [signed, total, nonSigners] = await check(ctx, ctx.task, ctx.digest, signature);
    expect(signed).to.equal(2n * MIN_BOND);
    expect(total).to.equal(4n * MIN_BOND);
    expect(nonSigners).to.deep.equal(sorted);
  });

  it("reverts with TaskManager_LengthMismatch", async () => {
    const ctx = await setup();
    const { signature } = await signTaskResponse(ctx, ctx.task, ctx.response, [ctx.operators[0]]);
    await expect(check(ctx, ctx.task, ctx.digest, { ...signature, nonSignerStakeIndices: [] }))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_LengthMismatch")
      .withArgs(1, 0);
  });

  it("reverts with OperatorRegistry_WrongCheckpointIndex for a wrong quorum or stake checkpoint index", async () => {
    const ctx = await setup();
    const { signature } = await signTaskResponse(ctx, ctx.task, ctx.response, [ctx.operators[0]]);
    await expect(
      check(ctx, ctx.task, ctx.digest, { ...signature, quorumCheckpointIndex: signature.quorumCheckpointIndex - 1 }),
    ).to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_WrongCheckpointIndex");
    await expect(
      check(ctx, ctx.task, ctx.digest, {
        ...signature,
        nonSignerStakeIndices: [signature.nonSignerStakeIndices[0] + 1],
      }),
    ).to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_WrongCheckpointIndex");
  });

  it("reverts with TaskManager_ApkMismatch for an aggregate that is not the reference block's", async () => {
    const ctx = await setup();
    const { signature } = await signTaskResponse(ctx, ctx.task, ctx.response);
    const madeUp = encodeG2(blsPublicKey(nextBlsSecretKey()));
    const checkpoint = await ctx.registry.quorumCheckpoint(0, signature.quorumCheckpointIndex);
    await expect(check(ctx, ctx.task, ctx.digest, { ...signature, quorumApk: madeUp }))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_ApkMismatch")
      .withArgs(keccak256(madeUp), checkpoint.apkHash);
    // A later aggregate (after a new operator joined) is not the reference block's either.
    const [late] = await makeOperators(ctx, 1);
    await registerOperator(ctx, late);
    const current = await ctx.registry.quorumApk(0);
    await expect(check(ctx, ctx.task, ctx.digest, { ...signature, quorumApk: current })).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_ApkMismatch",
    );
  });

  it("reverts with TaskManager_UnsortedNonSigners for unsorted or repeated non-signers", async () => {
    const ctx = await setup();
    const [a, b] = ctx.operators;
    const [low, high] = [a, b].sort((x, y) => (BigInt(x.keyHash) < BigInt(y.keyHash) ? -1 : 1));
    const unsorted = await buildQuorumSignature(ctx, {
      referenceBlock: ctx.task.referenceBlock,
      digest: ctx.digest,
      signers: ctx.operators.slice(2),
      nonSigners: [high, low],
      keepOrder: true,
    });
    await expect(check(ctx, ctx.task, ctx.digest, unsorted))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_UnsortedNonSigners")
      .withArgs(1);
    const repeated = await buildQuorumSignature(ctx, {
      referenceBlock: ctx.task.referenceBlock,
      digest: ctx.digest,
      signers: ctx.operators.slice(1),
      nonSigners: [a, a],
      keepOrder: true,
    });
    await expect(check(ctx, ctx.task, ctx.digest, repeated))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_UnsortedNonSigners")
      .withArgs(1);
  });

  it("reverts with TaskManager_UnknownNonSigner for a key nobody registered", async () => {
    const ctx = await setup();
    const stranger = await operatorOf(ctx.stranger);
    const signature = await buildQuorumSignature(ctx, {
      referenceBlock: ctx.task.referenceBlock,
      digest: ctx.digest,
      signers: ctx.operators,
      nonSigners: [],
    });
    await expect(
      check(ctx, ctx.task, ctx.digest, {
        ...signature,
        nonSignerKeys: [stranger.publicKeyHex],
        nonSignerStakeIndices: [0],
      }),
    )
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_UnknownNonSigner")
      .withArgs(stranger.keyHash);
  });

  it("reverts with TaskManager_NonSignerNotInQuorum for operators without stake at the reference block", async () => {
    const ctx = await setup();
    const [other, late] = await makeOperators(ctx, 2);
    await registerOperator(ctx, other, { quorums: 0b10 });
    await registerOperator(ctx, late); // after the task's reference block
    await mine();
    const base = await buildQuorumSignature(ctx, {
      referenceBlock: ctx.task.referenceBlock,
      digest: ctx.digest,
      signers: ctx.operators,
    });
    // `late` was registered after the task's reference block: its key was nobody's in the quorum then.
    await expect(
      check(ctx, ctx.task, ctx.digest, { ...base, nonSignerKeys: [late.publicKeyHex], nonSignerStakeIndices: [0] }),
    )
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NonSignerNotInQuorum")
      .withArgs(late.address, late.keyHash);
    const newTask = await createTask(ctx);
    const newDigest = responseDigestOf(ctx, newTask.taskId, ctx.response);
    // `other` is in quorum 1 only: it has no stake checkpoint in quorum 0, so no index is in force.
    await expect(
      check(ctx, newTask, newDigest, { ...base, nonSignerKeys: [other.publicKeyHex], nonSignerStakeIndices: [0] }),
    ).to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_WrongCheckpointIndex");
    // Against the new task's block, an operator that unbonds has stake 0 from its unbonding block on.
    const [alice] = ctx.operators;
    await ctx.registry.connect(alice.signer).startUnbonding();
    await mine();
    const afterUnbond = await createTask(ctx);
    const afterDigest = responseDigestOf(ctx, afterUnbond.taskId, ctx.response);
    const fixture = { ...ctx, operators: [...ctx.operators.slice(1), late] };
    const withAlice = await buildQuorumSignature(ctx, {
      referenceBlock: afterUnbond.referenceBlock,
      digest: afterDigest,
      signers: fixture.operators,
      nonSigners: [alice],
    });
    await expect(check(ctx, afterUnbond, afterDigest, withAlice))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NonSignerNotInQuorum")
      .withArgs(alice.address, alice.keyHash);
    // An operator that unbonded before the reference block is in neither the total nor the aggregate.
    const without = await signTaskResponse(fixture, afterUnbond, ctx.response);
    const [signed, total] = await check(ctx, afterUnbond, afterDigest, without.signature);
    expect(total).to.equal(4n * MIN_BOND);
    expect(signed).to.equal(4n * MIN_BOND);
    // Its share added to the signature breaks it.
    const plusAlice = encodeG1(
      aggregateG1([...fixture.operators, alice].map((o) => blsSign(o.secretKey, getBytes(afterDigest)))),
    );
    await expect(
      check(ctx, afterUnbond, afterDigest, { ...without.signature, signature: plusAlice }),
    ).to.be.revertedWithCustomError(ctx.tasks, "TaskManager_InvalidSignature");
    // The new task (before alice left) still counts her.
    const before = await signTaskResponse({ ...ctx, operators: [...ctx.operators, late] }, newTask, ctx.response);
    expect((await check(ctx, newTask, newDigest, before.signature))[1]).to.equal(5n * MIN_BOND);
  });

  it("refuses the old key of a re-registered operator as a non-signer", async () => {
    const ctx = await setup();
    const [alice] = ctx.operators;
    await ctx.registry.connect(alice.signer).startUnbonding();
    await time.increase(UNBONDING_DELAY);
    await ctx.registry.connect(alice.signer).withdrawBond(alice.address);
    const renewed = await operatorOf(alice.signer);
    await registerOperator(ctx, renewed);
    await mine();
    const task = await createTask(ctx);
    const digest = responseDigestOf(ctx, task.taskId, ctx.response);
    const signature = await buildQuorumSignature(ctx, {
      referenceBlock: task.referenceBlock,
      digest,
      signers: ctx.operators.slice(1),
      nonSigners: [renewed],
    });
    await expect(check(ctx, task, digest, { ...signature, nonSignerKeys: [alice.publicKeyHex] }))
      .to.be.revertedWithCustomError(ctx.tasks, "TaskManager_NonSignerNotInQuorum")
      .withArgs(alice.address, alice.keyHash);
    const [signed] = await check(ctx, task, digest, signature);
    expect(signed).to.equal(3n * MIN_BOND);
  });

  it("reverts with TaskManager_NoSigners when every operator is a non-signer", async () => {
    const ctx = await setup();
    const signature = await buildQuorumSignature(ctx, {
      referenceBlock: ctx.task.referenceBlock,
      digest: ctx.digest,
      signers: [],
      nonSigners: ctx.operators,
      signature: encodeG1(aggregateG1([])),
    });
    await expect(check(ctx, ctx.task, ctx.digest, signature)).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_NoSigners",
    );
  });

  it("reverts with TaskManager_InvalidSignature for a malformed, infinite or wrong signature", async () => {
    const ctx = await setup();
    const { signature } = await signTaskResponse(ctx, ctx.task, ctx.response);
    const otherDigest = responseDigestOf(ctx, ctx.task.taskId, squareResponse(8n));
    const sign = (digest: string, dst?: string) =>
      encodeG1(aggregateG1(ctx.operators.map((o) => blsSign(o.secretKey, getBytes(digest), dst))));
    const missingOne = encodeG1(
      aggregateG1(ctx.operators.slice(1).map((o) => blsSign(o.secretKey, getBytes(ctx.digest)))),
    );
    const bad = [
      signature.signature.slice(0, -2),
      signature.signature + "00",
      encodeG1(aggregateG1([])),
      sign(otherDigest), // another message
      missingOne, // a signer missing but not listed as a non-signer
      sign(ctx.digest, BLS_POP_DST), // the POP DST
      signature.signature.slice(0, -1) + (signature.signature.endsWith("0") ? "1" : "0"), // off the curve
    ];
    for (const sig of bad) {
      await expect(check(ctx, ctx.task, ctx.digest, { ...signature, signature: sig })).to.be.revertedWithCustomError(
        ctx.tasks,
        "TaskManager_InvalidSignature",
      );
    }
    // The right digest but another one passed to the check: refused too.
    await expect(check(ctx, ctx.task, otherDigest, signature)).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_InvalidSignature",
    );
  });

  it("refuses a signature share of an operator registered after the reference block", async () => {
    const ctx = await setup();
    const [late] = await makeOperators(ctx, 1);
    await registerOperator(ctx, late);
    const { signature } = await signTaskResponse(
      { ...ctx, operators: [...ctx.operators, late] },
      ctx.task,
      ctx.response,
    );
    await expect(check(ctx, ctx.task, ctx.digest, signature)).to.be.revertedWithCustomError(
      ctx.tasks,
      "TaskManager_InvalidSignature",
    );
  });
});
