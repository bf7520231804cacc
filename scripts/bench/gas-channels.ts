// Gas of every PaymentChannels path, for `npm run bench:gas` (scripts/bench/gas.ts writes it under
// `paymentChannels`). Each scenario starts from one snapshot: the contract deployed, the payer holding tokens and
// having approved the channels (approvals excluded), the channels holding nothing (cold balance slots, the most
// expensive case for a first deposit). Setup transactions a scenario needs (an open before a fund, the vouchers
// before a merge) are not counted. Vouchers are submitted by the payee and signed by the payer, with no time lock,
// secret or extra call; the merges merge lanes that exist (each costs one more lane read and write).
import hre from "hardhat";
import type { ContractTransactionResponse, Signer } from "ethers";
import { AccordToken__factory, PaymentChannels__factory, type PaymentChannels } from "../../typechain-types";
import { paymentChannelsDomain, signClose, signVoucher, type Voucher } from "../../src/channels/voucher";

const { ethers, network } = hre;

export interface GasStep {
  name: string;
  gas: number;
}

const TOKEN = 10n ** 18n;
const DEPOSIT = 1_000n * TOKEN;
const SETTLE_DELAY = 3_600;

export async function benchPaymentChannels(
  token: string,
  deployer: Signer,
  signers: { payer: Signer; payee: Signer; stranger: Signer },
): Promise<{
  deployGas: number;
  bytecodeSize: number;
  summary: Record<string, number>;
  scenarios: Record<string, { total: number; transactions: GasStep[] }>;
}> {
  const factory = new PaymentChannels__factory(deployer);
  const contract = await factory.deploy();
  const deployGas = Number((await contract.deploymentTransaction()!.wait())!.gasUsed);
  const address = await contract.getAddress();
  const artifact = await hre.artifacts.readArtifact("PaymentChannels");
  const bytecodeSize = (artifact.deployedBytecode.length - 2) / 2;
  const channels = contract as PaymentChannels;
  const tokenContract = AccordToken__factory.connect(token, deployer);
  const { payer, payee, stranger } = signers;
  const payerAddress = await payer.getAddress();
  const payeeAddress = await payee.getAddress();
  await (await tokenContract.transfer(payerAddress, 1_000_000n * TOKEN)).wait();
  await (await tokenContract.connect(payer).approve(address, ethers.MaxUint256)).wait();
  const domain = paymentChannelsDomain((await ethers.provider.getNetwork()).chainId, address);

  const run = async (steps: GasStep[], name: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = await (await tx).wait();
    steps.push({ name, gas: Number(receipt!.gasUsed) });
  };
  let saltCounter = 0;
  const open = async (steps: GasStep[], name: string, native = false, tokenAddress = token) => {
    const salt = ethers.id(`bench-${++saltCounter}`);
    const args = [payeeAddress, native ? ethers.ZeroAddress : tokenAddress, salt, DEPOSIT, SETTLE_DELAY] as const;
    await run(steps, name, channels.connect(payer).open(...args, { value: native ? DEPOSIT : 0n }));
    return channels.channelIdOf(payerAddress, salt);
  };
  const voucher = (channelId: string, fields: Partial<Voucher>): Voucher => ({
    channelId,
    timeLockMin: 0n,
    timeLockMax: 0n,
    secretHash: ethers.ZeroHash,
    extraTarget: ethers.ZeroAddress,
    extraData: "0x",
    lane: 0n,
    nonce: 1n,
    amount: TOKEN,
    minSettleHeight: 0n,
    merges: [],
    ...fields,
  });
  const redeem = async (steps: GasStep[], name: string, v: Voucher) => {
    const { signature } = await signVoucher(payer, v, domain);
    await run(steps, name, channels.connect(payee).updateChannelState(v.channelId, v, signature, "0x"));
  };
  /** `count` lanes 1..count redeemed (1 token each), then lane 0 (1 token): toSend count + 1 tokens. */
  const withLanes = async (count: number) => {
    const channelId = await open([], "");
    for (let lane = 0; lane <= count; lane++) await redeem([], "", voucher(channelId, { lane: BigInt(lane) }));
    return channelId;
  };
  const advance = async (seconds: number) => {
    await network.provider.send("evm_increaseTime", [seconds]);
    await network.provider.send("evm_mine", []);
  };

  const scenarios: Record<string, (steps: GasStep[]) => Promise<void>> = {
    openErc20: async (steps) => {
      await open(steps, "open (ERC20)");
    },
    openNative: async (steps) => {
      await open(steps, "open (native)", true);
    },
    fund: async (steps) => {
      const channelId = await open([], "");
      await run(steps, "fund (ERC20)", channels.connect(payer).fund(channelId, DEPOSIT));
    },
    voucherNewLane: async (steps) => {
      const channelId = await open([], "");
      await redeem(steps, "updateChannelState (new lane)", voucher(channelId, {}));
    },
    voucherExistingLane: async (steps) => {
      const channelId = await withLanes(0);
      await redeem(steps, "updateChannelState (existing lane)", voucher(channelId, { nonce: 2n, amount: 2n * TOKEN }));
    },
    voucherOneMerge: async (steps) => {
      const channelId = await withLanes(1);
      const merges = [{ lane: 1n, nonce: 2n }];
      await redeem(
        steps,
        "updateChannelState (existing lane, 1 merge)",
        voucher(channelId, { nonce: 2n, amount: 3n * TOKEN, merges }),
      );
    },
    voucherEightMerges: async (steps) => {
      const channelId = await withLanes(8);
      const merges = Array.from({ length: 8 }, (_, k) => ({ lane: BigInt(k + 1), nonce: 2n }));
      await redeem(
        steps,
        "updateChannelState (existing lane, 8 merges)",
        voucher(channelId, { nonce: 2n, amount: 10n * TOKEN, merges }),
      );
    },
    settle: async (steps) => {
      const channelId = await withLanes(0);
      await run(steps, "settle", channels.connect(payee).settle(channelId));
    },
    collect: async (steps) => {
      const channelId = await withLanes(0);
      await run([], "", channels.connect(payee).settle(channelId));
      await advance(SETTLE_DELAY);
      await run(steps, "collect (both paid)", channels.connect(payee).collect(channelId));
    },
    closeCooperatively: async (steps) => {
      const channelId = await withLanes(0);
      const close = { channelId, toSend: TOKEN, deadline: 10n ** 12n };
      const sigs = [await signClose(payer, close, domain), await signClose(payee, close, domain)] as const;
      await run(steps, "closeCooperatively (both paid)", channels.connect(stranger).closeCooperatively(close, ...sigs));
    },
    withdraw: async (steps) => {
      // A payee blacklisted when the channel is collected: its payout is deferred; it withdraws once cleared.
      const blacklist = await ethers.deployContract("BlacklistERC20Mock", [], deployer);
      const blacklistAddress = await blacklist.getAddress();
      await (await blacklist.mint(payerAddress, DEPOSIT)).wait();
      await (await blacklist.connect(payer).approve(address, ethers.MaxUint256)).wait();
      const channelId = await open([], "", false, blacklistAddress);
      await redeem([], "", voucher(channelId, {}));
      await (await blacklist.setBlacklisted(payeeAddress, true)).wait();
      await run([], "", channels.connect(payee).settle(channelId));
      await advance(SETTLE_DELAY);
      await run(steps, "collect (payee's payout deferred)", channels.connect(payer).collect(channelId));
      await (await blacklist.setBlacklisted(payeeAddress, false)).wait();
      await run(steps, "withdraw (ERC20)", channels.connect(payee).withdraw(blacklistAddress, payeeAddress));
    },
    lifecycle: async (steps) => {
      const channelId = await open(steps, "open (ERC20)");
      await redeem(steps, "updateChannelState (new lane)", voucher(channelId, {}));
      await redeem(steps, "updateChannelState (existing lane)", voucher(channelId, { nonce: 2n, amount: 2n * TOKEN }));
      await run(steps, "settle", channels.connect(payer).settle(channelId));
      await advance(SETTLE_DELAY);
      await run(steps, "collect (both paid)", channels.connect(payee).collect(channelId));
    },
  };

  const results: Record<string, { total: number; transactions: GasStep[] }> = {};
  let snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  for (const [name, scenario] of Object.entries(scenarios)) {
    await network.provider.send("evm_revert", [snapshot]);
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    const steps: GasStep[] = [];
    await scenario(steps);
    results[name] = { total: steps.reduce((sum, s) => sum + s.gas, 0), transactions: steps };
  }
  await network.provider.send("evm_revert", [snapshot]);

  const first = (name: string) => results[name].transactions[0].gas;
  const summary: Record<string, number> = {
    deploy: deployGas,
    "open (ERC20)": first("openErc20"),
    "open (native)": first("openNative"),
    fund: first("fund"),
    "updateChannelState (new lane)": first("voucherNewLane"),
    "updateChannelState (existing lane)": first("voucherExistingLane"),
    "updateChannelState (1 merge)": first("voucherOneMerge"),
    "updateChannelState (8 merges)": first("voucherEightMerges"),
    settle: first("settle"),
    collect: first("collect"),
    closeCooperatively: first("closeCooperatively"),
    withdraw: results.withdraw.transactions[1].gas,
  };
  return { deployGas, bytecodeSize, summary, scenarios: results };
}
