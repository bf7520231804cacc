import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";

import {
  MIN_BOND,
  UNBONDING_DELAY,
  emptyQuorumFixture,
  loadQuorumFixture,
  makeOperators,
  mine,
  operatorOf,
  registerOperator,
  send,
} from "../../helpers/quorum";

describe("OperatorRegistry views and constructor", () => {
  const setup = async () => {
    const ctx = await loadQuorumFixture(emptyQuorumFixture);
    const [alice, bob] = await makeOperators(ctx, 2);
    return { ...ctx, alice, bob };
  };

  it("the constructor refuses a zero token and a zero minimum bond, and exposes its configuration", async () => {
    const ctx = await setup();
    const factory = await ethers.getContractFactory("OperatorRegistry");
    await expect(factory.deploy(ZeroAddress, MIN_BOND, 1n)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_ZeroAddress",
    );
    await expect(factory.deploy(ctx.tokenAddress, 0n, 1n)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_ZeroMinBond",
    );
    expect(await ctx.registry.MAX_QUORUMS()).to.equal(8n);
    expect(await ctx.registry.MAX_URL_BYTES()).to.equal(2048n);
    expect(await ctx.registry.token()).to.equal(ctx.tokenAddress);
    expect(await ctx.registry.minBond()).to.equal(MIN_BOND);
    expect(await ctx.registry.unbondingDelay()).to.equal(UNBONDING_DELAY);
    expect(await ctx.registry.publicKeyOf(ctx.alice.address)).to.equal("0x");
    expect(await ctx.registry.operatorOfKey(ctx.alice.keyHash)).to.equal(ZeroAddress);
  });

  it("checks a caller-supplied checkpoint index and finds it by binary search", async () => {
    const ctx = await setup();
    const r1 = await registerOperator(ctx, ctx.alice); // quorum checkpoint 0, alice's stake checkpoint 0
    await mine();
    const r2 = await registerOperator(ctx, ctx.bob); // quorum checkpoint 1
    await mine();
    const r3 = await send(ctx.registry.connect(ctx.alice.signer).increaseBond(7n)); // quorum 2, alice's stake 1
    const b1 = r1.blockNumber;
    const b2 = r2.blockNumber;
    const b3 = r3.blockNumber;
    const wrong = "OperatorRegistry_WrongCheckpointIndex";
    // Past the end, too late, superseded.
    await expect(ctx.registry.quorumCheckpointAt(0, b3, 3))
      .to.be.revertedWithCustomError(ctx.registry, wrong)
      .withArgs(b3, 3);
    await expect(ctx.registry.quorumCheckpointAt(0, b1, 1))
      .to.be.revertedWithCustomError(ctx.registry, wrong)
      .withArgs(b1, 1);
    await expect(ctx.registry.quorumCheckpointAt(0, b2, 0))
      .to.be.revertedWithCustomError(ctx.registry, wrong)
      .withArgs(b2, 0);
    await expect(ctx.registry.quorumCheckpointAt(0, b1 - 1, 0)).to.be.revertedWithCustomError(ctx.registry, wrong);
    expect((await ctx.registry.quorumCheckpointAt(0, b1, 0)).operatorCount).to.equal(1n);
    expect((await ctx.registry.quorumCheckpointAt(0, b2 + 1, 1)).operatorCount).to.equal(2n);
    expect((await ctx.registry.quorumCheckpointAt(0, b3 + 100, 2)).totalStake).to.equal(2n * MIN_BOND + 7n);
    // Stake checkpoints, the same rules.
    await expect(ctx.registry.stakeAt(ctx.alice.address, 0, b3, 2)).to.be.revertedWithCustomError(ctx.registry, wrong);
    await expect(ctx.registry.stakeAt(ctx.alice.address, 0, b1, 1)).to.be.revertedWithCustomError(ctx.registry, wrong);
    await expect(ctx.registry.stakeAt(ctx.alice.address, 0, b3, 0)).to.be.revertedWithCustomError(ctx.registry, wrong);
    expect(await ctx.registry.stakeAt(ctx.alice.address, 0, b2, 0)).to.equal(MIN_BOND);
    expect(await ctx.registry.stakeAt(ctx.alice.address, 0, b3, 1)).to.equal(MIN_BOND + 7n);
    // Binary search over every block of the history.
    const expected = (block: number) => (block >= b3 ? 2 : block >= b2 ? 1 : 0);
    for (let block = b1; block <= b3 + 2; block++) {
      expect(await ctx.registry.quorumCheckpointIndexAt(0, block)).to.equal(BigInt(expected(block)));
      expect(await ctx.registry.stakeIndexAt(ctx.alice.address, 0, block)).to.equal(block >= b3 ? 1n : 0n);
    }
    await expect(ctx.registry.quorumCheckpointIndexAt(0, b1 - 1))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NoCheckpoint")
      .withArgs(b1 - 1);
    await expect(ctx.registry.quorumCheckpointIndexAt(1, b3)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_NoCheckpoint",
    );
    await expect(ctx.registry.stakeIndexAt(ctx.bob.address, 0, b1)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_NoCheckpoint",
    );
    expect(await ctx.registry.stakeCheckpointCount(ctx.alice.address, 0)).to.equal(2n);
    expect((await ctx.registry.stakeCheckpoint(ctx.alice.address, 0, 1)).fromBlock).to.equal(BigInt(b3));
  });

  it("keyStakeAt counts a key only for the blocks it was its operator's", async () => {
    const ctx = await setup();
    expect(await ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, 1, 0)).to.deep.equal([ZeroAddress, 0n]);
    const r1 = await registerOperator(ctx, ctx.alice);
    await mine();
    expect(await ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, r1.blockNumber - 1, 0)).to.deep.equal([
      ctx.alice.address,
      0n,
    ]);
    expect(await ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, r1.blockNumber, 0)).to.deep.equal([
      ctx.alice.address,
      MIN_BOND,
    ]);
    await expect(ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, r1.blockNumber, 1)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_WrongCheckpointIndex",
    );
    await ctx.registry.connect(ctx.alice.signer).startUnbonding();
    await time.increase(UNBONDING_DELAY);
    await ctx.registry.connect(ctx.alice.signer).withdrawBond(ctx.alice.address);
    const renewed = await operatorOf(ctx.alice.signer);
    const r2 = await registerOperator(ctx, renewed);
    await mine();
    const stakeIndex = await ctx.registry.stakeIndexAt(ctx.alice.address, 0, r2.blockNumber);
    // The old key was retired at the new registration: it no longer carries alice's stake.
    expect(await ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, r2.blockNumber, stakeIndex)).to.deep.equal([
      ctx.alice.address,
      0n,
    ]);
    expect(await ctx.registry.keyStakeAt(renewed.keyHash, 0, r2.blockNumber, stakeIndex)).to.deep.equal([
      ctx.alice.address,
      MIN_BOND,
    ]);
    // Before the retirement the old key still counts.
    expect(await ctx.registry.keyStakeAt(ctx.alice.keyHash, 0, r1.blockNumber, 0)).to.deep.equal([
      ctx.alice.address,
      MIN_BOND,
    ]);
  });
});
