// The offer book against a brute-force oracle: under random sequences of posts and withdrawals, the book makes
// exactly the matches a pass over every open pair would make with the same selection rules (FixedPrice job: the
// oldest matching resource offer; MarketPrice job: the cheapest at the provider's terms for its module, ties to the
// oldest; a new resource offer: the oldest waiting job it matches), every match satisfies matchOffers, and no
// offer is ever in two matches.

import { expect } from "chai";
import fc from "fast-check";
import type { DealPricing, DealTimeouts, JobOffer, PricingMode, ResourceOffer } from "../../src/model";
import { matchOffersWithModule, OfferBook, providerTerms, type BookJob } from "../../src/solver";

const MODULES = ["m-cowsay", "m-sdxl", "m-llm"];
const MEDIATORS = [
  "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
  "0xcccccccccccccccccccccccccccccccccccccccc",
];
const SOLVERS = ["0xdddddddddddddddddddddddddddddddddddddddd", "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"];
const TIMEOUTS: DealTimeouts = {
  agree: { timeout: 1n, collateral: 1n },
  submit_results: { timeout: 1n, collateral: 1n },
  judge_results: { timeout: 1n, collateral: 1n },
  mediate_results: { timeout: 1n, collateral: 1n },
};

const cased = (address: string, upper: boolean): string => (upper ? "0x" + address.slice(2).toUpperCase() : address);
const pricing = (price: number, collateral = 5, fee = 5): DealPricing => ({
  instruction_price: BigInt(price),
  payment_collateral: BigInt(collateral),
  results_collateral_multiple: 2n,
  mediation_fee: BigInt(fee),
});

const spec = fc.record({
  cpu: fc.integer({ min: 0, max: 4 }),
  gpu: fc.integer({ min: 0, max: 2 }),
  ram: fc.integer({ min: 0, max: 4 }),
});
const parties = fc.record({
  solver: fc.tuple(fc.constantFrom(...SOLVERS), fc.boolean()).map(([s, u]) => cased(s, u)),
  mediator: fc.oneof(
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 6,
      arbitrary: fc
        .uniqueArray(fc.tuple(fc.constantFrom(...MEDIATORS), fc.boolean()), { maxLength: 3, selector: ([m]) => m })
        .map((list) => list.map(([m, u]) => cased(m, u))),
    },
  ),
});
const mode = fc.constantFrom<PricingMode>("MarketPrice", "FixedPrice");

type Post =
  | {
      kind: "job";
      createdAt: number;
      spec: JobOffer["spec"];
      module: string;
      mode: PricingMode;
      bid: [number, number, number];
      parties: JobOffer["trusted_parties"];
    }
  | {
      kind: "resource";
      createdAt: number;
      /** Provider (of 4), machine index (of 2), and whether the provider's address is upper-cased. */
      machine?: [number, number, boolean];
      spec: ResourceOffer["spec"];
      modules: string[] | null;
      mode: PricingMode;
      price: number;
      modulePrice: { module: string; price: number } | null;
      parties: ResourceOffer["trusted_parties"];
    }
  | { kind: "withdraw"; side: "job" | "resource"; pick: number };

const post: fc.Arbitrary<Post> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("job" as const),
      createdAt: fc.integer({ min: 0, max: 20 }),
      spec,
      module: fc.constantFrom(...MODULES),
      mode,
      bid: fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })),
      parties,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("resource" as const),
      createdAt: fc.integer({ min: 0, max: 20 }),
      machine: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 }), fc.boolean()),
      spec,
      // Repeats included: a module listed twice is one module (the book keeps the offer once under it).
      modules: fc.oneof(fc.constant(null), fc.array(fc.constantFrom(...MODULES), { maxLength: 3 })),
      mode: fc.constantFrom<PricingMode>("FixedPrice", "FixedPrice", "MarketPrice"),
      price: fc.integer({ min: 0, max: 9 }),
      modulePrice: fc.option(
        fc.record({ module: fc.constantFrom(...MODULES), price: fc.integer({ min: 0, max: 9 }) }),
        { nil: null },
      ),
      parties,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      side: fc.constantFrom<"job" | "resource">("job", "resource"),
      pick: fc.nat(),
    }),
  },
);

function jobFrom(p: Extract<Post, { kind: "job" }>, id: string): BookJob {
  const offer: JobOffer = {
    id,
    created_at: p.createdAt,
    job_creator: "0x1111111111111111111111111111111111111111",
    module: { name: p.module, repo: "r", hash: "h", path: "p" },
    spec: p.spec,
    inputs: null,
    mode: p.mode,
    pricing: pricing(p.bid[0], p.bid[1], p.bid[2]),
    timeouts: TIMEOUTS,
    trusted_parties: p.parties,
  };
  return { offer, moduleId: p.module };
}

function resourceFrom(p: Extract<Post, { kind: "resource" }>, id: string): ResourceOffer {
  return {
    id,
    created_at: p.createdAt,
    resource_provider: cased("0x" + String(2 + (p.machine?.[0] ?? 0)).repeat(40), p.machine?.[2] ?? false),
    index: p.machine?.[1] ?? 0,
    spec: p.spec,
    modules: p.modules,
    mode: p.mode,
    default_pricing: pricing(p.price, p.price % 7, p.price % 5),
    default_timeouts: TIMEOUTS,
    module_pricing: p.modulePrice ? { [p.modulePrice.module]: pricing(p.modulePrice.price, 1, 1) } : {},
    module_timeouts: null,
    trusted_parties: p.parties,
  };
}

const older = (a: { created_at: number; id: string }, b: { created_at: number; id: string }): number =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** A pass over every open pair, with the selection rules. */
class Oracle {
  readonly resources = new Map<string, ResourceOffer>();
  readonly jobs = new Map<string, BookJob>();

  addJob(job: BookJob): string | undefined {
    const price = (r: ResourceOffer) => providerTerms(r, job.moduleId).pricing.instruction_price;
    const candidates = [...this.resources.values()].filter(
      (r) => matchOffersWithModule(job.offer, r, job.moduleId).matched,
    );
    candidates.sort((a, b) =>
      job.offer.mode === "FixedPrice" ? older(a, b) : price(a) < price(b) ? -1 : price(a) > price(b) ? 1 : older(a, b),
    );
    const pick = candidates[0];
    if (pick) this.resources.delete(pick.id);
    else this.jobs.set(job.offer.id, job);
    return pick?.id;
  }

  addResource(offer: ResourceOffer): string | undefined {
    // One open offer per (provider, machine index): a new one replaces the old.
    for (const [id, open] of this.resources) {
      if (
        open.resource_provider.toLowerCase() === offer.resource_provider.toLowerCase() &&
        open.index === offer.index
      ) {
        this.resources.delete(id);
      }
    }
    const takers = [...this.jobs.values()].filter((j) => matchOffersWithModule(j.offer, offer, j.moduleId).matched);
    takers.sort((a, b) => older(a.offer, b.offer));
    const taker = takers[0];
    if (taker) this.jobs.delete(taker.offer.id);
    else this.resources.set(offer.id, offer);
    return taker?.offer.id;
  }
}

describe("solver: the offer book", () => {
  it("makes exactly the matches of a pass over every pair, each valid, none double-booked", () => {
    fc.assert(
      fc.property(fc.array(post, { minLength: 20, maxLength: 150 }), (posts) => {
        const book = new OfferBook();
        const oracle = new Oracle();
        const booked = new Set<string>();
        posts.forEach((p, i) => {
          if (p.kind === "job") {
            const job = jobFrom(p, `j${i}`);
            const match = book.addJob(job);
            expect(match?.resourceOffer.id, `job j${i}`).to.equal(oracle.addJob(job));
            if (match) {
              expect(matchOffersWithModule(job.offer, match.resourceOffer, job.moduleId).matched).to.equal(true);
              expect(booked.has(match.resourceOffer.id), "resource offer booked twice").to.equal(false);
              booked.add(match.resourceOffer.id);
            }
          } else if (p.kind === "resource") {
            const offer = resourceFrom(p, `r${i}`);
            const match = book.addResourceOffer(offer);
            expect(match?.job.offer.id, `resource r${i}`).to.equal(oracle.addResource(offer));
            if (match) {
              expect(matchOffersWithModule(match.job.offer, offer, match.job.moduleId).matched).to.equal(true);
              expect(booked.has(match.job.offer.id), "job offer booked twice").to.equal(false);
              booked.add(match.job.offer.id);
            }
          } else {
            const open = p.side === "job" ? [...oracle.jobs.keys()] : [...oracle.resources.keys()];
            if (open.length === 0) return;
            const id = open[p.pick % open.length];
            if (p.side === "job") {
              expect(book.removeJobOffer(id)?.offer.id).to.equal(id);
              oracle.jobs.delete(id);
            } else {
              expect(book.removeResourceOffer(id)?.id).to.equal(id);
              oracle.resources.delete(id);
            }
          }
          expect(book.jobOffers).to.equal(oracle.jobs.size);
          expect(book.resourceOffers).to.equal(oracle.resources.size);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("gives a new resource offer to the oldest waiting job it matches", () => {
    const book = new OfferBook();
    const parties = { solver: SOLVERS[0], mediator: [MEDIATORS[0], MEDIATORS[1]] };
    const job = (id: string, createdAt: number, cpu: number) =>
      jobFrom(
        {
          kind: "job",
          createdAt,
          spec: { cpu, gpu: 0, ram: 0 },
          module: MODULES[0],
          mode: "MarketPrice",
          bid: [0, 0, 0],
          parties,
        },
        id,
      );
    for (const j of [job("j-new", 5, 1), job("j-too-big", 1, 9), job("j-old", 3, 1), job("j-same-age", 3, 2)]) {
      expect(book.addJob(j)).to.equal(undefined);
    }
    const resource = (id: string) =>
      resourceFrom(
        {
          kind: "resource",
          createdAt: 9,
          spec: { cpu: 4, gpu: 0, ram: 0 },
          modules: null,
          mode: "FixedPrice",
          price: 1,
          modulePrice: null,
          parties: { solver: SOLVERS[0], mediator: [MEDIATORS[1]] },
        },
        id,
      );
    expect(book.addResourceOffer(resource("r1"))?.job.offer.id).to.equal("j-old");
    expect(book.addResourceOffer(resource("r2"))?.job.offer.id).to.equal("j-same-age");
    expect(book.addResourceOffer(resource("r3"))?.job.offer.id).to.equal("j-new");
    expect(book.addResourceOffer(resource("r4"))).to.equal(undefined);
    expect([book.jobOffers, book.resourceOffers]).to.deep.equal([1, 1]);
  });

  it("keeps one open offer per provider machine: a new one replaces the old, whatever the address's case", () => {
    const book = new OfferBook();
    const parties = { solver: SOLVERS[0], mediator: [MEDIATORS[0]] };
    const offer = (id: string, machine: [number, number, boolean]) =>
      resourceFrom(
        {
          kind: "resource",
          createdAt: 1,
          machine,
          spec: { cpu: 1, gpu: 0, ram: 1 },
          modules: null,
          mode: "FixedPrice",
          price: 1,
          modulePrice: null,
          parties,
        },
        id,
      );
    book.addResourceOffer(offer("r1", [0, 0, false]));
    book.addResourceOffer(offer("r2", [0, 1, false]));
    book.addResourceOffer(offer("r3", [0, 0, true]));
    expect(book.hasResourceOffer("r1")).to.equal(false);
    expect([book.hasResourceOffer("r2"), book.hasResourceOffer("r3"), book.resourceOffers]).to.deep.equal([
      true,
      true,
      2,
    ]);
    expect(book.resourceOfferFor("0x" + "2".repeat(40), 0)?.id).to.equal("r3");
    // A withdrawn offer frees its machine.
    book.removeResourceOffer("r3");
    expect(book.resourceOfferFor("0x" + "2".repeat(40), 0)).to.equal(undefined);
  });

  it("expires job offers past their match timeout, oldest first, and only those", () => {
    const book = new OfferBook();
    const parties = { solver: SOLVERS[0], mediator: [MEDIATORS[0]] };
    const job = (id: string, createdAt: number) =>
      jobFrom(
        {
          kind: "job",
          createdAt,
          spec: { cpu: 1, gpu: 0, ram: 0 },
          module: MODULES[0],
          mode: "MarketPrice",
          bid: [0, 0, 0],
          parties,
        },
        id,
      );
    for (const [id, at] of [
      ["j3", 3000],
      ["j1", 1000],
      ["j2", 2000],
    ] as const)
      book.addJob(job(id, at));
    book.removeJobOffer("j2");
    expect(book.expireJobs(30_999, 30_000).map((j) => j.offer.id)).to.deep.equal([]);
    expect(book.expireJobs(33_000, 30_000).map((j) => j.offer.id)).to.deep.equal(["j1", "j3"]);
    expect(book.jobOffers).to.equal(0);
  });

  it("returns both offers of a match that came to nothing, and matches them again", () => {
    const book = new OfferBook();
    const parties = { solver: SOLVERS[0], mediator: [MEDIATORS[0]] };
    const ro = resourceFrom(
      {
        kind: "resource",
        createdAt: 1,
        spec: { cpu: 4, gpu: 0, ram: 4 },
        modules: null,
        mode: "FixedPrice",
        price: 1,
        modulePrice: null,
        parties,
      },
      "r1",
    );
    const job = (id: string, createdAt: number) =>
      jobFrom(
        {
          kind: "job",
          createdAt,
          spec: { cpu: 1, gpu: 0, ram: 0 },
          module: MODULES[0],
          mode: "MarketPrice",
          bid: [0, 0, 0],
          parties,
        },
        id,
      );
    book.addResourceOffer(ro);
    const first = book.addJob(job("j1", 2))!;
    expect(book.addJob(job("j2", 3))).to.equal(undefined);
    // j1's creator never signs: the provider's offer goes to the oldest waiting job, j2; j1 waits again.
    const again = book.release(first);
    expect(again.map((m) => [m.job.offer.id, m.resourceOffer.id])).to.deep.equal([["j2", "r1"]]);
    expect([book.hasJobOffer("j1"), book.resourceOffers]).to.deep.equal([true, 0]);
  });

  it("gives a market-price job the cheapest offer at the provider's terms for its module, ties to the oldest", () => {
    const book = new OfferBook();
    const parties = { solver: SOLVERS[0], mediator: [MEDIATORS[0]] };
    const resource = (id: string, createdAt: number, price: number, modulePrice?: number) =>
      resourceFrom(
        {
          kind: "resource",
          createdAt,
          // Each on a machine of its own (a provider's second offer for one machine replaces the first).
          machine: [createdAt, 0, false],
          spec: { cpu: 4, gpu: 2, ram: 4 },
          modules: null,
          mode: "FixedPrice",
          price,
          modulePrice: modulePrice === undefined ? null : { module: MODULES[0], price: modulePrice },
          parties,
        },
        id,
      );
    book.addResourceOffer(resource("r-old-5", 1, 5));
    book.addResourceOffer(resource("r-new-3", 3, 3));
    book.addResourceOffer(resource("r-older-3", 2, 3));
    book.addResourceOffer(resource("r-dear-but-2-for-cowsay", 0, 9, 2));
    const job = (id: string, module: string, jobMode: PricingMode) =>
      jobFrom(
        {
          kind: "job",
          createdAt: 10,
          spec: { cpu: 1, gpu: 0, ram: 1 },
          module,
          mode: jobMode,
          bid: [9, 9, 9],
          parties,
        },
        id,
      );
    expect(book.addJob(job("j1", MODULES[0], "MarketPrice"))?.resourceOffer.id).to.equal("r-dear-but-2-for-cowsay");
    expect(book.addJob(job("j2", MODULES[0], "MarketPrice"))?.resourceOffer.id).to.equal("r-older-3");
    expect(book.addJob(job("j3", MODULES[1], "FixedPrice"))?.resourceOffer.id).to.equal("r-old-5");
    expect(book.addJob(job("j4", MODULES[1], "MarketPrice"))?.resourceOffer.id).to.equal("r-new-3");
    expect(book.addJob(job("j5", MODULES[1], "MarketPrice"))).to.equal(undefined);
    expect(book.jobOffers).to.equal(1);
  });
});
