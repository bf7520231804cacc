// What an operator node keeps across restarts, in the agents' journal (src/agents/journal.ts: one JSON record per
// key, written whole and atomically with fsync, a lock file against a second process): per task, the task itself,
// the node's own response and signature (written before the signature leaves, so a node killed with kill -9 resumes
// with the same response and never signs a different one), every signature collected (written before the sender is
// answered, so an acknowledged signature is never lost), where its own signature was delivered, and the transactions
// it submitted; beside them, how far the chain was scanned.

import path from "node:path";
import { Journal } from "../agents/journal";
import type { QuorumTask } from "./task-types";

/** A signature another operator (or this one) sent for a task. */
export type CollectedEntry = { response: string; responseHash: string; signature: string; receivedAt: number };

/** This node's own answer to a task. */
export type OwnResponse = {
  taskType: string;
  response: string;
  responseHash: string;
  /** responseDigest(taskId, responseHash): what was signed. */
  digest: string;
  /** G1, EIP-2537 hex. */
  signature: string;
};

export type Submission = { at: number; responseHash: string; hash?: string; error?: string; signers: number };

export type TaskRecord = {
  task: QuorumTask;
  /** Set once signed; never replaced. */
  own?: OwnResponse;
  /** Why this node does not answer (no task type, a payload it refuses, not a member at the reference block). */
  declined?: string;
  /** By operator address, lower-case. */
  collected: Record<string, CollectedEntry>;
  /** Operators (lower-case) that acknowledged this node's signature. */
  sentTo: string[];
  submissions: Submission[];
  /** The chain's answer, once known. */
  outcome?: { status: string; aggregator?: string; responseHash?: string; transactionHash?: string };
  done: boolean;
};

type Meta = { scannedTo: number };

export class OperatorNodeState {
  private constructor(
    private readonly tasks: Journal<TaskRecord>,
    private readonly meta: Journal<Meta>,
  ) {}

  /** Opens (creating) the state in `dir` (tasks/ and meta/ journals, each locked). */
  static open(dir: string): OperatorNodeState {
    const tasks = Journal.open<TaskRecord>(path.join(dir, "tasks"));
    try {
      return new OperatorNodeState(tasks, Journal.open<Meta>(path.join(dir, "meta")));
    } catch (error) {
      tasks.close();
      throw error;
    }
  }

  /** The last block whose TaskCreated events were handled (undefined: never scanned). */
  get scannedTo(): number | undefined {
    return this.meta.get("cursor")?.scannedTo;
  }

  setScannedTo(block: number): void {
    this.meta.put("cursor", { scannedTo: block });
  }

  get(taskId: string): TaskRecord | undefined {
    return this.tasks.get(taskId.toLowerCase());
  }

  /** Tasks not done yet. */
  open(): TaskRecord[] {
    return this.tasks.values().filter((record) => !record.done);
  }

  all(): TaskRecord[] {
    return this.tasks.values();
  }

  /** Records a task seen for the first time (a record already there is kept as it is). */
  addTask(task: QuorumTask): TaskRecord {
    const existing = this.get(task.taskId);
    if (existing) return existing;
    const record: TaskRecord = { task, collected: {}, sentTo: [], submissions: [], done: false };
    this.tasks.put(task.taskId.toLowerCase(), record);
    return record;
  }

  update(taskId: string, changes: Partial<TaskRecord>): TaskRecord {
    return this.tasks.update(taskId.toLowerCase(), changes);
  }

  /** Stores a collected signature (durably); false when the operator's was already there. */
  addSignature(taskId: string, operator: string, entry: CollectedEntry): boolean {
    const record = this.get(taskId);
    if (!record) throw new Error(`no task ${taskId}`);
    const key = operator.toLowerCase();
    if (record.collected[key]) return false;
    this.update(taskId, { collected: { ...record.collected, [key]: entry } });
    return true;
  }

  markSent(taskId: string, operator: string): void {
    const record = this.get(taskId);
    if (!record) return;
    const key = operator.toLowerCase();
    if (!record.sentTo.includes(key)) this.update(taskId, { sentTo: [...record.sentTo, key] });
  }

  addSubmission(taskId: string, submission: Submission): void {
    const record = this.get(taskId);
    if (record) this.update(taskId, { submissions: [...record.submissions, submission] });
  }

  close(): void {
    this.tasks.close();
    this.meta.close();
  }
}
