// The solver's signer recovery agrees with ethers' verifyTypedData, signature for signature, and refuses what ethers
// refuses; its digest (encoded over bytes for the solver's flat types, hashed with WASM keccak) is ethers'.

import { expect } from "chai";
import { TypedDataEncoder, Wallet, verifyTypedData, type TypedDataField } from "ethers";
import {
  MACHINE_OFFER_POST_TYPES,
  machineOfferPost,
  OFFER_POST_TYPES,
  offerPost,
  offerPostDomain,
  PARTY_SUBSCRIPTION_TYPES,
} from "../../src/solver";
import { recoverTypedDataSigner, typedDataDigest, wasmKeccakReady } from "../../src/solver/recover";
import { seededRandom } from "../model/helpers";

describe("solver: EIP-712 signer recovery", () => {
  before(() => wasmKeccakReady());

  it("recovers the signer ethers recovers, over several domains and types", async () => {
    for (let i = 0; i < 24; i++) {
      const wallet = Wallet.createRandom();
      const domain = offerPostDomain(i % 2 === 0 ? 31337n : 1n);
      const [types, value]: [Record<string, TypedDataField[]>, Record<string, unknown>] =
        i % 3 === 0
          ? [PARTY_SUBSCRIPTION_TYPES, { party: wallet.address, solver: wallet.address, expiry: 1_800_000_000 + i }]
          : i % 3 === 1
            ? [OFFER_POST_TYPES, offerPost(i % 2 === 0 ? "job" : "resource", `Qm${i}`, wallet.address)]
            : [MACHINE_OFFER_POST_TYPES, machineOfferPost(`Qm${i}`, "0x" + `${i % 10}`.repeat(64), wallet.address)];
      const signature = await wallet.signTypedData(domain, types, value);
      expect(recoverTypedDataSigner(domain, types, value, signature)).to.equal(wallet.address.toLowerCase());
      expect(recoverTypedDataSigner(domain, types, value, signature)).to.equal(
        verifyTypedData(domain, types, value, signature).toLowerCase(),
      );
      // Another message recovers someone else.
      const other = { ...value, solver: "0x" + "12".repeat(20) };
      expect(recoverTypedDataSigner(domain, types, other, signature)).to.not.equal(wallet.address.toLowerCase());
    }
  });

  it("gives ethers' digest for any value, on the byte encoding and on ethers' own path", () => {
    const rand = seededRandom(11);
    const hex = (bytes: number) =>
      "0x" +
      Array.from({ length: bytes }, () =>
        Math.floor(rand() * 256)
          .toString(16)
          .padStart(2, "0"),
      ).join("");
    const strings = ["", "job", "resource", "withdraw", "Qm" + "x".repeat(44), "ünïcødé ✓ 𝄞", "a".repeat(300)];
    for (let i = 0; i < 200; i++) {
      const domain = offerPostDomain(BigInt(1 + Math.floor(rand() * 100_000)));
      const solver = hex(20);
      // Lower, upper and checksummed (mixed case: ethers' path) addresses.
      const solverAs = [solver, "0x" + solver.slice(2).toUpperCase(), Wallet.createRandom().address][i % 3];
      const offerId = strings[i % strings.length] + String(i);
      const cases: [Record<string, TypedDataField[]>, Record<string, unknown>][] = [
        [OFFER_POST_TYPES, offerPost(["job", "resource", "withdraw"][i % 3] as "job", offerId, solverAs)],
        [
          MACHINE_OFFER_POST_TYPES,
          machineOfferPost(offerId, i % 2 ? hex(32) : hex(32).toUpperCase().replace("0X", "0x"), solverAs),
        ],
        [PARTY_SUBSCRIPTION_TYPES, { party: solverAs, solver: solverAs, expiry: 1_800_000_000 + i }],
      ];
      for (const [types, value] of cases) {
        expect(typedDataDigest(domain, types, value)).to.equal(TypedDataEncoder.hash(domain, types, value));
      }
    }
  });

  it("refuses what ethers' encoder refuses: a bad checksum, a short bytes32, a non-string", () => {
    const domain = offerPostDomain(31337n);
    const address = Wallet.createRandom().address;
    const badChecksum =
      address.slice(0, 2) + (address[2] === "a" ? "A" : address[2] === "A" ? "a" : address[2]) + address.slice(3);
    const bad: [Record<string, TypedDataField[]>, Record<string, unknown>][] = [
      [OFFER_POST_TYPES, offerPost("job", "QmX", "0x1234")],
      [MACHINE_OFFER_POST_TYPES, machineOfferPost("QmX", "0x1234", address)],
      [OFFER_POST_TYPES, { kind: 7, offerId: "QmX", solver: address }],
    ];
    if (badChecksum !== address) bad.push([OFFER_POST_TYPES, offerPost("job", "QmX", badChecksum)]);
    for (const [types, value] of bad) {
      expect(() => TypedDataEncoder.hash(domain, types, value)).to.throw();
      expect(() => typedDataDigest(domain, types, value)).to.throw();
    }
  });

  it("refuses a malformed or high-s signature, as ethers does", async () => {
    const wallet = Wallet.createRandom();
    const domain = offerPostDomain(31337n);
    const value = offerPost("job", "QmX", wallet.address);
    const signature = await wallet.signTypedData(domain, OFFER_POST_TYPES, value);
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const s = BigInt("0x" + signature.slice(66, 130));
    const highS = signature.slice(0, 66) + (n - s).toString(16).padStart(64, "0") + signature.slice(130);
    for (const bad of ["0x1234", highS]) {
      expect(() => verifyTypedData(domain, OFFER_POST_TYPES, value, bad)).to.throw();
      expect(() => recoverTypedDataSigner(domain, OFFER_POST_TYPES, value, bad)).to.throw();
    }
  });
});
