// src/channels/voucher.ts against PaymentChannels: the TypeScript EIP-712 digests equal the contract's for random
// vouchers (merges, extra data, every field at its bounds) and closes, the signatures it makes are the ones the
// contract accepts, src/channels/constants.ts has the contract's bounds, and parseVoucher refuses every bad field,
// naming it.

import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { getAddress, hexlify, ZeroAddress, ZeroHash } from "ethers";

import type { PaymentChannels } from "../../typechain-types";
import {
  CLOSE_TYPES,
  DEFAULT_SETTLE_DELAY,
  MAX_LANE,
  MAX_MERGES,
  MAX_SECRET_BYTES,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
  NATIVE_TOKEN,
  VOUCHER_TYPES,
  closeDigest,
  parseSecret,
  parseVoucher,
  paymentChannelsDomain,
  signClose,
  signVoucher,
  signedVoucherFromJson,
  signedVoucherToJson,
  voucherDigest,
  voucherSigner,
  type CloseAuthorization,
  type Voucher,
  type VoucherInput,
} from "../../src/channels";
import { AccordValidationError } from "../../src/model";
import { deployChannelsFixture, loadChannelsFixture, makeVoucher, openChannel, redeem } from "../helpers/channels";

const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;
const SEED = 20_251_202;

const bytes32Arb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const addressArb = fc.oneof(
  fc.constant(ZeroAddress),
  fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b))),
);
/** uint64s biased to the edges. */
const u64Arb = fc.oneof(fc.constantFrom(0n, 1n, U64), fc.bigInt({ min: 0n, max: U64 }));
const laneArb = fc.oneof(fc.constantFrom(0n, MAX_LANE), fc.bigInt({ min: 0n, max: MAX_LANE }));
const voucherArb: fc.Arbitrary<Voucher> = fc.record({
  channelId: fc.oneof(fc.constant(ZeroHash), bytes32Arb),
  timeLockMin: u64Arb,
  timeLockMax: u64Arb,
  secretHash: fc.oneof(fc.constant(ZeroHash), bytes32Arb),
  extraTarget: addressArb,
  extraData: fc.uint8Array({ maxLength: 100 }).map((b) => hexlify(b)),
  lane: laneArb,
  nonce: u64Arb,
  amount: fc.oneof(fc.constantFrom(0n, U128), fc.bigInt({ min: 0n, max: U128 })),
  minSettleHeight: u64Arb,
  merges: fc.array(fc.record({ lane: laneArb, nonce: u64Arb }), { maxLength: MAX_MERGES }),
});
const closeArb: fc.Arbitrary<CloseAuthorization> = fc.record({
  channelId: bytes32Arb,
  toSend: fc.bigInt({ min: 0n, max: U128 }),
  deadline: u64Arb,
});

describe("src/channels/voucher.ts against PaymentChannels", () => {
  const setup = () => loadChannelsFixture(deployChannelsFixture);

  it("computes the contract's voucherDigest for random vouchers (merges, extra data, bounds)", async () => {
    const ctx = await setup();
    let withMerges = 0;
    await fc.assert(
      fc.asyncProperty(voucherArb, async (v) => {
        if (v.merges.length > 1) withMerges += 1;
        expect(voucherDigest(v, ctx.domain)).to.equal(await ctx.channels.voucherDigest(v));
      }),
      { numRuns: 60, seed: SEED },
    );
    expect(withMerges).to.be.greaterThan(10);
  });

  it("computes the contract's closeDigest for random closes", async () => {
    const ctx = await setup();
    await fc.assert(
      fc.asyncProperty(closeArb, async (c) => {
        expect(closeDigest(c, ctx.domain)).to.equal(await ctx.channels.closeDigest(c));
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  it("builds the domain the contract reports, and digests that differ for another chain or contract", async () => {
    const ctx = await setup();
    const d = await ctx.channels.eip712Domain();
    expect(paymentChannelsDomain(d.chainId, d.verifyingContract)).to.deep.equal({
      name: d.name,
      version: d.version,
      chainId: d.chainId,
      verifyingContract: d.verifyingContract,
    });
    const v = makeVoucher(ethers.id("c"));
    const digest = await ctx.channels.voucherDigest(v);
    expect(voucherDigest(v, paymentChannelsDomain(ctx.chainId + 1n, ctx.channelsAddress))).to.not.equal(digest);
    expect(voucherDigest(v, paymentChannelsDomain(ctx.chainId, ctx.tokenAddress))).to.not.equal(digest);
    // The type strings are the contract's.
    expect(ethers.TypedDataEncoder.from(VOUCHER_TYPES).encodeType("Voucher")).to.equal(
      "Voucher(bytes32 channelId,uint64 timeLockMin,uint64 timeLockMax,bytes32 secretHash,address extraTarget," +
        "bytes extraData,uint64 lane,uint64 nonce,uint128 amount,uint64 minSettleHeight,Merge[] merges)" +
        "Merge(uint64 lane,uint64 nonce)",
    );
    expect(ethers.TypedDataEncoder.from(CLOSE_TYPES).encodeType("CloseAuthorization")).to.equal(
      "CloseAuthorization(bytes32 channelId,uint128 toSend,uint64 deadline)",
    );
  });

  it("signs vouchers and closes the contract accepts, and recovers their signer", async () => {
    const ctx = await setup();
    const { channelId } = await openChannel(ctx);
    const v = makeVoucher(channelId, { lane: 2n, amount: 40n, merges: [] });
    const signed = await signVoucher(ctx.payer, v, ctx.domain);
    expect(voucherSigner(signed, ctx.domain)).to.equal(ctx.payer.address);
    expect(voucherSigner({ ...signed, signature: "0x1234" }, ctx.domain)).to.equal(undefined);
    expect(voucherSigner(signed, paymentChannelsDomain(ctx.chainId + 1n, ctx.channelsAddress))).to.not.equal(
      ctx.payer.address,
    );
    await redeem(ctx, v, { signature: signed.signature });
    expect((await ctx.channels.getLane(channelId, 2n)).redeemed).to.equal(40n);
    // The JSON form round-trips and still verifies.
    const back = signedVoucherFromJson(JSON.parse(JSON.stringify(signedVoucherToJson(signed))));
    expect(back.voucher).to.deep.equal(parseVoucher(v));
    expect(voucherSigner(back, ctx.domain)).to.equal(ctx.payer.address);

    const close = { channelId, toSend: 40n, deadline: 10n ** 12n };
    await ctx.channels.closeCooperatively(
      close,
      await signClose(ctx.payer, close, ctx.domain),
      await signClose(ctx.payee, close, ctx.domain),
    );
    expect((await ctx.channels.getChannel(channelId)).status).to.equal(2n);
  });

  it("has the contract's bounds in src/channels/constants.ts", async () => {
    const ctx = await setup();
    const c: PaymentChannels = ctx.channels;
    expect(await c.DEFAULT_SETTLE_DELAY()).to.equal(DEFAULT_SETTLE_DELAY);
    expect(await c.MIN_SETTLE_DELAY()).to.equal(MIN_SETTLE_DELAY);
    expect(await c.MAX_SETTLE_DELAY()).to.equal(MAX_SETTLE_DELAY);
    expect(await c.MAX_SECRET_BYTES()).to.equal(BigInt(MAX_SECRET_BYTES));
    expect(await c.MAX_MERGES()).to.equal(BigInt(MAX_MERGES));
    expect(await c.MAX_LANE()).to.equal(MAX_LANE);
    expect(NATIVE_TOKEN).to.equal(ZeroAddress);
  });
});

describe("parseVoucher", () => {
  const channelId = ethers.id("channel");
  const good: VoucherInput = { channelId, amount: 5n };

  it("fills absent fields with zero values and takes numbers and decimal strings", () => {
    expect(parseVoucher(good)).to.deep.equal(makeVoucher(channelId.toLowerCase(), { nonce: 0n, amount: 5n }));
    const v = parseVoucher({
      channelId,
      amount: "12",
      lane: 3,
      nonce: "4",
      timeLockMin: 1,
      timeLockMax: "2",
      minSettleHeight: 7n,
      extraTarget: ZeroAddress.replace(/0$/, "1"),
      extraData: "0xABcd",
      merges: [{ lane: "1", nonce: 2 }],
    });
    expect(v).to.deep.include({ amount: 12n, lane: 3n, nonce: 4n, timeLockMin: 1n, timeLockMax: 2n });
    expect(v.extraData).to.equal("0xabcd");
    expect(v.extraTarget).to.equal(getAddress("0x0000000000000000000000000000000000000001"));
    expect(v.merges).to.deep.equal([{ lane: 1n, nonce: 2n }]);
    expect(parseVoucher({ ...good, lane: MAX_LANE }).lane).to.equal(MAX_LANE);
    expect(parseVoucher({ ...good, amount: U128 }).amount).to.equal(U128);
    const merges = Array.from({ length: MAX_MERGES }, (_, i) => ({ lane: i, nonce: i }));
    expect(parseVoucher({ ...good, merges }).merges).to.have.lengthOf(MAX_MERGES);
  });

  it("refuses each bad field with AccordValidationError naming it", () => {
    const cases: Array<[string, unknown]> = [
      ["channelId", { ...good, channelId: "0x1234" }],
      ["channelId", { ...good, channelId: ZeroHash }],
      ["channelId", { ...good, channelId: undefined }],
      ["amount", { ...good, amount: -1n }],
      ["amount", { ...good, amount: U128 + 1n }],
      ["amount", { ...good, amount: "1.5" }],
      ["amount", { ...good, amount: 2 ** 60 }],
      ["lane", { ...good, lane: MAX_LANE + 1n }],
      ["lane", { ...good, lane: -1 }],
      ["lane", { ...good, lane: U64 + 1n }],
      ["nonce", { ...good, nonce: U64 + 1n }],
      ["nonce", { ...good, nonce: "x" }],
      ["timeLockMin", { ...good, timeLockMin: -1n }],
      ["timeLockMax", { ...good, timeLockMax: U64 + 1n }],
      ["minSettleHeight", { ...good, minSettleHeight: 1.5 }],
      ["secretHash", { ...good, secretHash: "0x12" }],
      ["extraTarget", { ...good, extraTarget: "0x1234" }],
      ["extraData", { ...good, extraData: "0x123" }],
      ["extraData", { ...good, extraData: "1234" }],
      ["extraData", { ...good, extraData: 12 }],
      ["merges", { ...good, merges: "none" }],
      ["merges", { ...good, merges: Array.from({ length: MAX_MERGES + 1 }, () => ({ lane: 1, nonce: 1 })) }],
      ["merges[0]", { ...good, merges: [null] }],
      [
        "merges[1].lane",
        {
          ...good,
          merges: [
            { lane: 1, nonce: 1 },
            { lane: -1, nonce: 1 },
          ],
        },
      ],
      ["merges[0].nonce", { ...good, merges: [{ lane: 1, nonce: U64 + 1n }] }],
      ["", null],
      ["", "voucher"],
    ];
    for (const [field, input] of cases) {
      let thrown: unknown;
      try {
        parseVoucher(input as VoucherInput);
      } catch (e) {
        thrown = e;
      }
      expect(thrown, `${field}: ${String(thrown)}`).to.be.instanceOf(AccordValidationError);
      expect(
        (thrown as AccordValidationError).field,
        JSON.stringify(input, (_k, v: unknown) => String(v)),
      ).to.equal(field);
      expect((thrown as AccordValidationError).subject).to.equal("voucher");
    }
  });

  it("refuses a secret over MAX_SECRET_BYTES and malformed signed-voucher JSON, naming the field", () => {
    expect(parseSecret("0x" + "ab".repeat(MAX_SECRET_BYTES))).to.have.lengthOf(MAX_SECRET_BYTES);
    expect(parseSecret(undefined)).to.have.lengthOf(0);
    const cases: Array<[string, () => unknown]> = [
      ["secret", () => parseSecret("0x" + "ab".repeat(MAX_SECRET_BYTES + 1))],
      ["secret", () => parseSecret(new Uint8Array(MAX_SECRET_BYTES + 1))],
      ["secret", () => parseSecret("0xabc")],
      ["", () => signedVoucherFromJson(null)],
      ["voucher", () => signedVoucherFromJson({ signature: "0x12" })],
      ["signature", () => signedVoucherFromJson({ voucher: good, signature: "0x" })],
      ["signature", () => signedVoucherFromJson({ voucher: good, signature: "xyz" })],
      ["amount", () => signedVoucherFromJson({ voucher: { channelId, amount: "-1" }, signature: "0x12" })],
    ];
    for (const [field, run] of cases) {
      expect(run).to.throw(AccordValidationError).with.property("field", field);
    }
  });
});
