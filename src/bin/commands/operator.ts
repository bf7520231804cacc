// `accord operator`: an operator node for the account of ACCORD_OPERATOR_KEY, with its BLS key from an EIP-2335
// keystore (--keystore, password in the variable --password-env names, default ACCORD_OPERATOR_PASSWORD). It
// registers its operator if needed (bond, quorums, its URL), answers the tasks of its quorums (square tasks always;
// deal mediation with --solver-url, re-running jobs as the mediator agent does, and then also asking for and applying
// the QuorumMediator's verdicts: src/quorum/verdicts.ts), sends its signature to each task's aggregators and
// aggregates in its own slots. Its state lives in --state-dir; killed and restarted it resumes.
// `accord operator keygen --out <file>` writes a new keystore.
import type { Command } from "commander";
import { Option } from "commander";
import { closeOnSignal, createLogger } from "../indexing";
import { isTerminal, logFlags, optionalUrl, parseCount, resolveLog, type Env, type LogFlags } from "../options";

/** The environment variables `accord operator` reads. */
export const OPERATOR_ENV = {
  /** The operator account's private key (0x + 64 hex digits). */
  key: "ACCORD_OPERATOR_KEY",
  /** The keystore's password (the default of --password-env). */
  password: "ACCORD_OPERATOR_PASSWORD",
} as const;

type OperatorFlags = LogFlags & {
  rpc?: string;
  deployment?: string;
  keystore?: string;
  passwordEnv?: string;
  host?: string;
  port?: string;
  publicUrl?: string;
  quorums?: string;
  bond?: string;
  stateDir?: string;
  poll?: string;
  aggregate?: boolean;
  solverUrl?: string;
  jobReportUrl?: string;
  allowFileRepos?: boolean;
  faultSubmitDelay?: string;
  faultCorruptAggregate?: boolean;
};

type KeygenFlags = { out?: string; passwordEnv?: string; scryptN?: string };

export type OperatorSettings = {
  rpcUrl: string;
  deployment: string;
  keystore: string;
  password: string;
  accountKey: string;
  host: string;
  port: number;
  publicUrl?: string;
  quorums: number[];
  bond?: bigint;
  stateDir?: string;
  pollMs: number;
  aggregate: boolean;
  solverUrl?: string;
  /** Job attestation (QuorumJobOracle's tasks): where the providers' signed reports are kept (oracles' APIs). */
  jobReportUrls: string[];
  /** Deal mediation: run jobs whose module is a file:// or local repository (development networks). */
  allowFileRepos: boolean;
  faults: { submitDelayMs?: number; corruptAggregate?: boolean };
  log: ReturnType<typeof resolveLog>;
};

/** Flags and environment → settings; an Error naming the flag or variable at fault. */
export function resolveOperator(flags: OperatorFlags, env: Env, terminal: boolean): OperatorSettings {
  if (!flags.rpc) throw new Error("--rpc is required");
  if (!flags.deployment) throw new Error("--deployment is required");
  if (!flags.keystore) throw new Error("--keystore is required (make one with `accord operator keygen`)");
  const passwordVar = flags.passwordEnv ?? OPERATOR_ENV.password;
  const password = env[passwordVar];
  if (password === undefined) throw new Error(`the keystore's password is read from ${passwordVar}, which is unset`);
  const accountKey = env[OPERATOR_ENV.key];
  if (!accountKey || !/^0x[0-9a-fA-F]{64}$/.test(accountKey)) {
    throw new Error(`${OPERATOR_ENV.key} must be the operator account's private key (0x + 64 hex digits)`);
  }
  const quorums = (flags.quorums ?? "0").split(",").map((q) => parseCount(q.trim(), "--quorums"));
  if (quorums.some((q) => q > 7)) throw new Error("--quorums: each quorum is a number from 0 to 7");
  if (flags.bond !== undefined && !/^\d+$/.test(flags.bond)) throw new Error("--bond must be token wei (digits)");
  return {
    rpcUrl: flags.rpc,
    deployment: flags.deployment,
    keystore: flags.keystore,
    password,
    accountKey,
    host: flags.host ?? "127.0.0.1",
    port: flags.port === undefined ? 0 : parseCount(flags.port, "--port"),
    publicUrl: flags.publicUrl,
    quorums: [...new Set(quorums)],
    bond: flags.bond === undefined ? undefined : BigInt(flags.bond),
    stateDir: flags.stateDir,
    pollMs: flags.poll === undefined ? 1000 : parseCount(flags.poll, "--poll", true),
    aggregate: flags.aggregate !== false,
    solverUrl: flags.solverUrl,
    jobReportUrls: (flags.jobReportUrl ?? "")
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== "")
      .map((url) => optionalUrl(url, "--job-report-url")!),
    allowFileRepos: flags.allowFileRepos === true,
    faults: {
      submitDelayMs:
        flags.faultSubmitDelay === undefined ? undefined : parseCount(flags.faultSubmitDelay, "--fault-submit-delay"),
      corruptAggregate: flags.faultCorruptAggregate === true ? true : undefined,
    },
    log: resolveLog(flags, env, terminal),
  };
}

export function registerOperator(program: Command): void {
  const command = program
    .command("operator")
    .description(
      `an operator node of the quorums (account key in ${OPERATOR_ENV.key}, BLS key in an EIP-2335 keystore)`,
    )
    .option("--rpc <url>", "HTTP JSON-RPC endpoint")
    .option("--deployment <file|name>", "the deployment (a file, or a network name for deployments/<network>.json)")
    .option("--keystore <file>", "the operator's BLS key (EIP-2335 keystore, from `accord operator keygen`)")
    .option("--password-env <var>", `the variable holding the keystore's password (default ${OPERATOR_ENV.password})`)
    .option("--host <host>", "host of the node's API (default 127.0.0.1)")
    .option("--port <port>", "port of the node's API (default: any free one)")
    .option("--public-url <url>", "the URL to register (default the API's)")
    .option("--quorums <list>", "the quorums to serve, comma-separated (default 0)")
    .option("--bond <wei>", "the bond to register with (default the registry's minimum)")
    .option("--state-dir <dir>", "the node's state (default .accord/operators/<address>)")
    .option("--poll <ms>", "chain polling interval (default 1000)")
    .option("--no-aggregate", "never submit responses (collect and forward signatures only)")
    .option("--solver-url <url>", "the solver's API: enables deal-mediation tasks (their deals' documents)")
    .option(
      "--job-report-url <list>",
      "oracles keeping providers' job reports, comma-separated: enables job-attestation tasks (QuorumJobOracle)",
    )
    .option("--allow-file-repos", "deal mediation: run modules from file:// and local repositories (dev networks)")
    .addOption(new Option("--fault-submit-delay <ms>", "test: wait before submitting an aggregate").hideHelp())
    .addOption(new Option("--fault-corrupt-aggregate", "test: submit a wrong aggregate").hideHelp());
  logFlags(command).action(async (flags: OperatorFlags) => {
    await runOperator(resolveOperator(flags, process.env, isTerminal()));
  });
  command
    .command("keygen")
    .description("write a new BLS key as an EIP-2335 keystore (password from --password-env)")
    .requiredOption("--out <file>", "where to write the keystore (never overwritten)")
    .option("--password-env <var>", `the variable holding the password (default ${OPERATOR_ENV.password})`)
    .option("--scrypt-n <n>", "scrypt's cost parameter (default 262144, the EIP's)")
    .action((flags: KeygenFlags) => keygen(flags, process.env));
}

function keygen(flags: KeygenFlags, env: Env): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- the BLS code only when it runs */
  const quorum = require("../../quorum") as typeof import("../../quorum");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const passwordVar = flags.passwordEnv ?? OPERATOR_ENV.password;
  const password = env[passwordVar];
  if (!password) throw new Error(`the keystore's password is read from ${passwordVar}, which is unset or empty`);
  const n = flags.scryptN === undefined ? undefined : parseCount(flags.scryptN, "--scrypt-n", true);
  if (n !== undefined && (n & (n - 1)) !== 0) throw new Error("--scrypt-n must be a power of 2");
  const secretKey = quorum.randomBlsSecretKey();
  const keystore = quorum.encryptKeystore(secretKey, password, n ? { scrypt: { n, r: 8, p: 1 } } : {});
  quorum.writeKeystore(flags.out!, keystore);
  process.stdout.write(JSON.stringify({ keystore: flags.out, publicKey: `0x${keystore.pubkey}` }) + "\n");
}

export async function runOperator(settings: OperatorSettings): Promise<void> {
  const logger = createLogger(settings.log).child({ role: "operator" });
  /* eslint-disable @typescript-eslint/no-require-imports -- ethers, the clients and the node only when it runs */
  const { JsonRpcProvider, Wallet } = require("ethers") as typeof import("ethers");
  const clients = require("../../clients") as typeof import("../../clients");
  const quorum = require("../../quorum") as typeof import("../../quorum");
  /* eslint-enable @typescript-eslint/no-require-imports */

  const secretKey = quorum.readKeystore(settings.keystore, settings.password);
  const provider = new JsonRpcProvider(settings.rpcUrl, undefined, { pollingInterval: 250 });
  const wallet = new Wallet(settings.accountKey, provider);
  const signer = new clients.SerialSigner(wallet);
  const options = { allowance: "exact" as const };
  const registry = await clients.OperatorRegistryClient.fromDeployment(signer, settings.deployment, options);
  const tasks = await clients.TaskManagerClient.fromDeployment(signer, settings.deployment, options);
  const taskTypes: import("../../quorum").TaskType[] = [
    quorum.squareTaskType({ verifier: tasks.options.squareVerifier }),
  ];
  const closers: (() => Promise<void> | void)[] = [];
  let verdicts: import("../../quorum").OperatorNodeOptions["verdicts"];
  if (settings.solverUrl) {
    const market = await clients.MediatorClient.fromDeployment(signer, settings.deployment, options);
    taskTypes.unshift(await dealMediationType(settings, signer, tasks, market, closers));
    // Whoever judges the deals also drives them: verdicts asked for and applied (the aggregator is credited the fee).
    const quorumMediator = await clients.QuorumMediatorClient.fromDeployment(signer, settings.deployment, options);
    verdicts = { market, quorumMediator };
  }
  if (settings.jobReportUrls.length > 0) {
    /* eslint-disable @typescript-eslint/no-require-imports -- the escrow's pieces only for job attestation */
    const { JobEscrowClient } = require("../../clients/escrow") as typeof import("../../clients/escrow");
    const { fetchJobReport } = require("../../oracle") as typeof import("../../oracle");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const escrow = await JobEscrowClient.fromDeployment(signer, settings.deployment);
    if (!escrow.options.jobOracle) throw new Error("--job-report-url: the deployment has no QuorumJobOracle");
    taskTypes.unshift(
      quorum.jobAttestationTaskType({
        jobOracle: escrow.options.jobOracle,
        domain: await escrow.domain(),
        jobFacts: (jobId) => escrow.jobFacts(jobId),
        loadReport: (jobId) => fetchJobReport(settings.jobReportUrls, jobId),
      }),
    );
  }
  const node = new quorum.OperatorNode({
    registry,
    tasks,
    secretKey,
    quorums: settings.quorums,
    bond: settings.bond ?? (await registry.minBond()),
    stateDir: settings.stateDir ?? `.accord/operators/${wallet.address.toLowerCase()}`,
    taskTypes,
    logger,
    host: settings.host,
    port: settings.port,
    publicUrl: settings.publicUrl,
    pollMs: settings.pollMs,
    aggregate: settings.aggregate,
    faults: settings.faults,
    verdicts,
  });
  closeOnSignal(async () => {
    await node.close();
    for (const close of closers) await close();
  });
  await node.start();
}

/** The deal-mediation task type on the solver's copies of deals and the mediator's executor. */
async function dealMediationType(
  settings: OperatorSettings,
  signer: import("ethers").Signer,
  tasks: import("../../clients").TaskManagerClient,
  market: import("../../clients").MediatorClient,
  closers: (() => Promise<void> | void)[],
): Promise<import("../../quorum").TaskType> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the market's pieces only for deal mediation */
  const quorum = require("../../quorum") as typeof import("../../quorum");
  const { SolverApiClient } = require("../../solver") as typeof import("../../solver");
  const { verifyProposedDeal } = require("../../solver/deal") as typeof import("../../solver/deal");
  const { ProcessExecutor } = require("../../executor") as typeof import("../../executor");
  const { ResultStore } = require("../../results") as typeof import("../../results");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const mediator = tasks.options.quorumMediator;
  if (!mediator) throw new Error("--solver-url: the deployment has no QuorumMediator");
  const chainId = (await signer.provider!.getNetwork()).chainId;
  const solver = new SolverApiClient(settings.solverUrl!, signer, { solver: await signer.getAddress(), chainId });
  const stateDir = settings.stateDir ?? ".accord/operators/mediation";
  const results = await ResultStore.open(`${stateDir}/results`);
  closers.push(() => solver.close());
  return quorum.dealMediationTaskType({
    quorumMediator: mediator,
    executor: new ProcessExecutor({ dir: `${stateDir}/executor`, results, allowFileRepos: settings.allowFileRepos }),
    loadDeal: async (cid) => {
      const proposal = await solver.proposal(cid);
      if (!proposal) return undefined;
      await verifyProposedDeal(proposal.deal);
      return proposal.deal;
    },
    findResult: async (dealKey) => {
      const result = await market.findResult(dealKey);
      return result && { resultsId: result.args.resultsId, instructionCount: result.args.instructionCount };
    },
  });
}
