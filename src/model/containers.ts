// The solver's bookkeeping wrappers around offers and deals, as the reference builds them.

import { getDefaultAgreementState } from "./enums";
import type {
  Deal,
  DealContainer,
  DealTransactions,
  JobOffer,
  JobOfferContainer,
  ResourceOffer,
  ResourceOfferContainer,
} from "./types";

/** A job offer not yet in a deal: no deal ID, state DealNegotiating. */
export function getJobOfferContainer(jobOffer: JobOffer): JobOfferContainer {
  return {
    id: jobOffer.id,
    deal_id: "",
    job_creator: jobOffer.job_creator,
    state: getDefaultAgreementState(),
    job_offer: jobOffer,
  };
}

/** A resource offer not yet in a deal. The offer goes under the key `job_offer`, as in the reference. */
export function getResourceOfferContainer(resourceOffer: ResourceOffer): ResourceOfferContainer {
  return {
    id: resourceOffer.id,
    deal_id: "",
    resource_provider: resourceOffer.resource_provider,
    state: getDefaultAgreementState(),
    job_offer: resourceOffer,
  };
}

/** A new deal: state DealNegotiating, no transactions yet, no mediator chosen. */
export function getDealContainer(deal: Deal): DealContainer {
  return {
    id: deal.id,
    job_creator: deal.job_offer.job_creator,
    resource_provider: deal.resource_offer.resource_provider,
    job_offer: deal.job_offer.id,
    resource_offer: deal.resource_offer.id,
    state: getDefaultAgreementState(),
    deal,
    transactions: getEmptyDealTransactions(),
    mediator: "",
  };
}

/** Every transaction hash unset (""). */
export function getEmptyDealTransactions(): DealTransactions {
  return {
    resource_provider: {
      agree: "",
      add_result: "",
      timeout_agree: "",
      timeout_judge_result: "",
      timeout_mediate_result: "",
    },
    job_creator: {
      agree: "",
      accept_result: "",
      check_result: "",
      timeout_agree: "",
      timeout_submit_result: "",
      timeout_mediate_result: "",
    },
    mediator: {
      mediation_accept_result: "",
      mediation_reject_result: "",
    },
  };
}
