// `accord solver` as an operator runs it: a child process over real HTTP, killed with kill -9 and restarted. What it
// accepted before the kill is still there after it, and nothing is proposed twice.

import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { expect } from "chai";
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
): { child: ChildProcess; ready: Promise<void>; stderr: () => string } {
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      "src/bin/accord.ts",
      "solver",
      "--address",
      solver,
      "--chain-id",
      CHAIN.toString(),
      "--data-dir",
      dataDir,
      "--port",
      String(port),
      "--log-format",
      "json",
    ],
    { cwd: ROOT, env: { ...process.env, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] },
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
