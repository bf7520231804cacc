import { expect } from "chai";
import { getBytes, keccak256 } from "ethers";
import { bls12_381 } from "@noble/curves/bls12-381";

import {
  BLS_POP_DST,
  BLS_SIGNATURE_DST,
  aggregateG1,
  aggregateG2,
  blsPublicKey,
  blsSign,
  encodeG1,
  encodeG2,
} from "../../../src/quorum/bls";
import {
  emptyQuorumFixture,
  loadQuorumFixture,
  makeOperators,
  nextBlsSecretKey,
  proofOfPossession,
  registerOperator,
  registrationDigestOf,
} from "../../helpers/quorum";

/** A point on the G2 curve (y² = x³ + 4(1 + u)) that is, with overwhelming odds, outside the r-order subgroup. */
function g2PointOutsideSubgroup(): string {
  const Fp2 = bls12_381.fields.Fp2;
  const b = Fp2.create({ c0: 4n, c1: 4n });
  for (let k = 1n; ; k++) {
    const x = Fp2.create({ c0: k, c1: 1n });
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    if (!Fp2.eql(Fp2.sqr(y), rhs)) continue;
    const hex = (v: bigint) => v.toString(16).padStart(128, "0");
    return "0x" + hex(x.c0) + hex(x.c1) + hex(y.c0) + hex(y.c1);
  }
}

describe("OperatorRegistry.register: proof of possession", () => {
  const setup = async () => {
    const ctx = await loadQuorumFixture(emptyQuorumFixture);
    const [alice, bob, mallory] = await makeOperators(ctx, 3);
    return { ...ctx, alice, bob, mallory };
  };
  const invalid = "OperatorRegistry_InvalidProofOfPossession";

  it("reverts for a proof that is not 128 bytes", async () => {
    const ctx = await setup();
    const proof = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.secretKey);
    for (const bad of [proof.slice(0, -2), proof + "00", "0x"]) {
      await expect(registerOperator(ctx, ctx.alice, { proof: bad }))
        .to.be.revertedWithCustomError(ctx.registry, invalid)
        .withArgs(ctx.alice.keyHash);
    }
  });

  it("refuses a rogue key sk·g2 − Σ others' keys: its owner cannot prove possession", async () => {
    const ctx = await setup();
    await registerOperator(ctx, ctx.alice);
    await registerOperator(ctx, ctx.bob);
    const apkBefore = await ctx.registry.quorumApk(0);
    const sk = nextBlsSecretKey("mallory");
    const rogue = blsPublicKey(sk).subtract(aggregateG2([ctx.alice.publicKey, ctx.bob.publicKey]));
    const rogueHex = encodeG2(rogue);
    // Mallory's best attempt: sign the digest with the sk she knows.
    const digest = registrationDigestOf(ctx.chainId, ctx.registryAddress, ctx.mallory.address, rogueHex);
    const proof = encodeG1(blsSign(sk, getBytes(digest), BLS_POP_DST));
    await expect(registerOperator(ctx, ctx.mallory, { publicKeyHex: rogueHex, proof }))
      .to.be.revertedWithCustomError(ctx.registry, invalid)
      .withArgs(keccak256(rogueHex));
    expect(await ctx.registry.quorumApk(0)).to.equal(apkBefore);
  });

  it("refuses a proof made for another operator, another chain or another registry", async () => {
    const ctx = await setup();
    const sign = (chainId: bigint, registry: string, operator: string) =>
      encodeG1(
        blsSign(
          ctx.alice.secretKey,
          getBytes(registrationDigestOf(chainId, registry, operator, ctx.alice.publicKeyHex)),
          BLS_POP_DST,
        ),
      );
    const proofs = [
      sign(ctx.chainId, ctx.registryAddress, ctx.bob.address),
      sign(1n, ctx.registryAddress, ctx.alice.address),
      sign(ctx.chainId, ctx.tasksAddress, ctx.alice.address),
    ];
    for (const proof of proofs) {
      await expect(registerOperator(ctx, ctx.alice, { proof })).to.be.revertedWithCustomError(ctx.registry, invalid);
    }
    // Bob cannot register Alice's key with her (valid) proof either.
    const aliceProof = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.secretKey);
    await expect(
      registerOperator(ctx, ctx.bob, { publicKeyHex: ctx.alice.publicKeyHex, proof: aliceProof }),
    ).to.be.revertedWithCustomError(ctx.registry, invalid);
  });

  it("refuses a message signature (signature DST) used as a proof", async () => {
    const ctx = await setup();
    const digest = registrationDigestOf(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.publicKeyHex);
    const proof = encodeG1(blsSign(ctx.alice.secretKey, getBytes(digest), BLS_SIGNATURE_DST));
    await expect(registerOperator(ctx, ctx.alice, { proof })).to.be.revertedWithCustomError(ctx.registry, invalid);
  });

  it("refuses another key's proof and the point at infinity", async () => {
    const ctx = await setup();
    const bobsProof = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.bob.secretKey);
    await expect(registerOperator(ctx, ctx.alice, { proof: bobsProof })).to.be.revertedWithCustomError(
      ctx.registry,
      invalid,
    );
    await expect(registerOperator(ctx, ctx.alice, { proof: encodeG1(aggregateG1([])) })).to.be.revertedWithCustomError(
      ctx.registry,
      invalid,
    );
  });

  it("refuses a key outside the subgroup or off the curve (the pairing precompile refuses it)", async () => {
    const ctx = await setup();
    const outside = g2PointOutsideSubgroup();
    const proof = proofOfPossession(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.secretKey);
    await expect(registerOperator(ctx, ctx.alice, { publicKeyHex: outside, proof })).to.be.revertedWithCustomError(
      ctx.registry,
      invalid,
    );
    // Off the curve: y.c1 + 1.
    const key = ctx.alice.publicKeyHex;
    const offCurve = key.slice(0, -1) + (parseInt(key.slice(-1), 16) ^ 1).toString(16);
    await expect(registerOperator(ctx, ctx.alice, { publicKeyHex: offCurve, proof })).to.be.revertedWithCustomError(
      ctx.registry,
      invalid,
    );
  });

  it("accepts the key's own proof; registrationDigest equals the off-chain EIP-712 digest", async () => {
    const ctx = await setup();
    expect(await ctx.registry.registrationDigest(ctx.alice.address, ctx.alice.publicKeyHex)).to.equal(
      registrationDigestOf(ctx.chainId, ctx.registryAddress, ctx.alice.address, ctx.alice.publicKeyHex),
    );
    await registerOperator(ctx, ctx.alice);
    expect(await ctx.registry.operatorOfKey(ctx.alice.keyHash)).to.equal(ctx.alice.address);
  });
});
