// The market end to end on the in-process network, driven only by the agents' own decisions: offers → a deal on
// chain → results → accepted; wrong results → mediation → rejected (the provider's results collateral to the job
// creator); a provider silent after agreeing → the job creator's timeoutSubmitResults; a provider that never signs →
// the job creator agrees on chain alone → timeoutAgree; and honest results sampled for mediation → accepted.

import { expect } from "chai";
import { GraphqlClient } from "../../src/clients";
import { bytes32ToCid } from "../../src/model/cid";
import { AgreementState } from "../../src/model/types";
import { draws, startMarket, type Market } from "./harness";

describe("agents: the market end to end", function () {
  this.timeout(180_000);
  let market: Market;

  beforeEach(async () => {
    market = await startMarket();
  });
  afterEach(async () => {
    await market.close();
  });

  it("offers → deal on chain → results → accepted: the provider is paid, the job creator holds the verified results", async () => {
    const provider = await market.resourceProvider(0);
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 0 } });
    await market.mediator(0);
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["ResultsAccepted"]);
    const done = await market.deal(deal.id);
    const provided = market.providers[0].address.toLowerCase();
    expect(done.payments.some((p) => p.payee === provided && p.reason === "JobPayment")).to.equal(true);
    // The results the provider submitted are the ones it serves, and the job creator fetched and checked them.
    const resultsId = bytes32ToCid(deal.resultsId!);
    expect(provider.runtime.journal.get(deal.cid)?.resultsId).to.equal(resultsId);
    expect(jobCreator.runtime.journal.get(deal.cid)?.resultsId).to.equal(resultsId);
    expect(jobCreator.runtime.journal.get(deal.cid)?.done).to.equal(true);
    // The solver followed the deal to its end through the indexer's events: its container shows the final state.
    const solverApi = new GraphqlClient(market.solverUrl);
    type Tracked = { proposal: { state: string; chainState: string | null; dealKey: string; container: string } };
    let tracked: Tracked["proposal"] | undefined;
    for (let i = 0; i < 100 && tracked?.chainState !== "ResultsAccepted"; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      ({ proposal: tracked } = await solverApi.request<Tracked>(
        `query ($id: String!) { proposal(id: $id) { state chainState dealKey container } }`,
        { id: deal.cid },
      ));
    }
    solverApi.close();
    expect(tracked).to.include({ state: "agreed", chainState: "ResultsAccepted", dealKey: deal.id });
    expect((JSON.parse(tracked!.container) as { state: number }).state).to.equal(AgreementState.ResultsAccepted);
  });

  it("wrong results → the job creator's check fails → mediation → rejected: the results collateral goes to the job creator", async () => {
    await market.resourceProvider(0, { faults: { wrongResults: 1 } });
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 0 } });
    await market.mediator(0);
    await market.mediator(1);
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, [
      "MediationRejected",
      "MediationAccepted",
    ]);
    expect(deal.state).to.equal("MediationRejected");
    const done = await market.deal(deal.id);
    const creator = market.jobCreators[0].address.toLowerCase();
    expect(done.payments.some((p) => p.payee === creator && p.reason === "ResultsCollateral")).to.equal(true);
  });

  it("honest results sampled for mediation → the mediator re-runs them → accepted", async () => {
    await market.resourceProvider(0);
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 1 } });
    await market.mediator(0);
    await market.mediator(1);
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, [
      "MediationRejected",
      "MediationAccepted",
    ]);
    expect(deal.state).to.equal("MediationAccepted");
  });

  it("a provider silent after agreeing → the job creator claims timeoutSubmitResults", async () => {
    // Signs (0.9 ≥ silent/2), then stays silent on the run (0.1 < silent/2).
    await market.resourceProvider(0, { faults: { silent: 1 }, random: draws([0.9, 0.1]) });
    const jobCreator = await market.jobCreator(0);
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["TimeoutSubmitResults"]);
    const done = await market.deal(deal.id);
    const creator = market.jobCreators[0].address.toLowerCase();
    expect(done.payments.some((p) => p.payee === creator && p.reason === "TimeoutCollateral")).to.equal(true);
  });

  it("a provider that never signs → the proposal lapses → the job creator agrees on chain alone → timeoutAgree", async () => {
    // Away for the proposal (0.1 < silent/2), and stays away when the job creator agrees on chain (0.9 ≥ 0.5).
    await market.resourceProvider(0, { faults: { silent: 1 }, random: draws([0.1, 0.9]) });
    const jobCreator = await market.jobCreator(0);
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["TimeoutAgree"]);
    expect(deal.state).to.equal("TimeoutAgree");
  });

  it("a provider back from being away agrees on chain too: the two-step path, then accepted", async () => {
    await market.resourceProvider(0, { faults: { silent: 1 }, random: draws([0.1, 0.1, 0.9]) });
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 0 } });
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["ResultsAccepted"]);
    expect(deal.state).to.equal("ResultsAccepted");
  });

  it("a job creator silent on the results → the provider claims timeoutJudgeResults", async () => {
    await market.resourceProvider(0);
    const jobCreator = await market.jobCreator(0, { policy: { silent: 1 } });
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["TimeoutJudgeResults"]);
    expect(deal.state).to.equal("TimeoutJudgeResults");
  });

  it("a mediator silent on a dispute → a party claims timeoutMediateResults", async () => {
    await market.resourceProvider(0);
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 1 } });
    await market.mediator(0, { policy: { silent: 1 } });
    await market.mediator(1, { policy: { silent: 1 } });
    await jobCreator.post();
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["TimeoutMediateResults"]);
    expect(deal.state).to.equal("TimeoutMediateResults");
  });
});
