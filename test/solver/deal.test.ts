// proposeDeal / verifyProposedDeal: the solver's deal carries the provider's terms for the job's module and the
// mediators both trust (case-insensitively); a party rebuilding it from the offers finds any change.

import { expect } from "chai";
import {
  getDeal,
  getDealId,
  getJobOfferId,
  getModuleId,
  getResourceOfferId,
  parseJobOffer,
  parseResourceOffer,
  type Deal,
  type JobOffer,
  type ResourceOffer,
} from "../../src/model";
import { OffersDoNotMatchError, proposeDeal, ProposedDealMismatchError, verifyProposedDeal } from "../../src/solver";
import { pricingOf as pricing, timeoutsOf as timeouts } from "./helpers";

const solver = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
const mediatorA = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const mediatorB = "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const mediatorC = "0xcccccccccccccccccccccccccccccccccccccccc";
const upper = (a: string) => "0x" + a.slice(2).toUpperCase();
const cowsay = { name: "cowsay", repo: "https://example.org/cowsay", hash: "abc", path: "t.json" };

function job(overrides: Record<string, unknown> = {}): JobOffer {
  return parseJobOffer({
    created_at: 1,
    job_creator: "0x6666666666666666666666666666666666666666",
    module: cowsay,
    spec: { gpu: 0, cpu: 1000, ram: 512 },
    inputs: {},
    mode: "FixedPrice",
    pricing: pricing(10),
    trusted_parties: { solver, mediator: [mediatorA, upper(mediatorB)] },
    ...overrides,
  });
}

function resource(overrides: Record<string, unknown> = {}): ResourceOffer {
  return parseResourceOffer({
    created_at: 2,
    resource_provider: "0x7777777777777777777777777777777777777777",
    index: 0,
    spec: { gpu: 0, cpu: 8000, ram: 16000 },
    modules: [],
    mode: "FixedPrice",
    default_pricing: pricing(9),
    default_timeouts: timeouts(100),
    module_pricing: {},
    module_timeouts: {},
    trusted_parties: { solver: upper(solver), mediator: [mediatorC, mediatorB, mediatorA] },
    ...overrides,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { field?: string; rule?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("solver: proposeDeal", () => {
  let cowsayId: string;
  before(async () => {
    cowsayId = await getModuleId(cowsay);
  });

  it("takes the provider's default terms when it set none for the module, and embeds both offers with IDs", async () => {
    const jo = job();
    const ro = resource();
    const deal = await proposeDeal(jo, ro);
    expect(deal.pricing).to.deep.equal(ro.default_pricing);
    expect(deal.timeouts).to.deep.equal(ro.default_timeouts);
    expect(deal.job_offer.id).to.equal(await getJobOfferId(jo));
    expect(deal.resource_offer.id).to.equal(await getResourceOfferId(ro));
    expect(deal.members).to.deep.equal({
      solver,
      job_creator: jo.job_creator,
      resource_provider: ro.resource_provider,
      // The resource offer's order and spelling; the job offer's checksummed B still counts.
      mediators: [mediatorB, mediatorA],
    });
    expect(deal.id).to.equal(await getDealId(deal));
  });

  it("takes the provider's pricing and timeouts for the job's module where it set them", async () => {
    const ro = resource({ module_pricing: { [cowsayId]: pricing(7) }, module_timeouts: { [cowsayId]: timeouts(50) } });
    const deal = await proposeDeal(job(), ro);
    expect(deal.pricing).to.deep.equal(ro.module_pricing![cowsayId]);
    expect(deal.timeouts).to.deep.equal(ro.module_timeouts![cowsayId]);
    // The reference's getDeal would settle on the defaults: another deal, another ID.
    const reference = await getDeal(job(), ro).catch(() => undefined);
    if (reference) expect(reference.id).to.not.equal(deal.id);
  });

  it("refuses a pair that does not match, naming the rule", async () => {
    const error = await rejection(proposeDeal(job(), resource({ default_pricing: pricing(11) })));
    expect(error).to.be.instanceOf(OffersDoNotMatchError);
    expect(error.rule).to.equal("price");
  });
});

describe("solver: verifyProposedDeal", () => {
  let deal: Deal;
  before(async () => {
    deal = await proposeDeal(job(), resource());
  });

  it("accepts the deal its offers make", async () => {
    await verifyProposedDeal(deal);
    await verifyProposedDeal(structuredClone(deal));
  });

  const tampered: [string, (d: Deal) => void][] = [
    ["pricing", (d) => (d.pricing.instruction_price += 1n)],
    ["timeouts", (d) => (d.timeouts.judge_results.timeout = 1n)],
    ["members", (d) => (d.members.mediators = [mediatorA])],
    ["members", (d) => (d.members.solver = "0x9999999999999999999999999999999999999999")],
    ["job_offer.id", (d) => (d.job_offer.id = "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4")],
    ["resource_offer.id", (d) => (d.resource_offer.id = "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4")],
    ["id", (d) => (d.id = "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4")],
  ];
  for (const [field, change] of tampered) {
    it(`finds a changed ${field}`, async () => {
      const copy = structuredClone(deal);
      change(copy);
      const error = await rejection(verifyProposedDeal(copy));
      expect(error).to.be.instanceOf(ProposedDealMismatchError);
      expect(error.field).to.equal(field);
    });
  }

  it("refuses a deal whose offers do not match", async () => {
    const copy = structuredClone(deal);
    copy.resource_offer.mode = "MarketPrice";
    copy.resource_offer.id = await getResourceOfferId({ ...copy.resource_offer, id: "" });
    expect(await rejection(verifyProposedDeal(copy))).to.be.instanceOf(OffersDoNotMatchError);
  });
});
