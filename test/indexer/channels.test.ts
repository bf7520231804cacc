// PaymentChannels through the embedded indexer: a history on a real PaymentChannels (channels in AccordToken, in a
// blacklisting ERC20 and in the native coin; deposits by the payer and by third parties; vouchers on several lanes
// signed with src/channels/voucher.ts, by the payer for the payee and by the payee for the payer, with merges and a
// minSettleHeight that delays a settle; settles by either party; collects; cooperative closes, one while settling;
// payouts deferred to a blacklisted payee and to a contract wallet that refuses the native coin, then withdrawn)
// indexed by a follower. The entities must equal the contract's own state field by field (getChannel, getLane,
// deferredPayouts, what it holds of each token), the entities re-derived independently from the logs (ethers'
// decoding), and the two questions users ask must be answered by the GraphQL API with standard filters. A backfill
// of the finished chain stores the same versions, and a reorg of channel activity leaves what a fresh index of the
// final chain holds.

import { expect } from "chai";
import pino from "pino";
import { ZeroAddress, type Signer, type TransactionReceipt } from "ethers";
import { createIndexer, type EntityRecord, type Indexer, type SqlStore } from "../../src/indexer";
import { channelStatusNames } from "../../src/model/enums";
import { createServer, type AccordServer } from "../../src/server/server";
import type { BlacklistERC20Mock, ChannelWalletMock } from "../../typechain-types";
import {
  deployAccord,
  ethers,
  headBlock,
  hre,
  increaseTime,
  startRpcServer,
  type Accord,
  type RpcServer,
} from "./helpers/chain";
import { ChannelDriver, FAR_DEADLINE, makeVoucher } from "./helpers/channels";
import { pglite, STORE_KINDS } from "./helpers/stores";
import { graphqlData } from "./helpers/graphql";

const silent = pino({ level: "silent" });
const ZERO = ZeroAddress.toLowerCase();
/** ChannelWalletMock.Mode */
const WALLET_ACCEPT = 0;
const WALLET_REFUSE = 1;
const ETHER = 10n ** 18n;

async function all(store: SqlStore, entity: string): Promise<EntityRecord[]> {
  const out: EntityRecord[] = [];
  for (let skip = 0; ; skip += 1000) {
    const page = await store.find({ entity, first: 1000, skip });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

const lower = (x: unknown): string => String(x).toLowerCase();

async function latestTimestamp(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

async function blockTimestamp(receipt: TransactionReceipt): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock(receipt.blockNumber))!.timestamp);
}

type Block = { blockNumber: bigint; timestamp: bigint; transactionHash: string };

/** The channels-contract logs of `receipts`, decoded by ethers, in chain order, with their blocks' timestamps. */
async function channelLogs(accord: Accord, receipts: TransactionReceipt[]) {
  const address = lower(await accord.channels.getAddress());
  const timestamps = new Map<number, bigint>();
  const out = [];
  const logs = receipts
    .flatMap((r) => r.logs)
    .filter((l) => lower(l.address) === address)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const log of logs) {
    if (!timestamps.has(log.blockNumber))
      timestamps.set(log.blockNumber, BigInt((await ethers.provider.getBlock(log.blockNumber))!.timestamp));
    const parsed = accord.channels.interface.parseLog(log)!;
    const block: Block = {
      blockNumber: BigInt(log.blockNumber),
      timestamp: timestamps.get(log.blockNumber)!,
      transactionHash: lower(log.transactionHash),
    };
    // Each field is read as the entity value it becomes (bigint, string, number): `never` stands for "any of them".
    const args = parsed.args.toObject() as Record<string, never>;
    out.push({ name: parsed.name, args, id: `${lower(log.transactionHash)}-${log.index}`, block });
  }
  return out;
}

const laneKey = (channelId: string, lane: bigint): string => `${lower(channelId)}-${lane}`;
const deferredKey = (token: string, account: string): string =>
  lower(ethers.solidityPacked(["address", "address"], [token, account]));

/**
 * The six entity types as the logs describe them, derived here independently of the mappings: what each event says
 * the channel, lane or deferred balance is now, and one record per voucher, deposit and settlement.
 */
function entitiesFromLogs(logs: Awaited<ReturnType<typeof channelLogs>>): Map<string, Map<string, EntityRecord>> {
  const entities = new Map<string, Map<string, EntityRecord>>(
    [
      "PaymentChannel",
      "PaymentLane",
      "RedeemedVoucher",
      "ChannelFunding",
      "ChannelSettlement",
      "DeferredChannelPayout",
    ].map((e) => [e, new Map()]),
  );
  const table = (entity: string) => entities.get(entity)!;
  const touched = (block: Block) => ({
    updatedAt: block.timestamp,
    updatedAtBlock: block.blockNumber,
    updatedTx: block.transactionHash,
  });
  const update = (entity: string, id: string, fields: EntityRecord) =>
    table(entity).set(id, { ...table(entity).get(id)!, ...fields });
  for (const { name, args: a, id, block } of logs) {
    const channelId = a.channelId === undefined ? "" : lower(a.channelId);
    const channel = table("PaymentChannel").get(channelId);
    switch (name) {
      case "ChannelOpened":
        table("PaymentChannel").set(channelId, {
          id: channelId,
          payer: lower(a.payer),
          payee: lower(a.payee),
          token: lower(a.token),
          balance: a.amount,
          toSend: 0n,
          spendable: a.amount,
          settleDelay: a.settleDelay,
          settlingAt: null,
          minSettleHeight: 0n,
          status: "Open",
          closeKind: null,
          toPayee: null,
          toPayer: null,
          fundingCount: 1,
          totalDeposited: a.amount,
          laneCount: 0,
          voucherCount: 0,
          openedAt: block.timestamp,
          openedAtBlock: block.blockNumber,
          openedTx: block.transactionHash,
          closedAt: null,
          closedAtBlock: null,
          closedTx: null,
          ...touched(block),
        });
        table("ChannelFunding").set(id, {
          id,
          channel: channelId,
          funder: lower(a.payer),
          amount: a.amount,
          balance: a.amount,
          openedChannel: true,
          ...block,
        });
        break;
      case "ChannelFunded":
        update("PaymentChannel", channelId, {
          balance: a.balance,
          spendable: (a.balance as bigint) - (channel!.toSend as bigint),
          fundingCount: (channel!.fundingCount as number) + 1,
          totalDeposited: (channel!.totalDeposited as bigint) + (a.amount as bigint),
          ...touched(block),
        });
        table("ChannelFunding").set(id, {
          id,
          channel: channelId,
          funder: lower(a.funder),
          amount: a.amount,
          balance: a.balance,
          openedChannel: false,
          ...block,
        });
        break;
      case "LaneMerged": {
        const lane = laneKey(channelId, a.lane);
        const record = table("PaymentLane").get(lane)!;
        update("PaymentLane", lane, {
          nonce: a.nonce,
          mergedInto: laneKey(channelId, a.intoLane),
          mergeCount: (record.mergeCount as number) + 1,
          ...touched(block),
        });
        break;
      }
      case "VoucherRedeemed": {
        const lane = laneKey(channelId, a.lane);
        const existing = table("PaymentLane").get(lane);
        table("PaymentLane").set(lane, {
          id: lane,
          channel: channelId,
          lane: a.lane,
          redeemed: a.amount,
          nonce: a.nonce,
          voucherCount: ((existing?.voucherCount as number | undefined) ?? 0) + 1,
          mergedInto: existing?.mergedInto ?? null,
          mergeCount: existing?.mergeCount ?? 0,
          createdAt: existing?.createdAt ?? block.timestamp,
          createdAtBlock: existing?.createdAtBlock ?? block.blockNumber,
          createdTx: existing?.createdTx ?? block.transactionHash,
          ...touched(block),
        });
        const submitter = lower(a.submitter);
        const settlingAt = a.settlingAt === 0n ? null : (a.settlingAt as bigint);
        table("RedeemedVoucher").set(id, {
          id,
          channel: channelId,
          lane,
          submitter,
          signer: submitter === channel!.payer ? channel!.payee : channel!.payer,
          digest: lower(a.digest),
          nonce: a.nonce,
          amount: a.amount,
          toSend: a.toSend,
          settlingAt,
          minSettleHeight: a.minSettleHeight,
          ...block,
        });
        update("PaymentChannel", channelId, {
          toSend: a.toSend,
          spendable: (channel!.balance as bigint) - (a.toSend as bigint),
          settlingAt,
          minSettleHeight: a.minSettleHeight,
          laneCount: (channel!.laneCount as number) + (existing ? 0 : 1),
          voucherCount: (channel!.voucherCount as number) + 1,
          ...touched(block),
        });
        break;
      }
      case "SettleStarted":
        update("PaymentChannel", channelId, { settlingAt: a.settlingAt, ...touched(block) });
        table("ChannelSettlement").set(id, {
          id,
          channel: channelId,
          kind: "SettleStarted",
          by: lower(a.by),
          settlingAt: a.settlingAt,
          toPayee: null,
          toPayer: null,
          ...block,
        });
        break;
      case "ChannelCollected":
      case "ChannelClosed": {
        const kind = name === "ChannelCollected" ? "Collected" : "ClosedCooperatively";
        expect(lower(a.payer)).to.equal(channel!.payer);
        expect(lower(a.payee)).to.equal(channel!.payee);
        table("ChannelSettlement").set(id, {
          id,
          channel: channelId,
          kind,
          by: null,
          settlingAt: channel!.settlingAt,
          toPayee: a.toPayee,
          toPayer: a.toPayer,
          ...block,
        });
        update("PaymentChannel", channelId, {
          status: "Closed",
          closeKind: kind,
          balance: 0n,
          toSend: a.toPayee,
          spendable: 0n,
          settlingAt: null,
          toPayee: a.toPayee,
          toPayer: a.toPayer,
          closedAt: block.timestamp,
          closedAtBlock: block.blockNumber,
          closedTx: block.transactionHash,
          ...touched(block),
        });
        break;
      }
      case "PayoutDeferred":
      case "Withdrawn": {
        const key = deferredKey(a.token, a.account);
        const record = table("DeferredChannelPayout").get(key) ?? {
          id: key,
          token: lower(a.token),
          account: lower(a.account),
          amount: 0n,
          totalDeferred: 0n,
          totalWithdrawn: 0n,
          deferralCount: 0,
          withdrawalCount: 0,
          lastWithdrawnTo: null,
          createdAt: block.timestamp,
        };
        const amount = a.amount as bigint;
        const deferred = name === "PayoutDeferred";
        table("DeferredChannelPayout").set(key, {
          ...record,
          amount: (record.amount as bigint) + (deferred ? amount : -amount),
          totalDeferred: (record.totalDeferred as bigint) + (deferred ? amount : 0n),
          totalWithdrawn: (record.totalWithdrawn as bigint) + (deferred ? 0n : amount),
          deferralCount: (record.deferralCount as number) + (deferred ? 1 : 0),
          withdrawalCount: (record.withdrawalCount as number) + (deferred ? 0 : 1),
          lastWithdrawnTo: deferred ? record.lastWithdrawnTo : lower(a.to),
          ...touched(block),
        });
        break;
      }
      default:
        break;
    }
  }
  return entities;
}

interface History {
  channels: {
    /** AccordToken, payer → payee: funded twice, vouchers on lanes 1–3 with a merge, settled, collected. */
    erc20: string;
    /** Native, payer → payee2: funded by a third party, vouchers with a merge; stays open. */
    native: string;
    /** Blacklist token, payer → payee2: collected while payee2 is blacklisted (its part deferred). */
    blacklistCollected: string;
    /** Blacklist token, payer → payee2: closed cooperatively while payee2 is blacklisted. */
    blacklistClosed: string;
    /** Native, payer → a wallet that refuses the coin: collected, the wallet's part deferred. */
    wallet: string;
    /** AccordToken, payer → payee: settling, then closed cooperatively before settlingAt. */
    closedWhileSettling: string;
    /** AccordToken, third → payee2: settling within the hour. */
    thirds: string;
    /** AccordToken, payer → payee: settling in two hours. */
    settlingLater: string;
    /** AccordToken, payer → payee: a voucher, then settling within the hour (the history's last transaction). */
    settlingSoon: string;
  };
  payer: string;
  payee: string;
  payee2: string;
  wallet: string;
  receiver: string;
  blacklist: string;
  /** Every voucher the history signed: its channel, lane and EIP-712 digest (voucherDigest), in order. */
  vouchers: { channelId: string; lane: bigint; digest: string }[];
  /** When the cooperative close of closedWhileSettling would have let it be collected. */
  closedSettlingAt: bigint;
}

/** The history: see the file's comment. Asserts on the contract as it goes that each step did what it is for. */
async function runHistory(d: ChannelDriver): Promise<History> {
  const { channels, token } = d.accord;
  const [, payer, payee, funder, payee2, walletOwner, receiver, third] = d.accord.signers as Signer[] & {
    length: 8;
  };
  const addr = async (s: Signer) => lower(await s.getAddress());
  const channelsAddress = await channels.getAddress();
  const tokenAddress = lower(await token.getAddress());
  const vouchers: History["vouchers"] = [];
  const redeem = async (signer: Signer, submitter: Signer, v: ReturnType<typeof makeVoucher>) => {
    vouchers.push({ channelId: v.channelId, lane: v.lane, digest: await d.redeem(signer, submitter, v) });
  };
  await d.approve(token, [payer, funder, third]);

  // The blacklisting ERC20 (its transfers to a blacklisted account revert) and a wallet that refuses the native coin.
  const blacklist = (await (
    await ethers.getContractFactory("BlacklistERC20Mock")
  ).deploy()) as unknown as BlacklistERC20Mock;
  await (await blacklist.mint(await payer.getAddress(), 10n ** 24n)).wait();
  await d.approve(blacklist, [payer]);
  const blacklistAddress = lower(await blacklist.getAddress());
  const wallet = (await (
    await ethers.getContractFactory("ChannelWalletMock")
  ).deploy(await walletOwner.getAddress(), WALLET_REFUSE)) as unknown as ChannelWalletMock;
  const walletAddress = lower(await wallet.getAddress());

  // An ERC20 channel with the shortest settle delay, topped up by a third party and by its payer.
  const erc20 = await d.open(payer, {
    payee: await addr(payee),
    token: tokenAddress,
    amount: 10_000n,
    settleDelay: 3_600n,
    salt: "erc20",
  });
  await d.fund(funder, erc20, tokenAddress, 5_000n);
  await d.fund(payer, erc20, tokenAddress, 1_000n);
  // A native channel with the default settle delay (opened with 0), topped up by a third party.
  const native = await d.open(payer, { payee: await addr(payee2), token: ZERO, amount: ETHER, salt: "native" });
  expect((await channels.getChannel(native)).settleDelay).to.equal(await channels.DEFAULT_SETTLE_DELAY());
  await d.fund(funder, native, ZERO, ETHER / 2n);

  // Vouchers on the ERC20 channel: lanes 1 and 2, lane 1 again, lane 3 merging both, then one the payee signs for
  // the payer to submit (a lower amount on lane 3: the payee gives some back), with a minSettleHeight.
  await redeem(payer, payee, makeVoucher(erc20, { lane: 1n, nonce: 1n, amount: 1_000n }));
  await redeem(payer, payee, makeVoucher(erc20, { lane: 2n, nonce: 1n, amount: 500n }));
  await redeem(payer, payee, makeVoucher(erc20, { lane: 1n, nonce: 2n, amount: 1_500n }));
  await redeem(
    payer,
    payee,
    makeVoucher(erc20, {
      lane: 3n,
      nonce: 1n,
      amount: 2_500n,
      merges: [
        { lane: 1n, nonce: 3n },
        { lane: 2n, nonce: 2n },
      ],
    }),
  );
  expect((await channels.getChannel(erc20)).toSend, "1,500 + 500 + (2,500 − 2,000)").to.equal(2_500n);
  const soon = (await latestTimestamp()) + 10n;
  await redeem(payee, payer, makeVoucher(erc20, { lane: 3n, nonce: 2n, amount: 2_000n, minSettleHeight: soon }));
  const afterPayeeVoucher = await channels.getChannel(erc20);
  expect([afterPayeeVoucher.toSend, afterPayeeVoucher.minSettleHeight]).to.deep.equal([2_000n, soon]);

  // Native vouchers: lanes 0 and 7, then lane 0 merging lane 7.
  await redeem(payer, payee2, makeVoucher(native, { lane: 0n, nonce: 1n, amount: (3n * ETHER) / 10n }));
  await redeem(payer, payee2, makeVoucher(native, { lane: 7n, nonce: 1n, amount: ETHER / 10n }));
  await redeem(
    payer,
    payee2,
    makeVoucher(native, { lane: 0n, nonce: 2n, amount: ETHER / 2n, merges: [{ lane: 7n, nonce: 5n }] }),
  );
  expect((await channels.getChannel(native)).toSend).to.equal(ETHER / 2n);

  // The payee settles the ERC20 channel; a later voucher's minSettleHeight delays settlingAt.
  const settledAt = await blockTimestamp(await d.settle(payee, erc20));
  expect((await channels.getChannel(erc20)).settlingAt).to.equal(settledAt + 3_600n);
  await redeem(
    payer,
    payee,
    makeVoucher(erc20, { lane: 2n, nonce: 3n, amount: 800n, minSettleHeight: settledAt + 4_000n }),
  );
  const delayed = await channels.getChannel(erc20);
  expect([delayed.settlingAt, delayed.toSend]).to.deep.equal([settledAt + 4_000n, 2_300n]);

  // Blacklist-token channels to payee2, who is then blacklisted: one settles (collected below), one closes now.
  const blacklistCollected = await d.open(payer, {
    payee: await addr(payee2),
    token: blacklistAddress,
    amount: 3_000n,
    settleDelay: 3_600n,
    salt: "blacklist collected",
  });
  await redeem(payer, payee2, makeVoucher(blacklistCollected, { lane: 0n, nonce: 1n, amount: 1_200n }));
  const blacklistClosed = await d.open(payer, {
    payee: await addr(payee2),
    token: blacklistAddress,
    amount: 2_000n,
    settleDelay: 3_600n,
    salt: "blacklist closed",
  });
  await redeem(payer, payee2, makeVoucher(blacklistClosed, { lane: 0n, nonce: 1n, amount: 500n }));
  await (await blacklist.setBlacklisted(await payee2.getAddress(), true)).wait();
  await d.settle(payer, blacklistCollected);
  await d.closeCooperatively(funder, payer, payee2, {
    channelId: blacklistClosed,
    toSend: 700n,
    deadline: FAR_DEADLINE,
  });
  expect(await channels.deferredPayouts(blacklistAddress, await payee2.getAddress())).to.equal(700n);

  // A native channel to the refusing wallet, which redeems a voucher through its owner; the payer settles.
  const walletChannel = await d.open(payer, {
    payee: walletAddress,
    token: ZERO,
    amount: ETHER / 100n,
    settleDelay: 3_600n,
    salt: "wallet",
  });
  const walletVoucher = makeVoucher(walletChannel, { lane: 4n, nonce: 9n, amount: ETHER / 250n });
  const signed = await d.sign(payer, walletVoucher);
  await d.send(
    wallet
      .connect(walletOwner)
      .execute(
        channelsAddress,
        channels.interface.encodeFunctionData("updateChannelState", [
          walletChannel,
          walletVoucher,
          signed.signature,
          "0x",
        ]),
      ),
  );
  vouchers.push({ channelId: walletChannel, lane: walletVoucher.lane, digest: signed.digest });
  await d.settle(payer, walletChannel);

  // Past every settlingAt so far: collect the three settling channels (by the payer, by payee2, by the payer).
  await increaseTime(4_100);
  await d.collect(payer, erc20);
  await d.collect(payee2, blacklistCollected);
  await d.collect(payer, walletChannel);
  expect(await channels.deferredPayouts(blacklistAddress, await payee2.getAddress())).to.equal(1_900n);
  expect(await channels.deferredPayouts(ZERO, walletAddress)).to.equal(ETHER / 250n);

  // Withdrawals: payee2, no longer blacklisted, to the receiver; the wallet, accepting again, to the receiver.
  await (await blacklist.setBlacklisted(await payee2.getAddress(), false)).wait();
  await d.send(channels.connect(payee2).withdraw(blacklistAddress, await addr(receiver)));
  await (await wallet.connect(walletOwner).setMode(WALLET_ACCEPT)).wait();
  await d.send(
    wallet
      .connect(walletOwner)
      .execute(channelsAddress, channels.interface.encodeFunctionData("withdraw", [ZERO, await addr(receiver)])),
  );

  // A channel closed cooperatively while settling, by a third party's submission.
  const closedWhileSettling = await d.open(payer, {
    payee: await addr(payee),
    token: tokenAddress,
    amount: 4_000n,
    settleDelay: 3_600n,
    salt: "closed while settling",
  });
  await redeem(payer, payee, makeVoucher(closedWhileSettling, { lane: 0n, nonce: 1n, amount: 1_000n }));
  await d.settle(payer, closedWhileSettling);
  const closedSettlingAt = (await channels.getChannel(closedWhileSettling)).settlingAt;
  await d.closeCooperatively(funder, payer, payee, {
    channelId: closedWhileSettling,
    toSend: 1_500n,
    deadline: FAR_DEADLINE,
  });

  // Channels still settling at the end: a third party's to payee2 and two of the payer's to the payee, within the
  // hour and in two hours.
  const thirds = await d.open(third, {
    payee: await addr(payee2),
    token: tokenAddress,
    amount: 1_000n,
    settleDelay: 3_600n,
    salt: "third's",
  });
  await d.settle(third, thirds);
  const settlingLater = await d.open(payer, {
    payee: await addr(payee),
    token: tokenAddress,
    amount: 2_000n,
    settleDelay: 7_200n,
    salt: "settling later",
  });
  await d.settle(payee, settlingLater);
  const settlingSoon = await d.open(payer, {
    payee: await addr(payee),
    token: tokenAddress,
    amount: 3_000n,
    settleDelay: 3_600n,
    salt: "settling soon",
  });
  await redeem(payer, payee, makeVoucher(settlingSoon, { lane: 0n, nonce: 1n, amount: 250n }));
  await d.settle(payer, settlingSoon);

  return {
    channels: {
      erc20,
      native,
      blacklistCollected,
      blacklistClosed,
      wallet: walletChannel,
      closedWhileSettling,
      thirds,
      settlingLater,
      settlingSoon,
    },
    payer: await addr(payer),
    payee: await addr(payee),
    payee2: await addr(payee2),
    wallet: walletAddress,
    receiver: await addr(receiver),
    blacklist: blacklistAddress,
    vouchers,
    closedSettlingAt,
  };
}

describe("indexer: PaymentChannels", function () {
  this.timeout(300_000);

  let rpc: RpcServer;
  let accord: Accord;
  let driver: ChannelDriver;
  let history: History;
  let follower: Indexer;
  let store: SqlStore;
  let cleanup: () => Promise<void>;

  before(async () => {
    rpc = await startRpcServer();
    accord = await deployAccord();
    driver = new ChannelDriver(accord);
    const opened = await pglite.open();
    store = opened.store;
    cleanup = opened.cleanup;
    // From the deployment file's content, as `accord index --deployment <file>` reads it.
    follower = await createIndexer({
      rpcUrl: rpc.url,
      deployment: accord.file,
      store,
      pollIntervalMs: 10,
      logger: silent,
    });
    await follower.start();
    history = await runHistory(driver);
    await follower.waitForBlock(await headBlock());
  });

  after(async () => {
    await follower?.close();
    await cleanup?.();
    await rpc?.close();
  });

  it("indexes the PaymentChannels data source from the deployment file", () => {
    const source = follower.subgraph.dataSources.find((s) => s.name === "PaymentChannels")!;
    expect(source, "data source PaymentChannels").to.not.equal(undefined);
    expect(source.address).to.equal(accord.deployment.contracts.PaymentChannels.address);
    expect(source.startBlock).to.equal(accord.deployment.contracts.PaymentChannels.blockNumber);
  });

  it("has every channel as getChannel has it, field by field", async () => {
    const channels = await all(store, "PaymentChannel");
    expect(channels.map((c) => c.id).sort()).to.deep.equal(Object.values(history.channels).sort());
    for (const channel of channels) {
      const id = channel.id as string;
      const c = await accord.channels.getChannel(id);
      const status = channelStatusNames[Number(c.status)];
      expect(channel, id).to.include({
        payer: lower(c.payer),
        payee: lower(c.payee),
        token: lower(c.token),
        balance: c.balance,
        toSend: c.toSend,
        // Once closed, the contract's toSend is what the payee was paid, and nothing is left to spend.
        spendable: status === "Open" ? c.balance - c.toSend : 0n,
        settleDelay: c.settleDelay,
        settlingAt: status === "Open" && c.settlingAt !== 0n ? c.settlingAt : null,
        minSettleHeight: c.minSettleHeight,
        status,
      });
      const closed = status === "Closed";
      for (const field of ["closeKind", "toPayee", "toPayer", "closedAt", "closedAtBlock", "closedTx"]) {
        expect(channel[field] === null, `${id}.${field} null while open`).to.equal(!closed);
      }
      if (closed) expect(channel.toPayee, "what was paid to the payee").to.equal(c.toSend);
    }
    const c = history.channels;
    const get = async (id: string) => (await store.get("PaymentChannel", id))!;
    expect(await get(c.erc20)).to.include({
      status: "Closed",
      closeKind: "Collected",
      toPayee: 2_300n,
      toPayer: 13_700n,
      fundingCount: 3,
      totalDeposited: 16_000n,
      laneCount: 3,
      voucherCount: 6,
      balance: 0n,
      spendable: 0n,
    });
    expect(await get(c.native)).to.include({
      status: "Open",
      token: ZERO,
      balance: (3n * ETHER) / 2n,
      toSend: ETHER / 2n,
      spendable: ETHER,
      settleDelay: 43_200n,
      settlingAt: null,
      laneCount: 2,
      voucherCount: 3,
    });
    expect(await get(c.closedWhileSettling)).to.include({
      status: "Closed",
      closeKind: "ClosedCooperatively",
      settlingAt: null,
      toPayee: 1_500n,
      toPayer: 2_500n,
    });
    expect(await get(c.blacklistClosed)).to.include({ closeKind: "ClosedCooperatively", toPayee: 700n });
    expect(await get(c.settlingSoon)).to.include({ status: "Open", spendable: 2_750n });
  });

  it("has every lane as getLane has it, with its merges", async () => {
    const lanes = await all(store, "PaymentLane");
    const used = [...new Set(history.vouchers.map((v) => laneKey(v.channelId, v.lane)))].sort();
    expect(lanes.map((l) => l.id).sort()).to.deep.equal(used);
    for (const lane of lanes) {
      const id = lane.id as string;
      const onChain = await accord.channels.getLane(lane.channel as string, lane.lane as bigint);
      expect(onChain.exists, id).to.equal(true);
      expect(lane, id).to.include({ redeemed: onChain.redeemed, nonce: onChain.nonce });
      expect(id).to.equal(laneKey(lane.channel as string, lane.lane as bigint));
    }
    const { erc20, native } = history.channels;
    const lane = async (channelId: string, n: bigint) => (await store.get("PaymentLane", laneKey(channelId, n)))!;
    expect(await lane(erc20, 1n)).to.include({
      redeemed: 1_500n,
      nonce: 3n,
      voucherCount: 2,
      mergedInto: laneKey(erc20, 3n),
      mergeCount: 1,
    });
    expect(await lane(erc20, 2n)).to.include({ redeemed: 800n, nonce: 3n, voucherCount: 2, mergeCount: 1 });
    expect(await lane(erc20, 3n)).to.include({ redeemed: 2_000n, nonce: 2n, mergedInto: null, mergeCount: 0 });
    expect(await lane(native, 7n)).to.include({ nonce: 5n, mergedInto: laneKey(native, 0n) });
  });

  it("has every deferred payout as deferredPayouts has it, and the funds the contract holds", async () => {
    const records = await all(store, "DeferredChannelPayout");
    expect(records.map((r) => r.id).sort()).to.deep.equal(
      [deferredKey(history.blacklist, history.payee2), deferredKey(ZERO, history.wallet)].sort(),
    );
    for (const record of records) {
      const onChain = await accord.channels.deferredPayouts(record.token as string, record.account as string);
      expect(record.amount, String(record.id)).to.equal(onChain);
      expect(record.amount).to.equal((record.totalDeferred as bigint) - (record.totalWithdrawn as bigint));
    }
    expect((await store.get("DeferredChannelPayout", deferredKey(history.blacklist, history.payee2)))!).to.include({
      token: history.blacklist,
      account: history.payee2,
      amount: 0n,
      totalDeferred: 1_900n,
      totalWithdrawn: 1_900n,
      deferralCount: 2,
      withdrawalCount: 1,
      lastWithdrawnTo: history.receiver,
    });
    expect((await store.get("DeferredChannelPayout", deferredKey(ZERO, history.wallet)))!).to.include({
      totalDeferred: ETHER / 250n,
      deferralCount: 1,
      withdrawalCount: 1,
      lastWithdrawnTo: history.receiver,
    });

    // Per token, the contract holds its open channels' balances and the deferred payouts.
    const channelsAddress = await accord.channels.getAddress();
    const held = new Map<string, bigint>([
      [lower(await accord.token.getAddress()), await accord.token.balanceOf(channelsAddress)],
      [ZERO, await ethers.provider.getBalance(channelsAddress)],
      [
        history.blacklist,
        await (await ethers.getContractAt("BlacklistERC20Mock", history.blacklist)).balanceOf(channelsAddress),
      ],
    ]);
    const owed = new Map<string, bigint>();
    for (const c of await all(store, "PaymentChannel"))
      owed.set(c.token as string, (owed.get(c.token as string) ?? 0n) + (c.balance as bigint));
    for (const r of records) owed.set(r.token as string, (owed.get(r.token as string) ?? 0n) + (r.amount as bigint));
    expect(owed).to.deep.equal(held);
  });

  it("has every entity the logs describe, field by field, and a digest per voucher as signed", async () => {
    const logs = await channelLogs(accord, driver.receipts);
    const expected = entitiesFromLogs(logs);
    for (const [entity, records] of expected) {
      const rows = await all(store, entity);
      const byId = new Map(rows.map((r) => [String(r.id), r]));
      expect([...byId.keys()].sort(), `${entity} ids`).to.deep.equal([...records.keys()].sort());
      for (const [id, record] of records) expect(byId.get(id), `${entity} ${id}`).to.deep.equal(record);
    }
    // Every event of the contract was logged at least once by the history.
    const events: string[] = [];
    accord.channels.interface.forEachEvent((event) => events.push(event.name));
    expect(new Set(logs.map((l) => l.name))).to.deep.equal(new Set(events.filter((e) => e !== "EIP712DomainChanged")));
    // The digests src/channels/voucher.ts computed when signing are the contract's, in the order applied.
    const vouchers = await store.find({ entity: "RedeemedVoucher", orderBy: "blockNumber", first: 1000 });
    expect(vouchers.map((v) => [v.digest, v.lane])).to.deep.equal(
      history.vouchers.map((v) => [v.digest, laneKey(v.channelId, v.lane)]),
    );
    expect(vouchers.find((v) => v.submitter === history.payer)!.signer, "the payee signed it").to.equal(history.payee);
    // Each kind of settlement; a close names no caller.
    const settlements = await all(store, "ChannelSettlement");
    expect(new Set(settlements.map((s) => s.kind))).to.deep.equal(
      new Set(["SettleStarted", "Collected", "ClosedCooperatively"]),
    );
    for (const s of settlements) expect(s.by === null, String(s.id)).to.equal(s.kind !== "SettleStarted");
    const closedWhileSettling = settlements.find(
      (s) => s.channel === history.channels.closedWhileSettling && s.kind === "ClosedCooperatively",
    )!;
    expect(closedWhileSettling.settlingAt, "the settlingAt the close cut short").to.equal(history.closedSettlingAt);
  });

  it("references only entities that exist", async () => {
    const model = store.model;
    for (const entity of model.entities) {
      for (const field of entity.fields.filter((f) => f.kind === "entity" && !f.derivedFrom)) {
        for (const record of await all(store, entity.name)) {
          const value = record[field.name];
          const ids = value === null ? [] : field.list ? (value as string[]) : [value as string];
          for (const id of ids) {
            expect(await store.get(field.type, id), `${entity.name} ${String(record.id)}.${field.name}`).to.not.equal(
              null,
            );
          }
        }
      }
    }
  });

  it("keeps history: the ERC20 channel read as of each voucher has that voucher's toSend and spendable", async () => {
    const vouchers = await store.find({
      entity: "RedeemedVoucher",
      where: { channel: history.channels.erc20 },
      orderBy: "blockNumber",
    });
    expect(vouchers).to.have.length(6);
    for (const voucher of vouchers) {
      const asOf = (await store.get("PaymentChannel", history.channels.erc20, Number(voucher.blockNumber)))!;
      expect(asOf).to.include({
        toSend: voucher.toSend,
        spendable: (asOf.balance as bigint) - (voucher.toSend as bigint),
        settlingAt: voucher.settlingAt,
        status: "Open",
      });
    }
  });

  describe("over GraphQL", () => {
    let server: AccordServer;
    const gql = (query: string, variables: Record<string, unknown> = {}) => graphqlData(server.url, query, variables);

    before(async () => {
      server = await createServer({ store, port: 0, logger: silent });
    });
    after(async () => server?.close());

    // "My open channels and what they can still pay."
    const MY_OPEN_CHANNELS = `query MyOpenChannels($me: Bytes!) {
  paymentChannels(where: { payer: $me, status: Open }) {
    id
    payee
    token
    balance
    toSend
    spendable
  }
}`;

    it("answers “my open channels and what they can still pay”", async () => {
      const { paymentChannels } = (await gql(MY_OPEN_CHANNELS, { me: history.payer })) as {
        paymentChannels: Record<string, string>[];
      };
      // What the contract says: the payer's channels that are open.
      const want: Record<string, string>[] = [];
      for (const id of Object.values(history.channels).sort()) {
        const c = await accord.channels.getChannel(id);
        if (lower(c.payer) !== history.payer || channelStatusNames[Number(c.status)] !== "Open") continue;
        want.push({
          id,
          payee: lower(c.payee),
          token: lower(c.token),
          balance: String(c.balance),
          toSend: String(c.toSend),
          spendable: String(c.balance - c.toSend),
        });
      }
      const { native, settlingLater, settlingSoon } = history.channels;
      expect(want.map((c) => c.id)).to.deep.equal([native, settlingLater, settlingSoon].sort());
      expect(paymentChannels).to.deep.equal(want);
      expect(paymentChannels.find((c) => c.id === native)).to.include({ token: ZERO, spendable: String(ETHER) });
    });

    // "Channels settling within an hour that I am the payee of." A channel not settling has a null settlingAt, which
    // no comparison matches, and so has a closed one (even one closed cooperatively before its settlingAt).
    const SETTLING_SOON = `query SettlingSoon($me: Bytes!, $now: BigInt!, $nowPlus3600: BigInt!) {
  paymentChannels(where: { payee: $me, settlingAt_gt: $now, settlingAt_lte: $nowPlus3600 }, orderBy: settlingAt) {
    id
    payer
    settlingAt
    toSend
    spendable
  }
}`;

    it("answers “channels settling within an hour that I am the payee of”", async () => {
      const now = await latestTimestamp();
      const variables = (me: string) => ({ me, now: String(now), nowPlus3600: String(now + 3600n) });
      const { paymentChannels } = (await gql(SETTLING_SOON, variables(history.payee))) as {
        paymentChannels: { id: string; payer: string; settlingAt: string }[];
      };
      // What the contract says: the payee's open channels whose settlingAt is in (now, now + 1 h].
      const want: string[] = [];
      for (const id of Object.values(history.channels)) {
        const c = await accord.channels.getChannel(id);
        if (lower(c.payee) !== history.payee || channelStatusNames[Number(c.status)] !== "Open") continue;
        if (c.settlingAt > now && c.settlingAt <= now + 3600n) want.push(id);
      }
      expect(want).to.deep.equal([history.channels.settlingSoon]);
      expect(paymentChannels.map((c) => c.id)).to.deep.equal(want);
      expect(paymentChannels[0]).to.include({
        payer: history.payer,
        settlingAt: String((await accord.channels.getChannel(want[0])).settlingAt),
      });
      // The channel closed while settling would be in the window by the contract's settlingAt, but is closed.
      expect(history.closedSettlingAt > now && history.closedSettlingAt <= now + 3600n).to.equal(true);
      // Another payee's: only the third party's channel.
      const { paymentChannels: theirs } = (await gql(SETTLING_SOON, variables(history.payee2))) as {
        paymentChannels: { id: string; payer: string }[];
      };
      expect(theirs.map((c) => c.id)).to.deep.equal([history.channels.thirds]);
      // Without the upper bound, the channel settling in two hours shows too.
      const { paymentChannels: later } = (await gql(
        `query($me: Bytes!, $now: BigInt!) { paymentChannels(where: { payee: $me, settlingAt_gt: $now }, orderBy: settlingAt) { id } }`,
        { me: history.payee, now: String(now) },
      )) as { paymentChannels: { id: string }[] };
      expect(later.map((c) => c.id)).to.deep.equal([history.channels.settlingSoon, history.channels.settlingLater]);
    });

    it("serves a channel with its lanes, vouchers, deposits and settlements, and deferred payouts by account", async () => {
      const { paymentChannel } = (await gql(
        `query($id: ID!) { paymentChannel(id: $id) {
          id status closeKind toPayee toPayer fundingCount voucherCount laneCount
          lanes(orderBy: lane) { lane redeemed nonce mergedInto { lane } vouchers(orderBy: blockNumber) { amount } }
          vouchers(orderBy: blockNumber) { lane { lane } submitter signer amount toSend settlingAt }
          fundings(orderBy: blockNumber) { funder amount balance openedChannel }
          settlements(orderBy: blockNumber) { kind by settlingAt toPayee toPayer }
        } }`,
        { id: history.channels.erc20 },
      )) as { paymentChannel: Record<string, unknown> };
      expect(paymentChannel).to.include({
        status: "Closed",
        closeKind: "Collected",
        toPayee: "2300",
        toPayer: "13700",
        fundingCount: 3,
        voucherCount: 6,
        laneCount: 3,
      });
      expect(paymentChannel.lanes).to.deep.equal([
        {
          lane: "1",
          redeemed: "1500",
          nonce: "3",
          mergedInto: { lane: "3" },
          vouchers: [{ amount: "1000" }, { amount: "1500" }],
        },
        {
          lane: "2",
          redeemed: "800",
          nonce: "3",
          mergedInto: { lane: "3" },
          vouchers: [{ amount: "500" }, { amount: "800" }],
        },
        {
          lane: "3",
          redeemed: "2000",
          nonce: "2",
          mergedInto: null,
          vouchers: [{ amount: "2500" }, { amount: "2000" }],
        },
      ]);
      const vouchers = paymentChannel.vouchers as { lane: { lane: string }; submitter: string; toSend: string }[];
      expect(vouchers.map((v) => [v.lane.lane, v.toSend])).to.deep.equal([
        ["1", "1000"],
        ["2", "1500"],
        ["1", "2000"],
        ["3", "2500"],
        ["3", "2000"],
        ["2", "2300"],
      ]);
      expect(vouchers[4]).to.include({ submitter: history.payer, signer: history.payee });
      const fundings = paymentChannel.fundings as { openedChannel: boolean; amount: string }[];
      expect(fundings.map((f) => [f.openedChannel, f.amount])).to.deep.equal([
        [true, "10000"],
        [false, "5000"],
        [false, "1000"],
      ]);
      const settlements = paymentChannel.settlements as { kind: string; by: string | null; settlingAt: string }[];
      expect(settlements.map((s) => [s.kind, s.by])).to.deep.equal([
        ["SettleStarted", history.payee],
        ["Collected", null],
      ]);
      expect(BigInt(settlements[1].settlingAt) - BigInt(settlements[0].settlingAt), "a voucher delayed it").to.equal(
        400n,
      );

      const { deferredChannelPayouts } = (await gql(
        `query($me: Bytes!) { deferredChannelPayouts(where: { account: $me }) { token amount totalDeferred totalWithdrawn deferralCount lastWithdrawnTo } }`,
        { me: history.payee2 },
      )) as { deferredChannelPayouts: Record<string, unknown>[] };
      expect(deferredChannelPayouts).to.deep.equal([
        {
          token: history.blacklist,
          amount: "0",
          totalDeferred: "1900",
          totalWithdrawn: "1900",
          deferralCount: 2,
          lastWithdrawnTo: history.receiver,
        },
      ]);
    });
  });

  for (const kind of STORE_KINDS) {
    it(`a backfill of the finished chain (${kind.name}) stores exactly the follower's versions`, async () => {
      const { store: fresh, cleanup: done } = await kind.open();
      try {
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store: fresh,
          follow: false,
          toBlock: (await store.checkpoint())!.blockNumber,
          logger: silent,
          logRange: { initialRange: 3, maxRange: 20 },
        });
        await indexer.start();
        await indexer.done();
        expect(await fresh.digest()).to.equal(await store.digest());
        expect(await fresh.counts()).to.deep.equal(await store.counts());
        await indexer.close();
      } finally {
        await done();
      }
    });
  }
});

describe("indexer: PaymentChannels reorgs", function () {
  this.timeout(300_000);

  it("rolls back orphaned channel activity and equals a fresh index of the final chain", async () => {
    const rpc = await startRpcServer();
    const { store, cleanup } = await pglite.open();
    let follower: Indexer | undefined;
    try {
      const accord = await deployAccord();
      const d = new ChannelDriver(accord);
      const [, payer, payee] = accord.signers;
      const token = lower(await accord.token.getAddress());
      await d.approve(accord.token, [payer]);
      const channelId = await d.open(payer, {
        payee: lower(await payee.getAddress()),
        token,
        amount: 1_000n,
        settleDelay: 3_600n,
        salt: "reorg",
      });
      follower = await createIndexer({
        rpcUrl: rpc.url,
        deployment: accord.deployment,
        store,
        pollIntervalMs: 20,
        logger: silent,
      });
      await follower.start();
      await d.redeem(payer, payee, makeVoucher(channelId, { lane: 1n, nonce: 1n, amount: 100n }));
      await follower.waitForBlock(await headBlock());

      const snap = (await hre.network.provider.send("evm_snapshot", [])) as string;
      await d.redeem(payer, payee, makeVoucher(channelId, { lane: 2n, nonce: 1n, amount: 300n }));
      await d.settle(payee, channelId);
      await follower.waitForBlock(await headBlock());
      expect((await store.get("PaymentChannel", channelId))!).to.include({ toSend: 400n, laneCount: 2 });
      expect((await store.get("PaymentChannel", channelId))!.settlingAt).to.be.a("bigint");

      expect(await hre.network.provider.send("evm_revert", [snap])).to.equal(true);
      await d.fund(payer, channelId, token, 500n);
      await d.redeem(payer, payee, makeVoucher(channelId, { lane: 1n, nonce: 2n, amount: 250n }));
      for (let i = 0; i < 4; i++) await hre.network.provider.send("evm_mine", []);
      await follower.waitForBlock(await headBlock());
      await new Promise((resolve) => setTimeout(resolve, 100));
      await follower.waitForBlock(await headBlock());

      expect((await store.get("PaymentChannel", channelId))!).to.include({
        balance: 1_500n,
        toSend: 250n,
        spendable: 1_250n,
        settlingAt: null,
        laneCount: 1,
        voucherCount: 2,
        fundingCount: 2,
      });
      expect(await store.get("PaymentLane", laneKey(channelId, 2n))).to.equal(null);
      expect(await store.find({ entity: "ChannelSettlement" })).to.deep.equal([]);
      await follower.stop();

      const { store: fresh, cleanup: done } = await pglite.open();
      try {
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          deployment: accord.deployment,
          store: fresh,
          follow: false,
          logger: silent,
        });
        await indexer.start();
        await indexer.done();
        expect(await store.digest()).to.equal(await fresh.digest());
        await indexer.close();
      } finally {
        await done();
      }
    } finally {
      await follower?.close();
      await cleanup();
      await rpc.close();
    }
  });
});
