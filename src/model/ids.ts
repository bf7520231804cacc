// The reference's ID functions. An object's ID is the CID of the object with its own `id` set to "",
// so the ID can be stored in the object without changing it. A deal's nested offers keep their IDs.

import { calculateCid } from "./cid";
import { dealSchema, jobOfferSchema, moduleConfigSchema, resourceOfferSchema, resultSchema } from "./schemas";
import type { DealInput, JobOfferInput, ModuleConfigInput, ResourceOfferInput, ResultInput } from "./types";

export function getJobOfferId(jobOffer: JobOfferInput): Promise<string> {
  return calculateCid({ ...jobOffer, id: "" }, jobOfferSchema);
}

export function getResourceOfferId(resourceOffer: ResourceOfferInput): Promise<string> {
  return calculateCid({ ...resourceOffer, id: "" }, resourceOfferSchema);
}

/** Computed with `deal.job_offer.id` and `deal.resource_offer.id` as they are. */
export function getDealId(deal: DealInput): Promise<string> {
  return calculateCid({ ...deal, id: "" }, dealSchema);
}

/** A module's ID is the CID of its config (there is no `id` field to clear). */
export function getModuleId(module: ModuleConfigInput): Promise<string> {
  return calculateCid(module, moduleConfigSchema);
}

/** Not among the reference's functions, but by its recipe (the reference documents Result.id so). */
export function getResultId(result: ResultInput): Promise<string> {
  return calculateCid({ ...result, id: "" }, resultSchema);
}
