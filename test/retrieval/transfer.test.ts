// Paid retrieval end to end: `accord serve-data` as a process of its own, the client in this process, the real
// PaymentChannels on a Hardhat network both reach over HTTP, the real payment adapters on both sides. Complete
// transfers whose intervals end exactly on block edges and on the DAG's last byte (the reference hung there), the
// unsealing paid before the first byte, free payloads with no channel at all, a channel funded short (shortfall →
// add funds → recheck → done), proposals that pay less or ask longer intervals refused, cancellation by the client.

import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { ResultStore } from "../../src/results";
import {
  amountFor,
  intervalBoundary,
  nextBoundary,
  RetrievalCancelledError,
  RetrievalRejectedError,
  type ClientDeal,
  type DealParams,
} from "../../src/retrieval";
import {
  alignedParams,
  blockSizes,
  openClient,
  payerFor,
  spawnServeData,
  startChain,
  tempDir,
  until,
  writePayload,
  type Chain,
} from "./helpers";

const PRICE = 1_000n;
const UNSEAL = 12_345n;
const PAYEE = 10;

describe("paid retrieval between processes", function () {
  this.timeout(60_000);
  let dir: string;
  let chain: Chain;
  let payload: string;
  let cid: string;
  let sizes: number[];
  let params: DealParams;
  let provider: Awaited<ReturnType<typeof spawnServeData>>;
  const closers: (() => Promise<void> | void)[] = [];

  before(async function () {
    dir = tempDir("transfer");
    chain = await startChain(dir);
    payload = writePayload(path.join(dir, "payload"), { files: 90, bigBytes: 300_000, seed: 3 });
    // The provider's own count of the DAG, to put the boundaries on block edges.
    const probe = await ResultStore.open(path.join(dir, "probe"));
    cid = await probe.importDirectory(payload);
    sizes = await blockSizes(probe, cid);
    await probe.close();
    params = alignedParams(sizes, PRICE, UNSEAL)!;
    expect(params, "terms ending on the last byte").to.not.equal(undefined);
    provider = await spawnServeData(chain, {
      payload,
      dataDir: path.join(dir, "provider"),
      payee: PAYEE,
      params,
    });
    expect(provider.cid).to.equal(cid);
  });

  after(async function () {
    await provider?.process.stop();
    await chain?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A client in this process paying from account `index`. */
  async function client(name: string, index: number) {
    const payment = await payerFor(chain, index, path.join(dir, name, "channels"));
    const opened = await openClient(path.join(dir, name), payment.payer);
    closers.push(
      () => opened.close(),
      () => payment.manager.close(),
    );
    const states: ClientDeal[] = [];
    opened.client.on("state", (deal) => states.push(deal));
    return { ...opened, manager: payment.manager, payer: payment.payer, states };
  }

  it("completes a transfer whose intervals end on block edges and on the last byte, paying exactly", async function () {
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(provider.size).to.equal(total);
    const c = await client("exact", 2);
    const outcome = await c.client.retrieve(cid, provider.url);
    expect(outcome.state).to.equal("Completed");
    expect(outcome.received).to.equal(total);
    expect(outcome.paid).to.equal(amountFor(params, total));
    expect(await c.store.has(cid)).to.equal(true);

    // The unsealing went first, before any byte; then a payment each time the bytes received reached the next
    // boundary (for what was received then: the block that crossed it included), the last one for the whole DAG.
    const payments = c.states.filter((s) => s.state === "SendFunds" || s.state === "Finalizing").map((s) => s.owed);
    const expected: bigint[] = [UNSEAL];
    let received = 0;
    let paidBytes = 0;
    for (const size of sizes) {
      received += size;
      if (received >= nextBoundary(params, paidBytes)) {
        expected.push(amountFor(params, received));
        paidBytes = received;
      }
    }
    expect(payments.filter((p) => p !== null)).to.deep.equal(expected);
    expect(paidBytes, "the last boundary is the DAG's last byte").to.equal(total);
    // …and the first boundary falls exactly after a block too: the provider stopped with nothing of the next sent.
    const edges = sizes.map((_, i) => sizes.slice(0, i + 1).reduce((a, b) => a + b, 0));
    expect(edges).to.include(intervalBoundary(params, 1));
    expect(expected[1]).to.equal(amountFor(params, intervalBoundary(params, 1)));
    expect(c.states.find((s) => s.state === "SendFunds")!.received).to.equal(0);

    // What the provider holds pays exactly what was received, on the deal's lane.
    const deal = c.client.deal(outcome.dealId!)!;
    const latest = c.manager.latestVoucher(deal.channelId!, deal.lane!)!;
    expect(latest.voucher.amount).to.equal(amountFor(params, total));
    const status = (await (await fetch(`${provider.url}/retrieval/deals/${outcome.dealId}`)).json()) as {
      state: string;
      paid: string;
    };
    expect(status).to.include({ state: "Completed", paid: amountFor(params, total).toString() });
    // The voucher is good on chain: the payee can redeem it for the full amount.
    const payee = await chain.channels(PAYEE);
    await payee.updateChannelState(latest);
    expect((await payee.getLane(deal.channelId!, deal.lane!))!.redeemed).to.equal(amountFor(params, total));

    const out = path.join(dir, "exact-out");
    await c.store.extractTo(cid, out);
    for (const name of fs.readdirSync(payload)) {
      if (fs.statSync(path.join(payload, name)).isFile()) {
        expect(fs.readFileSync(path.join(out, name)).equals(fs.readFileSync(path.join(payload, name)))).to.equal(true);
      }
    }
  });

  it("waits in InsufficientFunds when the channel is short, then goes on once funds are added and a recheck asked", async function () {
    const total = sizes.reduce((a, b) => a + b, 0);
    const c = await client("short", 3);
    const funds = amountFor(params, Math.floor(total / 3));
    const retrieval = c.client.retrieve(cid, provider.url, { funds });
    await until(() => c.states.some((s) => s.state === "InsufficientFunds"), 30_000, "InsufficientFunds");
    const waiting = c.states.find((s) => s.state === "InsufficientFunds")!;
    expect(waiting.shortfall! > 0n).to.equal(true);
    // Nothing more comes while it waits: the provider holds the stream at the boundary.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(c.client.deal(waiting.dealId)!.state).to.equal("InsufficientFunds");
    expect(c.client.deal(waiting.dealId)!.received).to.be.lessThan(total);
    // Funds alone do not wake it; the recheck does.
    await c.client.addFunds(waiting.dealId, amountFor(params, total));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(c.client.deal(waiting.dealId)!.state).to.equal("InsufficientFunds");
    c.client.recheckFunds(waiting.dealId);
    const outcome = await retrieval;
    expect(outcome.state).to.equal("Completed");
    expect(outcome.paid).to.equal(amountFor(params, total));
  });

  it("refuses a proposal that pays less or asks for longer intervals", async function () {
    const c = await client("refused", 4);
    const cases: [Partial<DealParams>, string][] = [
      [{ pricePerByte: PRICE - 1n }, "price_per_byte"],
      [{ unsealPrice: UNSEAL - 1n }, "unseal_price"],
      [{ paymentInterval: params.paymentInterval + 1 }, "payment_interval"],
      [{ paymentIntervalIncrease: params.paymentIntervalIncrease + 1 }, "payment_interval_increase"],
    ];
    for (const [override, field] of cases) {
      const error = await c.client.retrieve(cid, provider.url, { params: override }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RetrievalRejectedError);
      expect((error as RetrievalRejectedError).field).to.equal(field);
    }
    expect(c.client.deals().map((d) => d.state)).to.deep.equal(["Rejected", "Rejected", "Rejected", "Rejected"]);
    // No channel was opened for a refused deal.
    expect(c.payer.activeChannel(chain.account(PAYEE).address)).to.equal(undefined);
  });

  it("stops when the client cancels mid-transfer, and the provider answers 410 for the deal", async function () {
    const c = await client("cancel", 5);
    const retrieval = c.client.retrieve(cid, provider.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(() => c.states.some((s) => s.state === "Ongoing" && s.paid > UNSEAL), 30_000, "a paid interval");
    const dealId = c.states[0].dealId;
    await c.client.cancel(dealId);
    const error = await retrieval;
    expect(error).to.be.instanceOf(RetrievalCancelledError);
    expect((error as RetrievalCancelledError).by).to.equal("client");
    expect(c.client.deal(dealId)!.state).to.equal("Cancelled");
    const answer = await fetch(`${provider.url}/retrieval/deals/${dealId}`);
    expect(answer.status).to.equal(410);
    expect(((await answer.json()) as { state: string }).state).to.equal("Cancelled");
    expect(await c.store.has(cid)).to.equal(false);
  });

  it("keeps the interval arithmetic of the reference (1, 3, 6, 10, 15 MiB with the defaults)", function () {
    const mib = 1024 * 1024;
    const defaults = { pricePerByte: 1n, unsealPrice: 0n, paymentInterval: mib, paymentIntervalIncrease: mib };
    expect([1, 2, 3, 4, 5].map((k) => intervalBoundary(defaults, k) / mib)).to.deep.equal([1, 3, 6, 10, 15]);
    expect(nextBoundary(defaults, 0)).to.equal(mib);
    expect(nextBoundary(defaults, mib)).to.equal(3 * mib);
    expect(nextBoundary(defaults, 3 * mib - 1)).to.equal(3 * mib);
  });
});

describe("free retrieval between processes", function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    dir = tempDir("free");
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("retrieves a zero-price payload with no channel, no payer and no chain at all", async function () {
    const payload = writePayload(path.join(dir, "payload"), { files: 40, bigBytes: 600_000, seed: 9 });
    const provider = await spawnServeData(undefined, { payload, dataDir: path.join(dir, "provider") });
    try {
      const ask = (await (await fetch(`${provider.url}/retrieval/ask/${provider.cid}`)).json()) as Record<
        string,
        unknown
      >;
      expect(ask).to.include({ price_per_byte: "0", unseal_price: "0", payee: null, token: null });
      const c = await openClient(path.join(dir, "client"));
      try {
        const states: string[] = [];
        c.client.on("state", (deal) => states.push(deal.state));
        const outcome = await c.client.retrieve(provider.cid, provider.url);
        expect(outcome).to.include({ state: "Completed", received: provider.size, paid: 0n });
        expect(states).to.deep.equal(["New", "WaitForAcceptance", "Accepted", "Ongoing", "Finalizing", "Completed"]);
        expect(c.client.deal(outcome.dealId!)!.channelId).to.equal(null);
        expect(await c.store.has(provider.cid)).to.equal(true);
        // A second retrieve of a DAG already held makes no deal.
        expect((await c.client.retrieve(provider.cid, provider.url)).dealId).to.equal(null);
      } finally {
        await c.close();
      }
    } finally {
      await provider.process.stop();
    }
  });
});
