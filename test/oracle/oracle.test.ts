// `accord oracle` end to end on a real chain over HTTP (test/quorum/harness.ts): three oracle processes of a 2-of-3 key
// set deciding providers' signed reports by the default policy (10000 / 0 / 7500 / 5000), their refusals by status and
// field, one oracle killed with kill -9 and restarted serving what it signed (and never another outcome), and a job
// whose oracle is the operator quorum: the report kept by the oracles, read by operator nodes answering
// job-attestation tasks, and settled by settleByQuorum.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { JobEscrowClient, JobProviderClient, JobRequesterClient } from "../../src/clients/escrow";
import { MachineRegistryClient } from "../../src/clients/machines";
import { SerialSigner } from "../../src/clients/serial-signer";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import {
  contractOracleSet,
  keyOracleSet,
  signedJobReportToJson,
  type OracleSet,
  type SignedJobReport,
} from "../../src/escrow";
import { buildMachineProfile } from "../../src/onboarding";
import { collectAttestation, fetchJobReport, settleByQuorum } from "../../src/oracle";
import { jobAttestationTaskType, squareTaskType } from "../../src/quorum";
import { collectJsonLines } from "../helpers/json-lines";
import { sampleSpecs } from "../onboarding/fixtures";
import { freePort, sleep, startQuorumNet, TOKEN, type QuorumNet } from "../quorum/harness";

const PRICE = TOKEN / 100n; // per minute
const MAX_PRICE = 10n * TOKEN;
const ORACLE_ACCOUNTS = [12, 13, 14];

type OracleProcess = { child: ChildProcess; url: string; dataDir: string; kill9(): Promise<void> };

describe("accord oracle: providers' reports to attested outcomes", function () {
  this.timeout(240_000);
  let net: QuorumNet;
  let requester: JobRequesterClient;
  let provider: JobProviderClient;
  let anyone: JobEscrowClient;
  let machineId: string;
  const oracles: OracleProcess[] = [];
  let keySet: OracleSet;

  async function spawnOracle(i: number, port?: number, dataDir?: string): Promise<OracleProcess> {
    const wallet = hardhatAccount(ORACLE_ACCOUNTS[i]);
    const listen = port ?? (await freePort());
    const dir = dataDir ?? path.join(net.dir, `oracle-${i}`);
    const { command, args } = accordCommand();
    const child = spawn(
      command,
      [...args, "oracle", "--rpc", net.rpcUrl, "--deployment", net.deploymentPath, "--port", String(listen)].concat([
        "--data-dir",
        dir,
        "--log-format",
        "json",
      ]),
      { env: { ...process.env, ACCORD_ORACLE_KEY: wallet.privateKey }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const output = collectJsonLines(child, `oracle ${i}`);
    await output.waitFor((line) => line.msg === "oracle listening", 60_000);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
      child,
      url: `http://127.0.0.1:${listen}`,
      dataDir: dir,
      async kill9() {
        child.kill("SIGKILL");
        await exited;
      },
    };
  }

  before(async () => {
    net = await startQuorumNet({ operators: 3, intervalMiningMs: 300 });
    const signerOf = (account: number) => new SerialSigner(hardhatAccount(account).connect(net.provider));
    const providerSigner = signerOf(10);
    const registry = await MachineRegistryClient.fromDeployment(providerSigner, net.deployment);
    const profile = buildMachineProfile({
      name: "oracle test machine",
      specs: sampleSpecs(),
      cpu: { percent: 50n },
      memory: { percent: 50n },
      pricePerMinute: PRICE,
    });
    machineId = (await registry.register(profile)).machineId;
    provider = await JobProviderClient.fromDeployment(providerSigner, net.deployment);
    await net.fund(hardhatAccount(11).address, 1000n * TOKEN);
    requester = await JobRequesterClient.fromDeployment(signerOf(11), net.deployment);
    anyone = await JobEscrowClient.fromDeployment(signerOf(15), net.deployment);
    for (let i = 0; i < 3; i++) oracles.push(await spawnOracle(i));
    keySet = keyOracleSet(
      ORACLE_ACCOUNTS.map((a) => hardhatAccount(a).address),
      2,
    );
  });

  after(async () => {
    for (const oracle of oracles) await oracle.kill9().catch(() => {});
    await net?.close();
  });

  /** Opens, accepts and reports a job complete after `runSeconds`; the provider's signed report of `exitCode`. */
  async function completedJob(
    oracle: OracleSet,
    runSeconds: bigint,
    exitCode: number,
  ): Promise<{ jobId: string; report: SignedJobReport }> {
    const { jobId } = await requester.open({ machineId, timeLimit: 3600, maxPrice: MAX_PRICE, oracle });
    await provider.accept(jobId);
    await sleep(1200); // the run takes wall-clock time on chain before it is reported
    await provider.reportCompletion(jobId, runSeconds);
    return { jobId, report: await provider.signReport({ jobId, exitCode, runSeconds }) };
  }

  const balanceOfProvider = async () => (await provider.paymentToken()).balanceOf(await provider.getAddress());

  const post = (url: string, body: unknown) =>
    fetch(`${url}/oracle/reports`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });

  it("the set's oracles agree on each outcome of the policy, and the escrow pays it", async () => {
    for (const [exitCode, bps] of [
      [0, 10_000],
      [1, 0],
      [3, 7_500],
    ] as const) {
      const { jobId, report } = await completedJob(keySet, 1n, exitCode);
      const collected = await collectAttestation(
        oracles.map((o) => o.url),
        report,
        2,
      );
      expect(collected.signatures).to.have.length(3);
      expect(collected.attestation).to.deep.equal({ jobId, bps, runSeconds: 1n });
      const before = await balanceOfProvider();
      await anyone.attest(collected.attestation, collected.signatures.slice(0, 2));
      const job = await anyone.getJob(jobId);
      expect(job).to.deep.include({ statusName: "Attested", bps });
      const { payout } = anyone.quote(job, collected.attestation);
      expect(await balanceOfProvider()).to.equal(before + payout);
    }
  });

  it("refuses what the chain contradicts, strangers' reports and bad bodies, naming the field", async () => {
    const { jobId, report } = await completedJob(keySet, 1n, 0);
    const url = oracles[0].url;
    const expectRefusal = async (body: unknown, status: number, field: string) => {
      const response = await post(url, body);
      expect(response.status, JSON.stringify(body).slice(0, 80)).to.equal(status);
      expect(((await response.json()) as { field: string }).field).to.equal(field);
    };
    const json = signedJobReportToJson(report);
    await expectRefusal({ ...json, report: { ...json.report, runSeconds: "2" } }, 403, "signature");
    const longer = await provider.signReport({ jobId, exitCode: 0, runSeconds: 2n });
    await expectRefusal(signedJobReportToJson(longer), 409, "runSeconds");
    const stranger = await new JobProviderClient(
      new SerialSigner(hardhatAccount(16).connect(net.provider)),
      provider.options,
    ).signReport(report.report);
    await expectRefusal(signedJobReportToJson(stranger), 403, "signature");
    const unknown = await provider.signReport({ ...report.report, jobId: `0x${"42".repeat(32)}` });
    await expectRefusal(signedJobReportToJson(unknown), 404, "jobId");
    const notMine = await completedJob(keyOracleSet([hardhatAccount(16).address], 1), 1n, 0);
    await expectRefusal(signedJobReportToJson(notMine.report), 403, "jobId");
    await expectRefusal("{not json", 400, "(body)");
    await expectRefusal({ report: { ...json.report, exitCode: 300 }, signature: json.signature }, 400, "exitCode");
    expect((await post(url, "x".repeat(20_000))).status).to.equal(413);
    expect((await fetch(`${url}/oracle/attestations/${jobId}`)).status).to.equal(404);
    expect((await fetch(`${url}/oracle/attestations/0x12`)).status).to.equal(400);
    const health = (await (await fetch(`${url}/oracle/health`)).json()) as { oracle: string };
    expect(health.oracle).to.equal(hardhatAccount(ORACLE_ACCOUNTS[0]).address);
  });

  it("killed with kill -9 and restarted, it serves what it signed and never signs another outcome", async () => {
    const { jobId, report } = await completedJob(keySet, 1n, 0);
    const first = (await (await post(oracles[1].url, signedJobReportToJson(report))).json()) as { signature: string };
    // A second, different report of the same job, sent after the restart.
    const failed = await provider.signReport({ jobId, exitCode: 1, runSeconds: 1n });
    await oracles[1].kill9();
    const port = Number(new URL(oracles[1].url).port);
    oracles[1] = await spawnOracle(1, port, oracles[1].dataDir);
    const served = (await (await fetch(`${oracles[1].url}/oracle/attestations/${jobId}`)).json()) as {
      signature: string;
      attestation: { bps: number };
    };
    expect(served.signature).to.equal(first.signature);
    const again = (await (await post(oracles[1].url, signedJobReportToJson(failed))).json()) as {
      signature: string;
      attestation: { bps: number };
    };
    expect(again.signature).to.equal(first.signature);
    expect(again.attestation.bps).to.equal(10_000);
  });

  it("a job whose oracle is the operator quorum: the report kept, the quorum answers it, settleByQuorum applies it", async () => {
    const jobOracle = net.deployment.contracts.QuorumJobOracle.address;
    const { jobId, report } = await completedJob(contractOracleSet(jobOracle), 1n, 3);
    const kept = await post(oracles[2].url, signedJobReportToJson(report));
    expect(kept.status).to.equal(202);
    const urls = oracles.map((o) => o.url);
    expect((await fetchJobReport(urls, jobId))?.signature).to.equal(report.signature);
    const domain = await anyone.domain();
    for (let i = 0; i < 3; i++) {
      await net.node(i, {}, async (signer) => {
        const escrow = await JobEscrowClient.fromDeployment(signer, net.deployment);
        return {
          taskTypes: [
            jobAttestationTaskType({
              jobOracle,
              domain,
              jobFacts: (id) => escrow.jobFacts(id),
              loadReport: (id) => fetchJobReport(urls, id),
            }),
            squareTaskType({ verifier: net.squareVerifier }),
          ],
        };
      });
    }
    const tasks = net.creator;
    const settled = await settleByQuorum({ escrow: anyone, tasks, jobId, pollMs: 300, timeoutMs: 120_000 });
    expect(settled).to.deep.include({ outcome: "attested", bps: 7_500, runSeconds: 1n });
    expect(await anyone.getJob(jobId)).to.deep.include({ statusName: "Attested", bps: 7_500 });
  });
});
