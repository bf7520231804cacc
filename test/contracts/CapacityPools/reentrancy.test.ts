import { expect } from "chai";

import {
  CAPACITY,
  assignAndStart,
  at,
  costOf,
  defaultAccrual,
  deployReentrantPoolsFixture,
  digestOf,
  makeReservation,
  sendReservation,
  signaturesFor,
  type PoolsFixture,
  loadPoolsFixture,
} from "../../helpers/pools";
import type { ReentrantERC20Mock } from "../../../typechain-types";

type Ctx = PoolsFixture<ReentrantERC20Mock>;

describe("CapacityPools re-entrancy", () => {
  const setup = () => loadPoolsFixture(deployReentrantPoolsFixture);

  /** Calls the token can make back into the pools (any arguments: the guard reverts first). */
  async function reentrantCalls(ctx: Ctx): Promise<Array<[string, string]>> {
    const r = makeReservation(ctx);
    const [sig] = await signaturesFor(ctx, r);
    const i = ctx.pools.interface;
    return [
      ["reserve", i.encodeFunctionData("reserve", [r, sig, "0x"])],
      ["withdrawEarnings", i.encodeFunctionData("withdrawEarnings", [ctx.provider.address, []])],
      ["withdrawUnconsumed", i.encodeFunctionData("withdrawUnconsumed", [digestOf(ctx, r), ctx.customer.address])],
    ];
  }

  async function expectGuarded(ctx: Ctx, name: string) {
    expect(await ctx.token.reentered(), `${name}: the hook ran`).to.equal(true);
    expect(await ctx.token.reentrySucceeded(), `${name}: the re-entrant call failed`).to.equal(false);
    const selector = ctx.pools.interface.getError("ReentrancyGuardReentrantCall")!.selector;
    expect(await ctx.token.reentryReturnData(), name).to.equal(selector);
  }

  it("refuses every guarded call during reserve's pull, and completes the reservation", async () => {
    for (const [name, data] of await reentrantCalls(await setup())) {
      const ctx = await setup();
      const r = makeReservation(ctx);
      await ctx.token.arm(ctx.poolsAddress, data);
      const tx = await sendReservation(ctx, r);
      await expectGuarded(ctx, name);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.customer, ctx.pools],
        [-costOf(CAPACITY), costOf(CAPACITY)],
      );
      expect((await ctx.pools.getPool(digestOf(ctx, r))).owner).to.equal(ctx.customer.address);
    }
  });

  it("refuses every guarded call during withdrawEarnings' payout, and pays", async () => {
    for (const [name, data] of await reentrantCalls(await setup())) {
      const ctx = await setup();
      const r = makeReservation(ctx);
      await sendReservation(ctx, r);
      const poolId = digestOf(ctx, r);
      const { startedAt } = await assignAndStart(ctx, poolId);
      await ctx.token.arm(ctx.poolsAddress, data);
      await at(startedAt + 100n);
      const tx = await ctx.pools.connect(ctx.provider).withdrawEarnings(ctx.provider.address, [poolId]);
      await expectGuarded(ctx, name);
      const amount = defaultAccrual(100n);
      await expect(tx).to.changeTokenBalances(ctx.token, [ctx.provider, ctx.pools], [amount, -amount]);
      expect(await ctx.pools.earnings(ctx.provider.address)).to.equal(0n);
    }
  });

  it("refuses every guarded call during withdrawUnconsumed's payout, and pays", async () => {
    for (const [name, data] of await reentrantCalls(await setup())) {
      const ctx = await setup();
      const r = makeReservation(ctx);
      await sendReservation(ctx, r);
      const poolId = digestOf(ctx, r);
      await ctx.token.arm(ctx.poolsAddress, data);
      const tx = await ctx.pools.connect(ctx.customer).withdrawUnconsumed(poolId, ctx.customer.address);
      await expectGuarded(ctx, name);
      await expect(tx).to.changeTokenBalances(
        ctx.token,
        [ctx.customer, ctx.pools],
        [costOf(CAPACITY), -costOf(CAPACITY)],
      );
      expect((await ctx.pools.getPool(poolId)).cu.value).to.equal(0n);
    }
  });

  it("lets an unguarded syncPool during reserve's pull see the pool already written", async () => {
    const ctx = await setup();
    const r = makeReservation(ctx);
    const poolId = digestOf(ctx, r);
    await ctx.token.arm(ctx.poolsAddress, ctx.pools.interface.encodeFunctionData("syncPool", [poolId]));
    await sendReservation(ctx, r);
    expect(await ctx.token.reentered()).to.equal(true);
    expect(await ctx.token.reentrySucceeded()).to.equal(true);
  });
});
