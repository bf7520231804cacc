import { expect } from "chai";
import { MaxUint256 } from "ethers";

import {
  deployPoolsFixture,
  makeReservation,
  nextNonce,
  poolFixture,
  sendReservation,
  loadPoolsFixture,
} from "../../helpers/pools";

describe("CapacityPools.cancelNonce", () => {
  it("reverts with CapacityPools_NonceUsed for a nonce a reservation used", async () => {
    const ctx = await loadPoolsFixture(poolFixture);
    const nonce = ctx.created.data.nonce;
    await expect(ctx.pools.connect(ctx.customer).cancelNonce(nonce))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
      .withArgs(ctx.customer.address, nonce);
  });

  it("reverts with CapacityPools_NonceUsed for a nonce cancelled already", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const nonce = nextNonce();
    await ctx.pools.connect(ctx.customer).cancelNonce(nonce);
    await expect(ctx.pools.connect(ctx.customer).cancelNonce(nonce))
      .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
      .withArgs(ctx.customer.address, nonce);
  });

  it("marks the caller's nonce used, emits NonceCancelled, and refuses reservations signed with it", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    const nonce = nextNonce();
    await expect(ctx.pools.connect(ctx.customer).cancelNonce(nonce))
      .to.emit(ctx.pools, "NonceCancelled")
      .withArgs(ctx.customer.address, nonce);
    expect(await ctx.pools.nonceUsed(ctx.customer.address, nonce)).to.equal(true);
    expect(await ctx.pools.nonceUsed(ctx.stranger.address, nonce)).to.equal(false);
    expect(await ctx.pools.nonceUsed(ctx.customer.address, nonce + 1n)).to.equal(false);
    for (const r of [makeReservation(ctx, { nonce }), makeReservation(ctx, { nonce, sponsor: ctx.sponsor.address })]) {
      await expect(sendReservation(ctx, r))
        .to.be.revertedWithCustomError(ctx.pools, "CapacityPools_NonceUsed")
        .withArgs(ctx.customer.address, nonce);
    }
    // The same nonce is still the stranger's to use.
    await ctx.pools.connect(ctx.stranger).cancelNonce(nonce);
    expect(await ctx.pools.nonceUsed(ctx.stranger.address, nonce)).to.equal(true);
  });

  it("cancels nonce zero and the largest nonce", async () => {
    const ctx = await loadPoolsFixture(deployPoolsFixture);
    for (const nonce of [0n, MaxUint256]) {
      await expect(ctx.pools.connect(ctx.sponsor).cancelNonce(nonce))
        .to.emit(ctx.pools, "NonceCancelled")
        .withArgs(ctx.sponsor.address, nonce);
      expect(await ctx.pools.nonceUsed(ctx.sponsor.address, nonce)).to.equal(true);
    }
  });
});
