// What an operator answers to a task, by task type. A type says which tasks it takes (`matches`, from what the
// TaskCreated event tells: creator, verifier, payload) and computes the response bytes from the payload; the node
// signs whatever the first matching type returns. Two types ship: `square` (SquareTaskVerifier's task, checkable on
// chain: abi.encode(uint256 n) → abi.encode(uint256 n²)) and `deal-mediation` (QuorumMediator's tasks: re-run the
// deal's job as the mediator agent does, src/agents/mediator.ts `judgeDeal`, and answer accept or reject).

import { AbiCoder, getAddress, getBytes } from "ethers";
import { judgeDeal } from "../agents/mediator";
import type { Executor } from "../executor";
import { bytes32ToCid } from "../model/cid";
import { dealKey } from "../model/deal-key";
import { AccordError } from "../model/errors";
import type { Deal } from "../model/types";

/** A task as an operator sees it (from its TaskCreated event). */
export type QuorumTask = {
  taskId: string;
  creator: string;
  quorum: number;
  thresholdPercent: number;
  referenceBlock: number;
  /** The creation block's timestamp (aggregator slots count from it). */
  createdAt: number;
  responseDeadline: number;
  verifier: string;
  seed: string;
  /** Hex bytes. */
  payload: string;
  /** The block it was created in. */
  blockNumber: number;
};

/** A pluggable task type. */
export interface TaskType {
  /** A name for logs and the API. */
  readonly id: string;
  /** Whether this type answers `task`. */
  matches(task: QuorumTask): boolean;
  /** The response bytes (hex) to the task's payload; throws when the payload is not one this type answers. */
  respond(task: QuorumTask, payload: string): Promise<string>;
}

/** A task's payload is not what its type takes; the node signs nothing for it. */
export class TaskPayloadError extends AccordError {
  override name = "TaskPayloadError";
  constructor(
    readonly taskType: string,
    readonly field: string,
    detail: string,
  ) {
    super(`${taskType} task: ${field} ${detail}`);
  }
}

const coder = AbiCoder.defaultAbiCoder();
const UINT256_MAX = (1n << 256n) - 1n;

/** abi.encode(uint256 n): a square task's payload. */
export function squarePayload(n: bigint): string {
  return coder.encode(["uint256"], [n]);
}

/** abi.encode(uint256 n*n): a square task's response; TaskPayloadError when n² does not fit 256 bits. */
export function squareResponse(n: bigint): string {
  const square = n * n;
  if (square > UINT256_MAX) throw new TaskPayloadError("square", "n", "squared does not fit 256 bits");
  return coder.encode(["uint256"], [square]);
}

function squareOfPayload(payload: string): string {
  if (getBytes(payload).length !== 32) throw new TaskPayloadError("square", "payload", "must be abi.encode(uint256)");
  const [n] = coder.decode(["uint256"], payload);
  return squareResponse(n as bigint);
}

/**
 * The square task type: tasks whose verifier is the SquareTaskVerifier (or, with no verifier address configured,
 * any task with a one-word payload and no other type claiming it).
 */
export function squareTaskType(options: { verifier?: string } = {}): TaskType {
  const verifier = options.verifier ? getAddress(options.verifier) : undefined;
  return {
    id: "square",
    matches: (task) => (verifier ? getAddress(task.verifier) === verifier : getBytes(task.payload).length === 32),
    // A throw inside the executor rejects the promise: a bad payload is a rejected answer, never a sync throw.
    respond: (_task, payload) => new Promise<string>((resolve) => resolve(squareOfPayload(payload))),
  };
}

/** The verdicts of QuorumMediator's tasks. */
export const VERDICT_ACCEPT = 1;
export const VERDICT_REJECT = 2;

/** A deal-mediation task's payload, decoded. */
export type DealMediationPayload = {
  dealId: string;
  jobCreator: string;
  resourceProvider: string;
  instructionCount: bigint;
  termsHash: string;
};

const MEDIATION_PAYLOAD = ["bytes32", "address", "address", "uint64", "bytes32"];

export function encodeDealMediationPayload(payload: DealMediationPayload): string {
  return coder.encode(MEDIATION_PAYLOAD, [
    payload.dealId,
    payload.jobCreator,
    payload.resourceProvider,
    payload.instructionCount,
    payload.termsHash,
  ]);
}

export function decodeDealMediationPayload(payload: string): DealMediationPayload {
  let values: unknown[];
  try {
    values = [...coder.decode(MEDIATION_PAYLOAD, payload)];
  } catch (error) {
    throw new TaskPayloadError(
      "deal-mediation",
      "payload",
      `is not ${MEDIATION_PAYLOAD.join(", ")} (${(error as Error).message})`,
    );
  }
  const [dealId, jobCreator, resourceProvider, instructionCount, termsHash] = values as [
    string,
    string,
    string,
    bigint,
    string,
  ];
  return { dealId, jobCreator, resourceProvider, instructionCount, termsHash };
}

/** abi.encode(uint8 verdict). */
export function verdictResponse(verdict: "accept" | "reject"): string {
  return coder.encode(["uint8"], [verdict === "accept" ? VERDICT_ACCEPT : VERDICT_REJECT]);
}

export type DealMediationOptions = {
  /** The QuorumMediator whose tasks this type answers (their creator). */
  quorumMediator: string;
  /** Re-runs jobs (the mediator agent's executor). */
  executor: Executor;
  /** The deal document of an ID (its CID), e.g. the solver's copy checked against the ID; undefined if unknown. */
  loadDeal(dealCid: string): Promise<Deal | undefined>;
  /** The results submitted for a deal key (the market's ResultAdded: bytes32 results ID). */
  findResult(dealKey: string): Promise<{ resultsId: string; instructionCount: bigint } | undefined>;
};

/**
 * The deal-mediation type: for QuorumMediator's tasks, the deal's job is re-run and the results compared with what
 * the provider submitted (the mediator agent's `judgeDeal`); the instruction count judged is the payload's, which the
 * QuorumMediator took from the market. A deal it cannot find, or whose submitted results differ from the payload, is
 * not answered (no signature), so an unknowable verdict never gets a quorum by default.
 */
export function dealMediationTaskType(options: DealMediationOptions): TaskType {
  const mediator = getAddress(options.quorumMediator);
  return {
    id: "deal-mediation",
    matches: (task) => getAddress(task.creator) === mediator,
    async respond(_task, payload) {
      const decoded = decodeDealMediationPayload(payload);
      const cid = bytes32ToCid(decoded.dealId);
      const deal = await options.loadDeal(cid);
      if (!deal) throw new TaskPayloadError("deal-mediation", "dealId", `${cid} is unknown to this operator`);
      const key = dealKey(decoded.dealId, decoded.jobCreator, decoded.resourceProvider);
      const result = await options.findResult(key);
      if (!result) throw new TaskPayloadError("deal-mediation", "dealId", `deal ${cid} has no submitted results`);
      if (result.instructionCount !== decoded.instructionCount) {
        throw new TaskPayloadError("deal-mediation", "instructionCount", "is not the one the provider submitted");
      }
      const { verdict } = await judgeDeal(options.executor, deal, {
        resultsId: bytes32ToCid(result.resultsId),
        instructionCount: String(decoded.instructionCount),
      });
      return verdictResponse(verdict);
    },
  };
}

/** The first type of `types` that matches `task`. */
export function taskTypeFor(types: readonly TaskType[], task: QuorumTask): TaskType | undefined {
  return types.find((type) => type.matches(task));
}
