import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { ZeroAddress } from "ethers";

import {
  CAPACITY,
  capacityAddedArgs,
  costOf,
  createPool,
  deployPoolsFixture,
  deployWallet,
  digestOf,
  makeReservation,
  now,
  poolFixture,
  sendReservation,
  signReservation,
  submitReservation,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";
import { capacityPoolsDomain, type ReservationData } from "../../../src/pools/reservation";

describe("CapacityPools.reserve (deadline, nonces and signatures)", () => {
  const setup = () => loadPoolsFixture(deployPoolsFixture);

  function submit(ctx: PoolsFixture, r: ReservationData, customerSig: string, sponsorSig = "0x", by = ctx.stranger) {
    return ctx.pools.connect(by).reserve(r, customerSig, sponsorSig);
  }

  async function expectCreated(ctx: PoolsFixture, r: ReservationData) {
    const p = await ctx.pools.getPool(digestOf(ctx, r));
    expect(p.owner, "pool created").to.equal(r.customer);
    expect(await ctx.pools.nonceUsed(r.customer, r.nonce)).to.equal(true);
  }

  describe("deadline", () => {
    it("reverts with CapacityPools_ReservationExpired one second after the deadline", async () => {
      const ctx = await setup();
      const deadline = (await now()) + 100n;
      const r = makeReservation(ctx, { deadline });
      const sig = await signReservation(ctx.customer, ctx, r);
      await time.setNextBlockTimestamp(deadline + 1n);
      await expect(submit(ctx, r, sig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_ReservationExpired")
        .withArgs(deadline);
    });

    it("accepts the reservation at exactly the deadline", async () => {
      const ctx = await setup();
      const deadline = (await now()) + 100n;
      const r = makeReservation(ctx, { deadline });
      const sig = await signReservation(ctx.customer, ctx, r);
      await time.setNextBlockTimestamp(deadline);
      await submit(ctx, r, sig);
      await expectCreated(ctx, r);
    });
  });

  it("reverts with CapacityPools_ZeroAddressCustomer for the zero customer", async () => {
    const ctx = await setup();
    const r = makeReservation(ctx, { customer: ZeroAddress });
    await expect(submit(ctx, r, await signReservation(ctx.customer, ctx, r))).to.be.revertedWithCustomError(
      ctx.pools,
      "CapacityPools_ZeroAddressCustomer",
    );
  });

  describe("nonces", () => {
    it("reverts with CapacityPools_NonceUsed when the same signed reservation is submitted again", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const sig = await signReservation(ctx.customer, ctx, r);
      await submit(ctx, r, sig);
      await expect(submit(ctx, r, sig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
        .withArgs(ctx.customer.address, r.nonce);
      expect(await ctx.token.balanceOf(ctx.poolsAddress)).to.equal(costOf(CAPACITY));
    });

    it("reverts with CapacityPools_NonceUsed for a top-up signed with a used nonce", async () => {
      const ctx = await loadPoolsFixture(poolFixture);
      const r = makeReservation(ctx, { poolId: ctx.poolId, nonce: ctx.created.data.nonce });
      await expect(sendReservation(ctx, r))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
        .withArgs(ctx.customer.address, r.nonce);
    });

    it("reverts with CapacityPools_NonceUsed for a nonce the customer cancelled", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const sig = await signReservation(ctx.customer, ctx, r);
      await ctx.pools.connect(ctx.customer).cancelNonce(r.nonce);
      await expect(submit(ctx, r, sig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
        .withArgs(ctx.customer.address, r.nonce);
    });

    it("accepts a nonce another customer used", async () => {
      const ctx = await setup();
      const first = await createPool(ctx);
      const r = makeReservation(ctx, { customer: ctx.stranger.address, nonce: first.data.nonce });
      await submitReservation(ctx, r, { submitter: ctx.customer });
      await expectCreated(ctx, r);
    });
  });

  describe("the customer's signature", () => {
    it("reverts with CapacityPools_InvalidSignature(customer) when another account signed", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      for (const signer of [ctx.sponsor, ctx.stranger, ctx.provider]) {
        await expect(submit(ctx, r, await signReservation(signer, ctx, r)))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
          .withArgs(ctx.customer.address);
      }
    });

    it("reverts with CapacityPools_InvalidSignature(customer) for a signature over another reservation", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const sig = await signReservation(ctx.customer, ctx, { ...r, cus: r.cus + 1n });
      await expect(submit(ctx, r, sig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(ctx.customer.address);
    });

    it("reverts with CapacityPools_InvalidSignature(customer) for a signature in another domain", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const domains = [
        capacityPoolsDomain(ctx.chainId, ctx.stranger.address),
        capacityPoolsDomain(ctx.chainId + 1n, ctx.poolsAddress),
        { ...ctx.domain, name: "Accord DealMarket" },
        { ...ctx.domain, version: "2" },
      ];
      for (const domain of domains) {
        await expect(submit(ctx, r, await signReservation(ctx.customer, ctx, r, domain)))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
          .withArgs(ctx.customer.address);
      }
    });

    it("reverts with CapacityPools_InvalidSignature(customer) for a malformed signature", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      const good = await signReservation(ctx.customer, ctx, r);
      for (const sig of ["0x", good.slice(0, 130), "0x" + "ab".repeat(65), good + "00"]) {
        await expect(submit(ctx, r, sig))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
          .withArgs(ctx.customer.address);
      }
    });

    it("accepts an empty signature from a customer who submits the reservation", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx);
      await submit(ctx, r, "0x", "0x", ctx.customer);
      await expectCreated(ctx, r);
    });
  });

  describe("with a sponsor", () => {
    it("reverts with CapacityPools_InvalidSignature(sponsor) when its signature is missing or not its own", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { sponsor: ctx.sponsor.address });
      const customerSig = await signReservation(ctx.customer, ctx, r);
      for (const sponsorSig of ["0x", customerSig, await signReservation(ctx.stranger, ctx, r)]) {
        await expect(submit(ctx, r, customerSig, sponsorSig))
          .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
          .withArgs(ctx.sponsor.address);
      }
    });

    it("reverts with CapacityPools_InvalidSignature(customer) when the two signatures are swapped", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { sponsor: ctx.sponsor.address });
      const customerSig = await signReservation(ctx.customer, ctx, r);
      const sponsorSig = await signReservation(ctx.sponsor, ctx, r);
      await expect(submit(ctx, r, sponsorSig, customerSig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(ctx.customer.address);
    });

    it("accepts an empty sponsor signature from the submitting sponsor, still requiring the customer's", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { sponsor: ctx.sponsor.address });
      await expect(submit(ctx, r, "0x", "0x", ctx.sponsor))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(ctx.customer.address);
      const tx = await submit(ctx, r, await signReservation(ctx.customer, ctx, r), "0x", ctx.sponsor);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.sponsor, ctx.customer, ctx.pools],
        [-costOf(CAPACITY), 0n, costOf(CAPACITY)],
      );
      await expectCreated(ctx, r);
    });

    it("accepts both signatures, the sponsor paying", async () => {
      const ctx = await setup();
      const r = makeReservation(ctx, { sponsor: ctx.sponsor.address });
      const tx = await submit(
        ctx,
        r,
        await signReservation(ctx.customer, ctx, r),
        await signReservation(ctx.sponsor, ctx, r),
      );
      await expect(tx)
        .to.emit(ctx.pools, "CapacityAdded")
        .withArgs(...capacityAddedArgs(digestOf(ctx, r), r, ctx.sponsor.address, costOf(CAPACITY)));
      await expectCreated(ctx, r);
    });
  });

  it("ignores the sponsor signature argument without a sponsor", async () => {
    const ctx = await setup();
    const r = makeReservation(ctx);
    await submit(ctx, r, await signReservation(ctx.customer, ctx, r), "0xdeadbeef");
    await expectCreated(ctx, r);
  });

  describe("ERC-1271 contract wallets", () => {
    it("accepts a wallet customer whose owner signed: the wallet owns the pool and pays", async () => {
      const ctx = await setup();
      const wallet = await deployWallet(ctx);
      const walletAddress = await wallet.getAddress();
      const r = makeReservation(ctx, { customer: walletAddress });
      const tx = await submit(ctx, r, await signReservation(ctx.walletOwner, ctx, r));
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [wallet, ctx.walletOwner, ctx.pools],
        [-costOf(CAPACITY), 0n, costOf(CAPACITY)],
      );
      const p = await ctx.pools.getPool(digestOf(ctx, r));
      expect(p.owner).to.equal(walletAddress);
      expect(await ctx.pools.nonceUsed(walletAddress, r.nonce)).to.equal(true);
    });

    it("accepts a wallet sponsor whose owner signed: the wallet pays", async () => {
      const ctx = await setup();
      const wallet = await deployWallet(ctx);
      const walletAddress = await wallet.getAddress();
      const r = makeReservation(ctx, { sponsor: walletAddress });
      const tx = await submit(
        ctx,
        r,
        await signReservation(ctx.customer, ctx, r),
        await signReservation(ctx.walletOwner, ctx, r),
      );
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [wallet, ctx.customer, ctx.pools],
        [-costOf(CAPACITY), 0n, costOf(CAPACITY)],
      );
      expect((await ctx.pools.getPool(digestOf(ctx, r))).sponsor).to.equal(walletAddress);
    });

    it("reverts with CapacityPools_InvalidSignature(wallet) when the wallet rejects or another account signed", async () => {
      const ctx = await setup();
      const wallet = await deployWallet(ctx);
      const walletAddress = await wallet.getAddress();
      const asCustomer = makeReservation(ctx, { customer: walletAddress });
      await expect(submit(ctx, asCustomer, await signReservation(ctx.stranger, ctx, asCustomer)))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(walletAddress);
      const asSponsor = makeReservation(ctx, { sponsor: walletAddress });
      const customerSig = await signReservation(ctx.customer, ctx, asSponsor);
      const ownerSig = await signReservation(ctx.walletOwner, ctx, asSponsor);
      await wallet.connect(ctx.walletOwner).setRejectSignatures(true);
      await expect(submit(ctx, asSponsor, customerSig, ownerSig))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(walletAddress);
      await expect(submit(ctx, asCustomer, await signReservation(ctx.walletOwner, ctx, asCustomer)))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_InvalidSignature")
        .withArgs(walletAddress);
    });
  });
});
