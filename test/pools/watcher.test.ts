// The provider's pool watcher: in this process on Hardhat's network (it starts the workloads assigned to its nodes,
// retries one refused for lack of runway after a top-up, syncs its pools as time moves their status on, hands the
// workloads of a pool past its grace period to the decommission hook and then closes them in batches, withdraws its
// earnings, and picks up where it was on the same data directory); and as `accord pools watch`, a process of its own
// against a local node, killed with kill -9 and started again: nothing is lost and nothing is done twice.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { JsonRpcProvider, Network } from "ethers";
import {
  AccordContractError,
  CapacityPoolsCustomerClient,
  CapacityPoolsProviderClient,
  idFromName,
  SerialSigner,
} from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import { LOCAL_NETWORK, startLocalNode, type LocalNode } from "../../src/devnet/local-node";
import { AccordValidationError, PoolStatus } from "../../src/model";
import { LOW_RUNWAY, MAX_BATCH } from "../../src/pools";
import {
  commandDecommissionHook,
  PoolWatcher,
  resolvePoolWatcherOptions,
  type DecommissionRequest,
  type PoolWatcherOptions,
} from "../../src/pools/watcher";
import { collectJsonLines } from "../helpers/json-lines";

const FUNDS = 10n ** 24n;
const PRICES = { cu: 10n, su: 8n, ipv4u: 6n };
const NODES = [idFromName("node-a"), idFromName("node-b")];
const RATES = { cu: 1000n, su: 0n, ipv4u: 0n };
const GRACE = 600n;

const made: string[] = [];

function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `accord-${name}-`));
  made.push(dir);
  return dir;
}

after(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function watcherFixture() {
  const deployed = await deployAccord(hre);
  const [, providerSigner, customerSigner] = await hre.ethers.getSigners();
  await (await deployed.token.transfer(customerSigner.address, FUNDS)).wait();
  const provider = await CapacityPoolsProviderClient.fromDeployment(providerSigner, deployed.deployment);
  const customer = await CapacityPoolsCustomerClient.fromDeployment(customerSigner, deployed.deployment);
  const { farmId } = await provider.createFarm(PRICES, { salt: idFromName("farm") });
  await provider.declareNodes(farmId, NODES);
  // 7200 CU·s: two hours of one CU.
  const { poolId } = await customer.createPool({ farmId, cus: 7200, nodeIds: NODES, graceSeconds: GRACE });
  return { ...deployed, provider, customer, farmId, poolId };
}

type Fixture = Awaited<ReturnType<typeof watcherFixture>>;

describe("pools: the provider's watcher", function () {
  const open: PoolWatcher[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
  });

  function watcher(f: Fixture, options: Partial<PoolWatcherOptions> = {}): PoolWatcher {
    const made = new PoolWatcher({ client: f.provider, dataDir: tempDir("watcher"), retryMs: 60_000, ...options });
    open.push(made);
    return made;
  }

  it("resolves its options in one place, naming a bad one", async function () {
    const f = await loadFixture(watcherFixture);
    const resolved = resolvePoolWatcherOptions({ client: f.provider, dataDir: "x" });
    expect(resolved).to.deep.include({
      fromBlock: f.provider.fromBlock,
      intervalMs: 2000,
      maxBlockRange: 1000,
      confirmations: 0,
      retryMs: 30_000,
      farmIds: undefined,
      withdraw: undefined,
    });
    const bad: [Partial<PoolWatcherOptions>, string][] = [
      [{ dataDir: "" }, "dataDir"],
      [{ intervalMs: 0 }, "intervalMs"],
      [{ maxBlockRange: 1.5 }, "maxBlockRange"],
      [{ confirmations: -1 }, "confirmations"],
      [{ farmIds: ["farm"] }, "farmIds[0]"],
      [{ farmIds: [] }, "farmIds"],
      [{ withdraw: { everyMs: 0 } }, "withdraw.everyMs"],
    ];
    for (const [options, field] of bad) {
      try {
        resolvePoolWatcherOptions({ client: f.provider, dataDir: "x", ...options });
        expect.fail(`${field} was accepted`);
      } catch (error) {
        expect(error).to.be.instanceOf(AccordValidationError);
        expect((error as AccordValidationError).field).to.equal(field);
      }
    }
    const other = await f.customer.pools.farmIdOf(f.deployer, idFromName("not ours"));
    await expectRejection(watcher(f, { farmIds: [other] }).open(), AccordValidationError);
  });

  it("starts the workloads assigned to its nodes, and retries one refused for lack of runway after a top-up", async function () {
    const f = await loadFixture(watcherFixture);
    const small = idFromName("small");
    const hungry = idFromName("hungry");
    await f.customer.assignWorkload({ workloadId: small, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    // 100 CU: the pool would empty in 72 s, within MIN_RUNWAY.
    await f.customer.assignWorkload({ workloadId: hungry, poolId: f.poolId, nodeId: NODES[1], rates: { cu: 100_000 } });
    const w = watcher(f);
    const first = await w.tick();
    expect(first.started).to.deep.equal([small]);
    expect(first.refused).to.deep.equal([hungry]);
    expect((await f.provider.getWorkload(small)).statusName).to.equal("Running");
    expect(w.workload(small)).to.deep.include({ chain: "Running", startedByWatcher: true });
    expect(w.refused().map((r) => r.workloadId)).to.deep.equal([hungry]);
    expect(w.pool(f.poolId)?.status).to.equal(PoolStatus.Active);

    // Not retried before retryMs…
    const second = await w.tick();
    expect(second.started).to.deep.equal([]);
    expect(second.refused).to.deep.equal([]);
    // …unless the pool is topped up.
    await f.customer.topUp(f.poolId, { cus: 1_000_000 });
    const third = await w.tick();
    expect(third.started).to.deep.equal([hungry]);
    expect(w.workload(hungry)).to.deep.include({ chain: "Running", refusals: 1 });
    expect(w.refused()).to.deep.equal([]);
  });

  it("retries a start refused for any other reason later, and gives up only on one that is not its to start", async function () {
    const f = await loadFixture(watcherFixture);
    const workloadId = idFromName("flaky");
    await f.customer.assignWorkload({ workloadId, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    const w = watcher(f, { retryMs: 1 });
    const real = f.provider.startWorkload.bind(f.provider);
    // A revert without a reason (what an estimate run on an older state gives when the transaction runs out of gas).
    f.provider.startWorkload = () =>
      Promise.reject(
        new AccordContractError({
          action: "startWorkload",
          errorName: "",
          args: {},
          argsList: [],
          signature: "",
          selector: "",
          data: "0x",
          description: "reverted without data (out of gas)",
        }),
      );
    try {
      const first = await w.tick();
      expect(first.started).to.deep.equal([]);
      expect(w.workload(workloadId)).to.deep.include({ chain: "Assigned" });
      expect(w.workload(workloadId)?.failed).to.equal(undefined);
      expect(w.workload(workloadId)?.retryAt).to.be.a("number");
    } finally {
      f.provider.startWorkload = real;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await w.tick();
    expect(second.started).to.deep.equal([workloadId]);
  });

  it("syncs its pools as their status moves on, then decommissions and closes the workloads after grace", async function () {
    const f = await loadFixture(watcherFixture);
    const workloadId = idFromName("w");
    await f.customer.assignWorkload({ workloadId, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    const calls: { request: DecommissionRequest; chainStatus: string }[] = [];
    // Ranges of three blocks: the scan takes several per pass.
    const w = watcher(f, {
      maxBlockRange: 3,
      decommission: async (request) => {
        calls.push({ request, chainStatus: (await f.provider.getWorkload(request.workloadId)).statusName });
      },
    });
    await w.tick();
    const emptyAt = BigInt(w.pool(f.poolId)!.emptyAt);
    const statusEvents = async () =>
      (await f.customer.getPoolEvents(f.poolId))
        .filter((e) => e.eventName === "PoolStatusChanged")
        .map((e) => Number((e.args as { status: bigint }).status));

    expect((await w.tick()).synced, "nothing changed").to.deep.equal([]);
    await time.increaseTo(emptyAt - LOW_RUNWAY + 1n);
    expect((await w.tick()).synced).to.deep.equal([f.poolId]);
    expect(w.pool(f.poolId)?.status).to.equal(PoolStatus.RunwayLow);
    expect((await w.tick()).synced).to.deep.equal([]);
    await time.increaseTo(emptyAt + 1n);
    expect((await w.tick()).synced).to.deep.equal([f.poolId]);
    expect(w.pool(f.poolId)?.status).to.equal(PoolStatus.Empty);
    expect(calls, "not during the grace period").to.deep.equal([]);

    await time.increaseTo(emptyAt + GRACE + 1n);
    const pass = await w.tick();
    expect(pass.synced).to.deep.equal([f.poolId]);
    expect(pass.decommissioned).to.deep.equal([workloadId]);
    expect(pass.closed).to.deep.equal([workloadId]);
    expect(calls).to.deep.equal([
      {
        request: {
          workloadId,
          poolId: f.poolId,
          nodeId: NODES[0],
          farmId: f.farmId,
          rates: { cu: "1000", su: "0", ipv4u: "0" },
          reason: "grace-over",
        },
        chainStatus: "Running",
      },
    ]);
    expect((await f.provider.getWorkload(workloadId)).statusName).to.equal("Expired");
    expect(w.workload(workloadId)).to.deep.include({ chain: "Expired" });
    expect(w.pool(f.poolId)?.status).to.equal(PoolStatus.Idle);
    expect(await statusEvents()).to.deep.equal([
      PoolStatus.Active,
      PoolStatus.RunwayLow,
      PoolStatus.Empty,
      PoolStatus.GraceOver,
      PoolStatus.Idle,
    ]);
    const after = await w.tick();
    expect([after.synced, after.decommissioned, after.closed]).to.deep.equal([[], [], []]);
    expect(calls).to.have.length(1);
  });

  it(`closes more than MAX_BATCH (${MAX_BATCH}) expired workloads in batches, and decommissions a removed one`, async function () {
    const f = await loadFixture(watcherFixture);
    const ids = Array.from({ length: MAX_BATCH + 3 }, (_, i) => idFromName(`many-${i}`));
    for (const workloadId of ids) {
      await f.customer.assignWorkload({ workloadId, poolId: f.poolId, nodeId: NODES[0], rates: { cu: 10 } });
    }
    const decommissioned: string[] = [];
    const w = watcher(f, {
      decommission: (r) => {
        decommissioned.push(`${r.reason}:${r.workloadId}`);
        return Promise.resolve();
      },
    });
    expect((await w.tick()).started).to.have.length(ids.length);
    await f.customer.removeWorkload(ids[0]);
    expect((await w.tick()).decommissioned).to.deep.equal([ids[0]]);
    expect(decommissioned).to.deep.equal([`removed:${ids[0]}`]);

    const emptyAt = BigInt(w.pool(f.poolId)!.emptyAt);
    await time.increaseTo(emptyAt + GRACE + 1n);
    const pass = await w.tick();
    expect(pass.decommissioned).to.have.length(ids.length - 1);
    expect(pass.closed).to.have.members(ids.slice(1));
    const closes = (await f.customer.getPoolEvents(f.poolId)).filter((e) => e.eventName === "WorkloadExpired");
    expect(new Set(closes.map((e) => e.transactionHash)).size, "two batches").to.equal(2);
    expect(decommissioned.filter((d) => d.startsWith("grace-over:"))).to.have.length(ids.length - 1);
  });

  it("withdraws its earnings every so often, syncing its busy pools", async function () {
    const f = await loadFixture(watcherFixture);
    const workloadId = idFromName("earner");
    await f.customer.assignWorkload({ workloadId, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    const w = watcher(f, { withdraw: { everyMs: 1 } });
    await w.tick();
    await time.increase(100);
    const before = await f.provider.tokenBalance();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const pass = await w.tick();
    expect(pass.withdrawn > 0n).to.equal(true);
    expect(await f.provider.tokenBalance()).to.equal(before + pass.withdrawn);
    expect(await f.provider.earnings()).to.equal(0n);
  });

  it("carries on from its data directory: reopened, it repeats nothing", async function () {
    const f = await loadFixture(watcherFixture);
    const dataDir = tempDir("watcher-reopen");
    const one = idFromName("one");
    await f.customer.assignWorkload({ workloadId: one, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    const first = watcher(f, { dataDir });
    expect((await first.tick()).started).to.deep.equal([one]);
    const scannedTo = first.cursor().nextBlock;
    await first.close();

    const two = idFromName("two");
    await f.customer.assignWorkload({ workloadId: two, poolId: f.poolId, nodeId: NODES[1], rates: RATES });
    const second = watcher(f, { dataDir });
    await second.open();
    expect(second.cursor().nextBlock).to.equal(scannedTo);
    expect(second.workload(one)).to.deep.include({ chain: "Running" });
    const pass = await second.tick();
    expect(pass.started).to.deep.equal([two]);
    expect(second.cursor().farms).to.deep.equal([f.farmId]);
  });

  it("watches only the farms asked for, and scans again when they change", async function () {
    const f = await loadFixture(watcherFixture);
    const dataDir = tempDir("watcher-farms");
    const { farmId: otherFarm } = await f.provider.createFarm(PRICES, { salt: idFromName("other farm") });
    const otherNode = idFromName("node-other");
    await f.provider.declareNodes(otherFarm, [otherNode]);
    const { poolId: otherPool } = await f.customer.createPool({ farmId: otherFarm, cus: 7200, nodeIds: [otherNode] });
    const mine = idFromName("in the first farm");
    const theirs = idFromName("in the other farm");
    await f.customer.assignWorkload({ workloadId: mine, poolId: f.poolId, nodeId: NODES[0], rates: RATES });
    await f.customer.assignWorkload({ workloadId: theirs, poolId: otherPool, nodeId: otherNode, rates: RATES });

    const only = watcher(f, { dataDir, farmIds: [f.farmId] });
    expect((await only.tick()).started).to.deep.equal([mine]);
    expect(only.workload(theirs)).to.equal(undefined);
    await only.close();

    const all = watcher(f, { dataDir });
    await all.open();
    expect(all.cursor()).to.deep.include({ allFarms: true, nextBlock: f.provider.fromBlock });
    const pass = await all.tick();
    expect(pass.started).to.deep.equal([theirs]);
    expect(all.cursor().farms).to.have.members([f.farmId, otherFarm]);
  });

  it("runs a decommission command with the workload as JSON on stdin and in the environment", async function () {
    const dir = tempDir("hook");
    const out = path.join(dir, "out.jsonl");
    const hook = commandDecommissionHook(`cat >> "${out}"; echo " $ACCORD_DECOMMISSION_REASON" >> "${out}"`);
    const request: DecommissionRequest = {
      workloadId: idFromName("w"),
      poolId: idFromName("p"),
      nodeId: idFromName("n"),
      farmId: idFromName("f"),
      rates: { cu: "1", su: "2", ipv4u: "3" },
      reason: "grace-over",
    };
    await hook(request);
    expect(fs.readFileSync(out, "utf8")).to.equal(`${JSON.stringify(request)} grace-over\n`);
    await expectRejection(commandDecommissionHook("exit 3")(request), Error);
    await expectRejection(commandDecommissionHook("sleep 5", { timeoutMs: 50 })(request), Error);
  });
});

describe("pools: `accord pools watch` killed with kill -9 and restarted", function () {
  this.timeout(60_000);
  let node: LocalNode;
  let rpc: JsonRpcProvider;
  let dir: string;
  const children: ChildProcess[] = [];

  before(async () => {
    node = await startLocalNode({ port: 0 });
    rpc = new JsonRpcProvider(node.url, Network.from(LOCAL_NETWORK.chainId), {
      staticNetwork: true,
      pollingInterval: 50,
    });
    dir = tempDir("pools-watch");
  });
  after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    rpc.destroy();
    await node.close();
  });

  type WatchProcess = {
    child: ChildProcess;
    lines: Record<string, unknown>[];
    waitFor(msg: string, n?: number): Promise<void>;
  };

  /** The hook appends the workload's JSON to `hookFile`, then waits while `blockFile` exists. */
  function spawnWatch(
    key: string,
    deployment: string,
    dataDir: string,
    hook: { hookFile: string; blockFile: string },
  ): WatchProcess {
    const { command, args } = cliCommand();
    const child = spawn(
      command,
      [
        ...args,
        "pools",
        "watch",
        "--rpc",
        node.url,
        "--deployment",
        deployment,
        "--data-dir",
        dataDir,
        "--interval",
        "100",
        "--decommission-command",
        `cat >> "${hook.hookFile}"; echo >> "${hook.hookFile}"; while [ -f "${hook.blockFile}" ]; do sleep 0.05; done`,
        "--log-format",
        "json",
        "--log-level",
        "debug",
      ],
      { env: { ...process.env, ACCORD_PROVIDER_KEY: key }, stdio: ["ignore", "pipe", "pipe"] },
    );
    children.push(child);
    const output = collectJsonLines(child, "accord pools watch");
    const lines = output.lines;
    const tail = output.tail;
    return {
      child,
      lines,
      async waitFor(msg, n = 1) {
        const until = Date.now() + 30_000;
        while (lines.filter((l) => l.msg === msg).length < n) {
          if (child.exitCode !== null) throw new Error(`accord pools watch exited (${child.exitCode}): ${tail()}`);
          if (Date.now() > until) throw new Error(`no ${n}× "${msg}" within 30 s: ${tail()}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    };
  }

  async function kill9(watch: WatchProcess): Promise<void> {
    const exited = new Promise((resolve) => watch.child.once("exit", resolve));
    watch.child.kill("SIGKILL");
    await exited;
  }

  it("loses nothing and repeats nothing", async function () {
    const deployer = new SerialSigner(hardhatAccount(0).connect(rpc));
    const providerWallet = hardhatAccount(5);
    const deploymentPath = path.join(dir, "deployment.json");
    const { deployment, token } = await deployAccord(deployer, {
      network: "localhost",
      write: { path: deploymentPath },
    });
    const customerSigner = new SerialSigner(hardhatAccount(2).connect(rpc));
    await (await token.connect(deployer).transfer(await customerSigner.getAddress(), FUNDS)).wait();
    const provider = await CapacityPoolsProviderClient.fromDeployment(
      new SerialSigner(providerWallet.connect(rpc)),
      deployment,
    );
    const customer = await CapacityPoolsCustomerClient.fromDeployment(customerSigner, deployment);
    const { farmId } = await provider.createFarm(PRICES, { salt: idFromName("farm") });
    await provider.declareNodes(farmId, NODES);
    const { poolId } = await customer.createPool({ farmId, cus: 7200 * 3, nodeIds: NODES, graceSeconds: GRACE });
    const ids = ["a", "b", "c"].map((name) => idFromName(`process-${name}`));
    const dataDir = path.join(dir, "watcher");
    const hook = { hookFile: path.join(dir, "decommissioned.jsonl"), blockFile: path.join(dir, "block") };
    const hooked = (): DecommissionRequest[] =>
      fs.existsSync(hook.hookFile)
        ? fs
            .readFileSync(hook.hookFile, "utf8")
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line) as DecommissionRequest)
        : [];
    const key = providerWallet.privateKey;

    // The first process starts the two workloads assigned to its nodes…
    await customer.assignWorkload({ workloadId: ids[0], poolId, nodeId: NODES[0], rates: RATES });
    await customer.assignWorkload({ workloadId: ids[1], poolId, nodeId: NODES[1], rates: RATES });
    const first = spawnWatch(key, deploymentPath, dataDir, hook);
    await first.waitFor("workload started", 2);
    // …and is killed; meanwhile a third is assigned.
    await kill9(first);
    await customer.assignWorkload({ workloadId: ids[2], poolId, nodeId: NODES[0], rates: RATES });

    // The second starts only the third; a watcher started beside it on the same directory is refused.
    const second = spawnWatch(key, deploymentPath, dataDir, hook);
    await second.waitFor("pool watcher ready");
    const intruder = spawnWatch(key, deploymentPath, dataDir, hook);
    const intruderExit = new Promise((resolve) => intruder.child.once("exit", resolve));
    await second.waitFor("workload started", 1);

    // The grace period over, it decommissions the first workload and is killed in the hook.
    fs.writeFileSync(hook.blockFile, "");
    const { emptyAt, graceSeconds } = (await customer.getStoredPool(poolId))!;
    const now = await customer.latestTimestamp();
    await rpc.send("evm_increaseTime", [Number(emptyAt + graceSeconds - now) + 1]);
    await rpc.send("evm_mine", []);
    const until = Date.now() + 30_000;
    while (hooked().length === 0) {
      if (Date.now() > until) throw new Error("the decommission hook never ran");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // (The watcher started beside it was refused meanwhile: the directory is locked by a live process.)
    expect(await intruderExit, "a second watcher on the directory is refused").to.equal(1);
    await kill9(second);
    fs.rmSync(hook.blockFile);
    const interrupted = hooked()[0].workloadId;

    // The third decommissions all three (the interrupted one again: the hook runs at least once) and closes them once.
    const third = spawnWatch(key, deploymentPath, dataDir, hook);
    await third.waitFor("workloads closed", 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await kill9(third);

    const all = [first, second, third];
    const logged = (msg: string) => all.flatMap((w) => w.lines.filter((l) => l.msg === msg));
    expect(logged("workload started").map((l) => l.workloadId)).to.have.members(ids);
    expect(logged("workload started")).to.have.length(3);
    expect(second.lines.filter((l) => l.msg === "workload started").map((l) => l.workloadId)).to.deep.equal([ids[2]]);
    expect(intruder.lines.some((l) => l.msg === "workload started")).to.equal(false);
    expect(logged("workloads closed").flatMap((l) => l.workloadIds as string[])).to.have.members(ids);
    expect(logged("workloads closed").flatMap((l) => l.workloadIds as string[])).to.have.length(3);
    const events = await customer.getPoolEvents(poolId);
    const named = (name: string) =>
      events.filter((e) => e.eventName === name).map((e) => (e.args as { workloadId: string }).workloadId);
    expect(named("WorkloadStarted")).to.have.members(ids);
    expect(named("WorkloadStarted")).to.have.length(3);
    expect(named("WorkloadExpired")).to.have.members(ids);
    expect(named("WorkloadExpired")).to.have.length(3);
    const requests = hooked();
    expect(requests.every((r) => r.reason === "grace-over" && r.poolId === poolId)).to.equal(true);
    expect(requests.map((r) => r.workloadId)).to.have.members([...ids, interrupted]);

    // `accord pools status` shows the pool as of now, as the client's model does.
    const { command, args } = cliCommand();
    const status = await new Promise<string>((resolve, reject) => {
      const child = spawn(command, [
        ...args,
        "pools",
        "status",
        poolId,
        "--rpc",
        node.url,
        "--deployment",
        deploymentPath,
      ]);
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.on("exit", (code) =>
        code === 0 ? resolve(out) : reject(new Error(`pools status exited ${code}: ${err}`)),
      );
    });
    const shown = JSON.parse(status) as Record<string, unknown>;
    const pool = await customer.getPool(poolId);
    expect(shown).to.deep.include({
      poolId,
      statusName: "Idle",
      runningCount: 0,
      value: pool.value.toString(),
      cu: { balance: pool.cu.balance.toString(), value: pool.cu.value.toString() },
      runway: null,
    });
    expect((await customer.getPool(poolId)).statusName).to.equal("Idle");
  });
});

const ROOT = path.resolve(__dirname, "..", "..");

/** Whether every source file has a built counterpart at least as new (dist/ is what bin/accord.js runs). */
function distIsFresh(dir = path.join(ROOT, "src")): boolean {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!distIsFresh(file)) return false;
      continue;
    }
    if (!entry.name.endsWith(".ts") || entry.name.endsWith(".d.ts")) continue;
    const built = path.join(ROOT, "dist", path.relative(ROOT, file)).replace(/\.ts$/, ".js");
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(file).mtimeMs) return false;
  }
  return true;
}

/**
 * `node bin/accord.js` (the built CLI, as an operator runs it) when dist/ is up to date with src/ (node
 * scripts/build.js), else the CLI from the TypeScript sources (accordCommand: slower to start, the same code).
 */
function cliCommand(): { command: string; args: string[] } {
  if (distIsFresh()) return { command: process.execPath, args: [path.join(ROOT, "bin", "accord.js")] };
  return accordCommand();
}

async function expectRejection<T extends Error>(
  action: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await action;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(type);
    return error as T;
  }
  expect.fail(`expected a ${type.name}, but nothing was thrown`);
}
