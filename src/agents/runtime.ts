// What every agent runs on: its journal, the chain (a typed client for its role), the indexer's deal events for the
// deals it is in, and a tick that claims timeouts. Each deal's work runs one step at a time (a queue per deal), so an
// event and a tick never act on one deal at once; every step reads the chain's state first and does only what that
// state still allows, which is what makes a restart after kill -9 safe: the agent reconciles each journal record and
// each open deal the indexer lists with the chain, and carries on.

import type pino from "pino";
import type { AccordClient } from "../clients/base";
import { GraphqlClient, type GraphqlSubscription } from "../clients/graphql";
import { agreementStateNames, openAgreementStates } from "../model/enums";
import type { Deal } from "../model/types";
import { parseDeal } from "../model/validate";
import { encodeJson } from "../model/json";
import { dealSchema } from "../model/schemas";
import { Journal } from "./journal";

/** A deal as the indexer shows it. */
export interface IndexedDeal {
  /** The market's key for the deal. */
  id: string;
  /** The deal's CID. */
  cid: string;
  state: string;
  resultsId: string | null;
  instructionCount: string | null;
  mediator: string | null;
}

export const INDEXED_DEAL_FIELDS = "id cid state resultsId instructionCount mediator";

/** What an agent remembers of a deal. */
export interface DealRecord {
  /** The deal's CID. */
  dealId: string;
  /** The market's key, once known. */
  dealKey?: string;
  /** The deal's JSON (the data model's). */
  deal: string;
  /** The latest state the agent saw on chain. */
  chainState?: string;
  /** Role-specific progress (what it decided or did), written before it acts. */
  step?: string;
  resultsId?: string;
  instructionCount?: string;
  /** Set once the deal is final and nothing is left to do. */
  done?: boolean;
  /** When the agent first heard of the deal (ms). */
  at?: number;
}

/** The states a deal ends in (the model's states that are not open). */
export const FINAL_STATES: ReadonlySet<string> = new Set(
  agreementStateNames.filter((name) => !openAgreementStates.includes(name)),
);

export interface AgentRuntimeOptions {
  /** The agent's client for its role (its signer is the agent's account). */
  client: AccordClient;
  /** The indexer's GraphQL API. */
  indexerUrl: string;
  /** Which Deal field names the agent ("jobCreator", "resourceProvider", "mediator"). */
  dealField: "jobCreator" | "resourceProvider" | "mediator";
  /** Where the journal lives. */
  dataDir: string;
  logger: pino.Logger;
  /** How often open deals are checked for timeouts (ms); default 1000. */
  tickMs?: number;
}

export interface AgentHandlers {
  /** The indexer reports a deal of this agent (on each change, and at each catch-up). */
  onDeal(deal: IndexedDeal): Promise<void>;
  /** Each tick, for each journal record not done. */
  onTick(record: DealRecord): Promise<void>;
}

export class AgentRuntime {
  readonly journal: Journal<DealRecord>;
  readonly indexer: GraphqlClient;
  readonly logger: pino.Logger;
  private readonly queues = new Map<string, Promise<void>>();
  private feed: GraphqlSubscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private closed = false;
  me = "";

  constructor(private readonly options: AgentRuntimeOptions) {
    this.journal = Journal.open<DealRecord>(`${options.dataDir}/deals`);
    this.indexer = new GraphqlClient(options.indexerUrl);
    this.logger = options.logger;
  }

  /** Runs `step` after every step queued before it for the same key; failures are logged, never thrown. */
  serial(key: string, what: string, step: () => Promise<void>): Promise<void> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (this.closed) return;
      try {
        await step();
      } catch (error) {
        this.logger.warn({ err: error, deal: key }, `${what} failed`);
      }
    });
    this.queues.set(key, run);
    void run.then(() => {
      if (this.queues.get(key) === run) this.queues.delete(key);
    });
    return run;
  }

  /** Remembers a deal (before signing or acting on it). */
  remember(deal: Deal, fields: Partial<DealRecord> = {}): DealRecord {
    const existing = this.journal.get(deal.id);
    const record: DealRecord = {
      ...(existing ?? { dealId: deal.id, deal: encodeJson(deal, dealSchema), at: Date.now() }),
      ...fields,
    };
    this.journal.put(deal.id, record);
    return record;
  }

  dealOf(record: DealRecord): Deal {
    return parseDeal(record.deal);
  }

  /** Starts following the indexer and ticking. */
  async start(handlers: AgentHandlers): Promise<void> {
    this.me = (await this.options.client.getAddress()).toLowerCase();
    // The address is checked (it is the signer's), so it goes into the filter as a literal, whatever the field's type.
    const where = `${this.options.dealField}: "${this.me}"`;
    const catchUp = async (): Promise<void> => {
      const { deals } = await this.indexer.request<{ deals: IndexedDeal[] }>(
        `{ deals(where: { ${where}, isOpen: true }, first: 1000) { ${INDEXED_DEAL_FIELDS} } }`,
      );
      for (const deal of deals) void this.serial(deal.cid, "catching up", () => handlers.onDeal(deal));
      // Deals the journal holds open that closed while the agent was away.
      const open = new Set(deals.map((d) => d.cid));
      for (const record of this.journal.values()) {
        if (record.done || !record.dealKey || open.has(record.dealId)) continue;
        const { deal } = await this.indexer.request<{ deal: IndexedDeal | null }>(
          `query ($id: ID!) { deal(id: $id) { ${INDEXED_DEAL_FIELDS} } }`,
          { id: record.dealKey },
        );
        if (deal) void this.serial(deal.cid, "catching up", () => handlers.onDeal(deal));
      }
    };
    this.feed = this.indexer.subscribe<{ dealChanged: IndexedDeal }>(
      `subscription { dealChanged(where: { ${where} }) { ${INDEXED_DEAL_FIELDS} } }`,
      {},
      {
        next: ({ dealChanged }) =>
          void this.serial(dealChanged.cid, "a deal event", () => handlers.onDeal(dealChanged)),
        connected: () => void catchUp().catch((error: unknown) => this.logger.warn({ err: error }, "catch-up failed")),
        error: (error) => this.logger.error({ err: error }, "the indexer's deal feed failed"),
      },
    );
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      const open = this.journal.values().filter((r) => !r.done);
      const check = (id: string) => async () => {
        const record = this.journal.get(id);
        if (record && !record.done) await handlers.onTick(record);
      };
      Promise.all(open.map((r) => this.serial(r.dealId, "a timeout check", check(r.dealId))))
        .catch(() => {})
        .finally(() => (this.ticking = false));
    }, this.options.tickMs ?? 1000);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.feed?.close();
    this.indexer.close();
    await Promise.allSettled([...this.queues.values()]);
    this.journal.close();
  }
}
