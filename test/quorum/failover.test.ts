// Operator nodes as `accord operator` processes: the task's first aggregator is killed with SIGKILL while it holds
// the signatures (it was about to submit), and the next operator in the drawn order submits within its own slot,
// with the signatures followers had already sent it. Restarted after the kill -9, the killed node loses nothing: the
// same own signature (no second one), every signature it had collected, and it learns the task's outcome.

import { expect } from "chai";
import { keccak256 } from "ethers";
import { squareResponse } from "../../src/quorum";
import { freePort, startQuorumNet, waitFor, type OperatorProcess, type QuorumNet } from "./harness";

const OPERATORS = 4;
// Each process waits this long after the threshold before submitting, so the test can kill it in the middle.
const SUBMIT_DELAY_MS = 2500;

type TaskBody = {
  own: { signature: string; responseHash: string } | null;
  signatures: { operator: string; responseHash: string }[];
  outcome: { status: string; aggregator?: string } | null;
  done: boolean;
};

async function taskOn(process: OperatorProcess, taskId: string): Promise<TaskBody | undefined> {
  try {
    const res = await fetch(`${process.url}/quorum/tasks/${taskId}`, { signal: AbortSignal.timeout(2000) });
    return res.status === 200 ? ((await res.json()) as TaskBody) : undefined;
  } catch {
    return undefined;
  }
}

describe("quorum: aggregator failover and restart (processes, kill -9)", function () {
  this.timeout(300_000);
  let net: QuorumNet;
  const ports: number[] = [];
  const processes: OperatorProcess[] = [];
  let victimIndex = -1;
  let taskId = "";
  let seenBefore: TaskBody | undefined;
  let order: string[] = [];

  before(async () => {
    net = await startQuorumNet({ aggregatorSlot: 6n, operators: OPERATORS });
    for (let i = 0; i < OPERATORS; i++) ports.push(await freePort());
    for (let i = 0; i < OPERATORS; i++) {
      processes.push(net.spawnOperator(i, { port: ports[i], faults: { submitDelayMs: SUBMIT_DELAY_MS } }));
    }
    await Promise.all(processes.map((p) => p.waitForLog("operator node started", 120_000)));
  });
  after(() => net?.close());

  it("the next operator in the order submits within its slot when the aggregator is killed with SIGKILL", async () => {
    const task = await net.createSquareTask(9n);
    taskId = task.taskId;
    order = await net.orderOf(task);
    victimIndex = processes.findIndex((p) => p.address === order[0]);
    const victim = processes[victimIndex];
    // In the middle of the task: the holder has the threshold's signatures (3 of 4) and has not submitted yet.
    seenBefore = await waitFor(
      "the first aggregator to collect the threshold",
      async () => {
        const body = await taskOn(victim, taskId);
        return body && body.signatures.length >= 3 ? body : undefined;
      },
      20_000,
      50,
    );
    await victim.kill9();
    expect(victim.child.signalCode).to.equal("SIGKILL");
    expect((await net.creator.getTask(taskId)).statusName).to.equal("Open");

    const responded = await net.waitResponded(taskId, 40_000);
    expect(responded.aggregator).to.equal(order[1]);
    expect(responded.responseHash).to.equal(keccak256(squareResponse(9n)));
    const createdAt = Number(task.createdAt);
    // Within slot 1: [createdAt + slot, createdAt + 2·slot) (block timestamps are whole seconds).
    // (The nodes count slots on their clock; block timestamps are whole seconds and may trail it by one.)
    expect(Number(responded.respondedAt)).to.be.at.least(createdAt + net.slotSeconds - 1);
    expect(Number(responded.respondedAt)).to.be.below(createdAt + 2 * net.slotSeconds + 1);
  });

  it("a node restarted after kill -9 loses nothing: same signature, collected signatures, the outcome", async () => {
    expect(seenBefore, "the state seen before the kill").to.not.equal(undefined);
    const old = processes[victimIndex];
    const restarted = net.spawnOperator(victimIndex, {
      port: old.port,
      stateDir: old.stateDir,
      faults: { submitDelayMs: SUBMIT_DELAY_MS },
    });
    processes[victimIndex] = restarted;
    await restarted.waitForLog("operator node started", 120_000);
    const afterRestart = await waitFor(
      "the restarted node's view of the task",
      () => taskOn(restarted, taskId),
      10_000,
    );
    expect(afterRestart.own?.signature).to.equal(seenBefore!.own!.signature);
    const operatorsAfter = afterRestart.signatures.map((s) => s.operator);
    for (const signature of seenBefore!.signatures) expect(operatorsAfter).to.include(signature.operator);
    // It signed nothing again.
    expect(restarted.logs().filter((line) => line.msg === "signed a task" && line.taskId === taskId)).to.have.length(0);
    const settled = await waitFor(
      "the restarted node to learn the outcome",
      async () => {
        const body = await taskOn(restarted, taskId);
        return body?.done ? body : undefined;
      },
      20_000,
    );
    expect(settled.outcome?.status).to.equal("Responded");
    expect(settled.outcome?.aggregator).to.equal(order[1]);

    // And it serves the next task with the others.
    const next = await net.createSquareTask(5n);
    await net.waitResponded(next.taskId, 40_000);
    const mine = await waitFor("the restarted node's signature on the next task", async () => {
      const body = await taskOn(restarted, next.taskId);
      return body?.own ? body : undefined;
    });
    expect(mine.own!.responseHash).to.equal(keccak256(squareResponse(5n)));
  });
});
