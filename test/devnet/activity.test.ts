// The demo market of `accord dev`: every path it drives must end in that path's final state, with the market
// holding nothing afterwards (each deal settles completely).
import { expect } from "chai";
import hre from "hardhat";
import { deployAccord } from "../../src/deployments";
import { DEAL_PATHS, MarketActivity, type DealPath } from "../../src/devnet/activity";
import { AgreementState } from "../../src/model";

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

describe("devnet: MarketActivity (the demo market of accord dev)", function () {
  it("drives a deal through every path to that path's final state and settles it completely", async function () {
    const { market, token } = await deployAccord(hre);
    const [funder, ...others] = await hre.ethers.getSigners();
    const activity = new MarketActivity(
      market,
      token,
      {
        funder,
        jobCreators: others.slice(0, 2),
        resourceProviders: others.slice(2, 4),
        solver: others[4],
        mediators: others.slice(5, 7),
      },
      hre.network.provider as unknown as { send(method: string, params: unknown[]): Promise<unknown> },
    );
    await activity.fund();
    for (const path of DEAL_PATHS) {
      const dealId = await activity.runDeal(path);
      expect(Number(await market.getDealState(dealId)), path).to.equal(FINAL_STATE[path]);
    }
    expect(await token.balanceOf(await market.getAddress())).to.equal(0n);
  });
});
