// The solver: intake, the offer book and the persistent state, kept in step, and each proposal carried to the chain.
//
// Posts are handled one at a time. Each is decided on the book without changing it (resourceOfferForJob /
// jobForResourceOffer), written to the database in one transaction, and only then applied to the book. A write
// that fails leaves the book as it was, so memory never holds what the database does not. On start the book is
// rebuilt from the open offers in the order they were accepted (restore, no matching: open offers never matched
// each other), and the live proposals are kept aside. A solver killed at any point and restarted therefore loses
// no accepted offer, and the database's unique indexes refuse a second proposal for an offer.
//
// A proposal carries the deadline both parties sign its EIP-712 Agreement for. Each signature is checked when it
// arrives and stored; with both in, the solver submits agreeWithSignatures (retrying while the node is unreachable,
// until the deadline). A restarted solver first asks the chain whether a submission it did not record went through,
// so it never submits one deal twice. A proposal not signed in time is dropped: the offers of the parties that
// signed return to the book, the others are withdrawn, so a party that went away cannot hold up the book.
//
// A resource offer may name its onboarded machine (intake.ts checks it against MachineRegistry through the
// MachineSource): at most one open offer per machine, refused at the commit (the book decides, one post at a time,
// so two concurrent posts for one machine cannot both get in) and by a unique index in the database. The offer stands
// only while its machine does: machineChanged (fed MachineRegistry's events, tracking.ts) re-reads the machine and
// withdraws the offer once the machine was updated, made unavailable or removed; a restarted solver re-reads every
// open machine offer's machine the same way (what changed while it was down), and a dropped proposal returns its
// resource offer to the book only if its machine still holds it.

import { EventEmitter } from "node:events";
import type { PartyRole } from "../clients/party";
import { DEFAULTS } from "../defaults";
import { sameAddress } from "../model/address";
import { AccordError } from "../model/errors";
import type { Deal, JobOffer, ResourceOffer } from "../model/types";
import { AgreementSignatureError, AgreementSubmitError, type AgreementChain } from "./agreement";
import { OfferBook, type BookJob, type BookMatch } from "./book";
import { proposeDeal } from "./deal";
import {
  acceptJobOffer,
  acceptMachineResourceOffer,
  acceptResourceOffer,
  checkWithdrawal,
  machineChangeOf,
  NO_MACHINE_SOURCE,
  OfferIntakeError,
  type IntakeRules,
  type MachineSource,
  type OfferMachine,
} from "./intake";
import {
  isKnownOfferConflict,
  type NewProposal,
  type PostRecord,
  type SolverState,
  type StoredProposal,
} from "./state";

export interface SolverOptions {
  state: SolverState;
  rules: IntakeRules;
  /** A job offer unmatched this long after its created_at expires (ms; the reference: 30 s). */
  matchTimeoutMs: number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
  /** Where signatures are checked and agreements submitted; without it proposals are made but not closed. */
  chain?: AgreementChain;
  /** A proposal both parties have not signed this long after it was made is dropped (ms). */
  signTimeoutMs?: number;
  /** The agreement's deadline, seconds after the proposal. */
  agreementValiditySeconds?: number;
  /** Pause between submissions of an agreement the node did not take (ms); default 1000. */
  retryDelayMs?: number;
  /**
   * Where onboarded machines are read (MachineRegistryClient); without it a post naming a machine is refused, and
   * open offers naming one (from a run that had it) are withdrawn on start.
   */
  machines?: MachineSource;
}

/** A post that passed intake, waiting for the next group commit. */
interface QueuedPost {
  post: { kind: "job"; job: BookJob } | { kind: "resource"; offer: ResourceOffer; machine?: OfferMachine };
  resolve: (outcome: PostOutcome) => void;
  reject: (error: unknown) => void;
}

/** A batch decided on the book (Solver.decideBatch): what to write, and what each post is answered once written. */
interface DecidedBatch {
  outcomes: (PostOutcome | OfferIntakeError)[];
  records: PostRecord[];
  made: { match: BookMatch; proposal: NewProposal }[];
  withdrawn: ResourceOffer[];
}

function offerOf(post: QueuedPost["post"]): JobOffer | ResourceOffer {
  return post.kind === "job" ? post.job.offer : post.offer;
}

/** A proposal the parties are signing or the solver is submitting. */
export interface LiveProposal {
  deal: Deal;
  /** The offers the book gave it. */
  match: BookMatch;
  proposedAt: number;
  /** The agreement's deadline (unix seconds). */
  deadline: bigint;
  signatures: Partial<Record<PartyRole, string>>;
  /** "signed": both signatures in, being submitted. */
  state: "proposed" | "signed";
}

/** What the solver tells a party about its own offers and deals. */
export type SolverNotice =
  | { kind: "proposed"; deal: Deal; deadline: bigint }
  | { kind: "agreed"; deal: Deal; deadline: bigint; dealKey: string; txHash?: string }
  | { kind: "dropped"; deal: Deal; deadline: bigint; reason: string; reopened: string[] }
  | { kind: "failed"; deal: Deal; deadline: bigint; reason: string }
  | { kind: "dealState"; deal: Deal; deadline: bigint; dealKey: string; state: string }
  | { kind: "expired"; offer: JobOffer }
  | { kind: "withdrawn"; offer: JobOffer | ResourceOffer; reason: string };

/** The parties a notice is for. */
export function noticeParties(notice: SolverNotice): string[] {
  if ("deal" in notice) return [notice.deal.members.job_creator, notice.deal.members.resource_provider];
  const { offer } = notice;
  return ["job_creator" in offer ? offer.job_creator : offer.resource_provider];
}

/** Why a signature was refused. */
export class ProposalSignError extends AccordError {
  override name = "ProposalSignError";
  constructor(
    readonly code: "NOT_FOUND" | "NOT_A_PARTY" | "BAD_SIGNATURE" | "NOT_CONFIGURED",
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

export type PostOutcome =
  /** Accepted and waiting in the book. */
  | { status: "open"; offerId: string }
  /** Accepted and matched at once: the deal proposed to both parties. */
  | { status: "proposed"; offerId: string; deal: Deal }
  /** This offer was accepted before: nothing changed. */
  | { status: "duplicate"; offerId: string };

export interface SolverEvents {
  proposal: [deal: Deal];
  expired: [offerIds: string[]];
  notice: [notice: SolverNotice];
  /** A submission or tracking step that failed in the background (it is retried or the proposal failed). */
  error: [error: Error];
}

export class Solver extends EventEmitter<SolverEvents> {
  readonly book = new OfferBook();
  /** Proposals being signed or submitted, by deal ID, in the order they were made. */
  private readonly proposals = new Map<string, LiveProposal>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly queued: QueuedPost[] = [];
  private readonly now: () => number;
  private readonly signTimeoutMs: number;
  private readonly validitySeconds: number;
  private closed = false;
  /** How far the chain's clock is ahead of this one (ms): agreement deadlines are the chain's time. */
  private chainClockOffsetMs = 0;
  /** Submissions under way, so close() can wait for them. */
  private readonly submitting = new Set<Promise<void>>();

  private constructor(private readonly options: SolverOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.signTimeoutMs = options.signTimeoutMs ?? DEFAULTS.proposalSignTimeoutMs;
    this.validitySeconds = options.agreementValiditySeconds ?? DEFAULTS.agreementValiditySeconds;
    // Background failures are reported, never thrown at nobody.
    this.on("error", () => {});
  }

  /**
   * The solver over its state: the book rebuilt from the open offers, the live proposals loaded, and the
   * submission of any proposal both parties had signed resumed (after asking the chain whether it went through).
   */
  static async start(options: SolverOptions): Promise<Solver> {
    const solver = new Solver(options);
    await solver.syncChainClock();
    const { jobs, resources, proposals } = await options.state.load();
    solver.restore(resources, jobs, proposals);
    await solver.reconcileMachines();
    for (const live of solver.proposals.values()) if (live.state === "signed") solver.startSubmission(live, true);
    return solver;
  }

  /**
   * The open offers naming a machine, each re-read against the machine (machineChangeOf): what changed on chain while
   * the solver was down takes the offer out, as machineChanged would have.
   */
  private async reconcileMachines(): Promise<void> {
    const held: { offer: ResourceOffer; machine: OfferMachine }[] = [];
    for (const id of this.book.resourceOfferIds()) {
      const machine = this.book.machineOf(id);
      if (machine) held.push({ offer: this.book.resourceOffer(id)!, machine });
    }
    const reasons = await Promise.all(held.map(({ offer, machine }) => this.machineChange(offer, machine)));
    for (const [i, { offer }] of held.entries()) if (reasons[i]) await this.withdrawOpen(offer, reasons[i]);
  }

  /** Why an open offer no longer stands on its machine (re-read now), or undefined. */
  private async machineChange(offer: ResourceOffer, machine: OfferMachine): Promise<string | undefined> {
    if (!this.options.machines) return `machine ${machine.id} cannot be followed: ${NO_MACHINE_SOURCE}`;
    return machineChangeOf(offer, machine, await this.options.machines.getMachine(machine.id));
  }

  /** An open offer out of the book and closed as withdrawn, and its owner told why. */
  private async withdrawOpen(offer: JobOffer | ResourceOffer, reason: string): Promise<void> {
    await this.options.state.closeOffers([offer.id], "withdrawn");
    if ("job_creator" in offer) this.book.removeJobOffer(offer.id);
    else this.book.removeResourceOffer(offer.id);
    this.notify({ kind: "withdrawn", offer, reason });
  }

  /**
   * A machine changed on chain (a MachineRegistry event named it): its open offer, if any, is re-read against it and
   * withdrawn when it no longer stands (updated, unavailable, removed). An event about an older change (the machine
   * as the offer was accepted on) changes nothing. Returns whether an offer was withdrawn.
   */
  machineChanged(machineId: string): Promise<boolean> {
    return this.serial(async () => {
      const open = this.book.resourceOfferOnMachine(machineId.toLowerCase());
      if (!open) return false;
      const reason = await this.machineChange(open.offer, open.machine);
      if (reason === undefined) return false;
      await this.withdrawOpen(open.offer, reason);
      return true;
    });
  }

  /** Proposals being signed or submitted, by deal ID, in the order they were made. */
  get liveProposals(): ReadonlyMap<string, LiveProposal> {
    return this.proposals;
  }

  /**
   * Reads the chain's clock (the latest block's timestamp), which the proposals' agreement deadlines are set by: a
   * chain whose blocks run ahead of this machine's clock (or behind it) would otherwise see them expired early (or
   * valid too long). Run it now and then (accord solver does, every second).
   */
  async syncChainClock(): Promise<void> {
    if (!this.options.chain) return;
    const chainMs = Number(await this.options.chain.time()) * 1000;
    this.chainClockOffsetMs = chainMs - this.now();
  }

  /** Stops submitting (what is under way finishes) and waits. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.submitting]);
    await this.queue;
  }

  private notify(notice: SolverNotice): void {
    this.emit("notice", notice);
  }

  /** Runs `fn` after every post before it: one change to the book and the database at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A job offer posted with its owner's signature (intake.ts); throws OfferIntakeError when refused. */
  async postJobOffer(body: unknown, signature: string): Promise<PostOutcome> {
    const { offer, moduleId } = await acceptJobOffer(body, signature, this.options.rules, this.now());
    return this.enqueue({ kind: "job", job: { offer, moduleId } });
  }

  /**
   * A resource offer posted with its owner's signature; replaces the provider's open offer for the machine index.
   * With `machineId` (its onboarded machine; the signature a MachineOfferPost) the machine must hold it and have no
   * other open offer: OfferIntakeError (field machineId) otherwise.
   */
  async postResourceOffer(body: unknown, signature: string, machineId?: string | null): Promise<PostOutcome> {
    const { rules, machines } = this.options;
    if (machineId === undefined || machineId === null) {
      return this.enqueue({ kind: "resource", offer: await acceptResourceOffer(body, signature, rules, this.now()) });
    }
    const accepted = await acceptMachineResourceOffer(body, machineId, signature, rules, machines, this.now());
    return this.enqueue({ kind: "resource", ...accepted });
  }

  /**
   * An open offer withdrawn by its owner (its EIP-712 OfferPost of kind "withdraw"): out of the book and closed.
   * Throws ProposalSignError NOT_FOUND when the offer is not waiting in the book (unknown, matched, expired or
   * withdrawn), OfferIntakeError when the signature is not the owner's.
   */
  withdrawOffer(offerId: string, signature: string): Promise<void> {
    return this.serial(async () => {
      const job = this.book.jobOffer(offerId);
      const resource = job ? undefined : this.book.resourceOffer(offerId);
      if (!job && !resource) throw new ProposalSignError("NOT_FOUND", `offer ${offerId} is not open in the book`);
      checkWithdrawal(job ? job.offer : resource!, job ? "job" : "resource", signature, this.options.rules);
      await this.withdrawOpen(job ? job.offer : resource!, "withdrawn by its owner");
    });
  }

  /**
   * Accepted posts wait here for the next commit. Intake (parsing, the ID, the signature) runs as posts arrive; the
   * book and the database take them in batches (group commit): every post queued while one batch commits goes into
   * the next, decided one by one on the book in arrival order, and written in one transaction.
   */
  private enqueue(post: QueuedPost["post"]): Promise<PostOutcome> {
    return new Promise<PostOutcome>((resolve, reject) => {
      this.queued.push({ post, resolve, reject });
      if (this.queued.length === 1) void this.serial(() => this.commitQueued());
    });
  }

  /**
   * Decides the queued posts on the book, in order, then writes them in one transaction. Each is applied to the book
   * as it is decided (a later post of the batch must see it), with its inverse kept; if the write fails, the inverses
   * run in reverse, so the book is as it was, and every post of the batch fails with the write's error.
   *
   * A post of an offer seen before is a duplicate. The book knows the open offers; one that left it (matched, expired,
   * withdrawn) and is posted again is caught by the offers table's primary key: the write fails, is undone, and the
   * batch is decided again knowing which of its IDs the database holds. Asking the database first would cost every
   * batch a round trip for what only a replay needs (and a round trip waits on this busy thread: bench:solver).
   */
  private async commitQueued(): Promise<void> {
    const batch = this.queued.splice(0);
    if (batch.length === 0) return;
    const undo: (() => void)[] = [];
    const rollBack = (): void => {
      for (const step of undo.reverse()) step();
      undo.length = 0;
    };
    let decided: DecidedBatch;
    try {
      decided = await this.decideBatch(batch, new Set(), undo);
      try {
        await this.options.state.recordPosts(decided.records);
      } catch (error) {
        if (!isKnownOfferConflict(error)) throw error;
        rollBack();
        const known = await this.options.state.knownOffers(batch.map((b) => offerOf(b.post).id));
        decided = await this.decideBatch(batch, known, undo);
        await this.options.state.recordPosts(decided.records);
      }
    } catch (error) {
      rollBack();
      for (const { reject } of batch) reject(error);
      return;
    }
    const { outcomes, made, withdrawn } = decided;
    for (const { match, proposal } of made) this.propose(match, proposal);
    for (const offer of withdrawn) this.notify({ kind: "withdrawn", offer, reason: "replaced by a newer offer" });
    batch.forEach(({ resolve, reject }, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof OfferIntakeError) reject(outcome);
      else resolve(outcome);
    });
  }

  /**
   * The batch's posts decided on the book, in order, `known` (offer IDs the database holds) answered as duplicates:
   * what to write and what to answer. Each change to the book pushes its inverse onto `undo`.
   */
  private async decideBatch(
    batch: readonly QueuedPost[],
    known: ReadonlySet<string>,
    undo: (() => void)[],
  ): Promise<DecidedBatch> {
    // A post refused here (its machine has an open offer) fails alone; the rest of the batch goes on.
    const outcomes: (PostOutcome | OfferIntakeError)[] = [];
    const records: PostRecord[] = [];
    const made: { match: BookMatch; proposal: NewProposal }[] = [];
    const withdrawn: ResourceOffer[] = [];
    const seen = new Set<string>();
    for (const { post } of batch) {
      const offer = offerOf(post);
      const inBook = post.kind === "job" ? this.book.hasJobOffer(offer.id) : this.book.hasResourceOffer(offer.id);
      if (inBook || known.has(offer.id) || seen.has(offer.id)) {
        outcomes.push({ status: "duplicate", offerId: offer.id });
        continue;
      }
      const taken = post.kind === "resource" && post.machine && this.book.resourceOfferOnMachine(post.machine.id);
      if (taken) {
        outcomes.push(
          new OfferIntakeError("machineId", `must not be a machine with an open offer (${taken.offer.id})`, {
            subject: "resource offer",
          }),
        );
        continue;
      }
      seen.add(offer.id);
      let match: BookMatch | undefined;
      if (post.kind === "job") {
        match = this.book.addJob(post.job);
        undo.push(
          match
            ? () => this.book.restoreResourceOffer(match!.resourceOffer, match!.machine)
            : () => void this.book.removeJobOffer(offer.id),
        );
      } else {
        const replaced = this.book.resourceOfferFor(post.offer.resource_provider, post.offer.index);
        const replacedMachine = replaced && this.book.machineOf(replaced.id);
        match = this.book.addResourceOffer(post.offer, post.machine);
        const job = match?.job;
        undo.push(() => {
          if (job) this.book.restoreJob(job);
          else this.book.removeResourceOffer(offer.id);
          if (replaced) this.book.restoreResourceOffer(replaced, replacedMachine);
        });
        if (replaced) withdrawn.push(replaced);
        records.push({
          kind: "resource",
          offer: post.offer,
          replaced: replaced ? [replaced.id] : [],
          ...(post.machine ? { machine: post.machine } : {}),
        });
      }
      if (post.kind === "job") records.push({ kind: "job", offer: post.job.offer, moduleId: post.job.moduleId });
      const record = records[records.length - 1];
      if (match) {
        const proposal = this.newProposal(await proposeDeal(match.job.offer, match.resourceOffer, match.job.moduleId));
        record.proposal = proposal;
        made.push({ match, proposal });
        outcomes.push({ status: "proposed", offerId: offer.id, deal: proposal.deal });
      } else {
        outcomes.push({ status: "open", offerId: offer.id });
      }
    }
    return { outcomes, records, made, withdrawn };
  }

  private newProposal(deal: Deal): NewProposal {
    const proposedAt = this.now();
    const chainSeconds = Math.floor((proposedAt + this.chainClockOffsetMs) / 1000);
    return { deal, proposedAt, deadline: BigInt(chainSeconds + this.validitySeconds) };
  }

  private propose(match: BookMatch, { deal, proposedAt, deadline }: NewProposal): void {
    this.proposals.set(deal.id, { deal, match, proposedAt, deadline, signatures: {}, state: "proposed" });
    this.emit("proposal", deal);
    this.notify({ kind: "proposed", deal, deadline });
  }

  /**
   * A party's signature over the proposal's Agreement(dealId, terms, deadline). Checked (ProposalSignError when
   * refused) and stored; with both parties' in, the agreement is submitted. A party that is both job creator and
   * provider signs once for both. Returns the proposal's state after it.
   */
  async signProposal(dealId: string, party: string, signature: string): Promise<"proposed" | "signed"> {
    const chain = this.options.chain;
    if (!chain) throw new ProposalSignError("NOT_CONFIGURED", "this solver does not submit agreements (no chain)");
    const roles = (live: LiveProposal): PartyRole[] => {
      const members = live.deal.members;
      const out: PartyRole[] = [];
      if (sameAddress(members.job_creator, party)) out.push("jobCreator");
      if (sameAddress(members.resource_provider, party)) out.push("resourceProvider");
      if (out.length === 0) {
        throw new ProposalSignError("NOT_A_PARTY", `${party} is not a party of deal ${dealId}`);
      }
      return out;
    };
    const waiting = (): LiveProposal => {
      const live = this.proposals.get(dealId);
      if (!live || live.state !== "proposed") {
        throw new ProposalSignError("NOT_FOUND", `no proposal ${dealId} is waiting for signatures`);
      }
      return live;
    };
    // The check reads the chain's domain and, for a contract party, its code: done before taking the queue.
    const before = waiting();
    for (const role of roles(before)) {
      try {
        await chain.verify(before.deal, role, before.deadline, signature);
      } catch (error) {
        if (error instanceof AgreementSignatureError) {
          throw new ProposalSignError("BAD_SIGNATURE", error.message, { cause: error });
        }
        throw error;
      }
    }
    return this.serial(async () => {
      const live = waiting();
      if (live !== before) throw new ProposalSignError("NOT_FOUND", `proposal ${dealId} was dropped and made again`);
      let state: string | undefined = live.state;
      for (const role of roles(live)) {
        state = await this.options.state.recordSignature(dealId, role, signature);
        if (state === undefined) throw new ProposalSignError("NOT_FOUND", `proposal ${dealId} is not waiting`);
        live.signatures[role] = signature;
      }
      if (state === "signed") {
        live.state = "signed";
        this.startSubmission(live, false);
      }
      return live.state;
    });
  }

  private startSubmission(live: LiveProposal, resumed: boolean): void {
    const run = this.submit(live, resumed)
      .catch((error: unknown) => {
        this.emit("error", error as Error);
      })
      .finally(() => this.submitting.delete(run));
    this.submitting.add(run);
  }

  /** Submits a signed proposal until it is on chain, refused, or out of time. */
  private async submit(live: LiveProposal, resumed: boolean): Promise<void> {
    const chain = this.options.chain!;
    const { deal, deadline } = live;
    const signatures = { jobCreator: live.signatures.jobCreator!, resourceProvider: live.signatures.resourceProvider! };
    let checkFirst = resumed;
    for (;;) {
      if (checkFirst) {
        const found = await chain.lookup(deal).catch(() => undefined);
        if (found?.exists) return this.serial(() => this.agreed(live, found.dealKey, undefined));
      }
      try {
        const { dealKey, txHash } = await chain.submit(deal, deadline, signatures);
        return this.serial(() => this.agreed(live, dealKey, txHash));
      } catch (error) {
        const retry =
          error instanceof AgreementSubmitError &&
          !error.permanent &&
          !this.closed &&
          BigInt(Math.floor((this.now() + this.chainClockOffsetMs) / 1000)) < deadline;
        if (this.closed) return;
        if (retry) {
          this.emit("error", error);
          await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 1000));
          // The node may have taken the transaction before it failed to answer.
          checkFirst = true;
          continue;
        }
        // A revert may be the market refusing a deal it already holds (a submission that was not recorded).
        const found = await chain.lookup(deal).catch(() => undefined);
        if (found?.exists) return this.serial(() => this.agreed(live, found.dealKey, undefined));
        const reason = (error as Error).message;
        return this.serial(async () => {
          await this.options.state.markFailed(deal.id, reason);
          this.proposals.delete(deal.id);
          this.notify({ kind: "failed", deal, deadline, reason });
        });
      }
    }
  }

  private async agreed(live: LiveProposal, dealKey: string, txHash: string | undefined): Promise<void> {
    await this.options.state.markAgreed(live.deal.id, dealKey.toLowerCase(), txHash);
    this.proposals.delete(live.deal.id);
    this.notify({ kind: "agreed", deal: live.deal, deadline: live.deadline, dealKey: dealKey.toLowerCase(), txHash });
  }

  /** The deal's state on chain, as the indexer reports it: recorded on the deal's container, and told to its parties. */
  async trackDeal(dealKey: string, chainState: string): Promise<void> {
    const dealId = await this.options.state.setChainState(dealKey, chainState);
    if (dealId === undefined) return;
    const stored = await this.options.state.proposal(dealId);
    if (stored) {
      const { deal, deadline } = stored;
      this.notify({ kind: "dealState", deal, deadline, dealKey: dealKey.toLowerCase(), state: chainState });
    }
  }

  /** Expires the job offers past the match timeout; returns their IDs. */
  expire(): Promise<string[]> {
    return this.serial(async () => {
      const now = this.now();
      const due = this.book.dueJobs(now, this.options.matchTimeoutMs).map((j) => j.offer.id);
      if (due.length === 0) return [];
      await this.options.state.closeOffers(due, "expired");
      const expired = this.book.expireJobs(now, this.options.matchTimeoutMs);
      this.emit(
        "expired",
        expired.map((j) => j.offer.id),
      );
      for (const job of expired) this.notify({ kind: "expired", offer: job.offer });
      return expired.map((j) => j.offer.id);
    });
  }

  /** Drops the proposals not signed by both parties within the sign timeout; returns the proposals made again. */
  async dropUnsigned(): Promise<Deal[]> {
    const now = this.now();
    const due = [...this.proposals.values()].filter(
      (p) => p.state === "proposed" && now - p.proposedAt >= this.signTimeoutMs,
    );
    const again: Deal[] = [];
    for (const p of due) again.push(...(await this.dropProposal(p.deal.id, "not signed in time")));
    return again;
  }

  /**
   * Drops a proposal still waiting for signatures: the offers of the parties that signed return to the book (a job
   * offer only within its match timeout, a resource offer only if its provider posted no other for the machine since),
   * the others are withdrawn, and whatever the returned offers match at once is proposed (in the same transaction).
   * Returns the new proposals.
   */
  dropProposal(dealId: string, reason = "dropped"): Promise<Deal[]> {
    return this.serial(async () => {
      const live = this.proposals.get(dealId);
      if (!live || live.state !== "proposed") return [];
      const { job, resourceOffer } = live.match;
      const reopen = {
        job:
          live.signatures.jobCreator !== undefined &&
          this.now() < Number(job.offer.created_at) * 1000 + this.options.matchTimeoutMs,
        resource:
          live.signatures.resourceProvider !== undefined &&
          this.book.resourceOfferFor(resourceOffer.resource_provider, resourceOffer.index) === undefined &&
          (await this.machineStillHolds(resourceOffer, live.match.machine)),
      };
      // Here the book changes first (what the offers match depends on it); if the write fails, the book is rebuilt
      // from the database, which still holds the proposal.
      const again = this.book.release(live.match, reopen);
      this.proposals.delete(dealId);
      try {
        const proposals = await Promise.all(
          again.map(async (m) => this.newProposal(await proposeDeal(m.job.offer, m.resourceOffer, m.job.moduleId))),
        );
        const reopened = [...(reopen.job ? [job.offer.id] : []), ...(reopen.resource ? [resourceOffer.id] : [])];
        await this.options.state.dropProposal(dealId, reopened, reason, proposals);
        this.notify({ kind: "dropped", deal: live.deal, deadline: live.deadline, reason, reopened });
        proposals.forEach((proposal, i) => this.propose(again[i], proposal));
        return proposals.map((p) => p.deal);
      } catch (error) {
        await this.reload();
        throw error;
      }
    });
  }

  /**
   * Whether a resource offer leaving a proposal may return to the book as far as its machine goes: it named none, or
   * the machine has no other open offer (posted while this one was in the proposal) and still holds it unchanged. A
   * machine that cannot be read now keeps the offer out (withdrawn) rather than back unchecked.
   */
  private async machineStillHolds(offer: ResourceOffer, machine: OfferMachine | undefined): Promise<boolean> {
    if (!machine) return true;
    if (this.book.resourceOfferOnMachine(machine.id)) return false;
    try {
      return (await this.machineChange(offer, machine)) === undefined;
    } catch (error) {
      this.emit("error", error as Error);
      return false;
    }
  }

  /** The book and the proposals rebuilt from the database. */
  private async reload(): Promise<void> {
    const { jobs, resources, proposals } = await this.options.state.load();
    for (const id of [...this.book.resourceOfferIds()]) this.book.removeResourceOffer(id);
    for (const id of [...this.book.jobOfferIds()]) this.book.removeJobOffer(id);
    this.proposals.clear();
    this.restore(resources, jobs, proposals);
  }

  private restore(
    resources: { offer: ResourceOffer; machine?: OfferMachine }[],
    jobs: BookJob[],
    proposals: StoredProposal[],
  ): void {
    for (const { offer, machine } of resources) this.book.restoreResourceOffer(offer, machine);
    for (const job of jobs) this.book.restoreJob(job);
    for (const p of proposals) {
      this.proposals.set(p.deal.id, {
        deal: p.deal,
        match: {
          job: { offer: p.deal.job_offer, moduleId: p.moduleId },
          resourceOffer: p.deal.resource_offer,
          ...(p.machine ? { machine: p.machine } : {}),
        },
        proposedAt: p.proposedAt,
        deadline: p.deadline,
        signatures: { ...p.signatures },
        state: p.state === "signed" ? "signed" : "proposed",
      });
    }
  }
}
