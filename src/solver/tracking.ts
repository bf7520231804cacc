// Once agreed, a deal is the chain's: the solver follows its state through the indexer's events (a dealChanged
// subscription on the deals naming this solver), records it on the deal's container and tells both parties. Each
// time the subscription is (re)established the solver catches up with one query, so a restart of either side
// loses no state change that matters (the latest state is what the container shows).
//
// Onboarded machines the same way, from the chain: the solver reads MachineRegistry's logs (decoded by its event
// decoder, machineRegistryDecoder) and hands every MachineUpdated, MachineAvailabilitySet and MachineRemoved to
// Solver.machineChanged, which re-reads the machine and withdraws its open offer if it no longer stands. The catch-up
// is the solver's own: on start it re-reads every open offer's machine, so the feed starts at a block read before
// that (a change seen twice is re-read twice, which changes nothing the second time).

import type { Provider } from "ethers";
import type pino from "pino";
import { decodeAccordLogs, type AccordLog } from "../clients/events";
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

/** The machine a MachineRegistry event changes in a way that matters to an open offer (a registration does not). */
function changedMachine(event: AccordLog): string | undefined {
  switch (event.eventName) {
    case "MachineUpdated":
    case "MachineAvailabilitySet":
    case "MachineRemoved":
      return event.args.machineId;
    default:
      return undefined;
  }
}

/** A running feed of MachineRegistry's events into the solver. */
export interface MachineEventFeed {
  /** Reads the registry's logs up to the latest block and hands each change to the solver (a poll at a time). */
  poll(): Promise<void>;
  /** The next block to read. */
  readonly nextBlock: number;
  close(): void;
}

/**
 * Follows the MachineRegistry at `machines` on `chain` from block `fromBlock` (read it before Solver.start, so nothing
 * between the solver's reconciliation and the first poll is missed), polling every `intervalMs` (default 1000; 0:
 * only when poll() is called). A poll that fails is logged and read again from where it stopped.
 */
export function trackMachinesFromChain(
  solver: Solver,
  chain: Provider,
  machines: string,
  logger: pino.Logger,
  options: { fromBlock: number; intervalMs?: number; maxBlockRange?: number },
): MachineEventFeed {
  const maxRange = options.maxBlockRange ?? 2000;
  const intervalMs = options.intervalMs ?? 1000;
  let next = options.fromBlock;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const step = async (): Promise<void> => {
    const latest = await chain.getBlockNumber();
    while (next <= latest && !closed) {
      const to = Math.min(latest, next + maxRange - 1);
      const logs = await chain.getLogs({ address: machines, fromBlock: next, toBlock: to });
      for (const event of decodeAccordLogs(logs, { machines })) {
        const machineId = changedMachine(event);
        if (machineId !== undefined) await solver.machineChanged(machineId);
      }
      // Only once every change of the range is handled: a failure reads the range again.
      next = to + 1;
    }
  };
  const poll = (): Promise<void> => (running ??= step().finally(() => (running = undefined)));
  const schedule = (): void => {
    if (closed || intervalMs === 0) return;
    timer = setTimeout(() => {
      poll()
        .catch((error: unknown) => logger.warn({ err: error }, "following MachineRegistry's events failed"))
        .finally(schedule);
    }, intervalMs);
  };
  schedule();
  return {
    poll,
    get nextBlock() {
      return next;
    },
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
