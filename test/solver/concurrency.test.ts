// Concurrent random posts to one solver (fast-check): no offer is ever in two live proposals (in memory, in the
// database, and after a restart), every proposal is a pair matchOffers allows, built as proposeDeal builds it, and a
// waiting job offer is never left beside a resource offer it matches (the book misses no match).

import fs from "node:fs";
import { expect } from "chai";
import fc from "fast-check";
import { Wallet } from "ethers";
import { openDriver, type SqlDriver } from "../../src/indexer";
import { getJobOfferId, getResourceOfferId } from "../../src/model/ids";
import { parseJobOffer, parseResourceOffer } from "../../src/model/validate";
import { matchOffers, Solver, SolverState, verifyProposedDeal } from "../../src/solver";
import { freshPgliteDir } from "../indexer/helpers/stores";
import {
  cowsay,
  mediator,
  NOW,
  pricingOf,
  rules,
  sign,
  solver as solverAddress,
  timeoutsOf,
  type Json,
} from "./helpers";

const creators = [1, 2, 3].map((i) => new Wallet("0x" + String(i).padStart(2, "0").repeat(32)));
const providers = [4, 5, 6].map((i) => new Wallet("0x" + String(i).padStart(2, "0").repeat(32)));
const otherMediator = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const modules = [cowsay, { ...cowsay, name: "other", hash: "b".repeat(40) }];

const jobArb = fc.record({
  kind: fc.constant("job" as const),
  who: fc.nat(creators.length - 1),
  cpu: fc.integer({ min: 0, max: 4000 }),
  module: fc.nat(modules.length - 1),
  mode: fc.constantFrom("FixedPrice", "MarketPrice"),
  price: fc.integer({ min: 1, max: 10 }),
  mediators: fc.constantFrom([mediator], [otherMediator], [mediator.toUpperCase().replace("0X", "0x"), otherMediator]),
  nonce: fc.nat(1000),
});
const resourceArb = fc.record({
  kind: fc.constant("resource" as const),
  who: fc.nat(providers.length - 1),
  index: fc.nat(2),
  cpu: fc.integer({ min: 0, max: 4000 }),
  price: fc.integer({ min: 1, max: 10 }),
  mediators: fc.constantFrom([mediator], [otherMediator]),
  nonce: fc.nat(1000),
});

type Drawn<A> = A extends fc.Arbitrary<infer T> ? T : never;
type Post = Drawn<typeof jobArb> | Drawn<typeof resourceArb>;

async function body(post: Post): Promise<Json> {
  if (post.kind === "job") {
    const offer: Json = {
      id: "",
      created_at: NOW - post.nonce,
      job_creator: creators[post.who].address,
      module: modules[post.module],
      spec: { gpu: 0, cpu: post.cpu, ram: 0 },
      inputs: { n: String(post.nonce) },
      mode: post.mode,
      pricing: pricingOf(post.price),
      timeouts: timeoutsOf(60),
      trusted_parties: { solver: solverAddress, mediator: post.mediators },
    };
    offer.id = await getJobOfferId(parseJobOffer(offer));
    return offer;
  }
  const offer: Json = {
    id: "",
    created_at: NOW - post.nonce,
    resource_provider: providers[post.who].address,
    index: post.index,
    spec: { gpu: 0, cpu: post.cpu, ram: 0 },
    modules: [],
    mode: "FixedPrice",
    default_pricing: pricingOf(post.price),
    default_timeouts: timeoutsOf(60),
    module_pricing: {},
    module_timeouts: {},
    trusted_parties: { solver: solverAddress, mediator: post.mediators },
  };
  offer.id = await getResourceOfferId(parseResourceOffer(offer));
  return offer;
}

describe("solver: concurrent random posts (fast-check)", function () {
  this.timeout(300_000);
  let driver: SqlDriver;
  let dataDir: string;
  let run = 0;

  before(async () => {
    dataDir = await freshPgliteDir();
    driver = await openDriver({ dataDir });
  });
  after(async () => {
    await driver.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  it("never double-books, proposes only pairs every rule allows, and leaves no match unmade", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(jobArb, resourceArb), { minLength: 1, maxLength: 24 }), async (posts) => {
        run += 1;
        const schema = `accord_solver_concurrency_${run}`;
        const start = async () =>
          Solver.start({
            state: await SolverState.open(driver, schema),
            rules,
            matchTimeoutMs: 60_000,
            now: () => NOW,
          });
        const solver = await start();
        const signed = await Promise.all(
          posts.map(async (post) => {
            const offer = await body(post);
            const wallet = post.kind === "job" ? creators[post.who] : providers[post.who];
            return { post, offer, signature: await sign(wallet, post.kind, offer.id) };
          }),
        );
        // All at once: the solver must serialize them itself.
        await Promise.all(
          signed.map(({ post, offer, signature }) =>
            post.kind === "job" ? solver.postJobOffer(offer, signature) : solver.postResourceOffer(offer, signature),
          ),
        );

        const check = async (s: Solver) => {
          const live = [...s.liveProposals.values()];
          const offers = live.flatMap((p) => [p.deal.job_offer.id, p.deal.resource_offer.id]);
          expect(new Set(offers).size, "an offer in two live proposals").to.equal(offers.length);
          for (const { deal } of live) {
            expect((await matchOffers(deal.job_offer, deal.resource_offer)).matched).to.equal(true);
            await verifyProposedDeal(deal);
            // Neither side of a proposal is still waiting in the book.
            expect(s.book.hasJobOffer(deal.job_offer.id)).to.equal(false);
            expect(s.book.hasResourceOffer(deal.resource_offer.id)).to.equal(false);
          }
          return live.map((p) => p.deal.id).sort();
        };
        const before = await check(solver);
        // The book misses no match: no waiting job offer matches a waiting resource offer.
        const waitingJobs = signed.filter((s) => s.post.kind === "job" && solver.book.hasJobOffer(String(s.offer.id)));
        const waitingResources = signed.filter(
          (s) => s.post.kind === "resource" && solver.book.hasResourceOffer(String(s.offer.id)),
        );
        for (const job of waitingJobs) {
          for (const resource of waitingResources) {
            const outcome = await matchOffers(parseJobOffer(job.offer), parseResourceOffer(resource.offer));
            expect(outcome.matched, `${String(job.offer.id)} waits beside ${String(resource.offer.id)}`).to.equal(
              false,
            );
          }
        }
        // The same after a restart from the database.
        expect(await check(await start())).to.deep.equal(before);
        await driver.query(`DROP SCHEMA "${schema}" CASCADE`);
      }),
      { numRuns: 25 },
    );
  });
});
