// The solver's HTTP API: GraphQL (graphql-yoga) on the same stack and limits as the indexer's API, with mutations for
// posting offers. GraphQL rather than REST: solvers and agents already speak it to the indexer, one client and one
// set of protections serve both, and the proposals a party waits for fit a subscription (next).
//
// An offer is posted as its JSON text (the data model's, which its ID is computed over: uint64 amounts stay exact)
// with its owner's EIP-712 signature (intake.ts). A refused post is a GraphQL error with code BAD_OFFER naming the
// field and the rule; nothing of it is kept.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { GraphQLError } from "graphql";
import { createSchema, createYoga } from "graphql-yoga";
import type pino from "pino";
import { DEFAULTS } from "../defaults";
import { encodeJson } from "../model/json";
import { dealSchema } from "../model/schemas";
import type { Deal } from "../model/types";
import { readBody, sendJson, sendTooLarge, yogaLogger } from "../server/http";
import { DEFAULT_LIMITS, limitPlugins, type Limits } from "../server/limits";
import { checkRange } from "../server/resolvers";
import { sameAddress } from "../model/address";
import { OfferIntakeError, SubscriptionAuthError, verifyPartySubscription, type IntakeRules } from "./intake";
import type { PostOutcome, Solver } from "./solver";

export const SOLVER_SDL = /* GraphQL */ `
  "The open offers of the book."
  type Book {
    jobOffers: Int!
    resourceOffers: Int!
  }

  "A deal the solver proposed to both parties, not dropped."
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
    proposal(id: String!): Proposal
    "Live proposals, in the order they were made."
    proposals(first: Int = 100, skip: Int = 0): [Proposal!]!
  }

  type Subscription {
    """
    The proposals made for one party (as job creator or resource provider), as they are made. The party proves it
    is itself with its EIP-712 PartySubscription { party, solver, expiry } signature; expiry is in seconds since the
    epoch, at most an hour ahead, and the subscription ends then.
    """
    myProposals(party: String!, expiry: Int!, signature: String!): Proposal!
  }

  type Mutation {
    "A job offer (its JSON) with its job creator's EIP-712 OfferPost signature."
    postJobOffer(offer: String!, signature: String!): PostResult!
    "A resource offer (its JSON) with its provider's EIP-712 OfferPost signature."
    postResourceOffer(offer: String!, signature: String!): PostResult!
  }
`;

function proposalOf(deal: Deal) {
  return {
    id: deal.id,
    jobOfferId: deal.job_offer.id,
    resourceOfferId: deal.resource_offer.id,
    jobCreator: deal.members.job_creator,
    resourceProvider: deal.members.resource_provider,
    mediators: deal.members.mediators ?? [],
    deal: encodeJson(deal, dealSchema),
  };
}

function resultOf(outcome: PostOutcome) {
  return {
    status: outcome.status,
    offerId: outcome.offerId,
    proposal: outcome.status === "proposed" ? proposalOf(outcome.deal) : null,
  };
}

/** A refused post as the client sees it; anything else stays a server fault (masked by yoga). */
async function posting(post: () => Promise<PostOutcome>) {
  try {
    return resultOf(await post());
  } catch (error) {
    if (error instanceof OfferIntakeError) {
      throw new GraphQLError(error.message, {
        extensions: { code: "BAD_OFFER", field: error.field, rule: error.rule },
      });
    }
    throw error;
  }
}

/** The solver's proposals for `party`, until `untilMs` (the subscription's expiry) or until the client leaves. */
async function* proposalsFor(solver: Solver, party: string, untilMs: number): AsyncGenerator<Deal> {
  const waiting: Deal[] = [];
  let wake: (() => void) | undefined;
  const onProposal = (deal: Deal): void => {
    if (sameAddress(deal.members.job_creator, party) || sameAddress(deal.members.resource_provider, party)) {
      waiting.push(deal);
      wake?.();
    }
  };
  solver.on("proposal", onProposal);
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
    solver.off("proposal", onProposal);
  }
}

export interface SolverServerOptions {
  solver: Solver;
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
  const { solver, logger, rules } = options;
  const limits: Limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const schema = createSchema({
    typeDefs: SOLVER_SDL,
    resolvers: {
      Query: {
        book: () => ({ jobOffers: solver.book.jobOffers, resourceOffers: solver.book.resourceOffers }),
        proposal: (_: unknown, args: { id: string }) => {
          const deal = solver.liveProposals.get(args.id);
          return deal ? proposalOf(deal) : null;
        },
        proposals: (_: unknown, args: { first: number; skip: number }) => {
          checkRange(limits, args);
          return [...solver.liveProposals.values()].slice(args.skip, args.skip + args.first).map(proposalOf);
        },
      },
      Subscription: {
        myProposals: {
          subscribe: (_: unknown, args: { party: string; expiry: number; signature: string }) => {
            try {
              verifyPartySubscription(rules, args.party, args.expiry, args.signature, Math.floor(Date.now() / 1000));
            } catch (error) {
              if (error instanceof SubscriptionAuthError) {
                throw new GraphQLError(error.message, {
                  extensions: { code: "UNAUTHENTICATED", field: error.field, rule: error.rule },
                });
              }
              throw error;
            }
            return proposalsFor(solver, args.party, args.expiry * 1000);
          },
          resolve: (deal: Deal) => proposalOf(deal),
        },
      },
      Mutation: {
        postJobOffer: (_: unknown, args: { offer: string; signature: string }) =>
          posting(() => solver.postJobOffer(args.offer, args.signature)),
        postResourceOffer: (_: unknown, args: { offer: string; signature: string }) =>
          posting(() => solver.postResourceOffer(args.offer, args.signature)),
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
