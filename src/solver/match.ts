// The matching rule: whether a job offer and a resource offer make a deal, and, when they do not, the first rule
// that fails, in the order of ../shared/spec/solver.md (the reference's, with Accord's corrections: the module
// check kept, every amount the job creator pays compared, addresses compared case-insensitively).
//
// One function serves everyone who needs the rule: the solver's offer index only narrows the candidates down to
// pairs this function is then asked about, so the solver makes exactly the matches it allows, and anyone building
// another solver gets the same answer.

import { sameAddress } from "../model/address";
import { getModuleId } from "../model/ids";
import { PricingMode, type DealPricing, type DealTimeouts, type JobOffer, type ResourceOffer } from "../model/types";

/** The rules, in the order they are checked. */
export const MATCH_RULES = [
  "cpu",
  "gpu",
  "ram",
  "modules",
  "resourceOfferMarketPrice",
  "price",
  "mediators",
  "solver",
] as const;

export type MatchRule = (typeof MATCH_RULES)[number];

export type MatchOutcome = { readonly matched: true } | { readonly matched: false; readonly rule: MatchRule };

// The outcomes, built once: the solver asks about many pairs.
const MATCHED: MatchOutcome = Object.freeze({ matched: true });
const FAILED = Object.fromEntries(MATCH_RULES.map((rule) => [rule, Object.freeze({ matched: false, rule })])) as Record<
  MatchRule,
  MatchOutcome
>;

/** The amounts of DealPricing the job creator pays or escrows: each must be within a fixed-price job's bid. */
export const JOB_CREATOR_AMOUNTS = [
  "instruction_price",
  "payment_collateral",
  "mediation_fee",
] as const satisfies readonly (keyof DealPricing)[];

/**
 * The terms the provider offers for a module: its `module_pricing` / `module_timeouts` entry for the module's ID
 * where it set one, else its defaults. The price rule checks, and the deal carries, these.
 */
export function providerTerms(
  resourceOffer: ResourceOffer,
  moduleId: string,
): { pricing: DealPricing; timeouts: DealTimeouts } {
  return {
    pricing: ownEntry(resourceOffer.module_pricing, moduleId) ?? resourceOffer.default_pricing,
    timeouts: ownEntry(resourceOffer.module_timeouts, moduleId) ?? resourceOffer.default_timeouts,
  };
}

function ownEntry<T>(map: Record<string, T> | null, key: string): T | undefined {
  // Own properties only: a module ID such as "constructor" must not find Object.prototype's.
  return map !== null && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

/** Whether the offers trust a mediator in common (the rule's check: no list is built). */
function haveMutualMediator(jobOffer: JobOffer, resourceOffer: ResourceOffer): boolean {
  const theirs = jobOffer.trusted_parties.mediator ?? [];
  for (const mediator of resourceOffer.trusted_parties.mediator ?? []) {
    for (const other of theirs) if (sameAddress(mediator, other)) return true;
  }
  return false;
}

/** The mediators both offers trust, in the resource offer's order, compared case-insensitively (each once). */
export function mutualMediators(jobOffer: JobOffer, resourceOffer: ResourceOffer): string[] {
  const trusted = new Set((jobOffer.trusted_parties.mediator ?? []).map((m) => m.toLowerCase()));
  const seen = new Set<string>();
  const mutual: string[] = [];
  for (const mediator of resourceOffer.trusted_parties.mediator ?? []) {
    const key = mediator.toLowerCase();
    if (trusted.has(key) && !seen.has(key)) {
      seen.add(key);
      mutual.push(mediator);
    }
  }
  return mutual;
}

/** The rule with the job's module ID already computed (the solver computes it once per job offer). */
export function matchOffersWithModule(
  jobOffer: JobOffer,
  resourceOffer: ResourceOffer,
  moduleId: string,
): MatchOutcome {
  const need = jobOffer.spec;
  const have = resourceOffer.spec;
  if (have.cpu < need.cpu) return FAILED.cpu;
  if (have.gpu < need.gpu) return FAILED.gpu;
  if (have.ram < need.ram) return FAILED.ram;
  const modules = resourceOffer.modules ?? [];
  if (modules.length > 0 && !modules.includes(moduleId)) return FAILED.modules;
  if (resourceOffer.mode === PricingMode.MarketPrice) return FAILED.resourceOfferMarketPrice;
  if (jobOffer.mode === PricingMode.FixedPrice) {
    const { pricing } = providerTerms(resourceOffer, moduleId);
    for (const amount of JOB_CREATOR_AMOUNTS) {
      if (pricing[amount] > jobOffer.pricing[amount]) return FAILED.price;
    }
  }
  if (!haveMutualMediator(jobOffer, resourceOffer)) return FAILED.mediators;
  if (!sameAddress(jobOffer.trusted_parties.solver, resourceOffer.trusted_parties.solver)) return FAILED.solver;
  return MATCHED;
}

/**
 * Whether `jobOffer` and `resourceOffer` match: `{ matched: true }`, or `{ matched: false, rule }` naming the first
 * rule that fails, in MATCH_RULES order:
 * - `cpu`, `gpu`, `ram`: the resource offer has at least what the job offer requires (a zero requirement matches
 *   anything);
 * - `modules`: the resource offer lists the job's module ID (`getModuleId(jobOffer.module)`), or lists none (all);
 * - `resourceOfferMarketPrice`: a resource offer is a fixed price, never `MarketPrice`;
 * - `price`: for a `FixedPrice` job, each amount the job creator pays or escrows (`JOB_CREATOR_AMOUNTS`), at the
 *   provider's terms for the module (providerTerms), is at most the job's; a `MarketPrice` job skips this;
 * - `mediators`: the offers trust at least one mediator in common (addresses compared case-insensitively);
 * - `solver`: both offers name the same solver (case-insensitively).
 * The offers are taken as parsed (parseJobOffer / parseResourceOffer); this checks no more than the rules.
 */
export async function matchOffers(jobOffer: JobOffer, resourceOffer: ResourceOffer): Promise<MatchOutcome> {
  return matchOffersWithModule(jobOffer, resourceOffer, await getModuleId(jobOffer.module));
}
