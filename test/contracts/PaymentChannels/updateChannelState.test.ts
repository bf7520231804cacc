import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ZeroAddress, ZeroHash, type Signer } from "ethers";

import type { Merge, Voucher } from "../../../src/channels/voucher";
import {
  ChannelStatus,
  DEFAULT_SETTLE_DELAY,
  DEPOSIT,
  FAR_FUTURE,
  MAX_LANE,
  MAX_MERGES,
  MAX_SECRET_BYTES,
  at,
  blockTime,
  channelFixture,
  channelView,
  closeSignatures,
  deployWallet,
  laneView,
  makeVoucher,
  mineAt,
  mined,
  now,
  openChannel,
  redeem,
  sendVoucher,
  signVoucherAs,
  viaWallet,
  type ChannelFixture,
} from "../../helpers/channels";
import { paymentChannelsDomain } from "../../../src/channels/voucher";

const DAY = 86_400n;
const SECRET = ethers.hexlify(ethers.toUtf8Bytes("open sesame"));
const WRONG_SECRET = ethers.hexlify(ethers.toUtf8Bytes("open sesamE"));
const LONG_SECRET = "0x" + "ab".repeat(MAX_SECRET_BYTES + 1);
const MAX_SECRET = "0x" + "cd".repeat(MAX_SECRET_BYTES);
const UNKNOWN_CHANNEL = ethers.id("no such channel");

/** The scenario: lane 2 redeemed 200 (nonce 4, merged once), lane 1 redeemed 300 (nonce 5); toSend 300. */
interface LanesFixture extends ChannelFixture {
  /** Another channel of the same payer and payee. */
  siblingId: string;
  /** The time the scenario was set up. */
  t: bigint;
}

async function lanesFixture(): Promise<LanesFixture> {
  const ctx = await channelFixture();
  await redeem(ctx, makeVoucher(ctx.channelId, { lane: 2n, nonce: 3n, amount: 200n }));
  await redeem(
    ctx,
    makeVoucher(ctx.channelId, { lane: 1n, nonce: 5n, amount: 300n, merges: [{ lane: 2n, nonce: 4n }] }),
  );
  const sibling = await openChannel(ctx, { salt: ethers.id("sibling") });
  return { ...ctx, siblingId: sibling.channelId, t: await now() };
}

type Direction = "payee submits" | "payer submits";

/** One submission: the arguments of updateChannelState, who signs and who sends, and what to do first. */
interface Input {
  channelId: string;
  voucher: Voucher;
  signer: Signer;
  submitter: HardhatEthersSigner;
  secret: string;
  before?: (ctx: LanesFixture) => Promise<void>;
}

function baseInput(ctx: LanesFixture, direction: Direction): Input {
  const payeeSubmits = direction === "payee submits";
  return {
    channelId: ctx.channelId,
    voucher: makeVoucher(ctx.channelId, {
      lane: 1n,
      nonce: 6n,
      amount: 450n,
      merges: [{ lane: 2n, nonce: 5n }],
      secretHash: ethers.keccak256(SECRET),
      extraTarget: ctx.extraAddress,
      extraData: ctx.extra.interface.encodeFunctionData("answer", [true]),
      timeLockMin: ctx.t - 1_000n,
      timeLockMax: ctx.t + 40n * DAY,
    }),
    signer: payeeSubmits ? ctx.payer : ctx.payee,
    submitter: payeeSubmits ? ctx.payee : ctx.payer,
    secret: SECRET,
  };
}

async function submit(ctx: LanesFixture, input: Input) {
  await input.before?.(ctx);
  return sendVoucher(ctx, input.voucher, {
    channelId: input.channelId,
    signer: input.signer,
    submitter: input.submitter,
    secret: input.secret,
  });
}

/** Lane 2 merged again and again, at nonces 5, 6, …: `count` merges. */
const repeatedMerges = (count: number): Merge[] =>
  Array.from({ length: count }, (_, i) => ({ lane: 2n, nonce: 5n + BigInt(i) }));

/** A change of the base input that makes exactly one check fail. */
interface Breaker {
  rule: string;
  /** What the change touches: two breakers combine when they touch nothing in common. */
  touches: string[];
  apply: (input: Input, ctx: LanesFixture) => Input;
  args: (input: Input, ctx: LanesFixture) => Promise<unknown[]> | unknown[];
}

const withVoucher = (input: Input, fields: Partial<Voucher>): Input => ({
  ...input,
  voucher: { ...input.voucher, ...fields },
});

/** One breaker per check, in IPaymentChannels' order. */
const BREAKERS: Breaker[] = [
  {
    rule: "ChannelNotFound",
    touches: ["channelId"],
    apply: (i) => ({ ...i, channelId: UNKNOWN_CHANNEL }),
    args: () => [UNKNOWN_CHANNEL],
  },
  {
    rule: "NotParty",
    touches: ["submitter"],
    apply: (i, ctx) => ({ ...i, submitter: ctx.stranger }),
    args: (_i, ctx) => [ctx.channelId, ctx.stranger.address],
  },
  {
    rule: "ChannelSettled",
    touches: ["state"],
    apply: (i) => ({
      ...i,
      before: async (ctx) => {
        const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.channelId)));
        await mineAt(settledAt + DEFAULT_SETTLE_DELAY);
      },
    }),
    args: async (_i, ctx) => [ctx.channelId, (await channelView(ctx.channels, ctx.channelId)).settlingAt],
  },
  {
    rule: "SecretTooLong",
    touches: ["secret"],
    apply: (i) => ({ ...withVoucher(i, { secretHash: ethers.keccak256(LONG_SECRET) }), secret: LONG_SECRET }),
    args: () => [257n, 256n],
  },
  {
    rule: "TooManyMerges",
    touches: ["merges", "amount"],
    // 17 merges of lane 2 (200 each) and lane 1's 300: the amount keeps toSend at 250, as the base voucher does.
    apply: (i) => withVoucher(i, { merges: repeatedMerges(MAX_MERGES + 1), amount: 17n * 200n + 250n }),
    args: () => [17n, 16n],
  },
  {
    rule: "InvalidVoucherSignature",
    touches: ["signer"],
    apply: (i, ctx) => ({ ...i, signer: ctx.other }),
    args: (i, ctx) => [ctx.channelId, i.submitter === ctx.payee ? ctx.payer.address : ctx.payee.address],
  },
  {
    rule: "VoucherChannelMismatch",
    touches: ["voucher.channelId"],
    apply: (i, ctx) => withVoucher(i, { channelId: ctx.siblingId }),
    args: (_i, ctx) => [ctx.channelId, ctx.siblingId],
  },
  {
    rule: "TimeLockMinNotReached",
    touches: ["timeLockMin"],
    apply: (i, ctx) => withVoucher(i, { timeLockMin: ctx.t + 10n * DAY }),
    args: (_i, ctx) => [ctx.t + 10n * DAY],
  },
  {
    rule: "TimeLockMaxPassed",
    touches: ["timeLockMax"],
    apply: (i, ctx) => withVoucher(i, { timeLockMax: ctx.t - 100n }),
    args: (_i, ctx) => [ctx.t - 100n],
  },
  {
    rule: "SecretMismatch",
    touches: ["secret"],
    apply: (i) => ({ ...i, secret: WRONG_SECRET }),
    args: () => [ethers.keccak256(SECRET)],
  },
  {
    rule: "ExtraCallFailed",
    touches: ["extra"],
    apply: (i, ctx) => withVoucher(i, { extraData: ctx.extra.interface.encodeFunctionData("answer", [false]) }),
    args: (_i, ctx) => [ctx.extraAddress],
  },
  {
    rule: "LaneOutOfRange",
    touches: ["lane"],
    apply: (i) => withVoucher(i, { lane: MAX_LANE + 1n }),
    args: () => [MAX_LANE + 1n],
  },
  {
    rule: "VoucherNonceTooLow",
    touches: ["nonce"],
    apply: (i) => withVoucher(i, { nonce: 5n }),
    args: () => [1n, 5n, 5n],
  },
  {
    rule: "MergeIntoOwnLane",
    touches: ["merges"],
    apply: (i) => withVoucher(i, { merges: [{ lane: 1n, nonce: 9n }] }),
    args: () => [1n],
  },
  {
    rule: "MergeLaneNotFound",
    touches: ["merges"],
    apply: (i) => withVoucher(i, { merges: [{ lane: 7n, nonce: 1n }] }),
    args: () => [7n],
  },
  {
    rule: "MergeNonceTooLow",
    touches: ["merges"],
    apply: (i) => withVoucher(i, { merges: [{ lane: 2n, nonce: 4n }] }),
    args: () => [2n, 4n, 4n],
  },
  {
    rule: "NegativeToSend",
    touches: ["amount"],
    // 300 + 150 − (200 + 300) = −50.
    apply: (i) => withVoucher(i, { amount: 150n }),
    args: () => [300n, 500n],
  },
  {
    rule: "InsufficientChannelFunds",
    touches: ["amount"],
    // 300 + 1201 − 500 = 1001 > 1000.
    apply: (i) => withVoucher(i, { amount: 1_201n }),
    args: (_i, ctx) => [ctx.channelId, DEPOSIT + 1n, DEPOSIT],
  },
];

describe("PaymentChannels.updateChannelState: the checks in order", () => {
  const setup = () => loadFixture(lanesFixture);
  const error = (rule: string) => `PaymentChannels_${rule}`;

  for (const direction of ["payee submits", "payer submits"] as const) {
    describe(`when the ${direction.replace(" submits", "")} submits`, () => {
      it("applies the voucher when every check passes", async () => {
        const ctx = await setup();
        const input = baseInput(ctx, direction);
        const tx = await submit(ctx, input);
        await expect(tx)
          .to.emit(ctx.channels, "VoucherRedeemed")
          .withArgs(
            ctx.channelId,
            1n,
            input.submitter.address,
            await ctx.channels.voucherDigest(input.voucher),
            6n,
            450n,
            250n,
            0n,
            0n,
          );
        await expect(tx).to.emit(ctx.channels, "LaneMerged").withArgs(ctx.channelId, 2n, 1n, 5n);
        expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(250n);
        expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({
          redeemed: 450n,
          nonce: 6n,
          exists: true,
        });
        expect(await laneView(ctx.channels, ctx.channelId, 2n)).to.deep.equal({
          redeemed: 200n,
          nonce: 5n,
          exists: true,
        });
      });

      for (const breaker of BREAKERS) {
        it(`reverts with PaymentChannels_${breaker.rule} when only that check fails`, async () => {
          const ctx = await setup();
          const { before: hook, ...input } = breaker.apply(baseInput(ctx, direction), ctx);
          await hook?.(ctx);
          const before = await channelView(ctx.channels, ctx.channelId);
          const args = await breaker.args(input, ctx);
          await expect(submit(ctx, input))
            .to.be.revertedWithCustomError(ctx.channels, error(breaker.rule))
            .withArgs(...args);
          expect(await channelView(ctx.channels, ctx.channelId)).to.deep.equal(before);
          expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({
            redeemed: 300n,
            nonce: 5n,
            exists: true,
          });
        });
      }
    });
  }

  it("reverts with the earlier check's error whenever two checks fail", async function () {
    this.timeout(120_000);
    let pairs = 0;
    for (const [i, first] of BREAKERS.entries()) {
      for (const second of BREAKERS.slice(i + 1)) {
        if (first.touches.some((t) => second.touches.includes(t))) continue;
        const ctx = await setup();
        // Only ChannelSettled has a `before` hook, and the second change keeps the first's.
        const input = second.apply(first.apply(baseInput(ctx, "payee submits"), ctx), ctx);
        await expect(submit(ctx, input), `${first.rule} + ${second.rule}`).to.be.revertedWithCustomError(
          ctx.channels,
          error(first.rule),
        );
        pairs += 1;
      }
    }
    expect(pairs).to.be.greaterThan(120);
  });
});

describe("PaymentChannels.updateChannelState: each check's edges", () => {
  const setup = () => loadFixture(lanesFixture);
  /** The base voucher, submitted by the payee, with `fields` changed. */
  const variant = (ctx: LanesFixture, fields: Partial<Voucher>, extra: Partial<Input> = {}): Input => ({
    ...withVoucher(baseInput(ctx, "payee submits"), fields),
    ...extra,
  });

  it("refuses at settlingAt exactly and accepts at settlingAt − 1", async () => {
    const ctx = await setup();
    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payee).settle(ctx.channelId)));
    const settlingAt = settledAt + DEFAULT_SETTLE_DELAY;
    await at(settlingAt - 1n);
    await mined(submit(ctx, variant(ctx, {})));
    await at(settlingAt);
    await expect(submit(ctx, variant(ctx, { nonce: 7n, merges: [], amount: 460n })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelSettled")
      .withArgs(ctx.channelId, settlingAt);
  });

  it("refuses on a closed channel: closed cooperatively (settlingAt 0) or collected", async () => {
    const ctx = await setup();
    const close = { channelId: ctx.channelId, toSend: 300n, deadline: FAR_FUTURE };
    await ctx.channels.connect(ctx.stranger).closeCooperatively(close, ...(await closeSignatures(ctx, close)));
    await expect(submit(ctx, variant(ctx, {})))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelSettled")
      .withArgs(ctx.channelId, 0n);

    const settledAt = await blockTime(await mined(ctx.channels.connect(ctx.payer).settle(ctx.siblingId)));
    await mineAt(settledAt + DEFAULT_SETTLE_DELAY);
    await ctx.channels.connect(ctx.payer).collect(ctx.siblingId);
    const v = makeVoucher(ctx.siblingId);
    await expect(sendVoucher(ctx, v))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ChannelSettled")
      .withArgs(ctx.siblingId, settledAt + DEFAULT_SETTLE_DELAY);
    expect((await channelView(ctx.channels, ctx.siblingId)).status).to.equal(ChannelStatus.Closed);
  });

  it("accepts a 256-byte secret, 16 merges and lane MAX_LANE; refuses lane 2^64 − 1", async () => {
    const ctx = await setup();
    await mined(submit(ctx, variant(ctx, { secretHash: ethers.keccak256(MAX_SECRET) }, { secret: MAX_SECRET })));
    // Lane 1 now 450 at nonce 6, lane 2 at nonce 5: 16 more merges of lane 2 from nonce 6.
    const merges = Array.from({ length: MAX_MERGES }, (_, k) => ({ lane: 2n, nonce: 6n + BigInt(k) }));
    await mined(submit(ctx, variant(ctx, { nonce: 7n, merges, amount: 16n * 200n + 450n })));
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(250n);
    expect((await laneView(ctx.channels, ctx.channelId, 2n)).nonce).to.equal(21n);
    await mined(submit(ctx, variant(ctx, { lane: MAX_LANE, nonce: 0n, merges: [], amount: 10n })));
    expect(await laneView(ctx.channels, ctx.channelId, MAX_LANE)).to.deep.equal({
      redeemed: 10n,
      nonce: 0n,
      exists: true,
    });
    const top = 2n ** 64n - 1n;
    await expect(submit(ctx, variant(ctx, { lane: top })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_LaneOutOfRange")
      .withArgs(top);
  });

  it("refuses signatures by the submitter, a stranger, for another chain or deployment, malformed or empty", async () => {
    const ctx = await setup();
    const input = variant(ctx, {});
    const v = input.voucher;
    const otherDeployment = paymentChannelsDomain(ctx.chainId, ctx.tokenAddress);
    const otherChain = paymentChannelsDomain(ctx.chainId + 1n, ctx.channelsAddress);
    const good = await signVoucherAs(ctx.payer, ctx, v);
    const signatures: Array<[string, string]> = [
      ["by the submitter (payee)", await signVoucherAs(ctx.payee, ctx, v)],
      ["by a stranger", await signVoucherAs(ctx.stranger, ctx, v)],
      ["for another deployment", await signVoucherAs(ctx.payer, ctx, v, otherDeployment)],
      ["for another chain", await signVoucherAs(ctx.payer, ctx, v, otherChain)],
      ["of another voucher", await signVoucherAs(ctx.payer, ctx, { ...v, amount: v.amount + 1n })],
      ["truncated", good.slice(0, -2)],
      ["with a bad v", good.slice(0, -2) + "1f"],
      ["empty", "0x"],
    ];
    for (const [label, signature] of signatures) {
      await expect(ctx.channels.connect(ctx.payee).updateChannelState(ctx.channelId, v, signature, SECRET), label)
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
        .withArgs(ctx.channelId, ctx.payer.address);
    }
    await ctx.channels.connect(ctx.payee).updateChannelState(ctx.channelId, v, good, SECRET);
  });

  it("accepts and refuses time locks at their edges; timeLockMax 0 is no limit", async () => {
    const ctx = await setup();
    const t = (await now()) + 100n;
    await at(t - 1n);
    await expect(submit(ctx, variant(ctx, { timeLockMin: t })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_TimeLockMinNotReached")
      .withArgs(t);
    await at(t);
    await mined(submit(ctx, variant(ctx, { timeLockMin: t })));
    await at(t + 1n);
    await mined(submit(ctx, variant(ctx, { timeLockMax: t + 1n, nonce: 7n, merges: [], amount: 451n })));
    await at(t + 2n);
    await expect(submit(ctx, variant(ctx, { timeLockMax: t + 1n, nonce: 8n, merges: [], amount: 452n })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_TimeLockMaxPassed")
      .withArgs(t + 1n);
    await mineAt(t + 100n * DAY);
    await mined(submit(ctx, variant(ctx, { timeLockMin: 0n, timeLockMax: 0n, nonce: 8n, merges: [], amount: 453n })));
    expect(await laneView(ctx.channels, ctx.channelId, 1n)).to.deep.equal({
      redeemed: 453n,
      nonce: 8n,
      exists: true,
    });
  });

  it("refuses an empty or wrong secret when secretHash is set, and ignores the secret when it is zero", async () => {
    const ctx = await setup();
    for (const secret of ["0x", WRONG_SECRET, SECRET + "00"]) {
      await expect(submit(ctx, variant(ctx, {}, { secret })))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_SecretMismatch")
        .withArgs(ethers.keccak256(SECRET));
    }
    await mined(submit(ctx, variant(ctx, { secretHash: ZeroHash }, { secret: WRONG_SECRET })));
    expect((await channelView(ctx.channels, ctx.channelId)).toSend).to.equal(250n);
  });

  it("passes an extra call only when it returns an ABI-encoded true", async () => {
    const ctx = await setup();
    const i = ctx.extra.interface;
    const t = (await now()) + 50n;
    const reachedAt = i.encodeFunctionData("reached", [t]);
    const failing: Array<[string, string, string]> = [
      ["returns false", ctx.extraAddress, i.encodeFunctionData("answer", [false])],
      ["reverts", ctx.extraAddress, i.encodeFunctionData("fail")],
      ["returns 2", ctx.extraAddress, i.encodeFunctionData("two")],
      ["returns 64 bytes", ctx.extraAddress, i.encodeFunctionData("pair")],
      ["returns nothing", ctx.extraAddress, i.encodeFunctionData("nothing")],
      ["writes state", ctx.extraAddress, i.encodeFunctionData("write")],
      ["an unknown function", ctx.extraAddress, "0xdeadbeef"],
      ["a condition not yet met", ctx.extraAddress, reachedAt],
      ["a target without code", ctx.stranger.address, i.encodeFunctionData("answer", [true])],
    ];
    for (const [label, extraTarget, extraData] of failing) {
      await expect(submit(ctx, variant(ctx, { extraTarget, extraData })), label)
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_ExtraCallFailed")
        .withArgs(extraTarget);
    }
    await at(t);
    await mined(submit(ctx, variant(ctx, { extraData: reachedAt })));
    await mined(
      submit(ctx, variant(ctx, { extraTarget: ZeroAddress, extraData: "0xdeadbeef", nonce: 7n, merges: [] })),
    );
    expect(await ctx.extra.writes()).to.equal(0n);
  });

  it("refuses on an existing lane a nonce equal, lower or 0, and takes any nonce on a new lane", async () => {
    const ctx = await setup();
    for (const nonce of [5n, 4n, 0n]) {
      await expect(submit(ctx, variant(ctx, { nonce })))
        .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherNonceTooLow")
        .withArgs(1n, 5n, nonce);
    }
    for (const [lane, nonce] of [
      [3n, 0n],
      [4n, 2n ** 64n - 1n],
      [5n, 1n],
    ] as const) {
      await mined(submit(ctx, variant(ctx, { lane, nonce, merges: [], amount: 1n })));
      expect(await laneView(ctx.channels, ctx.channelId, lane)).to.deep.equal({ redeemed: 1n, nonce, exists: true });
    }
    // Lane 4 is at the top nonce: no voucher applies to it any more.
    await expect(submit(ctx, variant(ctx, { lane: 4n, nonce: 2n ** 64n - 1n, merges: [], amount: 2n })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherNonceTooLow")
      .withArgs(4n, 2n ** 64n - 1n, 2n ** 64n - 1n);
    // Lane 3 existed at nonce 0: now it needs 1.
    await expect(submit(ctx, variant(ctx, { lane: 3n, nonce: 0n, merges: [], amount: 2n })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_VoucherNonceTooLow")
      .withArgs(3n, 0n, 0n);
  });

  it("checks the merges in order: the first bad one is reported, after good ones", async () => {
    const ctx = await setup();
    await redeem(ctx, makeVoucher(ctx.channelId, { lane: 3n, nonce: 1n, amount: 10n }));
    const cases: Array<[Merge[], string, unknown[]]> = [
      [
        [
          { lane: 2n, nonce: 5n },
          { lane: 9n, nonce: 1n },
          { lane: 1n, nonce: 9n },
        ],
        "MergeLaneNotFound",
        [9n],
      ],
      [
        [
          { lane: 2n, nonce: 5n },
          { lane: 1n, nonce: 9n },
          { lane: 9n, nonce: 1n },
        ],
        "MergeIntoOwnLane",
        [1n],
      ],
      [
        [
          { lane: 3n, nonce: 2n },
          { lane: 2n, nonce: 3n },
          { lane: 9n, nonce: 1n },
        ],
        "MergeNonceTooLow",
        [2n, 4n, 3n],
      ],
      // Lane 2 merged twice: the second merge is checked against the nonce the first set.
      [
        [
          { lane: 2n, nonce: 8n },
          { lane: 2n, nonce: 8n },
        ],
        "MergeNonceTooLow",
        [2n, 8n, 8n],
      ],
      [
        [
          { lane: 2n, nonce: 8n },
          { lane: 3n, nonce: 1n },
        ],
        "MergeNonceTooLow",
        [3n, 1n, 1n],
      ],
    ];
    for (const [merges, rule, args] of cases) {
      await expect(
        submit(ctx, variant(ctx, { merges, amount: 900n })),
        JSON.stringify(merges, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
      )
        .to.be.revertedWithCustomError(ctx.channels, `PaymentChannels_${rule}`)
        .withArgs(...args);
    }
  });

  it("checks within one merge: own lane before not found, not found before a low nonce", async () => {
    const ctx = await setup();
    // Lane 5 is new: merging it into itself is MergeIntoOwnLane, though it does not exist either.
    await expect(submit(ctx, variant(ctx, { lane: 5n, nonce: 0n, merges: [{ lane: 5n, nonce: 0n }] })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_MergeIntoOwnLane")
      .withArgs(5n);
    // Lane 9 does not exist: nonce 0 is not above its (zero) nonce, but MergeLaneNotFound comes first.
    await expect(submit(ctx, variant(ctx, { merges: [{ lane: 9n, nonce: 0n }] })))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_MergeLaneNotFound")
      .withArgs(9n);
  });

  it("lets an ERC-1271 wallet pay: its owner signs; the owner's signature does not pass for an EOA payer", async () => {
    const ctx = await setup();
    const { wallet, address } = await deployWallet(ctx);
    const salt = ethers.id("wallet channel");
    await viaWallet(
      ctx,
      wallet,
      ctx.channels.interface.encodeFunctionData("open", [ctx.payee.address, ctx.tokenAddress, salt, 500n, 0n]),
    );
    const channelId = await ctx.channels.channelIdOf(address, salt);
    const v = makeVoucher(channelId, { amount: 120n });
    await expect(sendVoucher(ctx, v, { signer: ctx.payer }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(channelId, address);
    await wallet.connect(ctx.walletOwner).setRejectSignatures(true);
    await expect(sendVoucher(ctx, v, { signer: ctx.walletOwner }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(channelId, address);
    await wallet.connect(ctx.walletOwner).setRejectSignatures(false);
    await redeem(ctx, v, { signer: ctx.walletOwner });
    expect((await channelView(ctx.channels, channelId)).toSend).to.equal(120n);
    // The wallet owner is no party to the EOA payer's channel.
    await expect(sendVoucher(ctx, makeVoucher(ctx.channelId, { lane: 8n }), { signer: ctx.walletOwner }))
      .to.be.revertedWithCustomError(ctx.channels, "PaymentChannels_InvalidVoucherSignature")
      .withArgs(ctx.channelId, ctx.payer.address);
  });
});
