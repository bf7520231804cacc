import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Signature, ZeroAddress } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { AccordToken } from "../../../typechain-types";
import { INITIAL_SUPPLY, deployMarketFixture, makeTerms, nextDealId } from "../../helpers/fixtures";

async function signPermit(
  token: AccordToken,
  signer: HardhatEthersSigner,
  owner: string,
  spender: string,
  value: bigint,
  deadline: bigint,
  nonce?: bigint,
) {
  const domain = {
    name: "Accord Token",
    version: "1",
    chainId: (await ethers.provider.getNetwork()).chainId,
    verifyingContract: await token.getAddress(),
  };
  const types = {
    Permit: [
      { name: "owner", type: "address" },
      { name: "spender", type: "address" },
      { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" },
      { name: "deadline", type: "uint256" },
    ],
  };
  const n = nonce ?? (await token.nonces(owner));
  return Signature.from(await signer.signTypedData(domain, types, { owner, spender, value, nonce: n, deadline }));
}

describe("AccordToken", () => {
  const setup = () => loadFixture(deployMarketFixture);

  it("has its name, symbol, decimals, supply and owner", async () => {
    const { token, deployer } = await setup();
    expect(await token.name()).to.equal("Accord Token");
    expect(await token.symbol()).to.equal("ACD");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.owner()).to.equal(deployer.address);
    // The fixture minted FUNDING to seven parties on top of the initial supply.
    expect(await token.balanceOf(deployer.address)).to.equal(INITIAL_SUPPLY);
    const fresh = await ethers.deployContract("AccordToken", [deployer.address, 123n]);
    expect(await fresh.totalSupply()).to.equal(123n);
    expect(await fresh.balanceOf(deployer.address)).to.equal(123n);
  });

  describe("mint", () => {
    it("reverts with OwnableUnauthorizedAccount when the caller is not the owner", async () => {
      const { token, stranger } = await setup();
      await expect(token.connect(stranger).mint(stranger.address, 1n))
        .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
        .withArgs(stranger.address);
    });

    it("mints to any account when the caller is the owner", async () => {
      const { token, deployer, stranger } = await setup();
      const supply = await token.totalSupply();
      const tx = token.connect(deployer).mint(stranger.address, 77n);
      await expect(tx).to.emit(token, "Transfer").withArgs(ZeroAddress, stranger.address, 77n);
      await expect(tx).to.changeTokenBalance(token, stranger, 77n);
      expect(await token.totalSupply()).to.equal(supply + 77n);
    });
  });

  describe("permit", () => {
    it("reverts with ERC2612ExpiredSignature when the deadline has passed", async () => {
      const { token, jobCreator, stranger } = await setup();
      const deadline = BigInt(await time.latest());
      const sig = await signPermit(token, jobCreator, jobCreator.address, stranger.address, 5n, deadline);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(token.permit(jobCreator.address, stranger.address, 5n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612ExpiredSignature")
        .withArgs(deadline);
    });

    it("reverts with ERC2612InvalidSigner when another account signed", async () => {
      const { token, jobCreator, stranger } = await setup();
      const deadline = BigInt(await time.latest()) + 86_400n;
      const sig = await signPermit(token, stranger, jobCreator.address, stranger.address, 5n, deadline);
      await expect(token.permit(jobCreator.address, stranger.address, 5n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC2612InvalidSigner")
        .withArgs(stranger.address, jobCreator.address);
    });

    it("reverts with ERC2612InvalidSigner when the value differs or the nonce was used", async () => {
      const { token, jobCreator, stranger } = await setup();
      const deadline = BigInt(await time.latest()) + 86_400n;
      const sig = await signPermit(token, jobCreator, jobCreator.address, stranger.address, 5n, deadline);
      await expect(
        token.permit(jobCreator.address, stranger.address, 6n, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
      await token.permit(jobCreator.address, stranger.address, 5n, deadline, sig.v, sig.r, sig.s);
      await expect(
        token.permit(jobCreator.address, stranger.address, 5n, deadline, sig.v, sig.r, sig.s),
      ).to.be.revertedWithCustomError(token, "ERC2612InvalidSigner");
    });

    it("sets the allowance, bumps the nonce and emits Approval when the owner signed in time", async () => {
      const { token, jobCreator, stranger } = await setup();
      const deadline = BigInt(await time.latest()) + 86_400n;
      const sig = await signPermit(token, jobCreator, jobCreator.address, stranger.address, 5n, deadline);
      await time.setNextBlockTimestamp(deadline);
      await expect(
        token.connect(stranger).permit(jobCreator.address, stranger.address, 5n, deadline, sig.v, sig.r, sig.s),
      )
        .to.emit(token, "Approval")
        .withArgs(jobCreator.address, stranger.address, 5n);
      expect(await token.allowance(jobCreator.address, stranger.address)).to.equal(5n);
      expect(await token.nonces(jobCreator.address)).to.equal(1n);
      await expect(
        token.connect(stranger).transferFrom(jobCreator.address, stranger.address, 5n),
      ).to.changeTokenBalances(token, [jobCreator, stranger], [-5n, 5n]);
    });

    it("lets a party approve the DealMarket by signature instead of a transaction", async () => {
      const { token, market, jobCreator, deployer } = await setup();
      const fresh = (await ethers.getSigners())[9];
      await token.connect(deployer).mint(fresh.address, 10n ** 7n);
      const terms = makeTerms({ members: { jobCreator: fresh.address } });
      const dealId = nextDealId();
      await expect(market.connect(fresh).agree(dealId, terms)).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientAllowance",
      );
      const deadline = BigInt(await time.latest()) + 86_400n;
      const sig = await signPermit(token, fresh, fresh.address, await market.getAddress(), 10n ** 7n, deadline);
      await token
        .connect(jobCreator)
        .permit(fresh.address, await market.getAddress(), 10n ** 7n, deadline, sig.v, sig.r, sig.s);
      await expect(market.connect(fresh).agree(dealId, terms)).to.changeTokenBalance(token, fresh, -1_020_000n);
    });
  });
});
