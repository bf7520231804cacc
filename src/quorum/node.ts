// An operator node (`accord operator`): registers its operator if needed (bond, quorums, its URL, checked against the
// BLS key it holds), follows TaskCreated events by polling block ranges (as the channel settler does), answers each
// task of its quorums with the first matching task type, signs responseDigest(taskId, keccak256(response)) with BLS
// and keeps its response (state.ts, before the signature leaves), sends the signature to the task's current
// aggregator and the next one (their URLs from the registry), resending to each new holder as the slots pass, and
// aggregates when it holds the slot (aggregator.ts). With the deal-mediation task type it also runs the verdict
// keeper (verdicts.ts): it asks for the verdicts of deals that drew the QuorumMediator and applies them, after this
// node's own task steps in each round, so the aggregator that just landed a response applies its verdict at once.
// Its HTTP API is server.ts; logs are pino, as the agents'.

import { getAddress, getBytes, keccak256 } from "ethers";
import type { Logger } from "pino";
import { decodeAccordLogs, eventsNamed, type AccordLogOf } from "../clients/events";
import type { MediatorClient } from "../clients/mediator";
import type { OperatorRegistryClient, QuorumMediatorClient, TaskManagerClient } from "../clients/quorum";
import { AccordError } from "../model/errors";
import { signatureTargets, aggregatorFor } from "./aggregator-order";
import { Aggregator, type AggregatorFaults } from "./aggregator";
import { blsKeyHash, blsPublicKey, blsSign, encodeG1, type BlsSecretKey } from "./bls";
import { SignatureInbox } from "./inbox";
import { membersAt, OperatorSet } from "./operator-set";
import { serveQuorum, type QuorumServer } from "./server";
import { OperatorNodeState, type TaskRecord } from "./state";
import { taskTypeFor, type QuorumTask, type TaskType } from "./task-types";
import { VerdictKeeper } from "./verdicts";

/** The node cannot run as configured (a key that is not the registered one, an unbonding operator, …). */
export class OperatorNodeError extends AccordError {
  override name = "OperatorNodeError";
}

export type OperatorNodeOptions = {
  registry: OperatorRegistryClient;
  tasks: TaskManagerClient;
  secretKey: BlsSecretKey;
  /** The quorums to serve (joined at start when missing). */
  quorums: number[];
  /** The bond to register with (when not registered). */
  bond: bigint;
  /** Where the state journal lives. */
  stateDir: string;
  taskTypes: TaskType[];
  logger: Logger;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** The URL to register (default the server's). */
  publicUrl?: string;
  /** Polling interval (default 1000 ms). */
  pollMs?: number;
  /** Largest eth_getLogs range (default 5000 blocks). */
  logRange?: number;
  /** False: never submit (collect and forward only). Default true. */
  aggregate?: boolean;
  /** Timeout of one signature POST (default 3000 ms). */
  sendTimeoutMs?: number;
  faults?: AggregatorFaults;
  /**
   * Run the verdict keeper (with the deal-mediation task type): the market's deals read through `market`, verdicts
   * asked for and applied through `quorumMediator`; other nodes apply after `graceSeconds` (default two aggregator
   * slots, at least 4 s).
   */
  verdicts?: { market: MediatorClient; quorumMediator: QuorumMediatorClient; graceSeconds?: number };
};

/** What GET /quorum/tasks/:taskId answers. */
export type TaskDescription = {
  task: QuorumTask;
  own: TaskRecord["own"] | null;
  declined: string | null;
  signatures: { operator: string; responseHash: string }[];
  byResponse: Record<string, number>;
  sentTo: string[];
  submissions: TaskRecord["submissions"];
  outcome: TaskRecord["outcome"] | null;
  done: boolean;
  aggregator: { operator: string; slot: number; endsAt: number } | null;
};

export class OperatorNode {
  readonly logger: Logger;
  state!: OperatorNodeState;
  operatorSet!: OperatorSet;
  aggregator!: Aggregator;
  verdicts: VerdictKeeper | undefined;
  server: QuorumServer | undefined;
  me = "";
  url = "";
  slotSeconds = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #ticking: Promise<void> | undefined;
  readonly #digests = new Map<string, Promise<string>>();
  readonly #sendRetryAt = new Map<string, number>();
  readonly #blockTimes = new Map<number, number>();
  readonly #busy = new Set<string>();

  constructor(readonly options: OperatorNodeOptions) {
    this.logger = options.logger;
  }

  /** Opens the state, starts the API, registers (or checks the registration), then follows the chain. */
  async start(): Promise<void> {
    const { registry, tasks, options } = { ...this.options, options: this.options };
    this.me = getAddress(await registry.getAddress());
    this.state = OperatorNodeState.open(options.stateDir);
    this.operatorSet = new OperatorSet(registry, { logRange: options.logRange });
    this.slotSeconds = Number(await tasks.aggregatorSlot());
    const maxResponseBytes = Number(await tasks.tasks.MAX_RESPONSE_BYTES());
    this.aggregator = new Aggregator({
      me: this.me,
      tasks,
      state: this.state,
      operatorSet: this.operatorSet,
      slotSeconds: this.slotSeconds,
      logger: this.logger,
      enabled: options.aggregate !== false,
      faults: options.faults,
    });
    const inbox = new SignatureInbox(
      {
        task: (taskId) => this.#taskForInbox(taskId),
        memberAt: (quorum, block, operator) => this.operatorSet.memberAt(quorum, block, operator),
        isRegistered: async (operator) => {
          await this.operatorSet.sync();
          return this.operatorSet.history.operators.has(getAddress(operator));
        },
        digest: (taskId, responseHash) => this.#digest(taskId, responseHash),
        collected: (taskId, operator) => this.state.get(taskId)?.collected[operator.toLowerCase()],
        store: (taskId, operator, entry) => {
          this.state.addSignature(taskId, operator, entry);
          this.logger.debug({ taskId, from: operator }, "signature received");
          void this.aggregator.maybeSubmit(taskId);
        },
      },
      { maxResponseBytes },
    );
    this.server = await serveQuorum({
      inbox,
      describeTask: (taskId) => this.describeTask(taskId),
      health: () => ({
        status: "ok",
        operator: this.me,
        url: this.url,
        scannedTo: this.state.scannedTo ?? null,
        openTasks: this.state.open().length,
      }),
      host: options.host,
      port: options.port,
      maxBodyBytes: 2 * maxResponseBytes + 4096,
      logger: this.logger,
    });
    this.url = options.publicUrl ?? this.server.url;
    await this.#ensureRegistered();
    await this.operatorSet.sync();
    if (options.verdicts) await this.#startVerdicts(options.verdicts);
    this.logger.info(
      { operator: this.me, url: this.url, quorums: options.quorums, slotSeconds: this.slotSeconds },
      "operator node started",
    );
    const loop = async () => {
      if (this.#stopped) return;
      this.#ticking = this.tick().catch((error: unknown) => this.logger.warn({ err: error }, "operator tick failed"));
      await this.#ticking;
      if (!this.#stopped) this.#timer = setTimeout(() => void loop(), options.pollMs ?? 1000);
    };
    await loop();
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#ticking;
    await this.server?.close();
    this.state?.close();
  }

  async #startVerdicts(options: NonNullable<OperatorNodeOptions["verdicts"]>): Promise<void> {
    const quorum = Number(await options.quorumMediator.quorumMediator.quorum());
    const keeper = new VerdictKeeper({
      me: this.me,
      market: options.market,
      quorumMediator: options.quorumMediator,
      tasks: this.options.tasks,
      state: this.state,
      operators: async (block) => (await this.operatorSet.membersAt(quorum, block)).map((member) => member.operator),
      logger: this.logger,
      graceSeconds: options.graceSeconds ?? Math.max(4, 2 * this.slotSeconds),
      logRange: this.options.logRange,
    });
    await keeper.start();
    this.verdicts = keeper;
  }

  async #ensureRegistered(): Promise<void> {
    const { registry, secretKey, quorums, bond } = this.options;
    const keyHash = blsKeyHash(blsPublicKey(secretKey));
    const current = await registry.getOperator(this.me);
    if (current.statusName === "None" || current.statusName === "Withdrawn") {
      const result = await registry.register({ secretKey, url: this.url, bond, quorums });
      this.logger.info({ tx: result.hash, bond: String(bond), quorums }, "operator registered");
      return;
    }
    if (current.statusName !== "Active") {
      throw new OperatorNodeError(`operator ${this.me} is ${current.statusName}: it serves no quorum`);
    }
    if (current.keyHash.toLowerCase() !== keyHash.toLowerCase()) {
      throw new OperatorNodeError(`operator ${this.me} is registered with another BLS key (${current.keyHash})`);
    }
    if (current.url !== this.url) {
      await registry.setUrl(this.url);
      this.logger.info({ url: this.url }, "operator URL updated");
    }
    for (const quorum of quorums) {
      if (current.quorums.includes(quorum)) continue;
      await registry.joinQuorum(quorum);
      this.logger.info({ quorum }, "joined a quorum");
    }
  }

  /** One round: new tasks and responses from the chain, then each open task's next step. */
  async tick(): Promise<void> {
    const provider = this.options.registry.provider;
    const latest = await provider.getBlockNumber();
    await this.operatorSet.sync(latest);
    const from = (this.state.scannedTo ?? this.options.tasks.fromBlock - 1) + 1;
    if (latest >= from) {
      await this.#scanTasks(from, latest);
      this.state.setScannedTo(latest);
    }
    await Promise.all(this.state.open().map((record) => this.#step(record.task.taskId)));
    await this.verdicts?.tick(latest);
  }

  async #scanTasks(fromBlock: number, toBlock: number): Promise<void> {
    const tasks = this.options.tasks;
    const address = await tasks.tasks.getAddress();
    const range = this.options.logRange ?? 5000;
    for (let from = fromBlock; from <= toBlock; from += range) {
      const to = Math.min(toBlock, from + range - 1);
      const logs = await tasks.provider.getLogs({ address, fromBlock: from, toBlock: to });
      const events = decodeAccordLogs(logs, { tasks: address });
      for (const created of eventsNamed(events, "TaskCreated")) await this.#addTask(created);
      for (const responded of eventsNamed(events, "TaskResponded")) {
        const record = this.state.get(responded.args.taskId);
        if (!record || record.outcome?.status === "Responded") continue;
        this.state.update(record.task.taskId, {
          outcome: {
            status: "Responded",
            aggregator: getAddress(responded.args.aggregator),
            responseHash: responded.args.responseHash,
            transactionHash: responded.transactionHash,
          },
          done: true,
        });
        this.logger.info(
          { taskId: record.task.taskId, aggregator: responded.args.aggregator },
          "the task's response landed",
        );
      }
    }
  }

  async #addTask(created: AccordLogOf<"TaskCreated">): Promise<TaskRecord | undefined> {
    const args = created.args;
    const quorum = Number(args.quorum);
    if (!this.options.quorums.includes(quorum)) return undefined;
    const existing = this.state.get(args.taskId);
    if (existing) return existing;
    const task: QuorumTask = {
      taskId: args.taskId.toLowerCase(),
      creator: getAddress(args.creator),
      quorum,
      thresholdPercent: Number(args.thresholdPercent),
      referenceBlock: Number(args.referenceBlock),
      createdAt: await this.#blockTime(created.blockNumber),
      responseDeadline: Number(args.responseDeadline),
      verifier: getAddress(args.verifier),
      seed: args.seed,
      payload: args.payload,
      blockNumber: created.blockNumber,
    };
    this.logger.info({ taskId: task.taskId, quorum, referenceBlock: task.referenceBlock }, "task seen");
    return this.state.addTask(task);
  }

  async #blockTime(blockNumber: number): Promise<number> {
    const known = this.#blockTimes.get(blockNumber);
    if (known !== undefined) return known;
    const block = await this.options.tasks.provider.getBlock(blockNumber);
    if (!block) throw new OperatorNodeError(`the provider returned no block ${blockNumber}`);
    this.#blockTimes.set(blockNumber, block.timestamp);
    return block.timestamp;
  }

  /** The inbox's view of a task: known, or found on chain (a follower may be faster than this node's poll). */
  async #taskForInbox(taskId: string): Promise<{ quorum: number; referenceBlock: number } | undefined> {
    const known = this.state.get(taskId);
    if (known) return known.task;
    const tasks = this.options.tasks;
    const view = await tasks.getTask(taskId);
    if (!view.exists || !this.options.quorums.includes(view.quorum)) return undefined;
    const logs = await tasks.tasks.queryFilter(tasks.tasks.filters.TaskCreated(taskId), tasks.fromBlock, "latest");
    const events = eventsNamed(decodeAccordLogs(logs, { tasks: await tasks.tasks.getAddress() }), "TaskCreated");
    if (events.length === 0) return undefined;
    return (await this.#addTask(events[0]))?.task;
  }

  #digest(taskId: string, responseHash: string): Promise<string> {
    const key = `${taskId}:${responseHash}`;
    let digest = this.#digests.get(key);
    if (!digest) {
      const tasks = this.options.tasks;
      digest = tasks.tasks.responseDigest(taskId, responseHash);
      digest.catch(() => this.#digests.delete(key));
      this.#digests.set(key, digest);
    }
    return digest;
  }

  /** A task's next step: answer it once, deliver the signature, aggregate, or close it after its deadline. */
  async #step(taskId: string): Promise<void> {
    if (this.#busy.has(taskId)) return;
    this.#busy.add(taskId);
    try {
      let record = this.state.get(taskId)!;
      const now = Date.now() / 1000;
      if (now > record.task.responseDeadline + 1) {
        const status = await this.options.tasks.taskStatus(taskId);
        this.state.update(taskId, { outcome: record.outcome ?? { status }, done: true });
        if (status === "Expired") this.logger.warn({ taskId }, "the task expired unanswered");
        return;
      }
      if (!record.own && !record.declined) record = await this.#answer(record);
      if (record.own) await this.#deliver(record, now);
      await this.aggregator.maybeSubmit(taskId);
    } catch (error) {
      this.logger.warn({ err: error, taskId }, "task step failed");
    } finally {
      this.#busy.delete(taskId);
    }
  }

  async #answer(record: TaskRecord): Promise<TaskRecord> {
    const task = record.task;
    const taskId = task.taskId;
    const member = await this.operatorSet.memberAt(task.quorum, task.referenceBlock, this.me);
    if (!member) {
      return this.state.update(taskId, { declined: `not an operator of quorum ${task.quorum} at its reference block` });
    }
    const type = taskTypeFor(this.options.taskTypes, task);
    if (!type) return this.state.update(taskId, { declined: "no task type matches" });
    let response: string;
    try {
      response = (await type.respond(task, task.payload)).toLowerCase();
    } catch (error) {
      this.logger.warn({ taskId, taskType: type.id, err: error }, "declined the task");
      return this.state.update(taskId, { declined: (error as Error).message });
    }
    const responseHash = keccak256(response);
    const digest = await this.#digest(taskId, responseHash);
    const signature = encodeG1(blsSign(this.options.secretKey, getBytes(digest)));
    // Written before the signature leaves: after a restart the node sends this one again, never another.
    this.state.update(taskId, { own: { taskType: type.id, response, responseHash, digest, signature } });
    this.state.addSignature(taskId, this.me, { response, responseHash, signature, receivedAt: Date.now() });
    this.logger.info({ taskId, taskType: type.id, responseHash }, "signed a task");
    return this.state.get(taskId)!;
  }

  async #deliver(record: TaskRecord, now: number): Promise<void> {
    const task = record.task;
    const members = await this.operatorSet.membersAt(task.quorum, task.referenceBlock);
    const targets = signatureTargets(
      task,
      members.map((member) => member.operator),
      this.slotSeconds,
      now,
    );
    await Promise.all(
      targets.map(async (target) => {
        const key = target.toLowerCase();
        if (record.sentTo.includes(key)) return;
        if (key === this.me.toLowerCase()) return this.state.markSent(task.taskId, key);
        const retryKey = `${task.taskId}:${key}`;
        if ((this.#sendRetryAt.get(retryKey) ?? 0) > Date.now()) return;
        const url = this.operatorSet.urlOf(target);
        const delivered = await this.#post(url, task.taskId, record.own!, target);
        if (delivered) {
          this.state.markSent(task.taskId, key);
          this.#sendRetryAt.delete(retryKey);
        } else this.#sendRetryAt.set(retryKey, Date.now() + 1000);
      }),
    );
  }

  async #post(url: string, taskId: string, own: NonNullable<TaskRecord["own"]>, target: string): Promise<boolean> {
    if (!/^https?:\/\//.test(url)) return false;
    try {
      const res = await fetch(`${url.replace(/\/$/, "")}/quorum/signatures`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ taskId, operator: this.me, response: own.response, signature: own.signature }),
        signal: AbortSignal.timeout(this.options.sendTimeoutMs ?? 3000),
      });
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (res.ok) {
        this.logger.debug({ taskId, to: target }, "signature delivered");
        return true;
      }
      this.logger.warn({ taskId, to: target, status: res.status, error: body.error }, "signature refused");
      return res.status === 409;
    } catch (error) {
      this.logger.debug({ taskId, to: target, err: (error as Error).message }, "signature not delivered");
      return false;
    }
  }

  /** What this node knows of a task (GET /quorum/tasks/:taskId); undefined if it never saw it. */
  describeTask(taskId: string): TaskDescription | undefined {
    const record = this.state.get(taskId);
    if (!record) return undefined;
    const byResponse: Record<string, number> = {};
    const signatures = Object.entries(record.collected).map(([operator, entry]) => {
      byResponse[entry.responseHash] = (byResponse[entry.responseHash] ?? 0) + 1;
      return { operator, responseHash: entry.responseHash };
    });
    let aggregator: TaskDescription["aggregator"] = null;
    const operators = membersAt(this.operatorSet.history, record.task.quorum, record.task.referenceBlock).map(
      (member) => member.operator,
    );
    if (operators.length > 0 && this.slotSeconds > 0) {
      const slot = aggregatorFor(record.task, operators, this.slotSeconds, Date.now() / 1000);
      aggregator = { operator: slot.operator, slot: slot.slot, endsAt: slot.endsAt };
    }
    return {
      task: record.task,
      own: record.own ?? null,
      declined: record.declined ?? null,
      signatures,
      byResponse,
      sentTo: record.sentTo,
      submissions: record.submissions,
      outcome: record.outcome ?? null,
      done: record.done,
      aggregator,
    };
  }
}
