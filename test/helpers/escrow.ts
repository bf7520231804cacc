/**
 * Fixtures and helpers for provider onboarding and the job escrow (MachineRegistry, JobEscrow, QuorumJobOracle):
 * the contract tests under test/contracts/{MachineRegistry,JobEscrow,QuorumJobOracle} and the gas bench
 * (scripts/bench/gas-escrow.ts).
 *
 * Typical use:
 *   const ctx = await loadEscrowFixture(escrowFixture);                 // a registered machine, funded requester
 *   const job = await openJob(ctx, { oracle: keySet(ctx.oracles.slice(0, 3), 2) });
 *   await ctx.escrow.connect(ctx.provider).accept(job.jobId);
 *   await ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, 600n);
 *   const attestation = { jobId: job.jobId, bps: 10_000, runSeconds: 600n };
 *   await ctx.escrow.attest(attestation, job.oracle, await signAttestation(ctx, job.oracle, attestation));
 *
 * The token is BlacklistERC20Mock (a plain ERC20 that can also refuse transfers, for deferred payouts). Oracle
 * keys are deterministic wallets, sorted by address. Like quorum.ts, nothing here uses chai.
 */
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  MaxUint256,
  TypedDataEncoder,
  Wallet,
  type BaseWallet,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
} from "ethers";

import type { BlacklistERC20Mock, JobEscrow, MachineRegistry } from "../../typechain-types";
import {
  ATTESTATION_TYPES,
  contractOracleSet,
  jobEscrowDomain,
  keyOracleSet,
  MAX_ORACLES as ESCROW_MAX_ORACLES,
  quoteJob,
  type JobQuote,
  type OracleSet,
} from "../../src/escrow";

/*//////////////////////////////////////////////////////////////
                              CONSTANTS
//////////////////////////////////////////////////////////////*/

/** `MachineStatus`, `JobStatus`, `RefundReason` (contracts/types/EscrowTypes.sol). */
export const MachineStatus = { None: 0n, Active: 1n, Removed: 2n } as const;
export const JobStatus = { None: 0n, Open: 1n, Accepted: 2n, Completed: 3n, Attested: 4n, Refunded: 5n } as const;
export const RefundReason = { Unaccepted: 0n, Unattested: 1n } as const;

/** The deployment's windows (src/deployments/deploy.ts uses the same). */
export const ACCEPTANCE_TIMEOUT = 3600n;
export const ATTESTATION_WINDOW = 24n * 3600n;
export const MAX_ORACLES = ESCROW_MAX_ORACLES;
export const MAX_TIME_LIMIT = 30n * 24n * 3600n;
export const MAX_BPS = 10_000n;
/** A job's default time limit and maxPrice; the default machine's price per minute. */
export const TIME_LIMIT = 3600n;
export const MAX_PRICE = 10n ** 18n;
export const PRICE_PER_MINUTE = 10n ** 16n;
/** What the requester holds (and has approved to the escrow). */
export const FUNDING = 10n ** 24n;

export { ATTESTATION_TYPES };

/*//////////////////////////////////////////////////////////////
                                TYPES
//////////////////////////////////////////////////////////////*/

/** `MachineSpec` as the contract takes it. */
export interface MachineSpec {
  profile: string;
  cpuCores: bigint;
  cpuMhz: bigint;
  memoryMb: bigint;
  diskGb: bigint;
  gpuCount: bigint;
  maxGpuVramMb: bigint;
  onboardedCpuMhz: bigint;
  onboardedMemoryMb: bigint;
  pricePerMinute: bigint;
  available: boolean;
}

export type { OracleSet };

/** `Attestation` as the contract takes it. */
export interface Attestation {
  jobId: string;
  bps: number | bigint;
  runSeconds: bigint;
}

/** `OracleSignature` as the contract takes it. */
export interface OracleSignature {
  index: number;
  signature: string;
}

/** An 8-core, 16 GB machine with one 24 GB GPU, half of it onboarded, at PRICE_PER_MINUTE. */
export function makeSpec(overrides: Partial<MachineSpec> = {}): MachineSpec {
  return {
    profile: ethers.id("profile"),
    cpuCores: 8n,
    cpuMhz: 8n * 3000n,
    memoryMb: 16_384n,
    diskGb: 512n,
    gpuCount: 1n,
    maxGpuVramMb: 24_576n,
    onboardedCpuMhz: 12_000n,
    onboardedMemoryMb: 8_192n,
    pricePerMinute: PRICE_PER_MINUTE,
    available: true,
    ...overrides,
  };
}

/** The spec as the contract returns it, for deep equality. */
export function specTuple(spec: MachineSpec): unknown[] {
  return [
    spec.profile,
    spec.cpuCores,
    spec.cpuMhz,
    spec.memoryMb,
    spec.diskGb,
    spec.gpuCount,
    spec.maxGpuVramMb,
    spec.onboardedCpuMhz,
    spec.onboardedMemoryMb,
    spec.pricePerMinute,
    spec.available,
  ];
}

/** Deterministic oracle keys, sorted by address (a set's signers must be strictly increasing). */
export function oracleWallets(count: number, label = "oracle"): Wallet[] {
  return Array.from({ length: count }, (_, i) => new Wallet(ethers.id(`${label}-${i}`))).sort((a, b) =>
    BigInt(a.address) < BigInt(b.address) ? -1 : 1,
  );
}

/** An m-of-n key set of `signers` (addresses or wallets), sorted; the set that is an oracle contract alone. */
export const keySet = keyOracleSet;
export const contractSet = contractOracleSet;

/*//////////////////////////////////////////////////////////////
                              FIXTURES
//////////////////////////////////////////////////////////////*/

export interface EscrowFixture {
  deployer: HardhatEthersSigner;
  provider: HardhatEthersSigner;
  requester: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  /** A second provider (its own machine) and a second requester. */
  provider2: HardhatEthersSigner;
  requester2: HardhatEthersSigner;
  token: BlacklistERC20Mock;
  tokenAddress: string;
  registry: MachineRegistry;
  registryAddress: string;
  escrow: JobEscrow;
  escrowAddress: string;
  /** Five oracle keys, sorted by address. */
  oracles: Wallet[];
  /** The provider's machine (makeSpec()), salt MACHINE_SALT. */
  machineId: string;
  spec: MachineSpec;
  chainId: bigint;
}

export const MACHINE_SALT = ethers.id("machine-0");

/** The token, registry and escrow, the provider's machine, requesters funded and approved. */
export async function escrowFixture(): Promise<EscrowFixture> {
  const [deployer, provider, requester, stranger, provider2, requester2] = await ethers.getSigners();
  const token = await ethers.deployContract("BlacklistERC20Mock");
  const tokenAddress = await token.getAddress();
  const registry = await ethers.deployContract("MachineRegistry");
  const registryAddress = await registry.getAddress();
  const escrow = await ethers.deployContract("JobEscrow", [
    tokenAddress,
    registryAddress,
    ACCEPTANCE_TIMEOUT,
    ATTESTATION_WINDOW,
  ]);
  const escrowAddress = await escrow.getAddress();
  for (const account of [requester, requester2, stranger]) {
    await send(token.mint(account.address, FUNDING));
    await send(token.connect(account).approve(escrowAddress, MaxUint256));
  }
  const spec = makeSpec();
  await send(registry.connect(provider).register(MACHINE_SALT, spec));
  const machineId = await registry.machineId(provider.address, MACHINE_SALT);
  const { chainId } = await ethers.provider.getNetwork();
  return {
    deployer,
    provider,
    requester,
    stranger,
    provider2,
    requester2,
    token,
    tokenAddress,
    registry,
    registryAddress,
    escrow,
    escrowAddress,
    oracles: oracleWallets(5),
    machineId,
    spec,
    chainId,
  };
}

/** `loadFixture`, then one empty block a second later (so `time.latest() + n` stays ahead after a revert). */
export async function loadEscrowFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const ctx = await loadFixture(fixture);
  await time.increaseTo((await time.latest()) + 1);
  return ctx;
}

/*//////////////////////////////////////////////////////////////
                                JOBS
//////////////////////////////////////////////////////////////*/

export interface OpenOptions {
  requester?: HardhatEthersSigner;
  salt?: string;
  machineId?: string;
  timeLimit?: bigint;
  maxPrice?: bigint;
  /** Default a 1-of-1 set of the first oracle. */
  oracle?: OracleSet;
}

/** An opened job: its ID and terms. */
export interface JobHandle {
  jobId: string;
  salt: string;
  requester: HardhatEthersSigner;
  machineId: string;
  timeLimit: bigint;
  maxPrice: bigint;
  oracle: OracleSet;
  receipt: ContractTransactionReceipt;
}

let saltCounter = 0;
export function nextJobSalt(label = "job"): string {
  saltCounter += 1;
  return ethers.id(`${label}-${saltCounter}`);
}

/** Opens a job (the requester, the fixture's machine, TIME_LIMIT, MAX_PRICE, 1-of-1 of oracle 0 by default). */
export async function openJob(ctx: EscrowFixture, options: OpenOptions = {}): Promise<JobHandle> {
  const requester = options.requester ?? ctx.requester;
  const salt = options.salt ?? nextJobSalt();
  const machineId = options.machineId ?? ctx.machineId;
  const timeLimit = options.timeLimit ?? TIME_LIMIT;
  const maxPrice = options.maxPrice ?? MAX_PRICE;
  const oracle = options.oracle ?? keySet(ctx.oracles.slice(0, 1), 1);
  const receipt = await send(ctx.escrow.connect(requester).open(salt, machineId, timeLimit, maxPrice, oracle));
  const jobId = await ctx.escrow.jobId(requester.address, salt);
  return { jobId, salt, requester, machineId, timeLimit, maxPrice, oracle, receipt };
}

/** Opens and accepts a job (by the fixture's provider). */
export async function acceptedJob(ctx: EscrowFixture, options: OpenOptions = {}): Promise<JobHandle> {
  const job = await openJob(ctx, options);
  await send(ctx.escrow.connect(ctx.provider).accept(job.jobId));
  return job;
}

/** Opens, accepts and reports a job complete after `runSeconds`. */
export async function completedJob(
  ctx: EscrowFixture,
  runSeconds = 600n,
  options: OpenOptions = {},
): Promise<JobHandle> {
  const job = await acceptedJob(ctx, options);
  await send(ctx.escrow.connect(ctx.provider).reportCompletion(job.jobId, runSeconds));
  return job;
}

export const escrowDomain = jobEscrowDomain;

/** The EIP-712 digest of an attestation, computed off chain. */
export function attestationDigestOf(chainId: bigint, escrow: string, attestation: Attestation): string {
  return TypedDataEncoder.hash(jobEscrowDomain(chainId, escrow), ATTESTATION_TYPES, attestation);
}

/**
 * The signatures of `signers` (default: the first `threshold` of the set's keys among `wallets`, default the
 * fixture's oracles) on `attestation`, each with its index in `oracle.signers`, in increasing index order.
 */
export async function signAttestation(
  ctx: Pick<EscrowFixture, "chainId" | "escrowAddress" | "oracles">,
  oracle: OracleSet,
  attestation: Attestation,
  signers?: readonly BaseWallet[],
): Promise<OracleSignature[]> {
  const byAddress = new Map(ctx.oracles.map((wallet) => [wallet.address, wallet] as const));
  const chosen =
    signers ??
    oracle.signers
      .map((address) => byAddress.get(address))
      .filter((wallet): wallet is Wallet => wallet !== undefined)
      .slice(0, oracle.threshold);
  const domain = jobEscrowDomain(ctx.chainId, ctx.escrowAddress);
  const signatures: OracleSignature[] = [];
  for (const wallet of chosen) {
    const index = oracle.signers.indexOf(wallet.address);
    signatures.push({ index, signature: await wallet.signTypedData(domain, ATTESTATION_TYPES, attestation) });
  }
  return signatures.sort((a, b) => a.index - b.index);
}

/** What an outcome pays (src/escrow's quoteJob, the contract's `quote`), positionally: cost, payout, refund. */
export function quoteOf(maxPrice: bigint, pricePerMinute: bigint, runSeconds: bigint, bps: bigint): JobQuote {
  return quoteJob({ maxPrice, pricePerMinute, runSeconds, bps });
}

/*//////////////////////////////////////////////////////////////
                                CHAIN
//////////////////////////////////////////////////////////////*/

export async function send(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

/** The block time of a receipt. */
export async function blockTime(receipt: ContractTransactionReceipt): Promise<bigint> {
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  return BigInt(block!.timestamp);
}

/** Sets the next block's time to `timestamp` and mines it. */
export async function at(timestamp: bigint): Promise<void> {
  await time.increaseTo(timestamp);
}

/** Gives `address` 100 ETH (for impersonated or random accounts). */
export async function fund(address: string): Promise<void> {
  await network.provider.send("hardhat_setBalance", [address, "0x56bc75e2d63100000"]);
}
