/**
 * Fixtures and helpers for the operator quorums (OperatorRegistry, TaskManager, QuorumMediator): the contract
 * tests under test/contracts/{OperatorRegistry,TaskManager,QuorumMediator}, the gas bench
 * (scripts/bench/gas-quorum.ts) and the TypeScript operator node's tests.
 *
 * Typical use:
 *   const ctx = await loadQuorumFixture(quorumFixture);                 // 4 operators registered in quorum 0
 *   const task = await createTask(ctx, { payload: squarePayload(7n), verifier: ctx.squareAddress });
 *   const response = squareResponse(7n);
 *   const signature = await buildQuorumSignature(ctx, {
 *     quorum: 0, referenceBlock: task.referenceBlock, digest: await responseDigestOf(ctx, task.taskId, response),
 *     signers: ctx.operators.slice(1), nonSigners: ctx.operators.slice(0, 1),
 *   });
 *   await ctx.tasks.respondToTask(task.taskId, response, signature);
 *
 * Operators are fresh wallets (funded with ETH and FUNDING tokens, approved to the registry) with deterministic
 * BLS keys, so any number can be made. Like channels.ts, nothing here uses chai.
 */
import { ethers, network } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import {
  AbiCoder,
  MaxUint256,
  TypedDataEncoder,
  Wallet,
  ZeroAddress,
  getBytes,
  keccak256,
  type ContractTransactionReceipt,
  type ContractTransactionResponse,
  type Signer,
  type TypedDataDomain,
} from "ethers";

import type {
  AccordToken,
  OperatorRegistry,
  QuorumCheckHarness,
  SquareTaskVerifier,
  TaskManager,
} from "../../typechain-types";
import {
  BLS_POP_DST,
  BLS_SIGNATURE_DST,
  aggregateG1,
  aggregateG2,
  blsKeyHash,
  blsPublicKey,
  blsSign,
  encodeG1,
  encodeG2,
  type BlsSecretKey,
  type G1Point,
  type G2Point,
} from "../../src/quorum/bls";

/*//////////////////////////////////////////////////////////////
                              CONSTANTS
//////////////////////////////////////////////////////////////*/

/** `OperatorStatus` (contracts/types/QuorumTypes.sol). */
export const OperatorStatus = { None: 0n, Active: 1n, Unbonding: 2n, Withdrawn: 3n } as const;
/** `TaskStatus` (contracts/types/QuorumTypes.sol). */
export const TaskStatus = { None: 0n, Open: 1n, Responded: 2n, Challenged: 3n, Expired: 4n } as const;

/** The deployment's defaults (src/deployments/deploy.ts uses the same). */
export const MIN_BOND = 10n ** 20n;
export const UNBONDING_DELAY = 7n * 24n * 3600n;
export const AGGREGATOR_SLOT = 12n;
export const CHALLENGE_WINDOW = 3600n;
/** A response window every test task can use. */
export const RESPONSE_WINDOW = 600n;
/** The quorum the fixture's operators are in. */
export const QUORUM = 0;
/** What every operator holds of the token (and has approved to the registry). */
export const FUNDING = 10n ** 24n;

export const REGISTRATION_TYPES = {
  Registration: [
    { name: "operator", type: "address" },
    { name: "keyHash", type: "bytes32" },
  ],
};
export const TASK_RESPONSE_TYPES = {
  TaskResponse: [
    { name: "taskId", type: "bytes32" },
    { name: "responseHash", type: "bytes32" },
  ],
};

const BLS_ORDER = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;
const coder = AbiCoder.defaultAbiCoder();

/*//////////////////////////////////////////////////////////////
                              OPERATORS
//////////////////////////////////////////////////////////////*/

/** An operator account and its BLS key. */
export interface QuorumOperator {
  /** Sends its transactions. */
  signer: Signer;
  address: string;
  secretKey: BlsSecretKey;
  publicKey: G2Point;
  /** `publicKey` in the EIP-2537 encoding (256 bytes, 0x-hex). */
  publicKeyHex: string;
  /** keccak256(publicKeyHex): what non-signers are sorted by. */
  keyHash: string;
}

let keyCounter = 0;

/** A deterministic BLS secret key (unique across the run, so snapshot-restored fixtures never clash). */
export function nextBlsSecretKey(label = "operator"): BlsSecretKey {
  keyCounter += 1;
  return (BigInt(ethers.id(`${label}-${keyCounter}`)) % (BLS_ORDER - 1n)) + 1n;
}

/** A key pair as an operator record for `signer` (a new key unless `secretKey` is given). */
export async function operatorOf(
  signer: Signer,
  secretKey: BlsSecretKey = nextBlsSecretKey(),
): Promise<QuorumOperator> {
  const publicKey = blsPublicKey(secretKey);
  return {
    signer,
    address: await signer.getAddress(),
    secretKey,
    publicKey,
    publicKeyHex: encodeG2(publicKey),
    keyHash: blsKeyHash(publicKey),
  };
}

/**
 * `count` fresh operator accounts: random wallets on the Hardhat network, each given 100 ETH and FUNDING tokens
 * (minted by `minter`) and approved to the registry for all of it.
 */
export async function makeOperators(ctx: QuorumContracts, count: number): Promise<QuorumOperator[]> {
  const operators: QuorumOperator[] = [];
  for (let i = 0; i < count; i++) {
    const wallet = Wallet.createRandom().connect(ethers.provider);
    await network.provider.send("hardhat_setBalance", [wallet.address, "0x56bc75e2d63100000"]);
    await send(ctx.token.connect(ctx.deployer).mint(wallet.address, FUNDING));
    await send(ctx.token.connect(wallet).approve(ctx.registryAddress, MaxUint256));
    operators.push(await operatorOf(wallet));
  }
  return operators;
}

/*//////////////////////////////////////////////////////////////
                              FIXTURES
//////////////////////////////////////////////////////////////*/

/** The contracts and accounts every quorum fixture has. */
export interface QuorumContracts {
  deployer: HardhatEthersSigner;
  stranger: HardhatEthersSigner;
  token: AccordToken;
  tokenAddress: string;
  registry: OperatorRegistry;
  registryAddress: string;
  tasks: TaskManager;
  tasksAddress: string;
  square: SquareTaskVerifier;
  squareAddress: string;
  harness: QuorumCheckHarness;
  chainId: bigint;
}

/** With registered operators. */
export interface QuorumFixture extends QuorumContracts {
  /** Registered in QUORUM with MIN_BOND each (unless the fixture says otherwise). */
  operators: QuorumOperator[];
}

export interface DeployQuorumOptions {
  minBond?: bigint;
  unbondingDelay?: bigint;
  aggregatorSlot?: bigint;
  challengeWindow?: bigint;
}

/**
 * AccordToken (the deployer holds and mints it), OperatorRegistry, TaskManager, SquareTaskVerifier and the
 * QuorumCheckHarness. No operator yet.
 */
export async function deployQuorumContracts(options: DeployQuorumOptions = {}): Promise<QuorumContracts> {
  const [deployer, stranger] = await ethers.getSigners();
  const token = await ethers.deployContract("AccordToken", [deployer.address, 0n]);
  const tokenAddress = await token.getAddress();
  const registry = await ethers.deployContract("OperatorRegistry", [
    tokenAddress,
    options.minBond ?? MIN_BOND,
    options.unbondingDelay ?? UNBONDING_DELAY,
  ]);
  const registryAddress = await registry.getAddress();
  const tasks = await ethers.deployContract("TaskManager", [
    registryAddress,
    options.aggregatorSlot ?? AGGREGATOR_SLOT,
    options.challengeWindow ?? CHALLENGE_WINDOW,
  ]);
  const square = await ethers.deployContract("SquareTaskVerifier");
  const harness = await ethers.deployContract("QuorumCheckHarness");
  await send(token.connect(deployer).mint(stranger.address, FUNDING));
  await send(token.connect(stranger).approve(registryAddress, MaxUint256));
  const { chainId } = await ethers.provider.getNetwork();
  return {
    deployer,
    stranger,
    token,
    tokenAddress,
    registry,
    registryAddress,
    tasks,
    tasksAddress: await tasks.getAddress(),
    square,
    squareAddress: await square.getAddress(),
    harness,
    chainId,
  };
}

/** The contracts and `count` operators registered in QUORUM with MIN_BOND, a block mined after. */
export async function quorumFixtureOf(count: number, options: DeployQuorumOptions = {}): Promise<QuorumFixture> {
  const ctx = await deployQuorumContracts(options);
  const operators = await makeOperators(ctx, count);
  for (const operator of operators) await registerOperator(ctx, operator);
  await mine();
  return { ...ctx, operators };
}

/** Four operators in QUORUM. Use with `loadQuorumFixture`. */
export async function quorumFixture(): Promise<QuorumFixture> {
  return quorumFixtureOf(4);
}

/** The contracts, no operator. Use with `loadQuorumFixture`. */
export async function emptyQuorumFixture(): Promise<QuorumFixture> {
  return { ...(await deployQuorumContracts()), operators: [] };
}

/** `loadFixture`, then one empty block a second later (so `time.latest() + n` stays ahead after a revert). */
export async function loadQuorumFixture<T>(fixture: () => Promise<T>): Promise<T> {
  const ctx = await loadFixture(fixture);
  await time.increaseTo((await time.latest()) + 1);
  return ctx;
}

/*//////////////////////////////////////////////////////////////
                            REGISTRATION
//////////////////////////////////////////////////////////////*/

export function registryDomain(chainId: bigint, registry: string): TypedDataDomain {
  return { name: "Accord OperatorRegistry", version: "1", chainId, verifyingContract: registry };
}

export function taskManagerDomain(chainId: bigint, tasks: string): TypedDataDomain {
  return { name: "Accord TaskManager", version: "1", chainId, verifyingContract: tasks };
}

/** The EIP-712 digest `operator`'s key signs as its proof of possession (the registry's `registrationDigest`). */
export function registrationDigestOf(
  chainId: bigint,
  registry: string,
  operator: string,
  publicKeyHex: string,
): string {
  return TypedDataEncoder.hash(registryDomain(chainId, registry), REGISTRATION_TYPES, {
    operator,
    keyHash: keccak256(publicKeyHex),
  });
}

/** The proof of possession: the key's signature (POP DST) of the registration digest for `operator`. */
export function proofOfPossession(
  chainId: bigint,
  registry: string,
  operator: string,
  secretKey: BlsSecretKey,
): string {
  const digest = registrationDigestOf(chainId, registry, operator, encodeG2(blsPublicKey(secretKey)));
  return encodeG1(blsSign(secretKey, getBytes(digest), BLS_POP_DST));
}

export interface RegisterOptions {
  bond?: bigint;
  /** Bitmap; default 1 << QUORUM. */
  quorums?: number;
  url?: string;
  /** Default a valid proof for the operator. */
  proof?: string;
  /** Default the operator's own key. */
  publicKeyHex?: string;
}

/** Registers `operator` (its own PoP, MIN_BOND, QUORUM, a URL) unless overridden. */
export async function registerOperator(
  ctx: QuorumContracts,
  operator: QuorumOperator,
  options: RegisterOptions = {},
): Promise<ContractTransactionReceipt> {
  const proof =
    options.proof ?? proofOfPossession(ctx.chainId, ctx.registryAddress, operator.address, operator.secretKey);
  return send(
    ctx.registry
      .connect(operator.signer)
      .register(
        options.publicKeyHex ?? operator.publicKeyHex,
        proof,
        options.url ?? `https://operator.example/${operator.address.slice(2, 10)}`,
        options.bond ?? MIN_BOND,
        options.quorums ?? 1 << QUORUM,
      ),
  );
}

/*//////////////////////////////////////////////////////////////
                               TASKS
//////////////////////////////////////////////////////////////*/

/** The square task type's payload and correct response (SquareTaskVerifier). */
export function squarePayload(n: bigint): string {
  return coder.encode(["uint256"], [n]);
}
export function squareResponse(n: bigint): string {
  return coder.encode(["uint256"], [n * n]);
}

export interface CreateTaskOptions {
  creator?: Signer;
  salt?: string;
  quorum?: number;
  thresholdPercent?: number;
  responseWindow?: bigint;
  verifier?: string;
  payload?: string;
}

/** A created task: its ID and what respondToTask is checked against. */
export interface TaskHandle {
  taskId: string;
  referenceBlock: number;
  responseDeadline: bigint;
  payload: string;
  receipt: ContractTransactionReceipt;
}

let saltCounter = 0;
export function nextTaskSalt(label = "task"): string {
  saltCounter += 1;
  return ethers.id(`${label}-${saltCounter}`);
}

/** Creates a task (the stranger, QUORUM, threshold 67, RESPONSE_WINDOW, the square task of 7 by default). */
export async function createTask(ctx: QuorumContracts, options: CreateTaskOptions = {}): Promise<TaskHandle> {
  const creator = options.creator ?? ctx.stranger;
  const salt = options.salt ?? nextTaskSalt();
  const payload = options.payload ?? squarePayload(7n);
  const receipt = await send(
    ctx.tasks
      .connect(creator)
      .createTask(
        salt,
        options.quorum ?? QUORUM,
        options.thresholdPercent ?? 67,
        options.responseWindow ?? RESPONSE_WINDOW,
        options.verifier ?? ZeroAddress,
        payload,
      ),
  );
  const taskId = await ctx.tasks.taskId(await creator.getAddress(), salt);
  const task = await ctx.tasks.getTask(taskId);
  return {
    taskId,
    referenceBlock: Number(task.referenceBlock),
    responseDeadline: task.responseDeadline,
    payload,
    receipt,
  };
}

/** The EIP-712 digest the quorum signs for `response` (0x-hex bytes) to task `taskId`, computed off chain. */
export function responseDigestOf(ctx: QuorumContracts, taskId: string, response: string): string {
  return TypedDataEncoder.hash(taskManagerDomain(ctx.chainId, ctx.tasksAddress), TASK_RESPONSE_TYPES, {
    taskId,
    responseHash: keccak256(response),
  });
}

/** An operator's signature share of a 32-byte digest (the signature DST). */
export function signDigest(operator: QuorumOperator, digest: string): G1Point {
  return blsSign(operator.secretKey, getBytes(digest), BLS_SIGNATURE_DST);
}

/*//////////////////////////////////////////////////////////////
                          QUORUM SIGNATURES
//////////////////////////////////////////////////////////////*/

/** The QuorumSignature struct as the contracts take it. */
export interface QuorumSignatureStruct {
  nonSignerKeys: string[];
  nonSignerStakeIndices: number[];
  quorumApk: string;
  quorumCheckpointIndex: number;
  signature: string;
}

/** The quorum's aggregate key at `blockNumber`: the apk of the last QuorumUpdated event up to that block. */
export async function quorumApkAt(registry: OperatorRegistry, quorum: number, blockNumber: number): Promise<string> {
  const events = await registry.queryFilter(registry.filters.QuorumUpdated(quorum), 0, blockNumber);
  const last = events.at(-1);
  return last ? last.args.apk : encodeG2(aggregateG2([]));
}

export interface BuildSignatureOptions {
  quorum?: number;
  referenceBlock: number;
  digest: string;
  /** Whose shares are aggregated. */
  signers: readonly QuorumOperator[];
  /** The quorum members (at the reference block) who did not sign; sorted here by key hash. */
  nonSigners?: readonly QuorumOperator[];
  /** Keep the non-signers in the given order (to test the unsorted refusal). */
  keepOrder?: boolean;
  /** Replace the aggregate signature (e.g. a wrong one). */
  signature?: string;
}

/**
 * A QuorumSignature for `digest`: the signers' aggregate signature, the non-signers sorted by key hash with their
 * stake checkpoint indices at the reference block (the registry's `stakeIndexAt`), the quorum's aggregate key at
 * the reference block (from the registry's events) and its checkpoint index (`quorumCheckpointIndexAt`).
 */
export async function buildQuorumSignature(
  ctx: QuorumContracts,
  options: BuildSignatureOptions,
): Promise<QuorumSignatureStruct> {
  const quorum = options.quorum ?? QUORUM;
  const nonSigners = [...(options.nonSigners ?? [])];
  if (!options.keepOrder) nonSigners.sort((a, b) => (BigInt(a.keyHash) < BigInt(b.keyHash) ? -1 : 1));
  const nonSignerStakeIndices: number[] = [];
  for (const operator of nonSigners) {
    nonSignerStakeIndices.push(
      Number(await ctx.registry.stakeIndexAt(operator.address, quorum, options.referenceBlock)),
    );
  }
  const signature =
    options.signature ?? encodeG1(aggregateG1(options.signers.map((operator) => signDigest(operator, options.digest))));
  return {
    nonSignerKeys: nonSigners.map((operator) => operator.publicKeyHex),
    nonSignerStakeIndices,
    quorumApk: await quorumApkAt(ctx.registry, quorum, options.referenceBlock),
    quorumCheckpointIndex: Number(await ctx.registry.quorumCheckpointIndexAt(quorum, options.referenceBlock)),
    signature,
  };
}

/**
 * Signs `response` to `task` by every operator but `nonSigners` and builds the QuorumSignature (the common case
 * of the tests and the bench). Returns the signature and the digest.
 */
export async function signTaskResponse(
  ctx: QuorumFixture,
  task: TaskHandle,
  response: string,
  nonSigners: readonly QuorumOperator[] = [],
  quorum = QUORUM,
): Promise<{ signature: QuorumSignatureStruct; digest: string }> {
  const digest = responseDigestOf(ctx, task.taskId, response);
  const excluded = new Set(nonSigners.map((operator) => operator.address));
  const signers = ctx.operators.filter((operator) => !excluded.has(operator.address));
  const signature = await buildQuorumSignature(ctx, {
    quorum,
    referenceBlock: task.referenceBlock,
    digest,
    signers,
    nonSigners,
  });
  return { signature, digest };
}

/*//////////////////////////////////////////////////////////////
                                CHAIN
//////////////////////////////////////////////////////////////*/

export async function send(tx: Promise<ContractTransactionResponse>): Promise<ContractTransactionReceipt> {
  const receipt = await (await tx).wait();
  if (!receipt) throw new Error("no receipt");
  return receipt;
}

/** Mines one block. */
export async function mine(): Promise<void> {
  await network.provider.send("evm_mine", []);
}

/** The latest block's number. */
export async function blockNumber(): Promise<number> {
  return ethers.provider.getBlockNumber();
}
