import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256 } from "ethers";

import { aggregateG2, encodeG2 } from "../../../src/quorum/bls";
import {
  MIN_BOND,
  OperatorStatus,
  UNBONDING_DELAY,
  loadQuorumFixture,
  operatorOf,
  quorumFixture,
  registerOperator,
  send,
} from "../../helpers/quorum";

describe("OperatorRegistry.startUnbonding and withdrawBond", () => {
  const setup = () => loadQuorumFixture(quorumFixture);

  it("startUnbonding reverts with OperatorRegistry_NotActive for a stranger or an unbonding operator", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    await expect(ctx.registry.connect(ctx.stranger).startUnbonding())
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
    await ctx.registry.connect(alice.signer).startUnbonding();
    await expect(ctx.registry.connect(alice.signer).startUnbonding())
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(alice.address, OperatorStatus.Unbonding);
  });

  it("startUnbonding leaves every quorum and starts the delay", async () => {
    const ctx = await setup();
    const [alice, bob, carol, dave] = ctx.operators;
    await ctx.registry.connect(alice.signer).joinQuorum(6);
    const tx = ctx.registry.connect(alice.signer).startUnbonding();
    const receipt = await send(tx);
    const at = BigInt((await receipt.getBlock()).timestamp);
    const apk0 = encodeG2(aggregateG2([bob.publicKey, carol.publicKey, dave.publicKey]));
    const infinity = encodeG2(aggregateG2([]));
    await expect(tx).to.emit(ctx.registry, "QuorumLeft").withArgs(alice.address, 0);
    await expect(tx).to.emit(ctx.registry, "QuorumLeft").withArgs(alice.address, 6);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(0, receipt.blockNumber, 3, 3n * MIN_BOND, keccak256(apk0), apk0);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(6, receipt.blockNumber, 0, 0n, keccak256(infinity), infinity);
    await expect(tx)
      .to.emit(ctx.registry, "UnbondingStarted")
      .withArgs(alice.address, MIN_BOND, at + UNBONDING_DELAY);
    const operator = await ctx.registry.getOperator(alice.address);
    expect(operator.status).to.equal(OperatorStatus.Unbonding);
    expect(operator.quorums).to.equal(0n);
    expect(operator.bond).to.equal(MIN_BOND);
    expect(operator.unbondingEndsAt).to.equal(at + UNBONDING_DELAY);
    expect(await ctx.registry.stakeAt(alice.address, 0, receipt.blockNumber, 1)).to.equal(0n);
  });

  it("withdrawBond reverts with OperatorRegistry_NotUnbonding, _StillUnbonding and _ZeroAddress", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    await expect(ctx.registry.connect(ctx.stranger).withdrawBond(ctx.stranger.address))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotUnbonding")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
    await expect(ctx.registry.connect(alice.signer).withdrawBond(alice.address))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotUnbonding")
      .withArgs(alice.address, OperatorStatus.Active);
    const receipt = await send(ctx.registry.connect(alice.signer).startUnbonding());
    const endsAt = BigInt((await receipt.getBlock()).timestamp) + UNBONDING_DELAY;
    await time.setNextBlockTimestamp(endsAt - 1n);
    await expect(ctx.registry.connect(alice.signer).withdrawBond(alice.address))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_StillUnbonding")
      .withArgs(alice.address, endsAt);
    await time.increaseTo(endsAt);
    await expect(
      ctx.registry.connect(alice.signer).withdrawBond("0x0000000000000000000000000000000000000000"),
    ).to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_ZeroAddress");
    await ctx.registry.connect(alice.signer).withdrawBond(alice.address);
    await expect(ctx.registry.connect(alice.signer).withdrawBond(alice.address))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotUnbonding")
      .withArgs(alice.address, OperatorStatus.Withdrawn);
  });

  it("withdrawBond pays the bond to `to` at unbondingEndsAt, and the operator may register again with a new key", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    const receipt = await send(ctx.registry.connect(alice.signer).startUnbonding());
    const endsAt = BigInt((await receipt.getBlock()).timestamp) + UNBONDING_DELAY;
    await time.setNextBlockTimestamp(endsAt);
    const before = await ctx.token.balanceOf(ctx.stranger.address);
    await expect(ctx.registry.connect(alice.signer).withdrawBond(ctx.stranger.address))
      .to.emit(ctx.registry, "BondWithdrawn")
      .withArgs(alice.address, ctx.stranger.address, MIN_BOND);
    expect(await ctx.token.balanceOf(ctx.stranger.address)).to.equal(before + MIN_BOND);
    expect(await ctx.token.balanceOf(ctx.registryAddress)).to.equal(3n * MIN_BOND);
    const operator = await ctx.registry.getOperator(alice.address);
    expect(operator.status).to.equal(OperatorStatus.Withdrawn);
    expect(operator.bond).to.equal(0n);
    const renewed = await operatorOf(alice.signer);
    await registerOperator(ctx, renewed);
    expect(await ctx.registry.publicKeyOf(alice.address)).to.equal(renewed.publicKeyHex);
    expect(await ctx.registry.operatorOfKey(alice.keyHash)).to.equal(alice.address);
    expect(await ctx.registry.operatorOfKey(renewed.keyHash)).to.equal(alice.address);
  });
});
