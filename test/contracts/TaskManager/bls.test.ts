import { expect } from "chai";
import { ethers } from "hardhat";
import { getBytes, toUtf8Bytes } from "ethers";
import { bls12_381 } from "@noble/curves/bls12-381";

import {
  BLS_POP_DST,
  BLS_SIGNATURE_DST,
  G2_GENERATOR,
  aggregateG1,
  aggregateG2,
  blsPublicKey,
  blsSign,
  decodeG1,
  decodeG2,
  encodeG1,
  encodeG2,
  hashToG1,
} from "../../../src/quorum/bls";
import type { QuorumCheckHarness } from "../../../typechain-types";
import { nextBlsSecretKey } from "../../helpers/quorum";

const G1 = bls12_381.G1.ProjectivePoint;
const P = bls12_381.fields.Fp.ORDER;

describe("BLS12381 library against src/quorum/bls.ts", () => {
  let harness: QuorumCheckHarness;
  before(async () => {
    harness = await ethers.deployContract("QuorumCheckHarness");
  });

  const g1 = (k: bigint) => G1.BASE.multiply(k);
  const g2 = (k: bigint) => G2_GENERATOR.multiply(k);

  it("hashToG1 equals bls.ts' hashToG1 under both DSTs and a custom one", async () => {
    for (const dst of [BLS_SIGNATURE_DST, BLS_POP_DST, "QUUX-V01-CS02-with-BLS12381G1_XMD:SHA-256_SSWU_RO_"]) {
      for (const label of ["", "a", "task response", "0xff"]) {
        const message = ethers.id(label + dst);
        expect(await harness.hashToG1(message, toUtf8Bytes(dst))).to.equal(encodeG1(hashToG1(getBytes(message), dst)));
      }
    }
    expect(await harness.hashToG1(ethers.ZeroHash, toUtf8Bytes(BLS_SIGNATURE_DST))).to.equal(
      encodeG1(hashToG1(new Uint8Array(32), BLS_SIGNATURE_DST)),
    );
    await expect(harness.hashToG1(ethers.ZeroHash, new Uint8Array(256)))
      .to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength")
      .withArgs(256, 255);
    expect(await harness.hashToG1(ethers.ZeroHash, new Uint8Array(255))).to.equal(
      encodeG1(hashToG1(new Uint8Array(32), "\0".repeat(255))),
    );
  });

  it("g1Add, g2Add, negateG2 and subG2 equal noble's, the infinity included", async () => {
    const [a, b] = [nextBlsSecretKey(), nextBlsSecretKey()];
    expect(await harness.g1Add(encodeG1(g1(a)), encodeG1(g1(b)))).to.equal(encodeG1(g1(a).add(g1(b))));
    expect(await harness.g2Add(encodeG2(g2(a)), encodeG2(g2(b)))).to.equal(encodeG2(g2(a).add(g2(b))));
    expect(await harness.g2Add(encodeG2(g2(a)), encodeG2(aggregateG2([])))).to.equal(encodeG2(g2(a)));
    expect(await harness.negateG2(encodeG2(g2(a)))).to.equal(encodeG2(g2(a).negate()));
    expect(await harness.negateG2(encodeG2(aggregateG2([])))).to.equal(encodeG2(aggregateG2([])));
    expect(await harness.subG2(encodeG2(g2(a)), encodeG2(g2(b)))).to.equal(encodeG2(g2(a).subtract(g2(b))));
    expect(await harness.subG2(encodeG2(g2(a)), encodeG2(g2(a)))).to.equal(encodeG2(aggregateG2([])));
    // Many random negations: the two-limb borrow is exercised on both sides.
    for (let i = 0; i < 8; i++) {
      const k = nextBlsSecretKey();
      expect(decodeG2(await harness.negateG2(encodeG2(g2(k)))).equals(g2(k).negate())).to.equal(true);
    }
  });

  it("the arithmetic refuses wrong lengths and points off the curve", async () => {
    const point1 = encodeG1(g1(3n));
    const point2 = encodeG2(g2(3n));
    await expect(harness.g1Add(point1.slice(0, -2), point1))
      .to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength")
      .withArgs(127, 128);
    await expect(harness.g1Add(point1, "0x")).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.g2Add(point2, point1)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.g2Add(point1, point2)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.negateG2(point1)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    const off1 = point1.slice(0, -1) + (point1.endsWith("0") ? "1" : "0");
    const off2 = point2.slice(0, -1) + (point2.endsWith("0") ? "1" : "0");
    await expect(harness.g1Add(off1, point1))
      .to.be.revertedWithCustomError(harness, "BLS12381_PrecompileFailed")
      .withArgs(0x0b);
    await expect(harness.subG2(point2, off2))
      .to.be.revertedWithCustomError(harness, "BLS12381_PrecompileFailed")
      .withArgs(0x0d);
  });

  it("g1Msm and g2Msm equal noble's Σ kᵢ·Pᵢ and refuse empty or mismatched input", async () => {
    const [k1, k2] = [nextBlsSecretKey(), nextBlsSecretKey()];
    const p1 = [g1(5n), g1(9n)];
    const p2 = [g2(5n), g2(9n)];
    expect(await harness.g1Msm(p1.map(encodeG1), [k1, k2])).to.equal(
      encodeG1(p1[0].multiply(k1).add(p1[1].multiply(k2))),
    );
    expect(await harness.g2Msm(p2.map(encodeG2), [k1, k2])).to.equal(
      encodeG2(p2[0].multiply(k1).add(p2[1].multiply(k2))),
    );
    await expect(harness.g1Msm([], [])).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.g1Msm([encodeG1(p1[0])], [1n, 2n])).to.be.revertedWithCustomError(
      harness,
      "BLS12381_InvalidLength",
    );
    await expect(harness.g2Msm([encodeG1(p1[0])], [1n])).to.be.revertedWithCustomError(
      harness,
      "BLS12381_InvalidLength",
    );
  });

  it("mapFpToG1 and mapFp2ToG2 give subgroup points and refuse wrong lengths", async () => {
    const fp = "0x" + 123456789n.toString(16).padStart(128, "0");
    const mapped1 = await harness.mapFpToG1(fp);
    expect(() => decodeG1(mapped1)).to.not.throw();
    const mapped2 = await harness.mapFp2ToG2(fp + fp.slice(2));
    expect(() => decodeG2(mapped2)).to.not.throw();
    await expect(harness.mapFpToG1(fp + "00")).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.mapFp2ToG2(fp)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    const unreduced = "0x" + P.toString(16).padStart(128, "0");
    await expect(harness.mapFpToG1(unreduced))
      .to.be.revertedWithCustomError(harness, "BLS12381_PrecompileFailed")
      .withArgs(0x10);
  });

  it("pairing2 and verify check e(sig, −g2)·e(H(m), pk) = 1, failing closed", async () => {
    const sk = nextBlsSecretKey();
    const pk = encodeG2(blsPublicKey(sk));
    const message = ethers.id("pairing");
    const sig = blsSign(sk, getBytes(message));
    const h = encodeG1(hashToG1(getBytes(message), BLS_SIGNATURE_DST));
    const negG2 = encodeG2(G2_GENERATOR.negate());
    expect(await harness.pairing2(encodeG1(sig), negG2, h, pk)).to.equal(true);
    expect(await harness.pairing2(encodeG1(sig.double()), negG2, h, pk)).to.equal(false);
    expect(await harness.verify(encodeG1(sig), pk, message, toUtf8Bytes(BLS_SIGNATURE_DST))).to.equal(true);
    expect(await harness.verify(encodeG1(sig), pk, message, toUtf8Bytes(BLS_POP_DST))).to.equal(false);
    const off = h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");
    expect(await harness.pairing2(encodeG1(sig), negG2, off, pk)).to.equal(false);
    await expect(harness.pairing2(pk, negG2, h, pk)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.pairing2(h, h, h, pk)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.pairing2(h, pk, pk, pk)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    await expect(harness.pairing2(h, pk, h, h)).to.be.revertedWithCustomError(harness, "BLS12381_InvalidLength");
    // The aggregate of two signatures verifies under the aggregate key.
    const sk2 = nextBlsSecretKey();
    const both = encodeG1(aggregateG1([sig, blsSign(sk2, getBytes(message))]));
    const apk = encodeG2(aggregateG2([blsPublicKey(sk), blsPublicKey(sk2)]));
    expect(await harness.verify(both, apk, message, toUtf8Bytes(BLS_SIGNATURE_DST))).to.equal(true);
  });

  it("isValidEncoding accepts reduced non-zero encodings; isInfinity recognises zeros", async () => {
    const point = encodeG2(g2(7n));
    expect(await harness.isValidEncoding(point, 256)).to.equal(true);
    expect(await harness.isValidEncoding(point, 128)).to.equal(false);
    expect(await harness.isValidEncoding(encodeG2(aggregateG2([])), 256)).to.equal(false);
    const pHi = "0x" + P.toString(16).padStart(128, "0") + point.slice(130);
    expect(await harness.isValidEncoding(pHi, 256)).to.equal(false);
    const pMinus = "0x" + (P - 1n).toString(16).padStart(128, "0") + point.slice(130);
    expect(await harness.isValidEncoding(pMinus, 256)).to.equal(true);
    // hi equal to p's high limb with lo above p's low limb.
    const sameHi = "0x" + (P + 1n).toString(16).padStart(128, "0");
    expect(await harness.isValidEncoding(sameHi + point.slice(130), 256)).to.equal(false);
    expect(await harness.isInfinity("0x" + "00".repeat(128))).to.equal(true);
    expect(await harness.isInfinity(encodeG1(g1(2n)))).to.equal(false);
  });
});
