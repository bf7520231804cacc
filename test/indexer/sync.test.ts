// The sync layer against scripted JSON-RPC nodes (real HTTP servers on 127.0.0.1): errors by class (permanent ones
// stop at once, rate limits and outages back off and retry), batches, log ranges that split on each provider's
// "range too large" answer and grow back, and the deployment check.

import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { expect } from "chai";
import { JsonRpcClient, RpcError } from "../../src/indexer";
import { ChainReader } from "../../src/indexer/sync/chain";
import {
  DeploymentMismatchError,
  RpcFailure,
  RpcTransportError,
  classifyJsonRpcError,
  isRetryable,
  jsonRpcError,
  logsRangeSuggestion,
  parseRetryAfter,
  retryDelayMs,
} from "../../src/indexer/sync/rpc-errors";

const hex = (n: number): string => "0x" + n.toString(16);

interface JsonRpcRequest {
  id: number;
  method: string;
  params: unknown[];
}

/** What a scripted server does with one HTTP request. */
type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; text?: string }
  | "hang" // never answers (the client's timeout fires)
  | "reset"; // drops the connection

interface ScriptedServer {
  url: string;
  /** Every JSON-RPC request received (batch members one by one). */
  requests: JsonRpcRequest[];
  /** HTTP requests received. */
  exchanges: number;
  close(): Promise<void>;
}

async function scriptedServer(reply: (body: JsonRpcRequest | JsonRpcRequest[], exchange: number) => Reply) {
  const sockets = new Set<Socket>();
  const state: ScriptedServer = { url: "", requests: [], exchanges: 0, close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      const parsed = JSON.parse(body) as JsonRpcRequest | JsonRpcRequest[];
      state.requests.push(...(Array.isArray(parsed) ? parsed : [parsed]));
      const r = reply(parsed, state.exchanges++);
      if (r === "hang") return;
      if (r === "reset") {
        req.socket.destroy();
        return;
      }
      const text = r.text ?? JSON.stringify(r.json);
      res.writeHead(r.status ?? 200, { "content-type": "application/json", ...r.headers }).end(text);
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return state;
}

const ok = (req: JsonRpcRequest, result: unknown) => ({ json: { jsonrpc: "2.0", id: req.id, result } });
const rpcError = (req: JsonRpcRequest, code: number, message: string, data?: unknown) => ({
  json: { jsonrpc: "2.0", id: req.id, error: { code, message, ...(data !== undefined ? { data } : {}) } },
});
const single = (body: JsonRpcRequest | JsonRpcRequest[]): JsonRpcRequest => (Array.isArray(body) ? body[0] : body);

/** Runs `fn` against a server replying with `replies` in turn (the last one repeats). */
async function against<T>(
  replies: ((req: JsonRpcRequest) => Reply)[],
  fn: (server: ScriptedServer) => Promise<T>,
): Promise<{ result: T; server: ScriptedServer }> {
  const server = await scriptedServer((body, n) => replies[Math.min(n, replies.length - 1)](single(body)));
  try {
    return { result: await fn(server), server };
  } finally {
    await server.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<RpcFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(RpcFailure);
    return error as RpcFailure;
  }
  expect.fail("expected the call to fail");
}

/** A chain with one log per block; `logs` decides how eth_getLogs answers a range (undefined: the logs). */
function chainNode(options: {
  head: number;
  logs?: (from: number, to: number, req: JsonRpcRequest) => Reply | undefined;
}): (body: JsonRpcRequest | JsonRpcRequest[]) => Reply {
  const answer = (req: JsonRpcRequest): { json: unknown } | Reply => {
    switch (req.method) {
      case "eth_blockNumber":
        return ok(req, hex(options.head));
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
        return ok(req, block);
      }
      case "eth_getLogs": {
        const f = req.params[0] as { fromBlock: string; toBlock: string };
        const from = Number(f.fromBlock);
        const to = Number(f.toBlock);
        const special = options.logs?.(from, to, req);
        if (special) return special;
        const logs = [];
        for (let n = from; n <= to; n++) logs.push({ blockNumber: hex(n), logIndex: "0x0", topics: [], data: "0x" });
        return ok(req, logs);
      }
      default:
        return rpcError(req, -32601, `the method ${req.method} does not exist/is not available`);
    }
  };
  return (body) => {
    if (!Array.isArray(body)) return answer(body);
    // Batches are answered in reverse order: the client must match by id.
    return { json: body.map((req) => (answer(req) as { json: unknown }).json).reverse() };
  };
}

/** Reads every log from 1 to `head`; returns the blocks seen (in order) and the ranges reached. */
async function readAll(reader: ChainReader, head: number): Promise<{ blocks: number[]; ranges: number[] }> {
  const blocks: number[] = [];
  const ranges: number[] = [];
  for (let from = 1; from <= head;) {
    const { to, logs } = await reader.logs(from, head);
    ranges.push(to - from + 1);
    for (const log of logs) blocks.push(Number(log.blockNumber));
    from = to + 1;
  }
  return { blocks, ranges };
}

const every = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const logRequests = (server: ScriptedServer) =>
  server.requests
    .filter((r) => r.method === "eth_getLogs")
    .map((r) => {
      const f = r.params[0] as { fromBlock: string; toBlock: string };
      return [Number(f.fromBlock), Number(f.toBlock)];
    });

describe("indexer sync: JSON-RPC errors by class", function () {
  this.timeout(20_000);

  it("stops at once on permanent JSON-RPC errors (-32601, -32602, -32600, -32700), naming the method", async () => {
    const cases: [number, string, RegExp][] = [
      [
        -32601,
        "the method eth_nope does not exist/is not available",
        /^eth_nope: .*code -32601; method not found, not retried/,
      ],
      [-32602, "invalid argument 0: hex string without 0x prefix", /^eth_nope: .*code -32602; invalid params/],
      [-32600, "invalid request", /^eth_nope: .*code -32600; invalid request/],
      [-32700, "parse error", /^eth_nope: .*code -32700; parse error/],
    ];
    for (const [code, message, expected] of cases) {
      const started = Date.now();
      const { result: error, server } = await against([(req) => rpcError(req, code, message)], (s) =>
        failure(new JsonRpcClient(s.url).call("eth_nope", ["x"])),
      );
      expect(error).to.be.instanceOf(RpcError);
      expect((error as RpcError).code).to.equal(code);
      expect((error as RpcError).method).to.equal("eth_nope");
      expect(error.message).to.match(expected);
      expect(error.kind).to.equal("permanent");
      expect(isRetryable(error)).to.equal(false);
      expect(server.exchanges, `code ${code}: one request, no retry`).to.equal(1);
      expect(Date.now() - started).to.be.below(1000);
    }
  });

  it("stops at once on HTTP 4xx (bad key, wrong URL), but reads a JSON-RPC error sent with a 4xx", async () => {
    for (const status of [400, 401, 403, 404, 405]) {
      const { result: error, server } = await against([() => ({ status, text: "Unauthorized" })], (s) =>
        failure(new JsonRpcClient(s.url).call("eth_blockNumber")),
      );
      expect(error).to.be.instanceOf(RpcTransportError);
      expect((error as RpcTransportError).status).to.equal(status);
      expect(error.kind).to.equal("permanent");
      expect(error.message).to.match(new RegExp(`HTTP ${status} from .*Unauthorized \\(not retried\\)`));
      expect(server.exchanges).to.equal(1);
    }
    const { result: error } = await against(
      [(req) => ({ status: 400, ...rpcError(req, -32602, "invalid params") })],
      (s) => failure(new JsonRpcClient(s.url).call("eth_getBlockByNumber", ["latest"])),
    );
    expect(error).to.be.instanceOf(RpcError);
    expect((error as RpcError).code).to.equal(-32602);
  });

  it("retries HTTP 429 with backoff, honouring Retry-After", async () => {
    const started = Date.now();
    const { result, server } = await against(
      [
        () => ({ status: 429, headers: { "retry-after": "1" }, text: "Too Many Requests" }),
        () => ({ status: 429, text: "Too Many Requests" }),
        (req) => ok(req, "0x2a"),
      ],
      (s) => new JsonRpcClient(s.url).call("eth_blockNumber"),
    );
    const elapsed = Date.now() - started;
    expect(result).to.equal("0x2a");
    expect(server.exchanges).to.equal(3);
    // 1 s asked for by the first answer, then the second backoff step (200 ms).
    expect(elapsed).to.be.within(1150, 4000);
  });

  it("retries JSON-RPC rate limits (-32005 'limit exceeded', 'Too Many Requests'), waiting the provider's hint", async () => {
    const started = Date.now();
    const { result, server } = await against(
      [
        (req) =>
          rpcError(req, -32005, "daily request count exceeded, request rate limited", {
            rate: { allowed_rps: 1, backoff_seconds: 0.5, current_rps: 3 },
          }),
        (req) => rpcError(req, -32000, "Too Many Requests"),
        (req) => rpcError(req, 429, "Your app has exceeded its compute units per second capacity"),
        (req) => ok(req, "0x1"),
      ],
      (s) => new JsonRpcClient(s.url).call("eth_chainId"),
    );
    expect(result).to.equal("0x1");
    expect(server.exchanges).to.equal(4);
    expect(Date.now() - started).to.be.at.least(500 + 200 + 400 - 50);
  });

  it("retries outages: 5xx, a dropped connection, a request timeout, HTTP 408", async () => {
    const { result, server } = await against(
      [
        () => ({ status: 503, text: "busy" }),
        () => ({ status: 502, text: "<html>Bad Gateway</html>" }),
        () => "reset",
        () => "hang",
        () => ({ status: 408, text: "Request Timeout" }),
        (req) => ok(req, "0x7"),
      ],
      (s) => new JsonRpcClient(s.url, { timeoutMs: 200 }).call("eth_blockNumber"),
    );
    expect(result).to.equal("0x7");
    expect(server.exchanges).to.equal(6);
  });

  it("retries a refused connection, then gives up with a retryable error for the caller", async () => {
    const probe = await scriptedServer(() => "reset");
    const url = probe.url;
    await probe.close();
    const started = Date.now();
    const error = await failure(new JsonRpcClient(url, { retries: 2 }).call("eth_blockNumber"));
    expect(error).to.be.instanceOf(RpcTransportError);
    expect(error.kind).to.equal("unavailable");
    expect(error.message).to.match(/ECONNREFUSED/);
    expect(isRetryable(error)).to.equal(true);
    expect(Date.now() - started).to.be.within(250, 3000); // 100 + 200 ms of backoff
  });

  it("stops retrying after `retries`, and a Retry-After beyond maxRetryAfterMs goes to the caller", async () => {
    const { result: error, server } = await against([() => ({ status: 500, text: "oops" })], (s) =>
      failure(new JsonRpcClient(s.url, { retries: 3 }).call("eth_blockNumber")),
    );
    expect(server.exchanges).to.equal(4);
    expect(error.kind).to.equal("unavailable");
    expect(isRetryable(error)).to.equal(true);

    const long = await against([() => ({ status: 429, headers: { "retry-after": "120" }, text: "slow down" })], (s) =>
      failure(new JsonRpcClient(s.url).call("eth_blockNumber")),
    );
    expect(long.server.exchanges).to.equal(1);
    expect(long.result.kind).to.equal("rate-limit");
    expect(long.result.retryAfterMs).to.equal(120_000);
    expect(retryDelayMs(long.result, 0)).to.equal(120_000);
    expect(retryDelayMs(long.result, 0, { maxRetryAfterMs: 10_000 })).to.equal(10_000);
    expect(retryDelayMs(new Error("x"), 3)).to.equal(800);
  });

  it("retries a batch whose member was rate limited, and stops on a permanent member", async () => {
    let first = true;
    const server = await scriptedServer((body) => {
      const batch = body as JsonRpcRequest[];
      const limited = first;
      first = false;
      return {
        json: batch.map((req) =>
          req.method === "eth_nope"
            ? rpcError(req, -32601, "method not found").json
            : limited && req === batch[1]
              ? rpcError(req, -32005, "rate limit exceeded").json
              : ok(req, req.params[0]).json,
        ),
      };
    });
    try {
      const rpc = new JsonRpcClient(server.url);
      const answers = await rpc.batch<string>([
        ["eth_echo", ["a"]],
        ["eth_echo", ["b"]],
        ["eth_echo", ["c"]],
      ]);
      expect(answers).to.deep.equal(["a", "b", "c"]);
      expect(server.exchanges).to.equal(2);
      const error = await failure(
        rpc.batch([
          ["eth_echo", ["a"]],
          ["eth_nope", []],
        ]),
      );
      expect(error.kind).to.equal("permanent");
      expect(error.message).to.match(/^eth_nope: /);
      expect(server.exchanges).to.equal(3);
    } finally {
      await server.close();
    }
  });

  it("retries transport failures, matches batch answers by id, and surfaces JSON-RPC errors", async () => {
    let failures = 2;
    const node = chainNode({ head: 50 });
    const server = await scriptedServer((body) => (failures-- > 0 ? { status: 503, text: "busy" } : node(body)));
    try {
      const rpc = new JsonRpcClient(server.url, { maxBatchSize: 7 });
      expect(await rpc.call("eth_blockNumber")).to.equal("0x32");
      const blocks = await rpc.batch<{ number: string }>(
        Array.from({ length: 20 }, (_, i) => ["eth_getBlockByNumber", ["0x" + (i + 1).toString(16), false]]),
      );
      expect(blocks.map((b) => Number(b.number))).to.deep.equal(every(20));
      const error = await failure(rpc.call("eth_nope"));
      expect(error).to.be.instanceOf(RpcError);
      expect((error as RpcError).code).to.equal(-32601);
    } finally {
      await server.close();
    }
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).to.equal(3000);
    expect(parseRetryAfter("0.5")).to.equal(500);
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter("Wed, 01 Jan 2025 00:00:10 GMT", now)).to.equal(10_000);
    expect(parseRetryAfter("soon")).to.equal(undefined);
    expect(parseRetryAfter(null)).to.equal(undefined);
  });
});

describe("indexer sync: eth_getLogs ranges by provider", function () {
  this.timeout(30_000);

  // Each provider's answer to a range that is too large, for a request over blocks 0x1..0x4e20 (1..20,000).
  const providers: { name: string; code: number; message: string; next?: [number, number] }[] = [
    {
      name: "Alchemy",
      code: -32602,
      message:
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on " +
        "the response size, or you can request any block range with a cap of 10K logs in the response. Based on " +
        "your parameters, this block range should work: [0x1, 0x2]",
      next: [1, 2],
    },
    {
      name: "Infura",
      code: -32005,
      message: "query returned more than 10000 results. Try with this block range [0x1, 0x64].",
      next: [1, 100],
    },
    { name: "QuickNode", code: -32614, message: "eth_getLogs is limited to a 10,000 range", next: [1, 10_001] },
    { name: "QuickNode (small)", code: -32614, message: "eth_getLogs is limited to a 5 range", next: [1, 6] },
    { name: "Ankr", code: -32600, message: "block range is too wide", next: [1, 3001] },
    { name: "Cloudflare", code: -32047, message: "Invalid eth_getLogs request. Max range: 100", next: [1, 100] },
    { name: "thirdweb", code: -32602, message: "Maximum allowed number of requested blocks is 50", next: [1, 51] },
    { name: "BlockPI", code: -32000, message: "eth_getLogs is limited to 500 block range", next: [1, 501] },
    { name: "Chainstack", code: -32000, message: "Block range limit exceeded.", next: [1, 10_001] },
    { name: "zkEVM / geth-style", code: -32005, message: "query returned more than 10000 results", next: [1, 10_000] },
    { name: "Arbitrum", code: -32000, message: "logs matched by query exceeds limit of 10000", next: [1, 10_000] },
    { name: "LlamaRPC", code: -32000, message: "query exceeds max results 20000, retry with the range 1-500" },
    { name: "Base", code: -32000, message: "block range too large", next: [1, 10_000] },
    { name: "Optimism", code: -32000, message: "backend response too large", next: [1, 10_000] },
  ];

  it("recognises each provider's 'range too large' answer and the range it suggests", () => {
    for (const p of providers) {
      const error = jsonRpcError("eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x4e20" }], {
        code: p.code,
        message: p.message,
      });
      expect(error.kind, p.name).to.equal("range");
      expect(error.ranges, p.name).to.be.an("array").that.is.not.empty;
      const next = error.ranges![0];
      if (p.next) expect([next.from, next.to], p.name).to.deep.equal(p.next);
      expect(error.ranges![error.ranges!.length - 1].to, `${p.name} covers the request`).to.equal(20_000);
      // The same words from another method are not about ranges.
      expect(jsonRpcError("eth_call", [], { code: p.code, message: p.message }).kind, p.name).to.not.equal("range");
    }
    // Ankr's limit below the 3,000 blocks the helper assumes: still a range error (not -32600's "permanent"), halved.
    const ankr = jsonRpcError("eth_getLogs", [{ fromBlock: "0x1", toBlock: "0x7d0" }], {
      code: -32600,
      message: "block range is too wide",
    });
    expect(ankr.kind).to.equal("range");
    expect(ankr.ranges).to.deep.equal([
      { from: 1, to: 1000 },
      { from: 1001, to: 2000 },
    ]);
    // One block cannot be split, but its error is still a range error (not Infura's -32005 read as a rate limit).
    const one = jsonRpcError("eth_getLogs", [{ fromBlock: "0x5", toBlock: "0x5" }], {
      code: -32005,
      message: "query returned more than 10000 results",
    });
    expect(one.kind).to.equal("range");
    expect(one.ranges).to.deep.equal([]);
    expect(logsRangeSuggestion([{ fromBlock: "0x1", toBlock: "0x9" }], { code: -32005, message: "rate limited" })).to.be
      .undefined;
  });

  it("tells rate limits, outages and permanent errors apart by code and message", () => {
    expect(classifyJsonRpcError(-32005, "limit exceeded")).to.equal("rate-limit");
    expect(classifyJsonRpcError(-32000, "Too Many Requests")).to.equal("rate-limit");
    expect(classifyJsonRpcError(-32603, "request rate limit reached, see https://…")).to.equal("rate-limit");
    expect(classifyJsonRpcError(-32000, "header not found")).to.equal("unavailable");
    expect(classifyJsonRpcError(-32603, "internal error")).to.equal("unavailable");
    expect(classifyJsonRpcError(-32000, "request timed out")).to.equal("timeout");
    expect(classifyJsonRpcError(-32601, "method not found")).to.equal("permanent");
    expect(classifyJsonRpcError(-32602, "invalid params")).to.equal("permanent");
  });

  it("halves the range on 'query returned more than 10000 results', grows it again, and loses no block", async () => {
    const server = await scriptedServer(
      chainNode({
        head: 400,
        logs: (from, to, req) =>
          to - from + 1 > 8 ? rpcError(req, -32005, "query returned more than 10000 results") : undefined,
      }),
    );
    try {
      const reader = new ChainReader(
        new JsonRpcClient(server.url),
        { addresses: [], topics: [] },
        { initialRange: 100, maxRange: 64, targetLogs: 20 },
      );
      const { blocks, ranges } = await readAll(reader, 400);
      expect(blocks).to.deep.equal(every(400));
      expect(Math.max(...ranges)).to.be.at.most(8);
      const failed = logRequests(server).length - ranges.length;
      expect(failed, "a few oversized attempts, not one per range").to.be.lessThan(ranges.length / 2);
      // With answers under half the target the range doubles, then shrinks back when the node refuses.
      expect(new Set(ranges).size).to.be.greaterThan(1);
    } finally {
      await server.close();
    }
  });

  it("follows Alchemy's suggested range ('this block range should work: [0x1, 0x2]'), each log exactly once", async () => {
    const server = await scriptedServer(
      chainNode({
        head: 60,
        logs: (from, to, req) =>
          to - from + 1 > 2
            ? rpcError(
                req,
                -32602,
                "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no " +
                  "limit on the response size, or you can request any block range with a cap of 10K logs in the " +
                  `response. Based on your parameters, this block range should work: [${hex(from)}, ${hex(from + 1)}]`,
              )
            : undefined,
      }),
    );
    try {
      const reader = new ChainReader(
        new JsonRpcClient(server.url),
        { addresses: [], topics: [] },
        { initialRange: 1000, maxRange: 10_000, targetLogs: 2000 },
      );
      const { blocks } = await readAll(reader, 60);
      expect(blocks).to.deep.equal(every(60));
      const requests = logRequests(server);
      expect(requests[0]).to.deep.equal([1, 60]);
      expect(requests[1], "the suggested range, at once").to.deep.equal([1, 2]);
      // The suggestion sticks: 30 two-block requests, and at most a probe or two above it after 20 of them.
      expect(requests.length).to.be.within(31, 33);
      expect(requests.filter(([from, to]) => to - from + 1 > 2).length).to.be.at.most(3);
      expect(server.requests.filter((r) => r.method !== "eth_getLogs")).to.deep.equal([]);
    } finally {
      await server.close();
    }
  });

  it("splits a range on Infura's 'Try with this block range', and halves on a message without a suggestion", async () => {
    for (const [message, expectedNext] of [
      [
        (from: number) =>
          `query returned more than 10000 results. Try with this block range [${hex(from)}, ${hex(from + 9)}].`,
        [1, 10],
      ],
      [() => "logs matched by query exceeds limit of 10000", [1, 50]],
    ] as const) {
      const server = await scriptedServer(
        chainNode({
          head: 100,
          logs: (from, to, req) => (to - from + 1 > 10 ? rpcError(req, -32005, message(from)) : undefined),
        }),
      );
      try {
        const reader = new ChainReader(
          new JsonRpcClient(server.url),
          { addresses: [], topics: [] },
          { initialRange: 100 },
        );
        const { blocks } = await readAll(reader, 100);
        expect(blocks).to.deep.equal(every(100));
        expect(logRequests(server)[1]).to.deep.equal(expectedNext);
        expect(logRequests(server).length).to.be.below(30);
      } finally {
        await server.close();
      }
    }
  });

  it("answers a timeout with a smaller range, and a permanent error by stopping", async () => {
    const server = await scriptedServer(
      chainNode({ head: 40, logs: (from, to) => (to - from + 1 > 5 ? "hang" : undefined) }),
    );
    try {
      const reader = new ChainReader(
        new JsonRpcClient(server.url, { timeoutMs: 150 }),
        { addresses: [], topics: [] },
        { initialRange: 40 },
      );
      const started = Date.now();
      const { blocks } = await readAll(reader, 40);
      expect(blocks).to.deep.equal(every(40));
      expect(Date.now() - started).to.be.below(5000);
      // 40 → 20 → 10 → 5: three timeouts, none of them retried at the same size.
      expect(logRequests(server).slice(0, 4)).to.deep.equal([
        [1, 40],
        [1, 20],
        [1, 10],
        [1, 5],
      ]);
    } finally {
      await server.close();
    }

    const refusing = await scriptedServer(
      chainNode({
        head: 40,
        logs: (_from, _to, req) => rpcError(req, -32601, "the method eth_getLogs does not exist"),
      }),
    );
    try {
      const reader = new ChainReader(
        new JsonRpcClient(refusing.url),
        { addresses: [], topics: [] },
        { initialRange: 40 },
      );
      const error = await failure(reader.logs(1, 40));
      expect(error.kind).to.equal("permanent");
      expect(error.message).to.match(
        /^eth_getLogs: the method eth_getLogs does not exist \(code -32601; method not found/,
      );
      expect(logRequests(refusing)).to.have.length(1);
    } finally {
      await refusing.close();
    }
  });

  it("reads a block's whole header, and its transactions only for the blocks asked", async () => {
    const header = (n: number, full: boolean) => ({
      number: hex(n),
      hash: "0x" + n.toString(16).padStart(64, "b"),
      parentHash: "0x" + (n - 1).toString(16).padStart(64, "b"),
      timestamp: hex(2000 + n),
      miner: "0x" + "Ab".repeat(20),
      stateRoot: "0x" + "01".repeat(32),
      gasUsed: "0x5208",
      gasLimit: "0x1c9c380",
      baseFeePerGas: "0x7",
      size: "0x220",
      transactions: full
        ? [
            {
              hash: "0x" + "CD".repeat(32),
              transactionIndex: "0x0",
              from: "0x" + "Ef".repeat(20),
              to: null,
              value: "0xde0b6b3a7640000",
              gas: "0x5208",
              gasPrice: "0x3b9aca00",
              input: "0xABCD",
              nonce: "0x9",
            },
          ]
        : ["0x" + "cd".repeat(32)],
    });
    const server = await scriptedServer((body) => ({
      json: (body as JsonRpcRequest[]).map(
        (req) => ok(req, header(Number(req.params[0]), req.params[1] === true)).json,
      ),
    }));
    try {
      const reader = new ChainReader(new JsonRpcClient(server.url), { addresses: [], topics: [] });
      const headers = await reader.headers([4, 5], new Set([5]));
      expect(headers.get(4)).to.deep.include({
        author: "0x" + "ab".repeat(20),
        stateRoot: "0x" + "01".repeat(32),
        gasUsed: 21000n,
        gasLimit: 30_000_000n,
        baseFeePerGas: 7n,
        size: 544n,
        difficulty: undefined,
        transactions: undefined,
      });
      expect(headers.get(5)!.transactions).to.deep.equal([
        {
          hash: "0x" + "cd".repeat(32),
          index: 0,
          from: "0x" + "ef".repeat(20),
          to: null,
          value: 10n ** 18n,
          gasLimit: 21000n,
          gasPrice: 10n ** 9n,
          input: "0xabcd",
          nonce: 9n,
        },
      ]);
      const asked = server.requests.filter((r) => r.method === "eth_getBlockByNumber").map((r) => r.params[1]);
      expect(asked).to.deep.equal([false, true]);
    } finally {
      await server.close();
    }
  });

  it("reads headers in batches, with null for blocks past the head", async () => {
    const server = await scriptedServer(chainNode({ head: 10 }));
    try {
      const reader = new ChainReader(new JsonRpcClient(server.url), { addresses: [], topics: [] });
      const headers = await reader.headers([3, 11, 3, 10]);
      expect([...headers.keys()]).to.deep.equal([3, 11, 10]);
      expect(headers.get(3)).to.deep.include({
        number: 3,
        hash: "0x" + "3".padStart(64, "a"),
        parentHash: "0x" + "2".padStart(64, "a"),
        timestamp: 1003,
        author: undefined,
        transactions: undefined,
      });
      expect(headers.get(11)).to.equal(null);
      expect(server.requests.filter((r) => r.method === "eth_getBlockByNumber")).to.have.length(3);
      const both = await reader.headAndHeader(10);
      expect(both.head).to.equal(10);
      expect(both.header!.number).to.equal(10);
    } finally {
      await server.close();
    }
  });
});

describe("indexer sync: deployment check", function () {
  this.timeout(10_000);

  const market = "0x" + "11".repeat(20);
  const registry = "0x" + "22".repeat(20);
  const deployment = {
    chainId: 31337,
    contracts: {
      DealMarket: { address: market, blockNumber: 5 },
      ServiceRegistry: { address: registry, blockNumber: 5 },
    },
  };

  async function check(
    node: { chainId: number; head: number; code: Record<string, string> },
    expected: { chainId: number | null; contracts: typeof deployment.contracts } = deployment,
  ): Promise<unknown> {
    const server = await scriptedServer((body) => {
      const answer = (req: JsonRpcRequest) =>
        req.method === "eth_chainId"
          ? ok(req, hex(node.chainId)).json
          : req.method === "eth_blockNumber"
            ? ok(req, hex(node.head)).json
            : ok(req, node.code[req.params[0] as string] ?? "0x").json;
      return { json: Array.isArray(body) ? body.map(answer) : answer(body) };
    });
    try {
      await new ChainReader(new JsonRpcClient(server.url), { addresses: [], topics: [] }).checkDeployment(expected);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await server.close();
    }
  }

  it("refuses another chain and an address without code, permanently", async () => {
    const wrongChain = await check({ chainId: 1, head: 10, code: { [market]: "0x60", [registry]: "0x60" } });
    expect(wrongChain).to.be.instanceOf(DeploymentMismatchError);
    expect((wrongChain as Error).message).to.match(/is chain 1, the deployment is for chain 31337/);
    expect(isRetryable(wrongChain)).to.equal(false);

    const noCode = await check({ chainId: 31337, head: 10, code: { [market]: "0x60" } });
    expect(noCode).to.be.instanceOf(DeploymentMismatchError);
    expect((noCode as Error).message).to.match(new RegExp(`no contract at ServiceRegistry ${registry} on chain 31337`));

    expect(await check({ chainId: 31337, head: 10, code: { [market]: "0x60", [registry]: "0x60" } })).to.equal(
      undefined,
    );
    // Every contract of the deployment file is checked when it lists them.
    const token = "0x" + "33".repeat(20);
    const server = await scriptedServer((body) => ({
      json: (body as JsonRpcRequest[]).map((req) =>
        req.method === "eth_chainId"
          ? ok(req, hex(31337)).json
          : req.method === "eth_blockNumber"
            ? ok(req, hex(10)).json
            : ok(req, req.params[0] === token ? "0x" : "0x60").json,
      ),
    }));
    try {
      const reader = new ChainReader(new JsonRpcClient(server.url), { addresses: [], topics: [] });
      const contracts = { ...deployment.contracts, AccordToken: { address: token, blockNumber: 5 } };
      const error = await reader.checkDeployment({ ...deployment, contracts }).catch((e: unknown) => e);
      expect((error as Error).message).to.match(/no contract at AccordToken 0x3333/);
    } finally {
      await server.close();
    }
    // Without an expected chain id (a subgraph indexed on whatever chain the node serves) only the code is checked.
    const code = { [market]: "0x60", [registry]: "0x60" };
    expect(await check({ chainId: 1, head: 10, code }, { ...deployment, chainId: null })).to.equal(undefined);
    const missing = await check({ chainId: 1, head: 10, code: { [market]: "0x60" } }, { ...deployment, chainId: null });
    expect(missing).to.be.instanceOf(DeploymentMismatchError);
    // A node that has not reached the deployment block yet is behind, not wrong.
    expect(await check({ chainId: 31337, head: 3, code: {} })).to.equal(undefined);
  });
});
