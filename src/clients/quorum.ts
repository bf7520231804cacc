// Operator quorums for the three roles that use them: an operator (OperatorRegistryClient: register with a BLS key
// and its proof of possession, bond, quorums, URL, unbonding; the quorum and stake checkpoints), a task's creator or
// aggregator (TaskManagerClient: tasks, responses, the QuorumSignature an aggregate is submitted with, challenges)
// and anyone driving a deal's quorum mediation (QuorumMediatorClient). Reverts are AccordContractError naming the
// custom error (OperatorRegistry_…, TaskManager_…, QuorumMediator_…); bad arguments AccordValidationError naming the
// field, thrown before anything is sent.

import {
  AbiCoder,
  getAddress,
  getBytes,
  hexlify,
  isHexString,
  keccak256,
  randomBytes,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import {
  IOperatorRegistry__factory,
  IQuorumMediator__factory,
  ITaskManager__factory,
  type IOperatorRegistry,
  type IQuorumMediator,
  type ITaskManager,
} from "../../typechain-types";
import type { QuorumSignatureStruct } from "../../typechain-types/contracts/interfaces/ITaskManager";
import type { AccordDeployment } from "../deployments";
import { operatorStatusNames, taskStatusNames } from "../model/enums";
import { AccordValidationError } from "../model/errors";
import type { OperatorStatusName, TaskStatusName } from "../model/types";
import { addressInput, bytes32Input, uintInput } from "../pools/inputs";
import {
  aggregateG1,
  aggregateG2,
  blsKeyHash,
  blsPublicKey,
  blsSign,
  BLS_POP_DST,
  decodeG2,
  encodeG1,
  encodeG2,
  type BlsSecretKey,
  type G1Point,
} from "../quorum/bls";
import { membersAt, OperatorHistory, type QuorumMember } from "../quorum/operator-set";
import {
  AccordClient,
  AccordClientError,
  loadClientDeployment,
  type AccordClientOptions,
  type AllowanceMode,
  type FromDeploymentOptions,
} from "./base";
import { decodeAccordLogs, type AccordLog, type AccordTxResult } from "./events";
import type { OnChainDealTerms } from "./terms";

/** The deployment names of the operator-quorum contracts. */
export const QUORUM_CONTRACT_NAMES = {
  operators: "OperatorRegistry",
  tasks: "TaskManager",
  quorumMediator: "QuorumMediator",
  squareVerifier: "SquareTaskVerifier",
} as const;

export type QuorumClientOptions = AccordClientOptions & {
  /** OperatorRegistry address. */
  operators?: string;
  /** TaskManager address. */
  tasks?: string;
  /** QuorumMediator address. */
  quorumMediator?: string;
  /** SquareTaskVerifier address (the square task type's verifier). */
  squareVerifier?: string;
};

// The enums' names by index, from the data model (src/model/types.ts: OperatorStatus, TaskStatus).
const OPERATOR_STATUS_NAMES = operatorStatusNames;
const TASK_STATUS_NAMES = taskStatusNames;

/** An operator's record as the registry keeps it. */
export type OperatorView = {
  operator: string;
  /** False for an address that never registered (every other field zero). */
  exists: boolean;
  keyHash: string;
  bond: bigint;
  /** Bit q set = in quorum q. */
  quorumBitmap: number;
  /** The quorums of the bitmap, ascending. */
  quorums: number[];
  status: number;
  statusName: OperatorStatusName;
  unbondingEndsAt: bigint;
  url: string;
};

export type QuorumCheckpointView = {
  index: number;
  fromBlock: number;
  operatorCount: number;
  totalStake: bigint;
  apkHash: string;
};

/** A task as TaskManager keeps it (the status is `taskStatus`'s, so Expired shows). */
export type TaskView = {
  taskId: string;
  exists: boolean;
  creator: string;
  quorum: number;
  thresholdPercent: number;
  status: number;
  statusName: TaskStatusName;
  referenceBlock: number;
  createdAt: bigint;
  responseDeadline: bigint;
  verifier: string;
  respondedAt: bigint;
  payloadHash: string;
  seed: string;
  responseHash: string;
  aggregator: string;
  signedStake: bigint;
  totalStake: bigint;
};

/** What creating a task takes. */
export type CreateTaskInput = {
  quorum: number;
  /** 1..100. */
  thresholdPercent: number;
  /** Seconds from creation to the response deadline. */
  responseWindow: bigint | number;
  /** Hex bytes. */
  payload: string;
  /** The task type's on-chain verifier; default none (address(0)). */
  verifier?: string;
  /** Any 32 bytes not used by this creator before; random when absent. */
  salt?: string;
};

/** One operator's BLS signature of a response (G1, EIP-2537 hex, or the point). */
export type CollectedSignature = { operator: string; signature: G1Point };

/** A QuorumSignature ready for `respondToTask`, with the accounting behind it. */
export type BuiltQuorumSignature = {
  signature: QuorumSignatureStruct;
  signers: string[];
  nonSigners: string[];
  signedStake: bigint;
  totalStake: bigint;
};

const OPERATOR_SUBJECT = "operator";
const TASK_SUBJECT = "task";
const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";
const MAX_QUORUMS = 8;

function quorumInput(value: unknown, field = "quorum", subject = OPERATOR_SUBJECT): number {
  return Number(uintInput(value, field, 8, subject));
}

/** A bitmap of quorums from a list (each 0..7), refused when empty or out of range. */
export function quorumBitmapOf(quorums: readonly number[], field = "quorums"): number {
  if (quorums.length === 0) throw new AccordValidationError(field, "must name at least one quorum");
  let bitmap = 0;
  for (const [i, q] of quorums.entries()) {
    if (!Number.isInteger(q) || q < 0 || q >= MAX_QUORUMS) {
      throw new AccordValidationError(`${field}[${i}]`, `must be a quorum number from 0 to ${MAX_QUORUMS - 1}`);
    }
    bitmap |= 1 << q;
  }
  return bitmap;
}

/** The quorums of a bitmap, ascending. */
export function quorumsOfBitmap(bitmap: number): number[] {
  const quorums: number[] = [];
  for (let q = 0; q < MAX_QUORUMS; q++) if ((bitmap >> q) & 1) quorums.push(q);
  return quorums;
}

function hexBytesInput(value: unknown, field: string, subject: string): string {
  if (typeof value !== "string" || !isHexString(value) || value.length % 2 !== 0) {
    throw new AccordValidationError(field, "must be 0x-prefixed hex bytes", { subject });
  }
  return value.toLowerCase();
}

type QuorumClientConstructor<T> = new (signer: Signer, options: QuorumClientOptions) => T;

/** What the three clients share: the addresses of the quorum contracts, read from a deployment. */
abstract class QuorumContractsClient extends AccordClient {
  declare readonly options: Readonly<QuorumClientOptions>;

  /** A client on the quorum contracts of a deployment, checked against the signer's chain. */
  static override async fromDeployment<T extends AccordClient>(
    this: QuorumClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: FromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const contracts = loaded.contracts;
    const operators = contracts[QUORUM_CONTRACT_NAMES.operators];
    if (!operators) throw new AccordClientError("NOT_CONFIGURED", "the deployment has no OperatorRegistry");
    return new this(signer, {
      fromBlock: operators.blockNumber,
      ...clientOptions,
      operators: operators.address,
      tasks: contracts[QUORUM_CONTRACT_NAMES.tasks]?.address,
      quorumMediator: contracts[QUORUM_CONTRACT_NAMES.quorumMediator]?.address,
      squareVerifier: contracts[QUORUM_CONTRACT_NAMES.squareVerifier]?.address,
      market: contracts.DealMarket.address,
      registry: contracts.ServiceRegistry.address,
      token: contracts.AccordToken.address,
    });
  }

  /** Decodes the Accord events (the quorum contracts' included) among a receipt's logs. */
  override decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, {
      market: this.options.market,
      registry: this.options.registry,
      token: this.options.token,
      operators: this.options.operators,
      tasks: this.options.tasks,
      quorumMediator: this.options.quorumMediator,
    });
  }

  protected need(address: string | undefined, name: string): string {
    if (!address) throw new AccordClientError("NOT_CONFIGURED", `no ${name} address was given to this client`);
    return address;
  }
}

/**
 * OperatorRegistry as an operator uses it: registering (the proof of possession is made here from the secret key),
 * bonding, quorums, its URL, unbonding and withdrawal; and the reads an aggregator needs (records, checkpoints, the
 * operator set of a quorum at a block, rebuilt from the registry's events).
 */
export class OperatorRegistryClient extends QuorumContractsClient {
  #operators: IOperatorRegistry | undefined;

  get operators(): IOperatorRegistry {
    this.#operators ??= IOperatorRegistry__factory.connect(
      this.need(this.options.operators, "OperatorRegistry"),
      this.signer,
    );
    return this.#operators;
  }

  /*//////////////////////////////////////////////////////////////
                                  READS
  //////////////////////////////////////////////////////////////*/

  async getOperator(operator?: string): Promise<OperatorView> {
    const who = operator === undefined ? await this.getAddress() : addressInput(operator, "operator", OPERATOR_SUBJECT);
    const raw = await this.read("getOperator", () => this.operators.getOperator(who));
    const status = Number(raw.status);
    const bitmap = Number(raw.quorums);
    return {
      operator: who,
      exists: status !== 0,
      keyHash: raw.keyHash,
      bond: raw.bond,
      quorumBitmap: bitmap,
      quorums: quorumsOfBitmap(bitmap),
      status,
      statusName: OPERATOR_STATUS_NAMES[status] ?? "None",
      unbondingEndsAt: raw.unbondingEndsAt,
      url: raw.url,
    };
  }

  /** The registered G2 key of an operator (EIP-2537 hex; "0x" if none). */
  async publicKeyOf(operator: string): Promise<string> {
    const who = addressInput(operator, "operator", OPERATOR_SUBJECT);
    return this.read("publicKeyOf", () => this.operators.publicKeyOf(who));
  }

  async minBond(): Promise<bigint> {
    return this.read("minBond", () => this.operators.minBond());
  }

  /** The EIP-712 digest a key signs as its proof of possession for `operator`. */
  async registrationDigest(operator: string, publicKey: string): Promise<string> {
    const who = addressInput(operator, "operator", OPERATOR_SUBJECT);
    return this.read("registrationDigest", () => this.operators.registrationDigest(who, publicKey));
  }

  /** The quorum's checkpoint in force at `blockNumber` (its index found with `quorumCheckpointIndexAt`). */
  async quorumCheckpointAt(quorum: number, blockNumber: number): Promise<QuorumCheckpointView> {
    const q = quorumInput(quorum);
    const block = Number(uintInput(blockNumber, "blockNumber", 32, OPERATOR_SUBJECT));
    const index = Number(
      await this.read("quorumCheckpointIndexAt", () => this.operators.quorumCheckpointIndexAt(q, block)),
    );
    return this.quorumCheckpoint(q, index);
  }

  async quorumCheckpoint(quorum: number, index: number): Promise<QuorumCheckpointView> {
    const q = quorumInput(quorum);
    const raw = await this.read("quorumCheckpoint", () => this.operators.quorumCheckpoint(q, index));
    return {
      index,
      fromBlock: Number(raw.fromBlock),
      operatorCount: Number(raw.operatorCount),
      totalStake: raw.totalStake,
      apkHash: raw.apkHash,
    };
  }

  async quorumCheckpointCount(quorum: number): Promise<number> {
    const q = quorumInput(quorum);
    return Number(await this.read("quorumCheckpointCount", () => this.operators.quorumCheckpointCount(q)));
  }

  /** The index of the quorum checkpoint in force at `blockNumber`. */
  async quorumCheckpointIndexAt(quorum: number, blockNumber: number): Promise<number> {
    const q = quorumInput(quorum);
    return Number(
      await this.read("quorumCheckpointIndexAt", () => this.operators.quorumCheckpointIndexAt(q, blockNumber)),
    );
  }

  /** The index of the operator's stake checkpoint in force at `blockNumber`. */
  async stakeIndexAt(operator: string, quorum: number, blockNumber: number): Promise<number> {
    const who = addressInput(operator, "operator", OPERATOR_SUBJECT);
    const q = quorumInput(quorum);
    return Number(await this.read("stakeIndexAt", () => this.operators.stakeIndexAt(who, q, blockNumber)));
  }

  /** The operator's stake in a quorum at `blockNumber` (0 when it had no checkpoint yet). */
  async stakeAt(operator: string, quorum: number, blockNumber: number): Promise<bigint> {
    const who = addressInput(operator, "operator", OPERATOR_SUBJECT);
    const q = quorumInput(quorum);
    const count = await this.read("stakeCheckpointCount", () => this.operators.stakeCheckpointCount(who, q));
    if (count === 0n) return 0n;
    const first = await this.read("stakeCheckpoint", () => this.operators.stakeCheckpoint(who, q, 0));
    if (Number(first.fromBlock) > blockNumber) return 0n;
    const index = await this.stakeIndexAt(who, q, blockNumber);
    return this.read("stakeAt", () => this.operators.stakeAt(who, q, blockNumber, index));
  }

  /** The registry's events from the client's fromBlock to `toBlock` (default latest), in chain order. */
  async registryEvents(fromBlock = this.fromBlock, toBlock?: number, range = 5000): Promise<AccordLog[]> {
    const address = await this.operators.getAddress();
    const last = toBlock ?? (await this.provider.getBlockNumber());
    const events: AccordLog[] = [];
    for (let from = fromBlock; from <= last; from += range) {
      const logs = await this.provider.getLogs({ address, fromBlock: from, toBlock: Math.min(last, from + range - 1) });
      events.push(...decodeAccordLogs(logs, { operators: address }));
    }
    return events;
  }

  /**
   * The quorum's operators at `blockNumber` (keys, stakes, URLs), rebuilt from the registry's events (one scan; the
   * operator node keeps an OperatorSet that advances incrementally instead).
   */
  async operatorSetAt(quorum: number, blockNumber: number): Promise<QuorumMember[]> {
    const history = new OperatorHistory();
    history.apply(await this.registryEvents(this.fromBlock, blockNumber));
    return membersAt(history, quorumInput(quorum), blockNumber);
  }

  /*//////////////////////////////////////////////////////////////
                               TRANSACTIONS
  //////////////////////////////////////////////////////////////*/

  /**
   * Registers the signer with the BLS key of `secretKey`: the proof of possession is the key's signature (DST
   * BLS_POP_DST) of `registrationDigest(signer, publicKey)`; bonds `bond` (approving the registry first when the
   * allowance is short) and joins `quorums`.
   */
  async register(
    input: { secretKey: BlsSecretKey; url: string; bond: bigint | number | string; quorums: readonly number[] },
    options: { allowance?: AllowanceMode } = {},
  ): Promise<AccordTxResult> {
    if (typeof input.url !== "string" || input.url.length === 0) {
      throw new AccordValidationError("url", "must not be empty", { subject: OPERATOR_SUBJECT });
    }
    const bond = uintInput(input.bond, "bond", 96, OPERATOR_SUBJECT, "token units");
    const bitmap = quorumBitmapOf(input.quorums);
    const publicKey = encodeG2(blsPublicKey(input.secretKey));
    const digest = await this.registrationDigest(await this.getAddress(), publicKey);
    const proof = encodeG1(blsSign(input.secretKey, getBytes(digest), BLS_POP_DST));
    await this.#ensureBondAllowance(bond, options.allowance);
    return this.send("register", (overrides) =>
      this.operators.register(publicKey, proof, input.url, bond, bitmap, overrides),
    );
  }

  /** Adds `amount` to the signer's bond (approving first when short). */
  async increaseBond(amount: bigint | number | string, options: { allowance?: AllowanceMode } = {}) {
    const value = uintInput(amount, "amount", 96, OPERATOR_SUBJECT, "token units");
    await this.#ensureBondAllowance(value, options.allowance);
    return this.send("increaseBond", (overrides) => this.operators.increaseBond(value, overrides));
  }

  setUrl(url: string): Promise<AccordTxResult> {
    return this.send("setUrl", (overrides) => this.operators.setUrl(url, overrides));
  }

  joinQuorum(quorum: number): Promise<AccordTxResult> {
    const q = quorumInput(quorum);
    return this.send("joinQuorum", (overrides) => this.operators.joinQuorum(q, overrides));
  }

  leaveQuorum(quorum: number): Promise<AccordTxResult> {
    const q = quorumInput(quorum);
    return this.send("leaveQuorum", (overrides) => this.operators.leaveQuorum(q, overrides));
  }

  /** Leaves every quorum and starts the unbonding delay. */
  startUnbonding(): Promise<AccordTxResult> {
    return this.send("startUnbonding", (overrides) => this.operators.startUnbonding(overrides));
  }

  /** Pays the bond to `to` (default the signer) once the unbonding delay has passed. */
  async withdrawBond(to?: string): Promise<AccordTxResult> {
    const recipient = to === undefined ? await this.getAddress() : addressInput(to, "to", OPERATOR_SUBJECT);
    return this.send("withdrawBond", (overrides) => this.operators.withdrawBond(recipient, overrides));
  }

  async #ensureBondAllowance(amount: bigint, mode: AllowanceMode = this.allowanceMode): Promise<void> {
    // The token is read only when an approval may be needed.
    if (mode === "none" || amount === 0n) return;
    const tokenAddress = await this.read("token", () => this.operators.token());
    await this.approveShortfall(tokenAddress, await this.operators.getAddress(), amount, mode, {
      contract: "OperatorRegistry",
      subject: OPERATOR_SUBJECT,
    });
  }
}

/**
 * TaskManager for creators and aggregators: tasks, their reads, the digest the quorum signs, the QuorumSignature an
 * aggregate is submitted with (non-signers and checkpoint indices worked out here), responses and challenges.
 */
export class TaskManagerClient extends QuorumContractsClient {
  #tasks: ITaskManager | undefined;
  #registry: OperatorRegistryClient | undefined;
  #slot: Promise<bigint> | undefined;

  get tasks(): ITaskManager {
    this.#tasks ??= ITaskManager__factory.connect(this.need(this.options.tasks, "TaskManager"), this.signer);
    return this.#tasks;
  }

  /** An OperatorRegistryClient on the same signer and registry (for the operator set and checkpoint indices). */
  get operatorRegistry(): OperatorRegistryClient {
    this.#registry ??= new OperatorRegistryClient(this.signer, this.options);
    return this.#registry;
  }

  /** The ID a creator's task with `salt` gets: keccak256(abi.encode(creator, salt)). */
  static taskIdOf(creator: string, salt: string): string {
    return keccak256(AbiCoder.defaultAbiCoder().encode(["address", "bytes32"], [creator, salt]));
  }

  /** Seconds each aggregator of a task's order holds its slot (cached: the contract's is immutable). */
  aggregatorSlot(): Promise<bigint> {
    this.#slot ??= this.read("aggregatorSlot", () => this.tasks.aggregatorSlot());
    return this.#slot;
  }

  async getTask(taskId: string): Promise<TaskView> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    const [raw, status] = await Promise.all([
      this.read("getTask", () => this.tasks.getTask(id)),
      this.read("taskStatus", () => this.tasks.taskStatus(id)),
    ]);
    const statusNumber = Number(status);
    return {
      taskId: id,
      exists: Number(raw.status) !== 0,
      creator: getAddress(raw.creator),
      quorum: Number(raw.quorum),
      thresholdPercent: Number(raw.thresholdPercent),
      status: statusNumber,
      statusName: TASK_STATUS_NAMES[statusNumber] ?? "None",
      referenceBlock: Number(raw.referenceBlock),
      createdAt: raw.createdAt,
      responseDeadline: raw.responseDeadline,
      verifier: getAddress(raw.verifier),
      respondedAt: raw.respondedAt,
      payloadHash: raw.payloadHash,
      seed: raw.seed,
      responseHash: raw.responseHash,
      aggregator: getAddress(raw.aggregator),
      signedStake: raw.signedStake,
      totalStake: raw.totalStake,
    };
  }

  async taskStatus(taskId: string): Promise<TaskStatusName> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    const status = Number(await this.read("taskStatus", () => this.tasks.taskStatus(id)));
    return TASK_STATUS_NAMES[status] ?? "None";
  }

  async isFinal(taskId: string): Promise<boolean> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    return this.read("isFinal", () => this.tasks.isFinal(id));
  }

  /** The 32-byte digest the quorum signs for `response` (hex bytes) to task `taskId`. */
  async responseDigest(taskId: string, response: string): Promise<string> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    const responseHash = keccak256(hexBytesInput(response, "response", TASK_SUBJECT));
    return this.read("responseDigest", () => this.tasks.responseDigest(id, responseHash));
  }

  /**
   * The QuorumSignature for `signatures` (each an operator's G1 signature of the same response) against the quorum's
   * operators at the task's reference block (`members`, default rebuilt from the registry's events): non-signers =
   * members − signers, sorted by key hash, with their stake checkpoint indices; the quorum's aggregate key (the sum of
   * the members' keys, checked against the checkpoint's hash) and checkpoint index. Signatures of non-members are
   * left out.
   */
  async buildQuorumSignature(
    task: Pick<TaskView, "quorum" | "referenceBlock">,
    signatures: readonly CollectedSignature[],
    members?: readonly QuorumMember[],
  ): Promise<BuiltQuorumSignature> {
    const registry = this.operatorRegistry;
    const set = members ?? (await registry.operatorSetAt(task.quorum, task.referenceBlock));
    const byAddress = new Map(set.map((member) => [member.operator.toLowerCase(), member]));
    const signing = new Map<string, G1Point>();
    for (const { operator, signature } of signatures) {
      const key = operator.toLowerCase();
      if (byAddress.has(key) && !signing.has(key)) signing.set(key, signature);
    }
    if (signing.size === 0) throw new AccordClientError("INVALID_ARGUMENT", "no signature of a quorum member");
    const nonSignerMembers = set
      .filter((member) => !signing.has(member.operator.toLowerCase()))
      .sort((a, b) => (BigInt(a.keyHash) < BigInt(b.keyHash) ? -1 : 1));
    const checkpointIndex = await registry.quorumCheckpointIndexAt(task.quorum, task.referenceBlock);
    const checkpoint = await registry.quorumCheckpoint(task.quorum, checkpointIndex);
    const apk = encodeG2(aggregateG2(set.map((member) => decodeG2(member.publicKey))));
    if (keccak256(apk) !== checkpoint.apkHash) {
      // The operator set rebuilt from events disagrees with the chain: submitting would revert ApkMismatch.
      throw new AccordClientError(
        "NOT_FOUND",
        `the operator set of quorum ${task.quorum} at block ${task.referenceBlock} does not match its checkpoint`,
      );
    }
    const stakeIndices = await Promise.all(
      nonSignerMembers.map((member) => registry.stakeIndexAt(member.operator, task.quorum, task.referenceBlock)),
    );
    const totalStake = set.reduce((sum, member) => sum + member.stake, 0n);
    const signedStake = [...signing.keys()].reduce((sum, key) => sum + byAddress.get(key)!.stake, 0n);
    return {
      signature: {
        nonSignerKeys: nonSignerMembers.map((member) => member.publicKey),
        nonSignerStakeIndices: stakeIndices,
        quorumApk: apk,
        quorumCheckpointIndex: checkpointIndex,
        signature: encodeG1(aggregateG1([...signing.values()])),
      },
      signers: [...signing.keys()].map((key) => byAddress.get(key)!.operator),
      nonSigners: nonSignerMembers.map((member) => member.operator),
      signedStake,
      totalStake,
    };
  }

  /** Creates a task; returns its ID with the transaction. */
  async createTask(input: CreateTaskInput): Promise<{ taskId: string; result: AccordTxResult }> {
    const quorum = quorumInput(input.quorum, "quorum", TASK_SUBJECT);
    const threshold = Number(uintInput(input.thresholdPercent, "thresholdPercent", 8, TASK_SUBJECT, "percent"));
    const window = uintInput(input.responseWindow, "responseWindow", 64, TASK_SUBJECT, "seconds");
    const payload = hexBytesInput(input.payload, "payload", TASK_SUBJECT);
    const verifier =
      input.verifier === undefined ? ZERO_ADDRESS : addressInput(input.verifier, "verifier", TASK_SUBJECT);
    const salt = input.salt === undefined ? hexlify(randomBytes(32)) : bytes32Input(input.salt, "salt", TASK_SUBJECT);
    const taskId = TaskManagerClient.taskIdOf(await this.getAddress(), salt);
    const result = await this.send("createTask", (overrides) =>
      this.tasks.createTask(salt, quorum, threshold, window, verifier, payload, overrides),
    );
    return { taskId, result };
  }

  /** Submits a quorum's attested response. */
  respondToTask(taskId: string, response: string, signature: QuorumSignatureStruct): Promise<AccordTxResult> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    const bytes = hexBytesInput(response, "response", TASK_SUBJECT);
    return this.send("respondToTask", (overrides) => this.tasks.respondToTask(id, bytes, signature, overrides));
  }

  /** Proves a responded task's response wrong (tasks with a verifier, within the challenge window). */
  challengeResponse(taskId: string, payload: string, response: string): Promise<AccordTxResult> {
    const id = bytes32Input(taskId, "taskId", TASK_SUBJECT);
    const payloadBytes = hexBytesInput(payload, "payload", TASK_SUBJECT);
    const responseBytes = hexBytesInput(response, "response", TASK_SUBJECT);
    return this.send("challengeResponse", (overrides) =>
      this.tasks.challengeResponse(id, payloadBytes, responseBytes, overrides),
    );
  }
}

/** QuorumMediator: asking a quorum for a deal's verdict, applying it, and the aggregators' fee withdrawals. */
export class QuorumMediatorClient extends QuorumContractsClient {
  #mediator: IQuorumMediator | undefined;

  get quorumMediator(): IQuorumMediator {
    this.#mediator ??= IQuorumMediator__factory.connect(
      this.need(this.options.quorumMediator, "QuorumMediator"),
      this.signer,
    );
    return this.#mediator;
  }

  /** The task of a deal's latest verdict request (zero if none) and how many were made. */
  async verdictTask(dealKey: string): Promise<{ taskId: string; attempts: number }> {
    const key = bytes32Input(dealKey, "dealKey", "deal");
    const [taskId, attempts] = await this.read("verdictTask", () => this.quorumMediator.verdictTask(key));
    return { taskId, attempts: Number(attempts) };
  }

  async credit(account?: string): Promise<bigint> {
    const who = account === undefined ? await this.getAddress() : addressInput(account, "account", "deal");
    return this.read("credit", () => this.quorumMediator.credit(who));
  }

  /** Asks the quorum for a verdict on a deal this contract was drawn to mediate; returns the task's ID. */
  async requestVerdict(
    dealId: string,
    terms: OnChainDealTerms,
    instructionCount: bigint | number,
  ): Promise<{ taskId: string; result: AccordTxResult }> {
    const id = bytes32Input(dealId, "dealId", "deal");
    const count = uintInput(instructionCount, "instructionCount", 64, "deal");
    const result = await this.send("requestVerdict", (overrides) =>
      this.quorumMediator.requestVerdict(id, terms, count, overrides),
    );
    const requested = result.find("VerdictRequested");
    if (!requested)
      throw new AccordClientError("NOT_FOUND", `requestVerdict ${result.hash} emitted no VerdictRequested`);
    return { taskId: requested.args.taskId, result };
  }

  /** Applies the quorum's final verdict to the deal (anyone may). */
  applyVerdict(dealId: string, terms: OnChainDealTerms, instructionCount: bigint | number): Promise<AccordTxResult> {
    const id = bytes32Input(dealId, "dealId", "deal");
    const count = uintInput(instructionCount, "instructionCount", 64, "deal");
    return this.send("applyVerdict", (overrides) => this.quorumMediator.applyVerdict(id, terms, count, overrides));
  }

  /** Pays the signer's credited fees to `to` (default the signer); QuorumMediator's, not the market's withdraw. */
  override async withdraw(to?: string): Promise<AccordTxResult> {
    const recipient = to === undefined ? await this.getAddress() : addressInput(to, "to", "deal");
    return this.send("withdraw", (overrides) => this.quorumMediator.withdraw(recipient, overrides));
  }
}

/** The key hash of a G2 key's encoding (the order non-signers are sorted in). */
export function keyHashOf(publicKey: string): string {
  return blsKeyHash(decodeG2(publicKey));
}
