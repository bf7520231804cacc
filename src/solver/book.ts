// The offer book: the open offers on both sides, indexed so that a new offer is matched against the few offers on
// the other side that can match it, never by a pass over every pair (the reference re-checks every pair every
// 10 s, with a database look-up per pair).
//
// Both sides are bucketed by what two offers must share: the solver, and at least one mediator (both lower-cased,
// as matchOffers compares them), then by module: a resource offer under each module ID it lists (or under ANY_MODULE
// when it lists none: it runs any), a job offer under its module's ID. A job offer's candidates are the resource
// offers of its module and of ANY_MODULE in the buckets of its solver and each of its mediators, and the other way
// round; half the book's offers fail the modules rule for a given job in bench:solver's market, and are never looked
// at. Within a module's lists, offers are kept oldest first (created_at, then ID), and resource offers also cheapest
// first (instruction price at their default pricing; the few offers that price some module apart are kept aside and
// always checked). The candidates are walked in the order the selection rule needs and each is asked
// matchOffersWithModule, so the book makes exactly the matches the rule allows:
//   - a job offer takes, for a FixedPrice job, the oldest matching resource offer; for a MarketPrice job, the
//     cheapest at the provider's terms for its module (ties to the oldest);
//   - a resource offer goes to the oldest waiting job offer it matches (jobs are served oldest first);
//   - a resource offer is in at most one open deal, a job offer too: a matched pair leaves the book at once, in
//     the same synchronous step, so no two matches can take the same offer.
// A resource offer posted naming its onboarded machine (a MachineRegistry ID: post metadata, not part of the offer)
// carries it in the book, and the book knows the open offer of each such machine: the solver refuses a second one.

import type { JobOffer, ResourceOffer } from "../model/types";
import type { OfferMachine } from "./intake";
import { matchOffersWithModule, providerTerms } from "./match";

/** A job offer as the book keeps it: with its module's ID (computed once, on intake). */
export interface BookJob {
  offer: JobOffer;
  moduleId: string;
}

export interface BookMatch {
  job: BookJob;
  resourceOffer: ResourceOffer;
  /** The onboarded machine the resource offer was posted for, if it named one. */
  machine?: OfferMachine;
}

/** Oldest first: created_at, then ID. */
function olderFirst(a: { created_at: number; id: string }, b: { created_at: number; id: string }): number {
  return a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * A sorted array with binary insertion (offers mostly arrive in order: then it is a push). Removal is lazy: the
 * book marks an entry closed, walks skip it, and the array is compacted once half of it is closed.
 */
class SortedList<T extends { open: boolean }> {
  items: T[] = [];
  private closed = 0;
  constructor(private readonly compare: (a: T, b: T) => number) {}

  insert(item: T): void {
    const items = this.items;
    if (items.length === 0 || this.compare(items[items.length - 1], item) <= 0) {
      items.push(item);
      return;
    }
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(items[mid], item) <= 0) lo = mid + 1;
      else hi = mid;
    }
    items.splice(lo, 0, item);
  }

  /** One of the items was closed. */
  closedOne(): void {
    if (++this.closed * 2 > this.items.length) {
      this.items = this.items.filter((item) => item.open);
      this.closed = 0;
    }
  }

  get size(): number {
    return this.items.length - this.closed;
  }
}

/**
 * The first item, in `compare` order, of several sorted lists that `accept` takes: each list's first accepted item,
 * the least of those. (An offer in several of the lists is found in each; the least is the same offer.) Cheaper than
 * merging the lists: no comparisons while scanning, and every scan stops at its first accepted item.
 */
function firstAccepted<T extends { open: boolean }>(
  lists: readonly (readonly T[])[],
  compare: (a: T, b: T) => number,
  accept: (item: T) => boolean,
): T | undefined {
  let best: T | undefined;
  for (const list of lists) {
    for (const item of list) {
      // Past the best found in another list, nothing later in this one can win.
      if (best !== undefined && compare(item, best) >= 0) break;
      if (item.open && accept(item)) {
        best = item;
        break;
      }
    }
  }
  return best;
}

interface ResourceEntry {
  open: boolean;
  offer: ResourceOffer;
  created_at: number;
  id: string;
  /** Instruction price at the default pricing. */
  price: bigint;
  machine?: OfferMachine;
}

/** A bucket's resource offers under one module (or ANY_MODULE). */
interface ResourceLists {
  byAge: SortedList<ResourceEntry>;
  /** Offers without module pricing, cheapest first (then oldest). */
  byPrice: SortedList<ResourceEntry>;
  /** Offers that price some module apart: checked whatever their price. */
  modulePriced: ResourceEntry[];
}

/** The key of the offers that list no module: they run any (the modules rule). */
const ANY_MODULE = "";

/** The module keys a resource offer is kept under: each module it lists, once, or ANY_MODULE. */
function moduleKeysOf(offer: ResourceOffer): string[] {
  const modules = offer.modules ?? [];
  return modules.length === 0 ? [ANY_MODULE] : [...new Set(modules)];
}

interface JobEntry {
  open: boolean;
  job: BookJob;
  created_at: number;
  id: string;
}

const cheaperFirst = (a: ResourceEntry, b: ResourceEntry): number =>
  a.price < b.price ? -1 : a.price > b.price ? 1 : olderFirst(a, b);

const bucketKey = (solver: string, mediator: string): string => `${solver.toLowerCase()} ${mediator.toLowerCase()}`;

const machineKey = (offer: ResourceOffer): string => `${offer.resource_provider.toLowerCase()} ${offer.index}`;

function distinctKeys(solver: string, mediators: readonly string[] | null): string[] {
  return [...new Set((mediators ?? []).map((m) => bucketKey(solver, m)))];
}

/** Values by two keys (a bucket, then a module): an inner map is made on first use and dropped once empty. */
class TwoLevel<V> {
  readonly outer = new Map<string, Map<string, V>>();

  get(key: string, sub: string): V | undefined {
    return this.outer.get(key)?.get(sub);
  }

  getOrMake(key: string, sub: string, make: () => V): V {
    let inner = this.outer.get(key);
    if (!inner) this.outer.set(key, (inner = new Map<string, V>()));
    let value = inner.get(sub);
    if (value === undefined) inner.set(sub, (value = make()));
    return value;
  }

  delete(key: string, sub: string): void {
    const inner = this.outer.get(key);
    if (!inner) return;
    inner.delete(sub);
    if (inner.size === 0) this.outer.delete(key);
  }
}

export class OfferBook {
  private readonly resources = new Map<string, { entry: ResourceEntry; keys: string[] }>();
  /** Open resource offers by bucket, then module key (moduleKeysOf). */
  private readonly resourceBuckets = new TwoLevel<ResourceLists>();
  private readonly jobs = new Map<string, { entry: JobEntry; keys: string[] }>();
  /** Every waiting job offer, oldest first: expiry takes them from the front. */
  private readonly jobsByAge = new SortedList<JobEntry>(olderFirst);
  /** The open resource offer of each (provider, index): a provider holds one per machine. */
  private readonly machines = new Map<string, string>();
  /** The open resource offer of each onboarded machine (MachineRegistry ID) an offer named. */
  private readonly onboarded = new Map<string, string>();
  /** Waiting job offers by bucket, then their module's ID, oldest first. */
  private readonly jobBuckets = new TwoLevel<SortedList<JobEntry>>();

  /** Open resource offers (not in a deal). */
  get resourceOffers(): number {
    return this.resources.size;
  }

  /** Job offers waiting for a match. */
  get jobOffers(): number {
    return this.jobs.size;
  }

  hasResourceOffer(id: string): boolean {
    return this.resources.has(id);
  }

  hasJobOffer(id: string): boolean {
    return this.jobs.has(id);
  }

  /** A waiting job offer. */
  jobOffer(id: string): BookJob | undefined {
    return this.jobs.get(id)?.entry.job;
  }

  /** A waiting resource offer. */
  resourceOffer(id: string): ResourceOffer | undefined {
    return this.resources.get(id)?.entry.offer;
  }

  /**
   * A new job offer (its ID set, unique in the book): matched at once against the open resource offers by the
   * selection rule, or kept waiting. A match takes both offers out of the book.
   */
  addJob(job: BookJob): BookMatch | undefined {
    const entry = this.pickResource(job);
    if (entry) {
      this.removeResourceOffer(entry.id);
      return { job, resourceOffer: entry.offer, ...(entry.machine ? { machine: entry.machine } : {}) };
    }
    this.restoreJob(job);
    return undefined;
  }

  /** The resource offer addJob(job) would take now, without changing the book. */
  resourceOfferForJob(job: BookJob): ResourceOffer | undefined {
    return this.pickResource(job)?.offer;
  }

  /** The waiting job offer addResourceOffer(offer) would give it to now, without changing the book. */
  jobForResourceOffer(offer: ResourceOffer): BookJob | undefined {
    const lists: JobEntry[][] = [];
    const modules = offer.modules ?? [];
    for (const key of distinctKeys(offer.trusted_parties.solver, offer.trusted_parties.mediator)) {
      const byModule = this.jobBuckets.outer.get(key);
      if (!byModule) continue;
      if (modules.length === 0) for (const list of byModule.values()) lists.push(list.items);
      else for (const module of modules) lists.push(byModule.get(module)?.items ?? []);
    }
    return firstAccepted(
      lists,
      olderFirst,
      (entry) => matchOffersWithModule(entry.job.offer, offer, entry.job.moduleId).matched,
    )?.job;
  }

  /** Puts a job offer in the book without matching it (restoring a book whose offers did not match). */
  restoreJob(job: BookJob): void {
    const entry: JobEntry = { open: true, job, created_at: job.offer.created_at, id: job.offer.id };
    const keys = distinctKeys(job.offer.trusted_parties.solver, job.offer.trusted_parties.mediator);
    this.jobs.set(entry.id, { entry, keys });
    this.jobsByAge.insert(entry);
    for (const key of keys) {
      this.jobBuckets.getOrMake(key, job.moduleId, () => new SortedList<JobEntry>(olderFirst)).insert(entry);
    }
  }

  /**
   * A new resource offer (its ID set, unique in the book): given to the oldest waiting job offer it matches, or
   * kept open. A match takes both offers out of the book.
   */
  addResourceOffer(offer: ResourceOffer, machine?: OfferMachine): BookMatch | undefined {
    this.vacateMachine(offer);
    const taker = this.jobForResourceOffer(offer);
    if (taker) {
      this.removeJobOffer(taker.offer.id);
      return { job: taker, resourceOffer: offer, ...(machine ? { machine } : {}) };
    }
    this.restoreResourceOffer(offer, machine);
    return undefined;
  }

  /** A provider holds one open offer per machine index: a new one replaces the old. */
  private vacateMachine(offer: ResourceOffer): void {
    const previous = this.machines.get(machineKey(offer));
    if (previous !== undefined && previous !== offer.id) this.removeResourceOffer(previous);
  }

  /**
   * Puts a resource offer in the book without matching it (restoring a book whose offers did not match). The solver
   * checks first that no other open offer holds `machine` (resourceOfferOnMachine): the book keeps the latest.
   */
  restoreResourceOffer(offer: ResourceOffer, machine?: OfferMachine): void {
    this.vacateMachine(offer);
    const slot = machineKey(offer);
    const keys = distinctKeys(offer.trusted_parties.solver, offer.trusted_parties.mediator);
    const entry: ResourceEntry = {
      open: true,
      offer,
      created_at: offer.created_at,
      id: offer.id,
      price: offer.default_pricing.instruction_price,
      machine,
    };
    const modulePriced = offer.module_pricing !== null && Object.keys(offer.module_pricing).length > 0;
    this.resources.set(entry.id, { entry, keys });
    this.machines.set(slot, entry.id);
    if (entry.machine) this.onboarded.set(entry.machine.id, entry.id);
    const modules = moduleKeysOf(offer);
    for (const key of keys) {
      for (const module of modules) {
        const lists = this.resourceBuckets.getOrMake(key, module, () => ({
          byAge: new SortedList<ResourceEntry>(olderFirst),
          byPrice: new SortedList<ResourceEntry>(cheaperFirst),
          modulePriced: [],
        }));
        lists.byAge.insert(entry);
        if (modulePriced) lists.modulePriced.push(entry);
        else lists.byPrice.insert(entry);
      }
    }
  }

  /** Takes a resource offer out of the book (withdrawn, expired, or booked elsewhere). */
  removeResourceOffer(id: string): ResourceOffer | undefined {
    const held = this.resources.get(id);
    if (!held) return undefined;
    this.resources.delete(id);
    const machine = machineKey(held.entry.offer);
    if (this.machines.get(machine) === id) this.machines.delete(machine);
    const onboarded = held.entry.machine?.id;
    if (onboarded !== undefined && this.onboarded.get(onboarded) === id) this.onboarded.delete(onboarded);
    held.entry.open = false;
    const modules = moduleKeysOf(held.entry.offer);
    for (const key of held.keys) {
      for (const module of modules) {
        const lists = this.resourceBuckets.get(key, module)!;
        lists.byAge.closedOne();
        const aside = lists.modulePriced.indexOf(held.entry);
        if (aside >= 0) lists.modulePriced.splice(aside, 1);
        else lists.byPrice.closedOne();
        if (lists.byAge.size === 0) this.resourceBuckets.delete(key, module);
      }
    }
    return held.entry.offer;
  }

  /** Takes a waiting job offer out of the book (withdrawn or expired). */
  removeJobOffer(id: string): BookJob | undefined {
    const held = this.jobs.get(id);
    if (!held) return undefined;
    this.jobs.delete(id);
    held.entry.open = false;
    this.jobsByAge.closedOne();
    const module = held.entry.job.moduleId;
    for (const key of held.keys) {
      const list = this.jobBuckets.get(key, module)!;
      list.closedOne();
      if (list.size === 0) this.jobBuckets.delete(key, module);
    }
    return held.entry.job;
  }

  /** The open resource offer of a provider's machine, if any. */
  resourceOfferFor(provider: string, index: number): ResourceOffer | undefined {
    const id = this.machines.get(`${provider.toLowerCase()} ${index}`);
    return id === undefined ? undefined : this.resources.get(id)?.entry.offer;
  }

  /** The open resource offer posted for an onboarded machine (its MachineRegistry ID, lower-case), if any. */
  resourceOfferOnMachine(machineId: string): { offer: ResourceOffer; machine: OfferMachine } | undefined {
    const id = this.onboarded.get(machineId);
    const entry = id === undefined ? undefined : this.resources.get(id)?.entry;
    return entry?.machine ? { offer: entry.offer, machine: entry.machine } : undefined;
  }

  /** The onboarded machine an open resource offer was posted for, if it named one. */
  machineOf(offerId: string): OfferMachine | undefined {
    return this.resources.get(offerId)?.entry.machine;
  }

  /**
   * Takes out the job offers whose match timeout ran out unmatched (`created_at + matchTimeoutMs <= now`), oldest
   * first, and returns them.
   */
  expireJobs(now: number, matchTimeoutMs: number): BookJob[] {
    const expired = this.dueJobs(now, matchTimeoutMs);
    for (const job of expired) this.removeJobOffer(job.offer.id);
    return expired;
  }

  /** The job offers expireJobs would take out, without changing the book. */
  dueJobs(now: number, matchTimeoutMs: number): BookJob[] {
    const due: BookJob[] = [];
    for (const entry of this.jobsByAge.items) {
      if (!entry.open) continue;
      if (entry.created_at + matchTimeoutMs > now) break;
      due.push(entry.job);
    }
    return due;
  }

  /** The IDs of the open resource offers. */
  resourceOfferIds(): IterableIterator<string> {
    return this.resources.keys();
  }

  /** The IDs of the waiting job offers. */
  jobOfferIds(): IterableIterator<string> {
    return this.jobs.keys();
  }

  /**
   * A match that came to nothing (a party did not sign in time): the offers in `reopen` (both by default) return to
   * the book, the resource offer first, and each may match again at once. Returns the new matches.
   */
  release(match: BookMatch, reopen: { job: boolean; resource: boolean } = { job: true, resource: true }): BookMatch[] {
    const again: BookMatch[] = [];
    if (reopen.resource) {
      const resource = this.addResourceOffer(match.resourceOffer, match.machine);
      if (resource) again.push(resource);
    }
    if (reopen.job) {
      const job = this.addJob(match.job);
      if (job) again.push(job);
    }
    return again;
  }

  /** The resource offer the selection rule gives `job`, if any matches. */
  private pickResource(job: BookJob): ResourceEntry | undefined {
    // The offers of the job's module and those that run any, in each bucket the job shares.
    const buckets: ResourceLists[] = [];
    for (const key of distinctKeys(job.offer.trusted_parties.solver, job.offer.trusted_parties.mediator)) {
      for (const module of [job.moduleId, ANY_MODULE]) {
        const lists = this.resourceBuckets.get(key, module);
        if (lists) buckets.push(lists);
      }
    }
    const matches = (entry: ResourceEntry): boolean =>
      matchOffersWithModule(job.offer, entry.offer, job.moduleId).matched;
    if (job.offer.mode === "FixedPrice") {
      return firstAccepted(
        buckets.map((b) => b.byAge.items),
        olderFirst,
        matches,
      );
    }
    // MarketPrice: the cheapest at the provider's terms for the job's module, ties to the oldest. In price order,
    // the first offer that matches is the cheapest and oldest of those priced at their defaults.
    let best = firstAccepted(
      buckets.map((b) => b.byPrice.items),
      cheaperFirst,
      matches,
    );
    let bestPrice = best?.price;
    for (const bucket of buckets) {
      for (const entry of bucket.modulePriced) {
        const price = providerTerms(entry.offer, job.moduleId).pricing.instruction_price;
        const wins =
          best === undefined ||
          bestPrice === undefined ||
          price < bestPrice ||
          (price === bestPrice && olderFirst(entry, best) < 0);
        if (wins && matches(entry)) {
          best = entry;
          bestPrice = price;
        }
      }
    }
    return best;
  }
}
