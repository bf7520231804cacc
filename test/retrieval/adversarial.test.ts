// Providers that misbehave, in this process (over HTTP on 127.0.0.1, the real channels behind both sides): one that
// serves a tampered block (the client refuses it, never pays for it, and errors), one that ends the stream before the
// DAG is whole (an error, paid only for what came), one that asks for more than it sent (paid what was received), one
// that cancels mid-transfer; and the provider's own refusals of vouchers that pay for another deal.

import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { signedVoucherToJson } from "../../src/channels/voucher";
import type { ResultStore } from "../../src/results";
import {
  amountFor,
  RetrievalCancelledError,
  RetrievalFailedError,
  RetrievalProvider,
  type ClientDeal,
  type DealParams,
  type ProviderDealEvent,
  type ProviderDealRecord,
  type RetrievalProviderOptions,
} from "../../src/retrieval";
import {
  inProcessProvider,
  openClient,
  payeeFor,
  payerFor,
  startChain,
  tempDir,
  until,
  writePayload,
  type Chain,
} from "./helpers";

const ASK: DealParams = { pricePerByte: 10n, unsealPrice: 0n, paymentInterval: 16 * 1024, paymentIntervalIncrease: 0 };

/** Asks, in every status it sends, for a million more than the bytes sent are worth. */
class OverAskingProvider extends RetrievalProvider {
  constructor(options: RetrievalProviderOptions) {
    super(options);
  }

  protected override requestedAmount(record: ProviderDealRecord, sent: number): bigint {
    return super.requestedAmount(record, sent) + 1_000_000n;
  }
}

/** The store's blocks, with block `index()` changed by one bit (its CID left as it was). */
function tampering(store: ResultStore, index: () => number): RetrievalProviderOptions["store"] {
  return {
    async *blocksOf(cid: string) {
      let i = 0;
      for await (const block of store.blocksOf(cid)) {
        if (i++ !== index()) yield block;
        else {
          const bytes = Uint8Array.from(block.bytes);
          bytes[bytes.length - 1] ^= 1;
          yield { cid: block.cid, bytes };
        }
      }
    },
  };
}

/** The store's blocks, stopping after `count`: a provider that thinks it is done early. */
function stoppingAfter(store: ResultStore, count: number): RetrievalProviderOptions["store"] {
  return {
    async *blocksOf(cid: string) {
      let i = 0;
      for await (const block of store.blocksOf(cid)) {
        if (i++ === count) return;
        yield block;
      }
    },
  };
}

describe("paid retrieval from providers that misbehave", function () {
  this.timeout(60_000);
  let dir: string;
  let chain: Chain;
  let payload: string;
  let account = 2;
  const closers: (() => Promise<void> | void)[] = [];

  before(async function () {
    dir = tempDir("adversarial");
    chain = await startChain(dir);
    payload = writePayload(path.join(dir, "payload"), { files: 60, bigBytes: 280_000, seed: 5 });
  });

  after(async function () {
    await chain?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A provider (payee account 10 + n) and a client (the next payer account), each with its own directories. */
  async function setup(name: string, provider: Parameters<typeof inProcessProvider>[2] = {}) {
    const payee = await payeeFor(chain, 10 + account, path.join(dir, name, "vouchers"));
    const served = await inProcessProvider(path.join(dir, name, "provider"), payload, {
      ask: ASK,
      payee: payee.payee,
      ...provider,
    });
    const payment = await payerFor(chain, account++, path.join(dir, name, "channels"));
    const opened = await openClient(path.join(dir, name, "client"), payment.payer, { reconnectTimeoutMs: 3000 });
    closers.push(
      () => served.close(),
      () => payee.vouchers.close(),
      () => payment.manager.close(),
      () => opened.close(),
    );
    const states: ClientDeal[] = [];
    opened.client.on("state", (deal) => states.push(deal));
    const providerStates: ProviderDealEvent[] = [];
    served.provider.on("state", (event) => providerStates.push(event));
    return {
      provider: served.provider,
      server: served.server,
      cid: served.cid,
      providerStore: served.store,
      payee,
      payment,
      client: opened.client,
      store: opened.store,
      states,
      providerStates,
    };
  }

  /** The block sizes of the payload's DAG, in order. */
  async function sizesOf(store: ResultStore, cid: string): Promise<number[]> {
    const sizes: number[] = [];
    for await (const block of store.blocksOf(cid)) sizes.push(block.bytes.length);
    return sizes;
  }

  it("refuses a tampered block: never pays for it, never stores it, errors and calls the deal off", async function () {
    let bad = -1;
    const t = await setup("tamper", { wrapStore: (store) => tampering(store, () => bad) });
    const sizes = await sizesOf(t.providerStore, t.cid);
    bad = Math.floor(sizes.length / 2);
    const error = await t.client.retrieve(t.cid, t.server.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RetrievalFailedError);
    expect((error as RetrievalFailedError).reason).to.equal("verification");
    const deal = t.client.deals()[0];
    expect(deal.state).to.equal("Errored");
    // Everything before the bad block came and was paid for as the intervals fell; nothing of it or after it.
    const before = sizes.slice(0, bad).reduce((a, b) => a + b, 0);
    expect(deal.paid <= amountFor(ASK, before)).to.equal(true);
    expect(deal.paid > 0n).to.equal(true);
    const voucher = t.payment.manager.latestVoucher(deal.channelId!, deal.lane!)!;
    expect(voucher.voucher.amount).to.equal(deal.paid);
    expect(await t.store.has(t.cid)).to.equal(false);
    // The provider was told: its deal is cancelled.
    await until(() => t.provider.deal(deal.dealId)?.state === "Cancelled", 5000, "the provider's cancellation");
  });

  it("errors when the provider ends the stream before the DAG is complete, having paid only for what came", async function () {
    const t = await setup("early", { wrapStore: (store) => stoppingAfter(store, 20) });
    const error = await t.client.retrieve(t.cid, t.server.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RetrievalFailedError);
    expect((error as RetrievalFailedError).reason).to.equal("early-end");
    const deal = t.client.deals()[0];
    expect(deal.state).to.equal("Errored");
    const sizes = await sizesOf(t.store, t.cid).catch(() => undefined);
    expect(sizes, "the client's store lacks the DAG").to.equal(undefined);
    // Whatever the client paid covers blocks it received, no more: at most the 20 blocks' worth.
    expect(deal.paid <= amountFor(ASK, deal.received)).to.equal(true);
    // The provider believes it sent everything (and, paid for it, that it is done).
    expect(["Finalizing", "Completed"]).to.include(t.provider.deal(deal.dealId)!.state);
    expect(t.provider.deal(deal.dealId)!.paid).to.equal(deal.paid);
  });

  it("pays a provider that asks for more than it sent only for what was received", async function () {
    const t = await setup("overask", { make: (options) => Promise.resolve(new OverAskingProvider(options)) });
    const outcome = await t.client.retrieve(t.cid, t.server.url);
    expect(outcome.state).to.equal("Completed");
    const deal = t.client.deal(outcome.dealId!)!;
    expect(deal.paid).to.equal(amountFor(ASK, deal.received));
    expect(deal.providerRequested! > deal.paid).to.equal(true);
    // What the provider holds is exactly that: the lane's best voucher.
    expect(t.payee.vouchers.laneAmount(deal.channelId!, deal.lane!)).to.equal(amountFor(ASK, deal.received));
    // It keeps asking (its deal never completes), and never gets more.
    expect(t.provider.deal(deal.dealId)!.paymentRequested > deal.paid).to.equal(true);
  });

  it("stops with RetrievalCancelledError when the provider cancels mid-transfer", async function () {
    const t = await setup("provider-cancel");
    let cancelled = false;
    t.provider.on("state", (event) => {
      if (!cancelled && event.state === "FundsNeeded" && event.paid > 0n) {
        cancelled = true;
        void t.provider.cancel(event.dealId);
      }
    });
    const error = await t.client.retrieve(t.cid, t.server.url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RetrievalCancelledError);
    expect((error as RetrievalCancelledError).by).to.equal("provider");
    const deal = t.client.deals()[0];
    expect(deal).to.include({ state: "Cancelled", cancelledBy: "provider" });
    expect(t.provider.deal(deal.dealId)!.state).to.equal("Cancelled");
    expect(await t.store.has(t.cid)).to.equal(false);
  });

  it("does not count a voucher for another deal's lane, another lane, or a free deal", async function () {
    const t = await setup("lanes");
    const outcome = await t.client.retrieve(t.cid, t.server.url);
    const first = t.client.deal(outcome.dealId!)!;
    const voucher = t.payment.manager.latestVoucher(first.channelId!, first.lane!)!;
    // A second deal on the same payload: the first deal's voucher must not pay for it.
    const dealId = "ab".repeat(16);
    const post = (route: string, body: unknown) =>
      fetch(`${t.server.url}/retrieval/${route}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const proposal = {
      deal_id: dealId,
      payload_cid: t.cid,
      payer: await t.payment.payer.address(),
      price_per_byte: ASK.pricePerByte.toString(),
      unseal_price: "0",
      payment_interval: ASK.paymentInterval,
      payment_interval_increase: 0,
    };
    expect((await post("deals", proposal)).status).to.equal(200);
    const reuse = await post(`deals/${dealId}/voucher`, { voucher: signedVoucherToJson(voucher) });
    expect(reuse.status).to.equal(422);
    expect(((await reuse.json()) as { rule: string }).rule).to.equal("lane-in-use");
    // The same proposal again is the same deal; other terms under its ID are refused.
    expect((await post("deals", proposal)).status).to.equal(200);
    expect((await post("deals", { ...proposal, price_per_byte: "11" })).status).to.equal(409);
    // A proposal for less than the ask, as a raw request: 422 naming the field.
    const cheap = await post("deals", { ...proposal, deal_id: "cd".repeat(16), price_per_byte: "9" });
    expect(cheap.status).to.equal(422);
    expect(await cheap.json()).to.include({ field: "price_per_byte" });
    // Malformed proposals: 400 naming the field.
    const malformed = await post("deals", { ...proposal, deal_id: "not hex" });
    expect(malformed.status).to.equal(400);
    expect(await malformed.json()).to.include({ field: "deal_id" });
  });
});
