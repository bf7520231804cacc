// The solver: intake, the offer book and the persistent state, kept in step.
//
// Posts are handled one at a time. Each is decided on the book without changing it (resourceOfferForJob /
// jobForResourceOffer), written to the database in one transaction, and only then applied to the book. A write
// that fails leaves the book as it was, so memory never holds what the database does not. On start the book is
// rebuilt from the open offers in the order they were accepted (restore, no matching: open offers never matched
// each other), and the live proposals are kept aside. A solver killed at any point and restarted therefore loses
// no accepted offer, and the database's unique indexes refuse a second proposal for an offer.

import { EventEmitter } from "node:events";
import type { Deal, ResourceOffer } from "../model/types";
import { OfferBook, type BookJob, type BookMatch } from "./book";
import { proposeDeal } from "./deal";
import { acceptJobOffer, acceptResourceOffer, type IntakeRules } from "./intake";
import type { SolverState } from "./state";

export interface SolverOptions {
  state: SolverState;
  rules: IntakeRules;
  /** A job offer unmatched this long after its created_at expires (ms; the reference: 30 s). */
  matchTimeoutMs: number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
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
}

export class Solver extends EventEmitter<SolverEvents> {
  readonly book = new OfferBook();
  /** Live proposals by deal ID, with the offers the book gave them. */
  private readonly proposals = new Map<string, BookMatch>();
  /** The same proposals' deals, in the order they were made. */
  private readonly deals = new Map<string, Deal>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  private constructor(private readonly options: SolverOptions) {
    super();
    this.now = options.now ?? Date.now;
  }

  /** The solver over its state: the book rebuilt from the open offers, the live proposals loaded. */
  static async start(options: SolverOptions): Promise<Solver> {
    const solver = new Solver(options);
    const { jobs, resources, proposals } = await options.state.load();
    solver.restore(resources, jobs, proposals);
    return solver;
  }

  /** Live proposals (not dropped): their deals by deal ID, in the order they were made. */
  get liveProposals(): ReadonlyMap<string, Deal> {
    return this.deals;
  }

  /** Runs `fn` after every post before it: one change to the book and the database at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** A job offer posted with its owner's signature (intake.ts); throws OfferIntakeError when refused. */
  postJobOffer(body: unknown, signature: string): Promise<PostOutcome> {
    return this.serial(async () => {
      const { offer, moduleId } = await acceptJobOffer(body, signature, this.options.rules, this.now());
      if (this.book.hasJobOffer(offer.id) || (await this.options.state.hasOffer(offer.id))) {
        return { status: "duplicate", offerId: offer.id };
      }
      const job: BookJob = { offer, moduleId };
      const resourceOffer = this.book.resourceOfferForJob(job);
      const deal = resourceOffer ? await proposeDeal(offer, resourceOffer, moduleId) : undefined;
      const proposedAt = this.now();
      await this.options.state.recordPost({
        kind: "job",
        offer,
        moduleId,
        proposal: deal && { deal, proposedAt },
      });
      const match = this.book.addJob(job);
      return this.outcome(offer.id, match, deal);
    });
  }

  /** A resource offer posted with its owner's signature; replaces the provider's open offer for the machine. */
  postResourceOffer(body: unknown, signature: string): Promise<PostOutcome> {
    return this.serial(async () => {
      const offer = await acceptResourceOffer(body, signature, this.options.rules, this.now());
      if (this.book.hasResourceOffer(offer.id) || (await this.options.state.hasOffer(offer.id))) {
        return { status: "duplicate", offerId: offer.id };
      }
      const replaced = this.book.resourceOfferFor(offer.resource_provider, offer.index);
      const job = this.book.jobForResourceOffer(offer);
      const deal = job ? await proposeDeal(job.offer, offer, job.moduleId) : undefined;
      await this.options.state.recordPost({
        kind: "resource",
        offer,
        proposal: deal && { deal, proposedAt: this.now() },
        replaced: replaced ? [replaced.id] : [],
      });
      const match = this.book.addResourceOffer(offer);
      return this.outcome(offer.id, match, deal);
    });
  }

  private outcome(offerId: string, match: BookMatch | undefined, deal: Deal | undefined): PostOutcome {
    if (!match || !deal) return { status: "open", offerId };
    this.proposals.set(deal.id, match);
    this.deals.set(deal.id, deal);
    this.emit("proposal", deal);
    return { status: "proposed", offerId, deal };
  }

  /** Expires the job offers past the match timeout; returns their IDs. */
  expire(): Promise<string[]> {
    return this.serial(async () => {
      const now = this.now();
      const due = this.book.dueJobs(now, this.options.matchTimeoutMs).map((j) => j.offer.id);
      if (due.length === 0) return [];
      await this.options.state.closeOffers(due, "expired");
      const expired = this.book.expireJobs(now, this.options.matchTimeoutMs).map((j) => j.offer.id);
      this.emit("expired", expired);
      return expired;
    });
  }

  /**
   * A proposal a party did not sign in time: dropped, both offers back in the book, and whatever they match at once
   * proposed (in the same transaction). Returns the new proposals.
   */
  dropProposal(dealId: string): Promise<Deal[]> {
    return this.serial(async () => {
      const match = this.proposals.get(dealId);
      if (!match) return [];
      // Here the book changes first (what the offers match depends on it); if the write fails, the book is rebuilt
      // from the database, which still holds the proposal.
      const again = this.book.release(match);
      this.proposals.delete(dealId);
      this.deals.delete(dealId);
      try {
        const deals = await Promise.all(again.map((m) => proposeDeal(m.job.offer, m.resourceOffer, m.job.moduleId)));
        const proposedAt = this.now();
        await this.options.state.dropProposal(
          dealId,
          deals.map((deal) => ({ deal, proposedAt })),
        );
        deals.forEach((deal, i) => {
          this.proposals.set(deal.id, again[i]);
          this.deals.set(deal.id, deal);
          this.emit("proposal", deal);
        });
        return deals;
      } catch (error) {
        await this.reload();
        throw error;
      }
    });
  }

  /** The book and the proposals rebuilt from the database. */
  private async reload(): Promise<void> {
    const { jobs, resources, proposals } = await this.options.state.load();
    for (const id of [...this.book.resourceOfferIds()]) this.book.removeResourceOffer(id);
    for (const id of [...this.book.jobOfferIds()]) this.book.removeJobOffer(id);
    this.proposals.clear();
    this.deals.clear();
    this.restore(resources, jobs, proposals);
  }

  private restore(resources: ResourceOffer[], jobs: BookJob[], proposals: { deal: Deal; moduleId: string }[]): void {
    for (const offer of resources) this.book.restoreResourceOffer(offer);
    for (const job of jobs) this.book.restoreJob(job);
    for (const { deal, moduleId } of proposals) {
      this.proposals.set(deal.id, { job: { offer: deal.job_offer, moduleId }, resourceOffer: deal.resource_offer });
      this.deals.set(deal.id, deal);
    }
  }
}
