// Escrowed jobs in `accord dev`'s live market: a requester (account #27) opens a job on the local machine every
// JOB_EVERY_MS, cycling through every outcome the escrow knows, and the machine's provider (account #22) runs it as a
// real child process whose exit status and wall-clock run time are what it reports:
//
//   succeeded (exit 0) → 10000, failed (exit 1) → 0, partial results (exit 3) → 7500, timed out (killed at its time
//   limit) → 5000, each attested 2-of-3 by three `accord oracle` processes (accounts #24-#26); one attested by the
//   operator quorum (its oracle set is the QuorumJobOracle; the operators read the provider's report from the
//   oracles and answer job-attestation tasks); one the provider never accepts (refunded after the acceptance
//   timeout) and one nobody attests (refunded after the attestation window).
//
// The provider signs its report and sends it to the oracles, collects their attestation and submits it (it is the
// one who wants paying); for the quorum's job it asks for and applies the quorum's attestation (settleByQuorum).

import { spawn } from "node:child_process";
import path from "node:path";
import { parseEther, type JsonRpcProvider, type Signer } from "ethers";
import type pino from "pino";
import type { AccordToken } from "../../typechain-types";
import { JobProviderClient, JobRequesterClient } from "../clients/escrow";
import { TaskManagerClient } from "../clients/quorum";
import { SerialSigner } from "../clients/serial-signer";
import { contractOracleSet, keyOracleSet, type OracleSet, type SignedJobReport } from "../escrow";
import { AttestationNotCollectedError, collectAttestation, postReport, settleByQuorum } from "../oracle";
import { hardhatAccount } from "./accounts";
import { ProcessSupervisor } from "./supervisor";

const TOKEN = 10n ** 18n;
/** A new job this often. */
const JOB_EVERY_MS = 40_000;
/** The oracle keys of the dev market's key set, and its requester. */
export const ORACLE_ACCOUNTS = [24, 25, 26];
const REQUESTER_ACCOUNT = 27;

/** JobEscrow's windows on the dev network (what `accord dev` deploys with), so refunds happen within minutes. */
export const DEV_ACCEPTANCE_TIMEOUT = 90n;
export const DEV_ATTESTATION_WINDOW = 150n;

type Scenario = {
  name: string;
  /** The job's exit code, or "timeout": it runs past its time limit and is killed there. */
  run: number | "timeout";
  oracle: "keys" | "quorum";
  accept?: false;
  attest?: false;
};

const SCENARIOS: Scenario[] = [
  { name: "succeeded", run: 0, oracle: "keys" },
  { name: "failed", run: 1, oracle: "keys" },
  { name: "partial results", run: 3, oracle: "keys" },
  { name: "timed out", run: "timeout", oracle: "keys" },
  { name: "attested by the operator quorum", run: 0, oracle: "quorum" },
  { name: "never accepted", run: 0, oracle: "keys", accept: false },
  { name: "never attested", run: 0, oracle: "keys", attest: false },
];

export type EscrowJobsOptions = {
  rpcUrl: string;
  deploymentPath: string;
  provider: JsonRpcProvider;
  token: AccordToken;
  /** Holds ETH and the token supply. */
  funder: Signer;
  /** The local machine and its provider's signer (the one the machine's changes are sent with). */
  machineId: string;
  providerSigner: SerialSigner;
  /** Where the oracles keep their journals. */
  dir: string;
  /** The oracles' API ports (ORACLE_ACCOUNTS, in order). */
  oraclePorts: number[];
  host: string;
  logger: pino.Logger;
  logArgs: string[];
};

/** Runs `node -e` exiting with `code` after `ms`, or (code "timeout") killed after `ms`: its exit status and run time. */
export function runJobProcess(code: number | "timeout", ms: number): Promise<{ exitCode: number; seconds: bigint }> {
  const started = Date.now();
  const script =
    code === "timeout" ? "setTimeout(() => {}, 3600000)" : `setTimeout(() => process.exit(${code}), ${ms})`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
    const limit = code === "timeout" ? setTimeout(() => child.kill("SIGKILL"), ms) : undefined;
    child.once("error", reject);
    child.once("exit", (exit, signal) => {
      clearTimeout(limit);
      // A job killed by signal n exits 128 + n, the shell's convention (SIGKILL: 137).
      const exitCode = exit ?? (signal === "SIGKILL" ? 137 : 128 + 15);
      resolve({ exitCode, seconds: BigInt(Math.floor((Date.now() - started) / 1000)) });
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

export async function startEscrowJobs(
  options: EscrowJobsOptions,
): Promise<{ oracleUrls: string[]; close(): Promise<void> }> {
  const { logger } = options;
  const requesterWallet = hardhatAccount(REQUESTER_ACCOUNT).connect(options.provider);
  for (const account of [REQUESTER_ACCOUNT, ...ORACLE_ACCOUNTS]) {
    const address = hardhatAccount(account).address;
    if ((await options.provider.getBalance(address)) < parseEther("10")) {
      await (await options.funder.sendTransaction({ to: address, value: parseEther("100") })).wait();
    }
  }
  await (await options.token.connect(options.funder).transfer(requesterWallet.address, 1000n * TOKEN)).wait();

  const supervisor = new ProcessSupervisor({ logger, logArgs: options.logArgs });
  const oracleUrls = ORACLE_ACCOUNTS.map((account, i) => {
    const wallet = hardhatAccount(account);
    const port = options.oraclePorts[i];
    supervisor.supervise(
      `oracle-${i + 1}`,
      wallet.address,
      ["oracle", "--rpc", options.rpcUrl, "--deployment", options.deploymentPath].concat([
        "--host",
        options.host,
        "--port",
        String(port),
        "--data-dir",
        path.join(options.dir, `oracle-${i + 1}`),
      ]),
      { ACCORD_ORACLE_KEY: wallet.privateKey },
    );
    return `http://${options.host}:${port}`;
  });
  const keySet = keyOracleSet(
    ORACLE_ACCOUNTS.map((a) => hardhatAccount(a).address),
    2,
  );

  const requester = await JobRequesterClient.fromDeployment(new SerialSigner(requesterWallet), options.deploymentPath, {
    allowance: "unlimited",
  });
  const provider = await JobProviderClient.fromDeployment(options.providerSigner, options.deploymentPath);
  const tasks = await TaskManagerClient.fromDeployment(options.providerSigner, options.deploymentPath);
  const quorumSet = contractOracleSet(provider.options.jobOracle!);

  let closing = false;
  const running = new Set<Promise<void>>();

  /** The set's attestation, asked again a few times while oracles are restarting (the supervisor restarts them). */
  async function collectWithRetry(report: SignedJobReport) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await collectAttestation(oracleUrls, report, keySet.threshold);
      } catch (error) {
        if (!(error instanceof AttestationNotCollectedError) || attempt === 5) throw error;
        await sleep(3000);
      }
    }
  }

  /** Resolves once every oracle answers /oracle/health (they start beside the market), or after two minutes. */
  async function oraclesUp(): Promise<void> {
    const until = Date.now() + 120_000;
    const up = (url: string) =>
      fetch(`${url}/oracle/health`, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.ok,
        () => false,
      );
    while (!closing && Date.now() < until) {
      if ((await Promise.all(oracleUrls.map(up))).every(Boolean)) return;
      await sleep(1000);
    }
  }

  /** Resolves once a block's time is past `timestamp` (or the market closes). */
  async function chainPast(timestamp: bigint): Promise<void> {
    while (!closing && (await requester.latestTimestamp()) <= timestamp) await sleep(1000);
  }

  async function runScenario(scenario: Scenario): Promise<void> {
    const oracle: OracleSet = scenario.oracle === "quorum" ? quorumSet : keySet;
    const timeLimit = scenario.run === "timeout" ? 8 : 600;
    const { jobId } = await requester.open({ machineId: options.machineId, timeLimit, maxPrice: TOKEN, oracle });
    const log = logger.child({ jobId, scenario: scenario.name });
    log.info("escrowed job opened");
    if (scenario.accept === false) {
      // The chain's clock decides, not ours: wait until the block time is past the acceptance deadline.
      const { openedAt } = await requester.getJob(jobId);
      await chainPast(openedAt + (await requester.escrow.acceptanceTimeout()));
      const refunded = await requester.refundUnaccepted(jobId);
      log.info({ amount: String(refunded.get("JobRefunded").args.amount) }, "escrowed job refunded: never accepted");
      return;
    }
    await provider.accept(jobId);
    const ran = await runJobProcess(scenario.run, scenario.run === "timeout" ? (timeLimit + 2) * 1000 : 2500);
    let runSeconds = ran.seconds;
    if (scenario.run === "timeout") {
      // Past its time limit the job counts as completed at acceptedAt + timeLimit; nothing is reported on chain.
      runSeconds = BigInt(timeLimit);
      await chainPast((await provider.jobFacts(jobId)).completesAt);
    } else {
      await provider.reportCompletion(jobId, runSeconds);
    }
    if (scenario.attest === false) {
      const { completesAt } = await requester.jobFacts(jobId);
      await chainPast(completesAt + (await requester.escrow.attestationWindow()));
      await requester.refundUnattested(jobId);
      log.info("escrowed job refunded: never attested");
      return;
    }
    const report = await provider.signReport({ jobId, exitCode: ran.exitCode, runSeconds });
    if (scenario.oracle === "quorum") {
      const kept = (await postReport(oracleUrls, report)).filter((answer) => !answer.ok && answer.status === 202);
      log.info({ oracles: kept.length }, "job report kept by the oracles for the operator quorum");
      const settled = await settleByQuorum({ escrow: provider, tasks, jobId, logger: log, timeoutMs: 300_000 });
      log.info({ outcome: settled.outcome, bps: settled.bps }, "escrowed job settled by the operator quorum");
      return;
    }
    const collected = await collectWithRetry(report);
    const attested = await provider.attest(collected.attestation, collected.signatures, keySet);
    const args = attested.get("JobAttested").args;
    log.info(
      { exitCode: ran.exitCode, runSeconds: String(runSeconds), bps: args.bps, payout: String(args.payout) },
      "escrowed job attested",
    );
  }

  const loop = (async () => {
    // The oracles start alongside; the first job waits for them.
    await oraclesUp();
    for (let i = 0; !closing; i++) {
      const scenario = SCENARIOS[i % SCENARIOS.length];
      const job = runScenario(scenario).catch((error: unknown) => {
        if (!closing) logger.warn({ err: error, scenario: scenario.name }, "escrowed job failed");
      });
      running.add(job);
      void job.finally(() => running.delete(job));
      for (let waited = 0; waited < JOB_EVERY_MS && !closing; waited += 1000) await sleep(1000);
    }
  })();

  return {
    oracleUrls,
    async close() {
      closing = true;
      await supervisor.close();
      await Promise.race([Promise.all([loop, ...running]), sleep(3000)]);
    },
  };
}
