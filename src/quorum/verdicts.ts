// The verdict keeper: the off-chain half of the QuorumMediator, run by an operator node with the deal-mediation task
// type. It follows the market's MediationRequested and MediatorDrawn events (block ranges, as the node follows
// TaskCreated) and, for each deal whose draw names the QuorumMediator (worked out as the mediator agent does:
// MediatorClient.getPendingMediation), asks for a verdict (`requestVerdict`, which creates the task the quorum
// answers) once the draw block is behind the chain head (the market's `drawnMediator` reverts DealMarket_DrawPending
// inside it), and applies the quorum's final verdict (`applyVerdict`). Every node runs one, and every step is open to
// anyone, so who goes first is staggered: the deal's key orders the quorum's operators (the aggregator order with the
// key as seed), the k-th waits k grace periods before requesting; the task's aggregator applies at once (it is
// credited the fee), the others after (1 + k) grace periods if the verdict is still not applied. Losing a race (the
// contract's QuorumMediator_VerdictPending, the market's DealMarket_InvalidState) is expected and logged at debug.
//
// A request after the deal's mediate deadline is pointless and skipped; an expired (or challenged) task is asked
// again while the deadline holds (requestVerdict makes a new attempt). An unfixed draw is fixed on chain
// (drawMediator) once half the 256 blocks whose hashes the chain keeps have passed, so a slow verdict does not lose
// the draw; one that expired anyway is drawn again (possibly another mediator, which ends the deal here). Each
// transaction is written to the node's state (state.ts) before it is sent and the deal is marked done when the chain
// says so, so a restarted node neither forgets a deal nor repeats a step: it rereads the chain before each one.

import { getAddress } from "ethers";
import type { Logger } from "pino";
import { AccordContractError } from "../clients/errors";
import { decodeAccordLogs, eventsNamed } from "../clients/events";
import type { MediatorClient, PendingMediation } from "../clients/mediator";
import type { QuorumMediatorClient, TaskManagerClient, TaskView } from "../clients/quorum";
import { BLOCKHASH_WINDOW } from "../model/deal-key";
import { AccordError } from "../model/errors";
import { aggregatorOrder } from "./aggregator-order";
import type { OperatorNodeState, VerdictRecord, VerdictStep } from "./state";

/** The keeper cannot run as configured; `field` names the option at fault. */
export class VerdictKeeperError extends AccordError {
  override name = "VerdictKeeperError";
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`verdict keeper: ${field} ${detail}`);
  }
}

export type VerdictKeeperOptions = {
  /** The node's operator (the aggregator credited when it applies). */
  me: string;
  /** Reads the market's deals (getPendingMediation), fixes draws. */
  market: MediatorClient;
  /** Sends requestVerdict and applyVerdict. */
  quorumMediator: QuorumMediatorClient;
  tasks: TaskManagerClient;
  state: OperatorNodeState;
  /** The QuorumMediator's quorum's operators at `block` (for the staggering order). */
  operators(block: number): Promise<string[]>;
  logger: Logger;
  /** Seconds between one node's turn and the next's (default 2 aggregator slots, at least 4). */
  graceSeconds: number;
  /** Largest eth_getLogs range (default 5000 blocks). */
  logRange?: number;
};

/** The market's reverts that mean another node (or a party) already did the step. */
const DONE_ELSEWHERE = new Set(["QuorumMediator_VerdictPending", "DealMarket_InvalidState"]);

/** The draw is fixed on chain once it is this many blocks old (half the blocks whose hashes the chain keeps). */
const FIX_DRAW_AFTER_BLOCKS = BLOCKHASH_WINDOW / 2;

export class VerdictKeeper {
  readonly #logger: Logger;
  #mediator = "";
  readonly #blockTimes = new Map<number, bigint>();

  constructor(private readonly options: VerdictKeeperOptions) {
    this.#logger = options.logger.child({ module: "verdicts" });
  }

  /** Checks that the QuorumMediator mediates the market the keeper reads. */
  async start(): Promise<void> {
    const { market, quorumMediator } = this.options;
    this.#mediator = getAddress(await quorumMediator.quorumMediator.getAddress());
    const its = getAddress(await quorumMediator.quorumMediator.market());
    const ours = getAddress(await market.market.getAddress());
    if (its !== ours) throw new VerdictKeeperError("market", `is ${ours}, but the QuorumMediator mediates ${its}`);
  }

  /** One round: the market's new mediation events up to `latest`, then each followed deal's next step. */
  async tick(latest: number): Promise<void> {
    const { state } = this.options;
    const from = (state.verdictsScannedTo ?? this.options.market.fromBlock - 1) + 1;
    if (latest >= from) {
      await this.#scan(from, latest);
      state.setVerdictsScannedTo(latest);
    }
    const open = state.openVerdicts();
    if (open.length === 0) return;
    const [now, operators] = await Promise.all([this.options.market.latestTimestamp(), this.options.operators(latest)]);
    for (const record of open) {
      try {
        await this.#step(record, { now, latest, operators });
      } catch (error) {
        this.#logger.warn({ err: error, dealKey: record.dealKey }, "verdict step failed");
      }
    }
  }

  async #scan(fromBlock: number, toBlock: number): Promise<void> {
    const market = this.options.market;
    const address = await market.market.getAddress();
    const topics = [
      [
        market.market.interface.getEvent("MediationRequested").topicHash,
        market.market.interface.getEvent("MediatorDrawn").topicHash,
      ],
    ];
    const range = this.options.logRange ?? 5000;
    for (let from = fromBlock; from <= toBlock; from += range) {
      const to = Math.min(toBlock, from + range - 1);
      const logs = await market.provider.getLogs({ address, topics, fromBlock: from, toBlock: to });
      const events = decodeAccordLogs(logs, { market: address });
      for (const requested of eventsNamed(events, "MediationRequested")) {
        this.options.state.watchVerdict(requested.args.dealKey, requested.blockNumber);
      }
      // A fixed draw changes nothing the keeper follows unless it had given up on the deal (a redraw that named the
      // QuorumMediator is a MediationRequested, handled above); it is logged for the record.
      for (const drawn of eventsNamed(events, "MediatorDrawn")) {
        if (getAddress(drawn.args.mediator) === this.#mediator) {
          this.#logger.debug({ dealKey: drawn.args.dealKey }, "a draw of the QuorumMediator was fixed");
        }
      }
    }
  }

  async #step(record: VerdictRecord, at: { now: bigint; latest: number; operators: string[] }): Promise<void> {
    const { market, tasks, state } = this.options;
    const key = record.dealKey;
    const deal = await market.getPendingMediation(key, { mediator: this.#mediator, now: at.now, latest: at.latest });
    if (!deal) {
      // Not (or no longer) under mediation by the QuorumMediator: another mediator was drawn, the verdict was
      // applied (by this node or another), or a party claimed the mediate timeout.
      const applied = record.applies.some((step) => step.hash);
      this.#finish(record, applied ? "applied" : await this.#whyNotPending(key), "debug");
      return;
    }
    if (deal.expired) {
      this.#finish(record, "mediate deadline passed", "warn");
      return;
    }
    // The market reads the draw from the draw block's hash: a call inside that block reverts DrawPending.
    if (at.latest <= deal.drawBlock) return;
    if (deal.drawExpired) {
      await this.#redraw(deal);
      return;
    }
    if (drawFixNeeded(deal, at.latest)) await this.#fixDraw(deal);
    const verdict = await this.options.quorumMediator.verdictTask(key);
    const task = verdict.attempts === 0 ? undefined : await tasks.getTask(verdict.taskId);
    if (task && record.taskId !== task.taskId.toLowerCase()) {
      record = state.updateVerdict(key, { taskId: task.taskId.toLowerCase() });
    }
    const rank = this.#rank(key, at.operators);
    if (!task || task.statusName === "Expired" || task.statusName === "Challenged") {
      if (this.#backingOff(record.requests)) return;
      const since = task ? task.responseDeadline : await this.#blockTime(deal.drawBlock);
      if (at.now < since + BigInt(rank * this.options.graceSeconds)) return;
      await this.#request(record, deal, task);
      return;
    }
    if (task.statusName !== "Responded") return; // Open: the quorum is at it
    if (!(await tasks.isFinal(task.taskId))) return;
    const mine = getAddress(task.aggregator) === getAddress(this.options.me);
    const turn = mine ? 0 : (1 + rank) * this.options.graceSeconds;
    if (at.now < task.respondedAt + BigInt(turn) || this.#backingOff(record.applies)) return;
    await this.#apply(record, deal, task, mine);
  }

  /** The k-th operator in the deal's order (the aggregator order with the deal key as seed) waits k turns. */
  #rank(dealKey: string, operators: readonly string[]): number {
    const index = aggregatorOrder(dealKey, operators).findIndex((o) => getAddress(o) === getAddress(this.options.me));
    return index < 0 ? operators.length : index;
  }

  /** A transaction of `steps` failed less than a grace period ago: not sent again yet (no resending every tick). */
  #backingOff(steps: readonly VerdictStep[]): boolean {
    const last = steps.at(-1);
    return last?.error !== undefined && Date.now() - last.at < this.options.graceSeconds * 1000;
  }

  async #request(record: VerdictRecord, deal: PendingMediation, previous: TaskView | undefined): Promise<void> {
    const step: VerdictStep = { at: Date.now() };
    record = this.#addStep(record, "requests", step);
    try {
      const { taskId, result } = await this.options.quorumMediator.requestVerdict(
        deal.dealId,
        deal.terms,
        deal.instructionCount,
      );
      this.#setLastStep(record.dealKey, "requests", { ...step, taskId: taskId.toLowerCase(), hash: result.hash });
      this.options.state.updateVerdict(record.dealKey, { taskId: taskId.toLowerCase() });
      this.#logger.info(
        { dealKey: record.dealKey, deal: deal.dealCid, taskId, retry: previous !== undefined, tx: result.hash },
        "asked the quorum for a verdict",
      );
    } catch (error) {
      this.#failed(record.dealKey, "requests", step, error, "requestVerdict");
    }
  }

  async #apply(record: VerdictRecord, deal: PendingMediation, task: TaskView, mine: boolean): Promise<void> {
    const step: VerdictStep = { at: Date.now(), taskId: task.taskId.toLowerCase() };
    record = this.#addStep(record, "applies", step);
    try {
      const result = await this.options.quorumMediator.applyVerdict(deal.dealId, deal.terms, deal.instructionCount);
      const applied = result.find("VerdictApplied");
      this.#setLastStep(record.dealKey, "applies", { ...step, hash: result.hash });
      this.options.state.updateVerdict(record.dealKey, { outcome: "applied", done: true });
      this.#logger.info(
        {
          dealKey: record.dealKey,
          deal: deal.dealCid,
          taskId: task.taskId,
          accepted: applied?.args.accepted,
          fee: applied ? String(applied.args.fee) : undefined,
          aggregator: task.aggregator,
          asAggregator: mine,
          tx: result.hash,
        },
        "applied the quorum's verdict",
      );
    } catch (error) {
      if (this.#failed(record.dealKey, "applies", step, error, "applyVerdict")) {
        this.#finish(this.options.state.verdict(record.dealKey)!, "applied elsewhere", "debug");
      }
    }
  }

  /** Fixes an unfixed draw on chain (anyone may): it then outlives the chain's 256 kept block hashes. */
  async #fixDraw(deal: PendingMediation): Promise<void> {
    try {
      const result = await this.options.market.drawMediator(deal);
      this.#logger.info({ dealKey: deal.dealKey, tx: result.hash }, "fixed the QuorumMediator's draw on chain");
    } catch (error) {
      // Fixed meanwhile by someone else: what was wanted.
      const name = error instanceof AccordContractError ? error.errorName : undefined;
      if (name !== "DealMarket_MediatorAlreadyDrawn") throw error;
    }
  }

  /** The draw expired unfixed: drawn again from a new block (a MediationRequested the scan follows). */
  async #redraw(deal: PendingMediation): Promise<void> {
    const result = await this.options.market.drawMediator(deal);
    this.#logger.warn({ dealKey: deal.dealKey, tx: result.hash }, "the draw had expired unfixed: drawn again");
  }

  async #whyNotPending(dealKey: string): Promise<string> {
    const record = await this.options.market.getDealRecord(dealKey);
    return record.stateName === "ResultsChecked" ? "not drawn" : `deal is ${record.stateName}`;
  }

  #finish(record: VerdictRecord, outcome: string, level: "debug" | "warn"): void {
    this.options.state.updateVerdict(record.dealKey, { outcome, done: true });
    this.#logger[level]({ dealKey: record.dealKey, outcome }, "done with the deal");
  }

  #addStep(record: VerdictRecord, list: "requests" | "applies", step: VerdictStep): VerdictRecord {
    // Written before the transaction is sent: after a crash the record shows it was attempted, and the next step
    // reads the chain before sending anything again.
    return this.options.state.updateVerdict(record.dealKey, { [list]: [...record[list], step] });
  }

  #setLastStep(dealKey: string, list: "requests" | "applies", step: VerdictStep): void {
    const current = this.options.state.verdict(dealKey)!;
    this.options.state.updateVerdict(dealKey, { [list]: [...current[list].slice(0, -1), step] });
  }

  /** Records a failed step; true when the revert says someone else already did it (logged at debug). */
  #failed(dealKey: string, list: "requests" | "applies", step: VerdictStep, error: unknown, action: string): boolean {
    const name = error instanceof AccordContractError ? error.errorName : undefined;
    this.#setLastStep(dealKey, list, { ...step, error: name ?? (error as Error).message });
    if (name && DONE_ELSEWHERE.has(name)) {
      this.#logger.debug({ dealKey, action, error: name }, "another node did it first");
      return true;
    }
    this.#logger.warn({ dealKey, action, err: error }, "verdict transaction failed");
    return false;
  }

  async #blockTime(blockNumber: number): Promise<bigint> {
    const known = this.#blockTimes.get(blockNumber);
    if (known !== undefined) return known;
    const block = await this.options.market.provider.getBlock(blockNumber);
    if (!block) throw new VerdictKeeperError("market", `provider returned no block ${blockNumber}`);
    this.#blockTimes.set(blockNumber, BigInt(block.timestamp));
    return BigInt(block.timestamp);
  }
}

/** Whether an unfixed draw is old enough to be fixed on chain before its hash is forgotten. */
function drawFixNeeded(deal: PendingMediation, latest: number): boolean {
  return !deal.drawFixed && latest + 1 - deal.drawBlock > FIX_DRAW_AFTER_BLOCKS;
}
