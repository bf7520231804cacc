// The channel services on Hardhat's in-process network: the payer's PayerChannelManager (one channel per payee,
// lanes, cumulative vouchers checked before signing, shortfalls, restarts), the payee's VoucherStore (every refusal
// with the rule it breaks, the best voucher per lane, restarts) and the ChannelSettler (a SettleStarted makes it redeem
// every lane's best voucher, then collect), with the tokens that move checked to the wei.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  ChannelSettler,
  ChannelUnavailableError,
  InsufficientChannelFundsError,
  NATIVE_TOKEN,
  PayerChannelManager,
  VoucherRejectedError,
  VoucherStore,
  type SignedVoucher,
} from "../../src/channels";
import { PaymentChannelsClient } from "../../src/clients";
import { deployAccord, type AccordDeploymentResult } from "../../src/deployments";
import { AccordValidationError } from "../../src/model";
import { expectContractError, expectError } from "../clients/helpers";

const FUNDS = 10n ** 24n;

type Fixture = AccordDeploymentResult & {
  payer: HardhatEthersSigner;
  payee: HardhatEthersSigner;
  otherPayee: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  payerClient: PaymentChannelsClient;
  payeeClient: PaymentChannelsClient;
  strangerClient: PaymentChannelsClient;
};

async function servicesFixture(): Promise<Fixture> {
  const deployed = await deployAccord(hre);
  const [, payer, payee, otherPayee, stranger] = await hre.ethers.getSigners();
  for (const account of [payer, stranger]) await (await deployed.token.transfer(account.address, FUNDS)).wait();
  const client = (signer: HardhatEthersSigner) => PaymentChannelsClient.fromDeployment(signer, deployed.deployment);
  return {
    ...deployed,
    payer,
    payee,
    otherPayee,
    stranger,
    payerClient: await client(payer),
    payeeClient: await client(payee),
    strangerClient: await client(stranger),
  };
}

describe("channel services", function () {
  let f: Fixture;
  let dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-channels-"));
    dirs.push(dir);
    return dir;
  };
  const closers: (() => void)[] = [];
  const manager = async (dir = tempDir(), token?: string) => {
    const m = await PayerChannelManager.open({ channels: f.payerClient, dir, token });
    closers.push(() => m.close());
    return m;
  };
  const store = async (dir = tempDir(), client = f.payeeClient) => {
    const s = await VoucherStore.open({ channels: client, dir });
    closers.push(() => s.close());
    return s;
  };

  beforeEach(async function () {
    f = await loadFixture(servicesFixture);
  });

  afterEach(function () {
    for (const close of closers.splice(0)) close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    dirs = [];
  });

  describe("PayerChannelManager", function () {
    it("opens one channel per payee and tops it up only by what the signed vouchers leave short", async function () {
      const m = await manager();
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      expect((await f.payerClient.getChannel(channelId)).balance).to.equal(1000n);
      expect(await m.ensureFunds(f.payee.address, 600n)).to.equal(channelId);
      expect((await f.payerClient.getChannel(channelId)).balance).to.equal(1000n);
      const lane = await m.allocateLane(channelId);
      await m.createVoucher(channelId, lane, 700n);
      expect(await m.spendable(channelId)).to.equal(300n);
      // 600 more are needed, 300 are free: the top-up is the 300 missing.
      expect(await m.ensureFunds(f.payee.address, 600n)).to.equal(channelId);
      const view = await f.payerClient.getChannel(channelId);
      expect(view.balance).to.equal(1300n);
      expect(view.payee).to.equal(f.payee.address);
      expect(view.token).to.equal(await f.token.getAddress());
      const other = await m.ensureFunds(f.otherPayee.address, 10n);
      expect(other).to.not.equal(channelId);
      expect(m.activeChannel(f.otherPayee.address)).to.equal(other);
    });

    it("opens native-coin channels", async function () {
      const m = await manager(undefined, NATIVE_TOKEN);
      const before = await hre.ethers.provider.getBalance(await f.channels.getAddress());
      const channelId = await m.ensureFunds(f.payee.address, 5n * 10n ** 15n);
      expect((await f.payerClient.getChannel(channelId)).token).to.equal(NATIVE_TOKEN);
      expect(await hre.ethers.provider.getBalance(await f.channels.getAddress())).to.equal(before + 5n * 10n ** 15n);
    });

    it("signs cumulative vouchers with rising nonces, repeats the last for the same amount, refuses a lower one", async function () {
      const m = await manager();
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      const lane = await m.allocateLane(channelId);
      expect(lane).to.equal(0n);
      expect(await m.allocateLane(channelId)).to.equal(1n);
      const first = await m.createVoucher(channelId, lane, 100n);
      const second = await m.createVoucher(channelId, lane, 250n);
      expect([first.voucher.nonce, second.voucher.nonce]).to.deep.equal([1n, 2n]);
      expect(second.voucher.amount).to.equal(250n);
      expect(await m.createVoucher(channelId, lane, 250n)).to.deep.equal(second);
      const lowered = await expectError(m.createVoucher(channelId, lane, 200n), AccordValidationError);
      expect(lowered.field).to.equal("amount");
      const unallocated = await expectError(m.createVoucher(channelId, 5n, 1n), AccordValidationError);
      expect(unallocated.field).to.equal("lane");
      // The payee can redeem what the manager signed.
      await f.payeeClient.updateChannelState(second);
      expect((await f.payerClient.getChannel(channelId)).toSend).to.equal(250n);
    });

    it("reports the exact shortfall, and signs once funds are added", async function () {
      const m = await manager();
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      const a = await m.allocateLane(channelId);
      const b = await m.allocateLane(channelId);
      await m.createVoucher(channelId, a, 800n);
      const short = await expectError(m.createVoucher(channelId, b, 450n), InsufficientChannelFundsError);
      expect(short.shortfall).to.equal(250n);
      expect(short.channelId).to.equal(channelId);
      await m.addFunds(channelId, short.shortfall);
      expect((await m.createVoucher(channelId, b, 450n)).voucher.amount).to.equal(450n);
      expect(await m.spendable(channelId)).to.equal(0n);
    });

    it("survives a restart: channels, lanes and the latest vouchers come back", async function () {
      const dir = tempDir();
      const m = await manager(dir);
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      const lane = await m.allocateLane(channelId);
      const signed = await m.createVoucher(channelId, lane, 40n);
      m.close();
      const again = await manager(dir);
      expect(again.activeChannel(f.payee.address)).to.equal(channelId);
      expect(again.latestVoucher(channelId, lane)).to.deep.equal(signed);
      expect(await again.allocateLane(channelId)).to.equal(lane + 1n);
      expect((await again.createVoucher(channelId, lane, 41n)).voucher.nonce).to.equal(2n);
    });

    it("forgets an open that never landed and keeps one that did", async function () {
      const dir = tempDir();
      const m = await manager(dir);
      const landed = await m.ensureFunds(f.payee.address, 10n);
      m.close();
      // Two records caught mid-open by a kill: one open landed (rewind its state), one never did.
      const files = fs.readdirSync(dir).filter((name) => name.endsWith(".json"));
      const record = JSON.parse(fs.readFileSync(path.join(dir, files[0]), "utf8")) as {
        key: string;
        value: Record<string, unknown>;
      };
      fs.writeFileSync(
        path.join(dir, files[0]),
        JSON.stringify({ ...record, value: { ...record.value, state: "opening" } }),
      );
      const ghost = `0x${"ab".repeat(32)}`;
      fs.writeFileSync(
        path.join(dir, `${ghost}.json`),
        JSON.stringify({ key: ghost, value: { ...record.value, channelId: ghost, state: "opening" } }),
      );
      const again = await manager(dir);
      expect(again.activeChannel(f.payee.address)).to.equal(landed);
      await expectError(again.allocateLane(ghost), ChannelUnavailableError);
    });

    it("opens a new channel once the active one settles, and refuses vouchers on a settled one", async function () {
      const m = await manager();
      const channelId = await m.ensureFunds(f.payee.address, 100n);
      const lane = await m.allocateLane(channelId);
      await f.payerClient.settle(channelId);
      const next = await m.ensureFunds(f.payee.address, 100n);
      expect(next).to.not.equal(channelId);
      await time.increase(12 * 3600);
      await expectError(m.createVoucher(channelId, lane, 1n), ChannelUnavailableError);
    });
  });

  describe("VoucherStore", function () {
    async function paying(amount = 1000n) {
      const m = await manager();
      const channelId = await m.ensureFunds(f.payee.address, amount);
      return { m, channelId, lane: await m.allocateLane(channelId) };
    }

    async function rejected(action: Promise<unknown>, rule: string): Promise<void> {
      const error = await expectError(action, VoucherRejectedError);
      expect(error.rule, error.message).to.equal(rule);
    }

    it("accepts better vouchers per lane with their delta, and a repeat with delta 0", async function () {
      const { m, channelId, lane } = await paying();
      const s = await store();
      const first = await s.receive(await m.createVoucher(channelId, lane, 100n));
      expect(first).to.deep.include({ channelId, lane, amount: 100n, delta: 100n, payer: f.payer.address });
      const again = await m.createVoucher(channelId, lane, 100n);
      expect((await s.receive(again)).delta).to.equal(0n);
      expect((await s.receive(await m.createVoucher(channelId, lane, 160n))).delta).to.equal(60n);
      expect(s.laneAmount(channelId, lane)).to.equal(160n);
      expect(s.openChannels()).to.deep.equal([
        { channelId, payer: f.payer.address, token: await f.token.getAddress(), total: 160n },
      ]);
    });

    it("refuses a lower amount, an old nonce, a wrong signer, another payee's channel and more than the balance", async function () {
      const { m, channelId, lane } = await paying(1000n);
      const s = await store();
      const best = await m.createVoucher(channelId, lane, 300n);
      await s.receive(best);
      const older: SignedVoucher = await f.payerClient.signVoucher({ ...best.voucher, amount: 200n, nonce: 5n });
      await rejected(s.receive(older), "AmountDecreased");
      const sameNonce = await f.payerClient.signVoucher({ ...best.voucher, amount: 400n });
      await rejected(s.receive(sameNonce), "VoucherNonceTooLow");
      const forged = await f.strangerClient.signVoucher({ ...best.voucher, amount: 500n, nonce: 9n });
      await rejected(s.receive(forged), "InvalidVoucherSignature");
      const byPayee = await f.payeeClient.signVoucher({ ...best.voucher, amount: 500n, nonce: 9n });
      await rejected(s.receive(byPayee), "InvalidVoucherSignature");
      const tooMuch = await f.payerClient.signVoucher({ ...best.voucher, amount: 1001n, nonce: 9n });
      await rejected(s.receive(tooMuch), "InsufficientChannelFunds");
      const otherStore = await store(undefined, await PaymentChannelsClient.fromDeployment(f.otherPayee, f.deployment));
      await rejected(otherStore.receive(best), "NotPayee");
      const unknown = await f.payerClient.signVoucher({ ...best.voucher, channelId: `0x${"12".repeat(32)}` });
      await rejected(s.receive(unknown), "ChannelNotFound");
      expect(s.laneAmount(channelId, lane)).to.equal(300n);
    });

    it("rereads the channel when a voucher needs funds added since", async function () {
      const { m, channelId, lane } = await paying(100n);
      const s = await store();
      await s.receive(await m.createVoucher(channelId, lane, 100n));
      await m.addFunds(channelId, 50n);
      expect((await s.receive(await m.createVoucher(channelId, lane, 150n))).delta).to.equal(50n);
    });

    it("refuses vouchers once the channel settles within the margin", async function () {
      const m = await PayerChannelManager.open({ channels: f.payerClient, dir: tempDir(), settleDelay: 3600n });
      closers.push(() => m.close());
      const channelId = await m.ensureFunds(f.payee.address, 100n);
      const lane = await m.allocateLane(channelId);
      const s = await store();
      const signed = await m.createVoucher(channelId, lane, 10n);
      await f.payerClient.settle(channelId);
      await time.increase(3600 - 300);
      await rejected(s.receive(signed), "SettlingSoon");
    });

    it("keeps its vouchers across a restart", async function () {
      const { m, channelId, lane } = await paying();
      const dir = tempDir();
      const s = await store(dir);
      const signed = await m.createVoucher(channelId, lane, 70n);
      await s.receive(signed);
      s.close();
      const again = await store(dir);
      expect(again.laneAmount(channelId, lane)).to.equal(70n);
      expect(again.bestVouchers(channelId)).to.deep.equal([{ lane, signed, secret: undefined }]);
    });
  });

  describe("cooperative close", function () {
    it("pays the payee what its vouchers owe and the payer the rest at once, and refuses a close asking more", async function () {
      const m = await manager();
      const s = await store();
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      const lanes = [await m.allocateLane(channelId), await m.allocateLane(channelId)];
      await s.receive(await m.createVoucher(channelId, lanes[0], 300n));
      await s.receive(await m.createVoucher(channelId, lanes[1], 45n));
      const greedy = await f.payeeClient.signClose({ channelId, toSend: 346n, deadline: 2n ** 40n });
      const refused = await expectError(
        m.closeCooperatively({ channelId, toSend: 346n, deadline: 2n ** 40n }, greedy),
        AccordValidationError,
      );
      expect(refused.field).to.equal("close.toSend");
      const { close, signature } = await s.signClose(channelId);
      expect(close.toSend).to.equal(345n);
      const payee = await f.token.balanceOf(f.payee.address);
      const payer = await f.token.balanceOf(f.payer.address);
      await m.closeCooperatively(close, signature);
      expect(await f.token.balanceOf(f.payee.address)).to.equal(payee + 345n);
      expect(await f.token.balanceOf(f.payer.address)).to.equal(payer + 655n);
      expect((await f.payerClient.getChannel(channelId)).statusName).to.equal("Closed");
      expect(m.activeChannel(f.payee.address)).to.equal(undefined);
    });
  });

  describe("ChannelSettler", function () {
    it("redeems every lane's best voucher when the payer settles, then collects: the payee gets exactly what it holds", async function () {
      const m = await manager();
      const s = await store();
      const channelId = await m.ensureFunds(f.payee.address, 1000n);
      const lanes = [await m.allocateLane(channelId), await m.allocateLane(channelId)];
      await s.receive(await m.createVoucher(channelId, lanes[0], 120n));
      await s.receive(await m.createVoucher(channelId, lanes[0], 200n));
      await s.receive(await m.createVoucher(channelId, lanes[1], 55n));
      const settler = new ChannelSettler({ store: s });
      expect(await settler.pass()).to.deep.equal({ redeemed: 0, collected: 0 });
      const payeeBefore = await f.token.balanceOf(f.payee.address);
      const payerBefore = await f.token.balanceOf(f.payer.address);
      await f.payerClient.settle(channelId);
      expect(await settler.pass()).to.deep.equal({ redeemed: 2, collected: 0 });
      expect((await f.payerClient.getChannel(channelId)).toSend).to.equal(255n);
      expect(await settler.pass()).to.deep.equal({ redeemed: 0, collected: 0 });
      await time.increase(12 * 3600);
      // A new settler (a restart) finds the settling channel from the chain and collects it.
      const restarted = new ChannelSettler({ store: s });
      expect(await restarted.pass()).to.deep.equal({ redeemed: 0, collected: 1 });
      expect(await f.token.balanceOf(f.payee.address)).to.equal(payeeBefore + 255n);
      expect(await f.token.balanceOf(f.payer.address)).to.equal(payerBefore + 745n);
      expect(s.openChannels()).to.deep.equal([]);
      await expectContractError(f.payeeClient.collect(channelId), "PaymentChannels_ChannelClosed");
    });

    it("settles a channel itself once it is owed the threshold, then redeems and collects", async function () {
      const m = await manager();
      const s = await store();
      const channelId = await m.ensureFunds(f.payee.address, 500n);
      const lane = await m.allocateLane(channelId);
      await s.receive(await m.createVoucher(channelId, lane, 99n));
      const settler = new ChannelSettler({ store: s, settleWhenOwed: 100n });
      expect(await settler.pass()).to.deep.equal({ redeemed: 0, collected: 0 });
      expect((await f.payerClient.getChannel(channelId)).settlingAt).to.equal(0n);
      await s.receive(await m.createVoucher(channelId, lane, 100n));
      expect(await settler.pass()).to.deep.equal({ redeemed: 1, collected: 0, settled: 1 });
      const view = await f.payerClient.getChannel(channelId);
      expect(view.settlingAt).to.equal((await f.payerClient.latestTimestamp()) - 1n + 12n * 3600n);
      expect(view.toSend).to.equal(100n);
      // The payer's next payment goes to a new channel.
      expect(await m.ensureFunds(f.payee.address, 10n)).to.not.equal(channelId);
      await time.increase(12 * 3600);
      expect(await settler.pass()).to.deep.equal({ redeemed: 0, collected: 1 });
    });

    it("runs on its own timer and marks a channel the payer collected as finished", async function () {
      const m = await manager();
      const s = await store();
      const channelId = await m.ensureFunds(f.payee.address, 100n);
      const lane = await m.allocateLane(channelId);
      await s.receive(await m.createVoucher(channelId, lane, 30n));
      const settler = new ChannelSettler({ store: s, pollMs: 20 });
      settler.start();
      try {
        await f.payerClient.settle(channelId);
        const deadline = Date.now() + 10_000;
        while ((await f.payerClient.getChannel(channelId)).toSend !== 30n) {
          if (Date.now() > deadline) expect.fail("the settler did not redeem in time");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await time.increase(12 * 3600);
        const payerBefore = await f.token.balanceOf(f.payer.address);
        await f.payerClient.collect(channelId).catch(() => undefined);
        while (s.openChannels().length > 0) {
          if (Date.now() > deadline) expect.fail("the settler did not finish in time");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // Whoever collected, the payer got the rest and the payee its 30.
        expect(await f.token.balanceOf(f.payer.address)).to.equal(payerBefore + 70n);
      } finally {
        await settler.stop();
      }
    });
  });
});
