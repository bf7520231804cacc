// kill -9 mid-transfer, each side on its own: the client (`accord retrieve`, a process) killed while it pays its way
// through the intervals and run again on the same data directory resumes the same deal from the blocks its store
// holds; the provider (`accord serve-data`) killed while it holds a stream and started again on the same directory
// and port takes the client back where it was paid. Either way the lane ends at exactly received × price, paid once.

import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { amountFor, type ClientDeal, type DealParams } from "../../src/retrieval";
import {
  freePort,
  openClient,
  payerFor,
  spawnAccord,
  spawnServeData,
  startChain,
  tempDir,
  writePayload,
  type Chain,
} from "./helpers";

const PARAMS: DealParams = {
  pricePerByte: 7n,
  unsealPrice: 1000n,
  paymentInterval: 8 * 1024,
  paymentIntervalIncrease: 0,
};

/** Every file under `dir`, with its bytes, for comparing trees. */
function readTree(dir: string, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(dir, prefix)).sort()) {
    const rel = path.join(prefix, name);
    if (fs.statSync(path.join(dir, rel)).isDirectory()) Object.assign(out, readTree(dir, rel));
    else out[rel] = fs.readFileSync(path.join(dir, rel)).toString("base64");
  }
  return out;
}

describe("paid retrieval killed with kill -9 and resumed", function () {
  this.timeout(90_000);
  let dir: string;
  let chain: Chain;
  let payload: string;

  before(async function () {
    dir = tempDir("restart");
    chain = await startChain(dir);
    payload = writePayload(path.join(dir, "payload"), { files: 150, minBytes: 500, maxBytes: 9000, seed: 11 });
  });

  after(async function () {
    await chain?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("resumes the client's deal from what its store verified, paying each byte once", async function () {
    const provider = await spawnServeData(chain, {
      payload,
      dataDir: path.join(dir, "client-kill", "provider"),
      payee: 11,
      params: PARAMS,
    });
    try {
      const clientDir = path.join(dir, "client-kill", "client");
      const out = path.join(dir, "client-kill", "out");
      const args = ["retrieve", provider.cid, "--from", provider.url, "--data-dir", clientDir, "--out", out];
      const chainArgs = ["--rpc", chain.url, "--deployment", chain.deploymentPath];
      const env = { ACCORD_AGENT_KEY: chain.account(2).privateKey };
      const first = spawnAccord([...args, ...chainArgs], env);
      // Well into the transfer: some tens of intervals paid, most of the DAG still to come.
      const paidLine = await first.waitFor(
        (l) =>
          l.msg === "retrieval client state" &&
          l.state === "Ongoing" &&
          BigInt(l.paid as string) > amountFor(PARAMS, 200_000),
      );
      await first.kill9();
      const dealId = paidLine.dealId as string;
      const killedAt = first.lines.filter((l) => l.msg === "retrieval client state").at(-1)!;
      expect(["Ongoing", "FundsNeeded", "SendFunds"]).to.include(killedAt.state);
      expect(killedAt.received).to.be.lessThan(provider.size);

      const second = spawnAccord([...args, ...chainArgs], env);
      expect(await second.exited).to.equal(0);
      const result = second.lines.find((l) => l.state === "Completed" && !("msg" in l))!;
      expect(result).to.include({ dealId, payloadCid: provider.cid, received: provider.size });
      expect(result.paid).to.equal(amountFor(PARAMS, provider.size).toString());
      // It went on from where it was, not from the start: its first state after the restart is mid-transfer.
      const resumed = second.lines.filter((l) => l.msg === "retrieval client state");
      expect(resumed[0].state).to.not.equal("New");
      expect(second.lines.some((l) => l.msg === "retrieval client state" && l.state === "PaymentChannelCreating")).to.be
        .false;
      // The provider holds the lane at exactly the whole DAG's price.
      const status = (await (await fetch(`${provider.url}/retrieval/deals/${dealId}`)).json()) as Record<
        string,
        unknown
      >;
      expect(status).to.include({ state: "Completed", paid: amountFor(PARAMS, provider.size).toString() });
      expect(readTree(out)).to.deep.equal(readTree(payload));
    } finally {
      await provider.process.stop();
    }
  });

  it("resumes the provider's deal from what it was paid, on the client's next connection", async function () {
    const port = await freePort();
    const providerDir = path.join(dir, "provider-kill", "provider");
    const start = () => spawnServeData(chain, { payload, dataDir: providerDir, payee: 12, port, params: PARAMS });
    let provider = await start();
    const payment = await payerFor(chain, 3, path.join(dir, "provider-kill", "channels"));
    const c = await openClient(path.join(dir, "provider-kill", "client"), payment.payer, {
      reconnectTimeoutMs: 60_000,
    });
    try {
      const states: ClientDeal[] = [];
      c.client.on("state", (deal) => states.push(deal));
      const retrieval = c.client.retrieve(provider.cid, provider.url);
      // The provider holds the stream at a boundary, some tens of intervals in: killed there.
      const held = await provider.process.waitFor(
        (l) =>
          l.msg === "retrieval provider state" &&
          l.state === "FundsNeeded" &&
          BigInt(l.paid as string) > amountFor(PARAMS, 200_000),
      );
      await provider.process.kill9();
      const paidBefore = BigInt(held.paid as string);
      // The client keeps trying; the provider comes back on the same port and directory.
      await new Promise((resolve) => setTimeout(resolve, 500));
      provider = await start();
      const outcome = await retrieval;
      expect(outcome.state).to.equal("Completed");
      expect(outcome.received).to.equal(provider.size);
      expect(outcome.paid).to.equal(amountFor(PARAMS, provider.size));
      const deal = c.client.deal(outcome.dealId!)!;
      // One channel, one lane, cumulative vouchers: the lane's last voucher is the whole price, once.
      expect(payment.manager.latestVoucher(deal.channelId!, deal.lane!)!.voucher.amount).to.equal(outcome.paid);
      const status = (await (await fetch(`${provider.url}/retrieval/deals/${outcome.dealId}`)).json()) as Record<
        string,
        unknown
      >;
      expect(status).to.include({ state: "Completed", paid: outcome.paid.toString() });
      // The restarted provider knew what it had been paid: what it logs on the way is never below it.
      const after = provider.process.lines.filter((l) => l.msg === "retrieval provider state");
      expect(after.every((l) => BigInt(l.paid as string) >= paidBefore)).to.equal(true);
      expect(await c.store.has(provider.cid)).to.equal(true);
    } finally {
      await c.close();
      payment.manager.close();
      await provider.process.stop();
    }
  });
});
