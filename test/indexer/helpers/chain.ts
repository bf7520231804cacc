// The in-process Hardhat network over HTTP (and ws), and Accord deployed on it with ethers factories.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import hre, { ethers } from "hardhat";
import { MaxUint256, type Signer } from "ethers";
import type {
  AccordToken,
  CapacityPools,
  DealMarket,
  JobEscrow,
  MachineRegistry,
  OperatorRegistry,
  PaymentChannels,
  QuorumJobOracle,
  QuorumMediator,
  ServiceRegistry,
  SquareTaskVerifier,
  TaskManager,
} from "../../../typechain-types";
import { fromAccordDeployment, type IndexerDeployment } from "../../../src/indexer";
import { DEAL_AGREEMENT_TYPES, dealMarketDomain } from "../../../src/clients/terms";
import { startLocalNode } from "../../../src/devnet/local-node";

export interface RpcServer {
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/** Hardhat's JSON-RPC server over the in-process network (what `hardhat node` runs), on a free port. */
export async function startRpcServer(): Promise<RpcServer> {
  const node = await startLocalNode({ provider: hre.network.provider, port: 0 });
  return { url: node.url, wsUrl: node.url.replace(/^http/, "ws"), close: () => node.close() };
}

export interface Accord {
  token: AccordToken;
  market: DealMarket;
  registry: ServiceRegistry;
  pools: CapacityPools;
  channels: PaymentChannels;
  operators: OperatorRegistry;
  tasks: TaskManager;
  squareVerifier: SquareTaskVerifier;
  quorumMediator: QuorumMediator;
  machines: MachineRegistry;
  jobEscrow: JobEscrow;
  jobOracle: QuorumJobOracle;
  deployment: IndexerDeployment;
  /** The deployment file's content, as src/deployments writes it. */
  file: Record<string, unknown>;
  signers: Signer[];
}

/** The operator quorums' parameters deployAccord uses (OperatorRegistry, TaskManager, QuorumMediator). */
export const QUORUM_PARAMETERS = {
  minBond: 100n,
  unbondingDelay: 3_600n,
  aggregatorSlot: 60n,
  challengeWindow: 3_600n,
  mediatorQuorum: 0,
  mediatorThresholdPercent: 60,
  mediatorResponseWindow: 3_600n,
} as const;

/**
 * AccordToken(owner, supply), DealMarket(token), ServiceRegistry(), CapacityPools(token), PaymentChannels(), the
 * operator quorums (OperatorRegistry(token), TaskManager, SquareTaskVerifier, QuorumMediator(market, tasks, token)
 * with QUORUM_PARAMETERS), provider onboarding (MachineRegistry, JobEscrow(token, machines, 1 h, 1 day),
 * QuorumJobOracle(escrow, tasks, 0, 67, 10 min)); parties (signers 1..9) funded and approved.
 * `blacklistToken`: the market's token is BlacklistERC20Mock instead (transfers to a blacklisted account fail,
 * which is how payouts get deferred).
 */
export async function deployAccord(options: { blacklistToken?: boolean } = {}): Promise<Accord> {
  const signers = await ethers.getSigners();
  const owner = signers[0];
  let token: AccordToken;
  if (options.blacklistToken) {
    const mock = await (await ethers.getContractFactory("BlacklistERC20Mock")).deploy();
    await mock.mint(await owner.getAddress(), 10n ** 30n);
    token = mock as unknown as AccordToken;
  } else {
    token = await (await ethers.getContractFactory("AccordToken")).deploy(await owner.getAddress(), 10n ** 30n);
  }
  const market = (await (
    await ethers.getContractFactory("DealMarket")
  ).deploy(await token.getAddress())) as unknown as DealMarket;
  const registry = (await (await ethers.getContractFactory("ServiceRegistry")).deploy()) as unknown as ServiceRegistry;
  const pools = (await (
    await ethers.getContractFactory("CapacityPools")
  ).deploy(await token.getAddress())) as unknown as CapacityPools;
  const channels = (await (await ethers.getContractFactory("PaymentChannels")).deploy()) as unknown as PaymentChannels;
  const q = QUORUM_PARAMETERS;
  const operators = (await (
    await ethers.getContractFactory("OperatorRegistry")
  ).deploy(await token.getAddress(), q.minBond, q.unbondingDelay)) as unknown as OperatorRegistry;
  const tasks = (await (
    await ethers.getContractFactory("TaskManager")
  ).deploy(await operators.getAddress(), q.aggregatorSlot, q.challengeWindow)) as unknown as TaskManager;
  const squareVerifier = (await (
    await ethers.getContractFactory("SquareTaskVerifier")
  ).deploy()) as unknown as SquareTaskVerifier;
  const quorumMediator = (await (
    await ethers.getContractFactory("QuorumMediator")
  ).deploy(
    await market.getAddress(),
    await tasks.getAddress(),
    await token.getAddress(),
    q.mediatorQuorum,
    q.mediatorThresholdPercent,
    q.mediatorResponseWindow,
  )) as unknown as QuorumMediator;
  const machines = (await (await ethers.getContractFactory("MachineRegistry")).deploy()) as unknown as MachineRegistry;
  const jobEscrow = (await (
    await ethers.getContractFactory("JobEscrow")
  ).deploy(await token.getAddress(), await machines.getAddress(), 3_600n, 86_400n)) as unknown as JobEscrow;
  const jobOracle = (await (
    await ethers.getContractFactory("QuorumJobOracle")
  ).deploy(await jobEscrow.getAddress(), await tasks.getAddress(), 0, 67, 600n)) as unknown as QuorumJobOracle;
  const entry = async (c: {
    getAddress(): Promise<string>;
    deploymentTransaction(): { hash: string; wait(): Promise<{ blockNumber: number } | null> } | null;
  }) => {
    const tx = c.deploymentTransaction()!;
    const receipt = await tx.wait();
    return { address: await c.getAddress(), blockNumber: receipt!.blockNumber, transactionHash: tx.hash };
  };
  const contracts = {
    AccordToken: await entry(token),
    DealMarket: await entry(market),
    ServiceRegistry: await entry(registry),
    CapacityPools: await entry(pools),
    PaymentChannels: await entry(channels),
    OperatorRegistry: await entry(operators),
    TaskManager: await entry(tasks),
    SquareTaskVerifier: await entry(squareVerifier),
    QuorumMediator: await entry(quorumMediator),
    MachineRegistry: await entry(machines),
    JobEscrow: await entry(jobEscrow),
    QuorumJobOracle: await entry(jobOracle),
  };
  const chainId = Number((await ethers.provider.getNetwork()).chainId);
  const file = { chainId, network: "hardhat", deployedAt: new Date().toISOString(), contracts };
  const deployment: IndexerDeployment = fromAccordDeployment(file);
  // Fund and approve the parties (signers 1..9).
  for (const s of signers.slice(1, 10)) {
    await token.connect(owner).transfer(await s.getAddress(), 10n ** 26n);
    await token.connect(s).approve(await market.getAddress(), MaxUint256);
  }
  return {
    token,
    market,
    registry,
    pools,
    channels,
    operators,
    tasks,
    squareVerifier,
    quorumMediator,
    machines,
    jobEscrow,
    jobOracle,
    deployment,
    file,
    signers,
  };
}

export interface Terms {
  members: { jobCreator: string; resourceProvider: string; solver: string; mediators: string[] };
  pricing: {
    instructionPrice: bigint;
    paymentCollateral: bigint;
    resultsCollateralMultiple: bigint;
    mediationFee: bigint;
  };
  timeouts: {
    agree: bigint;
    submitResults: bigint;
    judgeResults: bigint;
    mediateResults: bigint;
    agreeCollateral: bigint;
    submitResultsCollateral: bigint;
    judgeResultsCollateral: bigint;
    mediateResultsCollateral: bigint;
  };
}

export function makeTerms(
  jobCreator: string,
  resourceProvider: string,
  solver: string,
  mediators: string[],
  seed = 1n,
): Terms {
  return {
    members: { jobCreator, resourceProvider, solver, mediators },
    pricing: {
      instructionPrice: 3n * seed,
      paymentCollateral: 1_000n * seed,
      resultsCollateralMultiple: 2n,
      mediationFee: 50n + seed,
    },
    timeouts: {
      agree: 3600n,
      submitResults: 3600n,
      judgeResults: 3600n,
      mediateResults: 3600n,
      agreeCollateral: 7n,
      submitResultsCollateral: 100n + seed,
      judgeResultsCollateral: 200n + seed,
      mediateResultsCollateral: 9n,
    },
  };
}

export async function signAgreement(
  signer: Signer,
  market: DealMarket,
  dealId: string,
  terms: Terms,
  deadline: bigint,
): Promise<string> {
  const { chainId } = await ethers.provider.getNetwork();
  return signer.signTypedData(dealMarketDomain(chainId, await market.getAddress()), DEAL_AGREEMENT_TYPES, {
    dealId,
    terms,
    deadline,
  });
}

/** A fresh random bytes32 deal ID. */
export function newDealId(): string {
  return ethers.hexlify(ethers.randomBytes(32));
}

export async function increaseTime(seconds: number): Promise<void> {
  await hre.network.provider.send("evm_increaseTime", [seconds]);
  await hre.network.provider.send("evm_mine", []);
}

/**
 * Mines `blocks` empty blocks one by one (evm_mine): hardhat_mine reserves a range of blocks whose headers report
 * a zero parentHash, which the indexer rightly takes for a chain that moved while it read.
 */
export async function mine(blocks = 1): Promise<void> {
  for (let i = 0; i < blocks; i++) await hre.network.provider.send("evm_mine", []);
}

export async function headBlock(): Promise<number> {
  return Number(await hre.network.provider.send("eth_blockNumber", []));
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `accord-${prefix}-`));
}

export { ethers, hre };
