// Each agent as its own `accord agent` process, killed with kill -9 while it has a deal in hand and started again on
// the same data directory: it reconciles with the chain and the indexer and the deal still ends as it should, with
// no step done twice (the market would refuse a second one; the logs show none was tried).

import path from "node:path";
import { expect } from "chai";
import type { DealTimeouts } from "../../src/model/types";
import { startMarket, TEST_PRICING, type Market } from "./harness";

const RESTART_TIMEOUTS: DealTimeouts = {
  agree: { timeout: 60n, collateral: 1n },
  submit_results: { timeout: 60n, collateral: 5n },
  judge_results: { timeout: 60n, collateral: 5n },
  mediate_results: { timeout: 60n, collateral: 1n },
};

describe("agents: killed with kill -9 and restarted", function () {
  this.timeout(240_000);
  let market: Market;

  beforeEach(async () => {
    // Timeouts long enough for a process to start again (ts-node) and catch up.
    market = await startMarket({ signTimeoutMs: 10_000, timeouts: RESTART_TIMEOUTS });
  });
  afterEach(async () => {
    await market.close();
  });

  const count = (logs: Record<string, unknown>[], msg: string) => logs.filter((l) => l.msg === msg).length;

  it("a resource provider killed while it runs the job submits the results once after its restart", async () => {
    const config = market.agentConfig("provider", {
      machines: [
        { index: 0, spec: { cpu: 8000, gpu: 0, ram: 8192 }, pricing: TEST_PRICING, timeouts: RESTART_TIMEOUTS },
      ],
    });
    const dataDir = path.join(market.dir, "provider-process");
    const first = market.spawnAgent("resource-provider", market.providers[0], config, dataDir);
    await first.waitForLog("agent ready");
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 0 } });
    await jobCreator.post();
    await first.waitForLog("running the job");
    await first.kill9();

    const second = market.spawnAgent("resource-provider", market.providers[0], config, dataDir);
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["ResultsAccepted"], 90_000);
    expect(deal.state).to.equal("ResultsAccepted");
    expect(count(first.logs(), "results submitted") + count(second.logs(), "results submitted")).to.equal(1);
    expect(count(second.logs(), "signed the proposal's agreement")).to.equal(0);
  });

  it("a job creator killed after signing judges the results after its restart", async () => {
    await market.resourceProvider(0);
    const [primes] = market.modules;
    const config = market.agentConfig("job-creator", {
      jobs: [
        {
          module: primes.module,
          inputs: { below: "5000" },
          spec: primes.spec,
          pricing: TEST_PRICING,
          timeouts: RESTART_TIMEOUTS,
        },
      ],
      postIntervalMs: 1000,
      maxInFlight: 1,
      policy: { sampleRate: 0 },
    });
    const dataDir = path.join(market.dir, "job-creator-process");
    const first = market.spawnAgent("job-creator", market.jobCreators[0], config, dataDir);
    await first.waitForLog("signed the proposal's agreement");
    await first.kill9();

    const second = market.spawnAgent("job-creator", market.jobCreators[0], config, dataDir);
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["ResultsAccepted"], 90_000);
    expect(deal.state).to.equal("ResultsAccepted");
    await second.waitForLog("results accepted");
    expect(count(first.logs(), "results accepted") + count(second.logs(), "results accepted")).to.be.greaterThan(0);
  });

  it("a mediator killed while it re-runs the job decides after its restart", async () => {
    await market.resourceProvider(0);
    const jobCreator = await market.jobCreator(0, { policy: { sampleRate: 1 } });
    const config = market.agentConfig("mediator", {});
    const dirs = market.mediators.map((_, i) => path.join(market.dir, `mediator-process-${i}`));
    const firsts = market.mediators.map((wallet, i) => market.spawnAgent("mediator", wallet, config, dirs[i]));
    await Promise.all(firsts.map((p) => p.waitForLog("agent ready")));
    await jobCreator.post();
    // Whichever is drawn logs that it re-runs the job: kill both then.
    await Promise.any(firsts.map((p) => p.waitForLog("re-running the job")));
    await Promise.all(firsts.map((p) => p.kill9()));

    const seconds = market.mediators.map((wallet, i) => market.spawnAgent("mediator", wallet, config, dirs[i]));
    const deal = await market.waitForDeal(
      "jobCreator",
      market.jobCreators[0].address,
      ["MediationAccepted", "MediationRejected", "TimeoutMediateResults"],
      90_000,
    );
    expect(deal.state).to.equal("MediationAccepted");
    // Decided once: the chain took one verdict, and no process logged a second. (A first process killed between
    // its transaction and the log line leaves none logged; its successor then finds the deal decided.)
    const decided = [...firsts, ...seconds].map((p) => count(p.logs(), "mediation: results accepted"));
    expect(decided.reduce((a, b) => a + b, 0)).to.be.at.most(1);
  });
});
