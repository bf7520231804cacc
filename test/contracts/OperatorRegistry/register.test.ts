import { expect } from "chai";
import { ethers, network } from "hardhat";

import { aggregateG2, encodeG2 } from "../../../src/quorum/bls";
import {
  MIN_BOND,
  OperatorStatus,
  emptyQuorumFixture,
  loadQuorumFixture,
  makeOperators,
  operatorOf,
  proofOfPossession,
  registerOperator,
} from "../../helpers/quorum";

const P = 0x1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaabn;

/** `hex` (0x + 512 digits) with field element `index` (0..3) replaced by `value` as 64 bytes. */
function withField(hex: string, index: number, value: bigint): string {
  const body = hex.slice(2);
  const word = value.toString(16).padStart(128, "0");
  return "0x" + body.slice(0, index * 128) + word + body.slice((index + 1) * 128);
}

describe("OperatorRegistry.register", () => {
  const setup = async () => {
    const ctx = await loadQuorumFixture(emptyQuorumFixture);
    const [alice, bob] = await makeOperators(ctx, 2);
    return { ...ctx, alice, bob };
  };

  it("reverts with OperatorRegistry_AlreadyRegistered for an Active or Unbonding operator", async () => {
    const ctx = await setup();
    await registerOperator(ctx, ctx.alice);
    const again = await operatorOf(ctx.alice.signer);
    await expect(registerOperator(ctx, again))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_AlreadyRegistered")
      .withArgs(ctx.alice.address, OperatorStatus.Active);
    await ctx.registry.connect(ctx.alice.signer).startUnbonding();
    await expect(registerOperator(ctx, again))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_AlreadyRegistered")
      .withArgs(ctx.alice.address, OperatorStatus.Unbonding);
  });

  it("reverts with OperatorRegistry_BondTooLow below minBond, and accepts exactly minBond", async () => {
    const ctx = await setup();
    await expect(registerOperator(ctx, ctx.alice, { bond: MIN_BOND - 1n }))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_BondTooLow")
      .withArgs(MIN_BOND - 1n, MIN_BOND);
    await registerOperator(ctx, ctx.alice, { bond: MIN_BOND });
    expect((await ctx.registry.getOperator(ctx.alice.address)).bond).to.equal(MIN_BOND);
  });

  it("reverts with OperatorRegistry_NoQuorums for an empty bitmap", async () => {
    const ctx = await setup();
    await expect(registerOperator(ctx, ctx.alice, { quorums: 0 })).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_NoQuorums",
    );
  });

  it("reverts with OperatorRegistry_InvalidPublicKey for a malformed key or the point at infinity", async () => {
    const ctx = await setup();
    const key = ctx.alice.publicKeyHex;
    const bad = [
      key.slice(0, -2), // 255 bytes
      key + "00", // 257 bytes
      withField(key, 0, P), // x.c0 = p (not reduced)
      withField(key, 3, P + 1n), // y.c1 above p
      withField(key, 1, 1n << 384n), // a top-16 byte set
      encodeG2(aggregateG2([])), // infinity
    ];
    for (const publicKeyHex of bad) {
      await expect(registerOperator(ctx, ctx.alice, { publicKeyHex })).to.be.revertedWithCustomError(
        ctx.registry,
        "OperatorRegistry_InvalidPublicKey",
      );
    }
  });

  it("reverts with OperatorRegistry_KeyTaken for a key registered before, by anyone", async () => {
    const ctx = await setup();
    await registerOperator(ctx, ctx.alice);
    // Bob replays Alice's key (with Alice's proof: it is bound to Alice, but the key check comes first).
    await expect(registerOperator(ctx, { ...ctx.bob, publicKeyHex: ctx.alice.publicKeyHex }))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_KeyTaken")
      .withArgs(ctx.alice.keyHash);
    // Alice herself, after withdrawing, cannot reuse it.
    await ctx.registry.connect(ctx.alice.signer).startUnbonding();
    await network.provider.send("evm_increaseTime", [Number(7 * 24 * 3600)]);
    await ctx.registry.connect(ctx.alice.signer).withdrawBond(ctx.alice.address);
    await expect(registerOperator(ctx, ctx.alice))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_KeyTaken")
      .withArgs(ctx.alice.keyHash);
  });

  it("reverts with OperatorRegistry_EmptyUrl and OperatorRegistry_UrlTooLong", async () => {
    const ctx = await setup();
    await expect(registerOperator(ctx, ctx.alice, { url: "" })).to.be.revertedWithCustomError(
      ctx.registry,
      "OperatorRegistry_EmptyUrl",
    );
    await expect(registerOperator(ctx, ctx.alice, { url: "x".repeat(2049) }))
      .to.be.revertedWithCustomError(ctx.registry, "OperatorRegistry_UrlTooLong")
      .withArgs(2049, 2048);
    await registerOperator(ctx, ctx.alice, { url: "x".repeat(2048) });
  });

  it("reverts with the token's ERC20InsufficientAllowance without an approval", async () => {
    const ctx = await setup();
    await ctx.token.connect(ctx.alice.signer).approve(ctx.registryAddress, 0n);
    await expect(registerOperator(ctx, ctx.alice)).to.be.revertedWithCustomError(
      ctx.token,
      "ERC20InsufficientAllowance",
    );
  });

  it("stores the operator, its key, adds it to each quorum and pulls the bond", async () => {
    const ctx = await setup();
    const quorums = 0b1000_0101; // quorums 0, 2 and 7
    const bond = MIN_BOND * 3n;
    const before = await ctx.token.balanceOf(ctx.alice.address);
    const receipt = await registerOperator(ctx, ctx.alice, { bond, quorums, url: "https://alice.example" });
    const operator = await ctx.registry.getOperator(ctx.alice.address);
    expect(operator.keyHash).to.equal(ctx.alice.keyHash);
    expect(operator.bond).to.equal(bond);
    expect(operator.quorums).to.equal(quorums);
    expect(operator.status).to.equal(OperatorStatus.Active);
    expect(operator.unbondingEndsAt).to.equal(0n);
    expect(operator.url).to.equal("https://alice.example");
    expect(await ctx.registry.publicKeyOf(ctx.alice.address)).to.equal(ctx.alice.publicKeyHex);
    expect(await ctx.registry.operatorOfKey(ctx.alice.keyHash)).to.equal(ctx.alice.address);
    expect(await ctx.token.balanceOf(ctx.alice.address)).to.equal(before - bond);
    expect(await ctx.token.balanceOf(ctx.registryAddress)).to.equal(bond);
    for (const q of [0, 2, 7]) {
      expect(await ctx.registry.quorumApk(q)).to.equal(ctx.alice.publicKeyHex);
      const checkpoint = await ctx.registry.quorumCheckpoint(q, 0);
      expect(checkpoint.fromBlock).to.equal(receipt.blockNumber);
      expect(checkpoint.operatorCount).to.equal(1n);
      expect(checkpoint.totalStake).to.equal(bond);
      expect(checkpoint.apkHash).to.equal(ctx.alice.keyHash);
      expect((await ctx.registry.stakeCheckpoint(ctx.alice.address, q, 0)).stake).to.equal(bond);
    }
    for (const q of [1, 3, 4, 5, 6]) {
      expect(await ctx.registry.quorumCheckpointCount(q)).to.equal(0n);
      expect(await ctx.registry.quorumApk(q)).to.equal(encodeG2(aggregateG2([])));
    }
    // Bob joins quorum 0: the aggregate is the sum of both keys.
    await registerOperator(ctx, ctx.bob);
    expect(await ctx.registry.quorumApk(0)).to.equal(encodeG2(aggregateG2([ctx.alice.publicKey, ctx.bob.publicKey])));
    const last = await ctx.registry.quorumCheckpoint(0, 1);
    expect(last.operatorCount).to.equal(2n);
    expect(last.totalStake).to.equal(bond + MIN_BOND);
  });

  it("emits OperatorRegistered, then QuorumJoined and QuorumUpdated per quorum", async () => {
    const ctx = await setup();
    const proof = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.secretKey);
    const tx = ctx.registry.connect(ctx.alice.signer).register(ctx.alice.publicKeyHex, proof, "u", MIN_BOND, 0b11);
    const block = (await ethers.provider.getBlockNumber()) + 1;
    await expect(tx)
      .to.emit(ctx.registry, "OperatorRegistered")
      .withArgs(ctx.alice.address, ctx.alice.keyHash, MIN_BOND, 0b11, "u", ctx.alice.publicKeyHex);
    for (const q of [0, 1]) {
      await expect(tx).to.emit(ctx.registry, "QuorumJoined").withArgs(ctx.alice.address, q);
      await expect(tx)
        .to.emit(ctx.registry, "QuorumUpdated")
        .withArgs(q, block, 1, MIN_BOND, ctx.alice.keyHash, ctx.alice.publicKeyHex);
    }
  });

  it("overwrites the block's checkpoint when several operators register in one block", async () => {
    const ctx = await setup();
    await network.provider.send("evm_setAutomine", [false]);
    try {
      const proofA = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.secretKey);
      const proofB = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.bob.address, ctx.bob.secretKey);
      const a = await ctx.registry.connect(ctx.alice.signer).register(ctx.alice.publicKeyHex, proofA, "a", MIN_BOND, 1);
      const b = await ctx.registry.connect(ctx.bob.signer).register(ctx.bob.publicKeyHex, proofB, "b", MIN_BOND, 1);
      await network.provider.send("evm_mine", []);
      await a.wait();
      await b.wait();
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    expect(await ctx.registry.quorumCheckpointCount(0)).to.equal(1n);
    const checkpoint = await ctx.registry.quorumCheckpoint(0, 0);
    expect(checkpoint.operatorCount).to.equal(2n);
    expect(checkpoint.totalStake).to.equal(2n * MIN_BOND);
  });

  it("overwrites the block's stake checkpoint when an operator changes its stake twice in one block", async () => {
    const ctx = await setup();
    await registerOperator(ctx, ctx.alice);
    await network.provider.send("evm_setAutomine", [false]);
    try {
      const first = await ctx.registry.connect(ctx.alice.signer).increaseBond(1n, { gasLimit: 1_000_000 });
      const second = await ctx.registry.connect(ctx.alice.signer).increaseBond(2n, { gasLimit: 1_000_000 });
      await network.provider.send("evm_mine", []);
      await first.wait();
      await second.wait();
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    expect(await ctx.registry.stakeCheckpointCount(ctx.alice.address, 0)).to.equal(2n);
    expect((await ctx.registry.stakeCheckpoint(ctx.alice.address, 0, 1)).stake).to.equal(MIN_BOND + 3n);
    expect(await ctx.registry.quorumCheckpointCount(0)).to.equal(2n);
  });
});
