// The solver's API as a party uses it: posts its offers signed (EIP-712 OfferPost, or MachineOfferPost for a resource
// offer naming its onboarded machine), signs its proposals' agreements over, and hears of its own offers and deals
// (myNotices, its PartySubscription signature renewed before it expires).

import type { Signer } from "ethers";
import { GraphqlClient, type GraphqlSubscription } from "../clients/graphql";
import { encodeJson } from "../model/json";
import { jobOfferSchema, resourceOfferSchema } from "../model/schemas";
import type { Deal, JobOffer, ResourceOffer } from "../model/types";
import { parseDeal } from "../model/validate";
import {
  MACHINE_OFFER_POST_TYPES,
  machineOfferPost,
  MAX_SUBSCRIPTION_SECONDS,
  OFFER_POST_TYPES,
  offerPost,
  offerPostDomain,
  offerWithdrawal,
  PARTY_SUBSCRIPTION_TYPES,
} from "./intake";

const PROPOSAL_FIELDS = "id deal deadline state dealKey chainState txHash reason";

export interface ProposalView {
  id: string;
  deal: Deal;
  deadline: bigint;
  state: "proposed" | "signed" | "agreed" | "failed" | "dropped";
  dealKey: string | null;
  chainState: string | null;
  txHash: string | null;
  reason: string | null;
}

export interface NoticeView {
  kind: "proposed" | "agreed" | "dropped" | "failed" | "dealState" | "expired" | "withdrawn";
  offerId: string | null;
  proposal: ProposalView | null;
  dealKey: string | null;
  txHash: string | null;
  state: string | null;
  reason: string | null;
  reopened: string[] | null;
}

type RawProposal = Omit<ProposalView, "deal" | "deadline"> & { deal: string; deadline: string };
type RawNotice = Omit<NoticeView, "proposal"> & { proposal: RawProposal | null };

function proposalView(raw: RawProposal): ProposalView {
  return { ...raw, deal: parseDeal(raw.deal), deadline: BigInt(raw.deadline) };
}

export type PostStatus = { status: "open" | "proposed" | "duplicate"; offerId: string };

export interface SolverApiClientOptions {
  /** The solver's address (what posts and subscriptions are signed to). */
  solver: string;
  chainId: bigint;
  /** How long each subscription signature lasts (s); at most an hour. */
  subscriptionSeconds?: number;
}

export class SolverApiClient {
  readonly graphql: GraphqlClient;

  constructor(
    readonly url: string,
    private readonly signer: Signer,
    private readonly options: SolverApiClientOptions,
  ) {
    this.graphql = new GraphqlClient(url);
  }

  private async postSignature(kind: "job" | "resource", offerId: string): Promise<string> {
    return this.signer.signTypedData(
      offerPostDomain(this.options.chainId),
      OFFER_POST_TYPES,
      offerPost(kind, offerId, this.options.solver),
    );
  }

  /** Posts a job offer (with its ID) signed by this client's signer (its job creator). */
  async postJobOffer(offer: JobOffer): Promise<PostStatus> {
    const signature = await this.postSignature("job", offer.id);
    const { postJobOffer } = await this.graphql.request<{ postJobOffer: PostStatus }>(
      `mutation ($offer: String!, $signature: String!) { postJobOffer(offer: $offer, signature: $signature) { status offerId } }`,
      { offer: encodeJson(offer, jobOfferSchema), signature },
    );
    return postJobOffer;
  }

  /**
   * Posts a resource offer (with its ID) signed by this client's signer (its provider): as an OfferPost, or, naming
   * its onboarded machine (`machineId`, a MachineRegistry ID), as a MachineOfferPost.
   */
  async postResourceOffer(offer: ResourceOffer, options: { machineId?: string } = {}): Promise<PostStatus> {
    const { machineId } = options;
    const signature =
      machineId === undefined
        ? await this.postSignature("resource", offer.id)
        : await this.signer.signTypedData(
            offerPostDomain(this.options.chainId),
            MACHINE_OFFER_POST_TYPES,
            machineOfferPost(offer.id, machineId, this.options.solver),
          );
    const { postResourceOffer } = await this.graphql.request<{ postResourceOffer: PostStatus }>(
      `mutation ($offer: String!, $signature: String!, $machineId: String) { postResourceOffer(offer: $offer, signature: $signature, machineId: $machineId) { status offerId } }`,
      { offer: encodeJson(offer, resourceOfferSchema), signature, machineId: machineId ?? null },
    );
    return postResourceOffer;
  }

  /** Hands the solver this party's signature over a proposal's agreement; returns the proposal's state. */
  async signProposal(dealId: string, signature: string): Promise<string> {
    const { signProposal } = await this.graphql.request<{ signProposal: string }>(
      `mutation ($id: String!, $party: String!, $signature: String!) { signProposal(id: $id, party: $party, signature: $signature) }`,
      { id: dealId, party: await this.signer.getAddress(), signature },
    );
    return signProposal;
  }

  /** Withdraws this signer's open offer from the book. */
  async withdrawOffer(offerId: string): Promise<void> {
    const signature = await this.signer.signTypedData(
      offerPostDomain(this.options.chainId),
      OFFER_POST_TYPES,
      offerWithdrawal(offerId, this.options.solver),
    );
    await this.graphql.request<{ withdrawOffer: boolean }>(
      `mutation ($id: String!, $signature: String!) { withdrawOffer(id: $id, signature: $signature) }`,
      { id: offerId, signature },
    );
  }

  /** A proposal in any state (null if the solver never made it). */
  async proposal(dealId: string): Promise<ProposalView | null> {
    const { proposal } = await this.graphql.request<{ proposal: RawProposal | null }>(
      `query ($id: String!) { proposal(id: $id) { ${PROPOSAL_FIELDS} } }`,
      { id: dealId },
    );
    return proposal && proposalView(proposal);
  }

  /** This party's proposals in any state, newest first. */
  async myProposals(first = 100): Promise<ProposalView[]> {
    const { proposals } = await this.graphql.request<{ proposals: RawProposal[] }>(
      `query ($party: String, $first: Int) { proposals(party: $party, first: $first) { ${PROPOSAL_FIELDS} } }`,
      { party: await this.signer.getAddress(), first },
    );
    return proposals.map(proposalView);
  }

  /**
   * This party's notices until close(). Each subscription is signed for `subscriptionSeconds` and made again, with a
   * new signature, when the solver ends it at its expiry. `connected` runs at each (re)connection: the moment to
   * catch up with myProposals.
   */
  notices(handlers: {
    next(notice: NoticeView): void;
    connected?(): void;
    error?(error: Error): void;
  }): GraphqlSubscription {
    let current: GraphqlSubscription | undefined;
    let closed = false;
    const seconds = Math.min(
      this.options.subscriptionSeconds ?? MAX_SUBSCRIPTION_SECONDS - 60,
      MAX_SUBSCRIPTION_SECONDS,
    );
    const subscribe = async (): Promise<void> => {
      const party = await this.signer.getAddress();
      const expiry = Math.floor(Date.now() / 1000) + seconds;
      const signature = await this.signer.signTypedData(
        offerPostDomain(this.options.chainId),
        PARTY_SUBSCRIPTION_TYPES,
        {
          party,
          solver: this.options.solver,
          expiry,
        },
      );
      if (closed) return;
      current = this.graphql.subscribe<{ myNotices: RawNotice }>(
        `subscription ($party: String!, $expiry: Int!, $signature: String!) {
          myNotices(party: $party, expiry: $expiry, signature: $signature) {
            kind offerId dealKey txHash state reason reopened proposal { ${PROPOSAL_FIELDS} }
          }
        }`,
        { party, expiry, signature },
        {
          next: ({ myNotices }) =>
            handlers.next({ ...myNotices, proposal: myNotices.proposal && proposalView(myNotices.proposal) }),
          connected: () => handlers.connected?.(),
          complete: () => {
            if (!closed) void subscribe().catch((error: unknown) => handlers.error?.(error as Error));
          },
          error: (error) => {
            handlers.error?.(error);
            // A refused subscription (e.g. a clock off by more than the window) is retried after a pause.
            setTimeout(() => {
              if (!closed) void subscribe().catch((e: unknown) => handlers.error?.(e as Error));
            }, 5000).unref();
          },
        },
      );
    };
    void subscribe().catch((error: unknown) => handlers.error?.(error as Error));
    return {
      close: () => {
        closed = true;
        current?.close();
      },
    };
  }

  close(): void {
    this.graphql.close();
  }
}
