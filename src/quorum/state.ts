// What an operator node keeps across restarts, in the agents' journal (src/agents/journal.ts: one JSON record per
// key, written whole and atomically with fsync, a lock file against a second process): per task, the task itself,
// the node's own response and signature (written before the signature leaves, so a node killed with kill -9 resumes
// with the same response and never signs a different one), every signature collected (written before the sender is
// answered, so an acknowledged signature is never lost), where its own signature was delivered, and the transactions
// it submitted; beside them, how far the chain was scanned. With the deal-mediation task type, the verdict keeper
// (verdicts.ts) keeps one record per deal it follows: the verdict requests and the application it sent (each written
// before it is sent), and when it is done with the deal, so a restart neither forgets a deal nor repeats a step.

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

/** A transaction the verdict keeper sent (written before it is sent; its hash or error after). */
export type VerdictStep = { at: number; taskId?: string; hash?: string; error?: string };

/** What the verdict keeper knows and did for one deal whose mediator draw may name the QuorumMediator. */
export type VerdictRecord = {
  dealKey: string;
  /** The block of the latest MediationRequested seen for the deal (a redraw moves it). */
  drawBlock: number;
  /** The deal's verdict task as last read (undefined until one is asked for). */
  taskId?: string;
  /** This node's requestVerdict transactions. */
  requests: VerdictStep[];
  /** This node's applyVerdict transactions. */
  applies: VerdictStep[];
  /** How it ended: "applied" (by this node), "applied elsewhere", "not drawn", "deadline passed", … */
  outcome?: string;
  done: boolean;
};

type Meta = { scannedTo: number };

export class OperatorNodeState {
  private constructor(
    private readonly tasks: Journal<TaskRecord>,
    private readonly meta: Journal<Meta>,
    private readonly verdicts: Journal<VerdictRecord>,
  ) {}

  /** Opens (creating) the state in `dir` (tasks/, meta/ and verdicts/ journals, each locked). */
  static open(dir: string): OperatorNodeState {
    const opened: Journal<object>[] = [];
    try {
      const tasks = Journal.open<TaskRecord>(path.join(dir, "tasks"));
      opened.push(tasks);
      const meta = Journal.open<Meta>(path.join(dir, "meta"));
      opened.push(meta);
      const verdicts = Journal.open<VerdictRecord>(path.join(dir, "verdicts"));
      return new OperatorNodeState(tasks, meta, verdicts);
    } catch (error) {
      for (const journal of opened) journal.close();
      throw error;
    }
  }

  /** The last block whose market events the verdict keeper handled (undefined: never scanned). */
  get verdictsScannedTo(): number | undefined {
    return this.meta.get("verdicts-cursor")?.scannedTo;
  }

  setVerdictsScannedTo(block: number): void {
    this.meta.put("verdicts-cursor", { scannedTo: block });
  }

  verdict(dealKey: string): VerdictRecord | undefined {
    return this.verdicts.get(dealKey.toLowerCase());
  }

  /** Deals the verdict keeper is not done with. */
  openVerdicts(): VerdictRecord[] {
    return this.verdicts.values().filter((record) => !record.done);
  }

  allVerdicts(): VerdictRecord[] {
    return this.verdicts.values();
  }

  /**
   * Follows a deal from its MediationRequested at `drawBlock`: a new record, or a known one reopened when the draw is
   * a newer one (a redraw after an expired draw may name the QuorumMediator where the old one did not).
   */
  watchVerdict(dealKey: string, drawBlock: number): VerdictRecord {
    const key = dealKey.toLowerCase();
    const existing = this.verdicts.get(key);
    if (existing && existing.drawBlock >= drawBlock) return existing;
    if (existing) return this.updateVerdict(key, { drawBlock, done: false, outcome: undefined });
    const record: VerdictRecord = { dealKey: key, drawBlock, requests: [], applies: [], done: false };
    this.verdicts.put(key, record);
    return record;
  }

  updateVerdict(dealKey: string, changes: Partial<VerdictRecord>): VerdictRecord {
    return this.verdicts.update(dealKey.toLowerCase(), changes);
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
    this.verdicts.close();
  }
}
