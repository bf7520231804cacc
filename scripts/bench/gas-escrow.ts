// Gas of provider onboarding and the job escrow, for `npm run bench:gas` (scripts/bench/gas.ts writes it under
// `escrow`). Each scenario starts from one snapshot: MachineRegistry and JobEscrow deployed on the market's token
// (AccordToken), the provider's machine registered, the requester holding tokens and having approved the escrow
// (approvals excluded), the escrow holding nothing (its balance slot cold and zero, the most expensive first
// deposit). Setup transactions a scenario needs (an open before an accept) are not counted. Attestations are
// EIP-712 ECDSA signatures of EOAs; the 3-of-5 attestation passes the whole five-key set in calldata and three
// signatures. The reference's escrow publishes no gas figures to compare with. `deferred` runs on a second escrow
// on BlacklistERC20Mock (the requester blacklisted at payout, so its refund is deferred, then withdrawn).
import hre from "hardhat";
import { Wallet, ZeroAddress, type ContractTransactionResponse, type Signer } from "ethers";
import {
  AccordToken__factory,
  BlacklistERC20Mock__factory,
  JobEscrow__factory,
  MachineRegistry__factory,
  OperatorRegistry__factory,
  QuorumJobOracle__factory,
  TaskManager__factory,
  type JobEscrow,
} from "../../typechain-types";

const { ethers, network } = hre;

export interface EscrowGasStep {
  name: string;
  gas: number;
}

export interface EscrowBench {
  deployGas: Record<string, number>;
  bytecodeSize: Record<string, number>;
  summary: Record<string, number>;
  scenarios: Record<string, { total: number; transactions: EscrowGasStep[] }>;
}

const TOKEN = 10n ** 18n;
const MAX_PRICE = 10n * TOKEN;
const TIME_LIMIT = 3_600n;
const ACCEPTANCE_TIMEOUT = 3_600n;
const ATTESTATION_WINDOW = 86_400n;
const ATTESTATION_TYPES = {
  Attestation: [
    { name: "jobId", type: "bytes32" },
    { name: "bps", type: "uint16" },
    { name: "runSeconds", type: "uint64" },
  ],
};

const spec = (overrides: Record<string, unknown> = {}) => ({
  profile: ethers.id("bench profile"),
  cpuCores: 16n,
  cpuMhz: 16n * 3_000n,
  memoryMb: 65_536n,
  diskGb: 1_024n,
  gpuCount: 2n,
  maxGpuVramMb: 24_576n,
  onboardedCpuMhz: 24_000n,
  onboardedMemoryMb: 32_768n,
  pricePerMinute: TOKEN / 100n,
  available: true,
  ...overrides,
});

export async function benchEscrow(
  token: string,
  deployer: Signer,
  signers: { provider: Signer; requester: Signer; stranger: Signer },
): Promise<EscrowBench> {
  const { provider, requester, stranger } = signers;
  const requesterAddress = await requester.getAddress();
  const deployGas: Record<string, number> = {};
  const bytecodeSize: Record<string, number> = {};
  const gasOf = async (tx: ContractTransactionResponse | null) => Number((await tx!.wait())!.gasUsed);

  const registry = await new MachineRegistry__factory(deployer).deploy();
  deployGas.MachineRegistry = await gasOf(registry.deploymentTransaction());
  const registryAddress = await registry.getAddress();
  const escrow = await new JobEscrow__factory(deployer).deploy(
    token,
    registryAddress,
    ACCEPTANCE_TIMEOUT,
    ATTESTATION_WINDOW,
  );
  deployGas.JobEscrow = await gasOf(escrow.deploymentTransaction());
  const escrowAddress = await escrow.getAddress();
  // The adapter needs a task manager: a fresh OperatorRegistry and TaskManager (not counted here).
  const operators = await new OperatorRegistry__factory(deployer).deploy(token, 10n ** 20n, 7n * 86_400n);
  const tasks = await new TaskManager__factory(deployer).deploy(await operators.getAddress(), 12n, 3_600n);
  const adapter = await new QuorumJobOracle__factory(deployer).deploy(
    escrowAddress,
    await tasks.getAddress(),
    0,
    67,
    600n,
  );
  deployGas.QuorumJobOracle = await gasOf(adapter.deploymentTransaction());
  for (const name of ["MachineRegistry", "JobEscrow", "QuorumJobOracle"]) {
    const artifact = await hre.artifacts.readArtifact(name);
    bytecodeSize[name] = (artifact.deployedBytecode.length - 2) / 2;
  }

  const tokenContract = AccordToken__factory.connect(token, deployer);
  await (await tokenContract.transfer(requesterAddress, 1_000_000n * TOKEN)).wait();
  await (await tokenContract.connect(requester).approve(escrowAddress, ethers.MaxUint256)).wait();
  await (await registry.connect(provider).register(ethers.id("bench machine"), spec())).wait();
  const machineId = await registry.machineId(await provider.getAddress(), ethers.id("bench machine"));

  const oracles = Array.from({ length: 5 }, (_, i) => new Wallet(ethers.id(`bench oracle ${i}`))).sort((a, b) =>
    BigInt(a.address) < BigInt(b.address) ? -1 : 1,
  );
  const keySet = (wallets: Wallet[], threshold: number) => ({
    signers: wallets.map((w) => w.address),
    threshold,
    oracleContract: ZeroAddress,
  });
  const oneOfOne = keySet(oracles.slice(0, 1), 1);
  const threeOfFive = keySet(oracles, 3);
  const strangerAddress = await stranger.getAddress();
  const byContract = { signers: [], threshold: 0, oracleContract: strangerAddress };
  const { chainId } = await ethers.provider.getNetwork();

  const run = async (steps: EscrowGasStep[], name: string, tx: Promise<ContractTransactionResponse>) => {
    steps.push({ name, gas: await gasOf(await tx) });
  };
  let saltCounter = 0;
  type Set = typeof oneOfOne | typeof byContract;
  const open = async (steps: EscrowGasStep[], name: string, set: Set, on: JobEscrow = escrow) => {
    const salt = ethers.id(`bench job ${++saltCounter}`);
    await run(steps, name, on.connect(requester).open(salt, machineId, TIME_LIMIT, MAX_PRICE, set));
    return on.jobId(requesterAddress, salt);
  };
  const completed = async (steps: EscrowGasStep[], set: Set, on: JobEscrow = escrow, count = true) => {
    const jobId = await open(count ? steps : [], "open", set, on);
    await run(count ? steps : [], "accept", on.connect(provider).accept(jobId));
    await run(count ? steps : [], "reportCompletion", on.connect(provider).reportCompletion(jobId, 1_800n));
    return jobId;
  };
  const sign = async (on: JobEscrow, wallets: Wallet[], set: { signers: string[] }, jobId: string, bps: number) => {
    const domain = { name: "Accord JobEscrow", version: "1", chainId, verifyingContract: await on.getAddress() };
    const attestation = { jobId, bps, runSeconds: 1_800n };
    const signatures = [];
    for (const wallet of wallets) {
      signatures.push({
        index: set.signers.indexOf(wallet.address),
        signature: await wallet.signTypedData(domain, ATTESTATION_TYPES, attestation),
      });
    }
    return { attestation, signatures };
  };
  const advance = async (seconds: bigint) => {
    await network.provider.send("evm_increaseTime", [Number(seconds)]);
    await network.provider.send("evm_mine", []);
  };

  const scenarios: Record<string, (steps: EscrowGasStep[]) => Promise<void>> = {
    machine: async (steps) => {
      await run(steps, "register", registry.connect(provider).register(ethers.id("m2"), spec()));
      const id = await registry.machineId(await provider.getAddress(), ethers.id("m2"));
      await run(steps, "update", registry.connect(provider).update(id, spec({ pricePerMinute: TOKEN / 50n })));
      await run(steps, "setAvailability", registry.connect(provider).setAvailability(id, false));
      await run(steps, "remove", registry.connect(provider).remove(id));
    },
    attest1of1: async (steps) => {
      const jobId = await completed(steps, oneOfOne);
      const { attestation, signatures } = await sign(escrow, oracles.slice(0, 1), oneOfOne, jobId, 7_500);
      await run(
        steps,
        "attest (1-of-1, both paid)",
        escrow.connect(stranger).attest(attestation, oneOfOne, signatures),
      );
    },
    attest3of5: async (steps) => {
      const jobId = await completed(steps, threeOfFive);
      const { attestation, signatures } = await sign(escrow, oracles.slice(1, 4), threeOfFive, jobId, 7_500);
      await run(
        steps,
        "attest (3-of-5, both paid)",
        escrow.connect(stranger).attest(attestation, threeOfFive, signatures),
      );
    },
    attestFullPayout: async (steps) => {
      const jobId = await completed([], oneOfOne, escrow, false);
      const { attestation, signatures } = await sign(escrow, oracles.slice(0, 1), oneOfOne, jobId, 10_000);
      await run(
        steps,
        "attest (1-of-1, bps 10000)",
        escrow.connect(stranger).attest(attestation, oneOfOne, signatures),
      );
    },
    attestByOracle: async (steps) => {
      const jobId = await completed(steps, byContract);
      await run(steps, "attestByOracle (both paid)", escrow.connect(stranger).attestByOracle(jobId, 5_000, 1_800n));
    },
    refundUnaccepted: async (steps) => {
      const jobId = await open(steps, "open", oneOfOne);
      await advance(ACCEPTANCE_TIMEOUT + 1n);
      await run(steps, "refundUnaccepted", escrow.connect(stranger).refundUnaccepted(jobId));
    },
    refundUnattested: async (steps) => {
      const jobId = await completed(steps, oneOfOne);
      await advance(ATTESTATION_WINDOW + 1n);
      await run(steps, "refundUnattested", escrow.connect(stranger).refundUnattested(jobId));
    },
    deferred: async (steps) => {
      const blacklist = await new BlacklistERC20Mock__factory(deployer).deploy();
      const other = await new JobEscrow__factory(deployer).deploy(
        await blacklist.getAddress(),
        registryAddress,
        ACCEPTANCE_TIMEOUT,
        ATTESTATION_WINDOW,
      );
      await (await blacklist.mint(requesterAddress, 1_000n * TOKEN)).wait();
      await (await blacklist.connect(requester).approve(await other.getAddress(), ethers.MaxUint256)).wait();
      const jobId = await completed([], oneOfOne, other, false);
      await (await blacklist.setBlacklisted(requesterAddress, true)).wait();
      const { attestation, signatures } = await sign(other, oracles.slice(0, 1), oneOfOne, jobId, 7_500);
      await run(
        steps,
        "attest (1-of-1, refund deferred)",
        other.connect(stranger).attest(attestation, oneOfOne, signatures),
      );
      await (await blacklist.setBlacklisted(requesterAddress, false)).wait();
      await run(steps, "withdraw", other.connect(requester).withdraw(requesterAddress));
    },
  };

  const results: EscrowBench["scenarios"] = {};
  let snapshot = (await network.provider.send("evm_snapshot", [])) as string;
  for (const [name, scenario] of Object.entries(scenarios)) {
    await network.provider.send("evm_revert", [snapshot]);
    snapshot = (await network.provider.send("evm_snapshot", [])) as string;
    const steps: EscrowGasStep[] = [];
    await scenario(steps);
    results[name] = { total: steps.reduce((sum, s) => sum + s.gas, 0), transactions: steps };
  }
  await network.provider.send("evm_revert", [snapshot]);

  const find = (scenario: string, step: string) => results[scenario].transactions.find((t) => t.name === step)!.gas;
  const summary: Record<string, number> = {
    registerMachine: find("machine", "register"),
    updateMachine: find("machine", "update"),
    setAvailability: find("machine", "setAvailability"),
    removeMachine: find("machine", "remove"),
    open1of1: find("attest1of1", "open"),
    open3of5: find("attest3of5", "open"),
    accept: find("attest1of1", "accept"),
    reportCompletion: find("attest1of1", "reportCompletion"),
    attest1of1: find("attest1of1", "attest (1-of-1, both paid)"),
    attest3of5: find("attest3of5", "attest (3-of-5, both paid)"),
    attestByOracle: find("attestByOracle", "attestByOracle (both paid)"),
    refundUnaccepted: find("refundUnaccepted", "refundUnaccepted"),
    refundUnattested: find("refundUnattested", "refundUnattested"),
    attestDeferred: find("deferred", "attest (1-of-1, refund deferred)"),
    withdraw: find("deferred", "withdraw"),
    jobLifecycle1of1: results.attest1of1.total,
    jobLifecycle3of5: results.attest3of5.total,
  };
  return { deployGas, bytecodeSize, summary, scenarios: results };
}
