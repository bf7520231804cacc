// Matching a job offer with a resource offer into a deal, as the reference's GetDeal does.

import { DealMatchError } from "./errors";
import { getDealId, getJobOfferId, getResourceOfferId } from "./ids";
import type { Deal, DealPricing, DealTimeouts, JobOffer, ResourceOffer } from "./types";

/**
 * The parties in both lists, in the order of `a`. Like the reference's nested loop, a party listed
 * twice in one list appears once per match (["x", "x"] and ["x"] give ["x", "x"]). Exact string
 * comparison, as in the reference: "0xAB…" and "0xab…" do not match.
 */
export function getMutualServices(
  a: readonly string[] | null | undefined,
  b: readonly string[] | null | undefined,
): string[] {
  const mutual: string[] = [];
  for (const aParty of a ?? []) {
    for (const bParty of b ?? []) {
      if (aParty === bParty) mutual.push(aParty);
    }
  }
  return mutual;
}

/**
 * The deal for a job offer and a resource offer: the mediators both trust (in the resource offer's
 * order), the common solver, and the provider's default pricing and timeouts.
 * Throws DealMatchError when no mediator is mutual or the solvers differ (checked in that order).
 *
 * The deal carries copies of both offers with their IDs filled in: an offer whose `id` is "" gets its
 * computed ID (the reference would keep ""); a non-empty `id` is kept as it is.
 */
export async function getDeal(jobOffer: JobOffer, resourceOffer: ResourceOffer): Promise<Deal> {
  const mediators = getMutualServices(resourceOffer.trusted_parties.mediator, jobOffer.trusted_parties.mediator);
  if (mediators.length === 0) {
    throw new DealMatchError("no-mutual-mediators", "no mutual mediators: the offers trust no mediator in common");
  }
  if (jobOffer.trusted_parties.solver !== resourceOffer.trusted_parties.solver) {
    throw new DealMatchError(
      "no-mutual-solver",
      `no mutual solver: the job offer names ${jobOffer.trusted_parties.solver || '""'}, ` +
        `the resource offer ${resourceOffer.trusted_parties.solver || '""'}`,
    );
  }

  // The reference settles on the provider's terms, whatever the job offer asked.
  return assembleDeal(jobOffer, resourceOffer, {
    mediators,
    pricing: resourceOffer.default_pricing,
    timeouts: resourceOffer.default_timeouts,
  });
}

/**
 * A deal from two offers and the terms chosen for it: copies of both offers with their IDs filled in (an offer whose
 * `id` is "" gets its computed ID; a non-empty one is kept), the members from the offers (the job offer's solver),
 * and the ID over all of it. getDeal chooses the reference's terms; the solver's proposeDeal its own.
 */
export async function assembleDeal(
  jobOffer: JobOffer,
  resourceOffer: ResourceOffer,
  terms: { mediators: string[]; pricing: DealPricing; timeouts: DealTimeouts },
): Promise<Deal> {
  const job = structuredClone(jobOffer);
  if (job.id === "") job.id = await getJobOfferId(job);
  const resource = structuredClone(resourceOffer);
  if (resource.id === "") resource.id = await getResourceOfferId(resource);
  const deal: Deal = {
    id: "",
    members: {
      solver: job.trusted_parties.solver,
      job_creator: job.job_creator,
      resource_provider: resource.resource_provider,
      mediators: terms.mediators,
    },
    pricing: structuredClone(terms.pricing),
    timeouts: structuredClone(terms.timeouts),
    job_offer: job,
    resource_offer: resource,
  };
  deal.id = await getDealId(deal);
  return deal;
}
