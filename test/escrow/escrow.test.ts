// src/escrow against the contract it mirrors: the same digest, hash and payout as JobEscrow computes, and each
// refusal naming its field.
import { expect } from "chai";
import fc from "fast-check";
import { Wallet, ZeroAddress } from "ethers";

import {
  attestationDigest,
  checkReportAgainstChain,
  contractOracleSet,
  decideOutcome,
  hashOracleSet,
  jobEscrowDomain,
  JobReportRefusedError,
  keyOracleSet,
  MAX_ORACLES,
  orderSignatures,
  parseAttestation,
  parseOracleSet,
  parseSignedJobReport,
  quoteJob,
  reportSigner,
  resolveOutcomePolicy,
  signAttestation,
  signJobReport,
  type JobFacts,
  type JobReport,
} from "../../src/escrow";
import { AccordValidationError } from "../../src/model/errors";
import { escrowFixture, loadEscrowFixture, oracleWallets } from "../helpers/escrow";

function refusal(fn: () => unknown, field: string, rule?: RegExp): AccordValidationError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected a refusal naming ${field}`).to.be.instanceOf(AccordValidationError);
  const error = caught as AccordValidationError;
  expect(error.field).to.equal(field);
  if (rule) expect(error.rule).to.match(rule);
  return error;
}

describe("accord/escrow", () => {
  const setup = () => loadEscrowFixture(escrowFixture);

  describe("oracle sets", () => {
    it("hash as the contract hashes them, keys sorted", async () => {
      const ctx = await setup();
      const wallets = oracleWallets(5);
      const shuffled = [wallets[3], wallets[0], wallets[4], wallets[1], wallets[2]];
      const set = keyOracleSet(shuffled, 3);
      expect(set.signers).to.deep.equal(wallets.map((w) => w.address));
      expect(hashOracleSet(set)).to.equal(await ctx.escrow.hashOracleSet(set));
      const contract = contractOracleSet(ctx.stranger.address);
      expect(hashOracleSet(contract)).to.equal(await ctx.escrow.hashOracleSet(contract));
    });

    it("refuse what open refuses, naming the field", () => {
      const [a, b] = oracleWallets(2).map((w) => w.address);
      refusal(() => keyOracleSet([a, a], 1), "signers[1]", /strictly greater/);
      refusal(() => keyOracleSet([a, b], 0), "threshold", /between 1 and 2/);
      refusal(() => keyOracleSet([a, b], 3), "threshold", /between 1 and 2/);
      refusal(() => keyOracleSet([], 1), "signers", /at least one key/);
      refusal(() => keyOracleSet(oracleWallets(MAX_ORACLES + 1), 1), "signers", /at most 16/);
      refusal(() => keyOracleSet(["0x1234"], 1), "signers[0]");
      refusal(() => parseOracleSet({ signers: [b, a], threshold: 1 }), "signers[1]", /sorted/);
      refusal(() => parseOracleSet({ signers: [a], threshold: 0, oracleContract: b }), "signers", /must be empty/);
      refusal(() => parseOracleSet({ signers: [], threshold: 1, oracleContract: b }), "threshold", /must be 0/);
      expect(parseOracleSet({ signers: [a], threshold: 1 }).oracleContract).to.equal(ZeroAddress);
    });
  });

  describe("attestations", () => {
    it("digest and signatures are the contract's", async () => {
      const ctx = await setup();
      const domain = jobEscrowDomain(ctx.chainId, ctx.escrowAddress);
      const attestation = parseAttestation({ jobId: `0x${"ab".repeat(32)}`, bps: 7500, runSeconds: "600" });
      expect(attestationDigest(attestation, domain)).to.equal(await ctx.escrow.attestationDigest(attestation));
      const wallets = oracleWallets(5);
      const set = keyOracleSet(wallets, 3);
      const signatures = await Promise.all(
        [wallets[4], wallets[1], wallets[2]].map((w) => signAttestation(w, attestation, domain)),
      );
      const ordered = orderSignatures(attestation, set, domain, signatures);
      expect(ordered.map((s) => s.index)).to.deep.equal([1, 2, 4]);
      expect(ordered[0].signature).to.equal(signatures[1]);
    });

    it("orderSignatures refuses a stranger, a repeat and too few", async () => {
      const wallets = oracleWallets(3);
      const set = keyOracleSet(wallets, 2);
      const domain = jobEscrowDomain(31337n, Wallet.createRandom().address);
      const attestation = { jobId: `0x${"01".repeat(32)}`, bps: 10_000, runSeconds: 60n };
      const [s0, s1] = await Promise.all(wallets.slice(0, 2).map((w) => signAttestation(w, attestation, domain)));
      const stranger = await signAttestation(Wallet.createRandom(), attestation, domain);
      refusal(() => orderSignatures(attestation, set, domain, [s0, stranger]), "signatures[1]", /not a key/);
      refusal(() => orderSignatures(attestation, set, domain, [s0, s0]), "signatures[1]", /repeats/);
      refusal(() => orderSignatures(attestation, set, domain, [s1]), "signatures", /needs 2 .* got 1/);
      refusal(() => orderSignatures(attestation, set, domain, ["0x1234"]), "signatures[0]", /65-byte/);
      const other = { ...attestation, bps: 0 };
      refusal(() => orderSignatures(other, set, domain, [s0, s1]), "signatures[0]", /not a key/);
    });

    it("parseAttestation names bps and runSeconds", () => {
      const jobId = `0x${"01".repeat(32)}`;
      refusal(() => parseAttestation({ jobId, bps: 10_001, runSeconds: 1 }), "bps", /at most 10000/);
      refusal(() => parseAttestation({ jobId, bps: -1, runSeconds: 1 }), "bps");
      refusal(() => parseAttestation({ jobId, bps: 1, runSeconds: 2n ** 64n }), "runSeconds");
      refusal(() => parseAttestation({ jobId: "0x01", bps: 1, runSeconds: 1 }), "jobId");
    });
  });

  describe("quoteJob", () => {
    it("pays what the contract's quote pays, to the wei", async () => {
      const ctx = await setup();
      const u = (bits: number) => fc.bigInt({ min: 0n, max: 2n ** BigInt(bits) - 1n });
      await fc.assert(
        fc.asyncProperty(
          u(128),
          u(128),
          u(64),
          fc.integer({ min: 0, max: 10_000 }),
          async (maxPrice, price, run, bps) => {
            const [cost, payout, refund] = await ctx.escrow.quote(maxPrice, price, run, bps);
            expect(quoteJob({ maxPrice, pricePerMinute: price, runSeconds: run, bps })).to.deep.equal({
              cost,
              payout,
              refund,
            });
          },
        ),
        { numRuns: 60 },
      );
    });

    it("refuses bps above 10000", () => {
      refusal(() => quoteJob({ maxPrice: 1n, pricePerMinute: 1n, runSeconds: 1n, bps: 10_001 }), "bps");
    });
  });

  describe("reports and the outcome policy", () => {
    const jobId = `0x${"0c".repeat(32)}`;
    const completed: JobFacts = {
      exists: true,
      status: "Completed",
      provider: ZeroAddress,
      timeLimit: 3600n,
      acceptedAt: 1000n,
      completesAt: 1700n,
      reportedRunSeconds: 600n,
      attestable: true,
    };
    const report = (overrides: Partial<JobReport> = {}): JobReport => ({
      jobId,
      exitCode: 0,
      runSeconds: 600n,
      results: `0x${"00".repeat(32)}`,
      ...overrides,
    });

    it("prices each status by the policy: 10000, 0, 5000, 7500 by default", () => {
      expect(decideOutcome(completed, report()).attestation).to.deep.equal({ jobId, bps: 10_000, runSeconds: 600n });
      expect(decideOutcome(completed, report({ exitCode: 1 }))).to.deep.include({ status: "failed" });
      expect(decideOutcome(completed, report({ exitCode: 1 })).attestation.bps).to.equal(0);
      expect(decideOutcome(completed, report({ exitCode: 3 })).attestation.bps).to.equal(7_500);
      const timedOut: JobFacts = {
        ...completed,
        status: "Accepted",
        completesAt: 4600n,
        reportedRunSeconds: undefined,
      };
      const out = decideOutcome(timedOut, report({ exitCode: 137, runSeconds: 3600n }));
      expect(out).to.deep.equal({ status: "timedOut", attestation: { jobId, bps: 5_000, runSeconds: 3600n } });
      const policy = resolveOutcomePolicy({ failedBps: 1_000, exitCodeBps: { 2: 2_500 } });
      expect(decideOutcome(completed, report({ exitCode: 1 }), policy).attestation.bps).to.equal(1_000);
      expect(decideOutcome(completed, report({ exitCode: 2 }), policy).attestation.bps).to.equal(2_500);
      // exitCodeBps replaces the default table: exit 3 is a plain failure under this policy.
      expect(decideOutcome(completed, report({ exitCode: 3 }), policy).attestation.bps).to.equal(1_000);
    });

    it("refuses a report the chain contradicts, naming the field", () => {
      const check = (job: JobFacts, r: JobReport, field: string, rule: RegExp) => {
        const error = refusal(() => checkReportAgainstChain(job, r), field, rule);
        expect(error).to.be.instanceOf(JobReportRefusedError);
      };
      check({ ...completed, exists: false }, report(), "jobId", /no job/);
      check({ ...completed, attestable: false }, report(), "jobId", /not attestable/);
      check(completed, report({ runSeconds: 601n }), "runSeconds", /600 s the provider reported/);
      check({ ...completed, completesAt: 1500n, reportedRunSeconds: undefined }, report(), "runSeconds", /500 s/);
      check(
        { ...completed, reportedRunSeconds: undefined, completesAt: 9000n },
        report({ runSeconds: 3601n }),
        "runSeconds",
        /time limit/,
      );
    });

    it("resolveOutcomePolicy refuses values out of range", () => {
      refusal(() => resolveOutcomePolicy({ succeededBps: 10_001 }), "succeededBps");
      refusal(() => resolveOutcomePolicy({ timedOutBps: 1.5 }), "timedOutBps");
      refusal(() => resolveOutcomePolicy({ exitCodeBps: { 0: 100 } }), "exitCodeBps.0", /1..255/);
      refusal(() => resolveOutcomePolicy({ exitCodeBps: { 4: 20_000 } }), "exitCodeBps.4");
    });

    it("a signed report recovers its signer and parses from JSON", async () => {
      const ctx = await setup();
      const domain = jobEscrowDomain(ctx.chainId, ctx.escrowAddress);
      const signed = await signJobReport(ctx.provider, report(), domain);
      const parsed = parseSignedJobReport(
        JSON.parse(JSON.stringify({ ...signed, report: { ...signed.report, runSeconds: "600" } })),
      );
      expect(reportSigner(parsed, domain)).to.equal(ctx.provider.address);
      expect(reportSigner(parsed, jobEscrowDomain(ctx.chainId, ctx.registryAddress))).to.not.equal(
        ctx.provider.address,
      );
      refusal(() => parseSignedJobReport({ report: report(), signature: "0x12" }), "signature");
      refusal(
        () => parseSignedJobReport({ report: { ...report(), exitCode: 256 }, signature: signed.signature }),
        "exitCode",
      );
    });
  });
});
