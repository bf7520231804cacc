// The aggregator's inbox over real HTTP on 127.0.0.1, with the node's knowledge faked (a quorum at a reference block,
// a registered outsider, the digest): every bad input refused with the status and field it deserves, a replay without
// effect, an oversized body refused, and the server still answering afterwards.

import { expect } from "chai";
import { getBytes, keccak256, Wallet } from "ethers";
import { blsPublicKey, blsSign, encodeG1, encodeG2, randomBlsSecretKey } from "../../src/quorum/bls";
import { SignatureInbox, type InboxContext } from "../../src/quorum/inbox";
import type { QuorumMember } from "../../src/quorum/operator-set";
import { serveQuorum, type QuorumServer } from "../../src/quorum/server";
import type { CollectedEntry } from "../../src/quorum/state";

const TASK = keccak256("0x01");
const REFERENCE_BLOCK = 41;

function operator() {
  const secretKey = randomBlsSecretKey();
  const address = Wallet.createRandom().address;
  return { secretKey, address, publicKey: encodeG2(blsPublicKey(secretKey)) };
}

describe("quorum: the signature inbox (HTTP)", () => {
  const alice = operator();
  const bob = operator();
  const outsider = operator(); // registered, but not in the quorum at the reference block
  const stranger = operator(); // never registered
  const stored = new Map<string, CollectedEntry>();
  const digestOf = (taskId: string, responseHash: string) => keccak256(taskId + responseHash.slice(2));
  const sign = (who: ReturnType<typeof operator>, response: string, taskId = TASK) =>
    encodeG1(blsSign(who.secretKey, getBytes(digestOf(taskId, keccak256(response)))));
  const member = (who: ReturnType<typeof operator>): QuorumMember => ({
    operator: who.address,
    publicKey: who.publicKey,
    keyHash: keccak256(who.publicKey),
    stake: 100n,
    url: "",
  });
  const context: InboxContext = {
    task: (taskId) => Promise.resolve(taskId === TASK ? { quorum: 0, referenceBlock: REFERENCE_BLOCK } : undefined),
    memberAt: (quorum, block, address) =>
      Promise.resolve(
        [alice, bob]
          .map(member)
          .find((m) => quorum === 0 && block === REFERENCE_BLOCK && m.operator.toLowerCase() === address),
      ),
    isRegistered: (address) =>
      Promise.resolve([alice, bob, outsider].some((who) => who.address.toLowerCase() === address.toLowerCase())),
    digest: (taskId, responseHash) => Promise.resolve(digestOf(taskId, responseHash)),
    collected: (taskId, address) => stored.get(`${taskId}:${address}`),
    store: (taskId, address, entry) => void stored.set(`${taskId}:${address}`, entry),
  };
  let server: QuorumServer;
  before(async () => {
    server = await serveQuorum({
      inbox: new SignatureInbox(context, { maxResponseBytes: 64 }),
      describeTask: (taskId) => (taskId === TASK ? { signatures: stored.size } : undefined),
      health: () => ({ status: "ok" }),
      maxBodyBytes: 2048,
    });
  });
  after(() => server.close());

  async function post(body: unknown, raw?: string) {
    const res = await fetch(`${server.url}/quorum/signatures`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: raw ?? JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  const good = (who = alice, response = "0x2a") => ({
    taskId: TASK,
    operator: who.address,
    response,
    signature: sign(who, response),
  });

  it("accepts a member's valid signature, once: a replay is 200 duplicate with no effect", async () => {
    const first = await post(good());
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ accepted: true, duplicate: false });
    expect(stored.size).to.equal(1);
    const again = await post(good());
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ accepted: true, duplicate: true });
    expect(stored.size).to.equal(1);
  });

  it("refuses another response from an operator that already signed (409, the first kept)", async () => {
    const before = stored.get(`${TASK}:${alice.address.toLowerCase()}`);
    const other = await post(good(alice, "0x2b"));
    expect(other.status).to.equal(409);
    expect(other.body.field).to.equal("response");
    expect(stored.get(`${TASK}:${alice.address.toLowerCase()}`)).to.deep.equal(before);
  });

  it("names the field of every malformed input (400)", async () => {
    const cases: [unknown, string][] = [
      [[1, 2], "(body)"],
      ["text", "(body)"],
      [{ ...good(bob), taskId: "0x12" }, "taskId"],
      [{ ...good(bob), taskId: undefined }, "taskId"],
      [{ ...good(bob), operator: "0xnothex" }, "operator"],
      [{ ...good(bob), response: "2a" }, "response"],
      [{ ...good(bob), response: "0x2" }, "response"],
      [{ ...good(bob), response: "0x" + "00".repeat(65) }, "response"],
      [{ ...good(bob), signature: 12 }, "signature"],
      [{ ...good(bob), signature: "0x" + "00".repeat(64) }, "signature"],
      [{ ...good(bob), signature: "0x" + "00".repeat(128) }, "signature"],
      [{ ...good(bob), signature: "0x" + "ff".repeat(128) }, "signature"],
      // On the field, not on the curve.
      [{ ...good(bob), signature: "0x" + ("00".repeat(63) + "01").repeat(2) }, "signature"],
    ];
    for (const [body, field] of cases) {
      const answer = await post(body);
      expect(answer.status, JSON.stringify(body)).to.equal(400);
      expect(answer.body.field, JSON.stringify(body)).to.equal(field);
    }
    const notJson = await post(undefined, "{oops");
    expect(notJson.status).to.equal(400);
    expect(notJson.body.field).to.equal("(body)");
    expect(stored.size).to.equal(1);
  });

  it("refuses a signature by the wrong key or over the wrong message (400 signature)", async () => {
    const wrongKey = await post({ ...good(bob), signature: sign(alice, "0x2a") });
    expect(wrongKey.status).to.equal(400);
    expect(wrongKey.body.field).to.equal("signature");
    const wrongMessage = await post({ ...good(bob), signature: sign(bob, "0x2b") });
    expect(wrongMessage.status).to.equal(400);
    const otherTask = await post({ ...good(bob), signature: sign(bob, "0x2a", keccak256("0x02")) });
    expect(otherTask.status).to.equal(400);
    expect(stored.size).to.equal(1);
  });

  it("refuses an unregistered sender and one outside the quorum at the reference block (403)", async () => {
    const unregistered = await post(good(stranger));
    expect(unregistered.status).to.equal(403);
    expect(unregistered.body.field).to.equal("operator");
    expect(String(unregistered.body.error)).to.match(/not a registered operator/);
    const outside = await post(good(outsider));
    expect(outside.status).to.equal(403);
    expect(String(outside.body.error)).to.match(/reference block 41/);
    expect(stored.size).to.equal(1);
  });

  it("answers 404 for an unknown task, 413 for an oversized body, and keeps serving", async () => {
    const unknown = await post({ ...good(bob), taskId: keccak256("0x03") });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.field).to.equal("taskId");
    const big = await fetch(`${server.url}/quorum/signatures`, {
      method: "POST",
      body: JSON.stringify({ ...good(bob), padding: "x".repeat(10_000) }),
    }).catch((error: Error) => error);
    // The server answers 413 and closes; a client may see the answer or the reset.
    if (!(big instanceof Error)) expect(big.status).to.equal(413);
    const wrongMethod = await fetch(`${server.url}/quorum/signatures`);
    expect(wrongMethod.status).to.equal(405);
    const badTask = await fetch(`${server.url}/quorum/tasks/0x12`);
    expect(badTask.status).to.equal(400);
    const health = await fetch(`${server.url}/quorum/health`);
    expect(await health.json()).to.deep.equal({ status: "ok" });
    const view = await fetch(`${server.url}/quorum/tasks/${TASK}`);
    expect(view.status).to.equal(200);
    const accepted = await post(good(bob));
    expect(accepted.status).to.equal(200);
    expect(stored.size).to.equal(2);
  });
});
