import { expect } from "chai";
import { ethers } from "hardhat";
import { ZeroAddress, ZeroHash } from "ethers";

import {
  PAYMENT_CHANNELS_EIP712_NAME,
  PAYMENT_CHANNELS_EIP712_VERSION,
  closeDigest,
  voucherDigest,
  type Voucher,
} from "../../../src/channels/voucher";
import {
  ChannelStatus,
  DEFAULT_SETTLE_DELAY,
  MAX_LANE,
  MAX_MERGES,
  MAX_SECRET_BYTES,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
  channelView,
  deployChannelsFixture,
  laneView,
  loadChannelsFixture,
  makeVoucher,
  nextSalt,
  openChannel,
} from "../../helpers/channels";

describe("PaymentChannels views", () => {
  const setup = () => loadChannelsFixture(deployChannelsFixture);

  it("channelIdOf is keccak256(abi.encode(payer, salt)), distinct per payer and salt", async () => {
    const ctx = await setup();
    const coder = ethers.AbiCoder.defaultAbiCoder();
    const ids = new Set<string>();
    for (const payer of [ctx.payer.address, ctx.payee.address, ZeroAddress]) {
      for (const salt of [ZeroHash, ethers.id("a"), ethers.id("b")]) {
        const id = await ctx.channels.connect(ctx.stranger).channelIdOf(payer, salt);
        expect(id).to.equal(ethers.keccak256(coder.encode(["address", "bytes32"], [payer, salt])));
        ids.add(id);
      }
    }
    expect(ids.size).to.equal(9);
  });

  it("getChannel, getLane and deferredPayouts read all zero for what does not exist", async () => {
    const ctx = await setup();
    const id = ethers.id("none");
    expect(await channelView(ctx.channels, id)).to.deep.equal({
      payer: ZeroAddress,
      settlingAt: 0n,
      settleDelay: 0n,
      payee: ZeroAddress,
      minSettleHeight: 0n,
      status: ChannelStatus.None,
      token: ZeroAddress,
      balance: 0n,
      toSend: 0n,
    });
    const { channelId } = await openChannel(ctx);
    for (const [c, lane] of [
      [id, 0n],
      [channelId, 0n],
      [channelId, MAX_LANE],
    ] as const) {
      expect(await laneView(ctx.channels, c, lane)).to.deep.equal({ redeemed: 0n, nonce: 0n, exists: false });
    }
    for (const token of [ZeroAddress, ctx.tokenAddress]) {
      expect(await ctx.channels.deferredPayouts(token, ctx.payer.address)).to.equal(0n);
    }
  });

  it("eip712Domain is Accord PaymentChannels v1 on this chain and address", async () => {
    const ctx = await setup();
    const d = await ctx.channels.eip712Domain();
    expect([d.name, d.version, d.chainId, d.verifyingContract]).to.deep.equal([
      PAYMENT_CHANNELS_EIP712_NAME,
      PAYMENT_CHANNELS_EIP712_VERSION,
      ctx.chainId,
      ctx.channelsAddress,
    ]);
    expect(d.fields).to.equal("0x0f");
  });

  it("voucherDigest and closeDigest equal the TypeScript digests, with or without a channel", async () => {
    const ctx = await setup();
    const salt = nextSalt();
    const channelId = await ctx.channels.channelIdOf(ctx.payer.address, salt);
    const v = makeVoucher(channelId, {
      lane: 5n,
      nonce: 6n,
      amount: 7n,
      merges: [
        { lane: 1n, nonce: 2n },
        { lane: 3n, nonce: 4n },
      ],
      extraData: "0x1234",
      extraTarget: ctx.extraAddress,
      secretHash: ethers.id("s"),
      timeLockMin: 8n,
      timeLockMax: 9n,
      minSettleHeight: 10n,
    });
    const close = { channelId, toSend: 11n, deadline: 12n };
    const before = [await ctx.channels.voucherDigest(v), await ctx.channels.closeDigest(close)];
    expect(before).to.deep.equal([voucherDigest(v, ctx.domain), closeDigest(close, ctx.domain)]);
    await openChannel(ctx, { salt });
    expect([await ctx.channels.voucherDigest(v), await ctx.channels.closeDigest(close)]).to.deep.equal(before);
  });

  it("voucherDigest changes with every field, each merge and the merges' order", async () => {
    const ctx = await setup();
    const base = makeVoucher(ethers.id("c"), {
      merges: [
        { lane: 1n, nonce: 2n },
        { lane: 3n, nonce: 4n },
      ],
      extraData: "0xab",
    });
    const variants: Array<[string, Voucher]> = [
      ["channelId", { ...base, channelId: ethers.id("d") }],
      ["timeLockMin", { ...base, timeLockMin: 1n }],
      ["timeLockMax", { ...base, timeLockMax: 1n }],
      ["secretHash", { ...base, secretHash: ethers.id("x") }],
      ["extraTarget", { ...base, extraTarget: ctx.extraAddress }],
      ["extraData", { ...base, extraData: "0xac" }],
      ["extraData (longer)", { ...base, extraData: "0xab00" }],
      ["lane", { ...base, lane: 1n }],
      ["nonce", { ...base, nonce: 2n }],
      ["amount", { ...base, amount: 101n }],
      ["minSettleHeight", { ...base, minSettleHeight: 1n }],
      ["a merge's lane", { ...base, merges: [{ lane: 9n, nonce: 2n }, base.merges[1]] }],
      ["a merge's nonce", { ...base, merges: [base.merges[0], { lane: 3n, nonce: 5n }] }],
      ["the merges' order", { ...base, merges: [base.merges[1], base.merges[0]] }],
      ["one merge fewer", { ...base, merges: [base.merges[0]] }],
      ["no merge", { ...base, merges: [] }],
    ];
    const digests = new Set([await ctx.channels.voucherDigest(base)]);
    for (const [label, v] of variants) {
      const digest = await ctx.channels.voucherDigest(v);
      expect(digest, label).to.equal(voucherDigest(v, ctx.domain));
      digests.add(digest);
    }
    expect(digests.size).to.equal(variants.length + 1);
  });

  it("has the bounds src/channels/constants.ts has", async () => {
    const ctx = await setup();
    const c = ctx.channels;
    expect([
      await c.DEFAULT_SETTLE_DELAY(),
      await c.MIN_SETTLE_DELAY(),
      await c.MAX_SETTLE_DELAY(),
      await c.MAX_SECRET_BYTES(),
      await c.MAX_MERGES(),
      await c.MAX_LANE(),
      await c.NATIVE_PAYOUT_GAS(),
    ]).to.deep.equal([
      DEFAULT_SETTLE_DELAY,
      MIN_SETTLE_DELAY,
      MAX_SETTLE_DELAY,
      BigInt(MAX_SECRET_BYTES),
      BigInt(MAX_MERGES),
      MAX_LANE,
      100_000n,
    ]);
    expect([DEFAULT_SETTLE_DELAY, MIN_SETTLE_DELAY, MAX_SETTLE_DELAY]).to.deep.equal([43_200n, 3_600n, 2_592_000n]);
    expect(MAX_LANE).to.equal(2n ** 63n - 1n);
  });
});
