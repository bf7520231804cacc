// The pieces both sides share, on their own: the interval arithmetic (checked against a plain count of boundaries),
// when a provider may send, the terms a provider refuses, the wire format's parse (errors name the field), and the
// block-at-a-time importer (depth-first order enforced, a restart resumes from the blocks stored).

import { expect } from "chai";
import fc from "fast-check";
import fs from "node:fs";
import path from "node:path";
import { AccordValidationError } from "../../src/model/errors";
import { parseRoot } from "../../src/results/blocks";
import { ResultStore, ResultsVerificationError } from "../../src/results";
import { DagVerifier } from "../../src/results/verify";
import { amountFor, bytesPaidBy, intervalBoundary, maySend, nextBoundary, type DealParams } from "../../src/retrieval";
import {
  askFromJson,
  proposalFromJson,
  proposalToJson,
  refuseTerms,
  statusFromJson,
  statusToJson,
} from "../../src/retrieval/protocol";
import { tempDir, writePayload } from "./helpers";

const params = (I: number, J: number, price = 2n, unseal = 0n): DealParams => ({
  pricePerByte: price,
  unsealPrice: unseal,
  paymentInterval: I,
  paymentIntervalIncrease: J,
});

function fieldOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof AccordValidationError) return error.field;
    throw error;
  }
  throw new Error("no error");
}

describe("paid retrieval's shared rules", function () {
  describe("intervals", function () {
    it("finds the first boundary above any byte count, as counting boundaries one by one does", function () {
      fc.assert(
        fc.property(
          // Bounded so the one-by-one count stays short (at most 2^16 boundaries).
          fc.integer({ min: 64, max: 5_000_000 }),
          fc.integer({ min: 0, max: 5_000_000 }),
          fc.integer({ min: 0, max: 2 ** 22 }),
          (I, J, paid) => {
            const p = params(I, J);
            let k = 1;
            while (intervalBoundary(p, k) <= paid) k += 1;
            expect(nextBoundary(p, paid)).to.equal(intervalBoundary(p, k));
          },
        ),
        { numRuns: 300 },
      );
      // And far out, where the float square root has to be corrected: b_(k−1) ≤ paid < b_k.
      for (const [I, J, paid] of [
        [1, 1, 2 ** 50],
        [3, 0, 2 ** 51 + 7],
        [1024 * 1024, 1024 * 1024, 2 ** 45 - 1],
        [7, 13, 10 ** 15],
      ]) {
        const p = params(I, J);
        const next = nextBoundary(p, paid);
        expect(next > paid).to.equal(true);
        const k =
          J === 0 ? Math.round(next / I) : Math.round((-(I - J / 2) + Math.sqrt((I - J / 2) ** 2 + 2 * J * next)) / J);
        expect(intervalBoundary(p, k)).to.equal(next);
        expect(intervalBoundary(p, k - 1) <= paid).to.equal(true);
      }
    });

    it("lets a provider send below the next boundary above what is paid, and never before the unsealing is paid", function () {
      const p = params(100, 50, 3n, 1000n);
      expect(bytesPaidBy(p, 999n)).to.equal(-1);
      expect(maySend(p, 999n, 0)).to.equal(false);
      expect(maySend(p, 1000n, 0)).to.equal(true);
      expect(maySend(p, 1000n, 99)).to.equal(true);
      expect(maySend(p, 1000n, 100)).to.equal(false);
      // Paid for 120 bytes (one block past b_1 = 100): the next stop is b_2 = 250.
      expect(maySend(p, amountFor(p, 120), 249)).to.equal(true);
      expect(maySend(p, amountFor(p, 120), 250)).to.equal(false);
      // Bytes free, unsealing paid: never a stop.
      expect(maySend(params(100, 0, 0n, 5n), 5n, 10 ** 9)).to.equal(true);
    });
  });

  describe("terms and the wire", function () {
    const ask = params(1024, 1024, 5n, 100n);

    it("refuses terms that pay less or ask for longer intervals, naming the field", function () {
      expect(refuseTerms(ask, ask)).to.equal(undefined);
      expect(refuseTerms(ask, { ...ask, pricePerByte: 6n, paymentInterval: 512, paymentIntervalIncrease: 0 })).to.equal(
        undefined,
      );
      expect(refuseTerms(ask, { ...ask, pricePerByte: 4n })!.field).to.equal("price_per_byte");
      expect(refuseTerms(ask, { ...ask, unsealPrice: 99n })!.field).to.equal("unseal_price");
      expect(refuseTerms(ask, { ...ask, paymentInterval: 1025 })!.field).to.equal("payment_interval");
      expect(refuseTerms(ask, { ...ask, paymentIntervalIncrease: 1025 })!.field).to.equal("payment_interval_increase");
    });

    it("parses proposals, asks and statuses, naming the field of anything malformed", function () {
      const cid = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn";
      const proposal = { dealId: "0".repeat(32), payloadCid: cid, payer: null, ...ask };
      expect(proposalFromJson(proposalToJson(proposal))).to.deep.equal(proposal);
      const json = proposalToJson(proposal);
      expect(fieldOf(() => proposalFromJson({ ...json, deal_id: "X".repeat(32) }))).to.equal("deal_id");
      expect(fieldOf(() => proposalFromJson({ ...json, payload_cid: "bafy" }))).to.equal("payload_cid");
      expect(fieldOf(() => proposalFromJson({ ...json, price_per_byte: undefined }))).to.equal("price_per_byte");
      expect(fieldOf(() => proposalFromJson({ ...json, price_per_byte: "-1" }))).to.equal("price_per_byte");
      expect(fieldOf(() => proposalFromJson({ ...json, payment_interval: 0 }))).to.equal("payment_interval");
      expect(fieldOf(() => proposalFromJson({ ...json, payment_interval_increase: 1.5 }))).to.equal(
        "payment_interval_increase",
      );
      expect(fieldOf(() => proposalFromJson({ ...json, payer: "0x12" }))).to.equal("payer");
      expect(fieldOf(() => proposalFromJson([]))).to.equal("");
      expect(fieldOf(() => askFromJson({ ...json, payload_cid: cid, size: -1, blocks: 1 }))).to.equal("size");
      const status = {
        dealId: "1".repeat(32),
        payloadCid: cid,
        state: "Ongoing" as const,
        size: 10,
        blocks: 1,
        sent: 5,
        paid: 7n,
        paymentRequested: 9n,
        channelId: `0x${"ab".repeat(32)}`,
        lane: 3n,
        message: null,
      };
      expect(statusFromJson(statusToJson(status))).to.deep.equal(status);
      expect(fieldOf(() => statusFromJson({ ...statusToJson(status), state: "Happy" }))).to.equal("state");
    });
  });

  describe("the block-at-a-time importer", function () {
    let dir: string;
    let source: ResultStore;
    let cid: string;

    before(async function () {
      dir = tempDir("import");
      source = await ResultStore.open(path.join(dir, "source"));
      cid = await source.importDirectory(writePayload(path.join(dir, "payload"), { files: 30, bigBytes: 300_000 }));
    });

    after(async function () {
      await source.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("takes the DAG in depth-first order only, and resumes from the blocks the store holds", async function () {
      const blocks = [];
      for await (const block of source.blocksOf(cid)) blocks.push(block);
      const target = await ResultStore.open(path.join(dir, "target"));
      try {
        const first = await target.openImport(cid);
        // The second block first: refused, not stored.
        const refused = await first.accept(blocks[1]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(refused).to.be.instanceOf(ResultsVerificationError);
        expect((refused as ResultsVerificationError).reason).to.equal("unexpected-block");
        for (const block of blocks.slice(0, 10)) await first.accept(block);
        await first.flush();
        expect(first.position).to.equal(10);
        // A restart: the ten blocks count, the eleventh is next.
        const again = await target.openImport(cid, { resume: true });
        expect(again.position).to.equal(10);
        expect(again.bytes).to.equal(blocks.slice(0, 10).reduce((sum, b) => sum + b.bytes.length, 0));
        expect(again.expected()!.toString()).to.equal(blocks[10].cid.toString());
        expect(await target.has(cid)).to.equal(false);
        for (const block of blocks.slice(10)) await again.accept(block);
        expect(again.complete).to.equal(true);
        await again.flush();
        expect(await target.has(cid)).to.equal(true);
        // A block with a byte changed under its CID: refused.
        const verifier = new DagVerifier(parseRoot(cid), "dfs");
        const bad = { cid: blocks[0].cid, bytes: Uint8Array.from(blocks[0].bytes) };
        bad.bytes[0] ^= 1;
        const digest = await verifier.accept(bad).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((digest as ResultsVerificationError).reason).to.be.oneOf(["digest", "malformed"]);
      } finally {
        await target.close();
      }
    });
  });
});
