/**
 * Stateful property test of PaymentChannels: random sequences of actions over a few channels (ERC20 and native
 * coin, EOAs and an ERC-1271 wallet as parties) — open, fund, vouchers of every shape (new and existing lanes, any
 * nonce, merges, time locks, secrets, extra calls, minSettleHeight, amounts that fit or break the balance, signed
 * by the right party or not, submitted by the payer, the payee or a stranger), settle, collect, cooperative close,
 * withdraw, time jumps, and payout failures (an account blacklisted on the ERC20, the wallet refusing the native
 * coin) — checked after every step against a model kept here on top of src/channels/rules.ts:
 *
 *  - the model predicts whether each step succeeds, and with which custom error it reverts; the chain agrees;
 *  - every channel (`getChannel`) and every lane any voucher named (`getLane`, `exists` included) equal the model's;
 *  - funds are conserved to the wei: the contract holds, per token, the sum of its open channels' balances plus
 *    the deferred payouts; every account's deferred payouts, token balance and native balance (gas accounted)
 *    equal the model's, so every party received exactly the payouts the model predicts.
 *
 * Runs are isolated with evm_snapshot / evm_revert. The seed is fixed so CI is reproducible; FC_SEED=<n> (or
 * FC_SEED=random) explores others, FC_RUNS=<n> changes the run count, FC_SHRINK=1 shrinks a failure.
 */
import { expect } from "chai";
import hre, { ethers, network } from "hardhat";
import fc from "fast-check";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { Interface, MaxUint256, ZeroAddress, ZeroHash, keccak256, type TransactionReceipt } from "ethers";

import type {
  BlacklistERC20Mock,
  ChannelWalletMock,
  ChannelsProbeMock,
  ExtraCallTargetMock,
  PaymentChannels,
} from "../../../typechain-types";
import { ChannelStatus } from "../../../src/model";
import {
  DEFAULT_SETTLE_DELAY,
  MAX_LANE,
  MAX_MERGES,
  MAX_SECRET_BYTES,
  MAX_SETTLE_DELAY,
  MIN_SETTLE_DELAY,
} from "../../../src/channels/constants";
import { applyCollect, applySettle, applyVoucher, type ChannelState } from "../../../src/channels/rules";
import { paymentChannelsDomain, signClose, signVoucher, type Merge, type Voucher } from "../../../src/channels/voucher";

const STEPS = { min: 25, max: 35 };
// Under solidity-coverage every call is instrumented and slower: fewer runs suffice there.
const COVERAGE = Boolean((hre as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING);
const NUM_RUNS = Number(process.env.FC_RUNS ?? (COVERAGE ? 4 : 30));
const SEED = process.env.FC_SEED === "random" ? Date.now() % 2 ** 31 : Number(process.env.FC_SEED ?? 20_251_203);
const GAS_LIMIT = 3_000_000n;

/** Actors 0–2 are EOAs (any may be blacklisted on the ERC20), 3 the wallet, 4 a stranger (never a party). */
const WALLET = 3;
const STRANGER = 4;
const ACTORS = 5;
const PARTIES = 4;
/** Accounts whose balances are checked: the actors, then the wallet's owner (it pays the wallet's gas and
 * value), then the channels contract. */
const OWNER = 5;
const CONTRACT = 6;
const BLACKLISTABLE = 3;
const SALTS = [ethers.id("salt-0"), ethers.id("salt-1")];
const ERC20_FUNDING = 10n ** 12n;
const SECRET = ethers.hexlify(ethers.toUtf8Bytes("the preimage"));
const WRONG_SECRET = ethers.hexlify(ethers.toUtf8Bytes("not the preimage"));
const LONG_SECRET = "0x" + "5a".repeat(MAX_SECRET_BYTES + 1);
const GARBAGE_SIGNATURE = "0x" + "11".repeat(65);
const BOGUS_CHANNEL = ethers.id("no such channel");

type Token = "native" | "erc20";

/*//////////////////////////////////////////////////////////////
                          GENERATED INPUT
//////////////////////////////////////////////////////////////*/

/** A channel of the run, by open order (modulo how many there are; `live`: among those still taking vouchers,
 * if any), or one that does not exist. */
type ChannelPick = { pick: number; live: boolean } | { bogus: true };
type LaneChoice = { kind: "existing"; pick: number } | { kind: "fresh"; lane: number } | { kind: "outOfRange" };
type NonceChoice = "next" | "jump" | "same" | "lower" | "zero";
type MergeChoice = {
  lane: { kind: "existing"; pick: number } | { kind: "own" } | { kind: "missing" };
  nonce: "next" | "same" | "lower";
};
type AmountChoice =
  | { kind: "fit"; permille: number }
  | { kind: "over"; by: number }
  | { kind: "under"; by: number }
  | { kind: "raw"; value: number };
type SubmitterChoice = "payer" | "payee" | { actor: number };
type SignerChoice = "right" | "submitter" | "stranger" | "otherDomain" | "garbage";

type VoucherAction = {
  kind: "voucher";
  channel: ChannelPick;
  submitter: SubmitterChoice;
  signer: SignerChoice;
  lane: LaneChoice;
  nonce: NonceChoice;
  merges: MergeChoice[] | "tooMany";
  amount: AmountChoice;
  timeLockMin: "none" | "past" | "now" | "future";
  timeLockMax: "none" | "future" | "now" | "past";
  secret: "none" | "right" | "wrong" | "tooLong" | "missing";
  extra: "none" | "true" | "false";
  minSettle: number | null;
  mismatch: boolean;
};

type OpenDelay = "default" | "min" | "twoHours" | "max" | "tooShort" | "tooLong";

type Action =
  | {
      kind: "open";
      payer: number;
      payee: number;
      token: Token;
      salt: number;
      amount: number;
      delay: OpenDelay;
      value: "right" | "wrong";
    }
  | { kind: "fund"; channel: ChannelPick; funder: number; amount: number; value: "right" | "wrong" }
  | VoucherAction
  | { kind: "settle"; channel: ChannelPick; caller: SubmitterChoice }
  | { kind: "collect"; channel: ChannelPick; caller: SubmitterChoice }
  | {
      kind: "close";
      channel: ChannelPick;
      toSend: { permille: number } | "over";
      deadline: "future" | "now" | "past";
      payerSig: "right" | "wrong";
      payeeSig: "right" | "wrong";
      submitter: number;
    }
  /** `owed`: the caller and token are one of the deferred payouts, if there are any. */
  | { kind: "withdraw"; caller: number; token: Token; to: number | "self"; owed: boolean }
  | { kind: "warp"; seconds: number }
  | { kind: "blacklist"; actor: number; on: boolean }
  | { kind: "walletAccepts"; accepts: boolean };

const channelPickArb: fc.Arbitrary<ChannelPick> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ pick: fc.nat({ max: 7 }), live: fc.constant(true) }) },
  { weight: 4, arbitrary: fc.record({ pick: fc.nat({ max: 7 }), live: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.constant({ bogus: true as const }) },
);
const submitterArb: fc.Arbitrary<SubmitterChoice> = fc.oneof(
  { weight: 5, arbitrary: fc.constant("payee" as const) },
  { weight: 3, arbitrary: fc.constant("payer" as const) },
  { weight: 1, arbitrary: fc.record({ actor: fc.nat({ max: ACTORS - 1 }) }) },
);
const rare = <T>(common: T, ...others: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 8, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: fc.constantFrom(...others) });

/** What makes a voucher fail on purpose (one thing at a time), or nothing. */
const FAULTS = [
  "submitterStranger",
  "signerSubmitter",
  "signerStranger",
  "otherDomain",
  "garbage",
  "mismatch",
  "timeLockMin",
  "timeLockMax",
  "secretWrong",
  "secretMissing",
  "secretTooLong",
  "extraFalse",
  "laneOutOfRange",
  "nonceSame",
  "nonceLower",
  "mergeOwn",
  "mergeMissing",
  "mergeNonceSame",
  "mergeNonceLower",
  "tooMany",
  "amountOver",
] as const;

/** A voucher valid as far as its own fields go (the channel's state may still refuse it), then one fault or none. */
const voucherArb: fc.Arbitrary<VoucherAction> = fc
  .record({
    channel: channelPickArb,
    submitter: fc.constantFrom<SubmitterChoice>("payee", "payee", "payer"),
    lane: fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant("existing" as const), pick: fc.nat({ max: 7 }) }) },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("fresh" as const), lane: fc.nat({ max: 5 }) }) },
    ),
    nonce: rare<NonceChoice>("next", "jump", "zero"),
    merges: fc.oneof(
      { weight: 1, arbitrary: fc.constant<MergeChoice[]>([]) },
      {
        weight: 1,
        arbitrary: fc.array(
          fc.record({
            lane: fc.record({ kind: fc.constant("existing" as const), pick: fc.nat({ max: 7 }) }),
            nonce: fc.constant("next" as const),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      },
    ),
    amount: fc.oneof(
      { weight: 8, arbitrary: fc.record({ kind: fc.constant("fit" as const), permille: fc.nat({ max: 1000 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("under" as const), by: fc.integer({ min: 1, max: 50 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("raw" as const), value: fc.nat({ max: 2_000 }) }) },
    ),
    timeLockMin: fc.constantFrom("none", "none", "past", "now"),
    timeLockMax: fc.constantFrom("none", "none", "future", "now"),
    secret: fc.constantFrom("none", "none", "right"),
    extra: fc.constantFrom("none", "none", "true"),
    minSettle: fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.integer({ min: -1_000, max: 20 * 3_600 }) },
    ),
    fault: fc.oneof(
      { weight: FAULTS.length, arbitrary: fc.constant(null) },
      { weight: FAULTS.length, arbitrary: fc.constantFrom(...FAULTS) },
    ),
    faultActor: fc.nat({ max: ACTORS - 1 }),
  })
  .map(({ fault, faultActor, ...v }): VoucherAction => {
    const a: VoucherAction = { kind: "voucher", signer: "right", mismatch: false, ...v };
    const firstMerge = (lane: MergeChoice["lane"], nonce: MergeChoice["nonce"]): MergeChoice[] => [
      { lane, nonce },
      ...(a.merges === "tooMany" ? [] : a.merges),
    ];
    switch (fault) {
      case null:
        return a;
      case "submitterStranger":
        return { ...a, submitter: { actor: faultActor } };
      case "signerSubmitter":
        return { ...a, signer: "submitter" };
      case "signerStranger":
        return { ...a, signer: "stranger" };
      case "otherDomain":
        return { ...a, signer: "otherDomain" };
      case "garbage":
        return { ...a, signer: "garbage" };
      case "mismatch":
        return { ...a, mismatch: true };
      case "timeLockMin":
        return { ...a, timeLockMin: "future" };
      case "timeLockMax":
        return { ...a, timeLockMax: "past" };
      case "secretWrong":
        return { ...a, secret: "wrong" };
      case "secretMissing":
        return { ...a, secret: "missing" };
      case "secretTooLong":
        return { ...a, secret: "tooLong" };
      case "extraFalse":
        return { ...a, extra: "false" };
      case "laneOutOfRange":
        return { ...a, lane: { kind: "outOfRange" } };
      case "nonceSame":
        return { ...a, lane: { kind: "existing", pick: faultActor }, nonce: "same" };
      case "nonceLower":
        return { ...a, lane: { kind: "existing", pick: faultActor }, nonce: "lower" };
      case "mergeOwn":
        return { ...a, merges: firstMerge({ kind: "own" }, "next") };
      case "mergeMissing":
        return { ...a, merges: firstMerge({ kind: "missing" }, "next") };
      case "mergeNonceSame":
        return { ...a, merges: firstMerge({ kind: "existing", pick: faultActor }, "same") };
      case "mergeNonceLower":
        return { ...a, merges: firstMerge({ kind: "existing", pick: faultActor }, "lower") };
      case "tooMany":
        return { ...a, merges: "tooMany" };
      case "amountOver":
        return { ...a, amount: { kind: "over", by: faultActor + 1 } };
    }
  });

const partyArb = fc.nat({ max: PARTIES - 1 });
const openArb: fc.Arbitrary<Action> = fc.record({
  kind: fc.constant("open" as const),
  payer: partyArb,
  // An offset from the payer: mostly another party, now and then the payer itself.
  payee: fc.oneof(
    { weight: 12, arbitrary: fc.integer({ min: 1, max: PARTIES - 1 }) },
    { weight: 1, arbitrary: fc.constant(0) },
  ),
  token: fc.constantFrom<Token>("erc20", "native"),
  salt: fc.nat({ max: SALTS.length - 1 }),
  amount: fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
    { weight: 1, arbitrary: fc.constant(0) },
  ),
  delay: rare<OpenDelay>("default", "min", "twoHours", "max", "tooShort", "tooLong"),
  value: rare("right" as const, "wrong" as const),
});

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 14, arbitrary: voucherArb },
  { weight: 2, arbitrary: openArb },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("fund" as const),
      channel: channelPickArb,
      funder: fc.nat({ max: ACTORS - 1 }),
      amount: fc.oneof(
        { weight: 8, arbitrary: fc.integer({ min: 1, max: 500 }) },
        { weight: 1, arbitrary: fc.constant(0) },
      ),
      value: rare("right" as const, "wrong" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("settle" as const), channel: channelPickArb, caller: submitterArb }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("collect" as const), channel: channelPickArb, caller: submitterArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("close" as const),
      channel: channelPickArb,
      toSend: fc.oneof(
        { weight: 6, arbitrary: fc.record({ permille: fc.nat({ max: 1000 }) }) },
        { weight: 1, arbitrary: fc.constant("over" as const) },
      ),
      deadline: fc.constantFrom<"future" | "now" | "past">("future", "future", "future", "now", "past"),
      payerSig: rare("right" as const, "wrong" as const),
      payeeSig: rare("right" as const, "wrong" as const),
      submitter: fc.nat({ max: ACTORS - 1 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      caller: fc.nat({ max: ACTORS - 1 }),
      token: fc.constantFrom<Token>("erc20", "native"),
      to: fc.oneof(fc.constant("self" as const), fc.nat({ max: ACTORS - 1 })),
      owed: fc.constantFrom(true, true, true, false),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("warp" as const),
      seconds: fc.oneof(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 3_000, max: 8_000 }),
        fc.integer({ min: 43_000, max: 47_000 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("blacklist" as const),
      actor: fc.nat({ max: BLACKLISTABLE - 1 }),
      on: fc.constantFrom(true, true, false),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("walletAccepts" as const), accepts: fc.boolean() }) },
);

const scenarioArb = fc.record({
  opening: fc.array(openArb, { maxLength: 2 }),
  actions: fc.array(actionArb, { minLength: STEPS.min, maxLength: STEPS.max }),
});

/*//////////////////////////////////////////////////////////////
                               MODEL
//////////////////////////////////////////////////////////////*/

/** A channel as the model keeps it: rules.ts' ChannelState, its token and its parties as actor indices. */
type ModelChannel = ChannelState & { token: Token; payerActor: number; payeeActor: number };

type Model = {
  channels: Map<string, ModelChannel>;
  /** Channel IDs in the order they opened (what a ChannelPick picks from). */
  order: string[];
  /** Lanes named by any voucher or merge, per channel: all are compared (a lane the model has not must not exist). */
  lanesSeen: Map<string, Set<bigint>>;
  deferred: Record<Token, bigint[]>;
  /** Per account (actors, owner, contract). */
  balances: Record<Token, bigint[]>;
  blacklisted: boolean[];
  walletAccepts: boolean;
};

/** ChannelStore._push: pays `amount` to `actor`, or defers it when the transfer would fail. */
function push(m: Model, token: Token, actor: number, amount: bigint): "paid" | "deferred" | "none" {
  if (amount === 0n) return "none";
  const refuses =
    token === "native" ? actor === WALLET && !m.walletAccepts : actor < BLACKLISTABLE && m.blacklisted[actor];
  if (refuses) {
    m.deferred[token][actor] += amount;
    return "deferred";
  }
  m.balances[token][CONTRACT] -= amount;
  m.balances[token][actor] += amount;
  return "paid";
}

/** What a step must do: succeed (then `apply` updates the model) or revert with `error`. */
type Prediction = { error: string } | { error: null; apply: () => void; labels?: string[] };

/*//////////////////////////////////////////////////////////////
                                TEST
//////////////////////////////////////////////////////////////*/

describe("PaymentChannels invariants (stateful property test)", function () {
  this.timeout(600_000);

  let channels: PaymentChannels;
  let channelsAddress: string;
  let token: BlacklistERC20Mock;
  let tokenAddress: string;
  let wallet: ChannelWalletMock;
  let extra: ExtraCallTargetMock;
  let extraAddress: string;
  let probe: ChannelsProbeMock;
  let deployer: HardhatEthersSigner;
  let owner: HardhatEthersSigner;
  /** The EOAs by actor index (the wallet's slot holds its owner). */
  let signers: HardhatEthersSigner[];
  /** Every account's address: actors, the owner, the contract. */
  let addresses: string[];
  let chainId: bigint;
  let errors: Interface;
  let snapshot: string;
  const stats = new Map<string, number>();
  const count = (key: string) => stats.set(key, (stats.get(key) ?? 0) + 1);

  before(async () => {
    const all = await ethers.getSigners();
    deployer = all[0];
    owner = all[10];
    const eoas = [all[11], all[12], all[13]];
    const stranger = all[14];
    channels = await ethers.deployContract("PaymentChannels");
    channelsAddress = await channels.getAddress();
    token = await ethers.deployContract("BlacklistERC20Mock");
    tokenAddress = await token.getAddress();
    wallet = await ethers.deployContract("ChannelWalletMock", [owner.address, 1]);
    extra = await ethers.deployContract("ExtraCallTargetMock");
    extraAddress = await extra.getAddress();
    probe = await ethers.deployContract("ChannelsProbeMock");
    const walletAddress = await wallet.getAddress();
    signers = [...eoas, owner, stranger];
    addresses = [...eoas.map((s) => s.address), walletAddress, stranger.address, owner.address, channelsAddress];
    for (const eoa of [...eoas, stranger]) {
      await token.mint(eoa.address, ERC20_FUNDING);
      await token.connect(eoa).approve(channelsAddress, MaxUint256);
    }
    await token.mint(walletAddress, ERC20_FUNDING);
    await wallet
      .connect(owner)
      .execute(tokenAddress, token.interface.encodeFunctionData("approve", [channelsAddress, MaxUint256]));
    chainId = (await ethers.provider.getNetwork()).chainId;
    const errorFragments = [channels.interface, token.interface, wallet.interface].flatMap((i) =>
      i.fragments.filter((f) => f.type === "error"),
    );
    errors = new Interface(errorFragments);
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  });

  after(() => {
    const lines = [...stats.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`);
    // eslint-disable-next-line no-console -- the outcome table is this test's report on its generator
    console.log(`      outcomes over ${NUM_RUNS} runs (seed ${SEED}):\n        ${lines.join("\n        ")}`);
  });

  type Run = { model: Model; now: bigint };
  const domain = () => paymentChannelsDomain(chainId, channelsAddress);
  const otherDomain = () => paymentChannelsDomain(chainId, tokenAddress);

  /** The key that signs for an actor (the wallet's owner for the wallet) and the address the contract checks. */
  const keyOf = (actor: number) => signers[actor];

  /** Picks a channel; `live` prefers those the action can apply to: open and (for all but collect) not past
   * settlingAt; for settle, not settling; for collect, settling. */
  function resolveChannel(m: Model, pick: ChannelPick, now: bigint, kind: Action["kind"] = "voucher"): string {
    if ("bogus" in pick || m.order.length === 0) return BOGUS_CHANNEL;
    const live = m.order.filter((id) => {
      const c = m.channels.get(id)!;
      if (c.status !== ChannelStatus.Open) return false;
      if (kind === "settle") return c.settlingAt === 0n;
      if (kind === "collect") return c.settlingAt !== 0n;
      return c.settlingAt === 0n || now < c.settlingAt;
    });
    const from = pick.live && live.length > 0 ? live : m.order;
    return from[pick.pick % from.length];
  }

  function resolveActor(c: ModelChannel | undefined, choice: SubmitterChoice): number {
    if (choice === "payer") return c?.payerActor ?? 0;
    if (choice === "payee") return c?.payeeActor ?? 1;
    return choice.actor;
  }

  /*//////////////////////////////////////////////////////////////
                              SENDING
  //////////////////////////////////////////////////////////////*/

  type Outcome = { ok: true; receipt: TransactionReceipt } | { ok: false; error: string; receipt: TransactionReceipt };

  /**
   * Sends `data` to `to` as `actor` (the wallet through its owner's `execute`, forwarding the value; actor -1 is
   * the deployer, whose balance is not tracked), mined at the run's time. Charges the gas to the model.
   */
  async function send(run: Run, actor: number, data: string, value = 0n, to = channelsAddress): Promise<Outcome> {
    await network.provider.send("evm_setNextBlockTimestamp", [ethers.toQuantity(run.now)]);
    const from = actor === -1 ? deployer : actor === OWNER ? owner : keyOf(actor);
    const tx =
      actor === WALLET
        ? { to: addresses[WALLET], data: wallet.interface.encodeFunctionData("execute", [to, data]), value }
        : { to, data, value };
    let outcome: Outcome;
    try {
      const response = await from.sendTransaction({ ...tx, gasLimit: GAS_LIMIT });
      outcome = { ok: true, receipt: (await response.wait())! };
    } catch (e) {
      const err = e as { data?: string; transactionHash?: string };
      if (err.transactionHash === undefined) throw e; // only a mined revert is an expected failure
      const receipt = (await ethers.provider.getTransactionReceipt(err.transactionHash))!;
      const parsed = err.data && err.data !== "0x" ? errors.parseError(err.data) : null;
      outcome = { ok: false, error: parsed?.name ?? `unknown(${err.data})`, receipt };
    }
    const block = (await ethers.provider.getBlock(outcome.receipt.blockNumber))!;
    expect(BigInt(block.timestamp), "each transaction is mined at the run's time").to.equal(run.now);
    const payer = actor === WALLET ? OWNER : actor;
    if (payer >= 0) run.model.balances.native[payer] -= outcome.receipt.gasUsed * outcome.receipt.gasPrice;
    return outcome;
  }

  /*//////////////////////////////////////////////////////////////
                             PREDICTIONS
  //////////////////////////////////////////////////////////////*/

  /** Takes a deposit (ChannelStore._receive), after the action's own checks. */
  function receive(m: Model, t: Token, actor: number, amount: bigint, value: bigint): string | null {
    if (t === "native" ? value !== amount : value !== 0n) return "PaymentChannels_ValueMismatch";
    if (t === "erc20" && actor < BLACKLISTABLE && m.blacklisted[actor]) return "BlacklistERC20Mock_Blacklisted";
    return null;
  }
  function takeDeposit(m: Model, t: Token, actor: number, amount: bigint) {
    const from = t === "native" && actor === WALLET ? OWNER : actor;
    m.balances[t][from] -= amount;
    m.balances[t][CONTRACT] += amount;
  }

  type Concrete = { actor: number; data: string; value: bigint; predict: (m: Model) => Prediction; label: string };

  async function concrete(run: Run, a: Action): Promise<Concrete> {
    const m = run.model;
    const i = channels.interface;
    const now = run.now;
    switch (a.kind) {
      case "open": {
        const payeeActor = (a.payer + a.payee) % PARTIES;
        const amount = BigInt(a.amount);
        const delay = {
          default: 0n,
          min: MIN_SETTLE_DELAY,
          twoHours: 7_200n,
          max: MAX_SETTLE_DELAY,
          tooShort: 1n,
          tooLong: MAX_SETTLE_DELAY + 1n,
        }[a.delay];
        const t = a.token;
        const right = t === "native" ? amount : 0n;
        const value = a.value === "right" ? right : right + 1n;
        const payee = addresses[payeeActor];
        const salt = SALTS[a.salt];
        const id = ethers.keccak256(
          ethers.AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [addresses[a.payer], salt]),
        );
        return {
          actor: a.payer,
          value,
          label: `open ${t}`,
          data: i.encodeFunctionData("open", [payee, t === "native" ? ZeroAddress : tokenAddress, salt, amount, delay]),
          predict: (model) => {
            if (payeeActor === a.payer) return { error: "PaymentChannels_PayeeIsPayer" };
            const stored = delay === 0n ? DEFAULT_SETTLE_DELAY : delay;
            if (stored < MIN_SETTLE_DELAY || stored > MAX_SETTLE_DELAY)
              return { error: "PaymentChannels_SettleDelayOutOfRange" };
            if (amount === 0n) return { error: "PaymentChannels_ZeroAmount" };
            if (model.channels.has(id)) return { error: "PaymentChannels_ChannelExists" };
            const refused = receive(model, t, a.payer, amount, value);
            if (refused) return { error: refused };
            return {
              error: null,
              apply: () => {
                model.channels.set(id, {
                  payer: addresses[a.payer],
                  payee,
                  status: ChannelStatus.Open,
                  settlingAt: 0n,
                  settleDelay: stored,
                  minSettleHeight: 0n,
                  balance: amount,
                  toSend: 0n,
                  lanes: new Map(),
                  token: t,
                  payerActor: a.payer,
                  payeeActor,
                });
                model.order.push(id);
                model.lanesSeen.set(id, new Set());
                takeDeposit(model, t, a.payer, amount);
              },
            };
          },
        };
      }

      case "fund": {
        const id = resolveChannel(m, a.channel, now);
        const c = m.channels.get(id);
        const amount = BigInt(a.amount);
        const t = c?.token ?? "erc20";
        const right = t === "native" ? amount : 0n;
        const value = a.value === "right" ? right : right + 1n;
        return {
          actor: a.funder,
          value,
          label: "fund",
          data: i.encodeFunctionData("fund", [id, amount]),
          predict: (model) => {
            const ch = model.channels.get(id);
            if (!ch) return { error: "PaymentChannels_ChannelNotFound" };
            if (ch.status === ChannelStatus.Closed) return { error: "PaymentChannels_ChannelClosed" };
            if (amount === 0n) return { error: "PaymentChannels_ZeroAmount" };
            const refused = receive(model, ch.token, a.funder, amount, value);
            if (refused) return { error: refused };
            return {
              error: null,
              labels: ch.settlingAt !== 0n ? ["while settling"] : [],
              apply: () => {
                ch.balance += amount;
                takeDeposit(model, ch.token, a.funder, amount);
              },
            };
          },
        };
      }

      case "voucher":
        return concreteVoucher(run, a);

      case "settle":
      case "collect": {
        const id = resolveChannel(m, a.channel, now, a.kind);
        const caller = resolveActor(m.channels.get(id), a.caller);
        return {
          actor: caller,
          value: 0n,
          label: a.kind,
          data: a.kind === "settle" ? i.encodeFunctionData("settle", [id]) : i.encodeFunctionData("collect", [id]),
          predict: (model) => {
            const ch = model.channels.get(id);
            if (a.kind === "settle") {
              const r = applySettle(ch, addresses[caller], now);
              if (!r.ok) return { error: `PaymentChannels_${r.rule}` };
              return {
                error: null,
                labels: r.value.settlingAt === ch!.minSettleHeight ? ["at minSettleHeight"] : [],
                apply: () => void (ch!.settlingAt = r.value.settlingAt),
              };
            }
            const r = applyCollect(ch, addresses[caller], now);
            if (!r.ok) return { error: `PaymentChannels_${r.rule}` };
            return {
              error: null,
              apply: () => {
                const { toPayee, toPayer } = r.value;
                ch!.status = ChannelStatus.Closed;
                ch!.balance = 0n;
                for (const [who, amount] of [
                  [ch!.payeeActor, toPayee],
                  [ch!.payerActor, toPayer],
                ] as const) {
                  if (push(model, ch!.token, who, amount) === "deferred") count(`payout deferred ${ch!.token}`);
                }
              },
            };
          },
        };
      }

      case "close": {
        const id = resolveChannel(m, a.channel, now);
        const c = m.channels.get(id);
        const balance = c?.balance ?? 0n;
        const toSend = a.toSend === "over" ? balance + 1n : (balance * BigInt(a.toSend.permille)) / 1000n;
        const deadline = { future: now + 100n, now, past: now - 1n }[a.deadline];
        const close = { channelId: id, toSend, deadline };
        const payerKey = a.payerSig === "right" ? keyOf(c?.payerActor ?? 0) : keyOf(STRANGER);
        const payeeKey = a.payeeSig === "right" ? keyOf(c?.payeeActor ?? 1) : keyOf(STRANGER);
        const sigs = [await signClose(payerKey, close, domain()), await signClose(payeeKey, close, domain())];
        return {
          actor: a.submitter,
          value: 0n,
          label: "close",
          data: i.encodeFunctionData("closeCooperatively", [close, sigs[0], sigs[1]]),
          predict: (model) => {
            const ch = model.channels.get(id);
            if (!ch) return { error: "PaymentChannels_ChannelNotFound" };
            if (ch.status === ChannelStatus.Closed) return { error: "PaymentChannels_ChannelClosed" };
            if (now > deadline) return { error: "PaymentChannels_CloseExpired" };
            if (toSend > ch.balance) return { error: "PaymentChannels_InsufficientChannelFunds" };
            if (a.payerSig !== "right" || a.payeeSig !== "right")
              return { error: "PaymentChannels_InvalidCloseSignature" };
            return {
              error: null,
              labels: ch.settlingAt !== 0n ? ["while settling"] : [],
              apply: () => {
                const toPayer = ch.balance - toSend;
                ch.status = ChannelStatus.Closed;
                ch.balance = 0n;
                ch.toSend = toSend;
                for (const [who, amount] of [
                  [ch.payeeActor, toSend],
                  [ch.payerActor, toPayer],
                ] as const) {
                  if (push(model, ch.token, who, amount) === "deferred") count(`payout deferred ${ch.token}`);
                }
              },
            };
          },
        };
      }

      case "withdraw": {
        const owed = (["native", "erc20"] as const).flatMap((tk) =>
          m.deferred[tk].flatMap((d, who) => (d > 0n ? [{ token: tk, who }] : [])),
        );
        const choice = a.owed && owed.length > 0 ? owed[a.caller % owed.length] : { token: a.token, who: a.caller };
        const caller = choice.who;
        const t = choice.token;
        const to = a.to === "self" ? caller : a.to;
        return {
          actor: caller,
          value: 0n,
          label: `withdraw ${t}`,
          data: i.encodeFunctionData("withdraw", [t === "native" ? ZeroAddress : tokenAddress, addresses[to]]),
          predict: (model) => {
            const amount = model.deferred[t][caller];
            if (amount === 0n) return { error: "PaymentChannels_NothingToWithdraw" };
            if (t === "native" && to === WALLET && !model.walletAccepts)
              return { error: "PaymentChannels_NativeTransferFailed" };
            if (t === "erc20" && to < BLACKLISTABLE && model.blacklisted[to])
              return { error: "BlacklistERC20Mock_Blacklisted" };
            return {
              error: null,
              apply: () => {
                model.deferred[t][caller] = 0n;
                model.balances[t][CONTRACT] -= amount;
                model.balances[t][to] += amount;
              },
            };
          },
        };
      }

      default:
        throw new Error(`not a contract action: ${a.kind}`);
    }
  }

  async function concreteVoucher(run: Run, a: VoucherAction): Promise<Concrete> {
    const m = run.model;
    const now = run.now;
    const id = resolveChannel(m, a.channel, now);
    const c = m.channels.get(id);
    const lanes = c ? [...c.lanes.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)) : [];
    const submitter = resolveActor(c, a.submitter);

    let lane: bigint;
    if (a.lane.kind === "existing" && lanes.length > 0) lane = lanes[a.lane.pick % lanes.length];
    else if (a.lane.kind === "outOfRange") lane = MAX_LANE + 1n;
    else lane = BigInt(a.lane.kind === "fresh" ? a.lane.lane : 0);
    const current = c?.lanes.get(lane);
    const base = current?.nonce ?? 0n;
    const nonce = { next: base + 1n, jump: base + 5n, same: base, lower: base === 0n ? 0n : base - 1n, zero: 0n }[
      a.nonce
    ];

    // Merges, with nonces relative to each lane's nonce as the earlier merges of this voucher leave it.
    const running = new Map<bigint, bigint>();
    const nonceOf = (l: bigint) => running.get(l) ?? c?.lanes.get(l)?.nonce ?? 0n;
    let merges: Merge[];
    let reduction = current?.redeemed ?? 0n;
    if (a.merges === "tooMany") {
      const target = lanes.find((l) => l !== lane) ?? 99n;
      merges = Array.from({ length: MAX_MERGES + 1 }, (_, k) => ({
        lane: target,
        nonce: nonceOf(target) + 1n + BigInt(k),
      }));
    } else {
      merges = a.merges
        .map((mc): Merge | null => {
          const mergeable = lanes.filter((x) => x !== lane);
          let l: bigint;
          if (mc.lane.kind === "own") l = lane;
          else if (mc.lane.kind === "missing") l = 1_000n;
          else if (mergeable.length === 0) return null;
          else l = mergeable[mc.lane.pick % mergeable.length];
          const n = nonceOf(l);
          const mergeNonce = { next: n + 1n, same: n, lower: n === 0n ? 0n : n - 1n }[mc.nonce];
          running.set(l, mergeNonce);
          reduction += c?.lanes.get(l)?.redeemed ?? 0n;
          return { lane: l, nonce: mergeNonce };
        })
        .filter((x): x is Merge => x !== null);
    }

    // The amount: aiming at a toSend within the balance, above it, below zero, or anything.
    const toSend = c?.toSend ?? 0n;
    const balance = c?.balance ?? 0n;
    let amount: bigint;
    if (a.amount.kind === "fit") amount = (balance * BigInt(a.amount.permille)) / 1000n - toSend + reduction;
    else if (a.amount.kind === "over") amount = balance - toSend + reduction + BigInt(a.amount.by);
    else if (a.amount.kind === "under") amount = reduction - toSend - BigInt(a.amount.by);
    else amount = BigInt(a.amount.value);
    if (amount < 0n) amount = 0n;

    const secretBytes = { none: "0x", right: SECRET, wrong: WRONG_SECRET, tooLong: LONG_SECRET, missing: "0x" }[
      a.secret
    ];
    const secretHash =
      a.secret === "none" ? ZeroHash : a.secret === "tooLong" ? keccak256(LONG_SECRET) : keccak256(SECRET);
    const others = m.order.filter((o) => o !== id);
    const voucherChannel = a.mismatch ? (others[0] ?? BOGUS_CHANNEL) : id;
    const voucher: Voucher = {
      channelId: voucherChannel,
      timeLockMin: { none: 0n, past: now - 100n, now, future: now + 1n }[a.timeLockMin],
      timeLockMax: { none: 0n, future: now + 1_000n, now, past: now - 1n }[a.timeLockMax],
      secretHash,
      extraTarget: a.extra === "none" ? ZeroAddress : extraAddress,
      extraData: a.extra === "none" ? "0x" : extra.interface.encodeFunctionData("answer", [a.extra === "true"]),
      lane,
      nonce,
      amount,
      minSettleHeight: a.minSettle === null ? 0n : now + BigInt(a.minSettle),
      merges,
    };

    // Who signs, and whom the contract will find as the signer (the wallet for its owner's signature).
    const expectedSigner = c ? (submitter === c.payerActor ? c.payeeActor : c.payerActor) : 0;
    let signature: string;
    let signedBy: string | undefined;
    if (a.signer === "garbage") signature = GARBAGE_SIGNATURE;
    else {
      const who = { right: expectedSigner, submitter, stranger: STRANGER, otherDomain: expectedSigner }[a.signer];
      signature = (await signVoucher(keyOf(who), voucher, a.signer === "otherDomain" ? otherDomain() : domain()))
        .signature;
      signedBy = a.signer === "otherDomain" ? undefined : addresses[who];
    }

    const seen = [lane, ...merges.map((x) => x.lane)];
    return {
      actor: submitter,
      value: 0n,
      label: "voucher",
      data: channels.interface.encodeFunctionData("updateChannelState", [id, voucher, signature, secretBytes]),
      predict: (model) => {
        const ch = model.channels.get(id);
        if (ch) for (const l of seen) if (l <= MAX_LANE) model.lanesSeen.get(id)!.add(l);
        const r = applyVoucher(ch, voucher, {
          channelId: id,
          caller: addresses[submitter],
          now,
          signer: signedBy,
          secret: ethers.getBytes(secretBytes),
          extraCallReturnsTrue: a.extra === "true",
        });
        if (!r.ok) return { error: `PaymentChannels_${r.rule}` };
        const next = r.value.channel;
        const labels = [
          merges.length > 0 ? "with merges" : "",
          r.value.delta < 0n ? "lowering toSend" : "",
          next.settlingAt !== ch!.settlingAt ? "raising settlingAt" : "",
          submitter === ch!.payerActor ? "by the payer" : "by the payee",
          submitter === WALLET || expectedSigner === WALLET ? "with the wallet" : "",
          current === undefined ? "new lane" : "existing lane",
        ].filter(Boolean);
        return {
          error: null,
          labels,
          apply: () => {
            ch!.lanes = next.lanes;
            ch!.toSend = next.toSend;
            ch!.settlingAt = next.settlingAt;
            ch!.minSettleHeight = next.minSettleHeight;
          },
        };
      },
    };
  }

  /*//////////////////////////////////////////////////////////////
                             OBSERVING
  //////////////////////////////////////////////////////////////*/

  async function check(run: Run, where: string) {
    const m = run.model;
    const ids = m.order;
    const laneKeys = ids.flatMap((id) => [...(m.lanesSeen.get(id) ?? [])].map((lane) => ({ channelId: id, lane })));
    const p = await probe.probe(channelsAddress, tokenAddress, ids, laneKeys, addresses);
    ids.forEach((id, k) => {
      const c = m.channels.get(id)!;
      const got = p.channels[k];
      expect(
        {
          payer: got.payer,
          payee: got.payee,
          token: got.token,
          status: Number(got.status),
          settlingAt: got.settlingAt,
          settleDelay: got.settleDelay,
          minSettleHeight: got.minSettleHeight,
          balance: got.balance,
          toSend: got.toSend,
        },
        `${where}: channel ${k}`,
      ).to.deep.equal({
        payer: c.payer,
        payee: c.payee,
        token: c.token === "native" ? ZeroAddress : tokenAddress,
        status: c.status,
        settlingAt: c.settlingAt,
        settleDelay: c.settleDelay,
        minSettleHeight: c.minSettleHeight,
        balance: c.balance,
        toSend: c.toSend,
      });
    });
    laneKeys.forEach(({ channelId, lane }, k) => {
      const want = m.channels.get(channelId)!.lanes.get(lane);
      const got = p.lanes[k];
      expect(
        { exists: got.exists, redeemed: got.redeemed, nonce: got.nonce },
        `${where}: lane ${lane} of channel ${ids.indexOf(channelId)}`,
      ).to.deep.equal(
        want
          ? { exists: true, redeemed: want.redeemed, nonce: want.nonce }
          : { exists: false, redeemed: 0n, nonce: 0n },
      );
    });
    expect([...p.nativeBalances], `${where}: native balances`).to.deep.equal(m.balances.native);
    expect([...p.tokenBalances], `${where}: token balances`).to.deep.equal(m.balances.erc20);
    expect([...p.deferredNative].slice(0, ACTORS), `${where}: deferred native`).to.deep.equal(m.deferred.native);
    expect([...p.deferredToken].slice(0, ACTORS), `${where}: deferred token`).to.deep.equal(m.deferred.erc20);
    // Conservation, from the chain's own figures: the contract holds its open channels' balances plus the deferred.
    for (const t of ["native", "erc20"] as const) {
      const held = t === "native" ? p.nativeBalances[CONTRACT] : p.tokenBalances[CONTRACT];
      let owed = 0n;
      ids.forEach((id, k) => {
        if (m.channels.get(id)!.token === t) owed += p.channels[k].balance;
      });
      for (const d of t === "native" ? p.deferredNative : p.deferredToken) owed += d;
      expect(held, `${where}: the contract's ${t} holdings`).to.equal(owed);
    }
  }

  /*//////////////////////////////////////////////////////////////
                               STEPS
  //////////////////////////////////////////////////////////////*/

  async function step(run: Run, a: Action, index: number) {
    const where = `step ${index} (${a.kind})`;
    if (a.kind === "warp") {
      run.now += BigInt(a.seconds);
      count(a.seconds > 40_000 ? "warp (past a default settle delay)" : "warp");
      return;
    }
    run.now += 1n;
    if (a.kind === "blacklist" || a.kind === "walletAccepts") {
      const outcome =
        a.kind === "blacklist"
          ? await send(
              run,
              -1,
              token.interface.encodeFunctionData("setBlacklisted", [addresses[a.actor], a.on]),
              0n,
              tokenAddress,
            )
          : await send(
              run,
              OWNER,
              wallet.interface.encodeFunctionData("setMode", [a.accepts ? 0 : 1]),
              0n,
              addresses[WALLET],
            );
      expect(outcome.ok, where).to.equal(true);
      if (a.kind === "blacklist") run.model.blacklisted[a.actor] = a.on;
      else run.model.walletAccepts = a.accepts;
      count(a.kind);
      await check(run, where);
      return;
    }
    const c = await concrete(run, a);
    const prediction = c.predict(run.model);
    const outcome = await send(run, c.actor, c.data, c.value);
    const want = prediction.error === null ? "success" : `revert ${prediction.error}`;
    const got = outcome.ok ? "success" : `revert ${outcome.error}`;
    if (want !== got)
      expect.fail(`${where}: the model expected ${want} but the chain gave ${got}; action ${stringify(a)}`);
    if (prediction.error === null) {
      prediction.apply();
      count(`${c.label} ok`);
      for (const label of prediction.labels ?? []) count(`${c.label} ok (${label})`);
    } else {
      count(`${c.label} ${prediction.error.replace("PaymentChannels_", "")}`);
    }
    await check(run, where);
  }

  it("matches the model's outcomes, channels, lanes, payouts and balances, and conserves funds", async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (scenario) => {
        await network.provider.send("evm_revert", [snapshot]);
        snapshot = (await network.provider.send("evm_snapshot", [])) as string;
        const latest = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
        const start = await probe.probe(channelsAddress, tokenAddress, [], [], addresses);
        const run: Run = {
          now: latest,
          model: {
            channels: new Map(),
            order: [],
            lanesSeen: new Map(),
            deferred: { native: Array<bigint>(ACTORS).fill(0n), erc20: Array<bigint>(ACTORS).fill(0n) },
            balances: { native: [...start.nativeBalances], erc20: [...start.tokenBalances] },
            blacklisted: [false, false, false],
            walletAccepts: false,
          },
        };
        await check(run, "start");
        // The prologue: an ERC20 channel from actor 0 to 1, a native one from the wallet (which refuses the coin) to
        // actor 2 (payees are offsets from the payer).
        const prologue: Action[] = [
          { kind: "open", payer: 0, payee: 1, token: "erc20", salt: 0, amount: 1_000, delay: "min", value: "right" },
          {
            kind: "open",
            payer: WALLET,
            payee: 3,
            token: "native",
            salt: 0,
            amount: 1_000,
            delay: "twoHours",
            value: "right",
          },
          ...scenario.opening,
        ];
        for (const [k, action] of prologue.entries()) await step(run, action, -1 - k);
        for (const [k, action] of scenario.actions.entries()) await step(run, action, k);
      }),
      { numRuns: NUM_RUNS, seed: SEED, endOnFailure: process.env.FC_SHRINK !== "1" },
    );

    const required = [
      "open erc20 ok",
      "open native ok",
      "open native ChannelExists",
      "open erc20 PayeeIsPayer",
      "fund ok",
      "fund ok (while settling)",
      "voucher ok",
      "voucher ok (new lane)",
      "voucher ok (existing lane)",
      "voucher ok (with merges)",
      "voucher ok (lowering toSend)",
      "voucher ok (raising settlingAt)",
      "voucher ok (by the payer)",
      "voucher ok (by the payee)",
      "voucher ok (with the wallet)",
      "voucher NegativeToSend",
      "voucher InsufficientChannelFunds",
      "voucher VoucherNonceTooLow",
      "voucher MergeNonceTooLow",
      "voucher MergeLaneNotFound",
      "voucher MergeIntoOwnLane",
      "voucher InvalidVoucherSignature",
      "voucher VoucherChannelMismatch",
      "voucher NotParty",
      "voucher ChannelSettled",
      "voucher TooManyMerges",
      "voucher SecretTooLong",
      "voucher SecretMismatch",
      "voucher ExtraCallFailed",
      "voucher TimeLockMinNotReached",
      "voucher TimeLockMaxPassed",
      "voucher LaneOutOfRange",
      "settle ok",
      "settle ok (at minSettleHeight)",
      "settle AlreadySettling",
      "collect ok",
      "collect SettlingNotDone",
      "collect NotSettling",
      "close ok",
      "close ok (while settling)",
      "close InvalidCloseSignature",
      "close CloseExpired",
      "withdraw native ok",
      "withdraw native NativeTransferFailed",
      "withdraw erc20 NothingToWithdraw",
      "payout deferred native",
      "payout deferred erc20",
    ];
    for (const key of COVERAGE ? [] : required) {
      expect(stats.get(key) ?? 0, `"${key}" never happened in ${NUM_RUNS} runs`).to.be.greaterThan(0);
    }
  });
});

function stringify(a: Action): string {
  return JSON.stringify(a, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}
