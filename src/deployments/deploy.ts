// Deploys the contracts with the TypeChain factories: works with any ethers v6 signer (Hardhat's
// in-process network, a node at localhost, a live chain), and records where each contract landed.

import type { ContractTransactionResponse, Provider, Signer } from "ethers";
import {
  AccordToken__factory,
  CapacityPools__factory,
  PaymentChannels__factory,
  DealMarket__factory,
  ServiceRegistry__factory,
  OperatorRegistry__factory,
  TaskManager__factory,
  QuorumMediator__factory,
  SquareTaskVerifier__factory,
  MachineRegistry__factory,
  JobEscrow__factory,
  QuorumJobOracle__factory,
  type AccordToken,
  type CapacityPools,
  type PaymentChannels,
  type DealMarket,
  type ServiceRegistry,
  type OperatorRegistry,
  type TaskManager,
  type QuorumMediator,
  type SquareTaskVerifier,
  type MachineRegistry,
  type JobEscrow,
  type QuorumJobOracle,
} from "../../typechain-types";
import { writeDeployment, type AccordDeployment, type DeployedContract, type DeploymentPathOptions } from "./format";

/** 1,000,000,000 tokens of 18 decimals: what the deployer receives by default. */
export const DEFAULT_INITIAL_SUPPLY = 1_000_000_000n * 10n ** 18n;

/** The least bond an operator registers with by default: 100 tokens. */
export const DEFAULT_MIN_BOND = 100n * 10n ** 18n;
/** Seconds from an operator's startUnbonding to its withdrawal by default: 7 days. */
export const DEFAULT_UNBONDING_DELAY = 7n * 24n * 3600n;
/** Seconds each drawn aggregator has before the next takes over, by default: one 12-second slot. */
export const DEFAULT_AGGREGATOR_SLOT = 12n;
/** Seconds a response with an on-chain verifier can be challenged, by default: 1 hour. */
export const DEFAULT_CHALLENGE_WINDOW = 3600n;
/** The QuorumMediator's quorum, threshold (percent of stake) and response window (seconds). */
export const DEFAULT_MEDIATOR_QUORUM = 0;
export const DEFAULT_MEDIATOR_THRESHOLD = 67;
export const DEFAULT_MEDIATOR_RESPONSE_WINDOW = 600n;
/** JobEscrow's acceptance timeout (seconds after opening the provider has to accept): 1 hour. */
export const DEFAULT_ACCEPTANCE_TIMEOUT = 3600n;
/** JobEscrow's attestation window (seconds after completion the oracles have to attest): 1 day. */
export const DEFAULT_ATTESTATION_WINDOW = 24n * 3600n;
/** The QuorumJobOracle's quorum, threshold (percent of stake) and response window (seconds). */
export const DEFAULT_JOB_ORACLE_QUORUM = 0;
export const DEFAULT_JOB_ORACLE_THRESHOLD = 67;
export const DEFAULT_JOB_ORACLE_RESPONSE_WINDOW = 600n;

/** The part of a Hardhat runtime environment deployAccord uses (so this module does not load Hardhat). */
export type HardhatLike = {
  network: { name: string };
  ethers: { getSigners(): Promise<Signer[]>; provider: Provider };
};

export type DeployAccordOptions = {
  /** Minted to `initialHolder` by the token's constructor. Default DEFAULT_INITIAL_SUPPLY. */
  initialSupply?: bigint;
  /** Receives the supply and owns the token's mint right. Default the deployer. */
  initialHolder?: string;
  /** With a Hardhat runtime: which of its signers deploys. Default 0. */
  deployerIndex?: number;
  /** The network name recorded (and the file name). Default Hardhat's network name, else `chain-<id>`. */
  network?: string;
  /** Confirmations to wait for on each deployment. Default 1. */
  confirmations?: number;
  /** Write the deployment file: `true` for `deployments/<network>.json`, or where to write it. Default false. */
  write?: boolean | (DeploymentPathOptions & { path?: string });
  /** Progress messages (e.g. console.log). */
  log?: (message: string) => void;
  /** OperatorRegistry's minimum bond (token wei). Default DEFAULT_MIN_BOND. */
  minBond?: bigint;
  /** OperatorRegistry's unbonding delay (seconds). Default DEFAULT_UNBONDING_DELAY. */
  unbondingDelay?: bigint;
  /** TaskManager's aggregator slot (seconds). Default DEFAULT_AGGREGATOR_SLOT. */
  aggregatorSlot?: bigint;
  /** TaskManager's challenge window (seconds). Default DEFAULT_CHALLENGE_WINDOW. */
  challengeWindow?: bigint;
  /** JobEscrow's acceptance timeout (seconds). Default DEFAULT_ACCEPTANCE_TIMEOUT. */
  acceptanceTimeout?: bigint;
  /** JobEscrow's attestation window (seconds). Default DEFAULT_ATTESTATION_WINDOW. */
  attestationWindow?: bigint;
};

export type AccordDeploymentResult = {
  deployment: AccordDeployment;
  token: AccordToken;
  market: DealMarket;
  registry: ServiceRegistry;
  pools: CapacityPools;
  channels: PaymentChannels;
  /** The operator registry (bonds, BLS keys, quorums). */
  operators: OperatorRegistry;
  /** Tasks for operator quorums and their attested responses. */
  tasks: TaskManager;
  /** Quorum 0 as a deal mediator (threshold 67%, 10-minute response window). */
  quorumMediator: QuorumMediator;
  /** The example task type's on-chain checker. */
  squareVerifier: SquareTaskVerifier;
  /** Providers' machines (profile digests, the fields people filter by, price per minute). */
  machines: MachineRegistry;
  /** Time-priced jobs on those machines, attested by m-of-n oracle keys or the operator quorum. */
  jobEscrow: JobEscrow;
  /** Quorum 0 as a job oracle (threshold 67%, 10-minute response window). */
  jobOracle: QuorumJobOracle;
  deployer: Signer;
  /** The file written, when `write` was set. */
  path?: string;
};

function isHardhat(target: Signer | HardhatLike): target is HardhatLike {
  return typeof target === "object" && target !== null && "ethers" in target && "network" in target;
}

async function deployed(
  name: string,
  contract: { deploymentTransaction(): ContractTransactionResponse | null; getAddress(): Promise<string> },
  confirmations: number,
  log?: (message: string) => void,
): Promise<DeployedContract> {
  const tx = contract.deploymentTransaction();
  if (!tx) throw new Error(`${name}: no deployment transaction`);
  const receipt = await tx.wait(confirmations);
  if (!receipt) throw new Error(`${name}: deployment transaction ${tx.hash} was dropped`);
  const address = await contract.getAddress();
  log?.(`${name} deployed at ${address} (block ${receipt.blockNumber}, tx ${tx.hash})`);
  return { address, blockNumber: receipt.blockNumber, transactionHash: tx.hash.toLowerCase() };
}

/**
 * Deploys AccordToken (the initial supply to the deployer), a DealMarket on it, a ServiceRegistry and
 * CapacityPools on the same token, PaymentChannels (any token or the native coin), then the operator quorums:
 * an OperatorRegistry bonding the token, a TaskManager on it, a QuorumMediator (quorum 0 as a deal mediator) and
 * the SquareTaskVerifier, then provider onboarding: a MachineRegistry, a JobEscrow on the token and it, and a
 * QuorumJobOracle (quorum 0 of the TaskManager as a job oracle), one after the other, each awaited. `target` is a Hardhat runtime environment or a signer with a
 * provider. Returns the connected contracts and the deployment record (written to disk if asked).
 */
export async function deployAccord(
  target: Signer | HardhatLike,
  options: DeployAccordOptions = {},
): Promise<AccordDeploymentResult> {
  let deployer: Signer;
  let networkName = options.network;
  if (isHardhat(target)) {
    const signers = await target.ethers.getSigners();
    const index = options.deployerIndex ?? 0;
    const signer = signers[index];
    if (!signer) throw new Error(`deployAccord: the Hardhat network has no signer #${index}`);
    deployer = signer;
    networkName ??= target.network.name;
  } else {
    deployer = target;
  }
  const provider = deployer.provider;
  if (!provider) throw new Error("deployAccord: the signer is not connected to a provider");
  const { chainId } = await provider.getNetwork();
  networkName ??= `chain-${chainId}`;

  const confirmations = options.confirmations ?? 1;
  const deployerAddress = await deployer.getAddress();
  const initialHolder = options.initialHolder ?? deployerAddress;
  const initialSupply = options.initialSupply ?? DEFAULT_INITIAL_SUPPLY;
  options.log?.(`Deploying Accord to ${networkName} (chain ${chainId}) from ${deployerAddress}`);

  const token = await new AccordToken__factory(deployer).deploy(initialHolder, initialSupply);
  const tokenRecord = await deployed("AccordToken", token, confirmations, options.log);
  const market = await new DealMarket__factory(deployer).deploy(tokenRecord.address);
  const marketRecord = await deployed("DealMarket", market, confirmations, options.log);
  const registry = await new ServiceRegistry__factory(deployer).deploy();
  const registryRecord = await deployed("ServiceRegistry", registry, confirmations, options.log);
  const pools = await new CapacityPools__factory(deployer).deploy(tokenRecord.address);
  const poolsRecord = await deployed("CapacityPools", pools, confirmations, options.log);
  const channels = await new PaymentChannels__factory(deployer).deploy();
  const channelsRecord = await deployed("PaymentChannels", channels, confirmations, options.log);
  const operators = await new OperatorRegistry__factory(deployer).deploy(
    tokenRecord.address,
    options.minBond ?? DEFAULT_MIN_BOND,
    options.unbondingDelay ?? DEFAULT_UNBONDING_DELAY,
  );
  const operatorsRecord = await deployed("OperatorRegistry", operators, confirmations, options.log);
  const tasks = await new TaskManager__factory(deployer).deploy(
    operatorsRecord.address,
    options.aggregatorSlot ?? DEFAULT_AGGREGATOR_SLOT,
    options.challengeWindow ?? DEFAULT_CHALLENGE_WINDOW,
  );
  const tasksRecord = await deployed("TaskManager", tasks, confirmations, options.log);
  const quorumMediator = await new QuorumMediator__factory(deployer).deploy(
    marketRecord.address,
    tasksRecord.address,
    tokenRecord.address,
    DEFAULT_MEDIATOR_QUORUM,
    DEFAULT_MEDIATOR_THRESHOLD,
    DEFAULT_MEDIATOR_RESPONSE_WINDOW,
  );
  const quorumMediatorRecord = await deployed("QuorumMediator", quorumMediator, confirmations, options.log);
  const squareVerifier = await new SquareTaskVerifier__factory(deployer).deploy();
  const squareRecord = await deployed("SquareTaskVerifier", squareVerifier, confirmations, options.log);
  const machines = await new MachineRegistry__factory(deployer).deploy();
  const machinesRecord = await deployed("MachineRegistry", machines, confirmations, options.log);
  const jobEscrow = await new JobEscrow__factory(deployer).deploy(
    tokenRecord.address,
    machinesRecord.address,
    options.acceptanceTimeout ?? DEFAULT_ACCEPTANCE_TIMEOUT,
    options.attestationWindow ?? DEFAULT_ATTESTATION_WINDOW,
  );
  const jobEscrowRecord = await deployed("JobEscrow", jobEscrow, confirmations, options.log);
  const jobOracle = await new QuorumJobOracle__factory(deployer).deploy(
    jobEscrowRecord.address,
    tasksRecord.address,
    DEFAULT_JOB_ORACLE_QUORUM,
    DEFAULT_JOB_ORACLE_THRESHOLD,
    DEFAULT_JOB_ORACLE_RESPONSE_WINDOW,
  );
  const jobOracleRecord = await deployed("QuorumJobOracle", jobOracle, confirmations, options.log);

  const deployment: AccordDeployment = {
    chainId: Number(chainId),
    network: networkName,
    deployedAt: new Date().toISOString(),
    contracts: {
      AccordToken: tokenRecord,
      DealMarket: marketRecord,
      ServiceRegistry: registryRecord,
      CapacityPools: poolsRecord,
      PaymentChannels: channelsRecord,
      OperatorRegistry: operatorsRecord,
      TaskManager: tasksRecord,
      QuorumMediator: quorumMediatorRecord,
      SquareTaskVerifier: squareRecord,
      MachineRegistry: machinesRecord,
      JobEscrow: jobEscrowRecord,
      QuorumJobOracle: jobOracleRecord,
    },
  };
  const result: AccordDeploymentResult = {
    deployment,
    token,
    market,
    registry,
    pools,
    channels,
    operators,
    tasks,
    quorumMediator,
    squareVerifier,
    machines,
    jobEscrow,
    jobOracle,
    deployer,
  };
  if (options.write) {
    result.path = writeDeployment(deployment, options.write === true ? {} : options.write);
    options.log?.(`Deployment written to ${result.path}`);
  }
  return result;
}
