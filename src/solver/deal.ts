// The deal the solver proposes for a matched pair, and the check each party runs before it signs.
//
// The data model's getDeal is the reference's: the provider's default pricing and timeouts whatever the module,
// and mediators compared exactly. The solver's deal follows ../shared/spec/solver.md instead:
// - the provider's terms for the job's module (providerTerms), the same terms the price rule checked;
// - the mediators both trust, compared case-insensitively, in the resource offer's order and spelling.
// The ID is computed over the deal as proposed, so an agent that rebuilds it from the two offers gets the same ID
// only if the solver changed nothing (verifyProposedDeal).

import { isDeepStrictEqual } from "node:util";
import { AccordError } from "../model/errors";
import { assembleDeal } from "../model/deal";
import { getJobOfferId, getModuleId, getResourceOfferId } from "../model/ids";
import type { Deal, JobOffer, ResourceOffer } from "../model/types";
import { matchOffersWithModule, mutualMediators, providerTerms, type MatchRule } from "./match";

/** The offers do not match: no deal can be proposed for them. */
export class OffersDoNotMatchError extends AccordError {
  override name = "OffersDoNotMatchError";
  constructor(readonly rule: MatchRule) {
    super(`the offers do not match: rule "${rule}" fails`);
  }
}

/** A proposed deal is not the deal the two offers make (verifyProposedDeal). */
export class ProposedDealMismatchError extends AccordError {
  override name = "ProposedDealMismatchError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The deal for a matched pair: members from both offers (the job offer's solver, the mutual mediators), the
 * provider's pricing and timeouts for the job's module, both offers embedded with their IDs filled in, and the ID
 * over all of it. Throws OffersDoNotMatchError (naming the rule) when matchOffers would refuse the pair.
 */
export async function proposeDeal(jobOffer: JobOffer, resourceOffer: ResourceOffer, moduleId?: string): Promise<Deal> {
  const module = moduleId ?? (await getModuleId(jobOffer.module));
  const outcome = matchOffersWithModule(jobOffer, resourceOffer, module);
  if (!outcome.matched) throw new OffersDoNotMatchError(outcome.rule);
  const terms = providerTerms(resourceOffer, module);
  return assembleDeal(jobOffer, resourceOffer, {
    mediators: mutualMediators(jobOffer, resourceOffer),
    pricing: terms.pricing,
    timeouts: terms.timeouts,
  });
}

/**
 * What a party checks before it signs a proposed deal: the deal is exactly proposeDeal(its offers), so the pricing
 * and timeouts are the provider's for the module, the members are the offers', the embedded offers carry their own
 * IDs, and the deal's ID covers all of it. Throws
 * ProposedDealMismatchError naming the first field that differs (or OffersDoNotMatchError).
 */
export async function verifyProposedDeal(proposed: Deal): Promise<void> {
  // The embedded offers must carry their own IDs (the deal's ID covers them, and the parties sign by them).
  if (proposed.job_offer.id !== (await getJobOfferId(proposed.job_offer))) {
    throw new ProposedDealMismatchError("job_offer.id", "the proposed deal's job offer ID is not the offer's");
  }
  if (proposed.resource_offer.id !== (await getResourceOfferId(proposed.resource_offer))) {
    throw new ProposedDealMismatchError(
      "resource_offer.id",
      "the proposed deal's resource offer ID is not the offer's",
    );
  }
  const expected = await proposeDeal(proposed.job_offer, proposed.resource_offer);
  const sections = ["members", "pricing", "timeouts", "job_offer", "resource_offer"] as const;
  for (const section of sections) {
    if (!isDeepStrictEqual(proposed[section], expected[section])) {
      throw new ProposedDealMismatchError(section, `the proposed deal's ${section} is not what the offers make`);
    }
  }
  if (proposed.id !== expected.id) {
    throw new ProposedDealMismatchError("id", `the proposed deal's ID ${proposed.id} is not ${expected.id}`);
  }
}
