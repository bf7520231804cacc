// The operator's job-attestation task type (src/quorum/job-attestation.ts): which tasks it takes, the outcome it
// answers for a report, and the tasks it leaves unanswered (no report, another signer, a report the chain
// contradicts, a payload that is not one).
import { expect } from "chai";
import { AbiCoder, Wallet, ZeroAddress } from "ethers";
import {
  encodeJobAttestationPayload,
  encodeJobAttestationResponse,
  jobEscrowDomain,
  signJobReport,
  type JobFacts,
  type SignedJobReport,
} from "../../src/escrow";
import { jobAttestationTaskType, TaskPayloadError, type QuorumTask } from "../../src/quorum";

describe("quorum: the job-attestation task type", () => {
  const jobOracle = Wallet.createRandom().address;
  const provider = Wallet.createRandom();
  const domain = jobEscrowDomain(31337n, Wallet.createRandom().address);
  const jobId = `0x${"5a".repeat(32)}`;
  const facts: JobFacts = {
    exists: true,
    status: "Completed",
    provider: provider.address,
    timeLimit: 3600n,
    acceptedAt: 100n,
    completesAt: 800n,
    reportedRunSeconds: 600n,
    attestable: true,
  };
  const payload = encodeJobAttestationPayload({
    jobId,
    machineId: `0x${"01".repeat(32)}`,
    requester: ZeroAddress,
    provider: provider.address,
    reportedRunSeconds: 600n,
  });
  const task = (creator: string) => ({ creator }) as QuorumTask;
  const report = (exitCode: number, runSeconds = 600n, signer = provider) =>
    signJobReport(signer, { jobId, exitCode, runSeconds, results: `0x${"00".repeat(32)}` }, domain);
  const typeWith = (loaded: SignedJobReport | undefined, chain: JobFacts = facts) =>
    jobAttestationTaskType({
      jobOracle,
      domain,
      jobFacts: () => Promise.resolve(chain),
      loadReport: () => Promise.resolve(loaded),
    });

  it("takes the QuorumJobOracle's tasks only", async () => {
    const type = typeWith(await report(0));
    expect(type.matches(task(jobOracle))).to.equal(true);
    expect(type.matches(task(Wallet.createRandom().address))).to.equal(false);
  });

  it("answers the policy's outcome for the provider's report", async () => {
    for (const [exitCode, bps] of [
      [0, 10_000],
      [1, 0],
      [3, 7_500],
    ] as const) {
      const answer = await typeWith(await report(exitCode)).respond(task(jobOracle), payload);
      expect(answer).to.equal(encodeJobAttestationResponse({ bps, runSeconds: 600n }));
      expect(AbiCoder.defaultAbiCoder().decode(["uint16", "uint64"], answer)[0]).to.equal(BigInt(bps));
    }
  });

  it("leaves a task unanswered without a report, for another signer, or against the chain", async () => {
    const refused = async (type: ReturnType<typeof typeWith>, field: string, body = payload) => {
      const error = await type.respond(task(jobOracle), body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(TaskPayloadError);
      expect((error as TaskPayloadError).field).to.equal(field);
    };
    await refused(typeWith(undefined), "jobId");
    await refused(typeWith(await report(0, 600n, Wallet.createRandom())), "provider");
    await refused(typeWith(await report(0, 601n)), "runSeconds");
    await refused(typeWith(await report(0), { ...facts, attestable: false }), "jobId");
    await refused(typeWith(await report(0)), "payload", "0x1234");
  });
});
