// The sync layer against a scripted JSON-RPC node: retries, batches, and log ranges that shrink on "too many
// results" and grow back.

import http from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { JsonRpcClient, RpcError } from "../../src/indexer";
import { ChainReader } from "../../src/indexer/sync/chain";

interface FakeNode {
  url: string;
  requests: { method: string; params: unknown[] }[];
  close(): Promise<void>;
}

/** One log per block; eth_getLogs over more than `maxRange` blocks fails like a node with a result limit. */
async function fakeNode(options: { maxRange: number; head: number; failFirst?: number }): Promise<FakeNode> {
  const requests: { method: string; params: unknown[] }[] = [];
  let failures = options.failFirst ?? 0;
  const answer = (req: { id: number; method: string; params: unknown[] }) => {
    requests.push({ method: req.method, params: req.params });
    const hex = (n: number) => "0x" + n.toString(16);
    switch (req.method) {
      case "eth_blockNumber":
        return { jsonrpc: "2.0", id: req.id, result: hex(options.head) };
      case "eth_getBlockByNumber": {
        const n = Number(req.params[0]);
        const block =
          n > options.head
            ? null
            : {
                number: hex(n),
                hash: "0x" + n.toString(16).padStart(64, "a"),
                parentHash: "0x" + (n - 1).toString(16).padStart(64, "a"),
                timestamp: hex(1000 + n),
              };
        return { jsonrpc: "2.0", id: req.id, result: block };
      }
      case "eth_getLogs": {
        const f = req.params[0] as { fromBlock: string; toBlock: string };
        const from = Number(f.fromBlock);
        const to = Number(f.toBlock);
        if (to - from + 1 > options.maxRange) {
          return {
            jsonrpc: "2.0",
            id: req.id,
            error: { code: -32005, message: "query returned more than 10000 results" },
          };
        }
        const logs = [];
        for (let n = from; n <= to; n++) logs.push({ blockNumber: hex(n), logIndex: "0x0", topics: [], data: "0x" });
        return { jsonrpc: "2.0", id: req.id, result: logs };
      }
      default:
        return { jsonrpc: "2.0", id: req.id, error: { code: -32601, message: `method ${req.method} not found` } };
    }
  };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      if (failures > 0) {
        failures--;
        res.writeHead(503).end("busy");
        return;
      }
      const parsed = JSON.parse(body) as
        { id: number; method: string; params: unknown[] } | { id: number; method: string; params: unknown[] }[];
      // Batches are answered in reverse order: the client must match by id.
      const out = Array.isArray(parsed) ? parsed.map(answer).reverse() : answer(parsed);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("indexer sync: JSON-RPC and adaptive log ranges", () => {
  it("retries transport failures, matches batch answers by id, and surfaces JSON-RPC errors", async () => {
    const node = await fakeNode({ maxRange: 10, head: 50, failFirst: 2 });
    try {
      const rpc = new JsonRpcClient(node.url, { maxBatchSize: 7 });
      expect(await rpc.call("eth_blockNumber")).to.equal("0x32");
      const blocks = await rpc.batch<{ number: string }>(
        Array.from({ length: 20 }, (_, i) => ["eth_getBlockByNumber", ["0x" + (i + 1).toString(16), false]]),
      );
      expect(blocks.map((b) => Number(b.number))).to.deep.equal(Array.from({ length: 20 }, (_, i) => i + 1));
      let error: unknown;
      await rpc.call("eth_nope").catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(RpcError);
      expect((error as RpcError).code).to.equal(-32601);
    } finally {
      await node.close();
    }
  });

  it("halves the range on 'too many results', grows it again after small answers, and loses no block", async () => {
    const node = await fakeNode({ maxRange: 8, head: 400 });
    try {
      const reader = new ChainReader(
        new JsonRpcClient(node.url),
        { addresses: [], topics: [] },
        { initialRange: 100, maxRange: 64, targetLogs: 20 },
      );
      const seen: number[] = [];
      let from = 1;
      const ranges: number[] = [];
      while (from <= 400) {
        const { to, logs } = await reader.logs(from, 400);
        ranges.push(to - from + 1);
        for (const log of logs) seen.push(Number(log.blockNumber));
        from = to + 1;
      }
      expect(seen).to.deep.equal(Array.from({ length: 400 }, (_, i) => i + 1));
      expect(Math.max(...ranges)).to.be.at.most(8);
      const failed = node.requests.filter((r) => r.method === "eth_getLogs").length - ranges.length;
      expect(failed, "a few oversized attempts, not one per range").to.be.lessThan(ranges.length / 2);
      // With answers under half the target the range doubles, then shrinks back when the node refuses.
      expect(new Set(ranges).size).to.be.greaterThan(1);
    } finally {
      await node.close();
    }
  });

  it("reads headers in batches, with null for blocks past the head", async () => {
    const node = await fakeNode({ maxRange: 8, head: 10 });
    try {
      const reader = new ChainReader(new JsonRpcClient(node.url), { addresses: [], topics: [] });
      const headers = await reader.headers([3, 11, 3, 10]);
      expect([...headers.keys()]).to.deep.equal([3, 11, 10]);
      expect(headers.get(3)).to.deep.equal({
        number: 3,
        hash: "0x" + "3".padStart(64, "a"),
        parentHash: "0x" + "2".padStart(64, "a"),
        timestamp: 1003,
      });
      expect(headers.get(11)).to.equal(null);
      expect(node.requests.filter((r) => r.method === "eth_getBlockByNumber")).to.have.length(3);
      const both = await reader.headAndHeader(10);
      expect(both.head).to.equal(10);
      expect(both.header!.number).to.equal(10);
    } finally {
      await node.close();
    }
  });
});
