import { expect } from "chai";
import { keccak256 } from "ethers";

import { aggregateG2, encodeG2 } from "../../../src/quorum/bls";
import { MIN_BOND, OperatorStatus, loadQuorumFixture, quorumFixture, send } from "../../helpers/quorum";

describe("OperatorRegistry.joinQuorum and leaveQuorum", () => {
  const setup = () => loadQuorumFixture(quorumFixture);

  it("reverts with OperatorRegistry_NotActive for a caller that is not Active", async () => {
    const ctx = await setup();
    await expect(ctx.registry.connect(ctx.stranger).joinQuorum(1))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
    await expect(ctx.registry.connect(ctx.stranger).leaveQuorum(0))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
  });

  it("joinQuorum reverts with OperatorRegistry_InvalidQuorum and OperatorRegistry_AlreadyInQuorum", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    await expect(ctx.registry.connect(alice.signer).joinQuorum(8))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_InvalidQuorum")
      .withArgs(8);
    await expect(ctx.registry.connect(alice.signer).joinQuorum(0))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_AlreadyInQuorum")
      .withArgs(alice.address, 0);
  });

  it("joinQuorum adds the key and the bond, and emits QuorumJoined and QuorumUpdated", async () => {
    const ctx = await setup();
    const [alice, bob] = ctx.operators;
    await ctx.registry.connect(alice.signer).joinQuorum(7);
    const tx = ctx.registry.connect(bob.signer).joinQuorum(7);
    const receipt = await send(tx);
    const apk = encodeG2(aggregateG2([alice.publicKey, bob.publicKey]));
    await expect(tx).to.emit(ctx.registry, "QuorumJoined").withArgs(bob.address, 7);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(7, receipt.blockNumber, 2, 2n * MIN_BOND, keccak256(apk), apk);
    expect(await ctx.registry.quorumApk(7)).to.equal(apk);
    expect((await ctx.registry.getOperator(bob.address)).quorums).to.equal(0x81);
    expect((await ctx.registry.stakeCheckpoint(bob.address, 7, 0)).stake).to.equal(MIN_BOND);
  });

  it("leaveQuorum reverts with OperatorRegistry_NotInQuorum and OperatorRegistry_LastQuorum", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    for (const q of [1, 8, 255]) {
      await expect(ctx.registry.connect(alice.signer).leaveQuorum(q))
        .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotInQuorum")
        .withArgs(alice.address, q);
    }
    await expect(ctx.registry.connect(alice.signer).leaveQuorum(0))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_LastQuorum")
      .withArgs(alice.address, 0);
  });

  it("leaveQuorum subtracts the key and the bond; an emptied quorum's aggregate is the infinity again", async () => {
    const ctx = await setup();
    const [alice, bob, carol, dave] = ctx.operators;
    await ctx.registry.connect(alice.signer).joinQuorum(5);
    const tx = ctx.registry.connect(alice.signer).leaveQuorum(0);
    const receipt = await send(tx);
    const apk = encodeG2(aggregateG2([bob.publicKey, carol.publicKey, dave.publicKey]));
    await expect(tx).to.emit(ctx.registry, "QuorumLeft").withArgs(alice.address, 0);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(0, receipt.blockNumber, 3, 3n * MIN_BOND, keccak256(apk), apk);
    expect(await ctx.registry.quorumApk(0)).to.equal(apk);
    expect((await ctx.registry.getOperator(alice.address)).quorums).to.equal(1 << 5);
    const count = await ctx.registry.stakeCheckpointCount(alice.address, 0);
    expect((await ctx.registry.stakeCheckpoint(alice.address, 0, count - 1n)).stake).to.equal(0n);
    // Back into 0, then out of 5: quorum 5 is empty again.
    await ctx.registry.connect(alice.signer).joinQuorum(0);
    await ctx.registry.connect(alice.signer).leaveQuorum(5);
    const infinity = encodeG2(aggregateG2([]));
    expect(await ctx.registry.quorumApk(5)).to.equal(infinity);
    const last = await ctx.registry.quorumCheckpoint(5, (await ctx.registry.quorumCheckpointCount(5)) - 1n);
    expect(last.operatorCount).to.equal(0n);
    expect(last.totalStake).to.equal(0n);
    expect(last.apkHash).to.equal(keccak256(infinity));
  });
});
