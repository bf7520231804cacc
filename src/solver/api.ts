// The solver's HTTP API: GraphQL (graphql-yoga) on the same stack and limits as the indexer's API, with mutations for
// posting offers. GraphQL rather than REST: solvers and agents already speak it to the indexer, one client and one
// set of protections serve both, and the proposals a party waits for fit a subscription (next).
//
// An offer is posted as its JSON text (the data model's, which its ID is computed over: uint64 amounts stay exact)
// with its owner's EIP-712 signature (intake.ts); a resource offer may name its onboarded machine (machineId: the
// post is then signed as a MachineOfferPost). A refused post is a GraphQL error with code BAD_OFFER naming the field
// and the rule; nothing of it is kept.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import type pino from "pino";
import { DEFAULTS } from "../defaults";
import { encodeJson } from "../model/json";
import {
  dealContainerSchema,
  dealSchema,
  jobOfferContainerSchema,
  resourceOfferContainerSchema,
} from "../model/schemas";
import { readBody, sendJson, sendTooLarge, yogaLogger } from "../server/http";
import { DEFAULT_LIMITS, limitPlugins, type Limits } from "../server/limits";
import { checkRange } from "../server/resolvers";
import { getDealContainer, getJobOfferContainer, getResourceOfferContainer } from "../model/containers";
import { getAgreementState } from "../model/enums";
import { parseJobOffer, parseResourceOffer } from "../model/validate";
import { OfferIntakeError, SubscriptionAuthError, verifyPartySubscription, type IntakeRules } from "./intake";
import { matchOffers } from "./match";
import {
  noticeParties,
  ProposalSignError,
  type LiveProposal,
  type PostOutcome,
  type Solver,
  type SolverNotice,
} from "./solver";
import type { OfferState, SolverState, StoredOffer, StoredProposal } from "./state";

export const SOLVER_SDL = /* GraphQL */ `
  "The open offers of the book."
  type Book {
    jobOffers: Int!
    resourceOffers: Int!
  }

  "A deal the solver proposed to both parties."
  type Proposal {
    "The deal's ID (a CID)."
    id: String!
    jobOfferId: String!
    resourceOfferId: String!
    jobCreator: String!
    resourceProvider: String!
    mediators: [String!]!
    "The deal as the data model's JSON: what each party checks (verifyProposedDeal) and signs."
    deal: String!
    "The deadline (unix seconds, decimal) both parties sign the EIP-712 Agreement(dealId, terms, deadline) for."
    deadline: String!
    "proposed (waiting for signatures), signed (being submitted), agreed (on chain), failed or dropped."
    state: ProposalState!
    "The parties whose signatures are in."
    signedBy: [String!]!
    "Once on chain: the market's key for the deal, and its state there as last tracked (an AgreementState name)."
    dealKey: String
    chainState: String
    "The transaction that submitted the agreement."
    txHash: String
    "Why it was dropped or failed."
    reason: String
    "The reference's DealContainer as JSON (state = the chain state's index once agreed)."
    container: String!
  }

  enum ProposalState {
    proposed
    signed
    agreed
    failed
    dropped
  }

  enum OfferState {
    open
    matched
    expired
    withdrawn
  }

  "An offer the solver accepted."
  type Offer {
    id: String!
    kind: String!
    state: OfferState!
    "The deal that took it, if any."
    dealId: String
    "A resource offer's onboarded machine (its MachineRegistry ID, bytes32 hex), if the post named one."
    machineId: String
    "The offer as the data model's JSON."
    offer: String!
    "The reference's JobOfferContainer or ResourceOfferContainer as JSON."
    container: String!
  }

  "What matchOffers decides for a pair (the solver keeps no decisions: it matches incrementally)."
  type MatchDecision {
    jobOfferId: String!
    resourceOfferId: String!
    matched: Boolean!
    "The first rule that fails, in the spec's order (cpu, gpu, ram, modules, resourceOfferMarketPrice, price, mediators, solver)."
    rule: String
  }

  enum NoticeKind {
    proposed
    agreed
    dropped
    failed
    dealState
    expired
    withdrawn
  }

  "Something that happened to one of the party's offers or deals."
  type Notice {
    kind: NoticeKind!
    "The offer (expired, withdrawn), or the deal's job offer."
    offerId: String
    "The deal, for the deal kinds."
    proposal: Proposal
    dealKey: String
    txHash: String
    "dealState: the deal's state on chain (an AgreementState name)."
    state: String
    reason: String
    "dropped: the offers returned to the book."
    reopened: [String!]
  }

  enum PostStatus {
    "Accepted and waiting in the book."
    open
    "Accepted and matched at once: see proposal."
    proposed
    "This offer was accepted before: nothing changed."
    duplicate
  }

  type PostResult {
    status: PostStatus!
    offerId: String!
    proposal: Proposal
  }

  type Query {
    book: Book!
    "A proposal in any state: the deal's container."
    proposal(id: String!): Proposal
    "Proposals in any state, newest first; with party, those it is a party of."
    proposals(party: String, first: Int = 100, skip: Int = 0): [Proposal!]!
    "Proposals waiting for signatures or being submitted, in the order they were made."
    liveProposals(first: Int = 100, skip: Int = 0): [Proposal!]!
    offer(id: String!): Offer
    "Accepted offers, newest first."
    offers(party: String, state: OfferState, first: Int = 100, skip: Int = 0): [Offer!]!
    "The match decision for two accepted offers."
    decision(jobOfferId: String!, resourceOfferId: String!): MatchDecision
  }

  type Subscription {
    """
    The proposals made for one party (as job creator or resource provider), as they are made. The party proves it
    is itself with its EIP-712 PartySubscription { party, solver, expiry } signature; expiry is in seconds since the
    epoch, at most an hour ahead, and the subscription ends then.
    """
    myProposals(party: String!, expiry: Int!, signature: String!): Proposal!
    "Everything that happens to the party's own offers and deals (authenticated as myProposals)."
    myNotices(party: String!, expiry: Int!, signature: String!): Notice!
  }

  type Mutation {
    "A job offer (its JSON) with its job creator's EIP-712 OfferPost signature."
    postJobOffer(offer: String!, signature: String!): PostResult!
    """
    A resource offer (its JSON) with its provider's EIP-712 OfferPost signature; or, naming the onboarded machine it
    offers (machineId, a MachineRegistry ID), its MachineOfferPost { offerId, machineId, solver } signature. The
    machine must be Active, the provider's, available, hold the offer's spec in its onboarded share, and have no other
    open offer.
    """
    postResourceOffer(offer: String!, signature: String!, machineId: String): PostResult!
    """
    A party's EIP-712 signature over the proposal's Agreement(dealId, terms, deadline) on the DealMarket's domain.
    With both parties' in, the solver submits agreeWithSignatures. Returns the proposal's state.
    """
    signProposal(id: String!, party: String!, signature: String!): ProposalState!
    """
    Withdraws an open offer: its owner's EIP-712 OfferPost { kind: "withdraw", offerId, solver } signature. NOT_FOUND
    when the offer is not waiting in the book (matched, expired, withdrawn or unknown).
    """
    withdrawOffer(id: String!, signature: String!): Boolean!
  }
`;

type ProposalView = Pick<StoredProposal, "deal" | "deadline" | "signatures" | "state"> &
  Partial<Pick<StoredProposal, "dealKey" | "txHash" | "chainState" | "reason">>;

function proposalOf(p: ProposalView) {
  const { deal } = p;
  const container = getDealContainer(deal);
  if (p.chainState) container.state = getAgreementState(p.chainState);
  if (p.txHash) {
    container.transactions.job_creator.agree = p.txHash;
    container.transactions.resource_provider.agree = p.txHash;
  }
  const signedBy: string[] = [];
  if (p.signatures.jobCreator) signedBy.push(deal.members.job_creator);
  if (p.signatures.resourceProvider) signedBy.push(deal.members.resource_provider);
  return {
    id: deal.id,
    jobOfferId: deal.job_offer.id,
    resourceOfferId: deal.resource_offer.id,
    jobCreator: deal.members.job_creator,
    resourceProvider: deal.members.resource_provider,
    mediators: deal.members.mediators ?? [],
    deal: encodeJson(deal, dealSchema),
    deadline: String(p.deadline),
    state: p.state,
    signedBy,
    dealKey: p.dealKey ?? null,
    chainState: p.chainState ?? null,
    txHash: p.txHash ?? null,
    reason: p.reason ?? null,
    container: encodeJson(container, dealContainerSchema),
  };
}

function offerOf(stored: StoredOffer) {
  const container =
    stored.kind === "job"
      ? encodeJson(
          { ...getJobOfferContainer(parseJobOffer(stored.body)), deal_id: stored.dealId ?? "" },
          jobOfferContainerSchema,
        )
      : encodeJson(
          { ...getResourceOfferContainer(parseResourceOffer(stored.body)), deal_id: stored.dealId ?? "" },
          resourceOfferContainerSchema,
        );
  return {
    id: stored.id,
    kind: stored.kind,
    state: stored.state,
    dealId: stored.dealId ?? null,
    machineId: stored.machineId ?? null,
    offer: stored.body,
    container,
  };
}

/** The proposal a deal notice is about, as it stands after the notice. */
function noticeProposal(notice: Exclude<SolverNotice, { kind: "expired" | "withdrawn" }>): ProposalView {
  const { deal, deadline } = notice;
  const both = { jobCreator: "signed", resourceProvider: "signed" };
  switch (notice.kind) {
    case "proposed":
      return { deal, deadline, signatures: {}, state: "proposed" };
    case "dropped":
      return { deal, deadline, signatures: {}, state: "dropped", reason: notice.reason };
    case "failed":
      return { deal, deadline, signatures: both, state: "failed", reason: notice.reason };
    case "agreed":
      return { deal, deadline, signatures: both, state: "agreed", dealKey: notice.dealKey, txHash: notice.txHash };
    case "dealState":
      return { deal, deadline, signatures: both, state: "agreed", dealKey: notice.dealKey, chainState: notice.state };
  }
}

function noticeOf(notice: SolverNotice) {
  if (notice.kind === "expired" || notice.kind === "withdrawn") {
    return { kind: notice.kind, offerId: notice.offer.id, reason: notice.kind === "withdrawn" ? notice.reason : null };
  }
  return {
    kind: notice.kind,
    offerId: notice.deal.job_offer.id,
    proposal: proposalOf(noticeProposal(notice)),
    dealKey: "dealKey" in notice ? notice.dealKey : null,
    txHash: "txHash" in notice ? (notice.txHash ?? null) : null,
    state: notice.kind === "dealState" ? notice.state : null,
    reason: "reason" in notice ? notice.reason : null,
    reopened: notice.kind === "dropped" ? notice.reopened : null,
  };
}

function liveView(live: LiveProposal): ProposalView {
  return { deal: live.deal, deadline: live.deadline, signatures: live.signatures, state: live.state };
}

function resultOf(solver: Solver, outcome: PostOutcome) {
  const live = outcome.status === "proposed" ? solver.liveProposals.get(outcome.deal.id) : undefined;
  return { status: outcome.status, offerId: outcome.offerId, proposal: live ? proposalOf(liveView(live)) : null };
}

/** A client's mistake as a GraphQL error with its code (and field and rule); anything else stays a server fault. */
function clientError(error: unknown): never {
  if (error instanceof OfferIntakeError) {
    throw new GraphQLError(error.message, { extensions: { code: "BAD_OFFER", field: error.field, rule: error.rule } });
  }
  if (error instanceof SubscriptionAuthError) {
    throw new GraphQLError(error.message, {
      extensions: { code: "UNAUTHENTICATED", field: error.field, rule: error.rule },
    });
  }
  if (error instanceof ProposalSignError) throw new GraphQLError(error.message, { extensions: { code: error.code } });
  throw error;
}

async function posting(solver: Solver, post: () => Promise<PostOutcome>) {
  try {
    return resultOf(solver, await post());
  } catch (error) {
    clientError(error);
  }
}

/**
 * The parties' notice streams: one listener on the solver hands each notice to the subscriptions of its parties only
 * (by lower-cased address), so a notice costs the same whatever the number of subscribers.
 */
class NoticeRouter {
  private readonly byParty = new Map<string, Set<(notice: SolverNotice) => void>>();

  constructor(solver: Solver) {
    solver.on("notice", (notice) => {
      for (const party of new Set(noticeParties(notice).map((p) => p.toLowerCase()))) {
        for (const deliver of this.byParty.get(party) ?? []) deliver(notice);
      }
    });
  }

  /** The notices for `party`, until `untilMs` (the subscription's expiry) or until the client leaves. */
  async *stream(party: string, untilMs: number): AsyncGenerator<SolverNotice> {
    const key = party.toLowerCase();
    const waiting: SolverNotice[] = [];
    let wake: (() => void) | undefined;
    const deliver = (notice: SolverNotice): void => {
      waiting.push(notice);
      wake?.();
    };
    let listeners = this.byParty.get(key);
    if (!listeners) this.byParty.set(key, (listeners = new Set()));
    listeners.add(deliver);
    const timer = setTimeout(() => wake?.(), Math.max(0, untilMs - Date.now()));
    try {
      for (;;) {
        while (waiting.length > 0) yield waiting.shift()!;
        if (Date.now() >= untilMs) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      clearTimeout(timer);
      listeners.delete(deliver);
      if (listeners.size === 0) this.byParty.delete(key);
    }
  }
}

async function* proposalsOnly(notices: AsyncGenerator<SolverNotice>): AsyncGenerator<SolverNotice> {
  for await (const notice of notices) if (notice.kind === "proposed") yield notice;
}

export interface SolverServerOptions {
  solver: Solver;
  /** The solver's state, for the queries of offers and proposals in any state. */
  state: SolverState;
  /** The solver's intake rules: its address and chain, for the parties' subscription signatures. */
  rules: IntakeRules;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  limits?: Partial<Limits>;
  logger: pino.Logger;
}

export interface SolverServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The solver's GraphQL API on host:port (`/graphql`, and `/health`). */
export async function serveSolver(options: SolverServerOptions): Promise<SolverServer> {
  const { solver, logger, rules, state } = options;
  const limits: Limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const router = new NoticeRouter(solver);
  const subscribeNotices = (args: { party: string; expiry: number; signature: string }) => {
    try {
      verifyPartySubscription(rules, args.party, args.expiry, args.signature, Math.floor(Date.now() / 1000));
    } catch (error) {
      clientError(error);
    }
    return router.stream(args.party, args.expiry * 1000);
  };
  const schema = createSchema({
    typeDefs: SOLVER_SDL,
    resolvers: {
      Query: {
        book: () => ({ jobOffers: solver.book.jobOffers, resourceOffers: solver.book.resourceOffers }),
        proposal: async (_: unknown, args: { id: string }) => {
          const stored = await state.proposal(args.id);
          return stored ? proposalOf(stored) : null;
        },
        proposals: async (_: unknown, args: { party?: string | null; first: number; skip: number }) => {
          checkRange(limits, args);
          const stored = await state.proposals({ party: args.party ?? undefined, first: args.first, skip: args.skip });
          return stored.map(proposalOf);
        },
        liveProposals: (_: unknown, args: { first: number; skip: number }) => {
          checkRange(limits, args);
          return [...solver.liveProposals.values()]
            .slice(args.skip, args.skip + args.first)
            .map((live) => proposalOf(liveView(live)));
        },
        offer: async (_: unknown, args: { id: string }) => {
          const stored = await state.offer(args.id);
          return stored ? offerOf(stored) : null;
        },
        offers: async (
          _: unknown,
          args: { party?: string | null; state?: OfferState | null; first: number; skip: number },
        ) => {
          checkRange(limits, args);
          const stored = await state.offers({
            party: args.party ?? undefined,
            state: args.state ?? undefined,
            first: args.first,
            skip: args.skip,
          });
          return stored.map(offerOf);
        },
        decision: async (_: unknown, args: { jobOfferId: string; resourceOfferId: string }) => {
          const [job, resource] = await Promise.all([state.offer(args.jobOfferId), state.offer(args.resourceOfferId)]);
          if (job?.kind !== "job" || resource?.kind !== "resource") return null;
          const outcome = await matchOffers(parseJobOffer(job.body), parseResourceOffer(resource.body));
          return {
            jobOfferId: job.id,
            resourceOfferId: resource.id,
            matched: outcome.matched,
            rule: outcome.matched ? null : outcome.rule,
          };
        },
      },
      Subscription: {
        myProposals: {
          subscribe: (_: unknown, args: { party: string; expiry: number; signature: string }) =>
            proposalsOnly(subscribeNotices(args)),
          resolve: (notice: SolverNotice) => noticeOf(notice).proposal,
        },
        myNotices: {
          subscribe: (_: unknown, args: { party: string; expiry: number; signature: string }) => subscribeNotices(args),
          resolve: (notice: SolverNotice) => noticeOf(notice),
        },
      },
      Mutation: {
        postJobOffer: (_: unknown, args: { offer: string; signature: string }) =>
          posting(solver, () => solver.postJobOffer(args.offer, args.signature)),
        postResourceOffer: (_: unknown, args: { offer: string; signature: string; machineId?: string | null }) =>
          posting(solver, () => solver.postResourceOffer(args.offer, args.signature, args.machineId)),
        withdrawOffer: async (_: unknown, args: { id: string; signature: string }) => {
          try {
            await solver.withdrawOffer(args.id, args.signature);
            return true;
          } catch (error) {
            clientError(error);
          }
        },
        signProposal: async (_: unknown, args: { id: string; party: string; signature: string }) => {
          try {
            return await solver.signProposal(args.id, args.party, args.signature);
          } catch (error) {
            clientError(error);
          }
        },
      },
    },
  });
  const yoga = createYoga({
    schema,
    graphqlEndpoint: "/graphql",
    graphiql: false,
    landingPage: false,
    multipart: false,
    logging: yogaLogger(logger),
    plugins: limitPlugins(limits),
    // The body is read and capped (maxBodyBytes) before yoga sees it; yoga's own cap would pipe that pre-read body
    // through a TransformStream again on every request (stream.pipeline, an AbortController and its DOMException:
    // 3-4 % of the solver's CPU per post in bench:solver's profile).
    maxRequestBodySize: false,
  });

  const server = http.createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/health") return sendJson(res, 200, { status: "ok" });
      if (req.method !== "GET" && req.method !== "HEAD") {
        const body = await readBody(req, limits.maxBodyBytes);
        if (body === "aborted") return;
        if (body === null) return sendTooLarge(res, limits.maxBodyBytes);
        if (body.length > 0) (req as http.IncomingMessage & { body?: Buffer }).body = body;
      }
      await yoga.handle(req, res);
    })().catch((error: unknown) => {
      logger.error({ err: error }, "request failed");
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "Internal server error" }] });
      else res.destroy();
    });
  });
  const host = options.host ?? DEFAULTS.host;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/graphql`;
  logger.info({ url }, "Accord solver API listening");
  return {
    url,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await yoga.dispose();
    },
  };
}
