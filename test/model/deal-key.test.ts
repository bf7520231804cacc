import { expect } from "chai";
import { ethers } from "hardhat";
import { bytes32ToCid, dealKey, mediatorDrawIndex } from "../../src/model";
import { DealHashingHarness__factory } from "../../typechain-types";

// The TypeScript formulas must be the contract's: checked against DealHashing through a harness.
describe("model: deal key and mediator draw", () => {
  it("computes the contract's deal key from a CID or its digest, and the contract's draw index", async () => {
    const [deployer] = await ethers.getSigners();
    const harness = await new DealHashingHarness__factory(deployer).deploy();
    for (let i = 0; i < 8; i++) {
      const id = ethers.hexlify(ethers.randomBytes(32));
      const jc = ethers.Wallet.createRandom().address;
      const rp = ethers.Wallet.createRandom().address;
      const onChain = await harness.dealKey(id, jc, rp);
      expect(dealKey(id, jc, rp)).to.equal(onChain);
      expect(dealKey(bytes32ToCid(id), jc, rp)).to.equal(onChain);
      const blockHash = ethers.hexlify(ethers.randomBytes(32));
      const count = 1 + i * 4;
      expect(mediatorDrawIndex(blockHash, onChain, count)).to.equal(
        Number(await harness.drawIndex(blockHash, onChain, count)),
      );
    }
  });

  it("refuses a mediator count that is not a positive integer", () => {
    expect(() => mediatorDrawIndex(ethers.ZeroHash, ethers.ZeroHash, 0)).to.throw(RangeError, /mediatorCount/);
  });
});
