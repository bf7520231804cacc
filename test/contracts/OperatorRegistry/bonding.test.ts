import { expect } from "chai";
import { keccak256 } from "ethers";

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
import { time } from "@nomicfoundation/hardhat-network-helpers";

describe("OperatorRegistry.increaseBond and setUrl", () => {
  const setup = () => loadQuorumFixture(quorumFixture);

  it("reverts with OperatorRegistry_NotActive for a stranger, an unbonding and a withdrawn operator", async () => {
    const ctx = await setup();
    const [alice] = ctx.operators;
    await expect(ctx.registry.connect(ctx.stranger).increaseBond(1n))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
    await expect(ctx.registry.connect(ctx.stranger).setUrl("u"))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(ctx.stranger.address, OperatorStatus.None);
    await ctx.registry.connect(alice.signer).startUnbonding();
    await expect(ctx.registry.connect(alice.signer).increaseBond(1n))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(alice.address, OperatorStatus.Unbonding);
    await time.increase(UNBONDING_DELAY);
    await ctx.registry.connect(alice.signer).withdrawBond(alice.address);
    await expect(ctx.registry.connect(alice.signer).setUrl("u"))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_NotActive")
      .withArgs(alice.address, OperatorStatus.Withdrawn);
  });

  it("reverts with OperatorRegistry_ZeroAmount", async () => {
    const ctx = await setup();
    await expect(ctx.registry.connect(ctx.operators[0].signer).increaseBond(0n)).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_ZeroAmount",
    );
  });

  it("adds the amount to the bond and to each of the operator's quorums, pulling it", async () => {
    const ctx = await setup();
    const [, , , dave] = ctx.operators;
    await ctx.registry.connect(dave.signer).joinQuorum(3);
    const apk0 = await ctx.registry.quorumApk(0);
    const apk3 = await ctx.registry.quorumApk(3);
    const count0 = await ctx.registry.quorumCheckpointCount(0);
    const before = await ctx.token.balanceOf(ctx.registryAddress);
    const tx = ctx.registry.connect(dave.signer).increaseBond(5n);
    await expect(tx)
      .to.emit(ctx.registry, "BondIncreased")
      .withArgs(dave.address, 5n, MIN_BOND + 5n);
    const receipt = await send(tx);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(0, receipt.blockNumber, 4, 4n * MIN_BOND + 5n, keccak256(apk0), apk0);
    await expect(tx)
      .to.emit(ctx.registry, "QuorumUpdated")
      .withArgs(3, receipt.blockNumber, 1, MIN_BOND + 5n, keccak256(apk3), apk3);
    expect((await ctx.registry.getOperator(dave.address)).bond).to.equal(MIN_BOND + 5n);
    expect(await ctx.token.balanceOf(ctx.registryAddress)).to.equal(before + 5n);
    expect(await ctx.registry.quorumCheckpointCount(0)).to.equal(count0 + 1n);
    expect(await ctx.registry.quorumApk(0)).to.equal(apk0);
    const last = await ctx.registry.quorumCheckpoint(0, count0);
    expect(last.totalStake).to.equal(4n * MIN_BOND + 5n);
    expect(last.operatorCount).to.equal(4n);
    const stakes = await ctx.registry.stakeCheckpointCount(dave.address, 3);
    expect((await ctx.registry.stakeCheckpoint(dave.address, 3, stakes - 1n)).stake).to.equal(MIN_BOND + 5n);
    // Quorum 1, which dave is not in, has no checkpoint.
    expect(await ctx.registry.quorumCheckpointCount(1)).to.equal(0n);
  });

  it("setUrl refuses an empty or too long URL, stores a valid one and emits OperatorUrlUpdated", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    await expect(ctx.registry.connect(alice.signer).setUrl("")).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_EmptyUrl",
    );
    await expect(ctx.registry.connect(alice.signer).setUrl("y".repeat(2049)))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_UrlTooLong")
      .withArgs(2049, 2048);
    await expect(ctx.registry.connect(alice.signer).setUrl("https://new.example"))
      .to.emit(ctx.registry, "OperatorUrlUpdated")
      .withArgs(alice.address, "https://new.example");
    expect((await ctx.registry.getOperator(alice.address)).url).to.equal("https://new.example");
  });

  it("a re-registered operator may bond a different amount", async () => {
    const ctx = await setup();
    const alice = ctx.operators[0];
    await ctx.registry.connect(alice.signer).startUnbonding();
    await time.increase(UNBONDING_DELAY);
    await ctx.registry.connect(alice.signer).withdrawBond(alice.address);
    const fresh = await operatorOf(alice.signer);
    await registerOperator(ctx, fresh, { bond: 2n * MIN_BOND });
    expect((await ctx.registry.getOperator(alice.address)).bond).to.equal(2n * MIN_BOND);
  });
});
