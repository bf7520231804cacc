// `accord index --subgraph <dir>` indexes a subgraph that is not Accord's: a small ERC20-transfers subgraph written
// here (fixture/), built with graph-cli, indexed by the CLI in a child process over a token's real history, then
// checked against the token's own balances and served over GraphQL with the subgraph's schema.

import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import {
  createIndexer,
  DeterministicIndexingError,
  INDEXING_ERROR_META,
  loadSubgraph,
  openStore,
  UnsupportedHostFunctionError,
  type SqlStore,
} from "../../../src/indexer";
import { MappingModule } from "../../../src/indexer/wasm/module";
import { createServer } from "../../../src/server/server";
import { AccordToken__factory, type AccordToken } from "../../../typechain-types";
import { buildFixture } from "../host/harness";
import { ethers, headBlock, startRpcServer, tmpDir, type RpcServer } from "../helpers/chain";
import { freshPgliteDir } from "../helpers/stores";

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, "../../..");
const FIXTURE = path.join(__dirname, "fixture");
const ZERO = "0x" + "00".repeat(20);
const silent = pino({ level: "silent" });

describe("indexer: another subgraph (ERC20 transfers, accord index --subgraph)", function () {
  this.timeout(300_000);
  let rpc: RpcServer;
  let token: AccordToken;
  let subgraphDir: string;
  let dataDir: string;
  let store: SqlStore;
  let holders: string[];
  let transfers: number;
  let head: number;

  before(async () => {
    rpc = await startRpcServer();
    const signers = await ethers.getSigners();
    const owner = signers[0];
    token = await new AccordToken__factory(owner).deploy(owner.address, 10n ** 24n);
    const deployed = await token.deploymentTransaction()!.wait();
    const address = (await token.getAddress()).toLowerCase();
    const artifact = JSON.parse(
      fs.readFileSync(path.join(ROOT, "artifacts/contracts/AccordToken.sol/AccordToken.json"), "utf8"),
    ) as { abi: unknown[] };
    subgraphDir = buildFixture(FIXTURE, (dir) => {
      const manifest = path.join(dir, "subgraph.yaml");
      const text = fs.readFileSync(manifest, "utf8");
      fs.writeFileSync(
        manifest,
        text.replace("{{address}}", address).replace("startBlock: 0", `startBlock: ${deployed!.blockNumber}`),
      );
      fs.mkdirSync(path.join(dir, "abis"), { recursive: true });
      fs.writeFileSync(path.join(dir, "abis", "Token.json"), JSON.stringify(artifact.abi));
    });

    // A history: mints, transfers between eight holders (a self-transfer among them), in many blocks.
    const parties = signers.slice(1, 9);
    holders = [owner.address, ...parties.map((p) => p.address)].map((a) => a.toLowerCase());
    transfers = 1; // the constructor's mint
    let seed = 7;
    // An LCG's low bits cycle quickly: take the high ones.
    const random = (n: number): number => (
      (seed = (seed * 1103515245 + 12345) % 2 ** 31),
      Math.floor(seed / 2 ** 16) % n
    );
    for (const p of parties) {
      await (await token.transfer(p.address, 10n ** 21n)).wait();
      transfers++;
    }
    await (await token.mint(parties[0].address, 12345n)).wait();
    transfers++;
    for (let i = 0; i < 40; i++) {
      const from = parties[random(parties.length)];
      const to = i === 5 ? from : parties[random(parties.length)];
      await (await token.connect(from).transfer(to.address, BigInt(1 + random(10 ** 9)))).wait();
      transfers++;
    }
    head = await headBlock();
    dataDir = await freshPgliteDir();
  });

  after(async () => {
    await store?.close();
    await rpc?.close();
    for (const dir of [subgraphDir, dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("indexes it with the CLI: every transfer, each balance equal to the token's balanceOf", async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        "src/bin/accord.ts",
        "index",
        "--subgraph",
        subgraphDir,
        "--rpc",
        rpc.url,
        "--data-dir",
        dataDir,
        "--to-block",
        String(head),
        "--no-serve",
        "--no-progress",
        "--log-level",
        "warn",
      ],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: "" } },
    );
    const summary = JSON.parse(stdout.trim().split("\n").pop()!) as { done: boolean; block: number; events: number };
    expect(summary).to.include({ done: true, block: head, events: transfers });

    store = await openStore({ dataDir, model: loadSubgraph(subgraphDir).model });
    const address = (await token.getAddress()).toLowerCase();
    const tokenEntity = await store.get("Token", address);
    expect(tokenEntity).to.include({ transfers, totalSupply: await token.totalSupply() });
    for (const holder of holders) {
      const account = await store.get("Account", holder);
      expect(account?.balance, holder).to.equal(await token.balanceOf(holder));
    }
    expect((await store.get("Account", ZERO))?.balance).to.equal(-(await token.totalSupply()));
    const stored = await store.find({ entity: "Transfer", first: 1000 });
    expect(stored).to.have.length(transfers);
    const onChain = await token.queryFilter(token.filters.Transfer(), 0, head);
    expect(onChain).to.have.length(transfers);
    const senders = new Set<string>();
    for (const log of onChain) {
      // graph-ts's Bytes.concatI32 appends the i32 little-endian.
      const index = Buffer.alloc(4);
      index.writeInt32LE(log.index);
      const id = log.transactionHash + index.toString("hex");
      const transfer = stored.find((t) => t.id === id.toLowerCase());
      expect(transfer, id).to.include({
        from: log.args.from.toLowerCase(),
        to: log.args.to.toLowerCase(),
        value: log.args.value,
        blockNumber: BigInt(log.blockNumber),
        transactionHash: log.transactionHash.toLowerCase(),
      });
      const tx = await log.getTransaction();
      const block = await log.getBlock();
      expect(transfer, id).to.include({
        sender: tx.from.toLowerCase(),
        gasPrice: tx.gasPrice,
        miner: block.miner.toLowerCase(),
      });
      senders.add(tx.from.toLowerCase());
    }
    // Several senders: a transaction field copied from the wrong transaction would show.
    expect(senders.size).to.be.greaterThan(3);
  });

  it("serves it over GraphQL with the subgraph's own schema (derived fields included)", async () => {
    const model = loadSubgraph(subgraphDir).model;
    const server = await createServer({ store, model, port: 0, logger: silent });
    try {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: `query($id: ID!) { account(id: $id) { balance received transfersIn(first: 1000) { value } } }`,
          variables: { id: holders[1] },
        }),
      });
      const body = (await response.json()) as {
        data?: { account: { balance: string; received: number; transfersIn: { value: string }[] } };
        errors?: unknown[];
      };
      expect(body.errors, JSON.stringify(body.errors)).to.equal(undefined);
      const { account } = body.data!;
      expect(BigInt(account.balance)).to.equal(await token.balanceOf(holders[1]));
      expect(account.transfersIn).to.have.length(account.received);
    } finally {
      await server.close();
    }
  });

  it("refuses a mapping that imports a host function Accord does not implement, naming it", () => {
    // (module (import "ethereum" "ethereum.call" (func))) — as graph-cli links ethereum.call from graph-ts.
    const name = (text: string): number[] => [text.length, ...Buffer.from(text)];
    const imports = [1, ...name("ethereum"), ...name("ethereum.call"), 0x00, 0x00];
    const wasm = Uint8Array.from([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00],
      ...[0x02, imports.length, ...imports],
    ]);
    expect(() => new MappingModule("Probe", wasm, loadSubgraph(subgraphDir).model)).to.throw(
      UnsupportedHostFunctionError,
      /imports ethereum\.call, which Accord's host does not implement/,
    );
  });

  it("stops at a mapping's deterministic error, writes nothing of that block, reports it, and resumes after a fix", async () => {
    const signers = await ethers.getSigners();
    const [alice, bob] = [signers[1], signers[2]];
    const dir = tmpDir("refusing");
    const failing = await freshPgliteDir();
    try {
      fs.cpSync(subgraphDir, dir, { recursive: true });
      const manifestFile = path.join(dir, "build", "subgraph.yaml");
      const setRefused = (amount: string): void =>
        fs.writeFileSync(
          manifestFile,
          fs
            .readFileSync(manifestFile, "utf8")
            .replace(/(refuse:\n\s+type: BigInt\n\s+data: )"?\d+"?/, `$1"${amount}"`),
        );
      setRefused("666");
      await (await token.connect(alice).transfer(bob.address, 5n)).wait();
      const refused = await (await token.connect(alice).transfer(bob.address, 666n)).wait();
      await (await token.connect(bob).transfer(alice.address, 7n)).wait();
      const end = await headBlock();

      const lines: Record<string, unknown>[] = [];
      const logger = pino(
        { level: "warn" },
        { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
      );
      const failingStore = await openStore({ dataDir: failing, model: loadSubgraph(dir).model });
      try {
        const indexer = await createIndexer({
          rpcUrl: rpc.url,
          subgraph: dir,
          store: failingStore,
          toBlock: end,
          logger,
        });
        const error = await indexer.start().then(
          () =>
            indexer.done().then(
              () => null,
              (e: unknown) => e,
            ),
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(DeterministicIndexingError);
        expect(error).to.include({ handler: "handleTransfer", block: refused!.blockNumber });
        expect((error as DeterministicIndexingError).transaction).to.equal(refused!.hash);
        expect((error as Error).message).to.match(/log\.critical: refusing a transfer of 666/);
        // Everything before the block is committed; nothing of it.
        expect((await failingStore.checkpoint())!.blockNumber).to.equal(refused!.blockNumber - 1);
        const written = await failingStore.find({ entity: "Transfer", first: 1000, where: { value: "666" } });
        expect(written).to.deep.equal([]);
        const recorded = JSON.parse((await failingStore.getMeta(INDEXING_ERROR_META))!) as Record<string, unknown>;
        expect(recorded).to.include({
          handler: "handleTransfer",
          block: refused!.blockNumber,
          transaction: refused!.hash,
        });
        const logged = lines.find((l) => String(l.msg).startsWith("deterministic indexing error"));
        expect(logged, JSON.stringify(lines)).to.include({
          handler: "Token.handleTransfer",
          block: refused!.blockNumber,
          tx: refused!.hash,
        });
        // _meta.hasIndexingErrors, as the API serves it.
        const server = await createServer({
          store: failingStore,
          model: loadSubgraph(dir).model,
          hasIndexingErrors: () => indexer.indexingError !== null,
          port: 0,
          logger: silent,
        });
        try {
          const response = await fetch(server.url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: "{ _meta { hasIndexingErrors block { number } } }" }),
          });
          const body = (await response.json()) as {
            data: { _meta: { hasIndexingErrors: boolean; block: { number: number } } };
          };
          expect(body.data._meta).to.deep.equal({
            hasIndexingErrors: true,
            block: { number: refused!.blockNumber - 1 },
          });
        } finally {
          await server.close();
        }
        await indexer.close();

        // The fix (here: the mapping's context no longer refuses it): a restart resumes at the failed block.
        setRefused("0");
        const fixed = await createIndexer({
          rpcUrl: rpc.url,
          subgraph: dir,
          store: failingStore,
          toBlock: end,
          logger,
        });
        await fixed.start();
        await fixed.done();
        expect(fixed.indexingError).to.equal(null);
        expect(await failingStore.getMeta(INDEXING_ERROR_META)).to.equal("");
        expect((await failingStore.checkpoint())!.blockNumber).to.equal(end);
        const after = await failingStore.find({ entity: "Transfer", first: 1000, where: { value: "666" } });
        expect(after.map((t) => t.blockNumber)).to.deep.equal([BigInt(refused!.blockNumber)]);
        expect((await failingStore.get("Account", bob.address.toLowerCase()))!.balance).to.equal(
          await token.balanceOf(bob.address),
        );
        expect(lines.some((l) => String(l.msg).includes("mappings changed"))).to.equal(true);
        await fixed.close();
      } finally {
        await failingStore.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(failing, { recursive: true, force: true });
    }
  });
});
