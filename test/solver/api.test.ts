// The solver's GraphQL API over real HTTP: offers posted with their signatures become proposals; every bad post gets
// a BAD_OFFER error naming its field and changes nothing; the request limits hold.

import fs from "node:fs";
import { expect } from "chai";
import pino from "pino";
import { openDriver, type SqlDriver } from "../../src/indexer";
import type { Wallet } from "ethers";
import {
  offerPostDomain,
  PARTY_SUBSCRIPTION_TYPES,
  serveSolver,
  Solver,
  SolverState,
  verifyProposedDeal,
  type SolverServer,
} from "../../src/solver";
import { sse } from "../helpers/sse";
import { parseDeal } from "../../src/model";
import { freshPgliteDir } from "../indexer/helpers/stores";
import { cowsay, jobBody, jobCreator, NOW, provider, resourceBody, rules, sign, stranger, type Json } from "./helpers";

type GraphqlAnswer = {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
};

const POST_JOB = `mutation ($offer: String!, $signature: String!) {
  postJobOffer(offer: $offer, signature: $signature) { status offerId proposal { id jobOfferId resourceOfferId mediators deal } }
}`;
const POST_RESOURCE = `mutation ($offer: String!, $signature: String!) {
  postResourceOffer(offer: $offer, signature: $signature) { status offerId proposal { id } }
}`;

describe("solver: the GraphQL API", function () {
  this.timeout(60_000);
  let dataDir: string;
  let driver: SqlDriver;
  let server: SolverServer;
  let solver: Solver;

  const graphql = async (query: string, variables: Record<string, unknown> = {}): Promise<GraphqlAnswer> => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphqlAnswer;
  };
  const book = async () => (await graphql("{ book { jobOffers resourceOffers } }")).data!.book;

  beforeEach(async () => {
    dataDir = await freshPgliteDir();
    driver = await openDriver({ dataDir });
    const state = await SolverState.open(driver);
    solver = await Solver.start({ state, rules, matchTimeoutMs: 30_000, now: () => NOW });
    server = await serveSolver({ solver, state, rules, port: 0, logger: pino({ level: "silent" }) });
  });
  afterEach(async () => {
    await server.close();
    await driver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  it("takes a resource offer, then a job offer, and proposes the deal both parties can check", async () => {
    const ro = await resourceBody();
    const posted = await graphql(POST_RESOURCE, {
      offer: JSON.stringify(ro),
      signature: await sign(provider, "resource", ro.id),
    });
    expect(posted.data!.postResourceOffer).to.deep.equal({ status: "open", offerId: ro.id, proposal: null });

    const jo = await jobBody();
    const answer = await graphql(POST_JOB, {
      offer: JSON.stringify(jo),
      signature: await sign(jobCreator, "job", jo.id),
    });
    const result = answer.data!.postJobOffer as {
      status: string;
      proposal: { id: string; jobOfferId: string; resourceOfferId: string; deal: string };
    };
    expect(result.status).to.equal("proposed");
    expect([result.proposal.jobOfferId, result.proposal.resourceOfferId]).to.deep.equal([jo.id, ro.id]);
    const deal = parseDeal(result.proposal.deal);
    expect(deal.id).to.equal(result.proposal.id);
    await verifyProposedDeal(deal);

    const listed = await graphql(
      "{ proposals { id } proposal(id: $id) { jobCreator } }".replace("$id", JSON.stringify(deal.id)),
    );
    expect(listed.data).to.deep.equal({ proposals: [{ id: deal.id }], proposal: { jobCreator: jobCreator.address } });
    expect(await book()).to.deep.equal({ jobOffers: 0, resourceOffers: 0 });
    // The same post again changes nothing.
    const again = await graphql(POST_JOB, {
      offer: JSON.stringify(jo),
      signature: await sign(jobCreator, "job", jo.id),
    });
    expect((again.data!.postJobOffer as { status: string }).status).to.equal("duplicate");
  });

  const bad: [string, () => Promise<{ offer: string; signature: string; field: string }>][] = [
    [
      "a signature by another account",
      async () => {
        const jo = await jobBody();
        return { offer: JSON.stringify(jo), signature: await sign(stranger, "job", jo.id), field: "signature" };
      },
    ],
    ["malformed JSON", () => Promise.resolve({ offer: "{ not json", signature: "0x", field: "" })],
    [
      "a body whose ID is not its own",
      async () => {
        const jo: Json = { ...(await jobBody()), inputs: { prompt: "changed" } };
        return { offer: JSON.stringify(jo), signature: await sign(jobCreator, "job", jo.id), field: "id" };
      },
    ],
    [
      "a stale offer",
      async () => {
        const jo = await jobBody({ created_at: NOW - 60_000 });
        return { offer: JSON.stringify(jo), signature: await sign(jobCreator, "job", jo.id), field: "created_at" };
      },
    ],
    [
      "an unknown module (no pinned commit)",
      async () => {
        const jo = await jobBody({ module: { ...cowsay, hash: "latest" } });
        return { offer: JSON.stringify(jo), signature: await sign(jobCreator, "job", jo.id), field: "module.hash" };
      },
    ],
    [
      "a signature replayed from another offer",
      async () => {
        const signed = await jobBody({ inputs: { prompt: "signed" } });
        const jo = await jobBody({ inputs: { prompt: "posted" } });
        return { offer: JSON.stringify(jo), signature: await sign(jobCreator, "job", signed.id), field: "signature" };
      },
    ],
    [
      "a negative spec",
      async () => {
        const jo = await jobBody({ spec: { gpu: 0, cpu: -5, ram: 1 } });
        return { offer: JSON.stringify(jo), signature: await sign(jobCreator, "job", jo.id), field: "spec.cpu" };
      },
    ],
  ];
  for (const [what, make] of bad) {
    it(`refuses ${what} with BAD_OFFER naming the field, and keeps nothing`, async () => {
      const { offer, signature, field } = await make();
      const answer = await graphql(POST_JOB, { offer, signature });
      expect(answer.data ?? null).to.equal(null);
      expect(answer.errors![0].extensions).to.include({ code: "BAD_OFFER", field });
      expect(await book()).to.deep.equal({ jobOffers: 0, resourceOffers: 0 });
    });
  }

  it("refuses a signature for a proposal this solver cannot submit, with its code", async () => {
    const answer = await graphql(
      `mutation { signProposal(id: "QmNoSuchDeal", party: "${jobCreator.address}", signature: "0x") }`,
    );
    expect(answer.data ?? null).to.equal(null);
    expect(answer.errors![0].extensions).to.include({ code: "NOT_CONFIGURED" });
  });

  describe("myProposals: each party hears of its own proposals only", () => {
    const SUBSCRIBE = `subscription ($party: String!, $expiry: Int!, $signature: String!) {
      myProposals(party: $party, expiry: $expiry, signature: $signature) { id jobCreator resourceProvider }
    }`;
    const subscribe = async (wallet: Wallet, party = wallet.address, expiry = Math.floor(Date.now() / 1000) + 60) => {
      const signature = await wallet.signTypedData(offerPostDomain(rules.chainId), PARTY_SUBSCRIPTION_TYPES, {
        party,
        solver: rules.solver,
        expiry,
      });
      return sse<{ myProposals: { id: string; jobCreator: string; resourceProvider: string } }>(server.url, SUBSCRIBE, {
        party,
        expiry,
        signature,
      });
    };
    const propose = async (creator: Wallet, index: number): Promise<string> => {
      const ro = await resourceBody({ index });
      await graphql(POST_RESOURCE, { offer: JSON.stringify(ro), signature: await sign(provider, "resource", ro.id) });
      const jo = await jobBody({ job_creator: creator.address, inputs: { prompt: `deal ${index}` } });
      const answer = await graphql(POST_JOB, {
        offer: JSON.stringify(jo),
        signature: await sign(creator, "job", jo.id),
      });
      return (answer.data!.postJobOffer as { proposal: { id: string } }).proposal.id;
    };

    it("pushes a proposal to both of its parties, and nobody else's to a third", async () => {
      const asProvider = await subscribe(provider);
      const asStranger = await subscribe(stranger);
      try {
        const first = await propose(jobCreator, 0);
        const second = await propose(stranger, 1);
        expect((await asProvider.next()).data?.data?.myProposals.id).to.equal(first);
        expect((await asProvider.next()).data?.data?.myProposals.id).to.equal(second);
        // The stranger's first event is its own deal: the first one never reached it.
        const own = (await asStranger.next()).data?.data?.myProposals;
        expect(own?.id).to.equal(second);
        expect(own?.jobCreator).to.equal(stranger.address);
      } finally {
        asProvider.close();
        asStranger.close();
      }
    });

    it("serves many subscribers through one listener on the solver, each proposal to its parties' streams", async () => {
      const listeners = solver.listenerCount("notice");
      const streams = await Promise.all(Array.from({ length: 12 }, () => subscribe(provider)));
      try {
        expect(solver.listenerCount("notice")).to.equal(listeners);
        const id = await propose(jobCreator, 0);
        for (const stream of streams) expect((await stream.next()).data?.data?.myProposals.id).to.equal(id);
      } finally {
        for (const stream of streams) stream.close();
      }
    });

    it("refuses a subscription not signed by the party, or expired", async () => {
      for (const stream of [
        await subscribe(stranger, provider.address),
        await subscribe(provider, provider.address, 1),
      ]) {
        try {
          const event = await stream.next();
          expect(event.data?.errors?.[0].extensions?.code).to.equal("UNAUTHENTICATED");
        } finally {
          stream.close();
        }
      }
    });
  });

  it("answers an oversize body with 413, and refuses too many aliases and an out-of-range list", async () => {
    const response = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ book { jobOffers } }", pad: "x".repeat(2_000_000) }),
    });
    expect(response.status).to.equal(413);
    const aliases = Array.from({ length: 200 }, (_, n) => `a${n}: book { jobOffers }`).join(" ");
    const answer = await graphql(`{ ${aliases} }`);
    expect(answer.errors?.[0].extensions?.code).to.equal("TOO_MANY_ALIASES");
    const range = await graphql("{ proposals(first: 5000) { id } }");
    expect(range.errors?.[0].extensions?.code).to.be.oneOf(["BAD_USER_INPUT", "RANGE_ARGUMENT", "QUERY_TOO_COSTLY"]);
  });
});
