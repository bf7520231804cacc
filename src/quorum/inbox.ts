// The aggregator's inbox: a follower's signature for a task, checked before it is kept. Every field is validated
// (400 naming it); the task must exist (404); the sender must be an operator of the task's quorum at its reference
// block (403: unregistered, or registered but outside the quorum then); the signature must verify against the
// sender's registered key over responseDigest(taskId, keccak256(response)) (400: not a point, the wrong key, the
// wrong message). A replay has no effect: the same operator with the same response again is 200 with
// `duplicate: true`; the same operator with a different response (equivocation) is 409 and the first one is kept.
// A signature is stored durably before the sender is answered. The HTTP layer is server.ts.

import { getBytes, keccak256 } from "ethers";
import { isAddress } from "../model/address";
import { AccordError } from "../model/errors";
import { blsVerify, decodeG1, decodeG2, G1_ZERO, G1_POINT_BYTES, type G1Point } from "./bls";
import type { QuorumMember } from "./operator-set";
import type { CollectedEntry } from "./state";

/** A refused inbox request: HTTP status and the field at fault. */
export class InboxError extends AccordError {
  override name = "InboxError";
  constructor(
    readonly status: 400 | 403 | 404 | 409,
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** A follower's message. */
export type SignatureMessage = { taskId: string; operator: string; response: string; signature: string };

/** What the inbox needs to know of the node (an interface, so it is tested without a chain). */
export interface InboxContext {
  /** The task's quorum and reference block, found on chain if the node has not seen it yet; undefined if none. */
  task(taskId: string): Promise<{ quorum: number; referenceBlock: number } | undefined>;
  /** The operator as a member of `quorum` at `block`, or undefined. */
  memberAt(quorum: number, block: number, operator: string): Promise<QuorumMember | undefined>;
  /** Whether the address ever registered (to say which 403 it is). */
  isRegistered(operator: string): Promise<boolean>;
  /** responseDigest(taskId, responseHash). */
  digest(taskId: string, responseHash: string): Promise<string>;
  /** The entry already kept for the operator, if any. */
  collected(taskId: string, operator: string): CollectedEntry | undefined;
  /** Keeps the entry durably. */
  store(taskId: string, operator: string, entry: CollectedEntry): void;
}

export type InboxAnswer = {
  accepted: true;
  duplicate: boolean;
  taskId: string;
  operator: string;
  responseHash: string;
};

export type InboxOptions = { maxResponseBytes?: number; now?: () => number };

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const HEX = /^0x([0-9a-fA-F]{2})*$/;

/** Checks a message's shape; InboxError 400 naming the field. */
export function parseSignatureMessage(
  body: unknown,
  maxResponseBytes = 4096,
): SignatureMessage & { point: G1Point; responseHash: string } {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new InboxError(400, "(body)", "must be a JSON object {taskId, operator, response, signature}");
  }
  const { taskId, operator, response, signature } = body as Record<string, unknown>;
  if (typeof taskId !== "string" || !BYTES32.test(taskId)) {
    throw new InboxError(400, "taskId", "must be 32 bytes in hex (0x + 64 digits)");
  }
  if (!isAddress(operator)) throw new InboxError(400, "operator", "must be a 20-byte hex address");
  if (typeof response !== "string" || !HEX.test(response)) {
    throw new InboxError(400, "response", "must be 0x-prefixed hex bytes");
  }
  if ((response.length - 2) / 2 > maxResponseBytes) {
    throw new InboxError(400, "response", `must be at most ${maxResponseBytes} bytes`);
  }
  if (typeof signature !== "string" || !HEX.test(signature) || (signature.length - 2) / 2 !== G1_POINT_BYTES) {
    throw new InboxError(400, "signature", `must be a G1 point: ${G1_POINT_BYTES} bytes in hex (EIP-2537)`);
  }
  let point: G1Point;
  try {
    point = decodeG1(signature, "signature");
  } catch (error) {
    throw new InboxError(400, "signature", (error as Error).message);
  }
  if (point.equals(G1_ZERO)) throw new InboxError(400, "signature", "must not be the point at infinity");
  return {
    taskId: taskId.toLowerCase(),
    operator: operator.toLowerCase(),
    response: response.toLowerCase(),
    signature: signature.toLowerCase(),
    point,
    responseHash: keccak256(response),
  };
}

export class SignatureInbox {
  constructor(
    private readonly context: InboxContext,
    private readonly options: InboxOptions = {},
  ) {}

  /** Takes one message; InboxError when refused. */
  async receive(body: unknown): Promise<InboxAnswer> {
    const message = parseSignatureMessage(body, this.options.maxResponseBytes);
    const task = await this.context.task(message.taskId);
    if (!task) throw new InboxError(404, "taskId", "no such task");
    const member = await this.context.memberAt(task.quorum, task.referenceBlock, message.operator);
    if (!member) {
      const registered = await this.context.isRegistered(message.operator);
      throw new InboxError(
        403,
        "operator",
        registered
          ? `not an operator of quorum ${task.quorum} at the task's reference block ${task.referenceBlock}`
          : "not a registered operator",
      );
    }
    const digest = await this.context.digest(message.taskId, message.responseHash);
    let publicKey;
    try {
      publicKey = decodeG2(member.publicKey);
    } catch (error) {
      throw new InboxError(403, "operator", `its registered key does not decode (${(error as Error).message})`);
    }
    if (!blsVerify(message.point, publicKey, getBytes(digest))) {
      throw new InboxError(
        400,
        "signature",
        "does not verify against the operator's registered key over responseDigest(taskId, keccak256(response))",
      );
    }
    const answer = {
      accepted: true as const,
      taskId: message.taskId,
      operator: message.operator,
      responseHash: message.responseHash,
    };
    const existing = this.context.collected(message.taskId, message.operator);
    if (existing) {
      if (existing.responseHash !== message.responseHash) {
        throw new InboxError(409, "response", "this operator already signed another response to this task");
      }
      return { ...answer, duplicate: true };
    }
    this.context.store(message.taskId, message.operator, {
      response: message.response,
      responseHash: message.responseHash,
      signature: message.signature,
      receivedAt: (this.options.now ?? Date.now)(),
    });
    return { ...answer, duplicate: false };
  }
}
