// JobEscrow by role: the requester opens a job on a machine (approving exactly what it locks), the provider accepts,
// reports completion and signs its report for the oracles, anyone submits an attestation, a refund whose time has
// come, or (for a job whose oracle is the operator quorum) QuorumJobOracle's request and application; each party
// withdraws a deferred payout. Reads give a job as `getJob` holds it with its status by name, its oracle set (from
// its JobOpened event: the chain stores only the set's hash) and the facts an oracle decides by.
//
// Reverts are AccordContractError naming the custom error (JobEscrow_…, QuorumJobOracle_…); bad arguments are
// AccordValidationError naming the field, thrown before anything is sent.

import { hexlify, randomBytes, type Signer, type TransactionReceipt } from "ethers";
import {
  IERC20__factory,
  IJobEscrow__factory,
  IQuorumJobOracle__factory,
  type IERC20,
  type IJobEscrow,
  type IQuorumJobOracle,
} from "../../typechain-types";
import type { AccordDeployment } from "../deployments";
import {
  encodeJobAttestationResponse,
  hashOracleSet,
  isContractOracleSet,
  jobEscrowDomain,
  orderSignatures,
  parseAttestation,
  parseOracleSet,
  quoteJob,
  signJobReport,
  type Attestation,
  type JobFacts,
  type JobQuote,
  type JobReport,
  type OracleSet,
  type SignedJobReport,
} from "../escrow";
import { jobStatusNames } from "../model/enums";
import { AccordValidationError } from "../model/errors";
import type { JobStatusName } from "../model/types";
import { addressInput, bytes32Input, uintInput, ZERO_BYTES32 } from "../pools/inputs";
import {
  AccordClient,
  AccordClientError,
  loadClientDeployment,
  type AccordClientOptions,
  type FromDeploymentOptions,
} from "./base";
import { decodeAccordLogs, eventsNamed, type AccordLog, type AccordTxResult } from "./events";

export const JOB_ESCROW_CONTRACT_NAME = "JobEscrow";
export const QUORUM_JOB_ORACLE_CONTRACT_NAME = "QuorumJobOracle";

export type JobEscrowClientOptions = AccordClientOptions & {
  /** JobEscrow address. */
  escrow?: string;
  /** QuorumJobOracle address (for jobs whose oracle is the operator quorum). */
  jobOracle?: string;
};

/** A job's record as `getJob` holds it, with its status by name. `exists` is false for an unknown ID. */
export type JobView = {
  jobId: string;
  exists: boolean;
  requester: string;
  provider: string;
  machineId: string;
  status: number;
  statusName: JobStatusName;
  openedAt: bigint;
  acceptedAt: bigint;
  completedAt: bigint;
  timeLimit: bigint;
  maxPrice: bigint;
  pricePerMinute: bigint;
  oracleHash: string;
  reportedRunSeconds: bigint;
  /** The attested outcome (Attested only). */
  bps: number;
  runSeconds: bigint;
};

export type OpenJobInput = {
  machineId: string;
  /** Seconds, 1..MAX_TIME_LIMIT. */
  timeLimit: bigint | number;
  /** The most the provider can be paid, in token units; locked on open. */
  maxPrice: bigint;
  oracle: OracleSet;
  /** Makes the job's ID with the requester's address; default random. */
  salt?: string;
};

export type OpenJobTxResult = AccordTxResult & { jobId: string; salt: string; oracleHash: string };

const SUBJECT = "job";

type EscrowClientConstructor<T> = new (signer: Signer, options: JobEscrowClientOptions) => T;

/** Reads and the calls anyone may make; JobRequesterClient and JobProviderClient add each party's. */
export class JobEscrowClient extends AccordClient {
  declare readonly options: Readonly<JobEscrowClientOptions>;
  #escrow: IJobEscrow | undefined;
  #jobOracle: IQuorumJobOracle | undefined;
  #paymentToken: Promise<IERC20> | undefined;

  constructor(signer: Signer, options: JobEscrowClientOptions = {}) {
    super(signer, options);
  }

  /** A client on the JobEscrow (and QuorumJobOracle) of a deployment, checked against the signer's chain. */
  static override async fromDeployment<T extends AccordClient>(
    this: EscrowClientConstructor<T>,
    signer: Signer,
    deployment: AccordDeployment | string,
    options: FromDeploymentOptions = {},
  ): Promise<T> {
    const { loaded, clientOptions } = await loadClientDeployment(signer, deployment, options);
    const contracts = loaded.contracts;
    const escrow = contracts[JOB_ESCROW_CONTRACT_NAME];
    if (!escrow) throw new AccordClientError("NOT_CONFIGURED", "the deployment has no JobEscrow");
    return new this(signer, {
      fromBlock: escrow.blockNumber,
      ...clientOptions,
      escrow: escrow.address,
      jobOracle: contracts[QUORUM_JOB_ORACLE_CONTRACT_NAME]?.address,
    });
  }

  get escrow(): IJobEscrow {
    if (!this.options.escrow)
      throw new AccordClientError("NOT_CONFIGURED", "no JobEscrow address was given to this client");
    this.#escrow ??= IJobEscrow__factory.connect(this.options.escrow, this.signer);
    return this.#escrow;
  }

  get jobOracle(): IQuorumJobOracle {
    if (!this.options.jobOracle) {
      throw new AccordClientError("NOT_CONFIGURED", "no QuorumJobOracle address was given to this client");
    }
    this.#jobOracle ??= IQuorumJobOracle__factory.connect(this.options.jobOracle, this.signer);
    return this.#jobOracle;
  }

  /** The token jobs are paid in (`escrow.token()`). */
  paymentToken(): Promise<IERC20> {
    this.#paymentToken ??= this.read("token", () => this.escrow.token()).then((address) =>
      IERC20__factory.connect(address, this.signer),
    );
    return this.#paymentToken;
  }

  /** The EIP-712 domain of this escrow's attestations and reports. */
  async domain() {
    return jobEscrowDomain(await this.getChainId(), this.options.escrow ?? (await this.escrow.getAddress()));
  }

  /** The ID `requester` (default: the signer) gets for a job opened with `salt`. */
  async jobIdOf(salt: string, requester?: string): Promise<string> {
    const who = requester === undefined ? await this.getAddress() : addressInput(requester, "requester", SUBJECT);
    return this.read("jobId", () => this.escrow.jobId(who, bytes32Input(salt, "salt", SUBJECT, { allowZero: true })));
  }

  async getJob(jobId: string): Promise<JobView> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const raw = await this.read("getJob", () => this.escrow.getJob(id));
    const status = Number(raw.status);
    return {
      jobId: id,
      exists: status !== 0,
      requester: raw.requester,
      provider: raw.provider,
      machineId: raw.machineId,
      status,
      statusName: jobStatusNames[status] ?? "None",
      openedAt: raw.openedAt,
      acceptedAt: raw.acceptedAt,
      completedAt: raw.completedAt,
      timeLimit: raw.timeLimit,
      maxPrice: raw.maxPrice,
      pricePerMinute: raw.pricePerMinute,
      oracleHash: raw.oracleHash,
      reportedRunSeconds: raw.reportedRunSeconds,
      bps: Number(raw.bps),
      runSeconds: raw.runSeconds,
    };
  }

  /** What the chain says of a job, as an oracle decides by it (src/escrow's decideOutcome). */
  async jobFacts(jobId: string): Promise<JobFacts & { job: JobView }> {
    const job = await this.getJob(jobId);
    const [completesAt, attestable] = await Promise.all([
      this.read("completionTime", () => this.escrow.completionTime(job.jobId)),
      this.read("isAttestable", () => this.escrow.isAttestable(job.jobId)),
    ]);
    return {
      job,
      exists: job.exists,
      status: job.statusName,
      provider: job.provider,
      timeLimit: job.timeLimit,
      acceptedAt: job.acceptedAt,
      completesAt,
      reportedRunSeconds: job.statusName === "Completed" ? job.reportedRunSeconds : undefined,
      attestable,
    };
  }

  /** A job's oracle set, from its JobOpened event, checked against the hash the job stores. */
  async getOracleSet(jobId: string): Promise<OracleSet> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const address = await this.escrow.getAddress();
    const logs = await this.provider.getLogs({
      address,
      topics: [this.escrow.interface.getEvent("JobOpened").topicHash, id],
      fromBlock: this.fromBlock,
      toBlock: "latest",
    });
    const opened = eventsNamed(decodeAccordLogs(logs, { escrow: address }), "JobOpened").find(
      (e) => e.args.jobId === id,
    );
    if (!opened) throw new AccordClientError("NOT_FOUND", `no JobOpened event for job ${id}`);
    const { signers, threshold, oracleContract } = opened.args.oracle;
    const set = parseOracleSet({ signers: [...signers], threshold: Number(threshold), oracleContract });
    if (hashOracleSet(set) !== opened.args.oracleHash) {
      throw new AccordClientError("NOT_FOUND", `job ${id}'s JobOpened oracle set does not hash to its oracleHash`);
    }
    return set;
  }

  /** What an outcome of `job` would pay (src/escrow's quoteJob, the contract's `quote`). */
  quote(
    job: Pick<JobView, "maxPrice" | "pricePerMinute">,
    attestation: Pick<Attestation, "bps" | "runSeconds">,
  ): JobQuote {
    return quoteJob({ ...job, ...attestation });
  }

  /**
   * Submits an m-of-n attestation: `signatures` in any order (each checked against the set, placed at its
   * signer's index, at least the threshold), the set read from the job's JobOpened event unless given.
   */
  async attest(
    attestationInput: Attestation,
    signatures: readonly string[],
    oracle?: OracleSet,
  ): Promise<AccordTxResult> {
    const attestation = parseAttestation(attestationInput);
    const set = oracle ?? (await this.getOracleSet(attestation.jobId));
    if (isContractOracleSet(set)) {
      throw new AccordValidationError("oracle", "is an oracle contract: it attests by attestByOracle, not signatures", {
        subject: "attestation",
      });
    }
    const ordered = orderSignatures(attestation, set, await this.domain(), signatures);
    return this.send("attest", (overrides) => this.escrow.attest(attestation, set, ordered, overrides));
  }

  /** Refunds a job its provider did not accept within the acceptance timeout (anyone may call). */
  async refundUnaccepted(jobId: string): Promise<AccordTxResult> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    return this.send("refundUnaccepted", (overrides) => this.escrow.refundUnaccepted(id, overrides));
  }

  /** Refunds a completed job no attestation came for within the window (anyone may call). */
  async refundUnattested(jobId: string): Promise<AccordTxResult> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    return this.send("refundUnattested", (overrides) => this.escrow.refundUnattested(id, overrides));
  }

  /** What the signer (or `account`) can withdraw: payouts whose transfer failed. */
  async deferredPayout(account?: string): Promise<bigint> {
    const who = account === undefined ? await this.getAddress() : addressInput(account, "account", SUBJECT);
    return this.read("deferredPayouts", () => this.escrow.deferredPayouts(who));
  }

  /** Pays the signer's deferred payouts to `to` (default the signer). */
  override async withdraw(to?: string): Promise<AccordTxResult> {
    const recipient = to === undefined ? await this.getAddress() : addressInput(to, "to", SUBJECT);
    return this.send("withdraw", (overrides) => this.escrow.withdraw(recipient, overrides));
  }

  /*//////////////////////////////////////////////////////////////
                     THE OPERATOR QUORUM AS ORACLE
  //////////////////////////////////////////////////////////////*/

  /** The task of a job's latest QuorumJobOracle request (zero if none) and how many were made. */
  async quorumAttestationTask(jobId: string): Promise<{ taskId: string; attempts: number }> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const [taskId, attempts] = await this.read("attestationTask", () => this.jobOracle.attestationTask(id));
    return { taskId, attempts: Number(attempts) };
  }

  /** Asks the operator quorum to attest a completed job whose oracle is QuorumJobOracle (anyone may call). */
  async requestQuorumAttestation(jobId: string): Promise<AccordTxResult & { taskId: string }> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const result = await this.send("requestAttestation", (overrides) =>
      this.jobOracle.requestAttestation(id, overrides),
    );
    return Object.assign(result, { taskId: result.get("AttestationRequested").args.taskId });
  }

  /**
   * Applies the quorum's final response to the job (anyone may call): the outcome it answered, or the response bytes
   * as its TaskResponded event carries them.
   */
  async applyQuorumAttestation(
    jobId: string,
    response: Pick<Attestation, "bps" | "runSeconds"> | string,
  ): Promise<AccordTxResult> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const bytes = typeof response === "string" ? response : encodeJobAttestationResponse(response);
    return this.send("applyAttestation", (overrides) => this.jobOracle.applyAttestation(id, bytes, overrides));
  }

  /** Decodes the escrow's and the job oracle's events among a receipt's logs (and the token's). */
  override decodeLogs(logs: TransactionReceipt["logs"]): AccordLog[] {
    return decodeAccordLogs(logs, { escrow: this.options.escrow, jobOracle: this.options.jobOracle });
  }
}

/** The requester: opens jobs, locking `maxPrice` (approving it to the escrow first when needed). */
export class JobRequesterClient extends JobEscrowClient {
  async open(input: OpenJobInput): Promise<OpenJobTxResult> {
    const machineId = bytes32Input(input.machineId, "machineId", SUBJECT);
    const timeLimit = uintInput(input.timeLimit, "timeLimit", 32, SUBJECT, "seconds");
    if (timeLimit === 0n)
      throw new AccordValidationError("timeLimit", "must be at least 1 second", { subject: SUBJECT });
    const maxPrice = uintInput(input.maxPrice, "maxPrice", 128, SUBJECT, "token units");
    if (maxPrice === 0n) throw new AccordValidationError("maxPrice", "must be above 0", { subject: SUBJECT });
    const oracle = parseOracleSet(input.oracle);
    const salt =
      input.salt === undefined
        ? hexlify(randomBytes(32))
        : bytes32Input(input.salt, "salt", SUBJECT, { allowZero: true });
    const approval = await this.#ensureEscrowAllowance(maxPrice);
    const result = await this.send("open", (overrides) =>
      this.escrow.open(salt, machineId, timeLimit, maxPrice, oracle, overrides),
    );
    result.approval = approval;
    const opened = result.get("JobOpened").args;
    return Object.assign(result, { jobId: opened.jobId, salt, oracleHash: opened.oracleHash });
  }

  /** Approves the escrow for `amount` unless it already may pull that much (mode "none": never). */
  async #ensureEscrowAllowance(amount: bigint): Promise<AccordTxResult | undefined> {
    const token = await (await this.paymentToken()).getAddress();
    return this.approveShortfall(token, await this.escrow.getAddress(), amount, this.allowanceMode, {
      contract: "JobEscrow",
      subject: SUBJECT,
    });
  }
}

/** The provider: accepts jobs on its machines, reports them complete and signs its report for the oracles. */
export class JobProviderClient extends JobEscrowClient {
  async accept(jobId: string): Promise<AccordTxResult> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    return this.send("accept", (overrides) => this.escrow.accept(id, overrides));
  }

  /** Reports the job complete after `runSeconds` (at most its time limit); the attestation window starts. */
  async reportCompletion(jobId: string, runSeconds: bigint | number): Promise<AccordTxResult> {
    const id = bytes32Input(jobId, "jobId", SUBJECT);
    const run = uintInput(runSeconds, "runSeconds", 64, SUBJECT, "seconds");
    return this.send("reportCompletion", (overrides) => this.escrow.reportCompletion(id, run, overrides));
  }

  /** The report the oracles read the outcome from, signed by this provider (results: a CID digest or none). */
  async signReport(report: Omit<JobReport, "results"> & { results?: string }): Promise<SignedJobReport> {
    return signJobReport(this.signer, { ...report, results: report.results ?? ZERO_BYTES32 }, await this.domain());
  }
}
