// A quorum network for the operator node's end-to-end tests and benchmark: an in-process Hardhat network served over
// HTTP on 127.0.0.1 (a block every `intervalMiningMs`, so block time follows the clock the slots are counted on),
// Accord deployed with a short aggregator slot, operators on Hardhat's default accounts (funded with the token), run
// as in-process OperatorNodes (library objects, real HTTP between them) or as `accord operator` processes.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { hexlify, JsonRpcProvider, Network, randomBytes, type HDNodeWallet } from "ethers";
import pino from "pino";
import { OperatorRegistryClient, SerialSigner, TaskManagerClient, type TaskView } from "../../src/clients";
import { deployAccord, type AccordDeployment } from "../../src/deployments";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import { LOCAL_NETWORK, startLocalNode, type LocalNode } from "../../src/devnet/local-node";
import {
  aggregatorOrder,
  encryptKeystore,
  OperatorNode,
  randomBlsSecretKey,
  squarePayload,
  squareTaskType,
  writeKeystore,
  type AggregatorFaults,
  type BlsSecretKey,
  type OperatorNodeOptions,
} from "../../src/quorum";
import { collectJsonLines } from "../helpers/json-lines";

const TOKEN = 10n ** 18n;
export const BOND = 100n * TOKEN;
const PASSWORD = "operator test password";

export type QuorumNet = {
  dir: string;
  rpcUrl: string;
  provider: JsonRpcProvider;
  deployment: AccordDeployment;
  deploymentPath: string;
  slotSeconds: number;
  creator: TaskManagerClient;
  /** Hardhat account 0: deployed Accord, holds the token supply. */
  deployer: SerialSigner;
  /** Sends `amount` of the token from the deployer to `address`. */
  fund(address: string, amount: bigint): Promise<void>;
  squareVerifier: string;
  /** Operator account i (Hardhat account 1 + i) and its BLS key. */
  account(i: number): { wallet: HDNodeWallet; secretKey: BlsSecretKey };
  /**
   * An in-process node for operator i; `withSigner` adds options built on the node's own signer (clients that send
   * transactions must share it: one SerialSigner per account keeps the nonces in order).
   */
  node(
    i: number,
    options?: Partial<OperatorNodeOptions>,
    withSigner?: (signer: SerialSigner) => Promise<Partial<OperatorNodeOptions>>,
  ): Promise<OperatorNode>;
  /** `accord operator` for operator i, as its own process. */
  spawnOperator(i: number, options?: { port?: number; faults?: AggregatorFaults; stateDir?: string }): OperatorProcess;
  /** Creates a square task for quorum 0 (verifier SquareTaskVerifier); its view once mined. */
  createSquareTask(
    n: bigint,
    options?: { thresholdPercent?: number; responseWindow?: number; salt?: string },
  ): Promise<TaskView>;
  /** The task's aggregators in order (quorum 0 at its reference block). */
  orderOf(task: TaskView): Promise<string[]>;
  /** Polls until the task is responded (or `timeoutMs` passes: an Error). */
  waitResponded(taskId: string, timeoutMs?: number): Promise<TaskView>;
  close(): Promise<void>;
};

export type OperatorProcess = {
  child: ChildProcess;
  address: string;
  url: string;
  port: number;
  stateDir: string;
  waitForLog(
    msg: string,
    timeoutMs?: number,
    where?: (line: Record<string, unknown>) => boolean,
  ): Promise<Record<string, unknown>>;
  logs(): Record<string, unknown>[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export async function startQuorumNet(
  options: { aggregatorSlot?: bigint; intervalMiningMs?: number; operators?: number } = {},
): Promise<QuorumNet> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-quorum-"));
  const closers: (() => Promise<void>)[] = [];
  const chain: LocalNode = await startLocalNode({ port: 0, intervalMiningMs: options.intervalMiningMs ?? 500 });
  closers.push(() => chain.close());
  const provider = new JsonRpcProvider(chain.url, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 100,
  });
  closers.push(() => Promise.resolve(provider.destroy()));
  const deployer = new SerialSigner(hardhatAccount(0).connect(provider));
  const deploymentPath = path.join(dir, "deployment.json");
  const { deployment, token } = await deployAccord(deployer, {
    network: "localhost",
    write: { path: deploymentPath },
    minBond: BOND,
    aggregatorSlot: options.aggregatorSlot ?? 4n,
  });
  const count = options.operators ?? 10;
  const keys = new Map<number, BlsSecretKey>();
  const account = (i: number) => {
    if (!keys.has(i)) keys.set(i, randomBlsSecretKey());
    return { wallet: hardhatAccount(1 + i), secretKey: keys.get(i)! };
  };
  for (let i = 0; i < count; i++) {
    await (await token.connect(deployer).transfer(account(i).wallet.address, 1000n * TOKEN)).wait();
  }
  const creator = await TaskManagerClient.fromDeployment(deployer, deployment);
  const slotSeconds = Number(await creator.aggregatorSlot());
  const squareVerifier = deployment.contracts.SquareTaskVerifier.address;
  const logger = pino({ level: process.env.ACCORD_TEST_LOG ?? "silent" });
  const nodes: OperatorNode[] = [];
  const processes: OperatorProcess[] = [];

  const net: QuorumNet = {
    dir,
    rpcUrl: chain.url,
    provider,
    deployment,
    deploymentPath,
    slotSeconds,
    creator,
    deployer,
    async fund(address, amount) {
      await (await token.connect(deployer).transfer(address, amount)).wait();
    },
    squareVerifier,
    account,

    async node(i, overrides = {}, withSigner) {
      const { wallet, secretKey } = account(i);
      const signer = new SerialSigner(wallet.connect(provider));
      const built = withSigner ? await withSigner(signer) : {};
      const registry = await OperatorRegistryClient.fromDeployment(signer, deployment);
      const tasks = await TaskManagerClient.fromDeployment(signer, deployment);
      const node = new OperatorNode({
        registry,
        tasks,
        secretKey,
        quorums: [0],
        bond: BOND,
        stateDir: path.join(dir, `node-${i}`),
        taskTypes: [squareTaskType({ verifier: squareVerifier })],
        logger: logger.child({ operator: i }),
        pollMs: 200,
        ...overrides,
        ...built,
      });
      await node.start();
      nodes.push(node);
      return node;
    },

    spawnOperator(i, spawnOptions = {}) {
      const { wallet, secretKey } = account(i);
      const keystore = path.join(dir, `keystore-${i}.json`);
      if (!fs.existsSync(keystore))
        writeKeystore(keystore, encryptKeystore(secretKey, PASSWORD, { scrypt: { n: 1024, r: 8, p: 1 } }));
      const port = spawnOptions.port!;
      const stateDir = spawnOptions.stateDir ?? path.join(dir, `process-${i}`);
      const { command, args } = accordCommand();
      const flags = [
        ...args,
        "operator",
        "--rpc",
        chain.url,
        "--deployment",
        deploymentPath,
        "--keystore",
        keystore,
        "--port",
        String(port),
        "--quorums",
        "0",
        "--bond",
        String(BOND),
        "--state-dir",
        stateDir,
        "--poll",
        "200",
        "--log-format",
        "json",
        "--log-level",
        "debug",
      ];
      if (spawnOptions.faults?.submitDelayMs)
        flags.push("--fault-submit-delay", String(spawnOptions.faults.submitDelayMs));
      if (spawnOptions.faults?.corruptAggregate) flags.push("--fault-corrupt-aggregate");
      const child = spawn(command, flags, {
        env: { ...process.env, ACCORD_OPERATOR_KEY: wallet.privateKey, ACCORD_OPERATOR_PASSWORD: PASSWORD },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const output = collectJsonLines(child, `operator ${i}`);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      const handle: OperatorProcess = {
        child,
        address: wallet.address,
        url: `http://127.0.0.1:${port}`,
        port,
        stateDir,
        logs: () => output.lines,
        waitForLog: (msg, timeoutMs = 60_000, where = () => true) =>
          output.waitFor((line) => line.msg === msg && where(line), timeoutMs),
        async kill9() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGKILL");
          await exited;
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill("SIGTERM");
          await Promise.race([exited, sleep(5000).then(() => child.kill("SIGKILL"))]);
          await exited;
        },
      };
      processes.push(handle);
      return handle;
    },

    async createSquareTask(n, taskOptions = {}) {
      const { taskId } = await creator.createTask({
        quorum: 0,
        thresholdPercent: taskOptions.thresholdPercent ?? 67,
        responseWindow: taskOptions.responseWindow ?? 60,
        payload: squarePayload(n),
        verifier: squareVerifier,
        salt: taskOptions.salt ?? hexlify(randomBytes(32)),
      });
      return creator.getTask(taskId);
    },

    async orderOf(task) {
      const members = await creator.operatorRegistry.operatorSetAt(task.quorum, task.referenceBlock);
      return aggregatorOrder(
        task.seed,
        members.map((member) => member.operator),
      );
    },

    async waitResponded(taskId, timeoutMs = 30_000) {
      return waitFor(
        `task ${taskId} to be responded`,
        async () => {
          const view = await creator.getTask(taskId);
          return view.statusName === "Responded" ? view : undefined;
        },
        timeoutMs,
        100,
      );
    },

    async close() {
      for (const child of processes) await child.stop().catch(() => {});
      for (const node of nodes) await node.close().catch(() => {});
      for (const close of closers.reverse()) await close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return net;
}

export { TOKEN };
