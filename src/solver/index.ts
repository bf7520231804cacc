// The solver's public parts (`accord/solver`): the matching rule, for anyone building a solver, and the offer book
// that makes exactly the matches it allows.

export { OfferBook, type BookJob, type BookMatch } from "./book";
export { OffersDoNotMatchError, proposeDeal, ProposedDealMismatchError, verifyProposedDeal } from "./deal";
export {
  JOB_CREATOR_AMOUNTS,
  MATCH_RULES,
  matchOffers,
  matchOffersWithModule,
  mutualMediators,
  providerTerms,
  type MatchOutcome,
  type MatchRule,
} from "./match";
export {
  acceptJobOffer,
  acceptMachineResourceOffer,
  acceptResourceOffer,
  checkOfferMachine,
  MACHINE_OFFER_POST_TYPES,
  machineChangeOf,
  machineOfferPost,
  NO_MACHINE_SOURCE,
  OFFER_POST_TYPES,
  OfferIntakeError,
  offerPost,
  offerPostDomain,
  offerWithdrawal,
  checkWithdrawal,
  PARTY_SUBSCRIPTION_TYPES,
  resolveIntakeRules,
  SubscriptionAuthError,
  verifyPartySubscription,
  type IntakeRules,
  type MachineSource,
  type OfferKind,
  type OfferMachine,
  type OnboardedMachine,
} from "./intake";
export {
  noticeParties,
  ProposalSignError,
  Solver,
  type LiveProposal,
  type PostOutcome,
  type SolverEvents,
  type SolverNotice,
  type SolverOptions,
} from "./solver";
export {
  SolverState,
  type NewProposal,
  type OfferState,
  type ProposalState,
  type StoredOffer,
  type StoredProposal,
} from "./state";
export {
  AgreementSignatureError,
  AgreementSubmitError,
  ClientAgreementChain,
  type AgreementChain,
  type AgreementSignatures,
  type SubmittedAgreement,
} from "./agreement";
export { trackDealsFromIndexer, trackMachinesFromChain, type MachineEventFeed } from "./tracking";
export { serveSolver, SOLVER_SDL, type SolverServer, type SolverServerOptions } from "./api";
export { announceService, announceSolver, findSolvers } from "./registry";
export {
  SolverApiClient,
  type NoticeView,
  type PostStatus,
  type ProposalView,
  type SolverApiClientOptions,
} from "./client";
