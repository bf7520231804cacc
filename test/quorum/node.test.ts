// Operator nodes in this process against the real contracts on a Hardhat network served over HTTP: each registers
// itself (bond, quorum, URL), they answer a square task end to end over real HTTP on 127.0.0.1 (signatures to the
// drawn aggregator, aggregate submitted, checked on chain), and a byzantine aggregator whose aggregate is wrong is
// refused by the contract while the next one in the order lands the honest response.

import { expect } from "chai";
import { AbiCoder, getBytes, hexlify, keccak256, randomBytes } from "ethers";
import { AccordContractError, TaskManagerClient, type TaskView } from "../../src/clients";
import { aggregatorOrder, blsSign, randomBlsSecretKey, squareResponse, type OperatorNode } from "../../src/quorum";
import { BOND, startQuorumNet, waitFor, type QuorumNet } from "./harness";

const OPERATORS = 5;

describe("quorum: operator nodes end to end (in process, real HTTP)", function () {
  this.timeout(180_000);
  let net: QuorumNet;
  const nodes: OperatorNode[] = [];

  before(async () => {
    net = await startQuorumNet({ aggregatorSlot: 4n, operators: OPERATORS });
    // Operator 0 is byzantine: it submits wrong aggregates whenever it holds the slot.
    nodes.push(await net.node(0, { faults: { corruptAggregate: true } }));
    for (let i = 1; i < OPERATORS; i++) nodes.push(await net.node(i));
  });
  after(() => net?.close());

  it("registers each operator with its key, bond, quorum and URL", async () => {
    const registry = nodes[1].options.registry;
    for (const node of nodes) {
      const view = await registry.getOperator(node.me);
      expect(view.statusName).to.equal("Active");
      expect(view.bond).to.equal(BOND);
      expect(view.quorums).to.deep.equal([0]);
      expect(view.url).to.equal(node.url);
    }
    const latest = Number(await net.provider.send("eth_blockNumber", []));
    const members = await registry.operatorSetAt(0, latest);
    expect(members).to.have.length(OPERATORS);
    const checkpoint = await registry.quorumCheckpointAt(0, latest);
    expect(checkpoint.operatorCount).to.equal(OPERATORS);
    expect(checkpoint.totalStake).to.equal(BOND * BigInt(OPERATORS));
  });

  it("answers a square task: the slot holder submits the quorum's aggregate and the chain accepts it", async () => {
    // A task whose first aggregator is honest (operator 0 is not first): drawn again until so.
    let task = await net.createSquareTask(7n);
    while ((await net.orderOf(task))[0] === nodes[0].me) task = await net.createSquareTask(7n);
    const order = await net.orderOf(task);
    const responded = await net.waitResponded(task.taskId, 30_000);
    expect(responded.responseHash).to.equal(keccak256(squareResponse(7n)));
    expect(AbiCoder.defaultAbiCoder().decode(["uint256"], squareResponse(7n))[0]).to.equal(49n);
    expect(responded.signedStake * 100n >= responded.totalStake * 67n).to.equal(true);
    expect(responded.totalStake).to.equal(BOND * BigInt(OPERATORS));
    // The first in the order held slot 0 and responded within it.
    expect(responded.aggregator).to.equal(order[0]);
    expect(Number(responded.respondedAt)).to.be.lessThan(Number(task.createdAt) + net.slotSeconds + 1);
    // Every node signed the same response and learns the outcome.
    for (const node of nodes) {
      const view = await waitFor("the node to see the outcome", () => {
        const described = node.describeTask(task.taskId);
        return Promise.resolve(described?.done ? described : undefined);
      });
      expect(view.own?.responseHash).to.equal(responded.responseHash);
      expect(view.outcome?.status).to.equal("Responded");
    }
    // Over HTTP, the aggregator shows the signatures it collected and its transaction.
    const holder = nodes.find((node) => node.me === order[0])!;
    const res = await fetch(`${holder.url}/quorum/tasks/${task.taskId}`);
    const body = (await res.json()) as { signatures: unknown[]; submissions: { hash?: string }[] };
    expect(body.signatures.length).to.be.greaterThanOrEqual(4);
    expect(body.submissions.at(-1)?.hash).to.match(/^0x[0-9a-f]{64}$/);
    // The response is correct: a challenge is refused.
    await expect(
      net.creator.challengeResponse(
        task.taskId,
        task.payloadHash === keccak256(squarePayloadOf(7n)) ? squarePayloadOf(7n) : "0x",
        squareResponse(7n),
      ),
    ).to.be.rejectedWith(/TaskManager_ResponseCorrect/);
  });

  it("refuses a byzantine aggregator's wrong aggregate; the next one in the order lands the response", async () => {
    const byzantine = nodes[0];
    // Draw the salt so the byzantine operator holds slot 0: the seed is keccak256(blockhash(reference block), id) and
    // the reference block is the one before the creation block (retried if a block slipped in between).
    let task: TaskView | undefined;
    for (let attempt = 0; attempt < 10 && !task; attempt++) {
      // Raw RPC: ethers caches the latest block for its polling interval.
      const raw = (await net.provider.send("eth_getBlockByNumber", ["latest", false])) as {
        number: string;
        hash: string;
      };
      const latest = { number: Number(raw.number), hash: raw.hash };
      const members = (await net.creator.operatorRegistry.operatorSetAt(0, latest.number)).map((m) => m.operator);
      let salt: string;
      for (;;) {
        salt = hexlify(randomBytes(32));
        const id = TaskManagerClient.taskIdOf(await net.creator.getAddress(), salt);
        const seed = keccak256(AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32"], [latest.hash, id]));
        if (aggregatorOrder(seed, members)[0] === byzantine.me) break;
      }
      const created = await net.createSquareTask(12n, { salt });
      if ((await net.orderOf(created))[0] === byzantine.me) task = created;
    }
    if (!task) throw new Error("no task with the byzantine operator first after 10 draws");
    const order = await net.orderOf(task);
    const responded = await net.waitResponded(task.taskId, 30_000);
    expect(responded.responseHash).to.equal(keccak256(squareResponse(12n)));
    expect(responded.aggregator).to.not.equal(byzantine.me);
    expect(responded.aggregator).to.equal(order[1]);
    // It landed in slot 1, after the byzantine holder's slot (the nodes' clock and the chain's whole-second block
    // timestamps may differ by a second).
    expect(Number(responded.respondedAt)).to.be.at.least(Number(task.createdAt) + net.slotSeconds - 1);
    const attempts = byzantine.describeTask(task.taskId)!.submissions;
    expect(attempts.length).to.be.greaterThan(0);
    expect(attempts.every((a) => a.error === "TaskManager_InvalidSignature")).to.equal(true);
  });

  it("the clients: QuorumSignature with sorted non-signers, and reverts as AccordContractError by name", async () => {
    const registry = nodes[1].options.registry;
    const tasks = nodes[1].options.tasks;
    // A task nobody answers (threshold 100% while one signature is withheld below).
    const { taskId } = await net.creator.createTask({
      quorum: 0,
      thresholdPercent: 100,
      responseWindow: 60,
      payload: squarePayloadOf(3n),
      verifier: net.squareVerifier,
    });
    const task = await tasks.getTask(taskId);
    expect(task.statusName).to.equal("Open");
    const members = await registry.operatorSetAt(0, task.referenceBlock);
    const response = squareResponse(3n);
    const digest = await tasks.responseDigest(taskId, response);
    const signers = nodes.slice(0, 2);
    const built = await tasks.buildQuorumSignature(
      task,
      signers.map((node) => ({ operator: node.me, signature: blsSign(node.options.secretKey, getBytes(digest)) })),
      members,
    );
    expect(built.signers).to.have.members(signers.map((node) => node.me));
    expect(built.nonSigners).to.have.length(OPERATORS - 2);
    const hashes = (built.signature.nonSignerKeys as string[]).map((key) => BigInt(keccak256(key)));
    for (let i = 1; i < hashes.length; i++) expect(hashes[i] > hashes[i - 1]).to.equal(true);
    expect(built.signedStake).to.equal(2n * BOND);
    // The chain agrees with the accounting, and refuses the aggregate below the threshold.
    const [signedStake, totalStake] = await tasks.tasks.checkSignatures(
      digest,
      0,
      task.referenceBlock,
      built.signature,
    );
    expect(signedStake).to.equal(built.signedStake);
    expect(totalStake).to.equal(built.totalStake);
    const below = await tasks.respondToTask(taskId, response, built.signature).catch((error: unknown) => error);
    expect(below).to.be.instanceOf(AccordContractError);
    expect((below as AccordContractError).errorName).to.equal("TaskManager_BelowThreshold");
    // Registering twice, a bad threshold.
    const again = await registry
      .register({ secretKey: randomBlsSecretKey(), url: "http://x", bond: BOND, quorums: [0] })
      .catch((error: unknown) => error);
    expect((again as AccordContractError).errorName).to.equal("OperatorRegistry_AlreadyRegistered");
    const zero = await net.creator
      .createTask({ quorum: 0, thresholdPercent: 0, responseWindow: 60, payload: "0x" })
      .catch((error: unknown) => error);
    expect((zero as AccordContractError).errorName).to.equal("TaskManager_InvalidThreshold");
  });
});

function squarePayloadOf(n: bigint): string {
  return AbiCoder.defaultAbiCoder().encode(["uint256"], [n]);
}
