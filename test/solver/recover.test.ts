// The solver's signer recovery agrees with ethers' verifyTypedData, signature for signature, and refuses what ethers
// refuses.

import { expect } from "chai";
import { Wallet, verifyTypedData } from "ethers";
import { OFFER_POST_TYPES, offerPost, offerPostDomain, PARTY_SUBSCRIPTION_TYPES } from "../../src/solver";
import { recoverTypedDataSigner } from "../../src/solver/recover";

describe("solver: EIP-712 signer recovery", () => {
  it("recovers the signer ethers recovers, over several domains and types", async () => {
    for (let i = 0; i < 24; i++) {
      const wallet = Wallet.createRandom();
      const domain = offerPostDomain(i % 2 === 0 ? 31337n : 1n);
      const [types, value] =
        i % 3 === 0
          ? [PARTY_SUBSCRIPTION_TYPES, { party: wallet.address, solver: wallet.address, expiry: 1_800_000_000 + i }]
          : [OFFER_POST_TYPES, offerPost(i % 2 === 0 ? "job" : "resource", `Qm${i}`, wallet.address)];
      const signature = await wallet.signTypedData(domain, types, value);
      expect(recoverTypedDataSigner(domain, types, value, signature)).to.equal(wallet.address);
      expect(recoverTypedDataSigner(domain, types, value, signature)).to.equal(
        verifyTypedData(domain, types, value, signature),
      );
      // Another message recovers someone else.
      const other = { ...value, solver: "0x" + "12".repeat(20) };
      expect(recoverTypedDataSigner(domain, types, other, signature)).to.not.equal(wallet.address);
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
