// matchOffers, rule by rule (../shared/spec/solver.md): each rule at its edge, the order in which they are checked,
// module pricing, each price field, and addresses compared case-insensitively.

import { expect } from "chai";
import {
  getModuleId,
  parseJobOffer,
  parseResourceOffer,
  type DealPricing,
  type JobOffer,
  type ResourceOffer,
} from "../../src/model";
import {
  JOB_CREATOR_AMOUNTS,
  MATCH_RULES,
  matchOffers,
  mutualMediators,
  providerTerms,
  type MatchOutcome,
} from "../../src/solver";
import { pricingOf as pricing, timeoutsOf as timeouts } from "./helpers";

const jobCreator = "0x6666666666666666666666666666666666666666";
const provider = "0x7777777777777777777777777777777777777777";
const solver = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
const mediatorA = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const mediatorB = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const mediatorC = "0xcccccccccccccccccccccccccccccccccccccccc";
const cowsay = { name: "cowsay", repo: "https://example.org/cowsay", hash: "abc", path: "t.json" };
const other = { ...cowsay, hash: "def" };

type JobInput = Record<string, unknown>;
type ResourceInput = Record<string, unknown>;

function job(overrides: JobInput = {}): JobOffer {
  return parseJobOffer({
    created_at: 1,
    job_creator: jobCreator,
    module: cowsay,
    spec: { gpu: 1000, cpu: 2000, ram: 4096 },
    inputs: {},
    mode: "FixedPrice",
    pricing: pricing(10, 20, 3, 40),
    trusted_parties: { solver, mediator: [mediatorA, mediatorB] },
    ...overrides,
  });
}

function resource(overrides: ResourceInput = {}): ResourceOffer {
  return parseResourceOffer({
    created_at: 2,
    resource_provider: provider,
    index: 0,
    spec: { gpu: 1000, cpu: 2000, ram: 4096 },
    modules: [],
    mode: "FixedPrice",
    default_pricing: pricing(10, 20, 300, 40),
    default_timeouts: timeouts(60),
    module_pricing: {},
    module_timeouts: {},
    trusted_parties: { solver, mediator: [mediatorB, mediatorC] },
    ...overrides,
  });
}

const matched: MatchOutcome = { matched: true };
const fails = (rule: (typeof MATCH_RULES)[number]): MatchOutcome => ({ matched: false, rule });

describe("solver: matchOffers", () => {
  let cowsayId: string;
  let otherId: string;
  before(async () => {
    cowsayId = await getModuleId(cowsay);
    otherId = await getModuleId(other);
  });

  it("matches offers that meet every rule exactly at its edge", async () => {
    expect(await matchOffers(job(), resource())).to.deep.equal(matched);
  });

  describe("specs", () => {
    for (const dimension of ["cpu", "gpu", "ram"] as const) {
      it(`${dimension}: the provider needs at least what the job requires`, async () => {
        const need = job().spec[dimension];
        const spec = { ...resource().spec, [dimension]: need - 1 };
        expect(await matchOffers(job(), resource({ spec }))).to.deep.equal(fails(dimension));
        expect(await matchOffers(job(), resource({ spec: { ...spec, [dimension]: need + 1 } }))).to.deep.equal(matched);
      });
    }

    it("a zero requirement matches a provider with none of it", async () => {
      const free = job({ spec: { gpu: 0, cpu: 0, ram: 0 } });
      expect(await matchOffers(free, resource({ spec: { gpu: 0, cpu: 0, ram: 0 } }))).to.deep.equal(matched);
    });
  });

  describe("modules", () => {
    it("an empty or null list means every module", async () => {
      expect(await matchOffers(job(), resource({ modules: [] }))).to.deep.equal(matched);
      expect(await matchOffers(job(), resource({ modules: null }))).to.deep.equal(matched);
    });

    it("otherwise the job's module ID must be listed (the reference dropped this check; Accord keeps it)", async () => {
      expect(await matchOffers(job(), resource({ modules: [otherId, cowsayId] }))).to.deep.equal(matched);
      expect(await matchOffers(job(), resource({ modules: [otherId] }))).to.deep.equal(fails("modules"));
      // The ID is the module config's CID: the same name at another commit is another module.
      expect(await matchOffers(job({ module: other }), resource({ modules: [cowsayId] }))).to.deep.equal(
        fails("modules"),
      );
    });
  });

  it("resourceOfferMarketPrice: a resource offer must be a fixed price", async () => {
    expect(await matchOffers(job(), resource({ mode: "MarketPrice" }))).to.deep.equal(
      fails("resourceOfferMarketPrice"),
    );
    expect(await matchOffers(job({ mode: "MarketPrice" }), resource({ mode: "MarketPrice" }))).to.deep.equal(
      fails("resourceOfferMarketPrice"),
    );
  });

  describe("price", () => {
    for (const amount of JOB_CREATOR_AMOUNTS) {
      it(`a fixed-price job refuses a provider whose ${amount} is over its bid, by one wei`, async () => {
        const over: DealPricing = { ...resource().default_pricing, [amount]: job().pricing[amount] + 1n };
        expect(await matchOffers(job(), resource({ default_pricing: over }))).to.deep.equal(fails("price"));
      });
    }

    it("compares only what the job creator pays: the provider's results collateral multiple is its own", async () => {
      expect(job().pricing.results_collateral_multiple).to.be.below(
        resource().default_pricing.results_collateral_multiple,
      );
      expect(await matchOffers(job(), resource())).to.deep.equal(matched);
    });

    it("a market-price job takes the provider's price, whatever it is", async () => {
      const dear = resource({ default_pricing: pricing(1e6, 1e6, 1e6, 1e6) });
      expect(await matchOffers(job({ mode: "MarketPrice" }), dear)).to.deep.equal(matched);
      expect(await matchOffers(job(), dear)).to.deep.equal(fails("price"));
    });

    it("uses the provider's pricing for the job's module where it set one, else its default", async () => {
      const dearDefault = pricing(99, 99, 300, 99);
      const cheapForCowsay = { [cowsayId]: pricing(10, 20, 300, 40) };
      expect(
        await matchOffers(job(), resource({ default_pricing: dearDefault, module_pricing: cheapForCowsay })),
      ).to.deep.equal(matched);
      const dearForCowsay = { [cowsayId]: pricing(11, 20, 300, 40) };
      expect(await matchOffers(job(), resource({ module_pricing: dearForCowsay }))).to.deep.equal(fails("price"));
      // Another module's entry does not apply.
      const cheapForOther = { [otherId]: pricing(1, 1, 1, 1) };
      expect(
        await matchOffers(job(), resource({ default_pricing: dearDefault, module_pricing: cheapForOther })),
      ).to.deep.equal(fails("price"));
    });
  });

  describe("mediators", () => {
    it("needs one mediator both trust", async () => {
      const none = resource({ trusted_parties: { solver, mediator: [mediatorC] } });
      expect(await matchOffers(job(), none)).to.deep.equal(fails("mediators"));
      const nil = resource({ trusted_parties: { solver, mediator: null } });
      expect(await matchOffers(job(), nil)).to.deep.equal(fails("mediators"));
    });

    it("compares addresses case-insensitively (the reference's exact comparison missed checksummed ones)", async () => {
      const checksummed = resource({
        trusted_parties: { solver, mediator: [mediatorB.toUpperCase().replace("0X", "0x")] },
      });
      expect(await matchOffers(job(), checksummed)).to.deep.equal(matched);
    });

    it("lists the mutual mediators once each, in the resource offer's order and spelling", () => {
      const jo = job({
        trusted_parties: { solver, mediator: [mediatorC, mediatorA, mediatorB.toUpperCase().replace("0X", "0x")] },
      });
      const ro = resource({ trusted_parties: { solver, mediator: [mediatorB, mediatorA, mediatorB, mediatorC] } });
      expect(mutualMediators(jo, ro)).to.deep.equal([mediatorB, mediatorA, mediatorC]);
    });
  });

  describe("solver", () => {
    it("needs the same solver on both offers, compared case-insensitively", async () => {
      const elsewhere = "0x9999999999999999999999999999999999999999";
      expect(
        await matchOffers(job(), resource({ trusted_parties: { solver: elsewhere, mediator: [mediatorB] } })),
      ).to.deep.equal(fails("solver"));
      const upper = solver.toUpperCase().replace("0X", "0x");
      expect(
        await matchOffers(job(), resource({ trusted_parties: { solver: upper, mediator: [mediatorB] } })),
      ).to.deep.equal(matched);
    });
  });

  it("names the first failing rule, in the spec's order", async () => {
    // An offer pair failing every rule; fixing rules one by one, in order, reveals the next.
    let jo: JobInput = { mode: "FixedPrice", spec: { gpu: 10, cpu: 10, ram: 10 } };
    let ro: ResourceInput = {
      spec: { gpu: 0, cpu: 0, ram: 0 },
      modules: [otherId],
      mode: "MarketPrice",
      default_pricing: pricing(99, 99, 1, 99),
      trusted_parties: { solver: "0x9999999999999999999999999999999999999999", mediator: [mediatorC] },
    };
    const fixes: Record<(typeof MATCH_RULES)[number], () => void> = {
      cpu: () => (ro = { ...ro, spec: { ...(ro.spec as object), cpu: 10 } }),
      gpu: () => (ro = { ...ro, spec: { ...(ro.spec as object), gpu: 10 } }),
      ram: () => (ro = { ...ro, spec: { ...(ro.spec as object), ram: 10 } }),
      modules: () => (ro = { ...ro, modules: [] }),
      resourceOfferMarketPrice: () => (ro = { ...ro, mode: "FixedPrice" }),
      price: () => (jo = { ...jo, mode: "MarketPrice" }),
      mediators: () => (ro = { ...ro, trusted_parties: { ...(ro.trusted_parties as object), mediator: [mediatorA] } }),
      solver: () => (ro = { ...ro, trusted_parties: { ...(ro.trusted_parties as object), solver } }),
    };
    for (const rule of MATCH_RULES) {
      expect(await matchOffers(job(jo), resource(ro)), `before fixing ${rule}`).to.deep.equal(fails(rule));
      fixes[rule]();
    }
    expect(await matchOffers(job(jo), resource(ro))).to.deep.equal(matched);
  });

  it("providerTerms: the module's pricing and timeouts where set, own entries only", () => {
    const ro = resource({
      module_pricing: { [cowsayId]: pricing(1, 2, 3, 4) },
      module_timeouts: { [cowsayId]: timeouts(5) },
    });
    expect(providerTerms(ro, cowsayId)).to.deep.equal({
      pricing: ro.module_pricing![cowsayId],
      timeouts: ro.module_timeouts![cowsayId],
    });
    expect(providerTerms(ro, otherId)).to.deep.equal({ pricing: ro.default_pricing, timeouts: ro.default_timeouts });
    expect(providerTerms(ro, "constructor")).to.deep.equal({
      pricing: ro.default_pricing,
      timeouts: ro.default_timeouts,
    });
  });
});
