// Once agreed, a deal is the chain's: the solver follows its state through the indexer's events (a dealChanged
// subscription on the deals naming this solver), records it on the deal's container and tells both parties. Each
// time the subscription is (re)established the solver catches up with one query, so a restart of either side
// loses no state change that matters (the latest state is what the container shows).

import type pino from "pino";
import type { GraphqlClient, GraphqlSubscription } from "../clients/graphql";
import type { Solver } from "./solver";

const DEAL_CHANGED = /* GraphQL */ `
  subscription ($solver: Bytes) {
    dealChanged(where: { solver: $solver }) {
      id
      state
    }
  }
`;

const RECENT_DEALS = /* GraphQL */ `
  query ($solver: Bytes, $first: Int) {
    deals(where: { solver: $solver }, orderBy: updatedAtBlock, orderDirection: desc, first: $first) {
      id
      state
    }
  }
`;

type DealState = { id: string; state: string };

/** Follows the deals of `solverAddress` on the indexer at `indexer`; close() the result to stop. */
export function trackDealsFromIndexer(
  solver: Solver,
  indexer: GraphqlClient,
  solverAddress: string,
  logger: pino.Logger,
  options: { catchUp?: number } = {},
): GraphqlSubscription {
  const variables = { solver: solverAddress.toLowerCase() };
  const apply = (deal: DealState): Promise<void> =>
    solver.trackDeal(deal.id, deal.state).catch((error: unknown) => {
      logger.warn({ err: error, dealKey: deal.id }, "recording a deal's state failed");
    });
  const catchUp = async (): Promise<void> => {
    const { deals } = await indexer.request<{ deals: DealState[] }>(RECENT_DEALS, {
      ...variables,
      first: options.catchUp ?? 1000,
    });
    for (const deal of deals) await apply(deal);
  };
  return indexer.subscribe<{ dealChanged: DealState }>(DEAL_CHANGED, variables, {
    next: ({ dealChanged }) => void apply(dealChanged),
    connected: () => {
      catchUp().catch((error: unknown) => logger.warn({ err: error }, "catching up with the indexer failed"));
    },
    error: (error) => logger.error({ err: error }, "the indexer's deal feed failed"),
  });
}
