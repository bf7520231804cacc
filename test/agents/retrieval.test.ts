// The market's results sold by paid retrieval, each agent its own `accord agent` process: a provider asking a price
// per byte serves a deal's results over /retrieval/, the job creator opens a channel to it, pays by vouchers as the
// bytes arrive (verified block by block), judges the results and accepts them; the provider's voucher store holds
// exactly what the bytes cost, and its settler redeems it when the channel settles.

import path from "node:path";
import { expect } from "chai";
import { Wallet } from "ethers";
import { PaymentChannelsClient } from "../../src/clients";
import { readDeployment } from "../../src/deployments";
import type { DealTimeouts } from "../../src/model/types";
import { startMarket, TEST_PRICING, type Market } from "./harness";

const TIMEOUTS: DealTimeouts = {
  agree: { timeout: 60n, collateral: 1n },
  submit_results: { timeout: 60n, collateral: 5n },
  judge_results: { timeout: 60n, collateral: 5n },
  mediate_results: { timeout: 60n, collateral: 1n },
};
const PRICE_PER_BYTE = 1000n;

describe("agents: results sold by paid retrieval", function () {
  this.timeout(240_000);
  let market: Market;

  beforeEach(async () => {
    market = await startMarket({ signTimeoutMs: 10_000, timeouts: TIMEOUTS });
  });
  afterEach(async () => {
    await market.close();
  });

  it("the job creator pays the provider's ask for every byte it verified, through a channel, then accepts", async () => {
    const providerConfig = market.agentConfig("provider", {
      machines: [{ index: 0, spec: { cpu: 8000, gpu: 0, ram: 8192 }, pricing: TEST_PRICING, timeouts: TIMEOUTS }],
      retrieval: { pricePerByte: Number(PRICE_PER_BYTE), paymentInterval: 256, paymentIntervalIncrease: 256 },
    });
    const [primes] = market.modules;
    const jobCreatorConfig = market.agentConfig("job-creator", {
      jobs: [
        {
          module: primes.module,
          inputs: { below: "5000" },
          spec: primes.spec,
          pricing: TEST_PRICING,
          timeouts: TIMEOUTS,
        },
      ],
      postIntervalMs: 1000,
      maxInFlight: 1,
      policy: { sampleRate: 0 },
      retrieval: { maxPricePerByte: 5000, minDeposit: 10_000_000, settleDelay: 3600 },
    });
    const provider = market.spawnAgent(
      "resource-provider",
      market.providers[0],
      providerConfig,
      path.join(market.dir, "provider-process"),
    );
    await provider.waitForLog("agent ready");
    const jobCreator = market.spawnAgent(
      "job-creator",
      market.jobCreators[0],
      jobCreatorConfig,
      path.join(market.dir, "job-creator-process"),
    );
    const deal = await market.waitForDeal("jobCreator", market.jobCreators[0].address, ["ResultsAccepted"], 120_000);
    expect(deal.state).to.equal("ResultsAccepted");
    const retrieved = await jobCreator.waitForLog("results retrieved");
    const received = BigInt(retrieved.received as number);
    expect(received > 0n).to.equal(true);
    expect(BigInt(retrieved.paid as string)).to.equal(received * PRICE_PER_BYTE);

    // On chain: one channel from the job creator to the provider; the provider redeems what it holds when it settles.
    const deployment = readDeployment(market.deploymentPath);
    const payee = await PaymentChannelsClient.fromDeployment(
      new Wallet(market.providers[0].privateKey, market.provider),
      deployment,
    );
    const opened = await payee.channels.queryFilter(
      payee.channels.filters.ChannelOpened(undefined, market.jobCreators[0].address, market.providers[0].address),
    );
    expect(opened).to.have.length(1);
    const channelId = opened[0].args.channelId;
    const channel = await payee.getChannel(channelId);
    expect(channel.settleDelay).to.equal(3600n);
    expect(channel.balance >= received * PRICE_PER_BYTE).to.equal(true);
    await payee.settle(channelId);
    const until = Date.now() + 30_000;
    while ((await payee.getChannel(channelId)).toSend !== received * PRICE_PER_BYTE) {
      if (Date.now() > until) expect.fail("the provider's settler did not redeem its vouchers");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
});
