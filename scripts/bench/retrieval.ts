// Paid retrieval benchmark: `npm run bench:retrieval` → bench/results/retrieval.json.
//
// In one run, on one payload of BENCH_RETRIEVAL_MIB MiB (default 256) of random bytes, imported with the ecosystem's
// importer (ResultStore.importDirectory) by `accord serve-data`, a process of its own that serves it both ways:
//   (a) plain: GET /ipfs/<cid>?format=car, read by the same CAR reader (car-stream.ts) into the same block importer
//       (ResultStore.openImport: every block checked against its CID and its place in the DAG, then stored) as the
//       paid client, no payments;
//   (b) paid: RetrievalClient.retrieve through /retrieval/ with the reference's default terms (1 MiB interval, 1 MiB
//       increase), a real PaymentChannels on a local Hardhat network (in this process, over HTTP), the real
//       PayerChannelManager and VoucherStore behind the adapters. Timed from retrieve() to its resolution: ask,
//       proposal, funding the channel (already open from a warm-up deal: the top-up is in the time), the lane, every
//       voucher, the last payment;
//   (c) vouchers per second the payee validates: VoucherStore.receive over pre-signed vouchers on one lane (the
//       contract's rules, the signature, the journal write), and the bare check (signature recovery + applyVoucher).
// Plain and paid alternate for BENCH_RETRIEVAL_ROUNDS rounds (default 3) into fresh client stores; the best round of
// each is reported (the median too). The target: paid throughput at least 80% of plain.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { JsonRpcProvider, Network, Wallet, ZeroAddress } from "ethers";
import { PayerChannelManager } from "../../src/channels/manager";
import { applyVoucher } from "../../src/channels/rules";
import { VoucherStore } from "../../src/channels/store";
import { signVoucher, voucherSigner, type SignedVoucher, type Voucher } from "../../src/channels/voucher";
import { channelStateOf, PaymentChannelsClient, SerialSigner } from "../../src/clients";
import { deployAccord } from "../../src/deployments";
import { accordCommand, hardhatAccount } from "../../src/devnet/accounts";
import { LOCAL_NETWORK, startLocalNode } from "../../src/devnet/local-node";
import { parseRoot } from "../../src/results/blocks";
import { CAR_RESPONSE_TYPE } from "../../src/results/http";
import { ResultStore } from "../../src/results/store";
import {
  ChannelManagerPayer,
  DEFAULT_PAYMENT_INTERVAL,
  DEFAULT_PAYMENT_INTERVAL_INCREASE,
  RetrievalClient,
  type ClientDeal,
} from "../../src/retrieval";
import { carBlocks } from "../../src/retrieval/car-stream";
import { spawn } from "node:child_process";

const MIB = 1024 * 1024;
const PAYLOAD_MIB = Number(process.env.BENCH_RETRIEVAL_MIB ?? 256);
const ROUNDS = Number(process.env.BENCH_RETRIEVAL_ROUNDS ?? 3);
const VOUCHERS = Number(process.env.BENCH_RETRIEVAL_VOUCHERS ?? 2000);
const PRICE_PER_BYTE = 1_000n;
const UNSEAL_PRICE = 1_000_000n;
const ROOT = path.resolve(__dirname, "..", "..");
const OUT = path.join(ROOT, "bench", "results", "retrieval.json");

const PAYER = 2;
const PAYEE = 3;

const round3 = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The payload: one file of random bytes (what a job's output looks like to the importer: incompressible). */
function writePayload(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const fd = fs.openSync(path.join(dir, "payload.bin"), "w");
  for (let written = 0; written < PAYLOAD_MIB; written += 16) {
    fs.writeSync(fd, randomBytes(Math.min(16, PAYLOAD_MIB - written) * MIB));
  }
  fs.closeSync(fd);
}

/** `accord serve-data` as its own process; resolves with its URL and the payload's CID once it serves. */
async function startProvider(
  payload: string,
  dataDir: string,
  rpcUrl: string,
  deploymentPath: string,
): Promise<{ url: string; cid: string; size: number; blocks: number; stop(): Promise<void> }> {
  const { command, args } = accordCommand();
  const child = spawn(
    command,
    [
      ...args,
      "serve-data",
      payload,
      "--data-dir",
      dataDir,
      "--price-per-byte",
      PRICE_PER_BYTE.toString(),
      "--unseal-price",
      UNSEAL_PRICE.toString(),
      "--rpc",
      rpcUrl,
      "--deployment",
      deploymentPath,
      "--log-level",
      "warn",
      "--log-format",
      "json",
    ],
    { env: { ...process.env, ACCORD_AGENT_KEY: hardhatAccount(PAYEE).privateKey }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr = (stderr + data.toString()).slice(-4000)));

  const line = await new Promise<{ url: string; cid: string; size: number; blocks: number }>((resolve, reject) => {
    let buffer = "";
    child.stdout.on("data", (data: Buffer) => {
      buffer += data.toString();
      const end = buffer.indexOf("\n");
      if (end >= 0)
        resolve(JSON.parse(buffer.slice(0, end)) as { url: string; cid: string; size: number; blocks: number });
    });
    void exited.then(() => reject(new Error(`serve-data exited: ${stderr}`)));
  });
  return {
    ...line,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** (a) The same CAR through the same reader and importer, from the unpaid gateway route. */
async function plainRun(url: string, cid: string, dir: string): Promise<{ seconds: number; bytes: number }> {
  const store = await ResultStore.open(dir);
  try {
    const started = performance.now();
    const response = await fetch(`${url}/ipfs/${cid}?format=car`, { headers: { accept: CAR_RESPONSE_TYPE } });
    if (response.status !== 200 || response.body === null) throw new Error(`plain GET answered ${response.status}`);
    const imp = await store.openImport(cid);
    for await (const block of carBlocks(response.body, parseRoot(cid))) await imp.accept(block);
    await imp.flush();
    if (!imp.complete) throw new Error("the plain CAR ended early");
    return { seconds: (performance.now() - started) / 1000, bytes: imp.bytes };
  } finally {
    await store.close();
  }
}

type PaidRun = { seconds: number; transferSeconds: number; bytes: number; vouchers: number; paid: bigint };

/** (b) A whole paid retrieval: ask, proposal, funds, lane, vouchers at every boundary, the last payment. */
async function paidRun(url: string, cid: string, dir: string, manager: PayerChannelManager): Promise<PaidRun> {
  const store = await ResultStore.open(path.join(dir, "results"));
  const client = await RetrievalClient.open({
    store,
    dir: path.join(dir, "deals"),
    payer: new ChannelManagerPayer(manager),
  });
  try {
    let vouchers = 0;
    let ongoingAt = 0;
    let last = performance.now();
    client.on("state", (deal: ClientDeal) => {
      // BENCH_TRACE=1: every transition with the time since the last (where a paid transfer spends its time).
      if (process.env.BENCH_TRACE) {
        const now = performance.now();
        console.log(`${deal.state.padEnd(30)} +${(now - last).toFixed(1)} ms received=${deal.received}`);
        last = now;
      }
      if (deal.state === "SendFunds" || (deal.state === "Finalizing" && deal.owed !== null)) vouchers += 1;
      if (deal.state === "Ongoing" && ongoingAt === 0) ongoingAt = performance.now();
    });
    const started = performance.now();
    const outcome = await client.retrieve(cid, url);
    const ended = performance.now();
    if (outcome.state !== "Completed") throw new Error(`the paid retrieval ended ${outcome.state}`);
    return {
      seconds: (ended - started) / 1000,
      transferSeconds: (ended - ongoingAt) / 1000,
      bytes: outcome.received,
      vouchers,
      paid: outcome.paid,
    };
  } finally {
    client.close();
    await store.close();
  }
}

/** (c) Vouchers the payee checks per second: VoucherStore.receive, and the bare signature + rules check. */
async function voucherRate(payerClient: PaymentChannelsClient, payeeClient: PaymentChannelsClient, dir: string) {
  const payerWallet = hardhatAccount(PAYER);
  const payee = hardhatAccount(PAYEE).address;
  const { channelId } = await payerClient.open({ payee, amount: BigInt(VOUCHERS) * 10n ** 6n });
  const domain = await payerClient.domain();
  const signed: SignedVoucher[] = [];
  for (let i = 1; i <= VOUCHERS; i++) {
    const voucher: Voucher = {
      channelId,
      timeLockMin: 0n,
      timeLockMax: 0n,
      secretHash: `0x${"0".repeat(64)}`,
      extraTarget: ZeroAddress,
      extraData: "0x",
      lane: 0n,
      nonce: BigInt(i),
      amount: BigInt(i) * 1000n,
      minSettleHeight: 0n,
      merges: [],
    };
    signed.push(await signVoucher(new Wallet(payerWallet.privateKey), voucher, domain));
  }
  const store = await VoucherStore.open({ channels: payeeClient, dir });
  let started = performance.now();
  for (const voucher of signed) await store.receive(voucher);
  const storeSeconds = (performance.now() - started) / 1000;
  store.close();

  const view = await payeeClient.getChannel(channelId);
  const now = await payeeClient.latestTimestamp();
  let state = channelStateOf(view);
  started = performance.now();
  for (const voucher of signed) {
    const check = applyVoucher(state, voucher.voucher, {
      channelId,
      caller: payee,
      now,
      signer: voucherSigner(voucher, domain),
    });
    if (!check.ok) throw new Error(`voucher refused: ${check.rule}`);
    state = check.value.channel;
  }
  const bareSeconds = (performance.now() - started) / 1000;
  return {
    perSecond: Math.round(VOUCHERS / storeSeconds),
    count: VOUCHERS,
    measured:
      "VoucherStore.receive: the contract's rules against the channel and the lanes held, the EIP-712 signature, the block time read from the node, the journal write (fsync)",
    bareCheckPerSecond: Math.round(VOUCHERS / bareSeconds),
    bareCheck: "voucherSigner (secp256k1 recovery over the EIP-712 digest) + applyVoucher, no I/O",
  };
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "accord-bench-retrieval-"));
  const node = await startLocalNode({ port: 0 });
  const provider = new JsonRpcProvider(node.url, Network.from(LOCAL_NETWORK.chainId), {
    staticNetwork: true,
    pollingInterval: 100,
    batchMaxCount: 1,
  });
  let server: Awaited<ReturnType<typeof startProvider>> | undefined;
  try {
    const deployer = new SerialSigner(hardhatAccount(0).connect(provider));
    const deploymentPath = path.join(work, "deployment.json");
    const { token } = await deployAccord(deployer, { network: "localhost", write: { path: deploymentPath } });
    await (await token.connect(deployer).transfer(hardhatAccount(PAYER).address, 10n ** 27n)).wait();
    const channelsOf = (index: number) =>
      PaymentChannelsClient.fromDeployment(new SerialSigner(hardhatAccount(index).connect(provider)), deploymentPath, {
        allowance: "unlimited",
      });
    const payerClient = await channelsOf(PAYER);
    const payeeClient = await channelsOf(PAYEE);

    console.log(`writing ${PAYLOAD_MIB} MiB of random bytes…`);
    const payload = path.join(work, "payload");
    writePayload(payload);
    console.log("serve-data is importing it…");
    const started = performance.now();
    server = await startProvider(payload, path.join(work, "provider"), node.url, deploymentPath);
    const importSeconds = (performance.now() - started) / 1000;
    console.log(`serving ${server.cid} (${server.blocks} blocks, ${server.size} block bytes) at ${server.url}`);

    const manager = await PayerChannelManager.open({ channels: payerClient, dir: path.join(work, "payer-channels") });
    // A warm-up deal opens the channel (and the payee's caches): the timed ones top it up, as a repeat client does.
    await plainRun(server.url, server.cid, path.join(work, "warm-plain"));
    await paidRun(server.url, server.cid, path.join(work, "warm-paid"), manager);

    const plain: { seconds: number; bytes: number }[] = [];
    const paid: PaidRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      plain.push(await plainRun(server.url, server.cid, path.join(work, `plain-${round}`)));
      paid.push(await paidRun(server.url, server.cid, path.join(work, `paid-${round}`), manager));
      const mibps = (r: { seconds: number; bytes: number }) => (r.bytes / MIB / r.seconds).toFixed(1);
      console.log(
        `round ${round + 1}: plain ${mibps(plain[round])} MiB/s, paid ${mibps(paid[round])} MiB/s (${paid[round].vouchers} vouchers)`,
      );
      fs.rmSync(path.join(work, `plain-${round}`), { recursive: true, force: true });
      fs.rmSync(path.join(work, `paid-${round}`), { recursive: true, force: true });
    }
    manager.close();

    console.log(`validating ${VOUCHERS} vouchers…`);
    const vouchers = await voucherRate(payerClient, payeeClient, path.join(work, "payee-vouchers"));

    const bestPlain = plain.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const bestPaid = paid.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const mib = server.size / MIB;
    const result = {
      machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
      payload: {
        mib: PAYLOAD_MIB,
        cid: server.cid,
        blocks: server.blocks,
        blockBytes: server.size,
        counted: "block bytes (each block's own bytes; the CAR framing, CIDs and lengths, is not paid for)",
        importSeconds: round3(importSeconds),
      },
      terms: {
        pricePerByte: PRICE_PER_BYTE.toString(),
        unsealPrice: UNSEAL_PRICE.toString(),
        paymentInterval: DEFAULT_PAYMENT_INTERVAL,
        paymentIntervalIncrease: DEFAULT_PAYMENT_INTERVAL_INCREASE,
      },
      plain: {
        mibPerSecond: round3(mib / bestPlain.seconds),
        seconds: round3(bestPlain.seconds),
        medianMibPerSecond: round3(mib / median(plain.map((r) => r.seconds))),
        rounds: plain.map((r) => round3(r.seconds)),
      },
      paid: {
        mibPerSecond: round3(mib / bestPaid.seconds),
        seconds: round3(bestPaid.seconds),
        ratioToPlain: round3(bestPlain.seconds / bestPaid.seconds),
        medianMibPerSecond: round3(mib / median(paid.map((r) => r.seconds))),
        medianRatioToPlain: round3(median(plain.map((r) => r.seconds)) / median(paid.map((r) => r.seconds))),
        transferMibPerSecond: round3(mib / bestPaid.transferSeconds),
        vouchersSent: bestPaid.vouchers,
        paid: bestPaid.paid.toString(),
        rounds: paid.map((r) => round3(r.seconds)),
      },
      vouchers,
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await server?.stop();
    provider.destroy();
    await node.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
