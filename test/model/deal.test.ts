import { expect } from "chai";
import {
  AgreementState,
  DealMatchError,
  dealContainerSchema,
  encodeJson,
  getDeal,
  getDealContainer,
  getDealId,
  getEmptyDealTransactions,
  getJobOfferContainer,
  getJobOfferId,
  getMutualServices,
  getResourceOfferContainer,
  getResourceOfferId,
  parseJobOffer,
  parseResourceOffer,
  resourceOfferContainerSchema,
  type JobOffer,
  type ResourceOffer,
} from "../../src/model";
import { addressA, addressB, addressC, addressD, solver } from "./helpers";

const jobCreator = "0x6666666666666666666666666666666666666666";
const resourceProvider = "0x7777777777777777777777777777777777777777";

function makeJobOffer(overrides: Partial<JobOffer> = {}): JobOffer {
  return parseJobOffer({
    created_at: 1,
    job_creator: jobCreator,
    module: { name: "cowsay", repo: "https://example.org/cowsay", hash: "abc", path: "t.json" },
    spec: { gpu: 0, cpu: 1000, ram: 512 },
    inputs: {},
    mode: "MarketPrice",
    pricing: { instruction_price: 1, payment_collateral: 2, results_collateral_multiple: 3, mediation_fee: 4 },
    trusted_parties: { solver, mediator: [addressA, addressB, addressC] },
    ...overrides,
  });
}

function makeResourceOffer(overrides: Partial<ResourceOffer> = {}): ResourceOffer {
  return parseResourceOffer({
    created_at: 2,
    resource_provider: resourceProvider,
    index: 0,
    spec: { gpu: 1000, cpu: 8000, ram: 16000 },
    modules: [],
    mode: "FixedPrice",
    default_pricing: {
      instruction_price: 10,
      payment_collateral: 20,
      results_collateral_multiple: 30,
      mediation_fee: 40,
    },
    default_timeouts: {
      agree: { timeout: 100, collateral: 1 },
      submit_results: { timeout: 200, collateral: 2 },
      judge_results: { timeout: 300, collateral: 3 },
      mediate_results: { timeout: 400, collateral: 4 },
    },
    module_pricing: {},
    module_timeouts: {},
    trusted_parties: { solver, mediator: [addressC, addressD, addressA] },
    ...overrides,
  });
}

describe("model: getMutualServices", () => {
  it("keeps the order of the first list", () => {
    expect(getMutualServices(["c", "a", "b"], ["a", "b", "c"])).to.deep.equal(["c", "a", "b"]);
  });

  it("yields duplicates as the reference's nested loop does", () => {
    expect(getMutualServices(["x", "x"], ["x"])).to.deep.equal(["x", "x"]);
    expect(getMutualServices(["x"], ["x", "x"])).to.deep.equal(["x", "x"]);
    expect(getMutualServices(["x", "y", "x"], ["x", "x"])).to.deep.equal(["x", "x", "x", "x"]);
  });

  it("compares exactly and treats nil as empty", () => {
    expect(getMutualServices(["0xAB"], ["0xab"])).to.deep.equal([]);
    expect(getMutualServices(null, ["a"])).to.deep.equal([]);
    expect(getMutualServices(["a"], undefined)).to.deep.equal([]);
  });
});

describe("model: getDeal", () => {
  it("builds the deal: mutual mediators in the resource offer's order, the provider's defaults, members filled", async () => {
    const jobOffer = makeJobOffer();
    const resourceOffer = makeResourceOffer();
    const deal = await getDeal(jobOffer, resourceOffer);
    expect(deal.members).to.deep.equal({
      solver,
      job_creator: jobCreator,
      resource_provider: resourceProvider,
      mediators: [addressC, addressA],
    });
    expect(deal.pricing).to.deep.equal(resourceOffer.default_pricing);
    expect(deal.timeouts).to.deep.equal(resourceOffer.default_timeouts);
    expect(deal.pricing).to.not.deep.equal(jobOffer.pricing);
    expect(deal.id).to.equal(await getDealId(deal));
    expect(deal.id).to.match(/^Qm/);
  });

  it("fills in offer IDs that are empty and keeps given ones", async () => {
    const jobOffer = makeJobOffer();
    const resourceOffer = makeResourceOffer();
    const deal = await getDeal(jobOffer, resourceOffer);
    expect(deal.job_offer.id).to.equal(await getJobOfferId(jobOffer));
    expect(deal.resource_offer.id).to.equal(await getResourceOfferId(resourceOffer));
    expect(jobOffer.id).to.equal("", "the caller's offer is not modified");

    const given = "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4";
    const withIds = await getDeal({ ...jobOffer, id: given }, { ...resourceOffer, id: given });
    expect(withIds.job_offer.id).to.equal(given);
    expect(withIds.resource_offer.id).to.equal(given);
    expect(withIds.id).to.not.equal(deal.id);
  });

  it("does not alias the offers it was given", async () => {
    const resourceOffer = makeResourceOffer();
    const deal = await getDeal(makeJobOffer(), resourceOffer);
    deal.pricing.mediation_fee = 999n;
    deal.resource_offer.trusted_parties.mediator!.push(addressB);
    expect(resourceOffer.default_pricing.mediation_fee).to.equal(40n);
    expect(resourceOffer.trusted_parties.mediator).to.have.length(3);
  });

  it("requires a mutual mediator", async () => {
    const error = await getDeal(
      makeJobOffer({ trusted_parties: { solver, mediator: [addressB] } }),
      makeResourceOffer(),
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DealMatchError);
    expect((error as DealMatchError).reason).to.equal("no-mutual-mediators");
    const nil = await getDeal(makeJobOffer({ trusted_parties: { solver, mediator: null } }), makeResourceOffer()).catch(
      (e: unknown) => e,
    );
    expect((nil as DealMatchError).reason).to.equal("no-mutual-mediators");
  });

  it("requires the same solver (checked after the mediators, as in the reference)", async () => {
    const other = "0x8888888888888888888888888888888888888888";
    const error = await getDeal(
      makeJobOffer({ trusted_parties: { solver: other, mediator: [addressA] } }),
      makeResourceOffer(),
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DealMatchError);
    expect((error as DealMatchError).reason).to.equal("no-mutual-solver");
    expect((error as Error).message)
      .to.contain(other)
      .and.contain(solver);
    const both = await getDeal(
      makeJobOffer({ trusted_parties: { solver: other, mediator: [addressB] } }),
      makeResourceOffer(),
    ).catch((e: unknown) => e);
    expect((both as DealMatchError).reason).to.equal("no-mutual-mediators");
  });
});

describe("model: containers", () => {
  it("wraps a job offer in state DealNegotiating without a deal", () => {
    const jobOffer = { ...makeJobOffer(), id: "QmStX2p9x3AV9Gdp1ArLk7bLNzZft5WCBxSLCp4NdbU3z4" };
    expect(getJobOfferContainer(jobOffer)).to.deep.equal({
      id: jobOffer.id,
      deal_id: "",
      job_creator: jobCreator,
      state: AgreementState.DealNegotiating,
      job_offer: jobOffer,
    });
  });

  it("wraps a resource offer under the reference's key job_offer", () => {
    const resourceOffer = makeResourceOffer();
    const container = getResourceOfferContainer(resourceOffer);
    expect(container).to.deep.equal({
      id: "",
      deal_id: "",
      resource_provider: resourceProvider,
      state: 0,
      job_offer: resourceOffer,
    });
    expect(encodeJson(container, resourceOfferContainerSchema)).to.match(
      /^\{"id":"","deal_id":"","resource_provider":"0x7{40}","state":0,"job_offer":\{"id":""/,
    );
  });

  it("wraps a deal with its parties and offer IDs, empty transactions and no mediator", async () => {
    const deal = await getDeal(makeJobOffer(), makeResourceOffer());
    const container = getDealContainer(deal);
    expect(container).to.deep.equal({
      id: deal.id,
      job_creator: jobCreator,
      resource_provider: resourceProvider,
      job_offer: deal.job_offer.id,
      resource_offer: deal.resource_offer.id,
      state: 0,
      deal,
      transactions: getEmptyDealTransactions(),
      mediator: "",
    });
    const text = encodeJson(container, dealContainerSchema);
    expect(text).to.contain(
      '"transactions":{"resource_provider":{"agree":"","add_result":"","timeout_agree":"","timeout_judge_result":"","timeout_mediate_result":""},' +
        '"job_creator":{"agree":"","accept_result":"","check_result":"","timeout_agree":"","timeout_submit_result":"","timeout_mediate_result":""},' +
        '"mediator":{"mediation_accept_result":"","mediation_reject_result":""}},"mediator":""}',
    );
  });

  it("gives fresh transaction records each time", () => {
    const a = getEmptyDealTransactions();
    a.job_creator.agree = "0x01";
    expect(getEmptyDealTransactions().job_creator.agree).to.equal("");
  });
});
