// The reference's acceptance checks a solver applies before it takes an offer or a result.
// They check meaning, not shape: run the parseXxx validators first on untrusted input.

import { AccordCheckError } from "./errors";
import type { JobOfferInput, ResourceOfferInput, ResultInput } from "./types";

/** A job offer must name its solver and trust at least one mediator. Throws AccordCheckError. */
export function checkJobOffer(jobOffer: JobOfferInput): void {
  const subject = "job offer";
  if (!jobOffer.trusted_parties?.solver) {
    throw new AccordCheckError("trusted_parties.solver", "must name the solver", { subject });
  }
  if (!jobOffer.trusted_parties.mediator?.length) {
    throw new AccordCheckError("trusted_parties.mediator", "must have at least one trusted mediator", { subject });
  }
}

/**
 * A resource offer must not be MarketPrice (a provider states its price), must name its solver and
 * trust at least one mediator. Throws AccordCheckError.
 */
export function checkResourceOffer(resourceOffer: ResourceOfferInput): void {
  const subject = "resource offer";
  if (resourceOffer.mode === "MarketPrice") {
    throw new AccordCheckError("mode", "cannot be MarketPrice", { subject });
  }
  if (!resourceOffer.trusted_parties?.solver) {
    throw new AccordCheckError("trusted_parties.solver", "must name the solver", { subject });
  }
  if (!resourceOffer.trusted_parties.mediator?.length) {
    throw new AccordCheckError("trusted_parties.mediator", "must have at least one trusted mediator", { subject });
  }
}

/** A result must carry the ID of its data, or an error. Throws AccordCheckError. */
export function checkResult(result: ResultInput): void {
  if (!result.results_id && !result.error) {
    throw new AccordCheckError("results_id", "must be set (the result's data ID) unless error is set", {
      subject: "result",
    });
  }
}
