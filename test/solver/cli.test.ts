// `accord solver` as an operator runs it: a child process over real HTTP, killed with kill -9 and restarted. What it
// accepted before the kill is still there after it, and nothing is proposed twice.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import os from "node:os";
import { expect } from "chai";
import { HDNodeWallet } from "ethers";
import { RegistryClient } from "../../src/clients";
import { deployAccord, startRpcServer } from "../indexer/helpers/chain";
import { freshPgliteDir } from "../indexer/helpers/stores";
import { CHAIN, jobBody, jobCreator, provider, resourceBody, sign, solver } from "./helpers";

const ROOT = path.resolve(__dirname, "../..");

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function startSolver(
  dataDir: string,
  port: number,
  extra: { args?: string[]; env?: NodeJS.ProcessEnv } = {},
): { child: ChildProcess; ready: Promise<void>; stderr: () => string } {
  const args = extra.args ?? ["--address", solver, "--chain-id", CHAIN.toString()];
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      "src/bin/accord.ts",
      "solver",
      ...args,
      "--data-dir",
      dataDir,
      "--port",
      String(port),
      "--log-format",
      "json",
    ],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: "", ...extra.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let err = "";
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    const seen = (): void => {
      if ((out + err).includes("solver ready")) resolve();
    };
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      seen();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      seen();
    });
    child.on("exit", (code) => reject(new Error(`accord solver exited (${code}): ${err}`)));
  });
  ready.catch(() => {});
  return { child, ready, stderr: () => out + err };
}

async function post(port: number, mutation: "postJobOffer" | "postResourceOffer", body: unknown, signature: string) {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: `mutation ($offer: String!, $signature: String!) { ${mutation}(offer: $offer, signature: $signature) { status proposal { id } } }`,
      variables: { offer: JSON.stringify(body), signature },
    }),
  });
  const answer = (await response.json()) as {
    data?: Record<string, { status: string; proposal: { id: string } | null }>;
  };
  return answer.data![mutation];
}

describe("accord solver: kill -9 and restart", function () {
  this.timeout(120_000);
  let dataDir: string;
  let running: ChildProcess | undefined;
  before(async () => {
    dataDir = await freshPgliteDir();
  });
  after(() => {
    running?.kill("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(`${dataDir}.lock`, { force: true });
  });

  it("keeps what it accepted across a kill, and proposes nothing twice", async () => {
    const port = await freePort();
    const first = startSolver(dataDir, port);
    running = first.child;
    await first.ready;
    const ro = await resourceBody({ created_at: Date.now() });
    expect((await post(port, "postResourceOffer", ro, await sign(provider, "resource", ro.id))).status).to.equal(
      "open",
    );
    const jo = await jobBody({ created_at: Date.now() });
    const proposed = await post(port, "postJobOffer", jo, await sign(jobCreator, "job", jo.id));
    expect(proposed.status).to.equal("proposed");
    const exited = new Promise((resolve) => first.child.on("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;

    const second = startSolver(dataDir, port);
    running = second.child;
    await second.ready;
    // The same posts again: known, not proposed a second time.
    expect((await post(port, "postJobOffer", jo, await sign(jobCreator, "job", jo.id))).status).to.equal("duplicate");
    const another = await jobBody({ created_at: Date.now(), inputs: { prompt: "after the kill" } });
    expect((await post(port, "postJobOffer", another, await sign(jobCreator, "job", another.id))).status).to.equal(
      "open",
    );
    const ro2 = await resourceBody({ created_at: Date.now(), index: 1 });
    const second2 = await post(port, "postResourceOffer", ro2, await sign(provider, "resource", ro2.id));
    expect(second2.status).to.equal("proposed");
    expect(second2.proposal!.id).to.not.equal(proposed.proposal!.id);
    second.child.kill("SIGINT");
    await new Promise((resolve) => second.child.on("exit", resolve));
    running = undefined;
  });
});

describe("accord solver: ServiceRegistry", function () {
  this.timeout(120_000);
  it("registers its URL under the Solver role when given its key and the deployment", async () => {
    const rpc = await startRpcServer();
    const accord = await deployAccord();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accord-solver-"));
    const deploymentFile = path.join(dir, "deployment.json");
    fs.writeFileSync(deploymentFile, JSON.stringify(accord.file));
    const dataDir = await freshPgliteDir();
    // Hardhat's fourth default account.
    const key = HDNodeWallet.fromPhrase(
      "test test test test test test test test test test test junk",
      undefined,
      "m/44'/60'/0'/0/3",
    );
    const port = await freePort();
    const started = startSolver(dataDir, port, {
      args: ["--rpc", rpc.url, "--deployment", deploymentFile, "--public-url", "http://solver.example/graphql"],
      env: { ACCORD_SOLVER_KEY: key.privateKey },
    });
    try {
      await Promise.race([
        started.ready,
        new Promise((_, reject) => setTimeout(() => reject(new Error("not ready: " + started.stderr())), 20_000)),
      ]);
      const registry = await RegistryClient.fromDeployment(accord.signers[0], deploymentFile);
      const entry = await registry.getService(key.address);
      expect(entry).to.include({ registered: true, url: "http://solver.example/graphql" });
      expect(entry.roles).to.deep.equal(["Solver"]);
      expect(started.stderr()).to.include("registered in ServiceRegistry");
    } finally {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        const exited = new Promise((resolve) => started.child.on("exit", resolve));
        started.child.kill("SIGKILL");
        await exited;
      }
      await rpc.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(`${dataDir}.lock`, { force: true });
    }
  });
});
