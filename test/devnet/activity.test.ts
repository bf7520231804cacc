// The demo market of `accord dev`: its services are registered, every path it drives must end in that path's final
// state, with the market holding nothing afterwards (each deal settles completely), and the deals it reports are
// named by CID and key.
import { expect } from "chai";
import hre from "hardhat";
import { RegistryClient } from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { DEAL_PATHS, MarketActivity, type DealPath } from "../../src/devnet/activity";
import { AgreementState, bytes32ToCid, dealKey, isCid } from "../../src/model";

const FINAL_STATE: Record<DealPath, number> = {
  happy: AgreementState.ResultsAccepted,
  happyTwoStep: AgreementState.ResultsAccepted,
  mediationAccept: AgreementState.MediationAccepted,
  mediationReject: AgreementState.MediationRejected,
  timeoutAgree: AgreementState.TimeoutAgree,
  timeoutSubmitResults: AgreementState.TimeoutSubmitResults,
  timeoutJudgeResults: AgreementState.TimeoutJudgeResults,
  timeoutMediateResults: AgreementState.TimeoutMediateResults,
};

async function demo() {
  const deployed = await deployAccord(hre);
  const [funder, ...others] = await hre.ethers.getSigners();
  const parties = {
    funder,
    jobCreators: others.slice(0, 2),
    resourceProviders: others.slice(2, 4),
    solver: others[4],
    mediators: others.slice(5, 7),
  };
  const activity = new MarketActivity(
    deployed.market,
    deployed.token,
    parties,
    hre.network.provider,
    deployed.registry,
  );
  return { ...deployed, parties, activity };
}

describe("devnet: MarketActivity (the demo market of accord dev)", function () {
  it("registers the solver, mediators, providers and job creators with roles, metadata and a URL", async function () {
    const { activity, parties, deployment, registry } = await demo();
    const services = await activity.setup();
    expect(services).to.have.length(7);
    const client = await RegistryClient.fromDeployment(parties.funder, deployment);
    const expected: [typeof parties.solver, string][] = [
      [parties.solver, "Solver"],
      ...parties.mediators.map((m) => [m, "Mediator"] as [typeof m, string]),
      ...parties.resourceProviders.map((p) => [p, "ResourceProvider"] as [typeof p, string]),
      ...parties.jobCreators.map((j) => [j, "JobCreator"] as [typeof j, string]),
    ];
    for (const [signer, role] of expected) {
      const entry = await client.getService(signer.address);
      expect(entry.registered, signer.address).to.equal(true);
      expect(entry.roles).to.deep.equal([role]);
      expect(entry.metadataCid).to.be.a("string");
      expect(isCid(entry.metadataCid!)).to.equal(true);
      expect(entry.url).to.match(/^http:\/\/[a-z-]+-\d\.demo\.accord\.localhost$/);
      expect(services.find((s) => s.account === signer.address)).to.deep.include({
        metadataCid: entry.metadataCid,
        url: entry.url,
      });
    }
    expect(await client.listAllByRole("Mediator")).to.deep.equal(parties.mediators.map((m) => m.address));
    expect(await client.countByRole("Directory")).to.equal(0);
    // Once per activity: a second call sends nothing.
    const before = await hre.ethers.provider.getBlockNumber();
    expect(await activity.register()).to.equal(services);
    expect(await hre.ethers.provider.getBlockNumber()).to.equal(before);
    expect(await registry.countByRole(1)).to.equal(2n);
  });

  it("drives a deal through every path to that path's final state and settles it completely", async function () {
    const { activity, market, token } = await demo();
    await activity.setup();
    for (const path of DEAL_PATHS) {
      const deal = await activity.runDeal(path);
      expect(deal.dealCid).to.equal(bytes32ToCid(deal.dealId));
      expect(Number(await market.getDealState(deal.dealKey)), path).to.equal(FINAL_STATE[path]);
    }
    expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
  });

  it("runForever reports each finished deal by CID and key", async function () {
    const { activity, market, parties } = await demo();
    await activity.fund();
    const stop = new AbortController();
    const reported: { path: DealPath; dealCid: string; key: string }[] = [];
    const errors: unknown[] = [];
    await activity.runForever({
      intervalMs: 0,
      signal: stop.signal,
      onDeal: (path, dealCid, key) => {
        reported.push({ path, dealCid, key });
        if (reported.length === 3) stop.abort();
      },
      onError: (error) => errors.push(error),
    });
    expect(errors).to.deep.equal([]);
    expect(reported.map((r) => r.path)).to.deep.equal(DEAL_PATHS.slice(0, 3));
    for (const [i, { path, dealCid, key }] of reported.entries()) {
      expect(isCid(dealCid), dealCid).to.equal(true);
      const jobCreator = parties.jobCreators[i % 2].address;
      const provider = parties.resourceProviders[i % 2].address;
      expect(key).to.equal(dealKey(dealCid, jobCreator, provider));
      expect(Number(await market.getDealState(key))).to.equal(FINAL_STATE[path]);
    }
    // runForever registered the services before the first deal.
    expect(await activity.register()).to.have.length(7);
  });
});
