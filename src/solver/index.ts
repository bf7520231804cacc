// The solver's public parts (`accord/solver`): the matching rule, for anyone building a solver.

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
